// tsocket_helpers.c: the PDU receive helper (tstream_readv_pdu) and the
// tevent_queue based helpers (tdgram_sendto_queue, tstream_readv_pdu_queue,
// tstream_writev_queue).  Built on the public generic layer and tevent only.

import { EBADF, EINVAL, getErrno } from "../lib/errno";
import {
  TallocCtx, TallocDestructor, tallocFree, tallocIsFreed, TallocNode, tallocParent, tallocSetDestructor, TALLOC_NODE,
} from "../lib/talloc";
import { scheduleImmediateInternal, teventScheduleImmediate } from "../tevent/immediate";
import { TeventContext, TeventImmediate } from "../tevent/internal";
import { TeventQueue, teventQueueAddOptimizeEmpty } from "../tevent/queue";
import {
  TeventReq, teventReqCallbackData, teventReqCreate, teventReqDone, teventReqError, teventReqIsInProgress,
  teventReqPost, teventReqReceived, teventReqSetCallback,
} from "../tevent/req";
import { TsocketAddress } from "./address";
import { TdgramContext, tdgramSendtoRecv, tdgramSendtoSend } from "./dgram";
import { tsocketSimpleIntRecvShared } from "./simple";
import { TstreamContext, TstreamReadvNowFn, TstreamReadvNowOp, tstreamReadvRecv, tstreamReadvSend, tstreamWritevRecv, tstreamWritevSend } from "./stream";

/**
 * tstream_readv_pdu_next_vector_t (API.md rule 6): the next vector to fill,
 * `count: 0` once the PDU is complete, or `ret: -1` with `errno` to fail
 * the read (without `errno`, the library's errno, as C reads errno).
 */
export type TstreamReadvPduNextVectorFn<P = unknown> = (stream: TstreamContext, privateData: P, memCtx: TallocCtx) =>
  { ret: number; vector: Uint8Array[] | null; count: number; errno?: number };

/*
 * Use after free (undefined in C): a queue that was freed takes no more
 * requests (teventQueueAddOptimizeEmpty would throw); the queue helpers'
 * request fails with EBADF instead, posted, as the stream layer answers a
 * stream that was freed.  Anything that is not a queue or a context is
 * left to teventQueueAddOptimizeEmpty's TypeError.
 */
function queueFreed(queue: unknown, ev: unknown): boolean {
  return queue instanceof TeventQueue && ev instanceof TeventContext && tallocIsFreed(queue);
}

/* ---- tdgram_sendto_queue ---- */

class TdgramSendtoQueueState {
  ret = -1;
  /* the caller's: C keeps the pointers, the buffer is not copied */
  constructor(readonly ev: TeventContext, readonly dgram: TdgramContext, readonly buf: Uint8Array,
              readonly len: number, readonly dst: TsocketAddress | null) {}
}

/**
 * tdgram_sendto_queue_send(): tdgram_sendto_send() once every request
 * queued before this one has been freed.  On an empty queue the sendto
 * starts inside this call (tevent_queue_add_optimize_empty), as in C.
 * buf is the caller's until the request completes.
 */
export function tdgramSendtoQueueSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext,
                                      queue: TeventQueue, buf: Uint8Array, len: number,
                                      dst: TsocketAddress | null): TeventReq {
  const state = new TdgramSendtoQueueState(ev, dgram, buf, len, dst ?? null);
  const req = teventReqCreate(memCtx, state, "struct tdgram_sendto_queue_state");
  if (queueFreed(queue, ev)) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  teventQueueAddOptimizeEmpty(queue, ev, req, sendtoQueueTrigger, null);
  if (!teventReqIsInProgress(req)) return teventReqPost(req, ev);
  return req;
}

function sendtoQueueTrigger(req: TeventReq): void {
  const state = req.data as TdgramSendtoQueueState;
  const subreq = tdgramSendtoSend(state, state.ev, state.dgram, state.buf, state.len, state.dst);
  teventReqSetCallback(subreq, sendtoQueueDone, req);
}

function sendtoQueueDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TdgramSendtoQueueState;
  const { ret, perrno } = tdgramSendtoRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.ret = ret;
  teventReqDone(req);
}

/** tdgram_sendto_queue_recv(): the bytes sent, or -1 with perrno. */
export function tdgramSendtoQueueRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TdgramSendtoQueueState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- tstream_readv_pdu ---- */

class TstreamReadvPduState {
  /* declared (as library classes do): the request's lazy child keeps its
   * owner here without a change of shape (see TallocLazyOwner) */
  [TALLOC_NODE]: TallocNode | null = null;
  /* the vector next_vector gave us last (C frees it before asking again) */
  vector: Uint8Array[] | null = null;
  count = 0;
  /* the bytes read so far: what _recv returns */
  totalRead = 0;
  /* reading with the stream's readvNow: the immediate each read runs from */
  step: TeventImmediate | null = null;
  constructor(readonly ev: TeventContext, readonly stream: TstreamContext,
              readonly nextVectorFn: TstreamReadvPduNextVectorFn, readonly nextVectorPrivate: unknown) {}
}

/* Linux's IOV_MAX (tstreamReadvSend refuses more with EMSGSIZE) */
const IOV_MAX = 1024;

/*
 * A PDU read whose bytes the stream already holds in user space
 * (TstreamContextOps.readvNow) needs no tstream_readv request per vector:
 * each read runs from the PDU's own immediate, one loop iteration per
 * vector as C's readv handler takes one readable event per vector, and the
 * stream is busy for other readers meanwhile (readvReq), as with C's
 * tstream_readv request.  Anything unusual (the stream busy or freed, a
 * vector that tstreamReadvSend would refuse, bytes missing) goes the C way.
 */
function readvPduStepPossible(state: TstreamReadvPduState, vector: Uint8Array[], count: number): boolean {
  const stream = state.stream;
  const readvNow = (stream.ops as TstreamReadvNowOp).readvNow;
  if (readvNow === undefined || stream.freed || stream.readvReq !== null || count > IOV_MAX) return false;
  return readvNow(stream, state.ev, vector, count, true) >= 0;
}

function readvPduStepStart(req: TeventReq, state: TstreamReadvPduState): void {
  let im = state.step;
  if (im === null) {
    /* private to the request, not a talloc object (as teventReqPost's):
     * the one a finished PDU gave back (see readvPduStepRelease), or new */
    im = spareStep;
    if (im !== null) spareStep = null;
    else im = new TeventImmediate();
    state.step = im;
    /* the request going (received or freed) between two reads frees the stream */
    const dn = req.dataNode;
    const d = readvPduStateDestructor as TallocDestructor<never>;
    if (dn !== null) dn.tcDestructor = d;
    else if (!TallocNode.setLazyDestructor(req, state, d)) tallocSetDestructor(state, readvPduStateDestructor);
  }
  const stream = state.stream;
  stream.readvReq = req;
  stream.readvStep = im;
  /* the handler finds the request on the stream: the immediate (long-lived)
   * then points at nothing new, one write barrier less per read */
  scheduleImmediateInternal(im, state.ev, readvPduStepHandler, stream);
}

/*
 * A PDU that is over gives its immediate back for the next one (the common
 * case: the next PDU is asked for from the callback), unless an immediate
 * tracer is set (it might tell them apart).  The immediate may be running
 * (the read that completed the PDU ran from it): it is only rescheduled.
 */
let spareStep: TeventImmediate | null = null;

function readvPduStepRelease(req: TeventReq, state: TstreamReadvPduState): void {
  const im = state.step as TeventImmediate;
  if (im.ev !== null || state.ev.tracing.im.callback !== null) return;
  state.step = null;
  spareStep = im;
  /* the destructor has nothing left to do (no step): freeing the state
   * need not call it */
  const d = readvPduStateDestructor as TallocDestructor<never>;
  const dn = req.dataNode;
  if (dn === null) {
    if (req.dataDestructor === d) req.dataDestructor = null;
  } else if (dn.tcDestructor === d) {
    dn.tcDestructor = null;
  }
}

/* The PDU request goes (received or freed) between two reads: the stream is free again. */
function readvPduStateDestructor(state: TstreamReadvPduState): number {
  const im = state.step;
  if (im === null) return 0;
  const stream = state.stream;
  if (stream.readvStep === im) {
    stream.readvStep = null;
    stream.readvReq = null;
  }
  if (im.ev !== null) teventScheduleImmediate(im, im.ev, null);
  return 0;
}

/* The step is scheduled only while the stream holds it (stream.readvStep,
 * stream.readvReq the PDU request): whatever lets go of it cancels it. */
function readvPduStepHandler(ev: TeventContext, im: TeventImmediate, stream: TstreamContext): void {
  if (stream.readvStep !== im) return;
  const req = stream.readvReq as TeventReq;
  stream.readvStep = null;
  stream.readvReq = null;
  const state = req.data as TstreamReadvPduState;
  const vector = state.vector as Uint8Array[];
  const readvNow = (stream.ops as TstreamReadvNowOp).readvNow as TstreamReadvNowFn;
  const n = readvNow(stream, ev, vector, state.count, false);
  if (n < 0) {
    /* something came first since (an error, say): the C way reports it */
    const subreq = tstreamReadvSend(state, ev, stream, vector, state.count);
    teventReqSetCallback(subreq, readvPduReadvDone, req);
    return;
  }
  state.totalRead += n;
  readvPduAskForNextVector(req);
}

/**
 * tstream_readv_pdu_send(): read one PDU, one tstream_readv per vector
 * next_vector returns, until it returns count 0.  next_vector is first
 * asked inside this call (checked against libsamba-sockets).
 */
export function tstreamReadvPduSend<P>(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                       nextVectorFn: TstreamReadvPduNextVectorFn<P>,
                                       nextVectorPrivate: P): TeventReq {
  /* the checks of tstreamReadvSend, up front (next_vector is asked first) */
  if (!(ev instanceof TeventContext)) throw new TypeError("tstreamReadvPduSend: ev must be a TeventContext");
  if (!(stream instanceof TstreamContext)) {
    throw new TypeError("tstreamReadvPduSend: stream must be a TstreamContext");
  }
  if (typeof nextVectorFn !== "function") {
    throw new TypeError("tstreamReadvPduSend: nextVectorFn must be a function");
  }
  const state = new TstreamReadvPduState(ev, stream, nextVectorFn as TstreamReadvPduNextVectorFn,
                                         nextVectorPrivate);
  /* teventReqCreate, with the state made the request's lazy child here
   * (a store that sees only this class: see TeventReq.createForNewState) */
  const req = TeventReq.createForNewState(memCtx, state, "struct tstream_readv_pdu_state");
  state[TALLOC_NODE] = req;
  readvPduAskForNextVector(req);
  if (!teventReqIsInProgress(req)) return teventReqPost(req, ev);
  return req;
}

function readvPduAskForNextVector(req: TeventReq): void {
  const state = req.data as TstreamReadvPduState;

  /* C: TALLOC_FREE(state->vector), the vector next_vector hung on our state */
  const old = state.vector;
  if (old !== null) {
    state.vector = null;
    state.count = 0;
    /* a state that is still its request's lazy child has no children */
    if (!TallocNode.isLazyChild(req, state) && tallocParent(old) === state) tallocFree(old);
  }

  const r = state.nextVectorFn(state.stream, state.nextVectorPrivate, state);
  if (r.ret === -1) {
    if (state.step !== null) readvPduStepRelease(req, state);
    teventReqError(req, typeof r.errno === "number" ? r.errno : getErrno());
    return;
  }
  const count = r.count;
  if (count === 0) {
    if (state.step !== null) readvPduStepRelease(req, state);
    teventReqDone(req);
    return;
  }
  const vector = r.vector;
  if (!Array.isArray(vector) || !Number.isInteger(count) || count < 0 || count > vector.length) {
    throw new TypeError("tstreamReadvPduSend: next_vector must return count <= vector.length");
  }
  state.vector = vector;
  state.count = count;

  let toRead = 0;
  /* (buffers that are not Uint8Array go the C way: tstreamReadvSend checks them) */
  let plain = true;
  for (let i = 0; i < count; i++) {
    const v = vector[i];
    if (!(v instanceof Uint8Array)) plain = false;
    toRead += v.length;
  }
  /* the next_vector function should have reported count 0 */
  if (toRead === 0) {
    teventReqError(req, EINVAL);
    return;
  }

  if (plain && readvPduStepPossible(state, vector, count)) {
    readvPduStepStart(req, state);
    return;
  }

  /* C turns on tstream_bsd_optimize_readv() here when count > 0 before: a bsd-only hint */
  const subreq = tstreamReadvSend(state, state.ev, state.stream, vector, count);
  teventReqSetCallback(subreq, readvPduReadvDone, req);
}

function readvPduReadvDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamReadvPduState;
  /* C does not free subreq here: it stays on state until the PDU is received */
  const { ret, perrno } = tstreamReadvRecv(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.totalRead += ret;
  readvPduAskForNextVector(req);
}

/** tstream_readv_pdu_recv(): the bytes of the PDU (not 0), or -1 with perrno. */
export function tstreamReadvPduRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TstreamReadvPduState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.totalRead;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- tstream_readv_pdu_queue ---- */

class TstreamReadvPduQueueState {
  ret = -1;
  constructor(readonly ev: TeventContext, readonly stream: TstreamContext,
              readonly nextVectorFn: TstreamReadvPduNextVectorFn, readonly nextVectorPrivate: unknown) {}
}

/**
 * tstream_readv_pdu_queue_send(): tstream_readv_pdu_send() once every
 * request queued before this one has been freed (on an empty queue,
 * inside this call, so next_vector is asked at once).
 */
export function tstreamReadvPduQueueSend<P>(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                            queue: TeventQueue, nextVectorFn: TstreamReadvPduNextVectorFn<P>,
                                            nextVectorPrivate: P): TeventReq {
  if (typeof nextVectorFn !== "function") {
    throw new TypeError("tstreamReadvPduQueueSend: nextVectorFn must be a function");
  }
  const state = new TstreamReadvPduQueueState(ev, stream, nextVectorFn as TstreamReadvPduNextVectorFn,
                                              nextVectorPrivate);
  const req = teventReqCreate(memCtx, state, "struct tstream_readv_pdu_queue_state");
  if (queueFreed(queue, ev)) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  teventQueueAddOptimizeEmpty(queue, ev, req, readvPduQueueTrigger, null);
  if (!teventReqIsInProgress(req)) return teventReqPost(req, ev);
  return req;
}

function readvPduQueueTrigger(req: TeventReq): void {
  const state = req.data as TstreamReadvPduQueueState;
  const subreq = tstreamReadvPduSend(state, state.ev, state.stream, state.nextVectorFn, state.nextVectorPrivate);
  teventReqSetCallback(subreq, readvPduQueueDone, req);
}

function readvPduQueueDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamReadvPduQueueState;
  const { ret, perrno } = tstreamReadvPduRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.ret = ret;
  teventReqDone(req);
}

/** tstream_readv_pdu_queue_recv(): the bytes of the PDU, or -1 with perrno. */
export function tstreamReadvPduQueueRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TstreamReadvPduQueueState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- tstream_writev_queue ---- */

class TstreamWritevQueueState {
  ret = -1;
  constructor(readonly ev: TeventContext, readonly stream: TstreamContext, readonly vector: Uint8Array[],
              readonly count: number) {}
}

/**
 * tstream_writev_queue_send(): tstream_writev_send() once every request
 * queued before this one has been freed (on an empty queue, inside this
 * call).  The vector array is copied here (API.md rule 7); C keeps the
 * caller's iovec array and reads it when the request's turn comes.
 */
export function tstreamWritevQueueSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                                       queue: TeventQueue, vector: Uint8Array[], count: number): TeventReq {
  if (!Array.isArray(vector)) throw new TypeError("tstreamWritevQueueSend: vector must be an array of Uint8Array");
  /* copy what tstream_writev_send() will look at; it validates count itself */
  const vec = Number.isInteger(count) && count >= 0 ? vector.slice(0, count) : vector.slice();
  const state = new TstreamWritevQueueState(ev, stream, vec, count);
  const req = teventReqCreate(memCtx, state, "struct tstream_writev_queue_state");
  if (queueFreed(queue, ev)) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  teventQueueAddOptimizeEmpty(queue, ev, req, writevQueueTrigger, null);
  if (!teventReqIsInProgress(req)) return teventReqPost(req, ev);
  return req;
}

function writevQueueTrigger(req: TeventReq): void {
  const state = req.data as TstreamWritevQueueState;
  const subreq = tstreamWritevSend(state, state.ev, state.stream, state.vector, state.count);
  teventReqSetCallback(subreq, writevQueueDone, req);
}

function writevQueueDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TstreamWritevQueueState;
  const { ret, perrno } = tstreamWritevRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.ret = ret;
  teventReqDone(req);
}

/** tstream_writev_queue_recv(): the bytes written, or -1 with perrno. */
export function tstreamWritevQueueRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TstreamWritevQueueState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}
