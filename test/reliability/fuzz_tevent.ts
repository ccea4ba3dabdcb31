// Fuzzing, issue 8 item 3b: random sequences of TeventQueue and TeventReq
// operations checked against a model, with fast-check (which shrinks a
// failing sequence to a short one).
//
// test/tevent/model.test.ts already runs seeded random sequences and checks
// invariants (FIFO triggers, lengths).  This one is a full model of the C
// semantics instead: it predicts the exact order of every trigger and every
// request callback, because it simulates the loop itself - the FIFO of
// scheduled immediates (rescheduling moves one to the end; one loop
// iteration runs one immediate, else one due timer), the queue's own
// immediate, the immediate behind tevent_req_post() and
// tevent_req_defer_callback(), and the time-out timers of
// tevent_req_set_endtime().  After every operation the model and the real
// objects must agree on: the events seen (triggers and callbacks, in
// order), every request's state and error (tevent_req_is_error,
// tevent_req_is_in_progress), the queue's length and running flag, and
// whether the event context has anything scheduled.  C semantics the model
// relies on (checked against tevent 0.14's sources): a finished request
// keeps its queue entry until it is freed; tevent_req_received() cancels
// the post immediate; finishing a request disarms its time-out;
// tevent_queue_add_optimize_empty() triggers inside the call only on an
// empty running queue and for a request with no callback yet; the queue's
// immediate triggers its head whenever it runs on a running queue, even
// a head already triggered.

import { expect } from "chai";
import * as fc from "fast-check";
import {
  ECANCELED, tallocFree, tallocNew, teventAddTimer, teventContextInit, TeventContext, teventCreateImmediate,
  teventLoopOnce, teventLoopWait, TeventQueue, teventQueueAdd, teventQueueAddEntry, teventQueueAddOptimizeEmpty,
  teventQueueCreate, teventQueueEntryUntrigger, teventQueueLength, teventQueueRunning, teventQueueStart,
  teventQueueStop, teventQueueWaitSend, TeventReq, teventReqCancel, teventReqCreate, teventReqDeferCallback,
  teventReqDone, teventReqError, teventReqIsError, teventReqIsInProgress, teventReqPost, teventReqReceived,
  teventReqResetEndtime, teventReqSetCallback, teventReqSetCancelFn, teventReqSetEndtime, teventScheduleImmediate,
  teventTimevalZero, TEVENT_REQ_DONE, TEVENT_REQ_IN_PROGRESS, TEVENT_REQ_RECEIVED, TEVENT_REQ_TIMED_OUT,
  TEVENT_REQ_USER_ERROR,
} from "../../index";

export type Op =
  | { t: "add"; how: "add" | "entry" | "opt"; cbEarly: boolean; autodone: boolean; cancel: boolean }
  | { t: "wait" }
  | { t: "finish"; i: number; how: "done" | "error" | "cancel"; err: number }
  | { t: "free" | "received" | "post" | "endtime" | "reset" | "defer"; i: number }
  | { t: "stop" | "start" | "untrigger" | "noiseImm" | "noiseTimer" | "once" | "drain" | "requeue" };

export function opArb(): fc.Arbitrary<Op> {
  const i = fc.nat({ max: 31 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant("add" as const), how: fc.constantFrom("add" as const, "entry" as const, "opt" as const), cbEarly: fc.boolean(), autodone: fc.boolean(), cancel: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ t: "wait" as const }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant("finish" as const), i, how: fc.constantFrom("done" as const, "error" as const, "cancel" as const), err: fc.integer({ min: 1, max: 200 }) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constantFrom("free" as const, "received" as const, "post" as const, "endtime" as const, "reset" as const, "defer" as const), i }) },
    { weight: 2, arbitrary: fc.constantFrom({ t: "stop" as const }, { t: "start" as const }, { t: "untrigger" as const }, { t: "requeue" as const }) },
    { weight: 2, arbitrary: fc.constantFrom({ t: "noiseImm" as const }, { t: "noiseTimer" as const }) },
    { weight: 5, arbitrary: fc.constantFrom({ t: "once" as const }, { t: "once" as const }, { t: "drain" as const }) },
  );
}

interface Item {
  id: number;
  req: TeventReq;
  kind: "plain" | "autodone" | "wait";
  state: number;
  err: number;
  hasCancel: boolean;
  cbSet: boolean;
  deferred: boolean;
  inQueue: boolean;
  trig: boolean;
  freed: boolean;
  /* tevent_req_received() was called once: C has freed the post immediate,
   * so a later tevent_req_post() is a use after free (not generated) */
  wasReceived: boolean;
}

/* what the loop has scheduled, as the model sees it */
type Imm = { k: "queue" } | { k: "post"; item: Item } | { k: "noise"; n: number };
type Tmr = { k: "endtime"; item: Item } | { k: "noise"; n: number };

const FINISHED = [TEVENT_REQ_DONE, TEVENT_REQ_USER_ERROR, TEVENT_REQ_TIMED_OUT];

export interface ModelStats { ops: number; triggers: number; callbacks: number; loops: number }

/** Run one sequence of operations; throws (chai) at the first disagreement. */
export async function runModel(ops: Op[], stats: ModelStats): Promise<void> {
  const mem = tallocNew(null);
  const ev: TeventContext = teventContextInit(mem);
  let q: TeventQueue = teventQueueCreate(ev, "fuzz");
  const queueImm: Imm = { k: "queue" };
  let running = true;
  let queue: Item[] = [];
  const items: Item[] = [];
  let imm: Imm[] = [];
  let timers: Tmr[] = [];
  let noiseN = 0;
  const seen: string[] = [];
  const expected: string[] = [];

  const schedule = (x: Imm): void => { imm = imm.filter((y) => y !== x); imm.push(x); };
  const cancelPost = (it: Item): void => { imm = imm.filter((y) => !(y.k === "post" && y.item === it)); };
  const disarm = (it: Item): void => { timers = timers.filter((y) => !(y.k === "endtime" && y.item === it)); };
  const notify = (it: Item): void => {
    if (it.deferred) {
      it.deferred = false;
      cancelPost(it);
      imm.push({ k: "post", item: it });
    } else if (it.cbSet) {
      expected.push(`cb ${it.id}`);
    }
  };
  const finish = (it: Item, state: number, err = 0): void => {
    disarm(it);
    it.state = state;
    if (state === TEVENT_REQ_USER_ERROR) it.err = err;
    notify(it);
  };
  const maybeScheduleHead = (): void => {
    if (running && queue.length > 0 && !queue[0].trig) schedule(queueImm);
  };
  const triggerHead = (): void => {
    const head = queue[0];
    head.trig = true;
    if (head.kind !== "wait") expected.push(`trig ${head.id}`);
    if (head.kind !== "plain") finish(head, TEVENT_REQ_DONE);
  };
  /* one loop iteration of the model: one immediate, else one due timer */
  const step = (): void => {
    const x = imm.shift();
    if (x !== undefined) {
      if (x.k === "queue") {
        if (running && queue.length > 0) triggerHead();
      } else if (x.k === "post") {
        finish(x.item, x.item.state, x.item.err);
      }
      return;
    }
    const t = timers.shift();
    if (t !== undefined && t.k === "endtime") finish(t.item, TEVENT_REQ_TIMED_OUT);
  };

  const onTrigger = (_req: TeventReq, it: Item): void => {
    seen.push(`trig ${it.id}`);
    stats.triggers++;
    if (it.kind === "autodone") teventReqDone(it.req);
  };
  const onCallback = (req: TeventReq): void => {
    const it = items.find((x) => x.req === req) as Item;
    seen.push(`cb ${it.id}`);
    stats.callbacks++;
  };
  const pick = (i: number, ok: (it: Item) => boolean): Item | null => {
    const c = items.filter((it) => !it.freed && ok(it));
    return c.length === 0 ? null : c[i % c.length];
  };
  const newItem = (req: TeventReq, kind: Item["kind"]): Item => {
    const it: Item = {
      id: items.length, req, kind, state: TEVENT_REQ_IN_PROGRESS, err: 0, hasCancel: false, cbSet: false,
      deferred: false, inQueue: true, trig: false, freed: false, wasReceived: false,
    };
    items.push(it);
    return it;
  };

  const check = (label: string): void => {
    expect(seen, `${label}: events`).to.deep.equal(expected);
    seen.length = 0;
    expected.length = 0;
    for (const it of items) {
      if (it.freed) continue;
      const e = teventReqIsError(it.req);
      const want = it.state === TEVENT_REQ_DONE
        ? { ret: false, state: TEVENT_REQ_DONE, error: 0 }
        : { ret: true, state: it.state, error: it.state === TEVENT_REQ_USER_ERROR ? it.err : 0 };
      expect(e, `${label}: request ${it.id}`).to.deep.equal(want);
      expect(teventReqIsInProgress(it.req)).to.equal(it.state === TEVENT_REQ_IN_PROGRESS);
    }
    expect(teventQueueLength(q), `${label}: queue length`).to.equal(queue.length);
    expect(teventQueueRunning(q)).to.equal(running);
    expect(ev.imHead !== null, `${label}: immediates scheduled`).to.equal(imm.length > 0);
    expect(ev.teHead !== null, `${label}: timers scheduled`).to.equal(timers.length > 0);
  };

  for (let n = 0; n < ops.length; n++) {
    const op = ops[n];
    stats.ops++;
    switch (op.t) {
      case "add": {
        const req = teventReqCreate(mem, { op: n });
        const it = newItem(req, op.autodone ? "autodone" : "plain");
        if (op.cancel) {
          it.hasCancel = true;
          teventReqSetCancelFn(req, (r: TeventReq) => teventReqError(r, ECANCELED));
        }
        if (op.cbEarly) {
          teventReqSetCallback(req, onCallback, null);
          it.cbSet = true;
        }
        const wasEmpty = queue.length === 0;
        queue.push(it);
        /* the model first: a direct trigger happens inside the add */
        if (running && !queue[0].trig) {
          if (op.how === "opt" && wasEmpty && !op.cbEarly) triggerHead(); else schedule(queueImm);
        }
        if (op.how === "add") expect(teventQueueAdd(q, ev, req, onTrigger, it)).to.equal(true);
        else if (op.how === "entry") teventQueueAddEntry(q, ev, req, onTrigger, it);
        else teventQueueAddOptimizeEmpty(q, ev, req, onTrigger, it);
        if (!op.cbEarly) {
          teventReqSetCallback(req, onCallback, null);
          it.cbSet = true;
        }
        break;
      }
      case "wait": {
        const req = teventQueueWaitSend(mem, ev, q);
        const it = newItem(req, "wait");
        queue.push(it);
        if (running && !queue[0].trig) schedule(queueImm);
        teventReqSetCallback(req, onCallback, null);
        it.cbSet = true;
        break;
      }
      case "finish": {
        const it = pick(op.i, (x) => x.state === TEVENT_REQ_IN_PROGRESS);
        if (it === null) break;
        if (op.how === "done") {
          finish(it, TEVENT_REQ_DONE);
          teventReqDone(it.req);
        } else if (op.how === "error") {
          finish(it, TEVENT_REQ_USER_ERROR, op.err);
          expect(teventReqError(it.req, op.err)).to.equal(true);
        } else {
          if (it.hasCancel) finish(it, TEVENT_REQ_USER_ERROR, ECANCELED);
          expect(teventReqCancel(it.req)).to.equal(it.hasCancel);
        }
        break;
      }
      case "free": {
        const it = pick(op.i, () => true);
        if (it === null) break;
        it.freed = true;
        cancelPost(it);
        disarm(it);
        if (it.inQueue) {
          /* the entry's destructor: the (new) head is scheduled unless triggered */
          it.inQueue = false;
          queue = queue.filter((x) => x !== it);
          maybeScheduleHead();
        }
        expect(tallocFree(it.req)).to.equal(0);
        break;
      }
      case "received": {
        const it = pick(op.i, (x) => FINISHED.includes(x.state));
        if (it === null) break;
        cancelPost(it);
        it.state = TEVENT_REQ_RECEIVED;
        it.wasReceived = true;
        teventReqReceived(it.req);
        break;
      }
      case "post": {
        const it = pick(op.i, (x) => FINISHED.includes(x.state) && !x.wasReceived);
        if (it === null) break;
        cancelPost(it);
        imm.push({ k: "post", item: it });
        expect(teventReqPost(it.req, ev)).to.equal(it.req);
        break;
      }
      case "endtime": {
        const it = pick(op.i, (x) => x.state === TEVENT_REQ_IN_PROGRESS);
        if (it === null) break;
        disarm(it);
        timers.push({ k: "endtime", item: it });
        expect(teventReqSetEndtime(it.req, ev, teventTimevalZero())).to.equal(true);
        break;
      }
      case "reset": {
        const it = pick(op.i, (x) => x.state === TEVENT_REQ_IN_PROGRESS);
        if (it === null) break;
        disarm(it);
        teventReqResetEndtime(it.req);
        break;
      }
      case "defer": {
        const it = pick(op.i, (x) => x.state === TEVENT_REQ_IN_PROGRESS);
        if (it === null) break;
        it.deferred = true;
        teventReqDeferCallback(it.req, ev);
        break;
      }
      case "stop":
        running = false;
        teventQueueStop(q);
        break;
      case "start":
        if (!running) {
          running = true;
          maybeScheduleHead();
        }
        teventQueueStart(q);
        break;
      case "untrigger": {
        if (running || queue.length === 0) break;
        queue[0].trig = false;
        teventQueueEntryUntrigger(q.head!);
        break;
      }
      case "noiseImm": {
        const im = teventCreateImmediate(mem);
        imm.push({ k: "noise", n: noiseN++ });
        teventScheduleImmediate(im, ev, (_e, i) => { tallocFree(i); }, null);
        break;
      }
      case "noiseTimer":
        timers.push({ k: "noise", n: noiseN++ });
        teventAddTimer(ev, mem, teventTimevalZero(), () => undefined, null);
        break;
      case "once":
        if (imm.length + timers.length === 0) break;
        step();
        stats.loops++;
        expect(await teventLoopOnce(ev)).to.equal(0);
        break;
      case "drain":
        while (imm.length + timers.length > 0) {
          step();
          stats.loops++;
        }
        expect(await teventLoopWait(ev)).to.equal(0);
        break;
      case "requeue":
        /* the queue goes: its entries go (requests stay), its immediate too */
        for (const it of queue) it.inQueue = false;
        queue = [];
        imm = imm.filter((x) => x !== queueImm);
        expect(tallocFree(q)).to.equal(0);
        q = teventQueueCreate(ev, "fuzz");
        running = true;
        break;
    }
    check(`op ${n} ${JSON.stringify(op)}`);
  }
  /* the end: drain, free everything */
  while (imm.length + timers.length > 0) step();
  expect(await teventLoopWait(ev)).to.equal(0);
  check("final drain");
  for (const it of items) if (!it.freed) expect(tallocFree(it.req)).to.equal(0);
  expect(teventQueueLength(q)).to.equal(0);
  expect(tallocFree(mem)).to.equal(0);
}

/** The property: numRuns random sequences; resolves to the statistics. */
export async function fuzzTeventModel(numRuns: number, seed?: number, maxOps = 80): Promise<ModelStats & { runs: number }> {
  const stats: ModelStats & { runs: number } = { runs: 0, ops: 0, triggers: 0, callbacks: 0, loops: 0 };
  await fc.assert(fc.asyncProperty(fc.array(opArb(), { maxLength: maxOps, size: "max" }), async (ops) => {
    stats.runs++;
    await runModel(ops, stats);
  }), { numRuns, seed, includeErrorInReport: true });
  return stats;
}
