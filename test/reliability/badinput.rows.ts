// Bad input, one table (issue 8, item 4): for every exported function family,
// the bad inputs tried and the answer given.  One array of rows drives both
// the test (test/reliability/badinput.test.ts, one `it` per row) and the
// document (docs/reliability.md, printed by badinput.table.ts), so the two
// cannot drift apart.
//
// An answer is one of
//   - `ret(value, errno?)`: the call returns value (for an object: each field
//     listed equals the result's field; `errno` names the library errno read
//     with getErrno() right after the call);
//   - `req(value)`: the call returns the result of the matching _recv after the
//     request finished in the loop (errors delivered through the request);
//   - `throwsType()`: a documented programming error, a clear TypeError
//     (thrown at once, or the promise rejects with it);
//   - `throwsError()` / `rejects(name)`: documented Error / AbortError.
// A row may add `after`, a check that nothing was lost or corrupted (the
// object still works, the data is intact).

import { PassThrough } from "node:stream";
import * as index from "../../index";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  EADDRINUSE, EAFNOSUPPORT, EBADF, ENOTDIR, EPIPE, EBUSY, ECONNREFUSED, EINVAL, EMSGSIZE, ENAMETOOLONG, ENOENT, ENOMEM,
  ENOTCONN, EPROTO, ETIMEDOUT, errnoName, getErrno, setErrno, strerror, errnoFromName, errnoFromNodeError,
  tallocFree, tallocNew, tallocSteal, tallocMove, tallocReparent, tallocParent, tallocSetDestructor, tallocFreeChildren,
  tallocIsFreed, tallocTotalBlocks, tallocChildren, tallocSetName, tallocGetName, tallocPeekNode,
  teventNumSignals, teventTimevalCurrent, teventSignalSetTag, teventSignalGetTag, teventReqOom, teventReqResetEndtime,
  teventReqCallbackData, teventReqPollUnix, teventQueueAddOptimizeEmpty, teventQueueEntrySetTag,
  teventQueueEntryGetTag, tdgramContextData, tsocketSimpleIntRecv, tstreamReadvPduQueueRecv, tstreamTlsAcceptRecv,
  commsSessionSendResume, teventTimerSetTag, teventTimerGetTag, teventImmediateSetTag, teventImmediateGetTag,
  teventFdSetAutoClose, teventFdSetTag, teventFdGetTag, teventFdGetStream, teventReqDeferCallback,
  teventReqNotifyCallback, teventReqDefaultPrint, teventReqSetPrintFn, teventReqSetCancelFn, teventReqSetCleanupFn,
  tallocNode, tstreamContextData, teventReqStateName, fakePointer,
  TeventContext, teventContextInit, teventContextInitByname, teventBackendList, teventSignalSupport,
  teventLoopAllowNesting, teventLoopOnce, teventLoopWait, teventLoopUntil, teventSetAbortFn,
  teventTimevalCompare, teventTimevalSet, teventTimevalAdd, teventTimevalIsZero, teventTimevalUntil,
  teventTimevalCurrentOfs, teventTimevalZero, teventAddTimer, teventUpdateTimer, TeventTimer,
  teventCreateImmediate, teventScheduleImmediate, teventAddFd, teventFdGetFlags, teventFdSetFlags, teventFdRead,
  teventFdWrite, TeventFd, TEVENT_FD_READ, teventAddSignal, teventFdSetCloseFn,
  TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqPost, teventReqIsError, teventReqSetEndtime,
  teventReqSetCallback, teventReqData, teventReqPoll, teventReqCancel, teventReqNomem, teventReqReceived,
  teventReqIsInProgress, teventReqPrint, teventReqIsUnixError, teventReqSimpleRecvUnix,
  TEVENT_REQ_TIMED_OUT, TEVENT_REQ_USER_ERROR, TEVENT_REQ_NO_MEMORY, TEVENT_REQ_IN_PROGRESS,
  teventQueueCreate, teventQueueAdd, teventQueueAddEntry, teventQueueEntryUntrigger, teventQueueLength,
  teventQueueStart, teventQueueStop, teventQueueRunning, teventQueueWaitSend, teventQueueWaitRecv, TeventQueue,
  teventWakeupSend, teventWakeupRecv, teventSetTraceCallback, teventGetTraceCallback,
  TsocketAddress, tsocketAddressInetFromStrings, tsocketAddressInetFromHostportStrings, tsocketAddressUnixFromPath,
  tsocketAddressInetPort, tsocketAddressInetSetPort, tsocketAddressInetAddrString, tsocketAddressUnixPath,
  tsocketAddressIsInet, tsocketAddressIsUnix, tsocketAddressString, tsocketAddressCopy,
  tsocketAddressBsdFromSockaddr, tsocketAddressBsdSockaddr, tsocketAddressCreate,
  TstreamContext, tstreamContextCreate, tstreamPendingBytes, tstreamReadvSend, tstreamReadvRecv, tstreamWritevSend,
  tstreamWritevRecv, tstreamDisconnectSend, tstreamDisconnectRecv,
  TdgramContext, tdgramContextCreate, tdgramSendtoSend, tdgramSendtoRecv, tdgramRecvfromSend, tdgramRecvfromRecv,
  tdgramDisconnectSend, tdgramDisconnectRecv,
  tstreamReadvPduSend, tstreamReadvPduRecv, tstreamReadvPduQueueSend, tstreamWritevQueueSend, tstreamWritevQueueRecv,
  tdgramSendtoQueueSend, tdgramSendtoQueueRecv,
  tstreamBsdExistingSocket, tstreamBsdOptimizeReadv, tstreamInetTcpConnectSend, tstreamInetTcpConnectRecv,
  tstreamUnixConnectSend, tstreamUnixConnectRecv, tstreamUnixSocketpair,
  tdgramBsdOptimizeRecvfrom, tdgramInetUdpSocket, tdgramInetUdpBroadcastSocket, tdgramUnixSocket,
  tdgramBsdExistingSocket,
  tstreamInetTcpListen, tstreamUnixListen, tstreamListenerAddress, tstreamListenReadySend, tstreamListenReadyRecv,
  tstreamAcceptSend, tstreamAcceptRecv, TstreamListener,
  tlsVerifyPeerString, tstreamTlsParamsClient, tstreamTlsParamsServer, tstreamTlsParamsEnabled,
  tstreamTlsConnectSend, tstreamTlsConnectRecv, tstreamTlsAcceptSend, TLS_VERIFY_PEER_NO_CHECK,
  tstreamFromDuplex, tstreamToDuplex, errnoToNodeError,
  commsSessionCreate, commsSessionReceive, commsSessionReceiveRoom, commsSessionClose, commsSessionSendPause,
  tstreamConsumerSend, tstreamConsumerRecv,
  promises,
} from "../../index";
import { memstreamPair } from "../tsocket/memstream";
import { memdgramNetworkCreate, memdgramSocket } from "../tsocket/memdgram";

/* ------------------------------------------------------------------ */
/* fixtures                                                             */

/** What every row gets: a fresh event context and talloc context. */
export class Fx {
  readonly ev: TeventContext = teventContextInit(null);
  readonly mem: object = tallocNew(null);
  private tmp: string | null = null;
  private cleanups: (() => void)[] = [];

  /** an in-memory connected stream pair (children of mem) */
  pair(): { s1: TstreamContext; s2: TstreamContext } {
    const r = memstreamPair(this.mem, this.mem);
    return { s1: r.stream1 as TstreamContext, s2: r.stream2 as TstreamContext };
  }

  s1(): TstreamContext { return this.pair().s1; }

  inet(addr = "127.0.0.1", port = 0, fam = "ip"): TsocketAddress {
    const r = tsocketAddressInetFromStrings(this.mem, fam, addr, port);
    if (r.addr === null) throw new Error(`fixture inet ${addr}`);
    return r.addr;
  }

  unix(p: string): TsocketAddress {
    const r = tsocketAddressUnixFromPath(this.mem, p);
    if (r.addr === null) throw new Error(`fixture unix ${p}`);
    return r.addr;
  }

  /** a fresh 0700 directory removed at teardown */
  dir(): string {
    if (this.tmp === null) this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "badinput-"));
    return this.tmp;
  }

  /** two memdgram endpoints on one network: d1 bound to 10.0.0.1:1, d2 to 10.0.0.2:2 */
  dgrams(): { d1: TdgramContext; d2: TdgramContext; a2: TsocketAddress } {
    const net = memdgramNetworkCreate(this.mem);
    const a1 = this.inet("10.0.0.1", 1);
    const a2 = this.inet("10.0.0.2", 2);
    const d1 = memdgramSocket(net, a1, null, this.mem).dgram as TdgramContext;
    const d2 = memdgramSocket(net, a2, null, this.mem).dgram as TdgramContext;
    return { d1, d2, a2 };
  }

  req(): TeventReq { return teventReqCreate(this.mem, {}); }

  queue(): TeventQueue { return teventQueueCreate(this.mem, "q"); }

  freedEv(): TeventContext {
    const ev = teventContextInit(null);
    tallocFree(ev);
    return ev;
  }

  freed<T extends object>(o: T): T {
    tallocFree(o);
    return o;
  }

  onTeardown(fn: () => void): void { this.cleanups.push(fn); }

  /** Run the loop until req is no longer in progress; then the matching _recv. */
  async drive<R>(req: TeventReq, recv: (req: TeventReq) => R): Promise<R> {
    const ok = await teventReqPoll(req, this.ev);
    if (!ok && teventReqIsInProgress(req)) throw new Error("drive: poll failed with the request in progress");
    return recv(req);
  }

  teardown(): void {
    for (const fn of this.cleanups.splice(0).reverse()) fn();
    tallocFree(this.mem);
    tallocFree(this.ev);
    if (this.tmp !== null) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------ */
/* answers                                                              */

export type Expect =
  | { kind: "ret"; value: unknown; errno?: number }
  | { kind: "req"; value: unknown }
  | { kind: "throwsType" }
  | { kind: "throwsError" }
  | { kind: "rejects"; name: string };

export const ret = (value: unknown, errno?: number): Expect => ({ kind: "ret", value, errno });
export const req = (value: unknown): Expect => ({ kind: "req", value });
export const throwsType = (): Expect => ({ kind: "throwsType" });
export const throwsError = (): Expect => ({ kind: "throwsError" });
export const rejects = (name: string): Expect => ({ kind: "rejects", name });

export interface Row {
  /** the exported function(s) the row calls with bad input */
  fn: string;
  /** the bad input, in words */
  input: string;
  /** the call; may be async (a request driven through the loop) */
  call: (fx: Fx) => unknown;
  expect: Expect;
  /** nothing lost or corrupted: a check run after the call (optional) */
  after?: (fx: Fx, result: unknown) => unknown;
  /** what `after` checks, in words (for the table) */
  afterText?: string;
}

/* ------------------------------------------------------------------ */
/* shared helpers for rows                                              */

const B = (s: string): Uint8Array => Buffer.from(s);
const NOFN = "not a function" as unknown as () => void;
const h = (): void => undefined;
const tv0 = { tv_sec: 0, tv_usec: 0 };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const bad = (v: unknown): any => v;
const fakeStream = bad({}) as TstreamContext;
const fakeDgram = bad({}) as TdgramContext;
const fakeEv = bad({}) as TeventContext;
const fakeReq = bad({}) as TeventReq;
const fakeAddr = bad({}) as TsocketAddress;
const fakeQueue = bad({}) as TeventQueue;

/** After a refused readv/writev, the pair still moves bytes both ways intact. */
async function pairStillWorks(fx: Fx, s1: TstreamContext, s2: TstreamContext): Promise<void> {
  const w = await fx.drive(tstreamWritevSend(fx.mem, fx.ev, s1, [B("ok!")], 1), tstreamWritevRecv);
  const buf = new Uint8Array(3);
  const r = await fx.drive(tstreamReadvSend(fx.mem, fx.ev, s2, [buf], 1), tstreamReadvRecv);
  if (w.ret !== 3 || r.ret !== 3 || Buffer.from(buf).toString() !== "ok!") {
    throw new Error(`stream corrupted after bad input: ${JSON.stringify({ w, r })}`);
  }
}
const STILL_WORKS = "the stream pair then moves 3 bytes intact";

function stillWorksAfter(call: (fx: Fx, s1: TstreamContext) => unknown) {
  return {
    call: (fx: Fx) => {
      const { s1, s2 } = fx.pair();
      (fx as unknown as { _p: unknown })._p = { s1, s2 };
      return call(fx, s1);
    },
    after: (fx: Fx) => {
      const p = (fx as unknown as { _p: { s1: TstreamContext; s2: TstreamContext } })._p;
      return pairStillWorks(fx, p.s1, p.s2);
    },
    afterText: STILL_WORKS,
  };
}

/** A sockaddr_in for 127.0.0.1:port in the Linux layout. */
function sin(port: number, len = 16): Uint8Array {
  const b = new Uint8Array(len);
  b[0] = 2; b[1] = 0; b[2] = port >> 8; b[3] = port & 0xff; b[4] = 127; b[7] = 1;
  return b;
}

/* a req that stays in progress; an immediate finishes it as done */
function pendingReq(fx: Fx): TeventReq {
  return fx.req();
}

const traceFns = index as unknown as Record<string, unknown>;

/* ------------------------------------------------------------------ */
/* the rows                                                             */

export const rows: Row[] = [];
const add = (r: Row): void => { rows.push(r); };

/* ---- talloc ---- */
add({ fn: "tallocNew", input: "parent a number (not an object)", call: () => tallocNew(bad(5)), expect: throwsType() });
add({ fn: "tallocFree", input: "null", call: () => tallocFree(null), expect: ret(-1) });
add({ fn: "tallocFree", input: "an object freed before (double free)", call: (fx) => tallocFree(fx.freed(tallocNew(fx.mem))), expect: ret(-1, EINVAL) });
add({ fn: "tallocFree", input: "a destructor that refuses (returns -1)", call: (fx) => {
  const o = tallocNew(fx.mem);
  tallocSetDestructor(o, () => -1);
  const r = tallocFree(o);
  tallocSetDestructor(o, null);
  return { r, freed: tallocIsFreed(o) };
}, expect: ret({ r: -1, freed: false }) });
add({ fn: "tallocSteal", input: "ptr null", call: (fx) => tallocSteal(fx.mem, null), expect: ret(null) });
add({ fn: "tallocReparent", input: "oldParent that is not ptr's parent", call: (fx) => {
  const a = tallocNew(fx.mem); const b = tallocNew(fx.mem); const c = tallocNew(a);
  return { r: tallocReparent(b, fx.mem, c), parentKept: tallocParent(c) === a };
}, expect: ret({ r: null, parentKept: true }) });
add({ fn: "tallocParent", input: "null", call: () => tallocParent(null), expect: ret(null) });
add({ fn: "tallocParent", input: "a number", call: () => tallocParent(5), expect: ret(null) });
add({ fn: "tallocSetDestructor", input: "fn a string", call: (fx) => tallocSetDestructor(tallocNew(fx.mem), bad(NOFN)), expect: throwsType() });
add({ fn: "tallocTotalBlocks", input: "null", call: () => tallocTotalBlocks(null), expect: ret(0) });
add({ fn: "tallocFreeChildren", input: "null", call: () => tallocFreeChildren(null), expect: ret(undefined) });
add({ fn: "tallocChildren", input: "a freed object", call: (fx) => tallocChildren(fx.freed(tallocNew(fx.mem))), expect: ret([]) });
add({ fn: "tallocIsFreed", input: "a number", call: () => tallocIsFreed(5), expect: ret(false) });
add({ fn: "tallocMove", input: "ptr null", call: (fx) => tallocMove(fx.mem, null), expect: ret(null) });
add({ fn: "tallocSetName", input: "ptr a number", call: () => tallocSetName(bad(5), "x"), expect: throwsType() });
add({ fn: "tallocSetName", input: "name a number", call: (fx) => tallocSetName(tallocNew(fx.mem), bad(5)), expect: throwsType() });
add({ fn: "tallocGetName", input: "null (C dereferences it)", call: () => tallocGetName(null), expect: ret("UNNAMED") });

add({ fn: "tallocPeekNode", input: "a number (never a talloc object)", call: () => tallocPeekNode(bad(5)), expect: ret(null) });

add({ fn: "tallocNode", input: "a number", call: () => tallocNode(bad(5)), expect: throwsType() });

/* ---- errno helpers ---- */
add({ fn: "setErrno", input: "a string", call: () => { setErrno(EPROTO); try { setErrno(bad("5")); } finally { /* errno kept */ } }, expect: throwsType(), after: () => { if (getErrno() !== EPROTO) throw new Error(`errno changed to ${getErrno()}`); }, afterText: "errno keeps its previous value" });
add({ fn: "setErrno", input: "1.5", call: () => setErrno(1.5), expect: throwsType() });
add({ fn: "strerror", input: "an unknown number (99999)", call: () => strerror(99999), expect: ret("Unknown error 99999") });
add({ fn: "strerror", input: "negative (-1)", call: () => strerror(-1), expect: ret("Unknown error -1") });
add({ fn: "errnoName", input: "an unknown number (99999)", call: () => errnoName(99999), expect: ret("99999") });
add({ fn: "errnoFromName", input: "an unknown name", call: () => errnoFromName("ENOSUCHTHING"), expect: ret(0) });
add({ fn: "errnoFromNodeError", input: "null, with a fallback", call: () => errnoFromNodeError(null, EPROTO), expect: ret(EPROTO) });
add({ fn: "getErrno", input: "after a call refused with a TypeError (a programming error sets no errno)", call: () => {
  setErrno(EPROTO);
  try { teventQueueCreate(null, bad(5)); } catch { /* the TypeError */ }
  return getErrno();
}, expect: ret(EPROTO) });

/* ---- tevent context and loop ---- */
add({ fn: "teventContextInit", input: "memCtx a number", call: () => teventContextInit(bad(5)), expect: throwsType() });
add({ fn: "teventContextInitByname", input: "an unknown backend name", call: () => teventContextInitByname(null, "nosuch"), expect: ret(null) });
add({ fn: "teventContextInitByname", input: "an empty name", call: () => teventContextInitByname(null, ""), expect: ret(null) });
add({ fn: "teventLoopOnce", input: "ev not a TeventContext", call: () => teventLoopOnce(fakeEv), expect: throwsType() });
add({ fn: "teventLoopOnce", input: "a freed event context", call: (fx) => teventLoopOnce(fx.freedEv()), expect: ret(-1, EINVAL) });
add({ fn: "teventLoopOnce", input: "nested: called from inside a handler", call: async (fx) => {
  let inner: unknown = null;
  teventAddTimer(fx.ev, fx.mem, tv0, (ev) => { inner = teventLoopOnce(ev); }, null);
  const outer = await teventLoopOnce(fx.ev);
  return { outer, inner: await (inner as Promise<number>), errno: getErrno() };
}, expect: ret({ outer: 0, inner: -1, errno: 40 /* ELOOP */ }) });
add({ fn: "teventLoopWait", input: "ev not a TeventContext", call: () => teventLoopWait(fakeEv), expect: throwsType() });
add({ fn: "teventLoopWait", input: "a context with no events at all", call: (fx) => teventLoopWait(fx.ev), expect: ret(0) });
add({ fn: "teventLoopUntil", input: "finished not a function", call: (fx) => teventLoopUntil(fx.ev, bad(NOFN), null), expect: throwsType() });
add({ fn: "teventSignalSupport", input: "ev not a TeventContext", call: () => teventSignalSupport(fakeEv), expect: throwsType() });
add({ fn: "teventBackendList", input: "memCtx a number", call: () => teventBackendList(bad(5)), expect: throwsType() });
add({ fn: "teventSetTraceCallback", input: "cb a string", call: (fx) => teventSetTraceCallback(fx.ev, bad(NOFN)), expect: throwsType() });
add({ fn: "teventGetTraceCallback", input: "ev not a TeventContext", call: () => teventGetTraceCallback(fakeEv), expect: throwsType() });

add({ fn: "teventNumSignals", input: "an argument (C takes none): ignored", call: () => (teventNumSignals as (x: unknown) => number)(5), expect: ret(68) });
for (const k of ["Fd", "Signal", "Timer", "Immediate", "Queue"] as const) {
  add({ fn: `teventSetTrace${k}Callback`, input: "cb a string", call: (fx) => (traceFns[`teventSetTrace${k}Callback`] as (ev: unknown, cb: unknown) => void)(fx.ev, NOFN), expect: throwsType() });
  add({ fn: `teventGetTrace${k}Callback`, input: "ev a plain object", call: () => (traceFns[`teventGetTrace${k}Callback`] as (ev: unknown) => unknown)(fakeEv), expect: throwsType() });
}

/* ---- timevals and timers ---- */
add({ fn: "teventTimevalCompare", input: "tv1 null", call: () => teventTimevalCompare(bad(null), tv0), expect: throwsType() });
add({ fn: "teventTimevalIsZero", input: "undefined", call: () => teventTimevalIsZero(bad(undefined)), expect: throwsType() });
add({ fn: "teventTimevalAdd", input: "usecs 2500000 (more than a second)", call: () => teventTimevalAdd({ tv_sec: 1, tv_usec: 0 }, 0, 2500000), expect: ret({ tv_sec: 3, tv_usec: 500000 }) });
add({ fn: "teventTimevalUntil", input: "tv2 before tv1", call: () => teventTimevalUntil({ tv_sec: 5, tv_usec: 0 }, { tv_sec: 1, tv_usec: 0 }), expect: ret({ tv_sec: 0, tv_usec: 0 }) });
add({ fn: "teventTimevalSet", input: "negative seconds (C takes uint32_t: wraps)", call: () => teventTimevalSet(-1, 0), expect: ret({ tv_sec: 4294967295, tv_usec: 0 }) });
add({ fn: "teventAddTimer", input: "ev not a TeventContext", call: (fx) => teventAddTimer(fakeEv, fx.mem, tv0, h, null), expect: throwsType() });
add({ fn: "teventAddTimer", input: "nextEvent null", call: (fx) => teventAddTimer(fx.ev, fx.mem, bad(null), h, null), expect: throwsType() });
add({ fn: "teventAddTimer", input: "handler a string", call: (fx) => teventAddTimer(fx.ev, fx.mem, tv0, bad(NOFN), null), expect: throwsType() });
add({ fn: "teventAddTimer", input: "a time long past (zero timeval): fires on the next loop", call: async (fx) => {
  let fired = 0;
  teventAddTimer(fx.ev, fx.mem, tv0, () => { fired++; }, null);
  await teventLoopOnce(fx.ev);
  return fired;
}, expect: ret(1) });
add({ fn: "teventUpdateTimer", input: "te not a TeventTimer", call: () => teventUpdateTimer(bad({}), tv0), expect: throwsType() });
add({ fn: "teventUpdateTimer", input: "a freed timer (does not come back)", call: async (fx) => {
  let fired = 0;
  const te = teventAddTimer(fx.ev, fx.mem, teventTimevalCurrentOfs(100, 0), () => { fired++; }, null) as TeventTimer;
  tallocFree(te);
  teventUpdateTimer(te, tv0);
  const r = await teventLoopWait(fx.ev);
  return { fired, r };
}, expect: ret({ fired: 0 }) });

add({ fn: "teventTimevalZero", input: "an argument (C takes none): ignored", call: () => (teventTimevalZero as (x: unknown) => unknown)(5), expect: ret({ tv_sec: 0, tv_usec: 0 }) });
add({ fn: "teventTimevalCurrent", input: "an argument (C takes none): ignored", call: () => {
  const tv = (teventTimevalCurrent as (x: unknown) => { tv_sec: number; tv_usec: number })(5);
  return Math.abs(tv.tv_sec - Math.floor(Date.now() / 1000)) <= 1 && tv.tv_usec >= 0 && tv.tv_usec < 1000000;
}, expect: ret(true) });
add({ fn: "teventTimevalCurrentOfs", input: "secs -1, usecs -1 (C takes uint32_t: both wrap)", call: () => {
  const now = Math.floor(Date.now() / 1000);
  const tv = teventTimevalCurrentOfs(-1, -1);
  /* 4294967295 s, plus 4294967295 us = 4294.967295 s */
  const d = tv.tv_sec - now - 4294967295;
  return d >= 4294 && d <= 4296;
}, expect: ret(true) });

add({ fn: "teventTimevalCurrentOfs", input: "secs a string", call: () => teventTimevalCurrentOfs(bad("1"), 0), expect: throwsType() });
add({ fn: "teventAddTimer", input: "a freed event context", call: (fx) => teventAddTimer(fx.freedEv(), null, tv0, h, null), expect: ret(null, EBADF) });
add({ fn: "teventTimerSetTag", input: "te a plain object", call: () => teventTimerSetTag(bad({}), 1), expect: throwsType() });
add({ fn: "teventTimerSetTag", input: "tag a string", call: (fx) => teventTimerSetTag(teventAddTimer(fx.ev, fx.mem, teventTimevalCurrentOfs(60, 0), h, null) as TeventTimer, bad("1")), expect: throwsType() });
add({ fn: "teventTimerGetTag", input: "te null", call: () => teventTimerGetTag(bad(null)), expect: throwsType() });

/* ---- immediates ---- */
add({ fn: "teventCreateImmediate", input: "memCtx a number", call: () => teventCreateImmediate(bad(5)), expect: throwsType() });
add({ fn: "teventScheduleImmediate", input: "im not a TeventImmediate", call: (fx) => teventScheduleImmediate(bad({}), fx.ev, h), expect: throwsType() });
add({ fn: "teventScheduleImmediate", input: "ev not a TeventContext", call: (fx) => teventScheduleImmediate(teventCreateImmediate(fx.mem), fakeEv, h), expect: throwsType() });
add({ fn: "teventScheduleImmediate", input: "handler null (cancels a scheduled immediate)", call: async (fx) => {
  let fired = 0;
  const im = teventCreateImmediate(fx.mem);
  teventScheduleImmediate(im, fx.ev, () => { fired++; });
  teventScheduleImmediate(im, fx.ev, null);
  await teventLoopWait(fx.ev);
  return fired;
}, expect: ret(0) });
add({ fn: "teventScheduleImmediate", input: "handler a string", call: (fx) => teventScheduleImmediate(teventCreateImmediate(fx.mem), fx.ev, bad(NOFN)), expect: throwsType() });
add({ fn: "teventScheduleImmediate", input: "an immediate already freed: not scheduled", call: async (fx) => {
  let fired = 0;
  const im = fx.freed(teventCreateImmediate(fx.mem));
  teventScheduleImmediate(im, fx.ev, () => { fired++; });
  await teventLoopWait(fx.ev);
  return fired;
}, expect: ret(0) });
add({ fn: "teventImmediateSetTag", input: "im a plain object", call: () => teventImmediateSetTag(bad({}), 1), expect: throwsType() });
add({ fn: "teventImmediateGetTag", input: "im null", call: () => teventImmediateGetTag(bad(null)), expect: throwsType() });

/* ---- fd events ---- */
add({ fn: "teventAddFd", input: "fd -1", call: (fx) => teventAddFd(fx.ev, fx.mem, -1, TEVENT_FD_READ, h, null), expect: ret(null, EBADF) });
add({ fn: "teventAddFd", input: "fd 99999 (not open)", call: (fx) => teventAddFd(fx.ev, fx.mem, 99999, TEVENT_FD_READ, h, null), expect: ret(null, EBADF) });
add({ fn: "teventAddFd", input: "fd 1.5 (fractional)", call: (fx) => teventAddFd(fx.ev, fx.mem, 1.5, TEVENT_FD_READ, h, null), expect: ret(null, EBADF) });
add({ fn: "teventAddFd", input: "fd a string", call: (fx) => teventAddFd(fx.ev, fx.mem, bad("0"), TEVENT_FD_READ, h, null), expect: throwsType() });
add({ fn: "teventAddFd", input: "handler a string", call: (fx) => teventAddFd(fx.ev, fx.mem, new PassThrough(), TEVENT_FD_READ, bad(NOFN), null), expect: throwsType() });
add({ fn: "teventAddFd", input: "ev not a TeventContext", call: (fx) => teventAddFd(fakeEv, fx.mem, new PassThrough(), TEVENT_FD_READ, h, null), expect: throwsType() });
add({ fn: "teventFdGetFlags", input: "fde null", call: () => teventFdGetFlags(null), expect: ret(0) });
add({ fn: "teventFdSetFlags", input: "fde null", call: () => teventFdSetFlags(null, TEVENT_FD_READ), expect: ret(undefined) });
add({ fn: "teventFdRead", input: "fde not a TeventFd", call: () => teventFdRead(bad({}), new Uint8Array(1), 1), expect: throwsType() });
add({ fn: "teventFdRead", input: "count 0 (zero length)", call: (fx) => {
  const fde = teventAddFd(fx.ev, fx.mem, new PassThrough(), 0, h, null) as TeventFd;
  return teventFdRead(fde, new Uint8Array(4), 0);
}, expect: ret(0) });
add({ fn: "teventFdRead", input: "count larger than buf", call: (fx) => {
  const fde = teventAddFd(fx.ev, fx.mem, new PassThrough(), 0, h, null) as TeventFd;
  return teventFdRead(fde, new Uint8Array(4), 8);
}, expect: ret(-1, EINVAL) });
add({ fn: "teventFdRead", input: "a freed fd event", call: (fx) => {
  const fde = teventAddFd(fx.ev, fx.mem, new PassThrough(), 0, h, null) as TeventFd;
  tallocFree(fde);
  return teventFdRead(fde, new Uint8Array(4), 4);
}, expect: ret(-1, EBADF) });
add({ fn: "teventFdWrite", input: "count 0 (zero length)", call: (fx) => {
  const fde = teventAddFd(fx.ev, fx.mem, new PassThrough(), 0, h, null) as TeventFd;
  return teventFdWrite(fde, new Uint8Array(4), 0);
}, expect: ret(0) });
add({ fn: "teventFdWrite", input: "a freed fd event", call: (fx) => {
  const fde = teventAddFd(fx.ev, fx.mem, new PassThrough(), 0, h, null) as TeventFd;
  tallocFree(fde);
  return teventFdWrite(fde, B("x"), 1);
}, expect: ret(-1, EBADF) });
add({ fn: "teventFdSetCloseFn", input: "fde not a TeventFd", call: () => teventFdSetCloseFn(bad({}), null), expect: throwsType() });
add({ fn: "teventFdSetCloseFn", input: "closeFn a string", call: (fx) => {
  const fde = teventAddFd(fx.ev, fx.mem, new PassThrough(), TEVENT_FD_READ, h, null) as TeventFd;
  (fx as unknown as { _fde: TeventFd })._fde = fde;
  return teventFdSetCloseFn(fde, bad(NOFN));
}, expect: throwsType(), after: (fx) => {
  /* the fd event is still freeable: the refused closeFn was not kept */
  const r = tallocFree((fx as unknown as { _fde: TeventFd })._fde);
  if (r !== 0) throw new Error(`tallocFree gave ${r}`);
}, afterText: "the fd event frees cleanly (returns 0)" });
add({ fn: "teventFdWrite", input: "fde not a TeventFd", call: () => teventFdWrite(bad(null), B("x"), 1), expect: throwsType() });
add({ fn: "teventFdSetAutoClose", input: "fde a plain object", call: () => teventFdSetAutoClose(bad({})), expect: throwsType() });
add({ fn: "teventFdSetTag", input: "fde null", call: () => teventFdSetTag(bad(null), 1), expect: throwsType() });
add({ fn: "teventFdGetTag", input: "fde null", call: () => teventFdGetTag(bad(null)), expect: throwsType() });
add({ fn: "teventFdGetStream", input: "fde a plain object", call: () => teventFdGetStream(bad({})), expect: throwsType() });

/* ---- signals ---- */
for (const [signum, what] of [[0, "0"], [-1, "-1"], [9, "SIGKILL (9)"], [19, "SIGSTOP (19)"], [40, "a real-time signal (40)"], [65, "65 (beyond NSIG)"], [1.5, "1.5 (fractional)"]] as [number, string][]) {
  add({ fn: "teventAddSignal", input: `signum ${what}`, call: (fx) => teventAddSignal(fx.ev, fx.mem, signum, 0, h, null), expect: ret(null, EINVAL) });
}
add({ fn: "teventAddSignal", input: "handler a string", call: (fx) => teventAddSignal(fx.ev, fx.mem, 10, 0, bad(NOFN), null), expect: throwsType() });
add({ fn: "teventAddSignal", input: "ev not a TeventContext", call: (fx) => teventAddSignal(fakeEv, fx.mem, 10, 0, h, null), expect: throwsType() });

add({ fn: "teventSignalSetTag", input: "se null", call: () => teventSignalSetTag(bad(null), 1), expect: throwsType() });
add({ fn: "teventSignalGetTag", input: "se a plain object", call: () => teventSignalGetTag(bad({})), expect: throwsType() });

/* ---- requests ---- */
add({ fn: "teventReqDone", input: "req not a TeventReq", call: () => teventReqDone(fakeReq), expect: throwsType() });
add({ fn: "teventReqError", input: "error 0 (not an error)", call: (fx) => {
  const r = fx.req();
  return { ret: teventReqError(r, 0), inProgress: teventReqIsInProgress(r) };
}, expect: ret({ ret: false, inProgress: true }) });
add({ fn: "teventReqError", input: "req not a TeventReq", call: () => teventReqError(fakeReq, EINVAL), expect: throwsType() });
add({ fn: "teventReqIsError", input: "a request still in progress", call: (fx) => teventReqIsError(fx.req()), expect: ret({ ret: true, state: TEVENT_REQ_IN_PROGRESS }) });
add({ fn: "teventReqIsError", input: "req a plain object", call: () => teventReqIsError(fakeReq), expect: throwsType() });
add({ fn: "teventReqSetEndtime", input: "endtime null", call: (fx) => teventReqSetEndtime(fx.req(), fx.ev, bad(null)), expect: throwsType() });
add({ fn: "teventReqSetEndtime", input: "an endtime already past: TIMED_OUT from the loop", call: async (fx) => {
  const r = fx.req();
  teventReqSetEndtime(r, fx.ev, tv0);
  await teventReqPoll(r, fx.ev);
  const e = teventReqIsError(r);
  return { state: e.state, unix: teventReqSimpleRecvUnix(r) };
}, expect: ret({ state: TEVENT_REQ_TIMED_OUT, unix: ETIMEDOUT }) });
add({ fn: "teventReqSetCallback", input: "fn a string", call: (fx) => teventReqSetCallback(fx.req(), bad(NOFN)), expect: throwsType() });
add({ fn: "teventReqData", input: "req a plain object", call: () => teventReqData(fakeReq), expect: throwsType() });
add({ fn: "teventReqPoll", input: "ev not a TeventContext", call: (fx) => teventReqPoll(fx.req(), fakeEv), expect: throwsType() });
add({ fn: "teventReqCancel", input: "a request without a cancel function", call: (fx) => teventReqCancel(fx.req()), expect: ret(false) });
add({ fn: "teventReqNomem", input: "p null: the request fails with NO_MEMORY", call: (fx) => {
  const r = fx.req();
  const x = teventReqNomem(null, r);
  return { x, state: teventReqIsError(r).state, unix: teventReqIsUnixError(r).perrno };
}, expect: ret({ x: true, state: TEVENT_REQ_NO_MEMORY, unix: ENOMEM }) });
add({ fn: "teventReqReceived", input: "called twice", call: (fx) => {
  const r = fx.req(); teventReqDone(r); teventReqReceived(r); teventReqReceived(r);
  return teventReqIsError(r).ret;
}, expect: ret(true) });
add({ fn: "teventReqSimpleRecvUnix", input: "a request still in progress", call: (fx) => teventReqSimpleRecvUnix(fx.req()), expect: ret(EINVAL) });
add({ fn: "teventReqPrint", input: "req null", call: (fx) => teventReqPrint(fx.mem, null), expect: ret("tevent_req[NULL]") });
add({ fn: "teventReqCreate", input: "memCtx a number", call: () => teventReqCreate(bad(5), {}), expect: throwsType() });
add({ fn: "teventReqOom", input: "req a plain object", call: () => teventReqOom(fakeReq), expect: throwsType() });
add({ fn: "teventReqIsInProgress", input: "req null", call: () => teventReqIsInProgress(bad(null)), expect: throwsType() });
add({ fn: "teventReqResetEndtime", input: "req a plain object", call: () => teventReqResetEndtime(fakeReq), expect: throwsType() });
add({ fn: "teventReqCallbackData", input: "req a plain object", call: () => teventReqCallbackData(fakeReq), expect: throwsType() });
add({ fn: "teventReqIsUnixError", input: "req a plain object", call: () => teventReqIsUnixError(fakeReq), expect: throwsType() });
add({ fn: "teventReqPollUnix", input: "ev not a TeventContext", call: (fx) => teventReqPollUnix(fx.req(), fakeEv), expect: throwsType() });

add({ fn: "teventReqStateName", input: "an unknown state (99)", call: () => teventReqStateName(99), expect: ret("99") });
add({ fn: "fakePointer", input: "a number (what print functions show for %p)", call: () => fakePointer(bad(5)), expect: throwsType() });
add({ fn: "teventReqPost", input: "ev not a TeventContext", call: (fx) => teventReqPost(fx.req(), fakeEv), expect: throwsType() });
add({ fn: "teventReqDeferCallback", input: "ev not a TeventContext", call: (fx) => teventReqDeferCallback(fx.req(), fakeEv), expect: throwsType() });
add({ fn: "teventReqNotifyCallback", input: "req a plain object", call: () => teventReqNotifyCallback(fakeReq), expect: throwsType() });
add({ fn: "teventReqDefaultPrint", input: "req a plain object", call: (fx) => teventReqDefaultPrint(fakeReq, fx.mem), expect: throwsType() });
for (const [fn, set] of [["teventReqSetPrintFn", teventReqSetPrintFn], ["teventReqSetCancelFn", teventReqSetCancelFn],
  ["teventReqSetCleanupFn", teventReqSetCleanupFn]] as const) {
  add({ fn, input: "fn a string", call: (fx) => (set as (r: unknown, f: unknown) => void)(fx.req(), NOFN), expect: throwsType() });
}
add({ fn: "teventReqDone", input: "a request already freed: no callback", call: async (fx) => {
  let called = 0;
  const r = fx.req();
  teventReqSetCallback(r, () => { called++; });
  tallocFree(r);
  teventReqDone(r);
  await teventLoopWait(fx.ev);
  return called;
}, expect: ret(0) });
add({ fn: "teventReqError", input: "a request already freed", call: (fx) => teventReqError(fx.freed(fx.req()), EINVAL), expect: ret(false) });
add({ fn: "teventReqPost", input: "a received request posted, then freed: no callback", call: async (fx) => {
  let called = 0;
  const r = fx.req();
  teventReqSetCallback(r, () => { called++; });
  teventReqDone(r);
  teventReqReceived(r);
  teventReqPost(r, fx.ev);
  tallocFree(r);
  await teventLoopWait(fx.ev);
  return called;
}, expect: ret(1) });

/* ---- queues ---- */
add({ fn: "teventQueueAdd", input: "queue not a TeventQueue", call: (fx) => teventQueueAdd(fakeQueue, fx.ev, fx.req(), h), expect: throwsType() });
add({ fn: "teventQueueAdd", input: "req not a TeventReq", call: (fx) => teventQueueAdd(fx.queue(), fx.ev, fakeReq, h), expect: throwsType() });
add({ fn: "teventQueueAdd", input: "ev not a TeventContext", call: (fx) => teventQueueAdd(fx.queue(), fakeEv, fx.req(), h), expect: throwsType() });
add({ fn: "teventQueueAdd", input: "trigger null (the entry just waits its turn)", call: (fx) => {
  const q = fx.queue();
  return { ok: teventQueueAdd(q, fx.ev, fx.req(), null), len: teventQueueLength(q) };
}, expect: ret({ ok: true, len: 1 }) });
add({ fn: "teventQueueAdd", input: "trigger a string", call: (fx) => teventQueueAdd(fx.queue(), fx.ev, fx.req(), bad(NOFN)), expect: throwsType() });
add({ fn: "teventQueueAdd", input: "trigger a string: nothing is queued", call: (fx) => {
  const q = fx.queue();
  try { teventQueueAdd(q, fx.ev, fx.req(), bad(NOFN)); } catch { /* the TypeError */ }
  return teventQueueLength(q);
}, expect: ret(0) });
add({ fn: "teventQueueAdd", input: "a freed queue", call: (fx) => teventQueueAdd(fx.freed(fx.queue()), fx.ev, fx.req(), h), expect: ret(false) });
add({ fn: "teventQueueAdd", input: "a freed req", call: (fx) => {
  const q = fx.queue();
  return { ok: teventQueueAdd(q, fx.ev, fx.freed(fx.req()), h), len: teventQueueLength(q) };
}, expect: ret({ ok: false, len: 0 }) });
add({ fn: "teventQueueAdd", input: "a freed event context", call: (fx) => {
  const q = fx.queue();
  return { ok: teventQueueAdd(q, fx.freedEv(), fx.req(), h), len: teventQueueLength(q) };
}, expect: ret({ ok: false, len: 0 }) });
add({ fn: "teventQueueAddEntry", input: "a freed queue", call: (fx) => teventQueueAddEntry(fx.freed(fx.queue()), fx.ev, fx.req(), h), expect: throwsType() });
add({ fn: "teventQueueCreate", input: "name a number", call: (fx) => teventQueueCreate(fx.mem, bad(5)), expect: throwsType() });
add({ fn: "teventQueueEntryUntrigger", input: "an entry not at the head", call: (fx) => {
  const q = fx.queue();
  teventQueueStop(q);
  teventQueueAddEntry(q, fx.ev, fx.req(), h);
  const e2 = teventQueueAddEntry(q, fx.ev, fx.req(), h);
  teventQueueEntryUntrigger(e2);
}, expect: throwsError() });
add({ fn: "teventQueueLength", input: "queue a plain object", call: () => teventQueueLength(fakeQueue), expect: throwsType() });
add({ fn: "teventQueueStart/Stop", input: "started twice, stopped twice", call: (fx) => {
  const q = fx.queue();
  teventQueueStart(q); teventQueueStart(q); teventQueueStop(q); teventQueueStop(q);
  return teventQueueRunning(q);
}, expect: ret(false) });
add({ fn: "teventQueueWaitSend", input: "queue not a TeventQueue", call: (fx) => teventQueueWaitSend(fx.mem, fx.ev, fakeQueue), expect: throwsType() });
add({ fn: "teventQueueWaitRecv", input: "a request still in progress", call: (fx) => {
  const q = fx.queue();
  teventQueueStop(q);
  return teventQueueWaitRecv(teventQueueWaitSend(fx.mem, fx.ev, q));
}, expect: ret(false) });

add({ fn: "teventQueueAddOptimizeEmpty", input: "trigger a string", call: (fx) => teventQueueAddOptimizeEmpty(fx.queue(), fx.ev, fx.req(), bad(NOFN)), expect: throwsType() });
add({ fn: "teventQueueEntrySetTag", input: "entry a plain object", call: () => teventQueueEntrySetTag(bad({}), 1), expect: throwsType() });
add({ fn: "teventQueueEntrySetTag", input: "tag a string", call: (fx) => teventQueueEntrySetTag(teventQueueAddEntry(fx.queue(), fx.ev, fx.req(), null), bad("1")), expect: throwsType() });
add({ fn: "teventQueueEntryGetTag", input: "entry null", call: () => teventQueueEntryGetTag(bad(null)), expect: throwsType() });
add({ fn: "teventQueueStop", input: "queue a plain object", call: () => teventQueueStop(fakeQueue), expect: throwsType() });
add({ fn: "teventQueueRunning", input: "queue a plain object", call: () => teventQueueRunning(fakeQueue), expect: throwsType() });

add({ fn: "teventLoopAllowNesting", input: "ev null", call: () => teventLoopAllowNesting(bad(null)), expect: throwsType() });
add({ fn: "teventSetAbortFn", input: "fn a string", call: () => teventSetAbortFn(bad(NOFN)), expect: throwsType() });

/* ---- wakeup ---- */
add({ fn: "teventWakeupSend", input: "wakeupTime null", call: (fx) => teventWakeupSend(fx.mem, fx.ev, bad(null)), expect: throwsType() });
add({ fn: "teventWakeupSend", input: "ev not a TeventContext", call: (fx) => teventWakeupSend(fx.mem, fakeEv, tv0), expect: throwsType() });
add({ fn: "teventWakeupSend", input: "a time already past: done on the next loop", call: (fx) => fx.drive(teventWakeupSend(fx.mem, fx.ev, tv0), teventWakeupRecv), expect: req(true) });
add({ fn: "teventWakeupRecv", input: "a request still in progress", call: (fx) => teventWakeupRecv(teventWakeupSend(fx.mem, fx.ev, teventTimevalCurrentOfs(100, 0))), expect: ret(false) });

/* ---- tsocket addresses: inet ---- */
const IFS = "tsocketAddressInetFromStrings";
for (const [port, what] of [[-1, "-1 (negative)"], [65536, "65536"], [1.5, "1.5 (fractional)"], [NaN, "NaN"], [Infinity, "Infinity"]] as [number, string][]) {
  add({ fn: IFS, input: `port ${what}`, call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ip", "127.0.0.1", port), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
}
add({ fn: IFS, input: "port a string", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ip", "127.0.0.1", bad("445")), expect: throwsType() });
add({ fn: IFS, input: "unknown family \"ipx\"", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ipx", "127.0.0.1", 1), expect: ret({ ret: -1, errno: EAFNOSUPPORT, addr: null }, EAFNOSUPPORT) });
add({ fn: IFS, input: "empty family", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "", "127.0.0.1", 1), expect: ret({ ret: -1, errno: EAFNOSUPPORT, addr: null }, EAFNOSUPPORT) });
add({ fn: IFS, input: "family null", call: (fx) => tsocketAddressInetFromStrings(fx.mem, bad(null), "127.0.0.1", 1), expect: throwsType() });
add({ fn: IFS, input: "wrong address kind: \"::1\" for ipv4", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ipv4", "::1", 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IFS, input: "wrong address kind: \"127.0.0.1\" for ipv6", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ipv6", "127.0.0.1", 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IFS, input: "empty address \"\"", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ip", "", 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IFS, input: "a host name (not numeric)", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ip", "localhost", 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IFS, input: "\"256.1.1.1\" (octet out of range)", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ipv4", "256.1.1.1", 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IFS, input: "\"::1%nosuchif\" (unknown scope)", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ipv6", "::1%nosuchif0", 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IFS, input: "address a number", call: (fx) => tsocketAddressInetFromStrings(fx.mem, "ip", bad(5), 1), expect: throwsType() });
const IHP = "tsocketAddressInetFromHostportStrings";
for (const [s, what] of [["127.0.0.1:65536", "port 65536"], ["127.0.0.1:-1", "port -1"], ["127.0.0.1:", "empty port"], ["127.0.0.1:1.5", "port 1.5"], ["127.0.0.1:44x", "trailing junk in port"], ["[::1", "unclosed ["], ["[::1]x", "junk after ]"], ["[]:1", "empty brackets"]] as [string, string][]) {
  add({ fn: IHP, input: `"${s}" (${what})`, call: (fx) => tsocketAddressInetFromHostportStrings(fx.mem, "ip", s, 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
}
add({ fn: IHP, input: "defaultPort -1", call: (fx) => tsocketAddressInetFromHostportStrings(fx.mem, "ip", "127.0.0.1", -1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IHP, input: "defaultPort 1.5", call: (fx) => tsocketAddressInetFromHostportStrings(fx.mem, "ip", "127.0.0.1", 1.5), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IHP, input: "wrong address kind: \"[::1]:5\" for ipv4", call: (fx) => tsocketAddressInetFromHostportStrings(fx.mem, "ipv4", "[::1]:5", 1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: IHP, input: "hostPortAddr a number", call: (fx) => tsocketAddressInetFromHostportStrings(fx.mem, "ip", bad(5), 1), expect: throwsType() });

/* ---- tsocket addresses: unix ---- */
const UFP = "tsocketAddressUnixFromPath";
add({ fn: UFP, input: "oversize path (108 bytes; sun_path holds 107 + NUL)", call: (fx) => tsocketAddressUnixFromPath(fx.mem, "/" + "a".repeat(107)), expect: ret({ ret: -1, errno: ENAMETOOLONG, addr: null }, ENAMETOOLONG) });
add({ fn: UFP, input: "oversize path (4096 bytes)", call: (fx) => tsocketAddressUnixFromPath(fx.mem, "/" + "a".repeat(4095)), expect: ret({ ret: -1, errno: ENAMETOOLONG, addr: null }, ENAMETOOLONG) });
add({ fn: UFP, input: "multi-byte path over 107 bytes (54 two-byte characters)", call: (fx) => tsocketAddressUnixFromPath(fx.mem, "é".repeat(54)), expect: ret({ ret: -1, errno: ENAMETOOLONG, addr: null }, ENAMETOOLONG) });
add({ fn: UFP, input: "path a number", call: (fx) => tsocketAddressUnixFromPath(fx.mem, bad(5)), expect: throwsType() });
add({ fn: UFP, input: "longest path that fits (107 bytes) is accepted", call: (fx) => tsocketAddressUnixFromPath(fx.mem, "/" + "a".repeat(106)).ret, expect: ret(0) });

/* ---- tsocket addresses: accessors on the wrong kind ---- */
add({ fn: "tsocketAddressInetPort", input: "wrong address kind (unix)", call: (fx) => tsocketAddressInetPort(fx.unix("/tmp/x")), expect: ret(0, EINVAL) });
add({ fn: "tsocketAddressInetPort", input: "addr a plain object", call: () => tsocketAddressInetPort(fakeAddr), expect: throwsType() });
add({ fn: "tsocketAddressInetSetPort", input: "wrong address kind (unix)", call: (fx) => tsocketAddressInetSetPort(fx.unix("/tmp/x"), 5), expect: ret(-1, EINVAL) });
for (const [port, what] of [[-1, "-1 (negative)"], [65536, "65536"], [1.5, "1.5 (fractional)"]] as [number, string][]) {
  add({ fn: "tsocketAddressInetSetPort", input: `port ${what}; the address keeps its port`, call: (fx) => {
    const a = fx.inet("127.0.0.1", 7);
    const r = tsocketAddressInetSetPort(a, port);
    return { r, errno: getErrno(), port: tsocketAddressInetPort(a) };
  }, expect: ret({ r: -1, errno: EINVAL, port: 7 }) });
}
add({ fn: "tsocketAddressInetAddrString", input: "wrong address kind (unix)", call: (fx) => tsocketAddressInetAddrString(fx.unix("/tmp/x"), fx.mem), expect: ret(null, EINVAL) });
add({ fn: "tsocketAddressUnixPath", input: "wrong address kind (inet)", call: (fx) => tsocketAddressUnixPath(fx.inet(), fx.mem), expect: ret(null, EINVAL) });
add({ fn: "tsocketAddressIsInet", input: "unknown family name", call: (fx) => tsocketAddressIsInet(fx.inet(), "ipx"), expect: ret(false) });
add({ fn: "tsocketAddressIsInet", input: "wrong address kind (unix)", call: (fx) => tsocketAddressIsInet(fx.unix("/tmp/x"), "ip"), expect: ret(false) });
add({ fn: "tsocketAddressIsInet", input: "wrong kind: ipv6 address asked as ipv4", call: (fx) => tsocketAddressIsInet(fx.inet("::1"), "ipv4"), expect: ret(false) });
add({ fn: "tsocketAddressIsUnix", input: "wrong address kind (inet)", call: (fx) => tsocketAddressIsUnix(fx.inet()), expect: ret(false) });
add({ fn: "tsocketAddressString", input: "addr null", call: (fx) => tsocketAddressString(null, fx.mem), expect: ret("NULL") });
add({ fn: "tsocketAddressCopy", input: "addr a plain object", call: (fx) => tsocketAddressCopy(fakeAddr, fx.mem), expect: throwsType() });
add({ fn: "tsocketAddressCreate", input: "ops without string()/copy()", call: (fx) => tsocketAddressCreate(fx.mem, bad({}), {}), expect: throwsType() });

/* ---- sockaddr conversion ---- */
const BFS = "tsocketAddressBsdFromSockaddr";
add({ fn: BFS, input: "zero length (empty buffer, socklen 0)", call: (fx) => tsocketAddressBsdFromSockaddr(fx.mem, new Uint8Array(0), 0), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: BFS, input: "sockaddr_in cut short (socklen 8)", call: (fx) => tsocketAddressBsdFromSockaddr(fx.mem, sin(80), 8), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: BFS, input: "socklen 28 for a 16-byte sockaddr_in (clamped to sizeof(sockaddr_in), as C)", call: (fx) => { const r = tsocketAddressBsdFromSockaddr(fx.mem, sin(80), 28); return { ret: r.ret, port: r.addr ? tsocketAddressInetPort(r.addr) : null }; }, expect: ret({ ret: 0, port: 80 }) });
add({ fn: BFS, input: "zeroed 200-byte buffer (family 0, checked before the length, as C)", call: (fx) => tsocketAddressBsdFromSockaddr(fx.mem, new Uint8Array(200), 200), expect: ret({ ret: -1, errno: EAFNOSUPPORT, addr: null }, EAFNOSUPPORT) });
add({ fn: BFS, input: "socklen -1", call: (fx) => tsocketAddressBsdFromSockaddr(fx.mem, sin(80), -1), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: BFS, input: "socklen 15.5", call: (fx) => tsocketAddressBsdFromSockaddr(fx.mem, sin(80), 15.5), expect: ret({ ret: -1, errno: EINVAL, addr: null }, EINVAL) });
add({ fn: BFS, input: "unknown family (99)", call: (fx) => { const b = sin(80); b[0] = 99; return tsocketAddressBsdFromSockaddr(fx.mem, b, 16); }, expect: ret({ ret: -1, errno: EAFNOSUPPORT, addr: null }, EAFNOSUPPORT) });
add({ fn: BFS, input: "sa an array of numbers", call: (fx) => tsocketAddressBsdFromSockaddr(fx.mem, bad([2, 0, 0, 80]), 4), expect: throwsType() });
const BSA = "tsocketAddressBsdSockaddr";
add({ fn: BSA, input: "sa too small (4 bytes for a sockaddr_in); sa untouched", call: (fx) => {
  const sa = new Uint8Array([9, 9, 9, 9]);
  return { r: tsocketAddressBsdSockaddr(fx.inet(), sa, 4), errno: getErrno(), sa: Array.from(sa) };
}, expect: ret({ r: -1, errno: EINVAL, sa: [9, 9, 9, 9] }) });
add({ fn: BSA, input: "saSocklen -1", call: (fx) => tsocketAddressBsdSockaddr(fx.inet(), new Uint8Array(16), -1), expect: ret(-1, EINVAL) });
add({ fn: BSA, input: "saSocklen larger than sa", call: (fx) => tsocketAddressBsdSockaddr(fx.inet(), new Uint8Array(16), 64), expect: ret(-1, EINVAL) });
add({ fn: BSA, input: "sa a string", call: (fx) => tsocketAddressBsdSockaddr(fx.inet(), bad("xxxx"), 16), expect: throwsType() });

/* ---- tstream generic layer ---- */
const RV = "tstreamReadvSend/Recv";
const WV = "tstreamWritevSend/Recv";
for (const [fn, send, recv] of [[RV, tstreamReadvSend, tstreamReadvRecv], [WV, tstreamWritevSend, tstreamWritevRecv]] as const) {
  add({ fn, input: "empty vector (count 0)", ...stillWorksAfter((fx, s) => fx.drive(send(fx.mem, fx.ev, s, [], 0), recv)), expect: req({ ret: -1, perrno: EINVAL }) });
  add({ fn, input: "zero length (one empty buffer)", ...stillWorksAfter((fx, s) => fx.drive(send(fx.mem, fx.ev, s, [new Uint8Array(0)], 1), recv)), expect: req({ ret: -1, perrno: EINVAL }) });
  add({ fn, input: "count larger than the vector", ...stillWorksAfter((fx, s) => fx.drive(send(fx.mem, fx.ev, s, [new Uint8Array(3)], 2), recv)), expect: req({ ret: -1, perrno: EINVAL }) });
  add({ fn, input: "count -1", ...stillWorksAfter((fx, s) => fx.drive(send(fx.mem, fx.ev, s, [new Uint8Array(3)], -1), recv)), expect: req({ ret: -1, perrno: EINVAL }) });
  add({ fn, input: "count 0.5 (fractional)", ...stillWorksAfter((fx, s) => fx.drive(send(fx.mem, fx.ev, s, [new Uint8Array(3)], 0.5), recv)), expect: req({ ret: -1, perrno: EINVAL }) });
  add({ fn, input: "1025 buffers (more than IOV_MAX)", ...stillWorksAfter((fx, s) => fx.drive(send(fx.mem, fx.ev, s, Array.from({ length: 1025 }, () => new Uint8Array(1)), 1025), recv)), expect: req({ ret: -1, perrno: EMSGSIZE }) });
  add({ fn, input: "count a string", call: (fx) => send(fx.mem, fx.ev, fx.s1(), [new Uint8Array(1)], bad("1")), expect: throwsType() });
  add({ fn, input: "vector null", call: (fx) => send(fx.mem, fx.ev, fx.s1(), bad(null), 0), expect: throwsType() });
  add({ fn, input: "vector of numbers", call: (fx) => send(fx.mem, fx.ev, fx.s1(), bad([1, 2]), 2), expect: throwsType() });
  add({ fn, input: "stream a plain object", call: (fx) => send(fx.mem, fx.ev, fakeStream, [new Uint8Array(1)], 1), expect: throwsType() });
  add({ fn, input: "ev not a TeventContext", call: (fx) => send(fx.mem, fakeEv, fx.s1(), [new Uint8Array(1)], 1), expect: throwsType() });
  add({ fn, input: "a stream already disconnected", call: async (fx) => {
    const s = fx.s1();
    await fx.drive(tstreamDisconnectSend(fx.mem, fx.ev, s), tstreamDisconnectRecv);
    return fx.drive(send(fx.mem, fx.ev, s, [new Uint8Array(1)], 1), recv);
  }, expect: req({ ret: -1, perrno: ENOTCONN }) });
  add({ fn, input: "a freed stream", call: (fx) => fx.drive(send(fx.mem, fx.ev, fx.freed(fx.s1()), [new Uint8Array(1)], 1), recv), expect: req({ ret: -1, perrno: EBADF }) });
  add({ fn: fn.replace("Send/Recv", "Recv"), input: "req a plain object", call: () => recv(fakeReq), expect: throwsType() });
}
add({ fn: RV, input: "a second readv while one is outstanding; the first still gets its bytes", call: async (fx) => {
  const { s1, s2 } = fx.pair();
  const b1 = new Uint8Array(2);
  const r1 = tstreamReadvSend(fx.mem, fx.ev, s1, [b1], 1);
  const r2 = await fx.drive(tstreamReadvSend(fx.mem, fx.ev, s1, [new Uint8Array(2)], 1), tstreamReadvRecv);
  await fx.drive(tstreamWritevSend(fx.mem, fx.ev, s2, [B("hi")], 1), tstreamWritevRecv);
  const first = await fx.drive(r1, tstreamReadvRecv);
  return { second: r2, first, bytes: Buffer.from(b1).toString() };
}, expect: req({ second: { ret: -1, perrno: EBUSY }, first: { ret: 2, perrno: 0 }, bytes: "hi" }) });
add({ fn: "tstreamPendingBytes", input: "stream a plain object", call: () => tstreamPendingBytes(fakeStream), expect: throwsType() });
add({ fn: "tstreamPendingBytes", input: "a freed stream", call: (fx) => tstreamPendingBytes(fx.freed(fx.s1())), expect: ret(-1, EBADF) });
add({ fn: "tstreamDisconnectSend/Recv", input: "disconnected twice", call: async (fx) => {
  const s = fx.s1();
  await fx.drive(tstreamDisconnectSend(fx.mem, fx.ev, s), tstreamDisconnectRecv);
  return fx.drive(tstreamDisconnectSend(fx.mem, fx.ev, s), tstreamDisconnectRecv);
}, expect: req({ ret: -1, perrno: ENOTCONN }) });
add({ fn: "tstreamDisconnectSend/Recv", input: "while a readv is outstanding", call: (fx) => {
  const s = fx.s1();
  tstreamReadvSend(fx.mem, fx.ev, s, [new Uint8Array(1)], 1);
  return fx.drive(tstreamDisconnectSend(fx.mem, fx.ev, s), tstreamDisconnectRecv);
}, expect: req({ ret: -1, perrno: EBUSY }) });
add({ fn: "tstreamDisconnectSend/Recv", input: "a freed stream", call: (fx) => fx.drive(tstreamDisconnectSend(fx.mem, fx.ev, fx.freed(fx.s1())), tstreamDisconnectRecv), expect: req({ ret: -1, perrno: EBADF }) });
add({ fn: "tstreamDisconnectSend", input: "stream a plain object", call: (fx) => tstreamDisconnectSend(fx.mem, fx.ev, fakeStream), expect: throwsType() });
add({ fn: "tstreamContextCreate", input: "ops a plain object", call: (fx) => tstreamContextCreate(fx.mem, bad({}), {}), expect: throwsType() });

add({ fn: "tstreamContextData", input: "stream a plain object", call: () => tstreamContextData(fakeStream), expect: throwsType() });

/* ---- tdgram generic layer ---- */
const ST = "tdgramSendtoSend/Recv";
for (const [len, what] of [[0, "len 0 (zero length)"], [-1, "len -1"], [1.5, "len 1.5"], [99, "len larger than buf"]] as [number, string][]) {
  add({ fn: ST, input: what, call: (fx) => { const { d1, a2 } = fx.dgrams(); return fx.drive(tdgramSendtoSend(fx.mem, fx.ev, d1, B("abc"), len, a2), tdgramSendtoRecv); }, expect: req({ ret: -1, perrno: EINVAL }) });
}
add({ fn: ST, input: "buf a string", call: (fx) => { const { d1, a2 } = fx.dgrams(); return tdgramSendtoSend(fx.mem, fx.ev, d1, bad("abc"), 3, a2); }, expect: throwsType() });
add({ fn: ST, input: "len a string", call: (fx) => { const { d1, a2 } = fx.dgrams(); return tdgramSendtoSend(fx.mem, fx.ev, d1, B("abc"), bad("3"), a2); }, expect: throwsType() });
add({ fn: ST, input: "dst a plain object", call: (fx) => { const { d1 } = fx.dgrams(); return tdgramSendtoSend(fx.mem, fx.ev, d1, B("abc"), 3, fakeAddr); }, expect: throwsType() });
add({ fn: ST, input: "dgram a plain object", call: (fx) => tdgramSendtoSend(fx.mem, fx.ev, fakeDgram, B("abc"), 3, null), expect: throwsType() });
add({ fn: ST, input: "a freed dgram", call: (fx) => { const { d1, a2 } = fx.dgrams(); return fx.drive(tdgramSendtoSend(fx.mem, fx.ev, fx.freed(d1), B("abc"), 3, a2), tdgramSendtoRecv); }, expect: req({ ret: -1, perrno: EBADF }) });
add({ fn: "tdgramRecvfromSend/Recv", input: "a second recvfrom while one is outstanding", call: (fx) => {
  const { d1 } = fx.dgrams();
  tdgramRecvfromSend(fx.mem, fx.ev, d1);
  return fx.drive(tdgramRecvfromSend(fx.mem, fx.ev, d1), (r) => tdgramRecvfromRecv(r, fx.mem));
}, expect: req({ ret: -1, perrno: EBUSY, buf: null, src: null }) });
add({ fn: "tdgramRecvfromSend/Recv", input: "a freed dgram", call: (fx) => { const { d1 } = fx.dgrams(); return fx.drive(tdgramRecvfromSend(fx.mem, fx.ev, fx.freed(d1)), (r) => tdgramRecvfromRecv(r, fx.mem)); }, expect: req({ ret: -1, perrno: EBADF, buf: null, src: null }) });
add({ fn: "tdgramRecvfromSend", input: "ev not a TeventContext", call: (fx) => { const { d1 } = fx.dgrams(); return tdgramRecvfromSend(fx.mem, fakeEv, d1); }, expect: throwsType() });
add({ fn: "tdgramRecvfromRecv", input: "req a plain object", call: (fx) => tdgramRecvfromRecv(fakeReq, fx.mem), expect: throwsType() });
add({ fn: "tdgramDisconnectSend/Recv", input: "a freed dgram", call: (fx) => { const { d1 } = fx.dgrams(); return fx.drive(tdgramDisconnectSend(fx.mem, fx.ev, fx.freed(d1)), tdgramDisconnectRecv); }, expect: req({ ret: -1, perrno: EBADF }) });
add({ fn: "tdgramDisconnectSend", input: "dgram a plain object", call: (fx) => tdgramDisconnectSend(fx.mem, fx.ev, fakeDgram), expect: throwsType() });
add({ fn: "tdgramContextCreate", input: "ops a plain object", call: (fx) => tdgramContextCreate(fx.mem, bad({}), {}), expect: throwsType() });

add({ fn: "tdgramContextData", input: "dgram a plain object", call: () => tdgramContextData(fakeDgram), expect: throwsType() });
add({ fn: "tsocketSimpleIntRecv", input: "req a plain object", call: () => tsocketSimpleIntRecv(fakeReq), expect: throwsType() });

/* ---- helpers ---- */
const PDU = "tstreamReadvPduSend/Recv";
add({ fn: PDU, input: "nextVectorFn a string", call: (fx) => tstreamReadvPduSend(fx.mem, fx.ev, fx.s1(), bad(NOFN), null), expect: throwsType() });
add({ fn: PDU, input: "next_vector fails (ret -1, errno EPROTO)", call: (fx) => {
  const s = fx.s1();
  return fx.drive(tstreamReadvPduSend(fx.mem, fx.ev, s, () => { setErrno(EPROTO); return { ret: -1, errno: EPROTO, vector: null, count: 0 }; }, null), tstreamReadvPduRecv);
}, expect: req({ ret: -1, perrno: EPROTO }) });
add({ fn: PDU, input: "next_vector asks for a zero-length buffer", ...stillWorksAfter((fx, s) =>
  fx.drive(tstreamReadvPduSend(fx.mem, fx.ev, s, () => ({ ret: 0, vector: [new Uint8Array(0)], count: 1 }), null), tstreamReadvPduRecv)),
expect: req({ ret: -1, perrno: EINVAL }) });
add({ fn: PDU, input: "next_vector: count 0 at once (empty PDU)", call: (fx) =>
  fx.drive(tstreamReadvPduSend(fx.mem, fx.ev, fx.s1(), () => ({ ret: 0, vector: null, count: 0 }), null), tstreamReadvPduRecv),
expect: req({ ret: 0, perrno: 0 }) });
add({ fn: "tstreamReadvPduQueueSend", input: "queue a plain object", call: (fx) => tstreamReadvPduQueueSend(fx.mem, fx.ev, fx.s1(), fakeQueue, () => ({ ret: 0, vector: null, count: 0 }), null), expect: throwsType() });
add({ fn: "tstreamReadvPduQueueSend", input: "nextVectorFn a string", call: (fx) => tstreamReadvPduQueueSend(fx.mem, fx.ev, fx.s1(), fx.queue(), bad(NOFN), null), expect: throwsType() });
add({ fn: PDU, input: "stream a plain object", call: (fx) => tstreamReadvPduSend(fx.mem, fx.ev, fakeStream, () => ({ ret: 0, vector: null, count: 0 }), null), expect: throwsType() });
add({ fn: "tstreamReadvPduQueueSend/Recv", input: "a freed queue", call: (fx) => fx.drive(tstreamReadvPduQueueSend(fx.mem, fx.ev, fx.s1(), fx.freed(fx.queue()), () => ({ ret: 0, vector: null, count: 0 }), null), tstreamReadvPduQueueRecv), expect: req({ ret: -1, perrno: EBADF }) });
const WQ = "tstreamWritevQueueSend/Recv";
add({ fn: WQ, input: "empty vector (count 0)", ...stillWorksAfter((fx, s) => fx.drive(tstreamWritevQueueSend(fx.mem, fx.ev, s, fx.queue(), [], 0), tstreamWritevQueueRecv)), expect: req({ ret: -1, perrno: EINVAL }) });
add({ fn: WQ, input: "zero length (one empty buffer)", ...stillWorksAfter((fx, s) => fx.drive(tstreamWritevQueueSend(fx.mem, fx.ev, s, fx.queue(), [new Uint8Array(0)], 1), tstreamWritevQueueRecv)), expect: req({ ret: -1, perrno: EINVAL }) });
add({ fn: WQ, input: "count larger than the vector", ...stillWorksAfter((fx, s) => fx.drive(tstreamWritevQueueSend(fx.mem, fx.ev, s, fx.queue(), [B("a")], 3), tstreamWritevQueueRecv)), expect: req({ ret: -1, perrno: EINVAL }) });
add({ fn: WQ, input: "vector null", call: (fx) => tstreamWritevQueueSend(fx.mem, fx.ev, fx.s1(), fx.queue(), bad(null), 0), expect: throwsType() });
add({ fn: WQ, input: "queue a plain object", call: (fx) => tstreamWritevQueueSend(fx.mem, fx.ev, fx.s1(), fakeQueue, [B("a")], 1), expect: throwsType() });
add({ fn: WQ, input: "a freed stream", call: (fx) => fx.drive(tstreamWritevQueueSend(fx.mem, fx.ev, fx.freed(fx.s1()), fx.queue(), [B("a")], 1), tstreamWritevQueueRecv), expect: req({ ret: -1, perrno: EBADF }) });
add({ fn: WQ, input: "a freed queue", ...stillWorksAfter((fx, s) => fx.drive(tstreamWritevQueueSend(fx.mem, fx.ev, s, fx.freed(fx.queue()), [B("a")], 1), tstreamWritevQueueRecv)), expect: req({ ret: -1, perrno: EBADF }) });
const SQ = "tdgramSendtoQueueSend/Recv";
add({ fn: SQ, input: "len 0 (zero length)", call: (fx) => { const { d1, a2 } = fx.dgrams(); return fx.drive(tdgramSendtoQueueSend(fx.mem, fx.ev, d1, fx.queue(), B("abc"), 0, a2), tdgramSendtoQueueRecv); }, expect: req({ ret: -1, perrno: EINVAL }) });
add({ fn: SQ, input: "len larger than buf", call: (fx) => { const { d1, a2 } = fx.dgrams(); return fx.drive(tdgramSendtoQueueSend(fx.mem, fx.ev, d1, fx.queue(), B("abc"), 9, a2), tdgramSendtoQueueRecv); }, expect: req({ ret: -1, perrno: EINVAL }) });
add({ fn: SQ, input: "queue a plain object", call: (fx) => { const { d1, a2 } = fx.dgrams(); return tdgramSendtoQueueSend(fx.mem, fx.ev, d1, fakeQueue, B("abc"), 3, a2); }, expect: throwsType() });
add({ fn: SQ, input: "a freed queue", call: (fx) => { const { d1, a2 } = fx.dgrams(); return fx.drive(tdgramSendtoQueueSend(fx.mem, fx.ev, d1, fx.freed(fx.queue()), B("abc"), 3, a2), tdgramSendtoQueueRecv); }, expect: req({ ret: -1, perrno: EBADF }) });

add({ fn: "tstreamReadvPduQueueRecv", input: "req a plain object", call: () => tstreamReadvPduQueueRecv(fakeReq), expect: throwsType() });

/* ---- BSD stream backend ---- */
add({ fn: "tstreamBsdExistingSocket", input: "fd -1", call: (fx) => tstreamBsdExistingSocket(fx.mem, -1).ret, expect: ret(0) });
add({ fn: "tstreamBsdExistingSocket", input: "fd 1.5 (fractional)", call: (fx) => tstreamBsdExistingSocket(fx.mem, 1.5), expect: throwsType() });
add({ fn: "tstreamBsdExistingSocket", input: "fd a string", call: (fx) => tstreamBsdExistingSocket(fx.mem, bad("3")), expect: throwsType() });
add({ fn: "tstreamBsdOptimizeReadv", input: "stream a plain object", call: () => tstreamBsdOptimizeReadv(fakeStream, true), expect: throwsType() });
const TCS = "tstreamInetTcpConnectSend/Recv";
add({ fn: TCS, input: "wrong address kind: local is unix", call: (fx) => fx.drive(tstreamInetTcpConnectSend(fx.mem, fx.ev, fx.unix("/tmp/x"), fx.inet("127.0.0.1", 1)), (r) => tstreamInetTcpConnectRecv(r, fx.mem)), expect: req({ ret: -1, perrno: EINVAL, stream: null }) });
add({ fn: TCS, input: "wrong address kind: remote is unix", call: (fx) => fx.drive(tstreamInetTcpConnectSend(fx.mem, fx.ev, fx.inet("127.0.0.1", 0), fx.unix("/tmp/x")), (r) => tstreamInetTcpConnectRecv(r, fx.mem)), expect: req({ ret: -1, perrno: EINVAL, stream: null }) });
add({ fn: TCS, input: "local a plain object", call: (fx) => tstreamInetTcpConnectSend(fx.mem, fx.ev, fakeAddr, fx.inet()), expect: throwsType() });
add({ fn: TCS, input: "remote port 0", call: (fx) => fx.drive(tstreamInetTcpConnectSend(fx.mem, fx.ev, fx.inet("127.0.0.1", 0), fx.inet("127.0.0.1", 0)), (r) => tstreamInetTcpConnectRecv(r, fx.mem)), expect: req({ ret: -1, perrno: ECONNREFUSED, stream: null }) });
add({ fn: TCS, input: "ev not a TeventContext", call: (fx) => tstreamInetTcpConnectSend(fx.mem, fakeEv, fx.inet(), fx.inet()), expect: throwsType() });
const UCS = "tstreamUnixConnectSend/Recv";
add({ fn: UCS, input: "wrong address kind: remote is inet", call: (fx) => fx.drive(tstreamUnixConnectSend(fx.mem, fx.ev, fx.unix(""), fx.inet("127.0.0.1", 1)), (r) => tstreamUnixConnectRecv(r, fx.mem)), expect: req({ ret: -1, perrno: EINVAL, stream: null }) });
add({ fn: UCS, input: "wrong address kind: local is inet", call: (fx) => fx.drive(tstreamUnixConnectSend(fx.mem, fx.ev, fx.inet(), fx.unix(path.join(fx.dir(), "s"))), (r) => tstreamUnixConnectRecv(r, fx.mem)), expect: req({ ret: -1, perrno: EINVAL, stream: null }) });
add({ fn: UCS, input: "a path nobody listens on", call: (fx) => fx.drive(tstreamUnixConnectSend(fx.mem, fx.ev, fx.unix(""), fx.unix(path.join(fx.dir(), "nobody"))), (r) => tstreamUnixConnectRecv(r, fx.mem)), expect: req({ ret: -1, perrno: ENOENT, stream: null }) });
add({ fn: UCS, input: "remote a plain object", call: (fx) => tstreamUnixConnectSend(fx.mem, fx.ev, fx.unix(""), fakeAddr), expect: throwsType() });
const activeHandles = (): number => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
for (const [what, m1, m2] of [["memCtx1 a number", 5, null], ["memCtx2 a string", null, "m"]] as const) {
  add({ fn: "tstreamUnixSocketpair", input: what, call: (fx) => {
    (fx as unknown as { _h: number })._h = activeHandles();
    return tstreamUnixSocketpair(bad(m1), bad(m2));
  }, expect: throwsType(), after: (fx) => {
    const before = (fx as unknown as { _h: number })._h;
    if (activeHandles() !== before) throw new Error(`a socket or listener was left open (${before} -> ${activeHandles()})`);
  }, afterText: "no socket or listener is left open" });
}

/* ---- BSD datagram backend ---- */
add({ fn: "tdgramInetUdpSocket", input: "wrong address kind: local is unix", call: (fx) => tdgramInetUdpSocket(fx.unix("/tmp/x"), null, fx.mem), expect: ret({ ret: -1, errno: EINVAL, dgram: null }, EINVAL) });
add({ fn: "tdgramInetUdpSocket", input: "wrong address kind: remote is unix", call: (fx) => tdgramInetUdpSocket(fx.inet(), fx.unix("/tmp/x"), fx.mem), expect: ret({ ret: -1, errno: EINVAL, dgram: null }, EINVAL) });
add({ fn: "tdgramInetUdpSocket", input: "local a plain object", call: (fx) => tdgramInetUdpSocket(fakeAddr, null, fx.mem), expect: throwsType() });
add({ fn: "tdgramInetUdpBroadcastSocket", input: "wrong address kind: local is unix", call: (fx) => tdgramInetUdpBroadcastSocket(fx.unix("/tmp/x"), fx.mem), expect: ret({ ret: -1, errno: EINVAL, dgram: null }, EINVAL) });
add({ fn: "tdgramInetUdpBroadcastSocket", input: "wrong address kind: local is ipv6", call: (fx) => tdgramInetUdpBroadcastSocket(fx.inet("::1"), fx.mem), expect: ret({ ret: -1, errno: EINVAL, dgram: null }, EINVAL) });
add({ fn: "tdgramUnixSocket", input: "wrong address kind: local is inet", call: (fx) => tdgramUnixSocket(fx.inet(), null, fx.mem), expect: ret({ ret: -1, errno: EINVAL, dgram: null }, EINVAL) });
add({ fn: "tdgramUnixSocket", input: "wrong address kind: remote is inet", call: (fx) => tdgramUnixSocket(fx.unix(path.join(fx.dir(), "d")), fx.inet(), fx.mem), expect: ret({ ret: -1, errno: EINVAL, dgram: null }, EINVAL) });
add({ fn: "tdgramUnixSocket", input: "local in a directory that does not exist", call: (fx) => tdgramUnixSocket(fx.unix(path.join(fx.dir(), "no", "d")), null, fx.mem), expect: ret({ ret: -1, errno: ENOENT, dgram: null }, ENOENT) });
add({ fn: "tdgramBsdExistingSocket", input: "fd -1", call: (fx) => tdgramBsdExistingSocket(fx.mem, -1).ret, expect: ret(0) });
add({ fn: "tdgramBsdExistingSocket", input: "fd a string", call: (fx) => tdgramBsdExistingSocket(fx.mem, bad("3")), expect: throwsType() });
add({ fn: "tdgramBsdOptimizeRecvfrom", input: "dgram a plain object", call: () => tdgramBsdOptimizeRecvfrom(fakeDgram, true), expect: throwsType() });
add({ fn: "tdgramSendtoSend/Recv (bsd udp)", input: "len 0 (zero length)", call: (fx) => {
  const r = tdgramInetUdpSocket(fx.inet("127.0.0.1", 0), null, fx.mem);
  return fx.drive(tdgramSendtoSend(fx.mem, fx.ev, r.dgram as TdgramContext, B("a"), 0, fx.inet("127.0.0.1", 9)), tdgramSendtoRecv);
}, expect: req({ ret: -1, perrno: EINVAL }) });
add({ fn: "tdgramSendtoSend/Recv (bsd udp)", input: "wrong address kind: dst is unix", call: (fx) => {
  const r = tdgramInetUdpSocket(fx.inet("127.0.0.1", 0), null, fx.mem);
  return fx.drive(tdgramSendtoSend(fx.mem, fx.ev, r.dgram as TdgramContext, B("a"), 1, fx.unix("/tmp/x")), tdgramSendtoRecv);
}, expect: req({ ret: -1, perrno: EAFNOSUPPORT }) });
add({ fn: "tdgramSendtoSend/Recv (bsd udp)", input: "70000 bytes (over the UDP maximum)", call: (fx) => {
  const r = tdgramInetUdpSocket(fx.inet("127.0.0.1", 0), null, fx.mem);
  return fx.drive(tdgramSendtoSend(fx.mem, fx.ev, r.dgram as TdgramContext, new Uint8Array(70000), 70000, fx.inet("127.0.0.1", 9)), tdgramSendtoRecv);
}, expect: req({ ret: -1, perrno: EMSGSIZE }) });

/* ---- listeners ---- */
add({ fn: "tstreamInetTcpListen", input: "wrong address kind: local is unix", call: (fx) => tstreamInetTcpListen(fx.mem, fx.unix("/tmp/x"), 5), expect: ret({ ret: -1, errno: EINVAL, listener: null }, EINVAL) });
add({ fn: "tstreamInetTcpListen", input: "backlog 1.5", call: (fx) => tstreamInetTcpListen(fx.mem, fx.inet(), 1.5), expect: throwsType() });
add({ fn: "tstreamInetTcpListen", input: "local a plain object", call: (fx) => tstreamInetTcpListen(fx.mem, fakeAddr, 5), expect: throwsType() });
add({ fn: "tstreamUnixListen", input: "wrong address kind: local is inet", call: (fx) => tstreamUnixListen(fx.mem, fx.inet(), 5), expect: ret({ ret: -1, errno: EINVAL, listener: null }, EINVAL) });
add({ fn: "tstreamInetTcpListen + tstreamListenReadySend/Recv", input: "a port already in use", call: async (fx) => {
  const l1 = tstreamInetTcpListen(fx.mem, fx.inet("127.0.0.1", 0), 5).listener as TstreamListener;
  await fx.drive(tstreamListenReadySend(fx.mem, fx.ev, l1), tstreamListenReadyRecv);
  const port = tsocketAddressInetPort(tstreamListenerAddress(l1, fx.mem) as TsocketAddress);
  const l2 = tstreamInetTcpListen(fx.mem, fx.inet("127.0.0.1", port), 5).listener as TstreamListener;
  return fx.drive(tstreamListenReadySend(fx.mem, fx.ev, l2), tstreamListenReadyRecv);
}, expect: req({ ret: -1, perrno: EADDRINUSE }) });
add({ fn: "tstreamUnixListen + tstreamListenReadySend/Recv", input: "a path in a directory that does not exist", call: (fx) => {
  const l = tstreamUnixListen(fx.mem, fx.unix(path.join(fx.dir(), "nodir", "s")), 5).listener as TstreamListener;
  return fx.drive(tstreamListenReadySend(fx.mem, fx.ev, l), tstreamListenReadyRecv);
}, expect: req({ ret: -1, perrno: ENOENT }) });
add({ fn: "tstreamUnixListen + tstreamListenReadySend/Recv", input: "a path under a regular file", call: (fx) => {
  const f = path.join(fx.dir(), "file");
  fs.writeFileSync(f, "");
  const l = tstreamUnixListen(fx.mem, fx.unix(path.join(f, "s")), 5).listener as TstreamListener;
  return fx.drive(tstreamListenReadySend(fx.mem, fx.ev, l), tstreamListenReadyRecv);
}, expect: req({ ret: -1, perrno: ENOTDIR }) });
add({ fn: "tstreamListenerAddress", input: "listener a plain object", call: (fx) => tstreamListenerAddress(bad({}), fx.mem), expect: throwsType() });
add({ fn: "tstreamListenReadySend", input: "ev not a TeventContext", call: (fx) => tstreamListenReadySend(fx.mem, fakeEv, tstreamInetTcpListen(fx.mem, fx.inet(), 5).listener as TstreamListener), expect: throwsType() });
add({ fn: "tstreamAcceptSend/Recv", input: "a freed listener", call: (fx) => {
  const l = tstreamInetTcpListen(fx.mem, fx.inet(), 5).listener as TstreamListener;
  tallocFree(l);
  return fx.drive(tstreamAcceptSend(fx.mem, fx.ev, l), (r) => tstreamAcceptRecv(r, fx.mem));
}, expect: req({ ret: -1, perrno: EBADF, stream: null }) });
add({ fn: "tstreamAcceptSend", input: "listener a plain object", call: (fx) => tstreamAcceptSend(fx.mem, fx.ev, bad({})), expect: throwsType() });

/* ---- TLS ---- */
add({ fn: "tlsVerifyPeerString", input: "an unknown level (99)", call: () => tlsVerifyPeerString(99), expect: ret("unknown tls_verify_peer_state") });
add({ fn: "tstreamTlsParamsClient", input: "caFile a number", call: (fx) => tstreamTlsParamsClient(fx.mem, bad(5), null, null, TLS_VERIFY_PEER_NO_CHECK, null), expect: throwsType() });
add({ fn: "tstreamTlsParamsClient", input: "verifyPeer a string", call: (fx) => tstreamTlsParamsClient(fx.mem, null, null, null, bad("x"), null), expect: throwsType() });
add({ fn: "tstreamTlsParamsClient", input: "caFile that does not exist", call: (fx) => tstreamTlsParamsClient(fx.mem, "/nonexistent/ca.pem", null, null, 4, null), expect: ret({ ret: -1, tlsp: null }) });
add({ fn: "tstreamTlsParamsServer", input: "keyFile that does not exist", call: (fx) => tstreamTlsParamsServer(fx.mem, "h", true, "/nonexistent/k.pem", "/nonexistent/c.pem", null, null, null, null), expect: ret({ ret: -1, tlsp: null }) });
add({ fn: "tstreamTlsParamsEnabled", input: "tlsp a plain object", call: () => tstreamTlsParamsEnabled(bad({})), expect: throwsType() });
add({ fn: "tstreamTlsConnectSend", input: "plainStream a plain object", call: (fx) => {
  const p = tstreamTlsParamsClient(fx.mem, null, null, null, TLS_VERIFY_PEER_NO_CHECK, null);
  return tstreamTlsConnectSend(fx.mem, fx.ev, fakeStream, p.tlsp as never);
}, expect: throwsType() });
add({ fn: "tstreamTlsConnectSend", input: "tlsp a plain object", call: (fx) => tstreamTlsConnectSend(fx.mem, fx.ev, fx.s1(), bad({})), expect: throwsType() });
add({ fn: "tstreamTlsAcceptSend", input: "ev not a TeventContext", call: (fx) => tstreamTlsAcceptSend(fx.mem, fakeEv, fx.s1(), bad({})), expect: throwsType() });
add({ fn: "tstreamTlsConnectSend/Recv", input: "a plain stream already disconnected", call: async (fx) => {
  const s = fx.s1();
  await fx.drive(tstreamDisconnectSend(fx.mem, fx.ev, s), tstreamDisconnectRecv);
  const p = tstreamTlsParamsClient(fx.mem, null, null, null, TLS_VERIFY_PEER_NO_CHECK, null);
  return fx.drive(tstreamTlsConnectSend(fx.mem, fx.ev, s, p.tlsp as never), (r) => tstreamTlsConnectRecv(r, fx.mem));
}, expect: req({ ret: -1, perrno: ENOTCONN, tlsStream: null }) });

add({ fn: "tstreamTlsAcceptRecv", input: "req a plain object", call: (fx) => tstreamTlsAcceptRecv(fakeReq, fx.mem), expect: throwsType() });

/* ---- duplex adapters ---- */
add({ fn: "tstreamFromDuplex", input: "duplex a plain object", call: (fx) => tstreamFromDuplex(fx.mem, bad({})), expect: throwsType() });
add({ fn: "tstreamFromDuplex", input: "a duplex already destroyed", call: (fx) => { const d = new PassThrough(); d.destroy(); return tstreamFromDuplex(fx.mem, d); }, expect: ret({ ret: -1, errno: EBADF, stream: null }) });
add({ fn: "tstreamToDuplex", input: "ev not a TeventContext", call: (fx) => tstreamToDuplex(fakeEv, fx.s1()), expect: throwsType() });
add({ fn: "tstreamToDuplex", input: "stream a plain object", call: (fx) => tstreamToDuplex(fx.ev, fakeStream), expect: throwsType() });
add({ fn: "errnoToNodeError", input: "an unknown errno (99999)", call: () => { const e = errnoToNodeError(99999, "read"); return { isError: e instanceof Error, errno: e.errno }; }, expect: ret({ isError: true, errno: -99999 }) });

/* ---- comms ---- */
const mkSession = (fx: Fx) => commsSessionCreate(fx.mem, {}, () => 0, () => undefined);
/** After a refused receive, the session takes "xyz" and its stream reads exactly that. */
async function sessionStillWorks(fx: Fx): Promise<void> {
  const sess = (fx as unknown as { _s: ReturnType<typeof mkSession> })._s;
  const n = commsSessionReceive(sess, B("xyz"), 3);
  const buf = new Uint8Array(3);
  const r = await fx.drive(tstreamReadvSend(fx.mem, fx.ev, sess.stream, [buf], 1), tstreamReadvRecv);
  if (n !== 3 || r.ret !== 3 || Buffer.from(buf).toString() !== "xyz") {
    throw new Error(`session corrupted after bad input: ${JSON.stringify({ n, r })}`);
  }
}
const SESSION_WORKS = "the session takes 3 bytes and its stream reads them back intact";
add({ fn: "commsSessionCreate", input: "sendFunc a string", call: (fx) => commsSessionCreate(fx.mem, {}, bad(NOFN), h), expect: throwsType() });
add({ fn: "commsSessionCreate", input: "closeFunc a string", call: (fx) => commsSessionCreate(fx.mem, {}, () => 0, bad(NOFN)), expect: throwsType() });
add({ fn: "commsSessionReceive", input: "session a plain object", call: () => commsSessionReceive(bad({}), B("a"), 1), expect: throwsType() });
add({ fn: "commsSessionReceive", input: "size 0 (zero length)", call: (fx) => commsSessionReceive(mkSession(fx), B("a"), 0), expect: ret(0) });
add({ fn: "commsSessionReceive", input: "data a string", call: (fx) => commsSessionReceive(mkSession(fx), bad("a"), 1), expect: throwsType() });
add({ fn: "commsSessionReceive", input: "a session closed by the other side (commsSessionClose)", call: (fx) => { const s = mkSession(fx); commsSessionClose(s); return commsSessionReceive(s, B("a"), 1); }, expect: ret(-1, EPIPE) });
add({ fn: "commsSessionReceive", input: "a session whose stream this end disconnected", call: async (fx) => {
  const s = mkSession(fx);
  await fx.drive(tstreamDisconnectSend(fx.mem, fx.ev, s.stream), tstreamDisconnectRecv);
  return commsSessionReceive(s, B("a"), 1);
}, expect: ret(-1, ENOTCONN) });
add({ fn: "commsSessionReceive", input: "a session whose stream was freed", call: (fx) => { const s = mkSession(fx); tallocFree(s.stream); return commsSessionReceive(s, B("a"), 1); }, expect: ret(-1, EBADF) });
for (const [what, size] of [["size -1", -1], ["size larger than data", 4], ["size 1.5", 1.5], ["size NaN", NaN]] as const) {
  add({ fn: "commsSessionReceive", input: what, call: (fx) => {
    const sess = mkSession(fx);
    (fx as unknown as { _s: unknown })._s = sess;
    return commsSessionReceive(sess, B("abc"), size);
  }, expect: ret(-1, EINVAL), after: sessionStillWorks, afterText: SESSION_WORKS });
}
add({ fn: "commsSessionReceive", input: "size a string", call: (fx) => commsSessionReceive(mkSession(fx), B("a"), bad("1")), expect: throwsType() });
add({ fn: "commsSessionReceiveRoom", input: "a session closed by the other side", call: (fx) => { const s = mkSession(fx); commsSessionClose(s); return commsSessionReceiveRoom(s); }, expect: ret(-1, EPIPE) });
add({ fn: "commsSessionReceiveRoom", input: "session a plain object", call: () => commsSessionReceiveRoom(bad({})), expect: throwsType() });
add({ fn: "commsSessionClose", input: "closed twice", call: (fx) => { const s = mkSession(fx); commsSessionClose(s); commsSessionClose(s); return commsSessionReceiveRoom(s); }, expect: ret(-1) });
add({ fn: "commsSessionSendPause", input: "session a plain object", call: () => commsSessionSendPause(bad({})), expect: throwsType() });
add({ fn: "tstreamConsumerSend", input: "receiveFn a string", call: (fx) => tstreamConsumerSend(fx.mem, fx.ev, fx.s1(), bad(NOFN)), expect: throwsType() });
add({ fn: "tstreamConsumerSend/Recv", input: "a freed stream", call: (fx) => fx.drive(tstreamConsumerSend(fx.mem, fx.ev, fx.freed(fx.s1()), () => 0), tstreamConsumerRecv), expect: req({ ret: -1, perrno: EBADF }) });

add({ fn: "commsSessionSendResume", input: "session a plain object", call: () => commsSessionSendResume(bad({})), expect: throwsType() });

/* ---- promises ---- */
add({ fn: "promises.awaitDriverState", input: "ev a plain object", call: () => promises.awaitDriverState(fakeEv), expect: throwsType() });
add({ fn: "promises.readv", input: "ev not a TeventContext", call: (fx) => promises.readv(fakeEv, fx.s1(), [new Uint8Array(1)]), expect: throwsType() });
add({ fn: "promises.readv", input: "empty vector", call: (fx) => promises.readv(fx.ev, fx.s1(), []), expect: ret({ ret: -1, perrno: EINVAL }) });
add({ fn: "promises.writev", input: "zero length (one empty buffer)", call: (fx) => promises.writev(fx.ev, fx.s1(), [new Uint8Array(0)]), expect: ret({ ret: -1, perrno: EINVAL }) });
add({ fn: "promises.writev", input: "opts a number", call: (fx) => promises.writev(fx.ev, fx.s1(), [B("a")], bad(5)), expect: throwsType() });
add({ fn: "promises.writev", input: "opts.signal a string", call: (fx) => promises.writev(fx.ev, fx.s1(), [B("a")], { signal: bad("x") }), expect: throwsType() });
add({ fn: "promises.writev", input: "opts.memCtx a number", call: (fx) => promises.writev(fx.ev, fx.s1(), [B("a")], { memCtx: bad(5) }), expect: throwsType() });
add({ fn: "promises.readv", input: "a signal already aborted", call: (fx) => promises.readv(fx.ev, fx.s1(), [new Uint8Array(1)], { signal: AbortSignal.abort() }), expect: rejects("AbortError") });
add({ fn: "promises.readPdu", input: "nextVector a string", call: (fx) => promises.readPdu(fx.ev, fx.s1(), bad(NOFN), null), expect: throwsType() });
add({ fn: "promises.sendto", input: "dst a plain object", call: (fx) => { const { d1 } = fx.dgrams(); return promises.sendto(fx.ev, d1, B("a"), fakeAddr); }, expect: throwsType() });
add({ fn: "promises.sendto", input: "zero length buffer", call: (fx) => { const { d1, a2 } = fx.dgrams(); return promises.sendto(fx.ev, d1, new Uint8Array(0), a2); }, expect: ret({ ret: -1, perrno: EINVAL }) });
add({ fn: "promises.recvfrom", input: "dgram a plain object", call: (fx) => promises.recvfrom(fx.ev, fakeDgram), expect: throwsType() });
add({ fn: "promises.connectTcp", input: "wrong address kind: local is unix", call: (fx) => promises.connectTcp(fx.ev, fx.unix("/tmp/x"), fx.inet("127.0.0.1", 1)), expect: ret({ ret: -1, perrno: EINVAL, stream: null }) });
add({ fn: "promises.connectUnix", input: "wrong address kind: remote is inet", call: (fx) => promises.connectUnix(fx.ev, fx.unix(""), fx.inet("127.0.0.1", 1)), expect: ret({ ret: -1, perrno: EINVAL, stream: null }) });
add({ fn: "promises.accept", input: "listener a plain object", call: (fx) => promises.accept(fx.ev, bad({})), expect: throwsType() });
add({ fn: "promises.listenReady", input: "listener a plain object", call: (fx) => promises.listenReady(fx.ev, bad({})), expect: throwsType() });
add({ fn: "promises.disconnect", input: "a plain object", call: (fx) => promises.disconnect(fx.ev, bad({})), expect: throwsType() });
add({ fn: "promises.disconnect", input: "a stream already disconnected", call: async (fx) => {
  const s = fx.s1();
  await promises.disconnect(fx.ev, s);
  return promises.disconnect(fx.ev, s);
}, expect: ret({ ret: -1, perrno: ENOTCONN }) });

void pendingReq; void TEVENT_REQ_USER_ERROR; void TEVENT_REQ_IN_PROGRESS; void tallocIsFreed;

/* ------------------------------------------------------------------ */
/* the answer, in words (for the table)                                  */

const ERRNO_KEYS = new Set(["errno", "perrno", "unix"]);

function show(v: unknown, key?: string): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing (undefined)";
  if (typeof v === "number") {
    if (key !== undefined && ERRNO_KEYS.has(key) && v !== 0) return errnoName(v);
    if (key === "state") return ["INIT", "IN_PROGRESS", "DONE", "USER_ERROR", "TIMED_OUT", "NO_MEMORY", "RECEIVED"][v] ?? String(v);
    return String(v);
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => show(x)).join(", ")}]`;
  if (typeof v === "object") {
    return `{ ${Object.entries(v as object).map(([k, x]) => `${k}: ${show(x, k)}`).join(", ")} }`;
  }
  return String(v);
}

export function answerText(e: Expect): string {
  switch (e.kind) {
    case "ret": return `returns ${show(e.value)}${e.errno !== undefined ? `, errno ${errnoName(e.errno)}` : ""}`;
    case "req": return `through the request: ${show(e.value)}`;
    case "throwsType": return "TypeError (documented programming error)";
    case "throwsError": return "throws Error (documented: C aborts)";
    case "rejects": return `promise rejects with ${e.name}`;
  }
}
