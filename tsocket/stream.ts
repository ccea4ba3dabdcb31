// The tstream half of tsocket.c: the generic layer.  It owns the
// bookkeeping (one outstanding readv and writev, EBUSY, EINVAL, lifetimes)
// and hands the work to the stream's ops table.

import { EBADF, EBUSY, EINVAL, EMSGSIZE, setErrno } from "../lib/errno";
import { TallocCtx, TallocDestructor, tallocFree, tallocSetDestructor, tallocSetName, tallocSteal, TALLOC_NODE,
         TallocNode } from "../lib/talloc";
import { scheduleImmediateInternal, teventScheduleImmediate } from "../tevent/immediate";
import { TeventContext, TeventImmediate } from "../tevent/internal";
import {
  TeventReq, teventReqCallbackData, teventReqCreate, teventReqDone, teventReqError, teventReqPost,
  teventReqReceived, teventReqSetCallback,
} from "../tevent/req";
import { tsocketSimpleIntRecv, tsocketSimpleIntRecvShared } from "./simple";

/** struct tstream_context_ops (tsocket_internal.h): what a kind of stream implements. */
export interface TstreamContextOps {
  name: string;
  /** bytes received and not consumed yet, or -1 with errno set */
  pendingBytes(stream: TstreamContext): number;
  readvSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
            vector: Uint8Array[], count: number): TeventReq;
  readvRecv(req: TeventReq): { ret: number; perrno: number };
  writevSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
             vector: Uint8Array[], count: number): TeventReq;
  writevRecv(req: TeventReq): { ret: number; perrno: number };
  disconnectSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq;
  disconnectRecv(req: TeventReq): { ret: number; perrno: number };
}

/**
 * @internal An optional op beyond C's tstream_context_ops, for the port's
 * own backends (an ops object may be a TstreamContextOps & TstreamReadvNowOp).
 */
export interface TstreamReadvNowOp {
  /**
   * A backend that holds the bytes it received in user space may serve a
   * readv from them without a request of its own: when the bytes held fill
   * every buffer of vector and nothing else (an error, the end of the
   * stream) would be reported first, it copies them (unless probe) and
   * returns their count; otherwise it returns -1 and changes nothing, and
   * readvSend does the work.  ev is the readv's (a backend may tie the
   * stream to it as readvSend would).
   */
  readvNow?(stream: TstreamContext, ev: TeventContext, vector: Uint8Array[], count: number, probe: boolean): number;
}

/** @internal The readvNow op of ops, if it has one. */
export type TstreamReadvNowFn = NonNullable<TstreamReadvNowOp["readvNow"]>;

/**
 * @internal Another optional op of the port's own backends: a writev that
 * may be over at once.  It does what writevSend does, except that when the
 * kernel took every byte at once it makes no request and returns their
 * count; tstreamWritevSend then completes from one immediate (as C's writev
 * fast path posts its request).  Otherwise it returns writevSend's request.
 */
export interface TstreamWritevNowOp {
  writevNow?(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
             vector: Uint8Array[], count: number): number | TeventReq;
}

/**
 * struct tstream_context.  A stream is its own talloc node (as a TeventReq
 * is: the TallocNode fields are its own, stream[TALLOC_NODE] === stream),
 * one object less per stream.
 */
export class TstreamContext<S = unknown> implements TallocNode {
  static readonly tallocName = "struct tstream_context";
  /* talloc's chunk header (see TallocNode) */
  tcParent: TallocNode | null = null;
  tcChild: TallocNode | null = null;
  tcNext: TallocNode | null = null;
  tcPrev: TallocNode | null = null;
  tcDestructor: TallocDestructor<never> | null = null;
  tcFlags = 0;
  tcName: string | null = null;
  get tcPtr(): object { return this; }
  get [TALLOC_NODE](): TallocNode { return this; }
  readvReq: TeventReq | null = null;
  /* set while readvReq is a tstream_readv_pdu reading with ops.readvNow
   * (helpers.ts): the immediate that reads; readvReq stands for its readv */
  readvStep: TeventImmediate | null = null;
  writevReq: TeventReq | null = null;
  /* the immediates a readv / writev the backend served at once completes
   * from (readvNow, writevNow): one readv and one writev at a time, so one
   * of each per stream, made when first needed */
  readvIm: TeventImmediate | null = null;
  writevIm: TeventImmediate | null = null;
  freed = false;
  constructor(readonly ops: TstreamContextOps, public privateData: S) {}
  /** tstream_pending_bytes() */
  pendingBytes(): number { return tstreamPendingBytes(this); }
}

/* tstream_context_destructor(): outstanding requests end silently. */
function streamDestructor(stream: TstreamContext): number {
  stream.freed = true;
  const step = stream.readvStep;
  if (step !== null) {
    /* a readv_pdu between two reads: its readv is cut off, the PDU stays
     * in progress, as C's does when its tstream_readv request goes */
    stream.readvStep = null;
    stream.readvReq = null;
    if (step.ev !== null) teventScheduleImmediate(step, step.ev, null);
  } else if (stream.readvReq !== null) {
    teventReqReceived(stream.readvReq);
  }
  if (stream.writevReq !== null) teventReqReceived(stream.writevReq);
  /* C does not track disconnects: a pending one still completes */
  return 0;
}

/**
 * tstream_context_create() (tsocket_internal.h): a new stream driven by
 * ops, child of memCtx, whose private state (tstreamContextData) is
 * `state`, a child of the stream.
 */
export function tstreamContextCreate<S>(memCtx: TallocCtx, ops: TstreamContextOps, state: S,
                                        typeName?: string): TstreamContext<S> {
  if (ops === null || typeof ops !== "object" || typeof ops.readvSend !== "function" ||
      typeof ops.writevSend !== "function" || typeof ops.pendingBytes !== "function" ||
      typeof ops.disconnectSend !== "function") {
    throw new TypeError("tstreamContextCreate: ops must implement the tstream_context_ops");
  }
  const stream = new TstreamContext<S>(ops, state);
  if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, stream);
  if (state !== null && (typeof state === "object" || typeof state === "function")) {
    tallocSteal(stream, state as unknown as object);
    if (typeName !== undefined) tallocSetName(state as unknown as object, typeName);
  }
  tallocSetDestructor(stream, streamDestructor);
  return stream;
}

/** tstream_context_data() */
export function tstreamContextData<S>(stream: TstreamContext<S>): S {
  if (!(stream instanceof TstreamContext)) {
    throw new TypeError("tstreamContextData: stream must be a TstreamContext");
  }
  return stream.privateData;
}

function checkStream(stream: unknown, fn: string): asserts stream is TstreamContext {
  if (!(stream instanceof TstreamContext)) throw new TypeError(`${fn}: stream must be a TstreamContext`);
}

function checkEv(ev: unknown, fn: string): asserts ev is TeventContext {
  if (!(ev instanceof TeventContext)) throw new TypeError(`${fn}: ev must be a TeventContext`);
}

/* the byte count of the vector copyVector copied last (one object less per call) */
let copiedTotal = 0;

/* Copy the vector (C copies the iovec array) and add up its lengths (copiedTotal). null: bad count */
function copyVector(vector: Uint8Array[], count: number, fn: string): Uint8Array[] | null {
  if (!Array.isArray(vector)) throw new TypeError(`${fn}: vector must be an array of Uint8Array`);
  if (typeof count !== "number") throw new TypeError(`${fn}: count must be a number`);
  if (!Number.isInteger(count) || count < 0 || count > vector.length) return null;
  const vec = new Array<Uint8Array>(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const v = vector[i];
    if (!(v instanceof Uint8Array)) throw new TypeError(`${fn}: vector[${i}] must be a Uint8Array`);
    vec[i] = v;
    total += v.length;
  }
  copiedTotal = total;
  return vec;
}

/* Linux's IOV_MAX: C refuses longer vectors with EMSGSIZE */
const IOV_MAX = 1024;

/* 0, or the errno C gives for the vector copyVector returned: too many buffers, or no bytes to move */
function vectorError(vec: Uint8Array[] | null): number {
  if (vec === null) return EINVAL;
  if (vec.length > IOV_MAX) return EMSGSIZE;
  if (copiedTotal === 0) return EINVAL;
  return 0;
}

/**
 * tstream_pending_bytes(): bytes received and not consumed yet (may be 0),
 * or -1 with errno set.
 */
export function tstreamPendingBytes(stream: TstreamContext): number {
  checkStream(stream, "tstreamPendingBytes");
  if (stream.freed) {
    setErrno(EBADF);
    return -1;
  }
  return stream.ops.pendingBytes(stream);
}

/* ---- readv ---- */

class TstreamReadvState {
  ret = -1;
  /* a readv served by ops.readvNow: its vector, and the immediate it runs from */
  vec: Uint8Array[] | null = null;
  im: TeventImmediate | null = null;
  constructor(readonly ops: TstreamContextOps, public stream: TstreamContext | null) {}
}

function readvStateDestructor(state: TstreamReadvState): number {
  if (state.stream !== null) state.stream.readvReq = null;
  const im = state.im;
  /* (the stream's immediate: still scheduled for this readv while im is set) */
  if (im !== null && im.ev !== null) teventScheduleImmediate(im, im.ev, null); /* cancel */
  return 0;
}

/**
 * tstream_readv_send(): fill every buffer of vector from the stream.  One
 * readv may be outstanding (EBUSY); the vector must ask for bytes (EINVAL).
 */
export function tstreamReadvSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                 vector: Uint8Array[], count: number): TeventReq {
  checkEv(ev, "tstreamReadvSend");
  checkStream(stream, "tstreamReadvSend");
  const state = new TstreamReadvState(stream.ops, null);
  const req = teventReqCreate(memCtx, state, "struct tstream_readv_state");
  const vec = copyVector(vector, count, "tstreamReadvSend");
  /* the vector is checked first: EMSGSIZE or EINVAL even while busy (as C) */
  const verr = vectorError(vec);
  if (vec === null || verr !== 0) {
    teventReqError(req, verr);
    return teventReqPost(req, ev);
  }
  if (stream.freed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  if (stream.readvReq !== null) {
    teventReqError(req, EBUSY);
    return teventReqPost(req, ev);
  }
  stream.readvReq = req;
  state.stream = stream;
  const dn = req.dataNode;
  if (dn !== null) dn.tcDestructor = readvStateDestructor as TallocDestructor<never>;
  else tallocSetDestructor(state, readvStateDestructor);
  const ops = state.ops;
  const readvNow = (ops as TstreamReadvNowOp).readvNow;
  if (readvNow !== undefined && readvNow(stream, ev, vec, vec.length, true) >= 0) {
    /* the bytes are already in user space: no request of the backend's;
     * they are taken from the loop, one iteration, as C's readv handler
     * takes them when the descriptor is readable */
    state.vec = vec;
    const im = stream.readvIm ?? (stream.readvIm = new TeventImmediate());
    state.im = im;
    scheduleImmediateInternal(im, ev, readvNowHandler, req);
    return req;
  }
  const subreq = ops.readvSend(state, ev, stream, vec, vec.length);
  teventReqSetCallback(subreq, readvDone, req);
  return req;
}

function readvNowHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamReadvState;
  state.im = null; /* it ran: the stream's immediate is free */
  const stream = state.stream as TstreamContext;
  const vec = state.vec as Uint8Array[];
  const readvNow = (state.ops as TstreamReadvNowOp).readvNow as TstreamReadvNowFn;
  const n = readvNow(stream, ev, vec, vec.length, false);
  if (n < 0) {
    /* something came first since (an error, say): the backend's readv reports it */
    const subreq = state.ops.readvSend(state, ev, stream, vec, vec.length);
    teventReqSetCallback(subreq, readvDone, req);
    return;
  }
  state.ret = n;
  teventReqDone(req);
}

function readvDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamReadvState;
  const { ret, perrno } = state.ops.readvRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.ret = ret;
  teventReqDone(req);
}

/** tstream_readv_recv(): the bytes read, or -1 with perrno. */
export function tstreamReadvRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TstreamReadvState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- writev ---- */

class TstreamWritevState {
  ret = -1;
  /* a writev the backend finished at once (writevNow): the immediate it completes from */
  im: TeventImmediate | null = null;
  constructor(readonly ops: TstreamContextOps, public stream: TstreamContext | null) {}
}

function writevStateDestructor(state: TstreamWritevState): number {
  if (state.stream !== null) state.stream.writevReq = null;
  const im = state.im;
  if (im !== null && im.ev !== null) teventScheduleImmediate(im, im.ev, null); /* cancel */
  return 0;
}

/**
 * tstream_writev_send(): write every buffer of vector.  One writev may be
 * outstanding (EBUSY); an empty vector is invalid (EINVAL).
 */
export function tstreamWritevSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                  vector: Uint8Array[], count: number): TeventReq {
  checkEv(ev, "tstreamWritevSend");
  checkStream(stream, "tstreamWritevSend");
  const state = new TstreamWritevState(stream.ops, null);
  const req = teventReqCreate(memCtx, state, "struct tstream_writev_state");
  const vec = copyVector(vector, count, "tstreamWritevSend");
  const verr = vectorError(vec);
  if (vec === null || verr !== 0) {
    teventReqError(req, verr);
    return teventReqPost(req, ev);
  }
  if (stream.freed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  if (stream.writevReq !== null) {
    teventReqError(req, EBUSY);
    return teventReqPost(req, ev);
  }
  stream.writevReq = req;
  state.stream = stream;
  const dn = req.dataNode;
  if (dn !== null) dn.tcDestructor = writevStateDestructor as TallocDestructor<never>;
  else tallocSetDestructor(state, writevStateDestructor);
  const ops = state.ops;
  const writevNow = (ops as TstreamWritevNowOp).writevNow;
  const r = writevNow !== undefined ? writevNow(state, ev, stream, vec, vec.length)
    : ops.writevSend(state, ev, stream, vec, vec.length);
  if (typeof r === "number") {
    /* every byte is in the kernel: no request of the backend's */
    state.ret = r;
    const im = stream.writevIm ?? (stream.writevIm = new TeventImmediate());
    state.im = im;
    scheduleImmediateInternal(im, ev, writevNowHandler, req);
    return req;
  }
  teventReqSetCallback(r, writevDone, req);
  return req;
}

function writevNowHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  (req.data as TstreamWritevState).im = null; /* it ran: the stream's immediate is free */
  teventReqDone(req);
}

function writevDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamWritevState;
  const { ret, perrno } = state.ops.writevRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.ret = ret;
  teventReqDone(req);
}

/** tstream_writev_recv(): the bytes written, or -1 with perrno. */
export function tstreamWritevRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TstreamWritevState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- disconnect ---- */

class TstreamDisconnectState {
  constructor(readonly ops: TstreamContextOps) {}
}

/**
 * tstream_disconnect_send(): shut the stream down.  EBUSY while a readv or
 * writev is outstanding.  As in C, a second disconnect is the backend's to
 * answer (the BSD stream says ENOTCONN).
 */
export function tstreamDisconnectSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq {
  checkEv(ev, "tstreamDisconnectSend");
  checkStream(stream, "tstreamDisconnectSend");
  const state = new TstreamDisconnectState(stream.ops);
  const req = teventReqCreate(memCtx, state, "struct tstream_disconnect_state");
  if (stream.freed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  if (stream.readvReq !== null || stream.writevReq !== null) {
    teventReqError(req, EBUSY);
    return teventReqPost(req, ev);
  }
  const subreq = state.ops.disconnectSend(state, ev, stream);
  teventReqSetCallback(subreq, disconnectDone, req);
  return req;
}

function disconnectDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamDisconnectState;
  const { ret, perrno } = state.ops.disconnectRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  teventReqDone(req);
}

/** tstream_disconnect_recv(): 0, or -1 with perrno. */
export function tstreamDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}
