// The BSD unix stream backend: port of conformance/c/bsd_unix_stream.c.  The C
// server side (socket/bind/listen/accept and blocking read/write/close) is
// the port's tstreamUnixListen extension and a server-side stream here.
import * as fs from "node:fs";
import {
  EPIPE,
  tallocNew, tallocFree, teventContextInit, teventReqIsInProgress, teventReqPoll,
  tstreamUnixSocketpair, tstreamUnixConnectSend, tstreamBsdExistingSocket, tstreamUnixListen,
  tstreamListenReadySend, tstreamListenReadyRecv, tstreamListenerAddress, tstreamAcceptSend, tstreamAcceptRecv,
  tstreamReadvSend, tstreamReadvRecv, tstreamWritevSend, tstreamWritevRecv, tdgramUnixSocket,
} from "tevent-tsocket";
import type { TstreamContext, TstreamListener } from "tevent-tsocket";
import { T, SECTION, regAuto, run, watch } from "./common.js";
import {
  g, errname, show, bytes, astr, inet, unixa, unixPath, makeTmpdir, rmTmpdir, newOp, opSet, rv, wv, dc, fin,
  pending, settle, showReq,
} from "./bsd/common.js";

let listener: TstreamListener | null = null;

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

async function uconn(label: string, path: string, accept: boolean):
    Promise<[TstreamContext | null, TstreamContext | null]> {
  const o = newOp(label, "unix_connect");
  T(`connect_send ${label} to ${path}`);
  opSet(o, tstreamUnixConnectSend(g.mem, g.ev, unixa(""), unixa(path)));
  await fin(o);
  if (o.stream !== null) {
    regAuto(o.stream, label);
  }
  let sfd: TstreamContext | null = null;
  if (accept) {
    const req = tstreamAcceptSend(g.mem, g.ev, listener as TstreamListener);
    await teventReqPoll(req, g.ev);
    const r = tstreamAcceptRecv(req, g.mem);
    sfd = r.stream;
    T(`server accepted ${sfd === null ? "no" : "yes"}`);
  }
  return [o.stream, sfd];
}

async function main(): Promise<void> {
  g.mem = tallocNew(null);
  g.ev = teventContextInit(g.mem);
  makeTmpdir();

  SECTION("socketpair");
  const sp = tstreamUnixSocketpair(g.mem, g.mem);
  T(`socketpair ret=${sp.ret}`);
  const s1 = sp.stream1 as TstreamContext;
  const s2 = sp.stream2 as TstreamContext;
  regAuto(s1, "s1");
  regAuto(s2, "s2");
  pending(s1);
  pending(s2);

  SECTION("round trips and pending_bytes");
  await fin(wv("w1", s1, "ping", "!"));
  let r1 = rv("r1", s2, 2, 0);
  await fin(r1);
  pending(s2);
  await fin(rv("r2", s2, 2, 1));
  pending(s2);
  await fin(wv("w2", s2, "pong", ""));
  await fin(rv("r3", s1, 4, 0));

  SECTION("one readv filled by several writevs");
  r1 = rv("r4", s2, 3, 3);
  await fin(wv("w3", s1, "ab", ""));
  await fin(wv("w4", s1, "cde", "f"));
  await fin(r1);

  SECTION("second outstanding readv or writev: EBUSY");
  r1 = rv("r5", s1, 2, 0);
  await fin(rv("r6", s1, 1, 0));
  T(`r5 in_progress=${teventReqIsInProgress(r1.req!) ? 1 : 0}`);
  const w1 = wv("w5", s2, "xy", "");
  await fin(wv("w6", s2, "z", ""));
  await fin(w1);
  await fin(r1);

  SECTION("the peer freed: writev EPIPE at once, readv EPIPE");
  T("free s2");
  tallocFree(s2);
  await fin(wv("w7", s1, "a", ""));
  pending(s1);
  await fin(rv("r7", s1, 1, 0));

  SECTION("pending_bytes with the peer gone: EPIPE, kept");
  let p = tstreamUnixSocketpair(g.mem, g.mem);
  const s3 = p.stream1 as TstreamContext;
  const s4 = p.stream2 as TstreamContext;
  regAuto(s3, "s3");
  regAuto(s4, "s4");
  T("free s4");
  tallocFree(s4);
  await settle(20);
  pending(s3);
  await fin(rv("r8", s3, 1, 0));

  SECTION("what the peer wrote before it went is still read, then EPIPE");
  p = tstreamUnixSocketpair(g.mem, g.mem);
  const s5 = p.stream1 as TstreamContext;
  const s6 = p.stream2 as TstreamContext;
  regAuto(s5, "s5");
  regAuto(s6, "s6");
  await fin(wv("w8", s5, "bye", ""));
  T("free s5");
  tallocFree(s5);
  await settle(20);
  pending(s6);
  await fin(rv("r9", s6, 3, 0));
  await fin(rv("r10", s6, 1, 0));
  pending(s6);

  SECTION("disconnect, then everything is ENOTCONN");
  p = tstreamUnixSocketpair(g.mem, g.mem);
  const s7 = p.stream1 as TstreamContext;
  const s8 = p.stream2 as TstreamContext;
  regAuto(s7, "s7");
  regAuto(s8, "s8");
  await fin(dc("d1", s7));
  await fin(rv("r11", s7, 1, 0));
  await fin(wv("w9", s7, "x", ""));
  pending(s7);
  await fin(dc("d2", s7));
  await fin(rv("r12", s8, 1, 0));

  SECTION("freeing a stream with a readv pending");
  watch(s8, "s8");
  r1 = rv("r13", s8, 1, 0);
  T("free s8");
  tallocFree(s8);
  await settle(20);
  showReq(r1);

  SECTION("tstream_bsd_existing_socket(-1)");
  const ex = tstreamBsdExistingSocket(g.mem, -1);
  T(`existing_socket ret=${ex.ret} stream=${ex.stream ? "yes" : "NULL"}`);
  const x1 = ex.stream as TstreamContext;
  regAuto(x1, "x1");
  pending(x1);
  await fin(rv("r14", x1, 1, 0));
  await fin(wv("w10", x1, "x", ""));
  await fin(dc("d3", x1));

  SECTION("unix connect errors");
  await uconn("u1", "missing", false);
  fs.closeSync(fs.openSync(unixPath("file"), "w", 0o600));
  await uconn("u2", "file", false);
  const stale = tdgramUnixSocket(unixa("stale"), null, g.mem);
  T(`dgram socket on stale ret=${stale.ret}`);
  tallocFree(stale.dgram);
  await uconn("u3", "stale", false);
  let o = newOp("u4", "unix_connect");
  T("connect_send u4 local ipv4");
  opSet(o, tstreamUnixConnectSend(g.mem, g.ev, inet("ipv4", "127.0.0.1", 0), unixa("missing")));
  await fin(o);
  o = newOp("u5", "unix_connect");
  T("connect_send u5 remote ipv4");
  opSet(o, tstreamUnixConnectSend(g.mem, g.ev, unixa(""), inet("ipv4", "127.0.0.1", 1)));
  await fin(o);

  SECTION("unix connect to a listening socket");
  const l = tstreamUnixListen(g.mem, unixa("srv"), 5);
  listener = l.listener as TstreamListener;
  const ready = tstreamListenReadySend(g.mem, g.ev, listener);
  await teventReqPoll(ready, g.ev);
  if (tstreamListenReadyRecv(ready).ret !== 0) throw new Error("bind/listen failed");
  T(`listening on ${astr(tstreamListenerAddress(listener, g.mem))}`);
  const [c1x, sfdx] = await uconn("c1", "srv", true);
  const c1 = c1x as TstreamContext;
  const sfd = sfdx as TstreamContext;
  pending(c1);
  await fin(wv("w11", c1, "hello", ""));
  await srvRead(sfd, 5);
  await srvWrite(sfd, "world");
  await fin(rv("r15", c1, 3, 2));
  await srvWrite(sfd, "!");
  T("server close");
  tallocFree(sfd);
  await fin(rv("r16", c1, 2, 0));
  await fin(wv("w12", c1, "x", ""));

  SECTION("done");
  tallocFree(listener);
  rmTmpdir();
  tallocFree(g.mem);
}

run(main);
