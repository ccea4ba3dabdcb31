// Node.js stream adapters, both ways: an extension (API.md, "Beyond the
// C API").  C has no Node.js; these are the glue a TypeScript user needs to
// carry a tstream over anything Node can stream (a TLSSocket, a child's
// stdio, a WebSocket stream) and to hand a tstream to any Node library.
//
// tstreamFromDuplex(memCtx, duplex): a Duplex as a TstreamContext.
//   A backend like tsocket/bsd/stream.ts, over a Duplex instead of a
//   net.Socket: the Duplex's events only record what happened and schedule
//   an immediate on the request's event context; requests make progress,
//   and complete, from that immediate, never inside a _send.  It implements
//   only the tstream_context_ops; the generic layer does EBUSY/EINVAL.
//   - readv fills the caller's buffers from the chunks the Duplex produced.
//     Back-pressure: when TSTREAM_DUPLEX_READ_BUFFER_LIMIT bytes wait for a
//     readv the Duplex is paused (it then stops pulling from its source once
//     its own readableHighWaterMark is reached) and resumed when a readv has
//     made room, so a peer sending forever cannot grow our memory.
//   - writev completes when the Duplex has processed every byte (Node's
//     write callback), as C's writev completes when writev(2) wrote it all.
//     With one writev outstanding, a writer whose peer does not read holds
//     at most that request plus what the Duplex itself buffers.
//   - errno as the BSD stream: the end of the Duplex (or a Duplex closed
//     under us) is EPIPE for readv (after the bytes already received) and
//     writev, and pending_bytes with nothing left; a Node error maps
//     through errnoFromNodeError (EIO when it carries no errno); errors are
//     sticky (every later operation reports the first one reported).
//   - disconnect ends the Duplex (end(): a TLSSocket sends its close_notify,
//     a socket its FIN), completes once its writable side finished, then
//     destroys it; afterwards readv, writev, pending_bytes and another
//     disconnect fail with ENOTCONN (as the BSD stream).
//   - freeing the stream destroys the Duplex.
//
// tstreamToDuplex(ev, stream, opts): a TstreamContext as a Node Duplex.
//   _read issues one tstream_readv only when Node asks for data, of the
//   bytes tstream_pending_bytes() reports (at least 1, at most readSize: a
//   readv completes only when its buffers are full, so it never asks for
//   more than is known to come); _write/_writev complete only when the
//   tstream_writev did.  So the Duplex buffers at most its highWaterMark
//   plus one readv on either side.  A readv failing with EPIPE is the end
//   of the stream (push(null)); any other failure destroys the Duplex with
//   a Node-style error (err.code "ECONNRESET", err.errno -104, err.syscall
//   "read"/"write").
//   The tevent loop: tstream requests make progress only while ev's loop
//   runs.  A Node library that owns the Duplex (tls.connect({ socket }),
//   stream.pipeline) never runs it, so by default the adapter drives ev
//   itself: while one of its requests is outstanding it calls
//   teventLoopOnce(ev) (as tevent_req_poll does), starting from a
//   microtask, never from inside a tevent handler.  Other events of ev run
//   during those iterations too.  Running your own loop on ev at the same
//   time is fine; pass { driveLoop: false } when your code always runs the
//   loop while the Duplex is in use (tsocket/tls.ts does).  Node callbacks
//   (push, write callbacks) are called from process.nextTick, outside
//   tevent handlers.
//   end() only flushes: a tstream has no half-close.  destroy() cancels the
//   outstanding requests (frees them); the stream stays its owner's unless
//   { freeStream: true }.  If the stream is freed first the Duplex is
//   destroyed (closed, without an error event, lastErrno EBADF), as a
//   socket closed by its owner.

import { Duplex, finished } from "node:stream";
import {
  EBADF, EINVAL, EIO, ENOTCONN, EPIPE, errnoFromNodeError, errnoName, getErrno, setErrno, strerror,
} from "../lib/errno";
import { TallocCtx, tallocFree, tallocIsFreed, tallocNew, tallocSetDestructor } from "../lib/talloc";
import { teventCreateImmediate, teventScheduleImmediate } from "../tevent/immediate";
import { TeventContext, TeventFd, TeventImmediate } from "../tevent/internal";
import {
  TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqPost,
  teventReqReceived, teventReqSetCallback,
} from "../tevent/req";
import { teventLoopOnce } from "../tevent/tevent";
import { tstreamBsdHoldLoop } from "./bsd/stream";
import { ByteQueue, readvCursorFinish, readvCursorRecv, ReadvCursorState, readvCursorWait } from "./bytequeue";
import { tsocketSimpleIntRecv, tsocketSimpleIntRecvShared } from "./simple";
import {
  TstreamContext, TstreamContextOps, tstreamContextCreate, tstreamContextData, tstreamPendingBytes,
  TstreamReadvNowOp, tstreamReadvRecv, tstreamReadvSend, tstreamWritevRecv, tstreamWritevSend,
} from "./stream";

/** Most bytes received from a Duplex and not consumed before it is paused. */
export const TSTREAM_DUPLEX_READ_BUFFER_LIMIT = 256 * 1024;

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

function ignoreError(): void { /* nothing: the stream is gone */ }

/*
 * The errno for an error a Duplex reported.  Node's stream-state errors (a
 * write on a destroyed or ended stream, a premature close) say only that
 * the other side is gone: EPIPE, as a write to a closed socket.
 */
export function duplexErrno(err: unknown): number {
  const e = err as { code?: unknown } | null;
  if (e !== null && typeof e === "object" && (e.code === "ERR_STREAM_DESTROYED" || e.code === "ECANCELED" ||
      e.code === "ERR_STREAM_WRITE_AFTER_END" || e.code === "ERR_STREAM_PREMATURE_CLOSE")) {
    return EPIPE;
  }
  return errnoFromNodeError(err, EIO);
}

/**
 * The private state of a stream made by tstreamFromDuplex
 * (tstreamContextData of the stream).
 */
export class TstreamDuplex {
  /** the Duplex; null once disconnected or freed */
  duplex: Duplex | null;
  /** disconnected: every operation fails with ENOTCONN */
  closed = false;
  /** the error an operation reported, reported again by every later one (C's sticky error) */
  error = 0;
  /** an error the Duplex emitted that no operation has reported yet */
  duplexError = 0;
  /** the Duplex ended (or closed before ending) */
  eof = false;
  /** received chunks, oldest first, not consumed yet */
  readonly rx = new ByteQueue();
  /** bytes received and not consumed (tstream_pending_bytes) */
  get buffered(): number { return this.rx.length; }
  /** the Duplex was paused because buffered reached readBufferLimit */
  paused = false;
  /** the backend requests waiting on this stream */
  reader: TeventReq | null = null;
  writer: TeventReq | null = null;
  /** bytes the Duplex delivered in all (for tests and statistics) */
  bytesReceived = 0;
  /** most bytes of a writev handed to the Duplex at once (the rest when it took them) */
  maxWrite = Number.POSITIVE_INFINITY;
  /** a stand-in tevent_fd keeping ev's loop alive while a request waits on Node */
  fde: TeventFd | null = null;

  constructor(duplex: Duplex, readonly readBufferLimit = TSTREAM_DUPLEX_READ_BUFFER_LIMIT) {
    this.duplex = duplex;
  }

  /** Destroy the Duplex we let go of (tsocket/tls.ts destroys what is under it too). */
  destroyDuplex(duplex: Duplex): void {
    duplex.destroy();
  }

  /** The errno for an error the Duplex emitted (tsocket/tls.ts refines it). */
  errnoFor(err: unknown): number {
    return duplexErrno(err);
  }

  readonly onData = (chunk: Uint8Array | string): void => {
    if (this.closed) return;
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    if (buf.length === 0) return;
    this.rx.push(buf);
    this.bytesReceived += buf.length;
    if (this.buffered >= this.readBufferLimit && !this.paused && this.duplex !== null) {
      this.paused = true;
      this.duplex.pause();
    }
    kick(this.reader);
  };

  readonly onEnd = (): void => {
    this.eof = true;
    kick(this.reader);
  };

  readonly onError = (err: unknown): void => {
    if (this.duplexError === 0) this.duplexError = this.errnoFor(err);
    kick(this.reader);
    kick(this.writer);
  };

  /* closed without ending and without an error (destroyed by someone): the
   * other side is gone, as at the end of the stream */
  readonly onClose = (): void => {
    this.eof = true;
    kick(this.reader);
    kick(this.writer);
  };
}

/* Let go of the Duplex: listeners off, destroyed. */
function duplexDetach(ds: TstreamDuplex, destroy: boolean): Duplex | null {
  const duplex = ds.duplex;
  ds.duplex = null;
  ds.rx.clear();
  if (duplex !== null) {
    duplex.removeListener("data", ds.onData);
    duplex.removeListener("end", ds.onEnd);
    duplex.removeListener("error", ds.onError);
    duplex.removeListener("close", ds.onClose);
    duplex.on("error", ignoreError); /* errors of a Duplex we let go of go nowhere */
    if (destroy) ds.destroyDuplex(duplex);
  }
  return duplex;
}

/* Hold ev's loop while a request waits on Node; let go when none does. */
function duplexHoldUpdate(ds: TstreamDuplex, ev: TeventContext | null): void {
  const waiting = ds.reader !== null || ds.writer !== null;
  if (waiting && ds.fde === null && ev !== null) {
    ds.fde = tstreamBsdHoldLoop(ev, ds);
  } else if (!waiting && ds.fde !== null) {
    const fde = ds.fde;
    ds.fde = null;
    tallocFree(fde);
  }
}

/* Freeing the stream destroys the Duplex. */
function tstreamDuplexDestructor(ds: TstreamDuplex): number {
  ds.closed = true;
  duplexDetach(ds, true);
  ds.reader = null;
  ds.writer = null;
  duplexHoldUpdate(ds, null);
  return 0;
}

function duplexMaybeResume(ds: TstreamDuplex): void {
  if (ds.paused && ds.buffered < ds.readBufferLimit && ds.duplex !== null) {
    ds.paused = false;
    ds.duplex.resume();
  }
}

/**
 * Make a stream over duplex driven by ops (whose state is ds).  @internal
 * (tsocket/tls.ts builds its stream with this, with its own ops and state).
 */
export function tstreamDuplexCreate<S extends TstreamDuplex>(memCtx: TallocCtx, ops: TstreamContextOps, ds: S,
                                                             typeName: string): TstreamContext<S> {
  const stream = tstreamContextCreate(memCtx, ops, ds, typeName);
  tallocSetDestructor(ds, tstreamDuplexDestructor);
  const duplex = ds.duplex as Duplex;
  duplex.on("data", ds.onData);
  duplex.on("end", ds.onEnd);
  duplex.on("error", ds.onError);
  duplex.on("close", ds.onClose);
  if (duplex.readableEnded) ds.eof = true;
  duplex.resume();
  return stream;
}

/* ---- pending_bytes ---- */

/** tstream_duplex_pending_bytes().  @internal */
export function tstreamDuplexPendingBytes(stream: TstreamContext): number {
  const ds = tstreamContextData(stream) as TstreamDuplex;
  let err = 0;
  if (ds.closed) {
    err = ENOTCONN;
  } else if (ds.error !== 0) {
    err = ds.error;
  } else if (ds.buffered > 0) {
    return ds.buffered;
  } else if (ds.duplexError !== 0) {
    err = ds.error = ds.duplexError;
  } else if (ds.eof) {
    /* as a unix stream whose peer is gone (POLLHUP): EPIPE */
    err = ds.error = EPIPE;
  } else {
    return 0;
  }
  setErrno(err);
  return -1;
}

/* ---- readv ---- */

class TstreamDuplexReadvState extends ReadvCursorState<TstreamDuplex> implements Progressing {
  readonly progress = tstreamDuplexReadvHandler;
}

/* A readv that lets go of the stream lets go of ev's loop too. */
function duplexReadvRelease(ds: TstreamDuplex): void {
  duplexHoldUpdate(ds, null);
}

function tstreamDuplexReadvSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                vector: Uint8Array[], count: number): TeventReq {
  const ds = tstreamContextData(stream) as TstreamDuplex;
  const state = new TstreamDuplexReadvState(ev, vector, count);
  const req = teventReqCreate(memCtx, state, "struct tstream_duplex_readv_state");
  state.req = req;
  if (ds.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  readvCursorWait(state, req, ds, duplexReadvRelease);
  duplexHoldUpdate(ds, ev);
  kick(req);
  return req;
}

function readvFinish(state: TstreamDuplexReadvState, req: TeventReq, err: number): void {
  readvCursorFinish(state, req, err, duplexReadvRelease);
}

/* Copy what is queued into the caller's buffers; done when all are full. */
function tstreamDuplexReadvHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamDuplexReadvState;
  const ds = state.src;
  if (ds === null) return;
  if (ds.error !== 0) {
    readvFinish(state, req, ds.error);
    return;
  }
  const full = ds.rx.fill(state.vector, state);
  duplexMaybeResume(ds);
  if (full) {
    readvFinish(state, req, 0);
    return;
  }
  if (ds.duplexError !== 0) {
    ds.error = ds.duplexError;
    readvFinish(state, req, ds.error);
    return;
  }
  if (ds.eof) {
    /* the end of the stream: EPIPE, even after a partial read (the bytes
     * copied stay copied), as the BSD stream reports readv() == 0 */
    ds.error = EPIPE;
    readvFinish(state, req, EPIPE);
  }
  /* else wait for the Duplex to produce more */
}

/*
 * A readv served from the bytes already queued, without a backend request
 * (TstreamReadvNowOp): only when they fill the whole vector, so that the
 * handler would report them before anything else.  Taking them makes room.
 */
function tstreamDuplexReadvNow(stream: TstreamContext, ev: TeventContext, vector: Uint8Array[], count: number,
                               probe: boolean): number {
  const ds = stream.privateData as TstreamDuplex;
  if (ds.closed || ds.error !== 0 || ds.reader !== null) return -1;
  const total = ds.rx.canFill(vector, count);
  if (total < 0 || probe) return total;
  ds.rx.take(vector, count);
  duplexMaybeResume(ds);
  return total;
}

/* ---- writev ---- */

class TstreamDuplexWritevState implements Progressing {
  im: TeventImmediate;
  total = 0;
  /* the next byte to hand to the Duplex */
  idx = 0;
  ofs = 0;
  finished = false;
  err = 0;
  ds: TstreamDuplex | null = null;
  req: TeventReq | null = null;
  readonly vector: Uint8Array[];
  readonly progress = tstreamDuplexWritevHandler;
  constructor(readonly ev: TeventContext, vector: Uint8Array[], count: number) {
    this.vector = vector.slice(0, count);
    for (const v of this.vector) this.total += v.length;
    this.im = teventCreateImmediate(this);
  }
}

/*
 * A writev freed while waiting lets go of the stream.  The bytes the Duplex
 * already holds cannot be taken back (as with the BSD stream): the caller
 * must not change them before the Duplex is done with them.
 */
function tstreamDuplexWritevDestructor(state: TstreamDuplexWritevState): number {
  const ds = state.ds;
  if (ds !== null && ds.writer === state.req) {
    ds.writer = null;
    duplexHoldUpdate(ds, null);
  }
  state.ds = null;
  return 0;
}

function tstreamDuplexWritevSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                 vector: Uint8Array[], count: number): TeventReq {
  const ds = tstreamContextData(stream) as TstreamDuplex;
  const state = new TstreamDuplexWritevState(ev, vector, count);
  const req = teventReqCreate(memCtx, state, "struct tstream_duplex_writev_state");
  state.req = req;
  let err = 0;
  const duplex = ds.duplex;
  if (ds.closed) {
    err = ENOTCONN;
  } else if (ds.error !== 0) {
    err = ds.error;
  } else if (ds.duplexError !== 0) {
    err = ds.error = ds.duplexError;
  } else if (duplex === null || duplex.destroyed || duplex.writableEnded) {
    /* nobody takes the bytes any more: a write to a closed socket */
    err = ds.error = EPIPE;
  }
  if (err !== 0) {
    teventReqError(req, err);
    return teventReqPost(req, ev);
  }
  state.ds = ds;
  ds.writer = req;
  tallocSetDestructor(state, tstreamDuplexWritevDestructor);
  duplexHoldUpdate(ds, ev);
  duplexWritevNext(state, req, duplex as Duplex);
  return req;
}

/*
 * Hand the Duplex the next piece of the vector, at most ds.maxWrite bytes
 * (one write, or several corked), the callback on its last buffer: Node
 * calls write callbacks in order, so that one means the piece was
 * processed.  The next piece goes when it was.
 */
function duplexWritevNext(state: TstreamDuplexWritevState, req: TeventReq, d: Duplex): void {
  const ds = state.ds as TstreamDuplex;
  const piece: Uint8Array[] = [];
  let room = ds.maxWrite;
  while (state.idx < state.vector.length && room > 0) {
    const v = state.vector[state.idx];
    const n = Math.min(v.length - state.ofs, room);
    if (n > 0) piece.push(v.subarray(state.ofs, state.ofs + n));
    state.ofs += n;
    room -= n;
    if (state.ofs === v.length) {
      state.idx++;
      state.ofs = 0;
    }
  }
  const last = state.idx === state.vector.length;
  const done = (e?: Error | null): void => {
    if (state.ds === null || state.finished) return;
    if (e) {
      state.finished = true;
      state.err = ds.duplexError !== 0 ? ds.duplexError : ds.errnoFor(e);
    } else if (last) {
      state.finished = true;
    } else {
      duplexWritevNext(state, req, d);
      return;
    }
    kick(req);
  };
  if (piece.length === 0) {
    process.nextTick(done);
    return;
  }
  if (piece.length > 1) d.cork();
  for (let i = 0; i < piece.length; i++) d.write(piece[i], i === piece.length - 1 ? done : undefined);
  if (piece.length > 1) d.uncork();
}

/* Complete once the Duplex processed everything. */
function tstreamDuplexWritevHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamDuplexWritevState;
  const ds = state.ds;
  if (ds === null) return;
  if (!state.finished) {
    /* the Duplex failed or went away before it took the bytes */
    if (ds.duplexError === 0 && !ds.eof) return;
    state.err = ds.duplexError !== 0 ? ds.duplexError : EPIPE;
  }
  ds.writer = null;
  state.ds = null;
  duplexHoldUpdate(ds, null);
  if (state.err !== 0) {
    ds.error = state.err;
    teventReqError(req, state.err);
    return;
  }
  teventReqDone(req);
}

function tstreamDuplexWritevRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TstreamDuplexWritevState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.total;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- disconnect ---- */

class TstreamDuplexDisconnectState implements Progressing {
  im: TeventImmediate;
  err = -1; /* -1 until the Duplex finished */
  readonly progress = tstreamDuplexDisconnectHandler;
  constructor(readonly ev: TeventContext) {
    this.im = teventCreateImmediate(this);
  }
}

function tstreamDuplexDisconnectSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq {
  const ds = tstreamContextData(stream) as TstreamDuplex;
  const state = new TstreamDuplexDisconnectState(ev);
  const req = teventReqCreate(memCtx, state, "struct tstream_duplex_disconnect_state");
  if (ds.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  ds.closed = true;
  const duplex = duplexDetach(ds, false);
  if (duplex === null || duplex.destroyed || duplex.writableFinished) {
    if (duplex !== null) ds.destroyDuplex(duplex);
    teventReqDone(req);
    return teventReqPost(req, ev);
  }
  /* end(): the Duplex flushes and sends its end (close_notify, FIN); done
   * when it finished, then it is destroyed */
  finished(duplex, { readable: false }, (err) => {
    ds.destroyDuplex(duplex);
    if (state.err !== -1) return;
    const e = err as { code?: unknown } | null | undefined;
    state.err = !err || e?.code === "ERR_STREAM_PREMATURE_CLOSE" ? 0 : ds.errnoFor(err);
    teventScheduleImmediate(state.im, state.ev, state.progress, req);
  });
  duplex.end();
  return req;
}

function tstreamDuplexDisconnectHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamDuplexDisconnectState;
  if (state.err > 0) {
    teventReqError(req, state.err);
  } else {
    teventReqDone(req);
  }
}

function tstreamDuplexDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}

/** The ops of a stream made by tstreamFromDuplex. */
export const tstreamDuplexOps: TstreamContextOps & TstreamReadvNowOp = Object.freeze({
  name: "duplex",
  pendingBytes: tstreamDuplexPendingBytes,
  readvSend: tstreamDuplexReadvSend,
  readvRecv: readvCursorRecv,
  writevSend: tstreamDuplexWritevSend,
  writevRecv: tstreamDuplexWritevRecv,
  disconnectSend: tstreamDuplexDisconnectSend,
  disconnectRecv: tstreamDuplexDisconnectRecv,
  readvNow: tstreamDuplexReadvNow,
});

/** What tstreamFromDuplex returns (API.md rule 2). */
export interface TstreamFromDuplexResult {
  ret: number;
  errno: number;
  stream: TstreamContext<TstreamDuplex> | null;
}

/**
 * A stream over any Node.js Duplex (extension; see the top of this file),
 * child of memCtx.  The stream owns the Duplex: freeing the stream destroys
 * it.  -1 with EBADF for a Duplex already destroyed, EINVAL for an
 * object-mode one (it does not carry bytes).
 */
export function tstreamFromDuplex(memCtx: TallocCtx, duplex: Duplex): TstreamFromDuplexResult {
  if (!(duplex instanceof Duplex)) throw new TypeError("tstreamFromDuplex: duplex must be a stream.Duplex");
  let err = 0;
  if (duplex.destroyed) {
    err = EBADF;
  } else if (duplex.readableObjectMode || duplex.writableObjectMode) {
    err = EINVAL;
  }
  if (err !== 0) {
    setErrno(err);
    return { ret: -1, errno: err, stream: null };
  }
  const stream = tstreamDuplexCreate(memCtx, tstreamDuplexOps, new TstreamDuplex(duplex), "struct tstream_duplex");
  return { ret: 0, errno: 0, stream };
}

/* ---- the other way: a tstream as a Duplex ---- */

/** Options of tstreamToDuplex. */
export interface TstreamToDuplexOptions {
  /** run ev's loop while a request of the adapter is outstanding (default true) */
  driveLoop?: boolean;
  /** most bytes one readv asks for (default 64 KiB) */
  readSize?: number;
  /** the Duplex's readable and writable highWaterMark (default 64 KiB) */
  highWaterMark?: number;
  /** destroying the Duplex frees the stream (default false) */
  freeStream?: boolean;
}

/** A Node-style system error for an errno: err.errno is negative, as Node reports it. */
export function errnoToNodeError(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = errnoName(errno);
  const err: NodeJS.ErrnoException = new Error(`${syscall} ${code} (${strerror(errno)})`);
  err.errno = -errno;
  err.code = code;
  err.syscall = syscall;
  return err;
}

/** The Duplex returned by tstreamToDuplex. */
export class TstreamDuplexAdapter extends Duplex {
  /** the errno of the last failed request (EPIPE: the end of the stream), 0 if none */
  lastErrno = 0;
  /** bytes read from / written to the stream (for tests and statistics) */
  bytesRead = 0;
  bytesWritten = 0;
  /** requests outstanding on the stream */
  readReq: TeventReq | null = null;
  writeReq: TeventReq | null = null;
  private readonly mem: object;
  private readonly sentinel: object;
  private readonly driveLoop: boolean;
  private readonly readSize: number;
  private readonly freeStream: boolean;
  private pumping = false;
  private reading = false;
  private gone = false;

  constructor(readonly ev: TeventContext, readonly stream: TstreamContext, opts: TstreamToDuplexOptions = {}) {
    const hwm = opts.highWaterMark ?? 64 * 1024;
    super({ readableHighWaterMark: hwm, writableHighWaterMark: hwm, allowHalfOpen: true, decodeStrings: true });
    this.driveLoop = opts.driveLoop ?? true;
    this.readSize = opts.readSize ?? 64 * 1024;
    this.freeStream = opts.freeStream ?? false;
    if (!(Number.isInteger(this.readSize) && this.readSize > 0)) {
      throw new RangeError("tstreamToDuplex: readSize must be a positive integer");
    }
    this.mem = tallocNew(null);
    /* a child of the stream: freed with it, it tells us the stream is gone */
    this.sentinel = tallocNew(stream);
    tallocSetDestructor(this.sentinel, () => {
      if (!this.gone) {
        /* the stream was freed under us: closed, as a socket closed by its
         * owner (no error event); the outstanding requests went with it */
        this.gone = true;
        this.lastErrno = EBADF;
        this.readReq = null;
        this.writeReq = null;
        process.nextTick(() => this.destroy());
      }
      return 0;
    });
  }

  override _read(): void {
    if (this.reading || this.gone) return;
    this.reading = true;
    const pending = tstreamPendingBytes(this.stream);
    /* a readv completes only when full: ask for what is known to be there,
     * or for 1 byte (which also reports an error pending_bytes saw) */
    const want = pending > 0 ? Math.min(pending, this.readSize) : 1;
    const buf = Buffer.allocUnsafe(want);
    const req = tstreamReadvSend(this.mem, this.ev, this.stream, [buf], 1);
    this.readReq = req;
    teventReqSetCallback(req, (subreq: TeventReq) => this.readDone(subreq, buf));
    this.ensurePump();
  }

  private readDone(req: TeventReq, buf: Buffer): void {
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    this.readReq = null;
    if (ret === -1) {
      this.lastErrno = perrno;
      process.nextTick(() => {
        this.reading = false;
        if (perrno === EPIPE) {
          this.push(null); /* the end of the stream */
        } else {
          this.destroy(errnoToNodeError(perrno, "read"));
        }
      });
      return;
    }
    this.bytesRead += ret;
    process.nextTick(() => {
      this.reading = false;
      if (!this.destroyed) this.push(buf);
    });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk), cb);
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeAll([chunk], cb);
  }

  /* One writev of the buffers (IOV_MAX, 1024, at a time). */
  private writeAll(bufs: Buffer[], cb: (err?: Error | null) => void): void {
    if (this.gone) {
      process.nextTick(cb, errnoToNodeError(EBADF, "write"));
      return;
    }
    const vec = bufs.filter((b) => b.length > 0);
    if (vec.length === 0) {
      process.nextTick(cb);
      return;
    }
    const now = vec.slice(0, 1024);
    const rest = vec.slice(1024);
    const req = tstreamWritevSend(this.mem, this.ev, this.stream, now, now.length);
    this.writeReq = req;
    teventReqSetCallback(req, (subreq: TeventReq) => {
      const { ret, perrno } = tstreamWritevRecv(subreq);
      tallocFree(subreq);
      this.writeReq = null;
      if (ret === -1) {
        this.lastErrno = perrno;
        process.nextTick(cb, errnoToNodeError(perrno, "write"));
        return;
      }
      this.bytesWritten += ret;
      if (rest.length > 0) {
        this.writeAll(rest, cb);
        return;
      }
      process.nextTick(cb);
    });
    this.ensurePump();
  }

  override _final(cb: (err?: Error | null) => void): void {
    /* every write completed before Node calls this; a tstream has no half-close */
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.readReq = null;
    this.writeReq = null;
    if (!tallocIsFreed(this.mem)) tallocFree(this.mem); /* cancels what is outstanding */
    if (!this.gone) {
      this.gone = true;
      tallocSetDestructor(this.sentinel, null);
      tallocFree(this.sentinel);
      if (this.freeStream) tallocFree(this.stream);
    }
    cb(err);
  }

  private busy(): boolean {
    return this.readReq !== null || this.writeReq !== null;
  }

  private ensurePump(): void {
    if (!this.driveLoop || this.pumping) return;
    this.pumping = true;
    /* from a microtask: never inside a tevent handler (that would nest) */
    queueMicrotask(() => void this.pump());
  }

  /*
   * tevent_req_poll() for our requests.  It may share ev with other loops
   * (the caller's teventReqPoll, another adapter's pump): an iteration of
   * any of them that handled an event wakes the others, which then look
   * again whether what they wait for has happened.
   */
  private async pump(): Promise<void> {
    try {
      while (this.busy() && !this.destroyed) {
        const r = await teventLoopOnce(this.ev);
        if (r !== 0) {
          this.destroy(errnoToNodeError(getErrno() || EINVAL, "tevent_loop_once"));
          return;
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * A Node.js Duplex over stream (extension; see the top of this file): what
 * is written to it goes out through tstream_writev, what it reads comes
 * from tstream_readv, with back-pressure both ways.  By default the
 * adapter runs ev's loop while it waits for the stream ({ driveLoop }).
 */
export function tstreamToDuplex(ev: TeventContext, stream: TstreamContext,
                                opts: TstreamToDuplexOptions = {}): TstreamDuplexAdapter {
  if (!(ev instanceof TeventContext)) throw new TypeError("tstreamToDuplex: ev must be a TeventContext");
  if (!(stream instanceof TstreamContext)) throw new TypeError("tstreamToDuplex: stream must be a TstreamContext");
  return new TstreamDuplexAdapter(ev, stream, opts);
}
