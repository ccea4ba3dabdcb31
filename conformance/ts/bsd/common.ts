// Shared helpers for the BSD backend scenarios: port of conformance/c/bsd_common.h.
// (In a subdirectory so that run-ts.sh does not take it for a scenario.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  EBUSY, EINVAL, EPIPE, ENOTCONN, ECONNREFUSED, ECONNRESET, ENOENT, EAFNOSUPPORT, EADDRINUSE, EISCONN,
  EDESTADDRREQ, ENETUNREACH, EOPNOTSUPP, EPERM, EMSGSIZE, EBADF, EIO,
  getErrno, tallocFree, teventAddTimer, teventTimevalCurrentOfs, teventLoopOnce, teventReqSetCallback,
  tsocketAddressString, tsocketAddressInetFromStrings, tsocketAddressUnixFromPath,
  tstreamReadvSend, tstreamReadvRecv, tstreamWritevSend, tstreamWritevRecv, tstreamDisconnectSend,
  tstreamDisconnectRecv, tstreamPendingBytes, tstreamInetTcpConnectRecv, tstreamUnixConnectRecv,
  tdgramRecvfromSend, tdgramRecvfromRecv, tdgramSendtoSend, tdgramSendtoRecv, tdgramDisconnectSend,
  tdgramDisconnectRecv, teventReqCallbackData,
} from "tevent-tsocket";
import type {
  TallocCtx, TeventContext, TeventReq, TstreamContext, TdgramContext, TsocketAddress,
} from "tevent-tsocket";
import { T, regAuto, nm } from "../common.js";

export const g: { ev: TeventContext; mem: object; tmpdir: string } = {
  ev: null as unknown as TeventContext,
  mem: null as unknown as object,
  tmpdir: "",
};

export function errname(e: number): string {
  switch (e) {
    case 0: return "0";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ENOENT: return "ENOENT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EISCONN: return "EISCONN";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case ENETUNREACH: return "ENETUNREACH";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EPERM: return "EPERM";
    case EMSGSIZE: return "EMSGSIZE";
    case EBADF: return "EBADF";
    case EIO: return "EIO";
  }
  return `errno${e}`;
}

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

export function norm(s: string | null): string {
  if (s === null) {
    return "NULL";
  }
  const dl = g.tmpdir.length;
  if (dl > 0 && s.startsWith("unix:") && s.startsWith(g.tmpdir, 5)) {
    return `unix:<dir>${s.slice(5 + dl)}`;
  }
  const colon = s.lastIndexOf(":");
  if ((s.startsWith("ipv4:") || s.startsWith("ipv6:")) && colon >= 0 && s.slice(colon) !== ":0") {
    return `${s.slice(0, colon)}:<port>`;
  }
  return s;
}

export function astr(a: TsocketAddress | null): string {
  if (a === null) {
    return "NULL";
  }
  return norm(tsocketAddressString(a, g.mem));
}

export function inet(fam: string, ip: string | null, port: number): TsocketAddress {
  const r = tsocketAddressInetFromStrings(g.mem, fam, ip, port);
  if (r.ret !== 0 || r.addr === null) {
    throw new Error(`inet_from_strings ${ip} failed`);
  }
  return r.addr;
}

export function unixPath(name: string): string {
  return name === "" ? "" : `${g.tmpdir}/${name}`;
}

export function unixa(name: string): TsocketAddress {
  const r = tsocketAddressUnixFromPath(g.mem, unixPath(name));
  if (r.ret !== 0 || r.addr === null) {
    throw new Error(`unix_from_path ${name} failed`);
  }
  return r.addr;
}

export function makeTmpdir(): void {
  g.tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), "bsd-conf-"));
}

export function rmTmpdir(): void {
  fs.rmSync(g.tmpdir, { recursive: true, force: true });
}

export type OpKind = "readv" | "writev" | "disc" | "tcp_connect" | "unix_connect" | "recvfrom" | "sendto" | "ddisc";

export interface Op {
  label: string;
  kind: OpKind;
  req: TeventReq | null;
  done: boolean;
  ret: number;
  perrno: number;
  a: Uint8Array;
  b: Uint8Array;
  la: number;
  lb: number;
  stream: TstreamContext | null;
  addr: TsocketAddress | null;
  buf: Uint8Array | null;
  recvCtx: TallocCtx;
}

export function newOp(label: string, kind: OpKind): Op {
  return {
    label, kind, req: null, done: false, ret: 0, perrno: 0, a: new Uint8Array(16), b: new Uint8Array(16),
    la: 0, lb: 0, stream: null, addr: null, buf: null, recvCtx: g.mem,
  };
}

function opCb(req: TeventReq): void {
  const o = teventReqCallbackData(req) as Op;
  o.done = true;
  o.perrno = 0;
  switch (o.kind) {
    case "readv": ({ ret: o.ret, perrno: o.perrno } = tstreamReadvRecv(req)); break;
    case "writev": ({ ret: o.ret, perrno: o.perrno } = tstreamWritevRecv(req)); break;
    case "disc": ({ ret: o.ret, perrno: o.perrno } = tstreamDisconnectRecv(req)); break;
    case "tcp_connect": {
      const r = tstreamInetTcpConnectRecv(req, o.recvCtx);
      o.ret = r.ret; o.perrno = r.perrno; o.stream = r.stream; o.addr = r.local;
      break;
    }
    case "unix_connect": {
      const r = tstreamUnixConnectRecv(req, o.recvCtx);
      o.ret = r.ret; o.perrno = r.perrno; o.stream = r.stream;
      break;
    }
    case "recvfrom": {
      const r = tdgramRecvfromRecv(req, o.recvCtx);
      o.ret = r.ret; o.perrno = r.perrno; o.buf = r.buf; o.addr = r.src;
      break;
    }
    case "sendto": ({ ret: o.ret, perrno: o.perrno } = tdgramSendtoRecv(req)); break;
    case "ddisc": ({ ret: o.ret, perrno: o.perrno } = tdgramDisconnectRecv(req)); break;
  }
  tallocFree(req);
  o.req = null;
}

export function opSet(o: Op, req: TeventReq): void {
  o.req = req;
  regAuto(req, o.label);
  teventReqSetCallback(req, opCb, o);
}

export function rv(label: string, s: TstreamContext, la: number, lb: number): Op {
  const o = newOp(label, "readv");
  o.la = la;
  o.lb = lb;
  T(`readv_send ${label} on ${nm(s)} (${la},${lb})`);
  opSet(o, tstreamReadvSend(g.mem, g.ev, s, [o.a.subarray(0, la), o.b.subarray(0, lb)], 2));
  return o;
}

export function wv(label: string, s: TstreamContext, x: string, y: string): Op {
  const o = newOp(label, "writev");
  T(`writev_send ${label} on ${nm(s)} "${x}"+"${y}"`);
  opSet(o, tstreamWritevSend(g.mem, g.ev, s, [bytes(x), bytes(y)], 2));
  return o;
}

export function dc(label: string, s: TstreamContext): Op {
  const o = newOp(label, "disc");
  T(`disconnect_send ${label} on ${nm(s)}`);
  opSet(o, tstreamDisconnectSend(g.mem, g.ev, s));
  return o;
}

export function rf(label: string, d: TdgramContext): Op {
  const o = newOp(label, "recvfrom");
  T(`recvfrom_send ${label} on ${nm(d)}`);
  opSet(o, tdgramRecvfromSend(g.mem, g.ev, d));
  return o;
}

export function st(label: string, d: TdgramContext, s: string, dst: TsocketAddress | null): Op {
  const o = newOp(label, "sendto");
  T(`sendto_send ${label} on ${nm(d)} "${s}" dst=${astr(dst)}`);
  const buf = bytes(s);
  opSet(o, tdgramSendtoSend(g.mem, g.ev, d, buf, buf.length, dst));
  return o;
}

export function ddc(label: string, d: TdgramContext): Op {
  const o = newOp(label, "ddisc");
  T(`disconnect_send ${label} on ${nm(d)}`);
  opSet(o, tdgramDisconnectSend(g.mem, g.ev, d));
  return o;
}

export async function waitOp(o: Op): Promise<void> {
  while (!o.done) {
    if (await teventLoopOnce(g.ev) !== 0) {
      throw new Error("tevent_loop_once failed");
    }
  }
}

export async function fin(o: Op): Promise<void> {
  await waitOp(o);
  switch (o.kind) {
    case "readv":
      T(`${o.label} readv ret=${o.ret} perrno=${errname(o.perrno)} a=${show(o.a, o.la)} b=${show(o.b, o.lb)}`);
      break;
    case "writev":
      T(`${o.label} writev ret=${o.ret} perrno=${errname(o.perrno)}`);
      break;
    case "disc":
    case "ddisc":
      T(`${o.label} disconnect ret=${o.ret} perrno=${errname(o.perrno)}`);
      break;
    case "tcp_connect":
      T(`${o.label} connect ret=${o.ret} perrno=${errname(o.perrno)} stream=${o.stream ? "yes" : "NULL"} ` +
        `local=${astr(o.addr)}`);
      break;
    case "unix_connect":
      T(`${o.label} connect ret=${o.ret} perrno=${errname(o.perrno)} stream=${o.stream ? "yes" : "NULL"}`);
      break;
    case "recvfrom":
      T(`${o.label} recvfrom ret=${o.ret} perrno=${errname(o.perrno)} ` +
        `buf=${o.ret > 0 ? show(o.buf, o.ret) : "NULL"} src=${astr(o.addr)}`);
      break;
    case "sendto":
      T(`${o.label} sendto ret=${o.ret} perrno=${errname(o.perrno)}`);
      break;
  }
}

export function pending(s: TstreamContext): void {
  const n = tstreamPendingBytes(s);
  T(`pending_bytes ${nm(s)} ret=${n}${n === -1 ? " errno=" + errname(getErrno()) : ""}`);
}

export async function settle(ms: number): Promise<void> {
  const st = { fired: false };
  teventAddTimer(g.ev, g.mem, teventTimevalCurrentOfs(0, ms * 1000), () => { st.fired = true; }, null);
  while (!st.fired) {
    await teventLoopOnce(g.ev);
  }
}

export function showReq(o: Op): void {
  T(`${o.label} callback_called=${o.done ? 1 : 0}`);
}
