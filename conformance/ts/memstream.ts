// In-memory test doubles written against the port's tsocket_internal.h
// equivalent: port of conformance/c/memstream.h (same behaviour, same "op"
// trace lines).  See that file for the description.
import {
  EBUSY, EINVAL, EPIPE, ENOTCONN, EPROTO, EMSGSIZE, EIO, ENOMEM, ETIMEDOUT, EBADF,
  tallocSteal, tallocSetDestructor, tallocMove, setErrno,
  teventReqCreate, teventReqDone, teventReqError, teventReqPost, teventReqReceived, teventReqData,
  teventCreateImmediate, teventScheduleImmediate,
  tstreamContextCreate, tstreamContextData, tdgramContextCreate, tdgramContextData,
  tsocketSimpleIntRecv, tsocketAddressInetFromStrings, tsocketAddressCopy, tsocketAddressString,
} from "tevent-tsocket";
import type {
  TallocCtx, TeventContext, TeventReq, TeventImmediate, TstreamContext, TstreamContextOps,
  TdgramContext, TdgramContextOps, TsocketAddress,
} from "tevent-tsocket";
import { T, regAuto } from "./common.js";

export function errname(e: number): string {
  switch (e) {
    case 0: return "0";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case EPROTO: return "EPROTO";
    case EMSGSIZE: return "EMSGSIZE";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EBADF: return "EBADF";
  }
  return `errno${e}`;
}

/** printable bytes, as show() in memstream.h */
export function show(p: Uint8Array | null, n: number): string {
  if (p === null) {
    return "NULL";
  }
  let s = '"';
  for (let i = 0; i < n && i < p.length; i++) {
    const c = p[i];
    if (c >= 0x21 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
      s += String.fromCharCode(c);
    } else {
      s += "\\x" + c.toString(16).padStart(2, "0");
    }
  }
  return s + '"';
}

export function bytes(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, "latin1"));
}

/* a child of an op request announcing when the request itself is freed */
function opTag(req: TeventReq, what: string, name: string): void {
  const t = tallocSteal(req, { what, name });
  tallocSetDestructor(t, (x: { what: string; name: string }) => {
    T(`op ${x.what} ${x.name} freed`);
    return 0;
  });
}

/* ---------------------------------------------------------------- stream */

interface MemPipe {
  data: number[];
  eof: boolean;
  reader: TeventReq<MsReadvState> | null;
}

export interface Memstream {
  name: string;
  in: MemPipe;
  out: MemPipe;
  disconnected: boolean;
}

interface MsReadvState {
  name: string;
  pipe: MemPipe;
  ev: TeventContext;
  im: TeventImmediate;
  vector: Uint8Array[];
  want: number;
  got: number;
}

function msReadvFill(_ev: TeventContext, _im: TeventImmediate, pvt: unknown): void {
  const req = pvt as TeventReq<MsReadvState>;
  const s = teventReqData(req);
  let n = 0;
  while (s.vector.length > 0 && s.pipe.data.length > 0) {
    const v = s.vector[0];
    const c = Math.min(v.length, s.pipe.data.length);
    v.set(s.pipe.data.splice(0, c), 0);
    s.vector[0] = v.subarray(c);
    n += c;
    if (s.vector[0].length === 0) {
      s.vector.shift();
    }
  }
  s.got += n;
  T(`op readv ${s.name} fill +${n} -> ${s.got}/${s.want}`);
  if (s.got === s.want) {
    s.pipe.reader = null;
    teventReqDone(req);
    return;
  }
  if (s.pipe.data.length === 0 && s.pipe.eof) {
    s.pipe.reader = null;
    teventReqError(req, EPIPE);
  }
}

function msWake(p: MemPipe): void {
  if (p.reader === null) {
    return;
  }
  const s = teventReqData(p.reader);
  teventScheduleImmediate(s.im, s.ev, msReadvFill, p.reader);
}

export const memstreamOps: TstreamContextOps = {
  name: "memstream",

  pendingBytes(stream: TstreamContext): number {
    const ms = tstreamContextData(stream) as Memstream;
    if (ms.disconnected) {
      T(`op pending_bytes ${ms.name} -> -1 ENOTCONN`);
      setErrno(ENOTCONN);
      return -1;
    }
    T(`op pending_bytes ${ms.name} -> ${ms.in.data.length}`);
    return ms.in.data.length;
  },

  readvSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
            vector: Uint8Array[], count: number): TeventReq {
    const ms = tstreamContextData(stream) as Memstream;
    const state = {
      name: ms.name, pipe: ms.in, ev, im: null as unknown as TeventImmediate,
      vector: vector.slice(0, count), want: 0, got: 0,
    };
    const req = teventReqCreate(memCtx, state, "struct ms_readv_state");
    const s = teventReqData(req);
    s.im = teventCreateImmediate(s);
    for (let i = 0; i < count; i++) {
      s.want += vector[i].length;
    }
    T(`op readv ${ms.name} count=${count} want=${s.want} pending=${ms.in.data.length}`);
    tallocSetDestructor(s, (x: MsReadvState) => {
      if (x.pipe.reader !== null && teventReqData(x.pipe.reader) === x) {
        x.pipe.reader = null;
      }
      return 0;
    });
    opTag(req, "readv", s.name);
    if (ms.disconnected) {
      teventReqError(req, ENOTCONN);
      return teventReqPost(req, ev);
    }
    s.pipe.reader = req;
    if (s.pipe.data.length > 0 || s.pipe.eof) {
      msWake(s.pipe);
    }
    return req;
  },

  readvRecv(req: TeventReq): { ret: number; perrno: number } {
    const s = teventReqData(req) as MsReadvState;
    let { ret, perrno } = tsocketSimpleIntRecv(req);
    if (ret === 0) {
      ret = s.want;
    }
    T(`op readv_recv ${s.name} -> ${ret}`);
    teventReqReceived(req);
    return { ret, perrno };
  },

  writevSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
             vector: Uint8Array[], count: number): TeventReq {
    const ms = tstreamContextData(stream) as Memstream;
    const req = teventReqCreate(memCtx, { name: ms.name, ret: 0 }, "struct ms_writev_state");
    const s = teventReqData(req);
    opTag(req, "writev", s.name);
    let total = 0;
    for (let i = 0; i < count; i++) {
      total += vector[i].length;
    }
    T(`op writev ${ms.name} count=${count} bytes=${total}`);
    if (ms.disconnected) {
      teventReqError(req, ENOTCONN);
      return teventReqPost(req, ev);
    }
    for (let i = 0; i < count; i++) {
      ms.out.data.push(...vector[i]);
    }
    s.ret = total;
    msWake(ms.out);
    teventReqDone(req);
    return teventReqPost(req, ev);
  },

  writevRecv(req: TeventReq): { ret: number; perrno: number } {
    const s = teventReqData(req) as { name: string; ret: number };
    let { ret, perrno } = tsocketSimpleIntRecv(req);
    if (ret === 0) {
      ret = s.ret;
    }
    T(`op writev_recv ${s.name} -> ${ret}`);
    teventReqReceived(req);
    return { ret, perrno };
  },

  disconnectSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq {
    const ms = tstreamContextData(stream) as Memstream;
    const req = teventReqCreate(memCtx, { name: ms.name }, "struct ms_disconnect_state");
    opTag(req, "disconnect", ms.name);
    T(`op disconnect ${ms.name}`);
    if (ms.disconnected) {
      teventReqError(req, ENOTCONN);
      return teventReqPost(req, ev);
    }
    ms.disconnected = true;
    ms.out.eof = true;
    msWake(ms.out);
    teventReqDone(req);
    return teventReqPost(req, ev);
  },

  disconnectRecv(req: TeventReq): { ret: number; perrno: number } {
    const s = teventReqData(req) as { name: string };
    const { ret, perrno } = tsocketSimpleIntRecv(req);
    T(`op disconnect_recv ${s.name} -> ${ret}`);
    teventReqReceived(req);
    return { ret, perrno };
  },
};

/** a connected pair: each end a child of memCtx (pipesCtx has no meaning in JS) */
export function memstreamPair(_pipesCtx: TallocCtx, memCtx: TallocCtx, n1: string, n2: string):
    [TstreamContext, TstreamContext] {
  const a: MemPipe = { data: [], eof: false, reader: null };
  const b: MemPipe = { data: [], eof: false, reader: null };
  const s1 = tstreamContextCreate(memCtx, memstreamOps,
    { name: n1, in: a, out: b, disconnected: false } as Memstream, "struct memstream");
  const s2 = tstreamContextCreate(memCtx, memstreamOps,
    { name: n2, in: b, out: a, disconnected: false } as Memstream, "struct memstream");
  regAuto(s1, n1);
  regAuto(s2, n2);
  return [s1, s2];
}

/* ---------------------------------------------------------------- dgram */

interface MemDmsg {
  buf: Uint8Array;
  len: number;
  src: TsocketAddress;
}

interface MemDq {
  msgs: MemDmsg[];
  reader: TeventReq<MdRecvfromState> | null;
}

interface Memdgram {
  name: string;
  local: TsocketAddress;
  in: MemDq;
  out: MemDq;
  disconnected: boolean;
}

interface MdRecvfromState {
  name: string;
  q: MemDq;
  ev: TeventContext;
  im: TeventImmediate;
  buf: Uint8Array | null;
  len: number;
  src: TsocketAddress | null;
}

function mdRecvfromPop(_ev: TeventContext, _im: TeventImmediate, pvt: unknown): void {
  const req = pvt as TeventReq<MdRecvfromState>;
  const s = teventReqData(req);
  const m = s.q.msgs.shift() as MemDmsg;
  s.q.reader = null;
  s.buf = tallocSteal(s, m.buf);
  s.len = m.len;
  s.src = tallocSteal(s, m.src);
  T(`op recvfrom ${s.name} pop len=${s.len}`);
  teventReqDone(req);
}

function mdWake(q: MemDq): void {
  if (q.reader === null || q.msgs.length === 0) {
    return;
  }
  const s = teventReqData(q.reader);
  teventScheduleImmediate(s.im, s.ev, mdRecvfromPop, q.reader);
}

export const memdgramOps: TdgramContextOps = {
  name: "memdgram",

  recvfromSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
    const md = tdgramContextData(dgram) as Memdgram;
    const state: MdRecvfromState = {
      name: md.name, q: md.in, ev, im: null as unknown as TeventImmediate, buf: null, len: 0, src: null,
    };
    const req = teventReqCreate(memCtx, state, "struct md_recvfrom_state");
    const s = teventReqData(req);
    s.im = teventCreateImmediate(s);
    tallocSetDestructor(s, (x: MdRecvfromState) => {
      if (x.q.reader !== null && teventReqData(x.q.reader) === x) {
        x.q.reader = null;
      }
      return 0;
    });
    opTag(req, "recvfrom", s.name);
    T(`op recvfrom ${md.name} queued=${md.in.msgs.length > 0 ? 1 : 0}`);
    if (md.disconnected) {
      teventReqError(req, ENOTCONN);
      return teventReqPost(req, ev);
    }
    md.in.reader = req;
    mdWake(md.in);
    return req;
  },

  recvfromRecv(req: TeventReq, memCtx: TallocCtx):
      { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null } {
    const s = teventReqData(req) as MdRecvfromState;
    const r = tsocketSimpleIntRecv(req);
    let out: { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null };
    if (r.ret === 0) {
      const buf = s.buf !== null ? tallocMove(memCtx, s.buf) : null;
      const src = s.src !== null ? tallocMove(memCtx, s.src) : null;
      s.buf = null;
      s.src = null;
      out = { ret: s.len, perrno: 0, buf, src };
    } else {
      out = { ret: -1, perrno: r.perrno, buf: null, src: null };
    }
    T(`op recvfrom_recv ${s.name} -> ${out.ret}`);
    teventReqReceived(req);
    return out;
  },

  sendtoSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext,
             buf: Uint8Array, len: number, dst: TsocketAddress | null): TeventReq {
    const md = tdgramContextData(dgram) as Memdgram;
    const req = teventReqCreate(memCtx, { name: md.name, ret: 0 }, "struct md_sendto_state");
    const s = teventReqData(req);
    opTag(req, "sendto", s.name);
    T(`op sendto ${md.name} len=${len} buf=${show(buf, len)} dst=${tsocketAddressString(dst, s)}`);
    if (md.disconnected) {
      teventReqError(req, ENOTCONN);
      return teventReqPost(req, ev);
    }
    const m: MemDmsg = tallocSteal(null, {
      buf: Uint8Array.from(buf.subarray(0, len)), len, src: null as unknown as TsocketAddress,
    });
    tallocSteal(m, m.buf);
    m.src = tsocketAddressCopy(md.local, m) as TsocketAddress;
    md.out.msgs.push(m);
    s.ret = len;
    mdWake(md.out);
    teventReqDone(req);
    return teventReqPost(req, ev);
  },

  sendtoRecv(req: TeventReq): { ret: number; perrno: number } {
    const s = teventReqData(req) as { name: string; ret: number };
    let { ret, perrno } = tsocketSimpleIntRecv(req);
    if (ret === 0) {
      ret = s.ret;
    }
    T(`op sendto_recv ${s.name} -> ${ret}`);
    teventReqReceived(req);
    return { ret, perrno };
  },

  disconnectSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
    const md = tdgramContextData(dgram) as Memdgram;
    const req = teventReqCreate(memCtx, { name: md.name }, "struct md_disconnect_state");
    opTag(req, "disconnect", md.name);
    T(`op disconnect ${md.name}`);
    if (md.disconnected) {
      teventReqError(req, ENOTCONN);
      return teventReqPost(req, ev);
    }
    md.disconnected = true;
    teventReqDone(req);
    return teventReqPost(req, ev);
  },

  disconnectRecv(req: TeventReq): { ret: number; perrno: number } {
    const s = teventReqData(req) as { name: string };
    const { ret, perrno } = tsocketSimpleIntRecv(req);
    T(`op disconnect_recv ${s.name} -> ${ret}`);
    teventReqReceived(req);
    return { ret, perrno };
  },
};

/** a connected pair with addresses ipv4:127.0.0.1:<port1>/<port2> */
export function memdgramPair(_queuesCtx: TallocCtx, memCtx: TallocCtx, n1: string, port1: number,
                             n2: string, port2: number): [TdgramContext, TdgramContext] {
  const a: MemDq = { msgs: [], reader: null };
  const b: MemDq = { msgs: [], reader: null };
  const m1 = { name: n1, local: null as unknown as TsocketAddress, in: a, out: b, disconnected: false };
  const m2 = { name: n2, local: null as unknown as TsocketAddress, in: b, out: a, disconnected: false };
  const d1 = tdgramContextCreate(memCtx, memdgramOps, m1 as Memdgram, "struct memdgram");
  const d2 = tdgramContextCreate(memCtx, memdgramOps, m2 as Memdgram, "struct memdgram");
  m1.local = tsocketAddressInetFromStrings(m1, "ipv4", "127.0.0.1", port1).addr as TsocketAddress;
  m2.local = tsocketAddressInetFromStrings(m2, "ipv4", "127.0.0.1", port2).addr as TsocketAddress;
  regAuto(d1, n1);
  regAuto(d2, n2);
  return [d1, d2];
}
