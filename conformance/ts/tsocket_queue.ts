// The tevent_queue based tsocket helpers: port of conformance/c/tsocket_queue.c.
import {
  EPROTO,
  tallocNew, tallocFree, tallocSteal,
  teventContextInit, teventReqSetCallback, teventReqCallbackData, teventReqIsInProgress,
  teventQueueCreate, teventQueueLength,
  tstreamReadvSend, tstreamReadvRecv, tstreamWritevSend, tstreamWritevRecv, tstreamPendingBytes,
  tdgramRecvfromSend, tdgramRecvfromRecv, tsocketAddressInetFromStrings, tsocketAddressString,
  tstreamWritevQueueSend, tstreamWritevQueueRecv, tstreamReadvPduQueueSend, tstreamReadvPduQueueRecv,
  tdgramSendtoQueueSend, tdgramSendtoQueueRecv,
} from "tevent-tsocket";
import type {
  TallocCtx, TeventContext, TeventReq, TeventQueue, TstreamContext, TdgramContext, TsocketAddress,
} from "tevent-tsocket";
import { T, SECTION, regAuto, nm, b, loopOnce, loopWait, run } from "./common.js";
import { errname, show, bytes, memstreamPair, memdgramPair } from "./memstream.js";

let ev: TeventContext;
let mem: object;
let q: TeventQueue;
let freeInCb = true;

function wqCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tstreamWritevQueueRecv(req);
  T(`cb ${label} writev_queue ret=${ret} perrno=${errname(perrno)} qlen=${teventQueueLength(q)}`);
  if (freeInCb) {
    tallocFree(req);
    T(`freed ${label} qlen=${teventQueueLength(q)}`);
  }
}

function wq(label: string, s: TstreamContext, x: string, y: string): TeventReq {
  const req = tstreamWritevQueueSend(mem, ev, s, q, [bytes(x), bytes(y)], 2);
  regAuto(req, label);
  teventReqSetCallback(req, wqCb, label);
  T(`writev_queue_send ${label} on ${nm(s)} "${x}"+"${y}" in_progress=${b(teventReqIsInProgress(req))} qlen=${teventQueueLength(q)}`);
  return req;
}

const rawBuf = new Uint8Array(64);

function rawCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tstreamReadvRecv(req);
  T(`cb ${label} readv ret=${ret} perrno=${errname(perrno)} buf=${show(rawBuf, ret > 0 ? ret : 0)}`);
  tallocFree(req);
}

function rawReadv(label: string, s: TstreamContext, n: number): void {
  rawBuf.fill(0);
  const req = tstreamReadvSend(mem, ev, s, [rawBuf.subarray(0, n)], 1);
  regAuto(req, label);
  teventReqSetCallback(req, rawCb, label);
  T(`readv_send ${label} on ${nm(s)} (${n}) in_progress=${b(teventReqIsInProgress(req))}`);
}

function writevCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tstreamWritevRecv(req);
  T(`cb ${label} writev ret=${ret} perrno=${errname(perrno)}`);
  tallocFree(req);
}

function wr(label: string, s: TstreamContext, buf: Uint8Array): void {
  const req = tstreamWritevSend(mem, ev, s, [buf], 1);
  regAuto(req, label);
  teventReqSetCallback(req, writevCb, label);
  T(`writev_send ${label} on ${nm(s)} ${show(buf, buf.length)}`);
}

interface PduReader {
  label: string;
  phase: number;
  hdr: Uint8Array;
  body: Uint8Array;
  len: number;
}

type NextVectorResult = { ret: number; errno?: number; vector: Uint8Array[] | null; count: number };

function nextVector(_stream: TstreamContext, pvt: unknown, memCtx: TallocCtx): NextVectorResult {
  const p = pvt as PduReader;
  T(`next_vector ${p.label} phase=${p.phase}`);
  switch (p.phase) {
    case 0:
      p.phase = 1;
      return { ret: 0, vector: tallocSteal(memCtx, [p.hdr.subarray(0, 4)]), count: 1 };
    case 1:
      p.len = ((p.hdr[0] << 24) >>> 0) + (p.hdr[1] << 16) + (p.hdr[2] << 8) + p.hdr[3];
      if (p.len > p.body.length) {
        return { ret: -1, errno: EPROTO, vector: null, count: 0 };
      }
      if (p.len === 0) {
        return { ret: 0, vector: null, count: 0 };
      }
      p.phase = 2;
      return { ret: 0, vector: tallocSteal(memCtx, [p.body.subarray(0, p.len)]), count: 1 };
    default:
      return { ret: 0, vector: null, count: 0 };
  }
}

function pqCb(req: TeventReq): void {
  const p = teventReqCallbackData(req) as PduReader;
  const { ret, perrno } = tstreamReadvPduQueueRecv(req);
  T(`cb ${p.label} readv_pdu_queue ret=${ret} perrno=${errname(perrno)} body=${show(p.body, p.len <= p.body.length ? p.len : 0)} qlen=${teventQueueLength(q)}`);
  tallocFree(req);
}

function pq(label: string, s: TstreamContext): TeventReq {
  const p: PduReader = { label, phase: 0, hdr: new Uint8Array(4), body: new Uint8Array(32), len: 0 };
  const req = tstreamReadvPduQueueSend(mem, ev, s, q, nextVector, p);
  regAuto(req, label);
  teventReqSetCallback(req, pqCb, p);
  T(`readv_pdu_queue_send ${label} on ${nm(s)} in_progress=${b(teventReqIsInProgress(req))} qlen=${teventQueueLength(q)}`);
  return req;
}

function sqCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tdgramSendtoQueueRecv(req);
  T(`cb ${label} sendto_queue ret=${ret} perrno=${errname(perrno)} qlen=${teventQueueLength(q)}`);
  tallocFree(req);
}

function sq(label: string, d: TdgramContext, buf: string, len: number, dst: TsocketAddress | null): TeventReq {
  const req = tdgramSendtoQueueSend(mem, ev, d, q, bytes(buf), len, dst);
  regAuto(req, label);
  teventReqSetCallback(req, sqCb, label);
  T(`sendto_queue_send ${label} on ${nm(d)} len=${len} in_progress=${b(teventReqIsInProgress(req))} qlen=${teventQueueLength(q)}`);
  return req;
}

function rfCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const tmp = tallocNew(mem);
  const { ret, perrno, buf, src } = tdgramRecvfromRecv(req, tmp);
  T(`cb ${label} recvfrom ret=${ret} perrno=${errname(perrno)} buf=${show(buf, ret > 0 ? ret : 0)} src=${src ? tsocketAddressString(src, tmp) : "NULL"}`);
  tallocFree(req);
  tallocFree(tmp);
}

function rf(label: string, d: TdgramContext): void {
  const req = tdgramRecvfromSend(mem, ev, d);
  regAuto(req, label);
  teventReqSetCallback(req, rfCb, label);
  T(`recvfrom_send ${label} on ${nm(d)}`);
}

async function main(): Promise<void> {
  const frames = Uint8Array.from([
    0, 0, 0, 3, ...bytes("one"),
    0, 0, 0, 3, ...bytes("two"),
    0, 0, 0, 5, ...bytes("three"),
    0, 0, 0, 4, ...bytes("four"),
  ]);
  let r2: TeventReq, r3: TeventReq, r4: TeventReq;

  mem = tallocNew(null);
  ev = teventContextInit(mem);
  const pipes = tallocNew(mem);
  const [s1, s2] = memstreamPair(pipes, mem, "s1", "s2");
  const [d1, d2] = memdgramPair(pipes, mem, "d1", 1001, "d2", 2002);
  const dst = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", 2002).addr as TsocketAddress;
  q = teventQueueCreate(mem, "q");

  SECTION("writev_queue: three writes, callback order");
  wq("w1", s1, "aa", "A");
  wq("w2", s1, "bb", "B");
  wq("w3", s1, "cc", "C");
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopWait(ev);
  rawReadv("rd1", s2, 9);
  await loopWait(ev);

  SECTION("writev_queue: freed before its turn, freed in progress");
  wq("w4", s1, "dd", "");
  r2 = wq("w5", s1, "ee", "");
  r3 = wq("w6", s1, "ff", "");
  wq("w7", s1, "gg", "");
  tallocFree(r2);
  T(`free w5 (queued) qlen=${teventQueueLength(q)}`);
  await loopOnce(ev);
  await loopOnce(ev);
  T(`free w6 (in progress) in_progress=${b(teventReqIsInProgress(r3))}`);
  tallocFree(r3);
  T(`qlen=${teventQueueLength(q)}`);
  await loopWait(ev);
  rawReadv("rd2", s2, 6);
  await loopWait(ev);

  SECTION("writev_queue: a finished request left allocated blocks the queue");
  freeInCb = false;
  r2 = wq("w8", s1, "hh", "");
  r3 = wq("w9", s1, "ii", "");
  await loopWait(ev);
  T(`qlen=${teventQueueLength(q)}`);
  freeInCb = true;
  T("free w8");
  tallocFree(r2);
  T(`qlen=${teventQueueLength(q)}`);
  await loopWait(ev);
  rawReadv("rd3", s2, 4);
  await loopWait(ev);

  SECTION("writev_queue: EINVAL and EBUSY surface through the queue");
  wq("w10", s1, "", "");
  rawReadv("rd4", s2, 2);
  await loopWait(ev);
  wr("x1", s1, bytes("jj"));
  wq("w11", s1, "kk", "");
  await loopWait(ev);

  SECTION("readv_pdu_queue: four PDU reads, data arrives at once");
  pq("p1", s2);
  pq("p2", s2);
  r3 = pq("p3", s2);
  pq("p4", s2);
  T("free p3 (queued)");
  tallocFree(r3);
  T(`qlen=${teventQueueLength(q)}`);
  await loopWait(ev);
  wr("x2", s1, frames);
  await loopWait(ev);
  T(`qlen=${teventQueueLength(q)}`);
  rawReadv("rd6", s2, 8);
  await loopWait(ev);

  SECTION("readv_pdu_queue and writev_queue sharing one queue");
  pq("p5", s2);
  wq("w12", s2, "zz", "");
  rawReadv("rd7", s1, 2);
  await loopWait(ev);
  wr("x3", s1, frames.subarray(0, 7));
  await loopWait(ev);

  SECTION("sendto_queue: four datagrams, one of length 0, one freed");
  sq("q1", d1, "one", 3, dst);
  r2 = sq("q2", d1, "two", 3, null);
  sq("q3", d1, "", 0, null);
  r4 = sq("q4", d1, "four", 4, null);
  sq("q5", d1, "five", 4, null);
  T("free q2 (queued)");
  tallocFree(r2);
  await loopOnce(ev);
  await loopOnce(ev);
  T(`free q4 (queued) in_progress=${b(teventReqIsInProgress(r4))}`);
  tallocFree(r4);
  await loopWait(ev);
  rf("rf1", d2);
  await loopWait(ev);
  rf("rf2", d2);
  await loopWait(ev);

  SECTION("freeing the queue with requests in it");
  r2 = wq("w13", s1, "ll", "");
  r3 = wq("w14", s1, "mm", "");
  T("free q");
  tallocFree(q);
  T(`w13 in_progress=${b(teventReqIsInProgress(r2))} w14 in_progress=${b(teventReqIsInProgress(r3))}`);
  q = teventQueueCreate(mem, "q2");
  await loopWait(ev);
  T(`w13 in_progress=${b(teventReqIsInProgress(r2))} w14 in_progress=${b(teventReqIsInProgress(r3))}`);
  tallocFree(r3);
  T(`pending_bytes s2=${tstreamPendingBytes(s2)}`);

  SECTION("end");
  tallocFree(mem);
}

run(main);
