// Event tags and the trace callback getters: port of conformance/c/tags.c.
import {
  TEVENT_FD_READ, TEVENT_EVENT_TRACE_ATTACH,
  tallocNew, tallocFree,
  teventContextInit, teventCreateImmediate, teventScheduleImmediate, teventAddTimer, teventUpdateTimer,
  teventAddFd, teventFdSetFlags, teventAddSignal, teventTimevalSet,
  teventTimerSetTag, teventTimerGetTag, teventImmediateSetTag, teventImmediateGetTag,
  teventFdSetTag, teventFdGetTag, teventSignalSetTag, teventSignalGetTag,
  teventQueueEntrySetTag, teventQueueEntryGetTag,
  teventGetTraceCallback, teventGetTraceFdCallback, teventGetTraceSignalCallback,
  teventGetTraceTimerCallback, teventGetTraceImmediateCallback, teventGetTraceQueueCallback,
  teventSetTraceFdCallback, teventSetTraceSignalCallback, teventSetTraceTimerCallback,
  teventSetTraceImmediateCallback, teventSetTraceQueueCallback,
  teventReqCreate, teventQueueCreate, teventQueueAddEntry,
} from "tevent-tsocket";
import type {
  TeventContext, TeventImmediate, TeventTimer, TeventFd, TeventSignal, TeventReq,
  TeventQueueEntry, Timeval,
} from "tevent-tsocket";
import {
  T, SECTION, regAuto, LABEL, nm, nmTrace, eventTraceName, loopOnce, loopWait, run,
  fifoPair, fdWrite, fdeRead, fdClose,
} from "./common.js";

const SIGUSR1 = 10;

function imTrace(im: TeventImmediate, p: number, _pvt: unknown): void {
  T(`trace_immediate ${nmTrace(im, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)} tag=${teventImmediateGetTag(im)}`);
}

function timerTrace(te: TeventTimer, p: number, _pvt: unknown): void {
  T(`trace_timer ${nmTrace(te, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)} tag=${teventTimerGetTag(te)}`);
}

function fdTrace(fde: TeventFd, p: number, _pvt: unknown): void {
  T(`trace_fd ${nmTrace(fde, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)} tag=${teventFdGetTag(fde)}`);
}

function signalTrace(se: TeventSignal, p: number, _pvt: unknown): void {
  T(`trace_signal ${nmTrace(se, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)} tag=${teventSignalGetTag(se)}`);
}

function queueTrace(qe: TeventQueueEntry, p: number, _pvt: unknown): void {
  T(`trace_queue ${nmTrace(qe, p === TEVENT_EVENT_TRACE_ATTACH)} ${eventTraceName(p)} tag=${teventQueueEntryGetTag(qe)}`);
}

function imHandler(_e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  T(`immediate ${nm(im)} tag=${teventImmediateGetTag(im)}`);
}

function timerHandler(_e: TeventContext, te: TeventTimer, _now: Timeval, _pvt: unknown): void {
  T(`timer ${nm(te)} tag=${teventTimerGetTag(te)}`);
}

function fdHandler(_e: TeventContext, fde: TeventFd, flags: number, _pvt: unknown): void {
  const tag = teventFdGetTag(fde);
  T(`fd ${nm(fde)} flags=${flags} tag=${tag} read=${fdeRead(fde, 8)}`);
}

function sigHandler(_e: TeventContext, se: TeventSignal, _signum: number, count: number,
                    _siginfo: unknown, _pvt: unknown): void {
  T(`signal ${nm(se)} count=${count} tag=${teventSignalGetTag(se)}`);
}

const qeBox: { qe: TeventQueueEntry | null } = { qe: null };

function trigger(req: TeventReq, pvt: unknown): void {
  const box = pvt as typeof qeBox;
  T(`trigger ${nm(req)} entry_tag=${teventQueueEntryGetTag(box.qe as TeventQueueEntry)}`);
}

function loopTraceDummy(_p: number, _pvt: unknown): void {
  // never installed: only compared with what the getter returns
}

function cbName(cb: unknown): string {
  return cb === null || cb === undefined ? "NULL" : "set";
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const p1 = tallocNew(mem);
  regAuto(p1, "p1");
  void loopTraceDummy;

  SECTION("trace callback getters");
  const g0 = teventGetTraceCallback(ev);
  T(`get_trace_callback (never set) cb=${cbName(g0.cb)} pvt=${nm(g0.private_data)}`);
  let g = teventGetTraceFdCallback(ev);
  T(`get_trace_fd_callback (never set) cb=${cbName(g.cb)} pvt=${nm(g.p_private_data)}`);
  let gs = teventGetTraceSignalCallback(ev);
  T(`get_trace_signal_callback (never set) cb=${cbName(gs.cb)} pvt=${nm(gs.p_private_data)}`);
  let gt = teventGetTraceTimerCallback(ev);
  T(`get_trace_timer_callback (never set) cb=${cbName(gt.cb)} pvt=${nm(gt.p_private_data)}`);
  let gi = teventGetTraceImmediateCallback(ev);
  T(`get_trace_immediate_callback (never set) cb=${cbName(gi.cb)} pvt=${nm(gi.p_private_data)}`);
  let gq = teventGetTraceQueueCallback(ev);
  T(`get_trace_queue_callback (never set) cb=${cbName(gq.cb)} pvt=${nm(gq.p_private_data)}`);

  teventSetTraceFdCallback(ev, fdTrace, p1);
  teventSetTraceSignalCallback(ev, signalTrace, p1);
  teventSetTraceTimerCallback(ev, timerTrace, p1);
  teventSetTraceImmediateCallback(ev, imTrace, p1);
  teventSetTraceQueueCallback(ev, queueTrace, p1);
  g = teventGetTraceFdCallback(ev);
  T(`get_trace_fd_callback same=${g.cb === fdTrace ? 1 : 0} pvt=${nm(g.p_private_data)}`);
  gs = teventGetTraceSignalCallback(ev);
  T(`get_trace_signal_callback same=${gs.cb === signalTrace ? 1 : 0} pvt=${nm(gs.p_private_data)}`);
  gt = teventGetTraceTimerCallback(ev);
  T(`get_trace_timer_callback same=${gt.cb === timerTrace ? 1 : 0} pvt=${nm(gt.p_private_data)}`);
  gi = teventGetTraceImmediateCallback(ev);
  T(`get_trace_immediate_callback same=${gi.cb === imTrace ? 1 : 0} pvt=${nm(gi.p_private_data)}`);
  gq = teventGetTraceQueueCallback(ev);
  T(`get_trace_queue_callback same=${gq.cb === queueTrace ? 1 : 0} pvt=${nm(gq.p_private_data)}`);

  T("set the fd and timer callbacks again with pvt NULL");
  teventSetTraceFdCallback(ev, fdTrace, null);
  teventSetTraceTimerCallback(ev, timerTrace, null);
  g = teventGetTraceFdCallback(ev);
  T(`get_trace_fd_callback same=${g.cb === fdTrace ? 1 : 0} pvt=${nm(g.p_private_data)}`);
  gt = teventGetTraceTimerCallback(ev);
  T(`get_trace_timer_callback same=${gt.cb === timerTrace ? 1 : 0} pvt=${nm(gt.p_private_data)}`);

  SECTION("timer tags");
  LABEL("t1");
  const t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null) as TeventTimer;
  regAuto(t1, "t1");
  LABEL(null);
  T(`t1 tag=${teventTimerGetTag(t1)}`);
  teventTimerSetTag(t1, 42);
  T(`t1 set 42: tag=${teventTimerGetTag(t1)}`);
  teventTimerSetTag(t1, 4294967297);
  T(`t1 set 4294967297: tag=${teventTimerGetTag(t1)}`);
  teventTimerSetTag(t1, 9007199254740991);
  T(`t1 set 2^53-1: tag=${teventTimerGetTag(t1)}`);
  T("update t1");
  teventUpdateTimer(t1, teventTimevalSet(0, 5));
  T(`t1 tag=${teventTimerGetTag(t1)}`);
  teventTimerSetTag(t1, 43);
  await loopOnce(ev);

  SECTION("immediate tags");
  let im1: TeventImmediate | null = teventCreateImmediate(mem);
  regAuto(im1, "im1");
  T(`im1 tag=${teventImmediateGetTag(im1)}`);
  teventImmediateSetTag(im1, 7);
  T(`im1 set 7 before scheduling: tag=${teventImmediateGetTag(im1)}`);
  teventScheduleImmediate(im1, ev, imHandler, null);
  T(`im1 scheduled: tag=${teventImmediateGetTag(im1)}`);
  await loopOnce(ev);
  T(`im1 after its handler: tag=${teventImmediateGetTag(im1)}`);
  teventImmediateSetTag(im1, 8);
  teventScheduleImmediate(im1, ev, imHandler, null);
  T("reschedule im1 while scheduled");
  teventScheduleImmediate(im1, ev, imHandler, null);
  T(`im1 tag=${teventImmediateGetTag(im1)}`);
  T("cancel im1 (NULL handler)");
  teventScheduleImmediate(im1, ev, null, null);
  T(`im1 cancelled: tag=${teventImmediateGetTag(im1)}`);
  teventScheduleImmediate(im1, ev, imHandler, null);
  await loopOnce(ev);
  T("free im1");
  tallocFree(im1);
  im1 = null;

  SECTION("fd tags");
  const sv = fifoPair();
  LABEL("fd0");
  const fde = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, sv[0]) as TeventFd;
  regAuto(fde, "fd0");
  LABEL(null);
  T(`fd0 tag=${teventFdGetTag(fde)}`);
  teventFdSetTag(fde, 9);
  T(`fd0 set 9: tag=${teventFdGetTag(fde)}`);
  fdWrite(sv[1], "a");
  await loopOnce(ev);
  teventFdSetFlags(fde, 0);
  T(`fd0 flags 0: tag=${teventFdGetTag(fde)}`);
  teventFdSetTag(fde, 10);
  T("free fd0");
  tallocFree(fde);

  SECTION("signal tags");
  teventSetTraceFdCallback(ev, null, null);
  LABEL("se1");
  const se = teventAddSignal(ev, mem, SIGUSR1, 0, sigHandler, null) as TeventSignal;
  regAuto(se, "se1");
  LABEL(null);
  T(`se1 tag=${teventSignalGetTag(se)}`);
  teventSignalSetTag(se, 11);
  T(`se1 set 11: tag=${teventSignalGetTag(se)}`);
  process.kill(process.pid, "SIGUSR1");
  await loopOnce(ev);
  teventSignalSetTag(se, 12);
  T("free se1");
  tallocFree(se);

  SECTION("queue entry tags");
  const q = teventQueueCreate(mem, "q");
  LABEL("req1");
  const req = teventReqCreate(mem, {});
  regAuto(req, "req1");
  LABEL(null);
  LABEL("qe1");
  const qe = teventQueueAddEntry(q, ev, req, trigger, qeBox) as TeventQueueEntry;
  qeBox.qe = qe;
  regAuto(qe, "qe1");
  LABEL(null);
  T(`qe1 tag=${teventQueueEntryGetTag(qe)}`);
  teventQueueEntrySetTag(qe, 13);
  T(`qe1 set 13: tag=${teventQueueEntryGetTag(qe)}`);
  await loopOnce(ev);
  teventQueueEntrySetTag(qe, 14);
  T("free req1");
  tallocFree(req);
  await loopWait(ev);

  SECTION("callbacks off");
  teventSetTraceFdCallback(ev, null, null);
  teventSetTraceSignalCallback(ev, null, null);
  teventSetTraceTimerCallback(ev, null, null);
  teventSetTraceImmediateCallback(ev, null, null);
  teventSetTraceQueueCallback(ev, null, null);
  g = teventGetTraceFdCallback(ev);
  T(`get_trace_fd_callback cb=${cbName(g.cb)} pvt=${nm(g.p_private_data)}`);
  gs = teventGetTraceSignalCallback(ev);
  T(`get_trace_signal_callback cb=${cbName(gs.cb)} pvt=${nm(gs.p_private_data)}`);
  gt = teventGetTraceTimerCallback(ev);
  T(`get_trace_timer_callback cb=${cbName(gt.cb)} pvt=${nm(gt.p_private_data)}`);
  gi = teventGetTraceImmediateCallback(ev);
  T(`get_trace_immediate_callback cb=${cbName(gi.cb)} pvt=${nm(gi.p_private_data)}`);
  gq = teventGetTraceQueueCallback(ev);
  T(`get_trace_queue_callback cb=${cbName(gq.cb)} pvt=${nm(gq.p_private_data)}`);

  SECTION("end");
  fdClose(sv[0]);
  fdClose(sv[1]);
  tallocFree(mem);
}

run(main);
