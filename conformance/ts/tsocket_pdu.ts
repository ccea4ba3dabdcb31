// The PDU engine: port of conformance/c/tsocket_pdu.c.
import {
  EPROTO,
  tallocNew, tallocFree, tallocSteal,
  teventContextInit, teventReqSetCallback, teventReqCallbackData, teventReqIsInProgress, teventReqData,
  tstreamReadvSend, tstreamReadvRecv, tstreamWritevSend, tstreamWritevRecv,
  tstreamDisconnectSend, tstreamDisconnectRecv, tstreamPendingBytes,
  tstreamReadvPduSend, tstreamReadvPduRecv,
} from "tevent-tsocket";
import type { TallocCtx, TeventContext, TeventReq, TstreamContext } from "tevent-tsocket";
import { T, SECTION, regAuto, nm, b, loopOnce, loopWait, run, watch } from "./common.js";
import { errname, show, bytes, memstreamPair } from "./memstream.js";

let ev: TeventContext;
let mem: object;
let s1: TstreamContext, s2: TstreamContext;

const M_NORMAL = 0, M_DONE_AT_ONCE = 1, M_FAIL_AT_ONCE = 2, M_EMPTY_IOV = 3;

interface PduReader {
  label: string;
  mode: number;
  phase: number;
  hdr: Uint8Array;
  body: Uint8Array;
  len: number;
  lastMemCtx: unknown;
}

type NextVectorResult = { ret: number; errno?: number; vector: Uint8Array[] | null; count: number };

function nextVector(stream: TstreamContext, pvt: unknown, memCtx: TallocCtx): NextVectorResult {
  const p = pvt as PduReader;
  T(`next_vector ${p.label} phase=${p.phase} stream=${nm(stream)}`);
  p.lastMemCtx = memCtx;
  switch (p.mode) {
    case M_DONE_AT_ONCE:
      return { ret: 0, vector: null, count: 0 };
    case M_FAIL_AT_ONCE:
      return { ret: -1, errno: EPROTO, vector: null, count: 0 };
    case M_EMPTY_IOV: {
      const v = tallocSteal(memCtx, [p.hdr.subarray(0, 0), p.body.subarray(0, 0)]);
      return { ret: 0, vector: v, count: 2 };
    }
  }
  switch (p.phase) {
    case 0: {
      const v = tallocSteal(memCtx, [p.hdr.subarray(0, 4)]);
      watch(v, "vec-hdr");
      p.phase = 1;
      return { ret: 0, vector: v, count: 1 };
    }
    case 1: {
      p.len = ((p.hdr[0] << 24) >>> 0) + (p.hdr[1] << 16) + (p.hdr[2] << 8) + p.hdr[3];
      T(`next_vector ${p.label} header len=${p.len}`);
      if (p.len > p.body.length) {
        T(`next_vector ${p.label} -> -1 EPROTO`);
        return { ret: -1, errno: EPROTO, vector: null, count: 0 };
      }
      if (p.len === 0) {
        return { ret: 0, vector: null, count: 0 };
      }
      const half = Math.floor(p.len / 2);
      const v = tallocSteal(memCtx, [p.body.subarray(0, half), p.body.subarray(half, p.len)]);
      watch(v, "vec-body");
      p.phase = 2;
      return { ret: 0, vector: v, count: 2 };
    }
    default:
      T(`next_vector ${p.label} complete`);
      return { ret: 0, vector: null, count: 0 };
  }
}

let pdusLeft = 0;
const chain = ["p2", "p3", "p4", "p5", "p8", "p9"];
let nchain = 0;

function pdu(label: string, s: TstreamContext, mode: number): TeventReq {
  const p: PduReader = {
    label, mode, phase: 0, hdr: new Uint8Array(4), body: new Uint8Array(64), len: 0, lastMemCtx: null,
  };
  T(`readv_pdu_send ${label} on ${nm(s)}`);
  const req = tstreamReadvPduSend(mem, ev, s, nextVector, p);
  regAuto(req, label);
  teventReqSetCallback(req, pduCb, p);
  T(`-> ${label} in_progress=${b(teventReqIsInProgress(req))} mem_ctx_is_state=${b(p.lastMemCtx === teventReqData(req))}`);
  return req;
}

function pduCb(req: TeventReq): void {
  const p = teventReqCallbackData(req) as PduReader;
  const { ret, perrno } = tstreamReadvPduRecv(req);
  T(`cb ${p.label} pdu ret=${ret} perrno=${errname(perrno)} len=${p.len} body=${show(p.body, p.len <= p.body.length ? p.len : 0)}`);
  tallocFree(req);
  if (pdusLeft > 0) {
    pdusLeft--;
    pdu(chain[nchain++], s1, M_NORMAL);
  }
}

function writevCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tstreamWritevRecv(req);
  T(`cb ${label} writev ret=${ret} perrno=${errname(perrno)}`);
  tallocFree(req);
}

function wr(label: string, s: TstreamContext, buf: Uint8Array): void {
  T(`writev_send ${label} on ${nm(s)} ${show(buf, buf.length)}`);
  const req = tstreamWritevSend(mem, ev, s, [buf], 1);
  regAuto(req, label);
  teventReqSetCallback(req, writevCb, label);
}

function wr3(label: string, s: TstreamContext, b1: Uint8Array, b2: Uint8Array, b3: Uint8Array): void {
  T(`writev_send ${label} on ${nm(s)} ${show(b1, b1.length)}+${show(b2, b2.length)}+${show(b3, b3.length)}`);
  const req = tstreamWritevSend(mem, ev, s, [b1, b2, b3], 3);
  regAuto(req, label);
  teventReqSetCallback(req, writevCb, label);
}

const rawBuf = new Uint8Array(8);

function rawCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tstreamReadvRecv(req);
  T(`cb ${label} readv ret=${ret} perrno=${errname(perrno)} buf=${show(rawBuf, ret > 0 ? ret : 0)}`);
  tallocFree(req);
}

function rawReadv(label: string, n: number): void {
  T(`readv_send ${label} on s1 (${n})`);
  const req = tstreamReadvSend(mem, ev, s1, [rawBuf.subarray(0, n)], 1);
  regAuto(req, label);
  teventReqSetCallback(req, rawCb, label);
  T(`-> in_progress=${b(teventReqIsInProgress(req))}`);
}

function pending(s: TstreamContext): void {
  T(`pending_bytes ${nm(s)} ret=${tstreamPendingBytes(s)}`);
}

function disconnectCb(req: TeventReq): void {
  const { ret, perrno } = tstreamDisconnectRecv(req);
  T(`cb disconnect ret=${ret} perrno=${errname(perrno)}`);
  tallocFree(req);
}

const u8 = (...a: (number | string)[]): Uint8Array =>
  Uint8Array.from(a.flatMap((x) => (typeof x === "string" ? Array.from(bytes(x)) : [x])));

async function main(): Promise<void> {
  const c1 = u8(0, 0);
  const c2 = u8(0, 5, "h");
  const c3 = u8("ello", 0, 0, 0, 0, 0);
  const c4 = u8(0, 0, 7, "world");
  const c5 = u8("!!", 0, 0, 0, 3, "abc", 0, 0, 0, 2, "x");
  const c6 = u8("y");
  const bad = u8(0, 0, 0x10, 0, "zz");
  const part = u8(0, 0, 0, 6, "pa");
  const f1 = u8(0, 0, 0, 5, "hello");
  const f2 = u8(0, 0, 0, 0);
  const f3 = u8(0, 0, 0, 3, "abc");
  let r: TeventReq;

  mem = tallocNew(null);
  ev = teventContextInit(mem);
  const pipes = tallocNew(mem);
  [s1, s2] = memstreamPair(pipes, mem, "s1", "s2");

  SECTION("PDUs arriving in odd splits");
  pdusLeft = 4;
  pdu("p1", s1, M_NORMAL);
  wr("w1", s2, c1);
  await loopWait(ev);
  wr("w2", s2, c2);
  await loopWait(ev);
  wr("w3", s2, c3);
  await loopWait(ev);
  wr("w4", s2, c4);
  await loopWait(ev);
  wr("w5", s2, c5);
  await loopWait(ev);
  pending(s1);
  wr("w6", s2, c6);
  await loopWait(ev);
  pending(s1);

  SECTION("several PDUs already buffered, written with one writev");
  wr3("w7", s2, f1, f2, f3);
  await loopWait(ev);
  pending(s1);
  pdusLeft = 2;
  pdu("p7", s1, M_NORMAL);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopWait(ev);
  pending(s1);

  SECTION("next_vector fails with EPROTO after the header");
  pdu("p10", s1, M_NORMAL);
  wr("w9", s2, bad);
  await loopWait(ev);
  pending(s1);
  rawReadv("raw1", 2);
  await loopWait(ev);
  pending(s1);

  SECTION("next_vector: complete at once, fail at once, empty iovecs");
  pdu("p11", s1, M_DONE_AT_ONCE);
  pdu("p12", s1, M_FAIL_AT_ONCE);
  pdu("p13", s1, M_EMPTY_IOV);
  await loopWait(ev);

  SECTION("two PDU reads on one stream without a queue");
  pdu("p14", s1, M_NORMAL);
  pdu("p15", s1, M_NORMAL);
  wr("w10", s2, f1);
  await loopWait(ev);
  pending(s1);

  SECTION("freeing a PDU request half way");
  r = pdu("p16", s1, M_NORMAL);
  wr("w12", s2, part);
  await loopWait(ev);
  pending(s1);
  T("free p16");
  tallocFree(r);
  rawReadv("raw2", 4);
  wr("w13", s2, bytes("rtyx"));
  await loopWait(ev);
  pending(s1);

  SECTION("peer disconnects in the middle of a PDU");
  pdu("p17", s1, M_NORMAL);
  wr("w14", s2, part);
  await loopWait(ev);
  r = tstreamDisconnectSend(mem, ev, s2);
  T(`disconnect in_progress=${b(teventReqIsInProgress(r))}`);
  teventReqSetCallback(r, disconnectCb, null);
  await loopWait(ev);
  pending(s1);
  pdu("p18", s1, M_NORMAL);
  await loopWait(ev);

  SECTION("end");
  tallocFree(mem);
}

run(main);
