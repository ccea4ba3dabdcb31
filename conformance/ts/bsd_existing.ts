// Wrapping existing descriptors: port of conformance/c/bsd_existing.c.
import * as fs from "node:fs";
import * as path from "node:path";
import * as nodeDgram from "node:dgram";
import { execFileSync } from "node:child_process";
import {
  tallocNew, tallocFree, teventContextInit, teventReqIsInProgress, tsocketAddressString,
  tstreamBsdExistingSocket, tstreamBsdOptimizeReadv, tdgramBsdExistingSocket, tdgramBsdOptimizeRecvfrom,
  tdgramInetUdpSocket, tstreamContextCreate, tdgramContextCreate,
} from "tevent-tsocket";
import type {
  TeventReq, TstreamContext, TdgramContext, TsocketAddress, TstreamContextOps, TdgramContextOps,
} from "tevent-tsocket";
import { T, SECTION, regAuto, run, watch } from "./common.js";
import {
  g, errname, inet, makeTmpdir, rmTmpdir, rv, wv, dc, rf, st, ddc, fin, pending, settle,
} from "./bsd/common.js";

/* a stream and a dgram that are not BSD sockets: ops never called */
function never(): never {
  throw new Error("dummy op called");
}
const dummyStreamOps: TstreamContextOps = {
  name: "dummy",
  pendingBytes: never, readvSend: never, readvRecv: never, writevSend: never, writevRecv: never,
  disconnectSend: never, disconnectRecv: never,
};
const dummyDgramOps: TdgramContextOps = {
  name: "dummy",
  recvfromSend: never, recvfromRecv: never, sendtoSend: never, sendtoRecv: never,
  disconnectSend: never, disconnectRecv: never,
};

function fdState(fd: number): string {
  try {
    fs.fstatSync(fd);
    return "open";
  } catch {
    return "closed";
  }
}

function existing(ret: number, errno: number, what: string, obj: unknown): void {
  T(`existing_socket ret=${ret}${ret === -1 ? " errno=" + errname(errno) : ""} ${what}=${obj ? "yes" : "NULL"}`);
}

/* a bound UDP descriptor nobody else reads (C: socket + bind + getsockname):
 * node:dgram's own, taken from it (its handle stops reading) */
async function udpFd(): Promise<{ fd: number; port: number; host: nodeDgram.Socket }> {
  const host = nodeDgram.createSocket("udp4");
  await new Promise<void>((resolve) => host.bind(0, "127.0.0.1", resolve));
  const port = host.address().port;
  const stateSym = Object.getOwnPropertySymbols(host).find((s) => s.description === "state symbol");
  const handle = (host as unknown as Record<symbol, { handle: { fd: number; recvStop(): number } }>)[stateSym as symbol].handle;
  handle.recvStop();
  return { fd: handle.fd, port, host };
}

async function main(): Promise<void> {
  g.mem = tallocNew(null);
  g.ev = teventContextInit(g.mem);
  makeTmpdir();

  SECTION("tstream_bsd_existing_socket on a FIFO (read-write)");
  const p = path.join(g.tmpdir, "fifo");
  execFileSync("mkfifo", ["-m", "600", p]);
  const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  fs.unlinkSync(p);
  const r1 = tstreamBsdExistingSocket(g.mem, fd);
  existing(r1.ret, r1.errno, "stream", r1.stream);
  const s1 = r1.stream as TstreamContext;
  regAuto(s1, "s1");
  pending(s1);
  await fin(wv("w1", s1, "loop", ""));
  await settle(20);
  pending(s1);
  await fin(rv("r1", s1, 2, 2));
  pending(s1);
  await fin(wv("w2", s1, "abc", "de"));
  await settle(20);
  await fin(rv("r2", s1, 1, 0));
  await fin(rv("r3", s1, 4, 0));

  SECTION("tstream_bsd_optimize_readv");
  T(`optimize_readv(s1, true) old=${tstreamBsdOptimizeReadv(s1, true) ? 1 : 0}`);
  T(`optimize_readv(s1, true) old=${tstreamBsdOptimizeReadv(s1, true) ? 1 : 0}`);
  await fin(wv("w3", s1, "xyz", ""));
  await settle(20);
  await fin(rv("r4", s1, 2, 1));
  let o = rv("r5", s1, 3, 0);
  T(`r5 in_progress=${teventReqIsInProgress(o.req as TeventReq) ? 1 : 0}`);
  await fin(wv("w4", s1, "123", ""));
  await fin(o);
  T(`optimize_readv(s1, false) old=${tstreamBsdOptimizeReadv(s1, false) ? 1 : 0}`);
  T(`optimize_readv(s1, false) old=${tstreamBsdOptimizeReadv(s1, false) ? 1 : 0}`);
  const ds = tstreamContextCreate(g.mem, dummyStreamOps, { x: 0 }, "struct dummy");
  regAuto(ds, "ds");
  T(`optimize_readv(ds, true) old=${tstreamBsdOptimizeReadv(ds, true) ? 1 : 0} (not a bsd stream)`);
  T(`optimize_readv(ds, true) old=${tstreamBsdOptimizeReadv(ds, true) ? 1 : 0} (not a bsd stream)`);

  SECTION("freeing the stream closes the descriptor");
  watch(s1, "s1");
  T("free s1");
  tallocFree(s1);
  await settle(20);
  T(`fd ${fdState(fd)}`);

  SECTION("tstream_bsd_existing_socket on a descriptor that is not open");
  const r2 = tstreamBsdExistingSocket(g.mem, 987654);
  existing(r2.ret, r2.errno, "stream", r2.stream);
  const s2 = r2.stream as TstreamContext;
  regAuto(s2, "s2");
  pending(s2);
  await fin(wv("w5", s2, "x", ""));
  await fin(dc("c1", s2));
  pending(s2);
  await fin(wv("w6", s2, "x", ""));

  SECTION("tdgram_bsd_existing_socket(-1)");
  const r3 = tdgramBsdExistingSocket(g.mem, -1);
  existing(r3.ret, r3.errno, "dgram", r3.dgram);
  const d1 = r3.dgram as TdgramContext;
  regAuto(d1, "d1");
  await fin(rf("f1", d1));
  await fin(st("t1", d1, "x", inet("ipv4", "127.0.0.1", 9)));
  await fin(st("t2", d1, "x", null));
  T(`optimize_recvfrom(d1, true) old=${tdgramBsdOptimizeRecvfrom(d1, true) ? 1 : 0}`);
  await fin(rf("f2", d1));
  await fin(ddc("c2", d1));

  SECTION("tdgram_bsd_existing_socket on a bound UDP socket");
  const u = await udpFd();
  const d2addr = inet("ipv4", "127.0.0.1", u.port);
  const r4 = tdgramBsdExistingSocket(g.mem, u.fd);
  existing(r4.ret, r4.errno, "dgram", r4.dgram);
  const d2 = r4.dgram as TdgramContext;
  regAuto(d2, "d2");
  const c = tdgramInetUdpSocket(inet("ipv4", "127.0.0.1", 0), null, g.mem);
  T(`udp_socket cl ret=${c.ret}`);
  const cl = c.dgram as TdgramContext;
  regAuto(cl, "cl");
  await fin(st("t3", cl, "adopted", d2addr));
  o = rf("f3", d2);
  await fin(o);
  await fin(st("t4", d2, "back", o.addr));
  o = rf("f4", cl);
  await fin(o);
  T(`reply from d2's address=${tsocketAddressString(o.addr as TsocketAddress, g.mem) ===
    tsocketAddressString(d2addr, g.mem) ? 1 : 0}`);

  SECTION("tdgram_bsd_optimize_recvfrom");
  T(`optimize_recvfrom(d2, true) old=${tdgramBsdOptimizeRecvfrom(d2, true) ? 1 : 0}`);
  T(`optimize_recvfrom(d2, true) old=${tdgramBsdOptimizeRecvfrom(d2, true) ? 1 : 0}`);
  await fin(st("t5", cl, "waiting", d2addr));
  await settle(20);
  await fin(rf("f5", d2));
  o = rf("f6", d2);
  T(`f6 in_progress=${teventReqIsInProgress(o.req as TeventReq) ? 1 : 0}`);
  await fin(st("t6", cl, "later", d2addr));
  await fin(o);
  T(`optimize_recvfrom(d2, false) old=${tdgramBsdOptimizeRecvfrom(d2, false) ? 1 : 0}`);
  T(`optimize_recvfrom(d2, false) old=${tdgramBsdOptimizeRecvfrom(d2, false) ? 1 : 0}`);
  const dd = tdgramContextCreate(g.mem, dummyDgramOps, { x: 0 }, "struct dummy");
  regAuto(dd, "dd");
  T(`optimize_recvfrom(dd, true) old=${tdgramBsdOptimizeRecvfrom(dd, true) ? 1 : 0} (not a bsd dgram)`);
  T(`optimize_recvfrom(dd, true) old=${tdgramBsdOptimizeRecvfrom(dd, true) ? 1 : 0} (not a bsd dgram)`);

  SECTION("freeing the dgram closes the descriptor");
  watch(d2, "d2");
  T("free d2");
  tallocFree(d2);
  await settle(20);
  T(`ufd ${fdState(u.fd)}`);
  await fin(st("t7", cl, "gone", d2addr));

  SECTION("done");
  rmTmpdir();
  tallocFree(g.mem);
}

run(main);
