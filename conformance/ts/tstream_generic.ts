// tstream generic layer: port of conformance/c/tstream_generic.c.
import {
  tallocNew, tallocFree, getErrno,
  teventContextInit, teventReqSetCallback, teventReqCallbackData, teventReqIsInProgress,
  tstreamReadvSend, tstreamReadvRecv, tstreamWritevSend, tstreamWritevRecv,
  tstreamDisconnectSend, tstreamDisconnectRecv, tstreamPendingBytes,
} from "tevent-tsocket";
import type { TeventContext, TeventReq, TstreamContext } from "tevent-tsocket";
import { T, SECTION, regAuto, nm, b, loopOnce, loopWait, run, watch, printIsError } from "./common.js";
import { errname, show, bytes, memstreamPair } from "./memstream.js";

let ev: TeventContext;
let mem: object;

interface Rd {
  label: string;
  a: Uint8Array;
  b: Uint8Array;
  la: number;
  lb: number;
}

function readvCb(req: TeventReq): void {
  const r = teventReqCallbackData(req) as Rd;
  const { ret, perrno } = tstreamReadvRecv(req);
  T(`cb ${r.label} readv ret=${ret} perrno=${errname(perrno)} a=${show(r.a, r.la)} b=${show(r.b, r.lb)}`);
  tallocFree(req);
}

function writevCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tstreamWritevRecv(req);
  T(`cb ${label} writev ret=${ret} perrno=${errname(perrno)}`);
  tallocFree(req);
}

function disconnectCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tstreamDisconnectRecv(req);
  T(`cb ${label} disconnect ret=${ret} perrno=${errname(perrno)}`);
  tallocFree(req);
}

function rv(label: string, s: TstreamContext, la: number, lb: number): TeventReq {
  const r: Rd = { label, a: new Uint8Array(8), b: new Uint8Array(8), la, lb };
  T(`readv_send ${label} on ${nm(s)} (${la},${lb})`);
  const req = tstreamReadvSend(mem, ev, s, [r.a.subarray(0, la), r.b.subarray(0, lb)], 2);
  regAuto(req, label);
  teventReqSetCallback(req, readvCb, r);
  T(`-> in_progress=${b(teventReqIsInProgress(req))}`);
  return req;
}

function wv(label: string, s: TstreamContext, x: string, y: string): TeventReq {
  T(`writev_send ${label} on ${nm(s)} "${x}"+"${y}"`);
  const req = tstreamWritevSend(mem, ev, s, [bytes(x), bytes(y)], 2);
  regAuto(req, label);
  teventReqSetCallback(req, writevCb, label);
  T(`-> in_progress=${b(teventReqIsInProgress(req))}`);
  return req;
}

function dc(label: string, s: TstreamContext): TeventReq {
  T(`disconnect_send ${label} on ${nm(s)}`);
  const req = tstreamDisconnectSend(mem, ev, s);
  regAuto(req, label);
  teventReqSetCallback(req, disconnectCb, label);
  T(`-> in_progress=${b(teventReqIsInProgress(req))}`);
  return req;
}

function pending(s: TstreamContext): void {
  const n = tstreamPendingBytes(s);
  T(`pending_bytes ${nm(s)} ret=${n}${n === -1 ? " errno=" + errname(getErrno()) : ""}`);
}

async function main(): Promise<void> {
  mem = tallocNew(null);
  ev = teventContextInit(mem);
  const pipes = tallocNew(mem);
  let r1: TeventReq, r2: TeventReq;

  SECTION("create");
  let [s1, s2] = memstreamPair(pipes, mem, "s1", "s2");
  pending(s1);
  pending(s2);

  SECTION("readv pending, second readv and writev get EBUSY");
  rv("r1", s1, 3, 2);
  rv("r2", s1, 1, 1);
  wv("w1", s2, "abc", "de");
  wv("w2", s2, "x", "y");
  await loopWait(ev);
  pending(s1);

  SECTION("EINVAL: empty vectors");
  T("readv_send r3 count=0");
  r1 = tstreamReadvSend(mem, ev, s1, [], 0);
  regAuto(r1, "r3");
  teventReqSetCallback(r1, readvCb, { label: "r3", a: new Uint8Array(8), b: new Uint8Array(8), la: 0, lb: 0 });
  T(`-> in_progress=${b(teventReqIsInProgress(r1))}`);
  rv("r4", s1, 0, 0);
  T("writev_send w3 count=0");
  r1 = tstreamWritevSend(mem, ev, s1, [], 0);
  regAuto(r1, "w3");
  teventReqSetCallback(r1, writevCb, "w3");
  T(`-> in_progress=${b(teventReqIsInProgress(r1))}`);
  wv("w4", s1, "", "");
  await loopWait(ev);

  SECTION("zero-length entries among others are passed through");
  const z2 = new Uint8Array(4);
  T("readv_send r5 (0,2,0) on s2");
  r1 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(0), z2.subarray(0, 2), new Uint8Array(0)], 3);
  regAuto(r1, "r5");
  teventReqSetCallback(r1, readvCb, { label: "r5", a: new Uint8Array(8), b: new Uint8Array(8), la: 0, lb: 0 });
  wv("w5", s1, "", "PQ");
  await loopWait(ev);
  T(`r5 got ${show(z2, 2)}`);

  SECTION("pending_bytes");
  wv("w6", s1, "xyz", "uvw");
  pending(s2);
  await loopWait(ev);
  pending(s2);
  rv("r6", s2, 2, 2);
  await loopWait(ev);
  pending(s2);
  rv("r7", s2, 1, 1);
  pending(s2);
  await loopOnce(ev);
  pending(s2);

  SECTION("disconnect with outstanding readv or writev: EBUSY");
  r1 = rv("r8", s2, 4, 0);
  dc("d1", s2);
  wv("w7", s1, "q", "");
  dc("d2", s1);
  await loopWait(ev);
  pending(s2);

  SECTION("freeing a pending readv, then readv again");
  T("free r8");
  tallocFree(r1);
  rv("r9", s2, 2, 0);
  wv("w8", s1, "mn", "");
  await loopWait(ev);

  SECTION("partial fills across writes, callback order with two streams");
  rv("r10", s1, 2, 3);
  rv("r11", s2, 1, 0);
  wv("w9", s2, "A", "");
  wv("w10", s1, "B", "");
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  wv("w11", s2, "CDE", "FG");
  await loopOnce(ev);
  await loopOnce(ev);
  await loopWait(ev);
  pending(s1);
  pending(s2);

  SECTION("disconnect, then the peer's readv hits EOF");
  rv("r12", s1, 3, 0);
  wv("w12", s2, "ok", "");
  await loopWait(ev);
  dc("d3", s2);
  await loopWait(ev);
  pending(s1);
  pending(s2);
  rv("r13", s2, 1, 0);
  wv("w13", s2, "zz", "");
  dc("d4", s2);
  await loopWait(ev);
  rv("r14", s1, 1, 0);
  await loopWait(ev);

  SECTION("two disconnects back to back");
  let [s3, s4] = memstreamPair(pipes, mem, "s3", "s4");
  dc("d5", s3);
  dc("d6", s3);
  await loopWait(ev);

  SECTION("freeing the stream with a readv pending");
  tallocFree(s3);
  [s3, s4] = memstreamPair(pipes, mem, "s3", "s4");
  watch(s3, "s3-watch");
  r1 = rv("r15", s3, 2, 0);
  r2 = wv("w14", s3, "hi", "");
  T("free s3");
  tallocFree(s3);
  T(`r15 in_progress=${b(teventReqIsInProgress(r1))}`);
  printIsError("r15", r1);
  T(`w14 in_progress=${b(teventReqIsInProgress(r2))}`);
  printIsError("w14", r2);
  await loopWait(ev);
  T(`free r15 ret=${tallocFree(r1)}`);
  T(`free w14 ret=${tallocFree(r2)}`);
  pending(s4);

  SECTION("freeing the stream's memory context frees readv requests allocated under it");
  {
    const sctx = tallocNew(mem);
    [s3, s4] = memstreamPair(pipes, sctx, "s5", "s6");
    const r = tstreamReadvSend(sctx, ev, s4, [new Uint8Array(2)], 1);
    regAuto(r, "r16");
    watch(r, "r16-watch");
    T("free sctx");
    tallocFree(sctx);
    await loopWait(ev);
  }

  SECTION("end");
  tallocFree(mem);
  void s1; void s2;
}

run(main);
