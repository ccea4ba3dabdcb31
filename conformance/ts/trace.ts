// Loop trace points and per-event trace callbacks: port of conformance/c/trace.c.
import {
  TEVENT_FD_READ, TEVENT_EVENT_TRACE_ATTACH,
  tallocNew, tallocFree,
  teventContextInit, teventCreateImmediate, teventScheduleImmediate, teventAddTimer,
  teventAddFd, teventAddSignal, teventUpdateTimer, teventFdSetFlags,
  teventTimevalZero, teventTimevalSet, teventTimevalCurrentOfs,
  teventSetTraceCallback, teventGetTraceCallback, teventSetTraceImmediateCallback,
  teventSetTraceTimerCallback, teventSetTraceFdCallback, teventSetTraceSignalCallback,
  teventSetTraceQueueCallback,
  teventReqCreate, teventReqSetCallback, teventReqDone, teventReqPost,
  teventQueueCreate, teventQueueAddEntry, teventQueueAddOptimizeEmpty,
} from "tevent-tsocket";
import type {
  TeventContext, TeventImmediate, TeventTimer, TeventFd, TeventSignal, TeventReq,
  TeventQueueEntry, Timeval,
} from "tevent-tsocket";
import {
  T, SECTION, regAuto, LABEL, nm, nmTrace, traceName, eventTraceName, loopOnce, loopWait, run,
  fifoPair, fdWrite, fdeRead, fdClose,
} from "./common.js";

const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SA_RESETHAND = 0x80000000;

function raise(signum: number): void {
  process.kill(process.pid, signum === SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
}

function loopTrace(p: number, pvt: unknown): void {
  T(`trace ${traceName(p)} pvt=${nm(pvt)}`);
}

function imTrace(im: TeventImmediate, p: number, _pvt: unknown): void {
  T(`trace_immediate ${nmTrace(im, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)}`);
}

function timerTrace(te: TeventTimer, p: number, _pvt: unknown): void {
  T(`trace_timer ${nmTrace(te, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)}`);
}

function fdTrace(fde: TeventFd, p: number, _pvt: unknown): void {
  T(`trace_fd ${nmTrace(fde, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)}`);
}

function signalTrace(se: TeventSignal, p: number, _pvt: unknown): void {
  T(`trace_signal ${nmTrace(se, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)}`);
}

function queueTrace(qe: TeventQueueEntry, p: number, _pvt: unknown): void {
  T(`trace_queue ${nmTrace(qe, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)}`);
}

function imHandler(_e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  T(`immediate ${nm(im)}`);
}

function timerHandler(_e: TeventContext, te: TeventTimer, _now: Timeval, _pvt: unknown): void {
  T(`timer ${nm(te)}`);
}

function fdHandler(_e: TeventContext, fde: TeventFd, flags: number, _pvt: unknown): void {
  T(`fd ${nm(fde)} flags=${flags} read=${fdeRead(fde, 8)}`);
}

function sigHandler(_e: TeventContext, se: TeventSignal, _signum: number, count: number,
                    _siginfo: unknown, _pvt: unknown): void {
  T(`signal ${nm(se)} count=${count}`);
}

function trigger(req: TeventReq, _pvt: unknown): void {
  T(`trigger ${nm(req)}`);
}

function reqCb(req: TeventReq): void {
  T(`cb ${nm(req)}`);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const im1 = teventCreateImmediate(mem);
  let im2 = teventCreateImmediate(mem);
  let t1: TeventTimer | null, t2: TeventTimer | null;
  let fde: TeventFd | null;
  let se: TeventSignal | null;
  let qe: TeventQueueEntry;
  let req: TeventReq;
  const p1 = tallocNew(mem);

  regAuto(im1, "im1");
  regAuto(im2, "im2");
  regAuto(p1, "p1");

  SECTION("loop trace points");
  teventSetTraceCallback(ev, loopTrace, p1);
  const got = teventGetTraceCallback(ev) as unknown as Record<string, unknown>;
  T(`get_trace_callback same=${got.cb === loopTrace ? 1 : 0} pvt=${nm(got.private_data ?? got.privateData)}`);
  teventScheduleImmediate(im1, ev, imHandler, null);
  LABEL("tz");
  t1 = teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null);
  regAuto(t1, "tz");
  LABEL(null);
  LABEL("t+20ms");
  t2 = teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 20000), timerHandler, null);
  regAuto(t2, "t+20ms");
  LABEL(null);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  const sv = fifoPair();
  LABEL("fd0");
  fde = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, sv[0]);
  regAuto(fde, "fd0");
  LABEL(null);
  fdWrite(sv[1], "a");
  await loopOnce(ev);
  tallocFree(fde);
  T("loop_wait on empty context:");
  await loopWait(ev);
  teventSetTraceCallback(ev, null, null);

  SECTION("immediate trace");
  teventSetTraceImmediateCallback(ev, imTrace, null);
  teventScheduleImmediate(im1, ev, imHandler, null);
  teventScheduleImmediate(im2, ev, imHandler, null);
  T("reschedule im1");
  teventScheduleImmediate(im1, ev, imHandler, null);
  await loopOnce(ev);
  T("cancel im1 with NULL handler");
  teventScheduleImmediate(im1, ev, null, null);
  T("free im2 (not scheduled)");
  tallocFree(im2);
  LABEL("im2");
  im2 = teventCreateImmediate(mem);
  regAuto(im2, "im2");
  LABEL(null);
  teventScheduleImmediate(im2, ev, imHandler, null);
  T("free im2 (scheduled)");
  tallocFree(im2);
  T("post a request");
  LABEL("req1");
  req = teventReqCreate(mem, {}, "void *");
  regAuto(req, "req1");
  LABEL(null);
  teventReqSetCallback(req, reqCb, null);
  teventReqDone(req);
  teventReqPost(req, ev);
  await loopOnce(ev);
  tallocFree(req);
  await loopWait(ev);
  teventSetTraceImmediateCallback(ev, null, null);

  SECTION("timer trace");
  teventSetTraceTimerCallback(ev, timerTrace, null);
  LABEL("t1");
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null);
  regAuto(t1, "t1");
  LABEL(null);
  LABEL("t2");
  t2 = teventAddTimer(ev, mem, teventTimevalSet(2, 0), timerHandler, null);
  regAuto(t2, "t2");
  LABEL(null);
  T("update t2");
  teventUpdateTimer(t2!, teventTimevalSet(0, 5));
  await loopOnce(ev);
  T("free t1");
  tallocFree(t1);
  await loopWait(ev);
  teventSetTraceTimerCallback(ev, null, null);

  SECTION("fd trace");
  teventSetTraceFdCallback(ev, fdTrace, null);
  LABEL("fd0");
  fde = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, sv[0]);
  regAuto(fde, "fd0");
  LABEL(null);
  fdWrite(sv[1], "b");
  await loopOnce(ev);
  T("set_flags 0");
  teventFdSetFlags(fde!, 0);
  T("free fd0");
  tallocFree(fde);
  teventSetTraceFdCallback(ev, null, null);

  SECTION("signal trace");
  teventSetTraceSignalCallback(ev, signalTrace, null);
  LABEL("se1");
  se = teventAddSignal(ev, mem, SIGUSR1, 0, sigHandler, null);
  regAuto(se, "se1");
  LABEL(null);
  raise(SIGUSR1);
  await loopOnce(ev);
  T("free se1");
  tallocFree(se);
  LABEL("se2");
  se = teventAddSignal(ev, mem, SIGUSR2, SA_RESETHAND, sigHandler, null);
  regAuto(se, "se2");
  LABEL(null);
  raise(SIGUSR2);
  await loopOnce(ev);
  teventSetTraceSignalCallback(ev, null, null);
  teventSetTraceImmediateCallback(ev, imTrace, null);
  await loopWait(ev);
  teventSetTraceImmediateCallback(ev, null, null);

  SECTION("queue trace");
  teventSetTraceQueueCallback(ev, queueTrace, null);
  teventSetTraceImmediateCallback(ev, imTrace, null);
  const q = teventQueueCreate(mem, "q");
  LABEL("req2");
  req = teventReqCreate(mem, {}, "void *");
  regAuto(req, "req2");
  LABEL(null);
  LABEL("qe2");
  qe = teventQueueAddEntry(q, ev, req, trigger, null);
  regAuto(qe, "qe2");
  LABEL(null);
  await loopOnce(ev);
  T("free req2");
  tallocFree(req);
  LABEL("req3");
  req = teventReqCreate(mem, {}, "void *");
  regAuto(req, "req3");
  LABEL(null);
  LABEL("qe3");
  qe = teventQueueAddOptimizeEmpty(q, ev, req, trigger, null);
  regAuto(qe, "qe3");
  LABEL(null);
  T("free qe3");
  tallocFree(qe);
  tallocFree(req);
  await loopWait(ev);
  teventSetTraceQueueCallback(ev, null, null);
  teventSetTraceImmediateCallback(ev, null, null);

  SECTION("end");
  fdClose(sv[0]);
  fdClose(sv[1]);
  tallocFree(mem);
}

run(main);
