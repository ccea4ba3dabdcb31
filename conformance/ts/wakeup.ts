// tevent_wakeup_send / tevent_wakeup_recv: port of conformance/c/wakeup.c.
import {
  EIO,
  tallocNew, tallocFree,
  teventContextInit, teventWakeupSend, teventWakeupRecv, teventReqSetCallback,
  teventReqIsInProgress, teventReqPoll, teventReqSetEndtime, teventReqError,
  teventTimevalCurrentOfs, teventTimevalSet, teventTimevalZero,
} from "tevent-tsocket";
import type { TeventReq } from "tevent-tsocket";
import { T, SECTION, reg, nm, b, printIsError, watch, loopOnce, loopWait, nowS, run } from "./common.js";

function cb(req: TeventReq): void {
  T(`cb ${nm(req)} in_progress=${b(teventReqIsInProgress(req))}`);
  const ok = teventWakeupRecv(req);
  T(`wakeup_recv ${nm(req)} ret=${b(ok)}`);
  printIsError(nm(req), req);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  let w1: TeventReq;
  let t0: number;

  SECTION("order by wakeup time");
  /* the start, before the wakeup is armed: under load time passes in between */
  t0 = nowS();
  w1 = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, 30000));
  reg(w1, "w+30ms");
  const w2 = teventWakeupSend(mem, ev, teventTimevalSet(1, 0));
  reg(w2, "w@1.0");
  const w3 = teventWakeupSend(mem, ev, teventTimevalZero());
  reg(w3, "w@zero");
  teventReqSetCallback(w1, cb, null);
  teventReqSetCallback(w2, cb, null);
  teventReqSetCallback(w3, cb, null);
  T(`w1 in_progress=${b(teventReqIsInProgress(w1))}`);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  T(`waited>=25ms=${b(nowS() - t0 >= 0.025)}`);
  await loopWait(ev);
  tallocFree(w1);
  tallocFree(w2);
  tallocFree(w3);

  SECTION("poll");
  w1 = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, 10000));
  reg(w1, "w+10ms");
  T(`poll ret=${b(await teventReqPoll(w1, ev))}`);
  T(`wakeup_recv ret=${b(teventWakeupRecv(w1))}`);
  tallocFree(w1);

  SECTION("free pending");
  w1 = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(5, 0));
  reg(w1, "w+5s");
  watch(w1, "w-child");
  tallocFree(w1);
  t0 = nowS();
  await loopWait(ev);
  T(`loop_wait fast=${b(nowS() - t0 < 1.0)}`);

  SECTION("endtime before wakeup");
  w1 = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(5, 0));
  reg(w1, "w+5s");
  teventReqSetCallback(w1, cb, null);
  teventReqSetEndtime(w1, ev, teventTimevalZero());
  await loopOnce(ev);
  t0 = nowS();
  await loopWait(ev);
  T(`loop_wait fast=${b(nowS() - t0 < 1.0)}`);
  tallocFree(w1);

  SECTION("recv in progress and after error");
  w1 = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(5, 0));
  reg(w1, "w+5s");
  T(`wakeup_recv in progress ret=${b(teventWakeupRecv(w1))}`);
  teventReqError(w1, EIO);
  T(`wakeup_recv after error ret=${b(teventWakeupRecv(w1))}`);
  printIsError("w+5s", w1);
  t0 = nowS();
  await loopWait(ev);
  T(`loop_wait fast=${b(nowS() - t0 < 1.0)}`);
  tallocFree(w1);

  SECTION("end");
  tallocFree(mem);
}

run(main);
