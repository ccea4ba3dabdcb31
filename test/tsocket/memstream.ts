// An in-memory connected stream pair, written only against the public API
// (tsocket_internal.h's tstream_context_create + tstream_context_ops), the
// way a user writes a new kind of stream (TLS, a named pipe...).
//
// Each end buffers the bytes its peer wrote.  Results are always delivered
// from the event loop (an immediate), never from inside a _send.  The error
// numbers are those of C's bsd stream (tstream_unix_socketpair), checked
// against libsamba-sockets:
//   - peer closed (disconnected or freed): readv fails with EPIPE once the
//     buffered bytes are used up (bytes already copied stay copied),
//     pending_bytes is -1/EPIPE when nothing is buffered (else the count),
//     writev fails with EPIPE;
//   - this end disconnected: readv, writev, pending_bytes and a second
//     disconnect fail with ENOTCONN.

import {
  ENOTCONN, EPIPE, setErrno, TallocCtx, tallocSetDestructor, TeventContext, TeventImmediate,
  teventCreateImmediate, TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqPost,
  teventReqReceived, teventScheduleImmediate, TstreamContext, TstreamContextOps, tstreamContextCreate,
  tstreamContextData, tsocketSimpleIntRecv,
} from "../../index";

export interface MemstreamOpts {
  /** most bytes an end buffers before its peer's writev waits (back-pressure); default unbounded */
  capacity?: number;
}

/** One end's private state (tstream_context_data). */
export class MemstreamEnd {
  peer: MemstreamEnd | null = null;
  /** bytes the peer wrote, not yet read, oldest first */
  chunks: Uint8Array[] = [];
  buffered = 0;
  /** this end was disconnected or freed */
  closed = false;
  /** the peer was disconnected or freed */
  peerClosed = false;
  /** the backend requests waiting on this end */
  reader: TeventReq | null = null;
  writer: TeventReq | null = null;
  /** counters, for tests */
  readvCalls = 0;
  writevCalls = 0;
  constructor(readonly name: string, readonly capacity: number) {}
}

/* Wake a waiting backend request: its progress function runs from the loop. */
function kick(req: TeventReq | null): void {
  if (req === null) return;
  const st = req.data as { im: TeventImmediate; ev: TeventContext; progress: (ev: TeventContext, im: TeventImmediate, req: TeventReq) => void };
  if (st === null) return;
  teventScheduleImmediate(st.im, st.ev, st.progress, req);
}

/* The end goes away: its peer sees EPIPE from now on. */
function memstreamClose(end: MemstreamEnd): void {
  if (end.closed) return;
  end.closed = true;
  end.chunks = [];
  end.buffered = 0;
  const peer = end.peer;
  end.peer = null;
  if (peer !== null) {
    peer.peerClosed = true;
    peer.peer = null;
    kick(peer.reader);
    kick(peer.writer);
  }
}

/* Freeing the stream frees its state: that closes the end, as close(2) would. */
function memstreamEndDestructor(end: MemstreamEnd): number {
  memstreamClose(end);
  return 0;
}

function memstreamPendingBytes(stream: TstreamContext): number {
  const end = tstreamContextData(stream) as MemstreamEnd;
  if (end.closed) {
    setErrno(ENOTCONN);
    return -1;
  }
  if (end.buffered === 0 && end.peerClosed) {
    setErrno(EPIPE); /* C's bsd stream: ioctl(FIONREAD) 0 and the peer gone -> EPIPE */
    return -1;
  }
  return end.buffered;
}

/* ---- readv ---- */

class MemstreamReadvState {
  im: TeventImmediate;
  idx = 0;
  ofs = 0;
  ret = 0;
  req: TeventReq | null = null;
  readonly vector: Uint8Array[];
  readonly progress = memstreamReadvProgress;
  constructor(readonly ev: TeventContext, public end: MemstreamEnd | null, vector: Uint8Array[], count: number) {
    this.vector = vector.slice(0, count); /* C's backends copy the iovec array */
    this.im = teventCreateImmediate(this);
  }
}

function memstreamReadvDestructor(state: MemstreamReadvState): number {
  /* a pending request freed: forget it, silently */
  if (state.end !== null && state.end.reader === state.req) state.end.reader = null;
  state.end = null;
  return 0;
}

function memstreamReadvSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                            vector: Uint8Array[], count: number): TeventReq {
  const end = tstreamContextData(stream) as MemstreamEnd;
  end.readvCalls++;
  const state = new MemstreamReadvState(ev, null, vector, count);
  const req = teventReqCreate(memCtx, state, "struct memstream_readv_state");
  state.req = req;
  if (end.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  state.end = end;
  end.reader = req;
  tallocSetDestructor(state, memstreamReadvDestructor);
  kick(req);
  return req;
}

function memstreamReadvProgress(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as MemstreamReadvState;
  const end = state.end;
  if (end === null) return;
  let consumed = false;
  while (state.idx < state.vector.length && end.chunks.length > 0) {
    const dst = state.vector[state.idx];
    const src = end.chunks[0];
    const n = Math.min(dst.length - state.ofs, src.length);
    dst.set(src.subarray(0, n), state.ofs);
    state.ofs += n;
    state.ret += n;
    end.buffered -= n;
    consumed = consumed || n > 0;
    if (n === src.length) end.chunks.shift(); else end.chunks[0] = src.subarray(n);
    if (state.ofs === dst.length) {
      state.idx++;
      state.ofs = 0;
    }
  }
  /* skip empty buffers at the end */
  while (state.idx < state.vector.length && state.vector[state.idx].length === 0) state.idx++;
  /* room again: a writer held back by capacity may go on */
  if (consumed && end.peer !== null) kick(end.peer.writer);
  if (state.idx === state.vector.length) {
    end.reader = null;
    state.end = null;
    teventReqDone(req);
    return;
  }
  if (end.peerClosed) {
    /* C's bsd stream: readv() returns 0 -> EPIPE, even after a partial read */
    end.reader = null;
    state.end = null;
    teventReqError(req, EPIPE);
    return;
  }
  if (end.closed) {
    end.reader = null;
    state.end = null;
    teventReqError(req, ENOTCONN);
  }
  /* else wait for the peer to write */
}

function memstreamReadvRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as MemstreamReadvState;
  let { ret, perrno } = tsocketSimpleIntRecv(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- writev ---- */

class MemstreamWritevState {
  im: TeventImmediate;
  idx = 0;
  ofs = 0;
  ret = 0;
  req: TeventReq | null = null;
  readonly vector: Uint8Array[];
  readonly progress = memstreamWritevProgress;
  constructor(readonly ev: TeventContext, public end: MemstreamEnd | null, vector: Uint8Array[], count: number) {
    this.vector = vector.slice(0, count);
    this.im = teventCreateImmediate(this);
  }
}

function memstreamWritevDestructor(state: MemstreamWritevState): number {
  if (state.end !== null && state.end.writer === state.req) state.end.writer = null;
  state.end = null;
  return 0;
}

function memstreamWritevSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                             vector: Uint8Array[], count: number): TeventReq {
  const end = tstreamContextData(stream) as MemstreamEnd;
  end.writevCalls++;
  const state = new MemstreamWritevState(ev, null, vector, count);
  const req = teventReqCreate(memCtx, state, "struct memstream_writev_state");
  state.req = req;
  if (end.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  if (end.peerClosed) {
    teventReqError(req, EPIPE);
    return teventReqPost(req, ev);
  }
  state.end = end;
  end.writer = req;
  tallocSetDestructor(state, memstreamWritevDestructor);
  kick(req);
  return req;
}

function memstreamWritevProgress(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as MemstreamWritevState;
  const end = state.end;
  if (end === null) return;
  const peer = end.peer;
  if (end.peerClosed || peer === null) {
    end.writer = null;
    state.end = null;
    teventReqError(req, EPIPE);
    return;
  }
  let wrote = false;
  while (state.idx < state.vector.length) {
    const src = state.vector[state.idx];
    if (state.ofs === src.length) {
      state.idx++;
      state.ofs = 0;
      continue;
    }
    const room = peer.capacity - peer.buffered;
    if (room <= 0) break;
    const n = Math.min(src.length - state.ofs, room);
    if (n > 0) {
      /* copy: the caller's buffers stay the caller's */
      peer.chunks.push(Uint8Array.prototype.slice.call(src, state.ofs, state.ofs + n));
      peer.buffered += n;
      state.ofs += n;
      state.ret += n;
      wrote = true;
    }
    if (state.ofs === src.length) {
      state.idx++;
      state.ofs = 0;
    }
  }
  if (wrote) kick(peer.reader);
  if (state.idx === state.vector.length) {
    end.writer = null;
    state.end = null;
    teventReqDone(req);
  }
  /* else the peer's buffer is full: wait until its reader makes room */
}

function memstreamWritevRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as MemstreamWritevState;
  let { ret, perrno } = tsocketSimpleIntRecv(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- disconnect ---- */

class MemstreamDisconnectState {}

function memstreamDisconnectSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq {
  const end = tstreamContextData(stream) as MemstreamEnd;
  const req = teventReqCreate(memCtx, new MemstreamDisconnectState(), "struct memstream_disconnect_state");
  if (end.closed) {
    teventReqError(req, ENOTCONN); /* C's bsd stream: fd already -1 */
    return teventReqPost(req, ev);
  }
  /* as the bsd stream: close now, report from the loop */
  memstreamClose(end);
  teventReqDone(req);
  return teventReqPost(req, ev);
}

function memstreamDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}

export const memstreamOps: TstreamContextOps = {
  name: "memstream",
  pendingBytes: memstreamPendingBytes,
  readvSend: memstreamReadvSend,
  readvRecv: memstreamReadvRecv,
  writevSend: memstreamWritevSend,
  writevRecv: memstreamWritevRecv,
  disconnectSend: memstreamDisconnectSend,
  disconnectRecv: memstreamDisconnectRecv,
};

export interface MemstreamPairResult {
  ret: number;
  errno: number;
  stream1: TstreamContext<MemstreamEnd> | null;
  stream2: TstreamContext<MemstreamEnd> | null;
}

/**
 * memstreamPair(): two connected in-memory streams, stream1 a child of
 * memCtx1 and stream2 of memCtx2 (as tstream_unix_socketpair()).
 */
export function memstreamPair(memCtx1: TallocCtx, memCtx2: TallocCtx, opts: MemstreamOpts = {}): MemstreamPairResult {
  const capacity = opts.capacity ?? Number.POSITIVE_INFINITY;
  if (!(capacity > 0)) throw new RangeError("memstreamPair: capacity must be > 0");
  const e1 = new MemstreamEnd("memstream1", capacity);
  const e2 = new MemstreamEnd("memstream2", capacity);
  e1.peer = e2;
  e2.peer = e1;
  const stream1 = tstreamContextCreate(memCtx1, memstreamOps, e1, "struct memstream_end");
  const stream2 = tstreamContextCreate(memCtx2, memstreamOps, e2, "struct memstream_end");
  tallocSetDestructor(e1, memstreamEndDestructor);
  tallocSetDestructor(e2, memstreamEndDestructor);
  return { ret: 0, errno: 0, stream1, stream2 };
}
