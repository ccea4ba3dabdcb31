// The pluggable comms interface of seeds/async_socket_interface.txt, both
// ways, on tstream.
//
// 1. A comms layer (anything that moves bytes: an in-process pipe, a
//    WebSocket, a message bus) hands us its opaque handle and two callbacks,
//    and gets back a session whose `.stream` is an ordinary TstreamContext:
//
//      commsSessionCreate(memCtx, handle, sendFunc, closeFunc)  session_create()
//      sendFunc(handle, buffer, size) -> 0 | -1                 comm_send_data
//      closeFunc(handle)                                        comm_close
//      commsSessionReceive(session, data, size) -> n | -1       session_receive()
//      commsSessionClose(session)                               session_close()
//
// 2. The reverse: tstreamConsumerSend() drives a session_receive()-style
//    consumer `(data, size) => consumed | -1` from any tstream.
//
// Error numbers follow C's bsd stream on a unix socket (tsocket/bsd/stream.ts):
//   - after commsSessionClose (the other side went away, unsolicited):
//     readv returns the bytes already received, then fails with EPIPE
//     (also a readv that was waiting); writev fails with EPIPE;
//     pending_bytes is the count while bytes are buffered, then -1/EPIPE;
//   - after tstream_disconnect (or once the stream is freed): readv,
//     writev, pending_bytes and a second disconnect fail with ENOTCONN;
//   - sendFunc returned -1: the writev fails with the errno the comms layer
//     set with setErrno() before returning, or EIO when it set none; the
//     error is sticky for writes (every later writev fails with it and
//     nothing more reaches sendFunc: the peer must never see a stream with
//     a hole in it).  Reads go on: the comms layer may still deliver.
//
// Every result is delivered from the tevent loop, never inside a _send and
// never inside a comms callback: commsSessionReceive and commsSessionClose
// only record what happened and schedule an immediate on the waiting
// request's event context, so the comms layer may call them from any Node.js
// callback (outside the loop) or from inside the loop.

import { PassThrough } from "node:stream";
import { EBADF, EINVAL, EIO, EMSGSIZE, ENOTCONN, EPIPE, EPROTO, getErrno, setErrno } from "../lib/errno";
import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal } from "../lib/talloc";
import { teventAddFd } from "../tevent/fd";
import { teventCreateImmediate, teventScheduleImmediate } from "../tevent/immediate";
import { TeventContext, TeventFd, TeventImmediate } from "../tevent/internal";
import {
  TeventReq, teventReqCallbackData, teventReqCreate, teventReqDone, teventReqError, teventReqPost,
  teventReqReceived, teventReqSetCallback,
} from "../tevent/req";
import { teventReqIsUnixError } from "../tevent/unix";
import {
  ByteQueue, readvCursorFinish as commsReadvFinish, readvCursorRecv, ReadvCursorState, readvCursorWait,
} from "./bytequeue";
import { tsocketSimpleIntRecv, tsocketSimpleIntRecvShared } from "./simple";
import {
  TstreamContext, TstreamContextOps, tstreamContextCreate, tstreamContextData, tstreamPendingBytes,
  TstreamReadvNowOp, tstreamReadvRecv, tstreamReadvSend,
} from "./stream";

/** comm_send_data: hand `size` bytes of `buffer` to the comms layer; 0, or -1 on failure. */
export type CommsSendData<H> = (handle: H, buffer: Uint8Array, size: number) => number;
/** comm_close: ask the comms layer to close the channel. */
export type CommsClose<H> = (handle: H) => void;
/** session_receive()-style consumer: the bytes it took from data (0..size), or -1 on error. */
export type TstreamConsumerFn = (data: Uint8Array, size: number) => number;

/**
 * Most bytes handed to sendFunc in one call: a larger buffer of a writev
 * vector goes in pieces, so that commsSessionSendPause (called by sendFunc
 * when the comms layer's own buffer is full) stops a large write early.
 */
export const COMMS_SESSION_SEND_CHUNK = 64 * 1024;

/**
 * Default bound of a session's receive buffer: bytes that
 * commsSessionReceive accepted and no readv has consumed yet.  Once it is
 * full, commsSessionReceive takes fewer bytes than offered (back-pressure).
 */
export const COMMS_SESSION_RECEIVE_LIMIT = 256 * 1024;

/**
 * Most bytes tstreamConsumerSend holds for a consumer that has not taken
 * them yet.  A consumer must make progress with this much in hand: when
 * the held bytes reach the bound and it still consumes nothing, the
 * request fails with EMSGSIZE (a message larger than we will buffer).
 */
export const TSTREAM_CONSUMER_MAX_UNCONSUMED = 256 * 1024;

export interface CommsSessionOpts {
  /** bound of the receive buffer in bytes (default COMMS_SESSION_RECEIVE_LIMIT) */
  receiveLimit?: number;
}

/**
 * The session (C's opaque ssl_session *): `stream` is the tstream the
 * protocol code reads and writes; the comms layer keeps the session and
 * passes it to commsSessionReceive / commsSessionClose.
 */
export class CommsSession<H = unknown> {
  /** the session's tstream, a talloc child of the session */
  readonly stream: TstreamContext<CommsStream>;
  /**
   * Back-pressure notification for the comms layer (optional; polling
   * commsSessionReceiveRoom() works too).  Armed when commsSessionReceive
   * took fewer bytes than offered; called once, from the tevent loop, when a
   * readv has brought the receive buffer down to half its bound or less.
   * It may call commsSessionReceive at once to offer the rest again.
   */
  onDrain: ((session: CommsSession<H>) => void) | null = null;
  constructor(readonly handle: H, sendFunc: CommsSendData<H>, closeFunc: CommsClose<H>, limit: number,
              memCtx: TallocCtx) {
    if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, this);
    /* the state sees the handle and callbacks untyped: H is the comms layer's business */
    const cs = new CommsStream(this as CommsSession<unknown>, handle, sendFunc as CommsSendData<unknown>,
                               closeFunc as CommsClose<unknown>, limit);
    this.stream = tstreamContextCreate(this, commsStreamOps, cs, "struct comms_stream");
    tallocSetDestructor(cs, commsStreamDestructor);
  }
  /** commsSessionReceive() */
  receive(data: Uint8Array, size: number): number { return commsSessionReceive(this, data, size); }
  /** commsSessionReceiveRoom() */
  receiveRoom(): number { return commsSessionReceiveRoom(this); }
  /** commsSessionClose(): the comms layer reports an unsolicited close */
  close(): void { commsSessionClose(this); }
  /** commsSessionSendPause() */
  sendPause(): void { commsSessionSendPause(this); }
  /** commsSessionSendResume() */
  sendResume(): void { commsSessionSendResume(this); }
}

/** The private state of a session's stream (tstreamContextData). */
export class CommsStream {
  /** received bytes not yet consumed, oldest first */
  readonly rx = new ByteQueue();
  get buffered(): number { return this.rx.length; }
  /** this side closed: tstream_disconnect, or the stream freed */
  closed = false;
  /** the comms layer reported the channel closed (commsSessionClose) */
  peerClosed = false;
  /** closeFunc was called (it is called once, at most) */
  closeCalled = false;
  /** a sendFunc failure, sticky for writes */
  sendError = 0;
  /** commsSessionSendPause(): writev waits before calling sendFunc */
  sendPaused = false;
  /** commsSessionReceive refused bytes: notify onDrain when there is room again */
  drainArmed = false;
  /** the backend requests waiting on this stream */
  reader: TeventReq | null = null;
  writer: TeventReq | null = null;
  constructor(readonly session: CommsSession<unknown>, readonly handle: unknown,
              readonly sendFunc: CommsSendData<unknown>, readonly closeFunc: CommsClose<unknown>,
              readonly limit: number) {}
}

/* A waiting backend request: its progress function runs from the loop. */
interface Progressing {
  im: TeventImmediate;
  ev: TeventContext;
  progress: (ev: TeventContext, im: TeventImmediate, req: TeventReq) => void;
}

function kick(req: TeventReq | null): void {
  if (req === null) return;
  const st = req.data as Progressing | null;
  if (st === null) return;
  teventScheduleImmediate(st.im, st.ev, st.progress, req);
}

/*
 * A request waiting for the comms layer keeps tevent_loop_wait() running,
 * as a request waiting on a descriptor does in C (the descriptor's
 * tevent_fd): a stand-in tevent_fd with flags 0 (it never fires), child of
 * the request's state, so it goes away with the request.
 */
function holdFdHandler(): void { /* never called: flags are 0 */ }

function holdLoop(ev: TeventContext, memCtx: object): TeventFd {
  return teventAddFd(ev, memCtx, new PassThrough(), 0, holdFdHandler, null) as TeventFd;
}

/* This side closes: drop what is buffered and tell the comms layer, once. */
function commsStreamClose(cs: CommsStream): void {
  if (cs.closed) return;
  cs.closed = true;
  cs.rx.clear();
  cs.drainArmed = false;
  kick(cs.reader);
  kick(cs.writer);
  if (!cs.closeCalled) {
    cs.closeCalled = true;
    cs.closeFunc(cs.handle);
  }
}

/* Freeing the stream (or the session) closes it, as close(2) would. */
function commsStreamDestructor(cs: CommsStream): number {
  commsStreamClose(cs);
  cs.reader = null;
  cs.writer = null;
  return 0;
}

function commsPendingBytes(stream: TstreamContext): number {
  const cs = tstreamContextData(stream) as CommsStream;
  if (cs.closed) {
    setErrno(ENOTCONN);
    return -1;
  }
  if (cs.buffered > 0) return cs.buffered;
  if (cs.peerClosed) {
    setErrno(EPIPE); /* as C's unix stream: nothing buffered and the peer gone */
    return -1;
  }
  return 0;
}

/* ---- readv ---- */

class CommsReadvState extends ReadvCursorState<CommsStream> implements Progressing {
  hold: TeventFd | null = null;
  readonly progress = commsReadvHandler;
}

function commsReadvSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                        vector: Uint8Array[], count: number): TeventReq {
  const cs = tstreamContextData(stream) as CommsStream;
  const state = new CommsReadvState(ev, vector, count);
  const req = teventReqCreate(memCtx, state, "struct comms_readv_state");
  state.req = req;
  if (cs.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  /* freed while waiting, it lets go; the buffered bytes stay for the next */
  readvCursorWait(state, req, cs);
  kick(req);
  return req;
}

/* Copy what is buffered into the caller's buffers; done when all are full. */
function commsReadvHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as CommsReadvState;
  const cs = state.src;
  if (cs === null) return;
  if (cs.closed) {
    commsReadvFinish(state, req, ENOTCONN);
    return;
  }
  const before = state.ret;
  /* empty buffers at the end ask for nothing */
  const full = cs.rx.fill(state.vector, state);
  const consumed = state.ret - before;
  if (full) {
    commsReadvFinish(state, req, 0);
  } else if (cs.peerClosed) {
    /* C's bsd stream: readv() returned 0 -> EPIPE, even after a partial
     * read (the bytes copied stay copied) */
    commsReadvFinish(state, req, EPIPE);
  } else if (state.hold === null) {
    /* wait for commsSessionReceive; keep tevent_loop_wait() going meanwhile */
    state.hold = holdLoop(ev, state);
  }
  /* last, with our state consistent: the comms layer may offer more at once */
  if (consumed > 0) commsMaybeDrain(cs);
}

/*
 * A readv served from the bytes already buffered, without a backend request
 * (TstreamReadvNowOp): only when they fill the whole vector.  As after the
 * handler, the comms layer may be told there is room again (last).
 */
function commsReadvNow(stream: TstreamContext, ev: TeventContext, vector: Uint8Array[], count: number,
                       probe: boolean): number {
  const cs = stream.privateData as CommsStream;
  if (cs.closed || cs.reader !== null) return -1;
  const total = cs.rx.canFill(vector, count);
  if (total < 0 || probe) return total;
  cs.rx.take(vector, count);
  if (total > 0) commsMaybeDrain(cs);
  return total;
}

function commsMaybeDrain(cs: CommsStream): void {
  if (!cs.drainArmed || cs.closed || cs.peerClosed || cs.buffered > cs.limit / 2) return;
  cs.drainArmed = false;
  const session = cs.session;
  if (session.onDrain !== null) session.onDrain(session);
}

/* ---- writev ---- */

class CommsWritevState implements Progressing {
  im: TeventImmediate;
  idx = 0;
  ofs = 0;
  ret = 0;
  cs: CommsStream | null = null;
  req: TeventReq | null = null;
  hold: TeventFd | null = null;
  readonly vector: Uint8Array[];
  readonly progress = commsWritevHandler;
  constructor(readonly ev: TeventContext, vector: Uint8Array[], count: number) {
    this.vector = vector.slice(0, count);
    this.im = teventCreateImmediate(this);
  }
}

function commsWritevDestructor(state: CommsWritevState): number {
  if (state.cs !== null && state.cs.writer === state.req) state.cs.writer = null;
  state.cs = null;
  return 0;
}

function commsWritevSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                         vector: Uint8Array[], count: number): TeventReq {
  const cs = tstreamContextData(stream) as CommsStream;
  const state = new CommsWritevState(ev, vector, count);
  const req = teventReqCreate(memCtx, state, "struct comms_writev_state");
  state.req = req;
  const err = cs.closed ? ENOTCONN : cs.sendError !== 0 ? cs.sendError : cs.peerClosed ? EPIPE : 0;
  if (err !== 0) {
    teventReqError(req, err);
    return teventReqPost(req, ev);
  }
  state.cs = cs;
  cs.writer = req;
  tallocSetDestructor(state, commsWritevDestructor);
  /* sendFunc is called from the loop, not from inside this _send */
  kick(req);
  return req;
}

function commsWritevFinish(state: CommsWritevState, req: TeventReq, err: number): void {
  const cs = state.cs as CommsStream;
  cs.writer = null;
  state.cs = null;
  if (err !== 0) {
    teventReqError(req, err);
  } else {
    teventReqDone(req);
  }
}

/* Hand each buffer to sendFunc; done when it accepted them all. */
function commsWritevHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as CommsWritevState;
  const vector = state.vector;
  for (;;) {
    const cs = state.cs;
    if (cs === null) return; /* freed, maybe by sendFunc itself */
    const err = cs.closed ? ENOTCONN : cs.sendError !== 0 ? cs.sendError : cs.peerClosed ? EPIPE : 0;
    if (err !== 0) {
      commsWritevFinish(state, req, err);
      return;
    }
    while (state.idx < vector.length && vector[state.idx].length === state.ofs) {
      state.idx++;
      state.ofs = 0;
    }
    if (state.idx === vector.length) {
      commsWritevFinish(state, req, 0);
      return;
    }
    if (cs.sendPaused) {
      /* the comms layer is full: wait for commsSessionSendResume */
      if (state.hold === null) state.hold = holdLoop(ev, state);
      return;
    }
    const src = vector[state.idx];
    const n = Math.min(src.length - state.ofs, COMMS_SESSION_SEND_CHUNK);
    const piece = state.ofs === 0 && n === src.length ? src : src.subarray(state.ofs, state.ofs + n);
    setErrno(0);
    const r = cs.sendFunc(cs.handle, piece, n);
    if (typeof r !== "number") throw new TypeError("comms sendFunc must return 0 or -1");
    if (r < 0) {
      const e = getErrno();
      cs.sendError = e > 0 ? e : EIO;
      if (state.cs !== null) commsWritevFinish(state, req, cs.sendError);
      return;
    }
    state.ret += n;
    state.ofs += n;
  }
}

function commsWritevRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as CommsWritevState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- disconnect ---- */

class CommsDisconnectState {}

/* Close now (closeFunc), report from the loop, as the bsd stream does. */
function commsDisconnectSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq {
  const cs = tstreamContextData(stream) as CommsStream;
  const req = teventReqCreate(memCtx, new CommsDisconnectState(), "struct comms_disconnect_state");
  if (cs.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  commsStreamClose(cs);
  teventReqDone(req);
  return teventReqPost(req, ev);
}

function commsDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}

/** The tstream_context_ops of a comms session's stream. */
export const commsStreamOps: TstreamContextOps & TstreamReadvNowOp = Object.freeze({
  name: "comms",
  pendingBytes: commsPendingBytes,
  readvSend: commsReadvSend,
  readvRecv: readvCursorRecv,
  writevSend: commsWritevSend,
  writevRecv: commsWritevRecv,
  disconnectSend: commsDisconnectSend,
  disconnectRecv: commsDisconnectRecv,
  readvNow: commsReadvNow,
});

/* ---- the calls the comms layer makes ---- */

function checkSession(session: unknown, fn: string): void {
  if (!(session instanceof CommsSession)) throw new TypeError(`${fn}: session must be a CommsSession`);
}

/**
 * session_create(): a session for a newly established comms channel, child
 * of memCtx; `session.stream` (a child of the session) is its tstream.
 * closeFunc is called exactly once over the session's life: on
 * tstream_disconnect, or when the stream or the session is freed
 * (also after an unsolicited close, as close(2) is still due on a socket
 * whose peer hung up), never from inside commsSessionClose.
 */
export function commsSessionCreate<H>(memCtx: TallocCtx, handle: H, sendFunc: CommsSendData<H>,
                                      closeFunc: CommsClose<H>, opts: CommsSessionOpts = {}): CommsSession<H> {
  if (typeof sendFunc !== "function") throw new TypeError("commsSessionCreate: sendFunc must be a function");
  if (typeof closeFunc !== "function") throw new TypeError("commsSessionCreate: closeFunc must be a function");
  const limit = opts.receiveLimit ?? COMMS_SESSION_RECEIVE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError("commsSessionCreate: receiveLimit must be a positive integer");
  }
  return new CommsSession<H>(handle, sendFunc, closeFunc, limit, memCtx);
}

/* The stream's state, or null once the session can take no more bytes. */
function receivingState<H>(session: CommsSession<H>): CommsStream | null {
  const stream = session.stream;
  if (stream.freed) return null;
  const cs = tstreamContextData(stream);
  if (cs.closed || cs.peerClosed) return null;
  return cs;
}

/* Why receivingState() gave null: freed (EBADF, as every use after free),
 * disconnected by this end (ENOTCONN), closed by the other side (EPIPE). */
function receivingErrno<H>(session: CommsSession<H>): number {
  const stream = session.stream;
  if (stream.freed) return EBADF;
  return (tstreamContextData(stream) as CommsStream).closed ? ENOTCONN : EPIPE;
}

/**
 * session_receive(): bytes that came over the wire.  Returns how many of
 * the first `size` bytes of data were taken (copied; data stays the
 * caller's), fewer than size when the receive buffer (receiveLimit bytes)
 * is full: offer the rest again later (see onDrain and
 * commsSessionReceiveRoom).  -1 when the session can take nothing any more
 * (disconnected, freed, or closed by commsSessionClose).  Safe from any
 * Node.js callback: it only buffers and wakes the waiting readv.
 */
export function commsSessionReceive<H>(session: CommsSession<H>, data: Uint8Array, size: number): number {
  checkSession(session, "commsSessionReceive");
  if (!(data instanceof Uint8Array)) throw new TypeError("commsSessionReceive: data must be a Uint8Array");
  if (typeof size !== "number") throw new TypeError("commsSessionReceive: size must be a number");
  /* a size C would read past the buffer with: refused, nothing taken */
  if (!Number.isInteger(size) || size < 0 || size > data.length) {
    setErrno(EINVAL);
    return -1;
  }
  const cs = receivingState(session);
  if (cs === null) {
    setErrno(receivingErrno(session));
    return -1;
  }
  const n = Math.min(size, cs.limit - cs.buffered);
  if (n < size) cs.drainArmed = true;
  if (n <= 0) return 0;
  cs.rx.push(Uint8Array.prototype.slice.call(data, 0, n));
  kick(cs.reader);
  return n;
}

/**
 * How many bytes commsSessionReceive would take now (the polling
 * alternative to onDrain), or -1 when it would return -1.
 */
export function commsSessionReceiveRoom<H>(session: CommsSession<H>): number {
  checkSession(session, "commsSessionReceiveRoom");
  const cs = receivingState(session);
  if (cs === null) {
    setErrno(receivingErrno(session));
    return -1;
  }
  return cs.limit - cs.buffered;
}

/**
 * session_close(): the comms channel was closed by the other side
 * (unsolicited).  Bytes already received stay readable; after them readv
 * fails with EPIPE, as does every writev.  closeFunc is not called here
 * (it is called once, when the session's stream is disconnected or freed).
 */
export function commsSessionClose<H>(session: CommsSession<H>): void {
  checkSession(session, "commsSessionClose");
  const stream = session.stream;
  if (stream.freed) return;
  const cs = tstreamContextData(stream);
  if (cs.closed || cs.peerClosed) return;
  cs.peerClosed = true;
  cs.drainArmed = false;
  kick(cs.reader);
  kick(cs.writer);
}

/**
 * Write-side flow control for a comms layer that buffers (beyond the
 * seed): while paused, writev requests wait without calling sendFunc (a
 * sendFunc may pause its own session; the rest of that vector then waits
 * too).  commsSessionSendResume lets them go on.  A comms layer that
 * pauses when its buffer reaches a bound holds less than that bound plus
 * COMMS_SESSION_SEND_CHUNK bytes.
 */
export function commsSessionSendPause<H>(session: CommsSession<H>): void {
  checkSession(session, "commsSessionSendPause");
  if (session.stream.freed) return;
  tstreamContextData(session.stream).sendPaused = true;
}

export function commsSessionSendResume<H>(session: CommsSession<H>): void {
  checkSession(session, "commsSessionSendResume");
  if (session.stream.freed) return;
  const cs = tstreamContextData(session.stream);
  if (!cs.sendPaused) return;
  cs.sendPaused = false;
  kick(cs.writer);
}

/* ---- the reverse: a session_receive()-style consumer fed from a tstream ---- */

class TstreamConsumerState {
  /* the bytes read and not consumed yet: buf[0, len) */
  buf = new Uint8Array(4096);
  len = 0;
  gone = false;
  constructor(readonly ev: TeventContext, readonly stream: TstreamContext,
              readonly receiveFn: TstreamConsumerFn) {}
}

function tstreamConsumerStateDestructor(state: TstreamConsumerState): number {
  state.gone = true;
  return 0;
}

/**
 * Drive a session_receive()-style consumer from any tstream.  Each round
 * reads what is pending (at least 1 byte, then whatever else is pending),
 * and calls receiveFn(data, size) from the tevent loop with the bytes not
 * consumed before in front of the new ones (data is lent for the call only:
 * copy what you keep).  receiveFn is called again only when new bytes came.
 * Finishes done at end of stream (the readv failing with EPIPE).  Fails
 * with EPROTO when receiveFn returns -1 (or anything but an integer in
 * 0..size), with EMSGSIZE when TSTREAM_CONSUMER_MAX_UNCONSUMED bytes are
 * held and it consumes none of them, and with the readv's errno on any
 * other stream error.  Free the request to stop it.
 */
export function tstreamConsumerSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                    receiveFn: TstreamConsumerFn): TeventReq {
  if (!(ev instanceof TeventContext)) throw new TypeError("tstreamConsumerSend: ev must be a TeventContext");
  if (!(stream instanceof TstreamContext)) {
    throw new TypeError("tstreamConsumerSend: stream must be a TstreamContext");
  }
  if (typeof receiveFn !== "function") throw new TypeError("tstreamConsumerSend: receiveFn must be a function");
  const state = new TstreamConsumerState(ev, stream, receiveFn);
  const req = teventReqCreate(memCtx, state, "struct tstream_consumer_state");
  tallocSetDestructor(state, tstreamConsumerStateDestructor);
  tstreamConsumerRead(req, 1, true);
  return req;
}

/*
 * Read up to `want` more bytes into buf[len...]; the readv reports from the
 * loop.  `waiting`: nothing was pending, so this 1-byte read waits for data;
 * when it comes, what else is pending is gathered before the consumer runs.
 */
function tstreamConsumerRead(req: TeventReq, want: number, waiting: boolean): void {
  const state = req.data as TstreamConsumerState;
  const n = Math.min(want, TSTREAM_CONSUMER_MAX_UNCONSUMED - state.len);
  if (state.len + n > state.buf.length) {
    let size = state.buf.length;
    while (size < state.len + n) size *= 2;
    const buf = new Uint8Array(Math.min(size, TSTREAM_CONSUMER_MAX_UNCONSUMED));
    buf.set(state.buf.subarray(0, state.len));
    state.buf = buf;
  }
  const target = state.buf.subarray(state.len, state.len + n);
  const subreq = tstreamReadvSend(state, state.ev, state.stream, [target], 1);
  teventReqSetCallback(subreq, waiting ? tstreamConsumerWaitDone : tstreamConsumerReadDone, req);
}

/* readv failed: EPIPE is the end of the stream */
function tstreamConsumerReadFailed(req: TeventReq, perrno: number): void {
  if (perrno === EPIPE) {
    teventReqDone(req);
  } else {
    teventReqError(req, perrno);
  }
}

function tstreamConsumerWaitDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamConsumerState;
  const { ret, perrno } = tstreamReadvRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    tstreamConsumerReadFailed(req, perrno);
    return;
  }
  state.len += ret;
  const pending = tstreamPendingBytes(state.stream);
  if (pending > 0 && state.len < TSTREAM_CONSUMER_MAX_UNCONSUMED) {
    tstreamConsumerRead(req, pending, false);
    return;
  }
  tstreamConsumerDeliver(req);
}

function tstreamConsumerReadDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamConsumerState;
  const { ret, perrno } = tstreamReadvRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    tstreamConsumerReadFailed(req, perrno);
    return;
  }
  state.len += ret;
  tstreamConsumerDeliver(req);
}

/* Offer everything held to the consumer, keep what it left, read on. */
function tstreamConsumerDeliver(req: TeventReq): void {
  const state = req.data as TstreamConsumerState;
  const size = state.len;
  const used = state.receiveFn(state.buf.subarray(0, size), size);
  if (state.gone) return; /* the consumer freed the request */
  if (typeof used !== "number" || !Number.isInteger(used) || used < 0 || used > size) {
    teventReqError(req, EPROTO);
    return;
  }
  if (used > 0) {
    state.buf.copyWithin(0, used, size);
    state.len = size - used;
  }
  if (state.len >= TSTREAM_CONSUMER_MAX_UNCONSUMED) {
    teventReqError(req, EMSGSIZE);
    return;
  }
  const pending = tstreamPendingBytes(state.stream);
  if (pending > 0) {
    tstreamConsumerRead(req, pending, false);
  } else {
    tstreamConsumerRead(req, 1, true);
  }
}

/**
 * tstreamConsumerRecv(): ret 0 at end of stream, or -1 with perrno.
 * `unconsumed` (beyond C) is how many bytes the consumer was left holding
 * (a truncated message when the stream ended in the middle of one).
 */
export function tstreamConsumerRecv(req: TeventReq): { ret: number; perrno: number; unconsumed: number } {
  const state = req.data as TstreamConsumerState | null;
  const unconsumed = state !== null ? state.len : 0;
  const { ret: failed, perrno } = teventReqIsUnixError(req);
  teventReqReceived(req);
  return failed ? { ret: -1, perrno, unconsumed } : { ret: 0, perrno: 0, unconsumed };
}
