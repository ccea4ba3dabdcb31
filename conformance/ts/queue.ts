// tevent_queue: port of conformance/c/queue.c.
import {
  tallocNew, tallocFree,
  teventContextInit, teventReqCreate, teventReqSetCallback, teventReqDone, teventReqIsInProgress,
  teventReqReceived,
  teventQueueCreate, teventQueueAdd, teventQueueAddEntry, teventQueueAddOptimizeEmpty,
  teventQueueEntryUntrigger, teventQueueStart, teventQueueStop, teventQueueRunning,
  teventQueueLength, teventQueueWaitSend, teventQueueWaitRecv,
} from "tevent-tsocket";
import type { TeventQueue, TeventQueueEntry, TeventReq } from "tevent-tsocket";
import { T, SECTION, regAuto, nm, b, loopOnce, loopWait, run } from "./common.js";

let q: TeventQueue;
let freeInCb = true;
let doneInTrigger = true;
let untriggerEntry: TeventQueueEntry | null = null;

function cb(req: TeventReq): void {
  T(`cb ${nm(req)} length=${teventQueueLength(q)}`);
  if (freeInCb) {
    tallocFree(req);
    T(`freed in cb length=${teventQueueLength(q)}`);
  }
}

function trigger(req: TeventReq, pvt: unknown): void {
  T(`trigger ${nm(req)} pvt=${nm(pvt)} length=${teventQueueLength(q)}`);
  if (untriggerEntry !== null) {
    T(`stop and untrigger ${nm(untriggerEntry)}`);
    teventQueueStop(q);
    teventQueueEntryUntrigger(untriggerEntry);
    untriggerEntry = null;
    return;
  }
  if (doneInTrigger) {
    teventReqDone(req);
  }
}

function waitCb(req: TeventReq): void {
  T(`wait_cb ${nm(req)} recv=${b(teventQueueWaitRecv(req))}`);
  tallocFree(req);
}

function mk(mem: object, label: string, withCb: boolean): TeventReq {
  const req = teventReqCreate(mem, {}, "void *");
  regAuto(req, label);
  if (withCb) {
    teventReqSetCallback(req, cb, null);
  }
  return req;
}

function status(): void {
  T(`running=${b(teventQueueRunning(q))} length=${teventQueueLength(q)}`);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  let r1: TeventReq, r2: TeventReq, r3: TeventReq, w: TeventReq;
  let e1: TeventQueueEntry, e2: TeventQueueEntry;
  const p1 = tallocNew(mem);
  regAuto(p1, "p1");

  SECTION("create");
  q = teventQueueCreate(mem, "q");
  status();

  SECTION("three requests, trigger completes, callback frees");
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  r3 = mk(mem, "r3", true);
  T(`add r1 ret=${b(teventQueueAdd(q, ev, r1, trigger, p1))}`);
  T(`add r2 ret=${b(teventQueueAdd(q, ev, r2, trigger, null))}`);
  T(`add r3 ret=${b(teventQueueAdd(q, ev, r3, trigger, null))}`);
  status();
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopWait(ev);
  status();

  SECTION("done but not freed blocks the queue");
  freeInCb = false;
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  teventQueueAdd(q, ev, r1, trigger, null);
  teventQueueAdd(q, ev, r2, trigger, null);
  await loopWait(ev);
  status();
  T("received r1");
  teventReqReceived(r1);
  status();
  await loopWait(ev);
  status();
  T("free r1 r2");
  tallocFree(r1);
  tallocFree(r2);
  status();
  freeInCb = true;

  SECTION("trigger that does not finish");
  doneInTrigger = false;
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  teventQueueAdd(q, ev, r1, trigger, null);
  teventQueueAdd(q, ev, r2, trigger, null);
  await loopWait(ev);
  status();
  T("done r1");
  teventReqDone(r1);
  status();
  await loopOnce(ev);
  T("done r2");
  teventReqDone(r2);
  status();
  doneInTrigger = true;

  SECTION("stop and start");
  teventQueueStop(q);
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  teventQueueAdd(q, ev, r1, trigger, null);
  teventQueueAdd(q, ev, r2, trigger, null);
  status();
  await loopWait(ev);
  T("start");
  teventQueueStart(q);
  status();
  await loopOnce(ev);
  T("stop inside");
  teventQueueStop(q);
  await loopWait(ev);
  status();
  T("start");
  teventQueueStart(q);
  await loopWait(ev);
  status();

  SECTION("add_optimize_empty");
  r1 = mk(mem, "r1", false);
  T("add_optimize_empty r1 (empty, no callback)");
  e1 = teventQueueAddOptimizeEmpty(q, ev, r1, trigger, null);
  regAuto(e1, "e1");
  T(`returned ${nm(e1)} in_progress=${b(teventReqIsInProgress(r1))}`);
  status();
  r2 = mk(mem, "r2", false);
  T("add_optimize_empty r2 (not empty)");
  e2 = teventQueueAddOptimizeEmpty(q, ev, r2, trigger, null);
  regAuto(e2, "e2");
  status();
  T("free r1");
  tallocFree(r1);
  status();
  await loopWait(ev);
  tallocFree(r2);
  r1 = mk(mem, "r1", true);
  T("add_optimize_empty r1 (empty, callback set)");
  teventQueueAddOptimizeEmpty(q, ev, r1, trigger, null);
  status();
  await loopWait(ev);
  status();
  teventQueueStop(q);
  r1 = mk(mem, "r1", false);
  T("add_optimize_empty r1 (empty, stopped)");
  teventQueueAddOptimizeEmpty(q, ev, r1, trigger, null);
  status();
  teventQueueStart(q);
  await loopWait(ev);
  tallocFree(r1);
  status();

  SECTION("add_entry and entry_untrigger");
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  e1 = teventQueueAddEntry(q, ev, r1, trigger, null);
  regAuto(e1, "e1");
  e2 = teventQueueAddEntry(q, ev, r2, trigger, null);
  regAuto(e2, "e2");
  untriggerEntry = e1;
  await loopOnce(ev);
  status();
  await loopWait(ev);
  status();
  T("start");
  teventQueueStart(q);
  await loopWait(ev);
  status();

  SECTION("freeing entries and requests");
  doneInTrigger = false;
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  r3 = mk(mem, "r3", true);
  e1 = teventQueueAddEntry(q, ev, r1, trigger, null);
  regAuto(e1, "e1");
  e2 = teventQueueAddEntry(q, ev, r2, trigger, null);
  regAuto(e2, "e2");
  teventQueueAdd(q, ev, r3, trigger, null);
  status();
  T("free e2 (queued)");
  tallocFree(e2);
  status();
  T(`r2 in_progress=${b(teventReqIsInProgress(r2))}`);
  await loopOnce(ev);
  T("free r1 (triggered)");
  tallocFree(r1);
  status();
  await loopOnce(ev);
  status();
  tallocFree(r2);
  tallocFree(r3);
  status();
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  teventQueueAdd(q, ev, r1, trigger, null);
  teventQueueAdd(q, ev, r2, trigger, null);
  T("free r2 (queued)");
  tallocFree(r2);
  status();
  await loopWait(ev);
  tallocFree(r1);
  status();
  r1 = mk(mem, "r1", true);
  e1 = teventQueueAddEntry(q, ev, r1, trigger, null);
  regAuto(e1, "e1");
  T("free e1 before its trigger ran");
  tallocFree(e1);
  status();
  await loopWait(ev);
  tallocFree(r1);
  doneInTrigger = true;

  SECTION("wait_send");
  w = teventQueueWaitSend(mem, ev, q);
  regAuto(w, "w1");
  teventReqSetCallback(w, waitCb, null);
  status();
  await loopWait(ev);
  status();
  doneInTrigger = false;
  r1 = mk(mem, "r1", true);
  teventQueueAdd(q, ev, r1, trigger, null);
  w = teventQueueWaitSend(mem, ev, q);
  regAuto(w, "w2");
  teventReqSetCallback(w, waitCb, null);
  r2 = mk(mem, "r2", true);
  teventQueueAdd(q, ev, r2, trigger, null);
  status();
  await loopWait(ev);
  T("done r1");
  teventReqDone(r1);
  status();
  await loopWait(ev);
  status();
  T("done r2");
  teventReqDone(r2);
  status();
  doneInTrigger = true;

  SECTION("freeing the queue with entries");
  doneInTrigger = false;
  r1 = mk(mem, "r1", true);
  r2 = mk(mem, "r2", true);
  teventQueueAdd(q, ev, r1, trigger, null);
  teventQueueAdd(q, ev, r2, trigger, null);
  await loopOnce(ev);
  T(`free q ret=${tallocFree(q)}`);
  T(`r1 in_progress=${b(teventReqIsInProgress(r1))} r2 in_progress=${b(teventReqIsInProgress(r2))}`);
  await loopWait(ev);
  T(`free r1 ret=${tallocFree(r1)}`);
  T(`free r2 ret=${tallocFree(r2)}`);

  SECTION("end");
  tallocFree(mem);
}

run(main);
