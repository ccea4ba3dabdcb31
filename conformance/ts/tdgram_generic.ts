// tdgram generic layer: port of conformance/c/tdgram_generic.c.
import {
  tallocNew, tallocFree, tallocParent,
  teventContextInit, teventReqSetCallback, teventReqCallbackData, teventReqIsInProgress,
  tdgramRecvfromSend, tdgramRecvfromRecv, tdgramSendtoSend, tdgramSendtoRecv,
  tdgramDisconnectSend, tdgramDisconnectRecv, tsocketAddressInetFromStrings, tsocketAddressString,
} from "tevent-tsocket";
import type { TeventContext, TeventReq, TdgramContext, TsocketAddress } from "tevent-tsocket";
import { T, SECTION, regAuto, nm, b, loopOnce, loopWait, run, watch, printIsError } from "./common.js";
import { errname, show, bytes, memdgramPair } from "./memstream.js";

let ev: TeventContext;
let mem: object;

function recvfromCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const tmp = tallocNew(mem);
  const { ret, perrno, buf, src } = tdgramRecvfromRecv(req, tmp);
  T(`cb ${label} recvfrom ret=${ret} perrno=${errname(perrno)} buf=${show(buf, ret > 0 ? ret : 0)} ` +
    `src=${src ? tsocketAddressString(src, tmp) : "NULL"}`);
  if (buf !== null) {
    T(`buf parent is mem_ctx=${b(tallocParent(buf) === tmp)} src parent is mem_ctx=${b(tallocParent(src) === tmp)}`);
  }
  tallocFree(req);
  tallocFree(tmp);
}

function sendtoCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tdgramSendtoRecv(req);
  T(`cb ${label} sendto ret=${ret} perrno=${errname(perrno)}`);
  tallocFree(req);
}

function disconnectCb(req: TeventReq): void {
  const label = teventReqCallbackData(req) as string;
  const { ret, perrno } = tdgramDisconnectRecv(req);
  T(`cb ${label} disconnect ret=${ret} perrno=${errname(perrno)}`);
  tallocFree(req);
}

function rf(label: string, d: TdgramContext): TeventReq {
  T(`recvfrom_send ${label} on ${nm(d)}`);
  const req = tdgramRecvfromSend(mem, ev, d);
  regAuto(req, label);
  teventReqSetCallback(req, recvfromCb, label);
  T(`-> in_progress=${b(teventReqIsInProgress(req))}`);
  return req;
}

function st(label: string, d: TdgramContext, s: string, len: number, dst: TsocketAddress | null): TeventReq {
  T(`sendto_send ${label} on ${nm(d)} len=${len}`);
  const req = tdgramSendtoSend(mem, ev, d, bytes(s), len, dst);
  regAuto(req, label);
  teventReqSetCallback(req, sendtoCb, label);
  T(`-> in_progress=${b(teventReqIsInProgress(req))}`);
  return req;
}

function dc(label: string, d: TdgramContext): TeventReq {
  T(`disconnect_send ${label} on ${nm(d)}`);
  const req = tdgramDisconnectSend(mem, ev, d);
  regAuto(req, label);
  teventReqSetCallback(req, disconnectCb, label);
  T(`-> in_progress=${b(teventReqIsInProgress(req))}`);
  return req;
}

async function main(): Promise<void> {
  mem = tallocNew(null);
  ev = teventContextInit(mem);
  const queues = tallocNew(mem);
  const dst = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", 2002).addr as TsocketAddress;
  let r1: TeventReq, r2: TeventReq;

  SECTION("create");
  const [d1, d2] = memdgramPair(queues, mem, "d1", 1001, "d2", 2002);

  SECTION("recvfrom pending, second recvfrom EBUSY, sendto, second sendto EBUSY");
  rf("r1", d2);
  rf("r2", d2);
  st("s1", d1, "hello", 5, dst);
  st("s2", d1, "again", 5, null);
  await loopWait(ev);

  SECTION("sendto len 0: EINVAL, checked before EBUSY");
  st("s3", d1, "first", 5, null);
  st("s4", d1, "x", 0, null);
  await loopWait(ev);

  SECTION("queued datagrams, one recvfrom each, src of the sender");
  st("s5", d1, "one", 3, null);
  await loopWait(ev);
  st("s6", d2, "two!", 4, null);
  await loopWait(ev);
  st("s7", d1, "three", 5, null);
  await loopWait(ev);
  rf("r3", d2);
  rf("r4", d1);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopWait(ev);
  rf("r5", d2);
  rf("r6", d2);
  await loopWait(ev);

  SECTION("disconnect with outstanding recvfrom or sendto: EBUSY");
  rf("r7", d2);
  dc("x1", d2);
  st("s8", d1, "late", 4, null);
  dc("x2", d1);
  await loopWait(ev);

  SECTION("freeing a pending recvfrom, then recvfrom again");
  r1 = rf("r8", d1);
  T("free r8");
  tallocFree(r1);
  rf("r9", d1);
  st("s9", d2, "back", 4, null);
  await loopWait(ev);

  SECTION("disconnect, then use");
  dc("x3", d1);
  await loopWait(ev);
  rf("r10", d1);
  st("s10", d1, "dead", 4, null);
  dc("x4", d1);
  dc("x5", d1);
  await loopWait(ev);

  SECTION("freeing the dgram with recvfrom and sendto pending");
  const [d3, d4] = memdgramPair(queues, mem, "d3", 3003, "d4", 4004);
  watch(d3, "d3-watch");
  r1 = rf("r11", d3);
  r2 = st("s11", d3, "gone", 4, null);
  T("free d3");
  tallocFree(d3);
  T(`r11 in_progress=${b(teventReqIsInProgress(r1))}`);
  printIsError("r11", r1);
  T(`s11 in_progress=${b(teventReqIsInProgress(r2))}`);
  printIsError("s11", r2);
  await loopWait(ev);
  T(`free r11 ret=${tallocFree(r1)}`);
  T(`free s11 ret=${tallocFree(r2)}`);
  rf("r12", d4);
  await loopWait(ev);

  SECTION("end");
  tallocFree(mem);
}

run(main);
