// Lifetimes of what the BSD backends create: port of conformance/c/bsd_lifetimes.c.
// The C server side (socket/bind/listen/accept, blocking read) is the port's
// listening-socket extension and a server-side stream here.
import {
  EPIPE,
  tallocNew, tallocFree, tallocParent, tallocSteal, teventContextInit, teventReqPoll,
  tstreamUnixSocketpair, tstreamReadvSend, tstreamReadvRecv, tstreamInetTcpConnectSend, tstreamUnixConnectSend,
  tstreamInetTcpListen, tstreamUnixListen, tstreamListenReadySend, tstreamListenReadyRecv, tstreamListenerAddress,
  tstreamAcceptSend, tstreamAcceptRecv, tdgramInetUdpSocket, tdgramUnixSocket, tdgramRecvfromSend,
} from "tevent-tsocket";
import type { TstreamContext, TdgramContext, TsocketAddress, TstreamListener } from "tevent-tsocket";
import { T, SECTION, regAuto, run, watch } from "./common.js";
import {
  g, errname, show, inet, unixa, makeTmpdir, rmTmpdir, newOp, opSet, rv, wv, rf, st, ddc, fin, settle, showReq,
} from "./bsd/common.js";

function PARENT(what: string, obj: unknown, ctx: unknown, ctxName: string): void {
  T(`parent(${what})==${ctxName} ${tallocParent(obj) === ctx ? 1 : 0}`);
}

async function listen(l: { ret: number; listener: TstreamListener | null }): Promise<TstreamListener> {
  if (l.ret !== 0 || l.listener === null) throw new Error("listen failed");
  const req = tstreamListenReadySend(g.mem, g.ev, l.listener);
  await teventReqPoll(req, g.ev);
  if (tstreamListenReadyRecv(req).ret !== 0) throw new Error("bind/listen failed");
  return l.listener;
}

async function accept(listener: TstreamListener): Promise<TstreamContext> {
  const req = tstreamAcceptSend(g.mem, g.ev, listener);
  await teventReqPoll(req, g.ev);
  const r = tstreamAcceptRecv(req, g.mem);
  if (r.stream === null) throw new Error("accept failed");
  return r.stream;
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

async function main(): Promise<void> {
  g.mem = tallocNew(null);
  g.ev = teventContextInit(g.mem);
  const mem = g.mem;
  makeTmpdir();

  SECTION("socketpair: each stream is a child of its own context");
  const ctx1 = tallocNew(mem);
  const ctx2 = tallocNew(mem);
  watch(ctx2, "ctx2");
  let sp = tstreamUnixSocketpair(ctx1, ctx2);
  T(`socketpair ret=${sp.ret}`);
  let s1 = sp.stream1 as TstreamContext;
  let s2 = sp.stream2 as TstreamContext;
  regAuto(s1, "s1");
  regAuto(s2, "s2");
  watch(s2, "s2");
  PARENT("s1", s1, ctx1, "ctx1");
  PARENT("s2", s2, ctx2, "ctx2");
  T("free ctx2");
  tallocFree(ctx2);
  await fin(rv("r1", s1, 1, 0));

  SECTION("a request is a child of the context given to _send");
  sp = tstreamUnixSocketpair(mem, mem);
  s1 = sp.stream1 as TstreamContext;
  s2 = sp.stream2 as TstreamContext;
  regAuto(s1, "s3");
  regAuto(s2, "s4");
  let sendctx = tallocNew(mem);
  let o = newOp("r2", "readv");
  o.la = 2;
  T("readv_send r2 on s3 (2,0) with sendctx");
  opSet(o, tstreamReadvSend(sendctx, g.ev, s1, [o.a.subarray(0, 2)], 1));
  PARENT("r2", o.req, sendctx, "sendctx");
  T("free sendctx");
  tallocFree(sendctx);
  await fin(wv("w1", s2, "ok", ""));
  await settle(20);
  showReq(o);
  T("(the stream is free for another readv)");
  await fin(rv("r3", s1, 2, 0));

  SECTION("stealing a stream away from its context");
  const other = tallocNew(mem);
  tallocSteal(other, s2);
  PARENT("s4", s2, other, "other");
  await fin(wv("w2", s2, "st", ""));
  await fin(rv("r4", s1, 2, 0));
  T("free other");
  tallocFree(other);
  await fin(rv("r5", s1, 1, 0));
  tallocFree(s1);

  SECTION("tcp connect: the stream and the local address belong to the context given to _recv");
  let listener = await listen(tstreamInetTcpListen(mem, inet("ipv4", "127.0.0.1", 0), 16));
  const laddr = tstreamListenerAddress(listener, mem) as TsocketAddress;
  let recvctx = tallocNew(mem);
  watch(recvctx, "recvctx");
  o = newOp("c1", "tcp_connect");
  o.recvCtx = recvctx;
  T("connect_send c1");
  sendctx = tallocNew(mem);
  opSet(o, tstreamInetTcpConnectSend(sendctx, g.ev, inet("ipv4", "127.0.0.1", 0), laddr));
  PARENT("c1 req", o.req, sendctx, "sendctx");
  await fin(o);
  const c1 = o.stream as TstreamContext;
  regAuto(c1, "c1");
  watch(c1, "c1");
  watch(o.addr, "c1 local");
  PARENT("c1", c1, recvctx, "recvctx");
  PARENT("c1 local", o.addr, recvctx, "recvctx");
  T("free sendctx");
  tallocFree(sendctx);
  let sfd = await accept(listener);
  await fin(wv("w3", c1, "tcp", ""));
  await srvRead(sfd, 3);
  T("free recvctx");
  tallocFree(recvctx);
  await srvRead(sfd, 1);
  tallocFree(sfd);

  SECTION("unix connect: the stream belongs to the context given to _recv");
  tallocFree(listener);
  listener = await listen(tstreamUnixListen(mem, unixa("srv"), 5));
  recvctx = tallocNew(mem);
  o = newOp("c2", "unix_connect");
  o.recvCtx = recvctx;
  T("connect_send c2");
  opSet(o, tstreamUnixConnectSend(mem, g.ev, unixa(""), unixa("srv")));
  await fin(o);
  regAuto(o.stream, "c2");
  watch(o.stream, "c2");
  PARENT("c2", o.stream, recvctx, "recvctx");
  sfd = await accept(listener);
  T("free recvctx");
  tallocFree(recvctx);
  await srvRead(sfd, 1);
  tallocFree(sfd);
  tallocFree(listener);

  SECTION("dgram: the context, and what recvfrom returns");
  const dctx = tallocNew(mem);
  let d1 = tdgramInetUdpSocket(inet("ipv4", "127.0.0.1", 0), null, dctx).dgram as TdgramContext;
  regAuto(d1, "d1");
  watch(d1, "d1");
  PARENT("d1", d1, dctx, "dctx");
  const d2 = tdgramUnixSocket(unixa("d2"), null, mem).dgram as TdgramContext;
  regAuto(d2, "d2");
  PARENT("d2", d2, mem, "mem");
  const d2addr = unixa("d2");
  await fin(ddc("x1", d1));
  d1 = tdgramUnixSocket(unixa("d3"), null, dctx).dgram as TdgramContext;
  regAuto(d1, "d3");
  await fin(st("s1", d1, "data", d2addr));
  const rctx = tallocNew(mem);
  o = newOp("r6", "recvfrom");
  o.recvCtx = rctx;
  T("recvfrom_send r6 on d2, received on rctx");
  opSet(o, tdgramRecvfromSend(mem, g.ev, d2));
  await fin(o);
  PARENT("r6 buf", o.buf, rctx, "rctx");
  PARENT("r6 src", o.addr, rctx, "rctx");
  watch(o.addr, "r6 src");
  watch(o.buf, "r6 buf");
  T("free rctx");
  tallocFree(rctx);
  T("free dctx");
  tallocFree(dctx);
  const r1 = rf("r7", d2);
  await fin(st("s2", d2, "self", d2addr));
  await fin(r1);

  SECTION("freeing the context of a pending recvfrom");
  sendctx = tallocNew(mem);
  o = newOp("r8", "recvfrom");
  T("recvfrom_send r8 on d2 with sendctx");
  opSet(o, tdgramRecvfromSend(sendctx, g.ev, d2));
  PARENT("r8", o.req, sendctx, "sendctx");
  T("free sendctx");
  tallocFree(sendctx);
  await fin(st("s3", d2, "later", d2addr));
  await settle(20);
  showReq(o);
  await fin(rf("r9", d2));

  SECTION("done");
  rmTmpdir();
  tallocFree(mem);
}

run(main);
