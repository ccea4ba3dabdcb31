// An in-memory datagram "network" for tdgram tests, written only against the
// public API (tsocket_internal.h's tdgram_context_create + ops).
//
// Endpoints are bound to tsocket addresses (tsocketAddressUnixFromPath or
// tsocketAddressInetFromStrings), keyed by tsocketAddressString().  A
// datagram is copied into the destination's queue; results are always
// delivered from the event loop.  Error numbers follow C's bsd tdgram
// (checked against libsamba-sockets): after tdgram_disconnect, recvfrom,
// sendto and a second disconnect fail with ENOTCONN.  Like a kernel:
// binding a bound address is EADDRINUSE, sendto without dst on an
// unconnected endpoint is EDESTADDRREQ, sendto to an unbound unix path is
// ENOENT, to an unbound inet address the datagram is silently lost (UDP).

import {
  EADDRINUSE, EDESTADDRREQ, ENOENT, ENOTCONN, setErrno, TallocCtx, tallocSetDestructor, tallocSteal,
  TdgramContext, TdgramContextOps, tdgramContextCreate, tdgramContextData, TeventContext, TeventImmediate,
  teventCreateImmediate, TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqPost,
  teventReqReceived, teventScheduleImmediate, TsocketAddress, tsocketAddressCopy, tsocketAddressIsUnix,
  tsocketAddressString, tsocketSimpleIntRecv,
} from "../../index";

/** The network: who is bound where. */
export class MemdgramNetwork {
  endpoints = new Map<string, MemdgramEnd>();
  /** datagrams lost (unbound inet destination, or filtered by a connected endpoint) */
  dropped = 0;
}

export function memdgramNetworkCreate(memCtx: TallocCtx): MemdgramNetwork {
  return tallocSteal(memCtx, new MemdgramNetwork());
}

interface Datagram {
  buf: Uint8Array;
  src: TsocketAddress;
}

/** One endpoint's private state (tdgram_context_data). */
export class MemdgramEnd {
  queue: Datagram[] = [];
  closed = false;
  reader: TeventReq | null = null;
  recvfromCalls = 0;
  sendtoCalls = 0;
  constructor(readonly net: MemdgramNetwork, readonly key: string, public local: TsocketAddress | null,
              public remote: TsocketAddress | null) {}
}

function keyOf(addr: TsocketAddress): string {
  return tsocketAddressString(addr, null) ?? "NULL";
}

function memdgramClose(end: MemdgramEnd): void {
  if (end.closed) return;
  end.closed = true;
  end.queue = [];
  if (end.net.endpoints.get(end.key) === end) end.net.endpoints.delete(end.key);
}

function memdgramEndDestructor(end: MemdgramEnd): number {
  memdgramClose(end);
  return 0;
}

/* ---- recvfrom ---- */

class MemdgramRecvfromState {
  im: TeventImmediate;
  buf: Uint8Array | null = null;
  src: TsocketAddress | null = null;
  req: TeventReq | null = null;
  constructor(readonly ev: TeventContext, public end: MemdgramEnd | null) {
    this.im = teventCreateImmediate(this);
  }
}

function recvfromDestructor(state: MemdgramRecvfromState): number {
  if (state.end !== null && state.end.reader === state.req) state.end.reader = null;
  state.end = null;
  return 0;
}

function kickReader(end: MemdgramEnd): void {
  const req = end.reader;
  if (req === null || req.data === null) return;
  const state = req.data as MemdgramRecvfromState;
  teventScheduleImmediate(state.im, state.ev, recvfromHandler, req);
}

function memdgramRecvfromSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
  const end = tdgramContextData(dgram) as MemdgramEnd;
  end.recvfromCalls++;
  const state = new MemdgramRecvfromState(ev, null);
  const req = teventReqCreate(memCtx, state, "struct memdgram_recvfrom_state");
  state.req = req;
  if (end.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  state.end = end;
  end.reader = req;
  tallocSetDestructor(state, recvfromDestructor);
  kickReader(end);
  return req;
}

function recvfromHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as MemdgramRecvfromState;
  const end = state.end;
  if (end === null) return;
  const d = end.queue.shift();
  if (d === undefined) return; /* wait for a datagram */
  end.reader = null;
  state.end = null;
  state.buf = tallocSteal(state, d.buf);
  state.src = tallocSteal(state, d.src);
  teventReqDone(req);
}

function memdgramRecvfromRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null } {
  const state = req.data as MemdgramRecvfromState;
  const { ret, perrno } = tsocketSimpleIntRecv(req);
  let out: { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null };
  if (ret === 0 && state.buf !== null && state.src !== null) {
    /* as C's backends: talloc_move(mem_ctx, &state->buf) and the src */
    out = { ret: state.buf.length, perrno: 0, buf: tallocSteal(memCtx, state.buf), src: tallocSteal(memCtx, state.src) };
    state.buf = null;
    state.src = null;
  } else {
    out = { ret: -1, perrno, buf: null, src: null };
  }
  teventReqReceived(req);
  return out;
}

/* ---- sendto ---- */

class MemdgramSendtoState {
  ret = -1;
}

function memdgramSendtoSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext,
                            buf: Uint8Array, len: number, dst: TsocketAddress | null): TeventReq {
  const end = tdgramContextData(dgram) as MemdgramEnd;
  end.sendtoCalls++;
  const state = new MemdgramSendtoState();
  const req = teventReqCreate(memCtx, state, "struct memdgram_sendto_state");
  if (end.closed || end.local === null) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  const to = dst ?? end.remote;
  if (to === null) {
    teventReqError(req, EDESTADDRREQ);
    return teventReqPost(req, ev);
  }
  const target = end.net.endpoints.get(keyOf(to));
  if (target === undefined) {
    if (tsocketAddressIsUnix(to)) {
      teventReqError(req, ENOENT);
      return teventReqPost(req, ev);
    }
    end.net.dropped++; /* UDP: lost on the wire */
  } else if (target.remote !== null && keyOf(target.remote) !== end.key) {
    end.net.dropped++; /* a connected endpoint takes only its peer's datagrams */
  } else {
    const src = tsocketAddressCopy(end.local, target);
    if (src === null) {
      teventReqError(req, ENOTCONN);
      return teventReqPost(req, ev);
    }
    /* copy: the caller's buffer stays the caller's */
    target.queue.push({ buf: Uint8Array.prototype.slice.call(buf, 0, len), src });
    kickReader(target);
  }
  state.ret = len;
  teventReqDone(req);
  return teventReqPost(req, ev);
}

function memdgramSendtoRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as MemdgramSendtoState;
  let { ret, perrno } = tsocketSimpleIntRecv(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- disconnect ---- */

class MemdgramDisconnectState {}

function memdgramDisconnectSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
  const end = tdgramContextData(dgram) as MemdgramEnd;
  const req = teventReqCreate(memCtx, new MemdgramDisconnectState(), "struct memdgram_disconnect_state");
  if (end.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  memdgramClose(end);
  teventReqDone(req);
  return teventReqPost(req, ev);
}

function memdgramDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}

export const memdgramOps: TdgramContextOps = {
  name: "memdgram",
  recvfromSend: memdgramRecvfromSend,
  recvfromRecv: memdgramRecvfromRecv,
  sendtoSend: memdgramSendtoSend,
  sendtoRecv: memdgramSendtoRecv,
  disconnectSend: memdgramDisconnectSend,
  disconnectRecv: memdgramDisconnectRecv,
};

export interface MemdgramSocketResult {
  ret: number;
  errno: number;
  dgram: TdgramContext<MemdgramEnd> | null;
}

/**
 * memdgramSocket(): an endpoint bound to local on net, connected to remote
 * when it is not null (as tdgram_unix_socket / tdgram_inet_udp_socket).
 */
export function memdgramSocket(net: MemdgramNetwork, local: TsocketAddress, remote: TsocketAddress | null,
                               memCtx: TallocCtx): MemdgramSocketResult {
  const key = keyOf(local);
  if (net.endpoints.has(key)) {
    setErrno(EADDRINUSE);
    return { ret: -1, errno: EADDRINUSE, dgram: null };
  }
  const end = new MemdgramEnd(net, key, null, null);
  const dgram = tdgramContextCreate(memCtx, memdgramOps, end, "struct memdgram_end");
  end.local = tsocketAddressCopy(local, end);
  end.remote = remote !== null ? tsocketAddressCopy(remote, end) : null;
  tallocSetDestructor(end, memdgramEndDestructor);
  net.endpoints.set(key, end);
  return { ret: 0, errno: 0, dgram };
}
