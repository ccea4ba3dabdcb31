// The BSD TCP stream backend: port of conformance/c/bsd_tcp.c.  The C
// server side (socket/bind/listen/accept and blocking read/write/close) is
// the port's listening-socket extension and a server-side stream here.
import {
  EPIPE,
  tallocNew, tallocFree, teventContextInit, teventReqIsInProgress, teventReqPoll,
  tstreamInetTcpConnectSend, tstreamInetTcpListen, tstreamListenReadySend, tstreamListenReadyRecv,
  tstreamListenerAddress, tstreamAcceptSend, tstreamAcceptRecv, tstreamReadvSend, tstreamReadvRecv,
  tstreamWritevSend, tstreamWritevRecv, tsocketAddressString,
} from "tevent-tsocket";
import type { TstreamContext, TsocketAddress, TstreamListener } from "tevent-tsocket";
import { T, SECTION, regAuto, run, watch } from "./common.js";
import {
  g, errname, show, bytes, astr, inet, unixa, makeTmpdir, rmTmpdir, newOp, opSet, rv, wv, dc, fin,
  pending, settle, showReq,
} from "./bsd/common.js";

let listener: TstreamListener | null = null;
let laddr: TsocketAddress;

async function tcpListen(): Promise<[TstreamListener, TsocketAddress]> {
  const r = tstreamInetTcpListen(g.mem, inet("ipv4", "127.0.0.1", 0), 16);
  if (r.ret !== 0 || r.listener === null) throw new Error("listen failed");
  const req = tstreamListenReadySend(g.mem, g.ev, r.listener);
  await teventReqPoll(req, g.ev);
  if (tstreamListenReadyRecv(req).ret !== 0) throw new Error("bind/listen failed");
  const a = tstreamListenerAddress(r.listener, g.mem);
  if (a === null) throw new Error("no listener address");
  return [r.listener, a];
}

async function srvAccept(clientLocal: TsocketAddress | null): Promise<TstreamContext> {
  const req = tstreamAcceptSend(g.mem, g.ev, listener as TstreamListener);
  await teventReqPoll(req, g.ev);
  const r = tstreamAcceptRecv(req, g.mem);
  if (r.ret !== 0 || r.stream === null) throw new Error(`accept failed ${errname(r.perrno)}`);
  const same = tsocketAddressString(r.remote, g.mem) === tsocketAddressString(clientLocal, g.mem);
  T(`server accepted peer=${astr(r.remote)} peer==client_local=${same ? 1 : 0}`);
  return r.stream;
}

async function srvWrite(s: TstreamContext, str: string): Promise<void> {
  const req = tstreamWritevSend(g.mem, g.ev, s, [bytes(str)], 1);
  await teventReqPoll(req, g.ev);
  const r = tstreamWritevRecv(req);
  T(`server write "${str}" ret=${r.ret}`);
}

async function srvRead(s: TstreamContext, n: number): Promise<void> {
  const buf = new Uint8Array(n);
  const req = tstreamReadvSend(g.mem, g.ev, s, [buf], 1);
  await teventReqPoll(req, g.ev);
  const r = tstreamReadvRecv(req);
  if (r.ret === n) {
    T(`server read ${n}: ${show(buf, n)}`);
  } else if (r.perrno === EPIPE) {
    T("server read eof");
  } else {
    T(`server read error ${errname(r.perrno)}`);
  }
}

function srvClose(s: TstreamContext): void {
  T("server close");
  tallocFree(s);
}

async function conn(label: string): Promise<[TstreamContext, TstreamContext]> {
  T(`connect_send ${label}`);
  const o = newOp(label, "tcp_connect");
  opSet(o, tstreamInetTcpConnectSend(g.mem, g.ev, inet("ipv4", "127.0.0.1", 0), laddr));
  await fin(o);
  const c = o.stream as TstreamContext;
  regAuto(c, label);
  const s = await srvAccept(o.addr);
  return [c, s];
}

async function main(): Promise<void> {
  g.mem = tallocNew(null);
  g.ev = teventContextInit(g.mem);
  makeTmpdir();

  SECTION("connect to a closed port: ECONNREFUSED");
  let closed: TsocketAddress;
  [listener, closed] = await tcpListen();
  tallocFree(listener);
  T(`closed port ${astr(closed)}`);
  let o = newOp("c0", "tcp_connect");
  opSet(o, tstreamInetTcpConnectSend(g.mem, g.ev, inet("ipv4", null, 0), closed));
  await fin(o);

  SECTION("connect with the wrong families: EINVAL");
  o = newOp("c0b", "tcp_connect");
  T("local ipv4 127.0.0.1 remote ipv6 ::1");
  opSet(o, tstreamInetTcpConnectSend(g.mem, g.ev, inet("ipv4", "127.0.0.1", 0), inet("ipv6", "::1", 445)));
  await fin(o);
  o = newOp("c0c", "tcp_connect");
  T("local unix");
  opSet(o, tstreamInetTcpConnectSend(g.mem, g.ev, unixa("x"), closed));
  await fin(o);

  SECTION("connect and accept");
  [listener, laddr] = await tcpListen();
  T(`listening on ${astr(laddr)}`);
  const [c1, s1] = await conn("c1");
  pending(c1);

  SECTION("writev and readv round trips, pending_bytes");
  await fin(wv("w1", c1, "hello", " world"));
  await srvRead(s1, 11);
  await srvWrite(s1, "abcdef");
  await fin(rv("r1", c1, 1, 0));
  pending(c1);
  await fin(rv("r2", c1, 2, 3));
  pending(c1);

  SECTION("one readv filled by several writes");
  let r1 = rv("r3", c1, 3, 3);
  await srvWrite(s1, "xy");
  await srvWrite(s1, "zuv");
  await srvWrite(s1, "w");
  await fin(r1);
  pending(c1);

  SECTION("second outstanding readv or writev: EBUSY");
  r1 = rv("r4", c1, 4, 0);
  await fin(rv("r5", c1, 1, 0));
  T(`r4 in_progress=${teventReqIsInProgress(r1.req!) ? 1 : 0}`);
  const w1 = wv("w2", c1, "ab", "");
  await fin(wv("w3", c1, "cd", ""));
  await fin(w1);
  await srvRead(s1, 2);
  await srvWrite(s1, "1234");
  await fin(r1);

  SECTION("read after the peer closed: EPIPE, kept");
  await srvWrite(s1, "zz");
  srvClose(s1);
  await fin(rv("r6", c1, 4, 0));
  pending(c1);
  await fin(rv("r7", c1, 1, 0));
  await fin(wv("w4", c1, "q", ""));

  SECTION("write after the peer closed: the first is accepted, then EPIPE");
  const [c2, s2] = await conn("c2");
  srvClose(s2);
  await fin(wv("w5", c2, "x", ""));
  await fin(wv("w6", c2, "y", ""));
  pending(c2);
  await fin(rv("r8", c2, 1, 0));

  SECTION("pending_bytes after the peer closed: ECONNRESET, kept");
  const [c3, s3] = await conn("c3");
  srvClose(s3);
  await settle(50);
  pending(c3);
  await fin(rv("r9", c3, 1, 0));
  await fin(wv("w7", c3, "x", ""));

  SECTION("disconnect, then everything is ENOTCONN");
  const [c4, s4] = await conn("c4");
  await srvWrite(s4, "left");
  await settle(20);
  pending(c4);
  await fin(dc("d1", c4));
  await fin(rv("r10", c4, 1, 0));
  await fin(wv("w8", c4, "x", ""));
  pending(c4);
  await fin(dc("d2", c4));
  await srvRead(s4, 1);
  tallocFree(s4);

  SECTION("freeing a stream with a readv pending");
  const [c5, s5] = await conn("c5");
  watch(c5, "c5");
  r1 = rv("r11", c5, 2, 0);
  T("free c5");
  tallocFree(c5);
  await settle(50);
  showReq(r1);
  await srvRead(s5, 1);
  tallocFree(s5);

  SECTION("done");
  tallocFree(listener);
  tallocFree(c1);
  tallocFree(c2);
  tallocFree(c3);
  tallocFree(c4);
  rmTmpdir();
  tallocFree(g.mem);
}

run(main);
