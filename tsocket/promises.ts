// tsocket/promises: an await layer beside the faithful API (API.md, "Beyond
// the C API").  Nothing here changes how the _send/_recv functions behave:
// each function below is exactly
//
//     req = xxx_send(memCtx, ev, ...);  (callback: xxx_recv(req, memCtx); talloc_free(req))
//
// with the tevent loop run for the caller while the request is outstanding.
//
// Results.  A promise resolves with the very object the _recv function
// returns ({ ret, perrno, ... }): an I/O error is a result, as C's errno
// convention has it (ECONNREFUSED resolves { ret: -1, perrno: ECONNREFUSED,
// stream: null, local: null }).  A promise rejects only
//   - for a programming error (a TypeError from the _send function: not a
//     TeventContext, not a stream, a bad signal...),
//   - with a TsocketAbortError (name "AbortError", code "ABORT_ERR", errno
//     ECANCELED) when opts.signal aborts (the request is freed, i.e.
//     cancelled, at once; a signal already aborted rejects without starting
//     any I/O) or when the request is freed under the await (by freeing
//     opts.memCtx, its parent),
//   - with the loop's failure when the loop this layer runs fails: an Error
//     with errno EINVAL when the event context is freed under the await, or
//     the exception a tevent handler threw while this layer ran the loop.
//
// Who runs the loop.  Handlers run only inside teventLoopOnce/Wait/Until and
// teventReqPoll; an await must therefore run the loop itself, unless some
// other code already does.  Each TeventContext gets one driver, created on
// demand, running while at least one await on that context is outstanding
// and stopping when none is.  Its rules:
//   - it is started from a microtask, never from inside the call that
//     starts an await, so an await begun inside a tevent handler never
//     nests a loop (no ELOOP): the loop that runs that handler goes on, and
//     the driver joins once the handler has returned;
//   - it runs one iteration (the internal form of teventLoopOnce) only when
//     an event is ready now (an immediate, a due timer, a signal, a ready
//     fd), so it never waits inside the tevent loop, where it could neither
//     be stopped nor notice that someone else handled its event;
//   - while nothing is ready, or while another loop of the same context
//     waits in Node (a teventReqPoll, teventLoopWait, teventLoopUntil or
//     teventLoopOnce of the user's), it parks instead: it is woken with
//     those loops (it sits in ev.waiters) but resumes only after every loop
//     woken with it has run (two Node turns later), re-checks every 50 ms
//     while it defers to another loop, and wakes for the next timer.  So it
//     never takes an event that a waiting loop of the user's is waiting for
//     (tevent's waiting loop only re-checks its condition after an event it
//     handled itself), and the user's loops never take the driver's events
//     away from it for good (a completion that another loop delivers ends
//     the driver's park at once when it was the last await);
//   - a long run of ready events yields to Node now and then, as runLoop does.
// Between two loop calls of the user's (not while one waits) the driver may
// handle events; with several loops on one context, which of them handles an
// event is not defined, as in any program that runs two loops.
//
// Known limit (tevent's, documented for the lead): a user loop that is in
// the middle of its fd "sampling" yield (an fd ready for only some of the
// conditions it watches) is invisible to the driver for one Node turn.

import { ECANCELED, EINVAL, errnoName, getErrno } from "../lib/errno";
import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal } from "../lib/talloc";
import { fdPruneReady } from "../tevent/fd";
import { checkContext, TeventContext } from "../tevent/internal";
import { TeventReq, teventReqSetCallback } from "../tevent/req";
import { loopOnceInternal } from "../tevent/tevent";
import { teventTimevalCurrent, teventTimevalUntil } from "../tevent/timed";
import { TsocketAddress } from "./address";
import { TdgramContext, tdgramDisconnectRecv, tdgramDisconnectSend, tdgramRecvfromRecv, tdgramRecvfromSend,
         tdgramSendtoRecv, tdgramSendtoSend } from "./dgram";
import { TstreamReadvPduNextVectorFn, tstreamReadvPduRecv, tstreamReadvPduSend } from "./helpers";
import {
  tstreamAcceptRecv, tstreamAcceptSend, TstreamListener, tstreamListenReadyRecv, tstreamListenReadySend,
} from "./bsd/listen";
import {
  tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend, tstreamUnixConnectRecv, tstreamUnixConnectSend,
} from "./bsd/stream";
import {
  TstreamContext, tstreamDisconnectRecv, tstreamDisconnectSend, tstreamReadvRecv, tstreamReadvSend,
  tstreamWritevRecv, tstreamWritevSend,
} from "./stream";

/** Options of every await. */
export interface TsocketAwaitOptions {
  /** Aborting it frees (cancels) the request; the promise rejects with a TsocketAbortError. */
  signal?: AbortSignal;
  /**
   * The talloc parent of the request and of what the result carries
   * (recvfrom's buf and src, connect's and accept's stream and addresses).
   * Freeing it while the await is outstanding cancels the request (the
   * promise rejects with a TsocketAbortError).  Default: null.
   */
  memCtx?: TallocCtx;
}

/** { ret, perrno }: what tstreamReadvRecv, tstreamWritevRecv, tdgramSendtoRecv... return. */
export interface TsocketIntResult {
  ret: number;
  perrno: number;
}

/**
 * The rejection of an aborted or freed await: name "AbortError", code
 * "ABORT_ERR" (as Node's own AbortError), errno ECANCELED; `cause` is the
 * signal's reason when a signal aborted.
 */
export class TsocketAbortError extends Error {
  override readonly name = "AbortError";
  readonly code = "ABORT_ERR";
  readonly errno = ECANCELED;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The rejection when the loop this layer runs fails (errno: EINVAL for a freed context). */
export class TsocketLoopError extends Error {
  override readonly name = "TsocketLoopError";
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

/* ------------------------------------------------------------------ */
/* the per-context driver                                               */

interface Awaiting {
  fail(err: unknown): void;
}

/* how often a driver that defers to another loop looks again (ms) */
const DEFER_RECHECK_MS = 50;
/* the longest park when no timer is due: tevent's own 30 s */
const IDLE_PARK_MS = 30000;
const YIELD_CHECK = 1024;
const YIELD_AFTER_MS = 20;

class Driver {
  readonly pending = new Set<Awaiting>();
  running = false;
  /* ends the current park at once (null when not parked) */
  release: (() => void) | null = null;
  constructor(readonly ev: TeventContext) {}
}

const drivers = new WeakMap<TeventContext, Driver>();

function driverFor(ev: TeventContext): Driver {
  let d = drivers.get(ev);
  if (d === undefined) {
    d = new Driver(ev);
    drivers.set(ev, d);
  }
  return d;
}

function driverAdd(d: Driver, a: Awaiting): void {
  d.pending.add(a);
  if (d.running) return;
  d.running = true;
  /* from a microtask: never a nested loop inside a handler that starts an await */
  queueMicrotask(() => { void driverRun(d); });
}

function driverRemove(d: Driver, a: Awaiting): void {
  d.pending.delete(a);
  if (d.pending.size === 0 && d.release !== null) d.release();
}

function failAll(d: Driver, err: unknown): void {
  for (const a of [...d.pending]) a.fail(err);
  d.pending.clear();
}

function isZero(tv: { tv_sec: number; tv_usec: number }): boolean {
  return tv.tv_sec === 0 && tv.tv_usec === 0;
}

/* ms until the first timer is due, null without timers */
function timerDelayMs(ev: TeventContext): number | null {
  const te = ev.teHead;
  if (te === null) return null;
  if (isZero(te.nextEvent)) return 0;
  const d = teventTimevalUntil(teventTimevalCurrent(), te.nextEvent);
  return d.tv_sec * 1000 + Math.ceil(d.tv_usec / 1000);
}

/* An iteration would find an event without waiting in Node. */
function workReady(ev: TeventContext): boolean {
  if (ev.imHead !== null) return true;
  if (ev.sigPipe || (ev.sigPending !== null && ev.sigPending.size > 0)) return true;
  if (timerDelayMs(ev) === 0) return true;
  if (ev.readyHead !== null) {
    fdPruneReady(ev);
    if (ev.readyHead !== null) return true;
  }
  return false;
}

/* Resume after every loop of the context woken together with us has run. */
function afterOthers(fn: () => void): void {
  setImmediate(() => setImmediate(fn));
}

/* Wait until something may have changed: woken with the context's loops
 * (I/O, an immediate or timer added, a signal, the context freed), the next
 * timer, a periodic look while deferring, or release (the last await ended). */
function park(d: Driver, deferring: boolean): Promise<void> {
  const ev = d.ev;
  return new Promise<void>((resolve) => {
    let settled = false;
    let later = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const i = ev.waiters.indexOf(wake);
      if (i >= 0) ev.waiters.splice(i, 1);
      if (d.release === finish) d.release = null;
      resolve();
    };
    const finishLater = (): void => {
      if (later || settled) return;
      later = true;
      afterOthers(finish);
    };
    const wake = (): void => finishLater();
    let ms = timerDelayMs(ev) ?? IDLE_PARK_MS;
    if (deferring && ms > DEFER_RECHECK_MS) ms = DEFER_RECHECK_MS;
    const timer = setTimeout(finishLater, Math.max(ms, 1));
    ev.waiters.push(wake);
    d.release = finish;
  });
}

async function driverRun(d: Driver): Promise<void> {
  const ev = d.ev;
  let n = 0;
  let since = Date.now();
  try {
    while (d.pending.size > 0) {
      if (ev.freed) {
        failAll(d, new TsocketLoopError(EINVAL, "the tevent context was freed under an await"));
        break;
      }
      /* another loop waits in Node (it handles what comes), or a nested one runs */
      const deferring = ev.waiters.length > 0 || ev.nesting > 0;
      if (deferring || !workReady(ev)) {
        await park(d, deferring);
        n = 0;
        since = Date.now();
        continue;
      }
      let r: number;
      try {
        const p = loopOnceInternal(ev);
        r = typeof p === "number" ? p : await p;
      } catch (e) {
        /* a handler threw: the awaits that ran the loop see it, as teventReqPoll's caller would */
        failAll(d, e);
        break;
      }
      if (r !== 0) {
        const errno = getErrno();
        failAll(d, new TsocketLoopError(errno, `the tevent loop failed (${errnoName(errno)})`));
        break;
      }
      if (++n >= YIELD_CHECK) {
        n = 0;
        if (Date.now() - since >= YIELD_AFTER_MS) {
          await new Promise<void>((resolve) => afterOthers(resolve));
          since = Date.now();
        }
      }
    }
  } finally {
    d.running = false;
    if (d.pending.size > 0) driverAdd(d, d.pending.values().next().value as Awaiting);
  }
}

/* ------------------------------------------------------------------ */
/* one await                                                            */

function checkEv(ev: unknown, fn: string): asserts ev is TeventContext {
  if (!(ev instanceof TeventContext)) throw new TypeError(`${fn}: ev must be a TeventContext`);
}

function checkOpts(opts: unknown, fn: string): { signal: AbortSignal | null; memCtx: TallocCtx } {
  if (opts === undefined || opts === null) return { signal: null, memCtx: null };
  if (typeof opts !== "object") throw new TypeError(`${fn}: opts must be an object`);
  const o = opts as TsocketAwaitOptions;
  const signal = o.signal ?? null;
  if (signal !== null && !(signal instanceof AbortSignal)) {
    throw new TypeError(`${fn}: opts.signal must be an AbortSignal`);
  }
  const memCtx = o.memCtx ?? null;
  if (memCtx !== null && typeof memCtx !== "object" && typeof memCtx !== "function") {
    throw new TypeError(`${fn}: opts.memCtx must be a talloc context (an object) or null`);
  }
  return { signal, memCtx };
}

function abortError(fn: string, signal: AbortSignal): TsocketAbortError {
  return new TsocketAbortError(`${fn}: aborted`, { cause: signal.reason });
}

/*
 * req = send(memCtx); on completion result = recv(req, memCtx) and
 * talloc_free(req), from the request's callback (inside the loop).
 */
function awaitRequest<T>(fn: string, ev: unknown, opts: unknown,
                         send: (memCtx: TallocCtx, ev: TeventContext) => TeventReq,
                         recv: (req: TeventReq, memCtx: TallocCtx) => T): Promise<T> {
  try {
    checkEv(ev, fn);
    const { signal, memCtx } = checkOpts(opts, fn);
    if (signal !== null && signal.aborted) return Promise.reject(abortError(fn, signal));
    const req = send(memCtx, ev);
    return new Promise<T>((resolve, reject) => {
      const d = driverFor(ev);
      let settled = false;
      const settle = (): void => {
        settled = true;
        if (signal !== null) signal.removeEventListener("abort", onAbort);
        driverRemove(d, entry);
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        settle();
        tallocFree(req);
        reject(err);
      };
      const entry: Awaiting = { fail };
      const onAbort = (): void => {
        if (signal !== null) fail(abortError(fn, signal));
      };
      /* freed by someone else (its parent memCtx): cancelled */
      const sentinel = {};
      tallocSteal(req, sentinel);
      tallocSetDestructor(sentinel, () => {
        if (settled) return 0;
        settle();
        reject(new TsocketAbortError(`${fn}: the request was freed`));
        return 0;
      });
      teventReqSetCallback(req, () => {
        if (settled) return;
        let result: T;
        try {
          result = recv(req, memCtx);
        } catch (e) {
          fail(e);
          return;
        }
        settle();
        tallocFree(req);
        resolve(result);
      });
      if (signal !== null) signal.addEventListener("abort", onAbort, { once: true });
      driverAdd(d, entry);
    });
  } catch (e) {
    return Promise.reject(e);
  }
}

/* ------------------------------------------------------------------ */
/* the API                                                              */

/**
 * tstream_readv_send/recv: fill every buffer of vector (all of
 * vector.length) from stream.  Resolves { ret: bytes read, perrno: 0 } or
 * { ret: -1, perrno } (EPIPE at end of stream, EBUSY while another readv is
 * outstanding...).  Aborting frees the request: bytes already copied into
 * vector stay consumed (as after C's readv(2)); bytes not copied yet stay
 * queued for the next readv.
 */
export function readv(ev: TeventContext, stream: TstreamContext, vector: Uint8Array[],
                      opts?: TsocketAwaitOptions): Promise<TsocketIntResult> {
  return awaitRequest("readv", ev, opts,
    (memCtx, e) => tstreamReadvSend(memCtx, e, stream, vector, Array.isArray(vector) ? vector.length : 0),
    (req) => tstreamReadvRecv(req));
}

/**
 * tstream_writev_send/recv: write every buffer of vector.  Resolves
 * { ret: bytes written, perrno: 0 } or { ret: -1, perrno }.  The buffers must
 * not change until the promise settles (API.md rule 7); an aborted writev
 * may still write what Node already holds (see tsocket/bsd/stream.ts).
 */
export function writev(ev: TeventContext, stream: TstreamContext, vector: Uint8Array[],
                       opts?: TsocketAwaitOptions): Promise<TsocketIntResult> {
  return awaitRequest("writev", ev, opts,
    (memCtx, e) => tstreamWritevSend(memCtx, e, stream, vector, Array.isArray(vector) ? vector.length : 0),
    (req) => tstreamWritevRecv(req));
}

/**
 * tstream_readv_pdu_send/recv: read one PDU, asking nextVector
 * (tstream_readv_pdu_next_vector_t) for each vector until it returns count 0.
 * Resolves { ret: the PDU's bytes, perrno: 0 } or { ret: -1, perrno }.
 */
export function readPdu<P>(ev: TeventContext, stream: TstreamContext, nextVector: TstreamReadvPduNextVectorFn<P>,
                           priv: P, opts?: TsocketAwaitOptions): Promise<TsocketIntResult> {
  return awaitRequest("readPdu", ev, opts,
    (memCtx, e) => tstreamReadvPduSend(memCtx, e, stream, nextVector, priv),
    (req) => tstreamReadvPduRecv(req));
}

/**
 * tdgram_recvfrom_send/recv: the next datagram.  Resolves
 * { ret: its length, perrno: 0, buf, src } (buf and src children of
 * opts.memCtx) or { ret: -1, perrno, buf: null, src: null }.
 */
export function recvfrom(ev: TeventContext, dgram: TdgramContext, opts?: TsocketAwaitOptions):
    Promise<{ ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null }> {
  return awaitRequest("recvfrom", ev, opts,
    (memCtx, e) => tdgramRecvfromSend(memCtx, e, dgram),
    (req, memCtx) => tdgramRecvfromRecv(req, memCtx));
}

/**
 * tdgram_sendto_send/recv: send all of buf to dst (null on a connected
 * socket).  Resolves { ret: bytes sent, perrno: 0 } or { ret: -1, perrno }.
 */
export function sendto(ev: TeventContext, dgram: TdgramContext, buf: Uint8Array, dst: TsocketAddress | null,
                       opts?: TsocketAwaitOptions): Promise<TsocketIntResult> {
  return awaitRequest("sendto", ev, opts,
    (memCtx, e) => tdgramSendtoSend(memCtx, e, dgram, buf, buf instanceof Uint8Array ? buf.length : 0, dst),
    (req) => tdgramSendtoRecv(req));
}

/**
 * tstream_inet_tcp_connect_send/recv.  Resolves { ret: 0, perrno: 0,
 * stream, local } (children of opts.memCtx) or
 * { ret: -1, perrno (ECONNREFUSED...), stream: null, local: null }.
 */
export function connectTcp(ev: TeventContext, local: TsocketAddress, remote: TsocketAddress,
                           opts?: TsocketAwaitOptions):
    Promise<{ ret: number; perrno: number; stream: TstreamContext | null; local: TsocketAddress | null }> {
  return awaitRequest("connectTcp", ev, opts,
    (memCtx, e) => tstreamInetTcpConnectSend(memCtx, e, local, remote),
    (req, memCtx) => tstreamInetTcpConnectRecv(req, memCtx));
}

/**
 * tstream_unix_connect_send/recv.  Resolves { ret: 0, perrno: 0, stream }
 * (a child of opts.memCtx) or { ret: -1, perrno, stream: null }.
 */
export function connectUnix(ev: TeventContext, local: TsocketAddress, remote: TsocketAddress,
                            opts?: TsocketAwaitOptions):
    Promise<{ ret: number; perrno: number; stream: TstreamContext | null }> {
  return awaitRequest("connectUnix", ev, opts,
    (memCtx, e) => tstreamUnixConnectSend(memCtx, e, local, remote),
    (req, memCtx) => tstreamUnixConnectRecv(req, memCtx));
}

/**
 * tstreamAcceptSend/Recv (the listener extension): the next connection.
 * Resolves { ret: 0, perrno: 0, stream, remote } (children of
 * opts.memCtx) or { ret: -1, perrno, stream: null, remote: null }.  An
 * aborted accept lets the next accept have the connection.
 */
export function accept(ev: TeventContext, listener: TstreamListener, opts?: TsocketAwaitOptions):
    Promise<{ ret: number; perrno: number; stream: TstreamContext | null; remote: TsocketAddress | null }> {
  return awaitRequest("accept", ev, opts,
    (memCtx, e) => tstreamAcceptSend(memCtx, e, listener),
    (req, memCtx) => tstreamAcceptRecv(req, memCtx));
}

/**
 * tstreamListenReadySend/Recv (the listener extension): resolves
 * { ret: 0, perrno: 0 } once the listener is bound and listening
 * (tstreamListenerAddress then knows its port), or { ret: -1, perrno }.
 */
export function listenReady(ev: TeventContext, listener: TstreamListener,
                            opts?: TsocketAwaitOptions): Promise<TsocketIntResult> {
  return awaitRequest("listenReady", ev, opts,
    (memCtx, e) => tstreamListenReadySend(memCtx, e, listener),
    (req) => tstreamListenReadyRecv(req));
}

/**
 * tstream_disconnect_send/recv, or tdgram_disconnect_send/recv for a
 * TdgramContext.  Resolves { ret: 0, perrno: 0 } or { ret: -1, perrno }
 * (EBUSY while a request is outstanding, ENOTCONN the second time...).
 */
export function disconnect(ev: TeventContext, stream: TstreamContext | TdgramContext,
                           opts?: TsocketAwaitOptions): Promise<TsocketIntResult> {
  if (stream instanceof TdgramContext) {
    return awaitRequest("disconnect", ev, opts,
      (memCtx, e) => tdgramDisconnectSend(memCtx, e, stream),
      (req) => tdgramDisconnectRecv(req));
  }
  return awaitRequest("disconnect", ev, opts,
    (memCtx, e) => tstreamDisconnectSend(memCtx, e, stream),
    (req) => tstreamDisconnectRecv(req));
}

/**
 * How many awaits are outstanding on ev and whether its driver runs
 * (diagnostics and tests).
 */
export function awaitDriverState(ev: TeventContext): { pending: number; running: boolean; parked: boolean } {
  checkContext(ev, "awaitDriverState");
  const d = drivers.get(ev);
  if (d === undefined) return { pending: 0, running: false, parked: false };
  return { pending: d.pending.size, running: d.running, parked: d.release !== null };
}
