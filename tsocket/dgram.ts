// The tdgram half of tsocket.c: the generic layer for datagram sockets.

import { EBADF, EBUSY, EINVAL } from "../lib/errno";
import { TallocCtx, tallocFree, tallocMove, tallocSetDestructor, tallocSetName, tallocSteal, TALLOC_NODE,
         TallocNode } from "../lib/talloc";
import { TeventContext } from "../tevent/internal";
import {
  TeventReq, teventReqCallbackData, teventReqCreate, teventReqDone, teventReqError, teventReqPost,
  teventReqReceived, teventReqSetCallback,
} from "../tevent/req";
import { TsocketAddress } from "./address";
import { tsocketSimpleIntRecv, tsocketSimpleIntRecvShared } from "./simple";


/** struct tdgram_context_ops (tsocket_internal.h) */
export interface TdgramContextOps {
  name: string;
  recvfromSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq;
  recvfromRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null };
  sendtoSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext,
             buf: Uint8Array, len: number, dst: TsocketAddress | null): TeventReq;
  sendtoRecv(req: TeventReq): { ret: number; perrno: number };
  disconnectSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq;
  disconnectRecv(req: TeventReq): { ret: number; perrno: number };
}

/** struct tdgram_context */
export class TdgramContext<S = unknown> {
  static readonly tallocName = "struct tdgram_context";
  [TALLOC_NODE]: TallocNode | null = null;
  recvfromReq: TeventReq | null = null;
  sendtoReq: TeventReq | null = null;
  freed = false;
  constructor(readonly ops: TdgramContextOps, public privateData: S) {}
}

/* tdgram_context_destructor(): outstanding requests end silently. */
function dgramDestructor(dgram: TdgramContext): number {
  dgram.freed = true;
  if (dgram.recvfromReq !== null) teventReqReceived(dgram.recvfromReq);
  if (dgram.sendtoReq !== null) teventReqReceived(dgram.sendtoReq);
  return 0;
}

/** tdgram_context_create() (tsocket_internal.h) */
export function tdgramContextCreate<S>(memCtx: TallocCtx, ops: TdgramContextOps, state: S,
                                       typeName?: string): TdgramContext<S> {
  if (ops === null || typeof ops !== "object" || typeof ops.recvfromSend !== "function" ||
      typeof ops.sendtoSend !== "function" || typeof ops.disconnectSend !== "function") {
    throw new TypeError("tdgramContextCreate: ops must implement the tdgram_context_ops");
  }
  const dgram = new TdgramContext<S>(ops, state);
  if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, dgram);
  if (state !== null && (typeof state === "object" || typeof state === "function")) {
    tallocSteal(dgram, state as unknown as object);
    if (typeName !== undefined) tallocSetName(state as unknown as object, typeName);
  }
  tallocSetDestructor(dgram, dgramDestructor);
  return dgram;
}

/** tdgram_context_data() */
export function tdgramContextData<S>(dgram: TdgramContext<S>): S {
  if (!(dgram instanceof TdgramContext)) throw new TypeError("tdgramContextData: dgram must be a TdgramContext");
  return dgram.privateData;
}

function checkDgram(dgram: unknown, fn: string): asserts dgram is TdgramContext {
  if (!(dgram instanceof TdgramContext)) throw new TypeError(`${fn}: dgram must be a TdgramContext`);
}

function checkEv(ev: unknown, fn: string): asserts ev is TeventContext {
  if (!(ev instanceof TeventContext)) throw new TypeError(`${fn}: ev must be a TeventContext`);
}

/* ---- recvfrom ---- */

class TdgramRecvfromState {
  /* the talloc slot, present from the start: attaching the state to its request is then no shape change */
  [TALLOC_NODE]: TallocNode | null = null;
  buf: Uint8Array | null = null;
  len = 0;
  src: TsocketAddress | null = null;
  constructor(readonly ops: TdgramContextOps, public dgram: TdgramContext | null) {}
}

function recvfromStateDestructor(state: TdgramRecvfromState): number {
  if (state.dgram !== null) state.dgram.recvfromReq = null;
  return 0;
}

/** tdgram_recvfrom_send(): the next datagram.  One may be outstanding (EBUSY). */
export function tdgramRecvfromSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
  checkEv(ev, "tdgramRecvfromSend");
  checkDgram(dgram, "tdgramRecvfromSend");
  const state = new TdgramRecvfromState(dgram.ops, null);
  const req = teventReqCreate(memCtx, state, "struct tdgram_recvfrom_state");
  if (dgram.freed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  if (dgram.recvfromReq !== null) {
    teventReqError(req, EBUSY);
    return teventReqPost(req, ev);
  }
  dgram.recvfromReq = req;
  state.dgram = dgram;
  tallocSetDestructor(state, recvfromStateDestructor);
  const subreq = state.ops.recvfromSend(state, ev, dgram);
  teventReqSetCallback(subreq, recvfromDone, req);
  return req;
}

function recvfromDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TdgramRecvfromState;
  const { ret, perrno, buf, src } = state.ops.recvfromRecv(subreq, state);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.buf = buf;
  state.src = src;
  state.len = ret;
  teventReqDone(req);
}

/**
 * tdgram_recvfrom_recv(): the datagram's length (never 0) with buf and
 * src moved to memCtx, or -1 with perrno.
 */
export function tdgramRecvfromRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null } {
  const state = req.data as TdgramRecvfromState;
  const { ret, perrno } = tsocketSimpleIntRecvShared(req);
  let out: { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null };
  if (ret === 0) {
    const buf = state.buf !== null ? tallocMove(memCtx, state.buf) : null;
    const src = state.src !== null ? tallocMove(memCtx, state.src) : null;
    state.buf = null;
    state.src = null;
    out = { ret: state.len, perrno: 0, buf, src };
  } else {
    out = { ret: -1, perrno, buf: null, src: null };
  }
  teventReqReceived(req);
  return out;
}

/* ---- sendto ---- */

class TdgramSendtoState {
  /* the talloc slot, present from the start: attaching the state to its request is then no shape change */
  [TALLOC_NODE]: TallocNode | null = null;
  ret = -1;
  constructor(readonly ops: TdgramContextOps, public dgram: TdgramContext | null) {}
}

function sendtoStateDestructor(state: TdgramSendtoState): number {
  if (state.dgram !== null) state.dgram.sendtoReq = null;
  return 0;
}

/**
 * tdgram_sendto_send(): send buf[0..len) to dst (null on a connected
 * socket).  len 0 is invalid (EINVAL); one may be outstanding (EBUSY).
 */
export function tdgramSendtoSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext,
                                 buf: Uint8Array, len: number, dst: TsocketAddress | null): TeventReq {
  checkEv(ev, "tdgramSendtoSend");
  checkDgram(dgram, "tdgramSendtoSend");
  if (!(buf instanceof Uint8Array)) throw new TypeError("tdgramSendtoSend: buf must be a Uint8Array");
  if (typeof len !== "number") throw new TypeError("tdgramSendtoSend: len must be a number");
  if (dst !== null && dst !== undefined && !(dst instanceof TsocketAddress)) {
    throw new TypeError("tdgramSendtoSend: dst must be a TsocketAddress or null");
  }
  const state = new TdgramSendtoState(dgram.ops, null);
  const req = teventReqCreate(memCtx, state, "struct tdgram_sendto_state");
  if (len === 0 || !Number.isInteger(len) || len < 0 || len > buf.length) {
    teventReqError(req, EINVAL);
    return teventReqPost(req, ev);
  }
  if (dgram.freed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  if (dgram.sendtoReq !== null) {
    teventReqError(req, EBUSY);
    return teventReqPost(req, ev);
  }
  dgram.sendtoReq = req;
  state.dgram = dgram;
  tallocSetDestructor(state, sendtoStateDestructor);
  const subreq = state.ops.sendtoSend(state, ev, dgram, buf, len, dst ?? null);
  teventReqSetCallback(subreq, sendtoDone, req);
  return req;
}

function sendtoDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TdgramSendtoState;
  const { ret, perrno } = state.ops.sendtoRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.ret = ret;
  teventReqDone(req);
}

/** tdgram_sendto_recv(): the bytes sent (never 0), or -1 with perrno. */
export function tdgramSendtoRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TdgramSendtoState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- disconnect ---- */

class TdgramDisconnectState {
  constructor(readonly ops: TdgramContextOps) {}
}

/**
 * tdgram_disconnect_send(): close the socket.  EBUSY while a recvfrom or
 * sendto is outstanding.
 */
export function tdgramDisconnectSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
  checkEv(ev, "tdgramDisconnectSend");
  checkDgram(dgram, "tdgramDisconnectSend");
  const state = new TdgramDisconnectState(dgram.ops);
  const req = teventReqCreate(memCtx, state, "struct tdgram_disconnect_state");
  if (dgram.freed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  if (dgram.recvfromReq !== null || dgram.sendtoReq !== null) {
    teventReqError(req, EBUSY);
    return teventReqPost(req, ev);
  }
  const subreq = state.ops.disconnectSend(state, ev, dgram);
  teventReqSetCallback(subreq, disconnectDone, req);
  return req;
}

function disconnectDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as TdgramDisconnectState;
  const { ret, perrno } = state.ops.disconnectRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  teventReqDone(req);
}

/** tdgram_disconnect_recv(): 0, or -1 with perrno. */
export function tdgramDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}
