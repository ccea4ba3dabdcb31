// Immediates, timers, and how much one tevent_loop_once does: port of conformance/c/events.c.
import {
  TEVENT_FD_READ,
  tallocNew, tallocFree,
  teventContextInit, teventCreateImmediate, teventScheduleImmediate, teventAddTimer,
  teventAddFd, teventUpdateTimer, teventTimevalSet, teventTimevalZero, teventTimevalCurrentOfs,
  teventReqCreate, teventReqSetCallback, teventReqDone, teventReqPoll,
} from "tevent-tsocket";
import type { TeventContext, TeventImmediate, TeventTimer, TeventFd, TeventReq, Timeval } from "tevent-tsocket";
import {
  T, SECTION, reg, nm, b, watch, loopOnce, loopWait, nowS, run, fifoPair, fdWrite, fdeRead, fdClose,
} from "./common.js";

let imExtra: TeventImmediate;
let reschedCount = 0;

function imHandler(_e: TeventContext, im: TeventImmediate, pvt: unknown): void {
  T(`immediate ${nm(im)} pvt=${nm(pvt)}`);
}

function imSchedulesHandler(e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  T(`immediate ${nm(im)} schedules ${nm(imExtra)}`);
  teventScheduleImmediate(imExtra, e, imHandler, null);
}

function imSelfReschedHandler(e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  reschedCount++;
  T(`immediate ${nm(im)} run=${reschedCount}`);
  if (reschedCount < 3) {
    teventScheduleImmediate(im, e, imSelfReschedHandler, null);
  }
}

function imFreeSelfHandler(_e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  T(`immediate ${nm(im)} frees itself`);
  tallocFree(im);
  T("after free inside handler");
}

function timerHandler(_e: TeventContext, te: TeventTimer, _now: Timeval, pvt: unknown): void {
  T(`timer ${nm(te)} pvt=${nm(pvt)}`);
}

function timerFreeSelfHandler(_e: TeventContext, te: TeventTimer, _now: Timeval, _pvt: unknown): void {
  T(`timer ${nm(te)} frees itself`);
  tallocFree(te);
  T("after free inside handler");
}

function timerAddsHandler(e: TeventContext, te: TeventTimer, _now: Timeval, _pvt: unknown): void {
  T(`timer ${nm(te)} adds zero timer`);
  const added = teventAddTimer(e, e, teventTimevalZero(), timerHandler, null);
  reg(added, "tz-added");
  T(`timer ${nm(te)} schedules immediate`);
  teventScheduleImmediate(imExtra, e, imHandler, null);
}

function fdHandler(_e: TeventContext, fde: TeventFd, flags: number, _pvt: unknown): void {
  T(`fd ${nm(fde)} flags=${flags}`);
  if (flags & TEVENT_FD_READ) {
    T(`read ret=${fdeRead(fde, 1)}`);
  }
}

function imDoneHandler(_e: TeventContext, im: TeventImmediate, pvt: unknown): void {
  T(`immediate ${nm(im)} -> done ${nm(pvt)}`);
  teventReqDone(pvt as TeventReq);
}

function reqCb(req: TeventReq): void {
  T(`cb ${nm(req)}`);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  let im1: TeventImmediate, im2: TeventImmediate, im3: TeventImmediate;
  let t1: TeventTimer | null, t2: TeventTimer | null, t3: TeventTimer | null, t4: TeventTimer | null;
  let t0: number;
  const p1 = tallocNew(mem); reg(p1, "p1");
  const p2 = tallocNew(mem); reg(p2, "p2");

  SECTION("loop_wait on empty context");
  await loopWait(ev);

  SECTION("immediates FIFO, one per loop_once");
  im1 = teventCreateImmediate(mem); reg(im1, "im1");
  im2 = teventCreateImmediate(mem); reg(im2, "im2");
  im3 = teventCreateImmediate(mem); reg(im3, "im3");
  watch(im1, "im1-child");
  teventScheduleImmediate(im1, ev, imHandler, p1);
  teventScheduleImmediate(im2, ev, imHandler, p2);
  teventScheduleImmediate(im3, ev, imHandler, null);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  T("im1 still allocated (no destructor above)");

  SECTION("rescheduling a scheduled immediate moves it to the end");
  teventScheduleImmediate(im1, ev, imHandler, p1);
  teventScheduleImmediate(im2, ev, imHandler, p2);
  teventScheduleImmediate(im3, ev, imHandler, null);
  teventScheduleImmediate(im1, ev, imHandler, p2);
  await loopWait(ev);

  SECTION("schedule with NULL handler cancels");
  teventScheduleImmediate(im1, ev, imHandler, p1);
  teventScheduleImmediate(im2, ev, imHandler, p2);
  teventScheduleImmediate(im1, ev, null, null);
  await loopWait(ev);

  SECTION("freeing a scheduled immediate");
  teventScheduleImmediate(im1, ev, imHandler, p1);
  teventScheduleImmediate(im2, ev, imHandler, p2);
  tallocFree(im1);
  await loopWait(ev);
  im1 = teventCreateImmediate(mem); reg(im1, "im1");

  SECTION("scheduling from inside a handler");
  imExtra = im3;
  teventScheduleImmediate(im1, ev, imSchedulesHandler, null);
  teventScheduleImmediate(im2, ev, imHandler, null);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  reschedCount = 0;
  teventScheduleImmediate(im1, ev, imSelfReschedHandler, null);
  teventScheduleImmediate(im2, ev, imHandler, null);
  await loopWait(ev);
  watch(im1, "im1-child");
  teventScheduleImmediate(im1, ev, imFreeSelfHandler, null);
  await loopWait(ev);
  im1 = teventCreateImmediate(mem); reg(im1, "im1");

  SECTION("timers ordered by deadline, equal deadlines FIFO");
  t1 = teventAddTimer(ev, mem, teventTimevalSet(2, 0), timerHandler, p1); reg(t1, "t1@2.0");
  t2 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, p2); reg(t2, "t2@1.0");
  t3 = teventAddTimer(ev, mem, teventTimevalSet(1, 500000), timerHandler, null); reg(t3, "t3@1.5");
  t4 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t4, "t4@1.0");
  watch(t2, "t2-child");
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);

  SECTION("zero timeval timers first, FIFO among themselves");
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t1, "t1@1.0");
  t2 = teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null); reg(t2, "tz1");
  t3 = teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null); reg(t3, "tz2");
  t4 = teventAddTimer(ev, mem, teventTimevalSet(0, 1), timerHandler, null); reg(t4, "t4@0.000001");
  await loopWait(ev);

  SECTION("tevent_update_timer");
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t1, "t1");
  t2 = teventAddTimer(ev, mem, teventTimevalSet(2, 0), timerHandler, null); reg(t2, "t2");
  t3 = teventAddTimer(ev, mem, teventTimevalSet(3, 0), timerHandler, null); reg(t3, "t3");
  teventUpdateTimer(t1!, teventTimevalSet(2, 0));
  teventUpdateTimer(t3!, teventTimevalSet(0, 5));
  await loopWait(ev);

  SECTION("freeing a timer");
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t1, "t1");
  t2 = teventAddTimer(ev, mem, teventTimevalSet(2, 0), timerHandler, null); reg(t2, "t2");
  watch(t1, "t1-child");
  tallocFree(t1);
  await loopWait(ev);
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerFreeSelfHandler, null); reg(t1, "t1");
  watch(t1, "t1-child");
  await loopWait(ev);

  SECTION("timer added by a timer handler");
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerAddsHandler, null); reg(t1, "t1");
  t2 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t2, "t2");
  imExtra = im3;
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);

  SECTION("future timer");
  t1 = teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 200000), timerHandler, null); reg(t1, "t+200ms");
  t2 = teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 100000), timerHandler, null); reg(t2, "t+100ms");
  t0 = nowS();
  await loopOnce(ev);
  T(`waited>=90ms=${b(nowS() - t0 >= 0.09)}`);
  await loopOnce(ev);
  T(`waited>=190ms=${b(nowS() - t0 >= 0.19)}`);

  SECTION("what one loop_once does when several are ready");
  const [sv0, sv1] = fifoPair();
  const fde = teventAddFd(ev, mem, sv0, TEVENT_FD_READ, fdHandler, sv0); reg(fde, "fd0");
  fdWrite(sv1, "xy");
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t1, "t1");
  t2 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t2, "t2");
  teventScheduleImmediate(im1, ev, imHandler, null);
  teventScheduleImmediate(im2, ev, imHandler, null);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  fdWrite(sv1, "z");
  t1 = teventAddTimer(ev, mem, teventTimevalCurrentOfs(30, 0), timerHandler, null); reg(t1, "t+30s");
  await loopOnce(ev);
  tallocFree(t1);
  tallocFree(fde);
  fdClose(sv0);
  fdClose(sv1);

  SECTION("loop_wait runs until no events remain");
  reschedCount = 0;
  teventScheduleImmediate(im1, ev, imSelfReschedHandler, null);
  t1 = teventAddTimer(ev, mem, teventTimevalSet(1, 0), timerHandler, null); reg(t1, "t1");
  t2 = teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 50000), timerHandler, null); reg(t2, "t+50ms");
  await loopWait(ev);

  SECTION("tevent_req_poll");
  const req = teventReqCreate(mem, {}, "void *"); reg(req, "req1");
  teventReqSetCallback(req, reqCb, null);
  teventScheduleImmediate(im1, ev, imHandler, null);
  teventScheduleImmediate(im2, ev, imDoneHandler, req);
  teventScheduleImmediate(im3, ev, imHandler, null);
  T(`poll ret=${b(await teventReqPoll(req, ev))}`);
  await loopWait(ev);
  tallocFree(req);

  SECTION("end");
  tallocFree(mem);
}

run(main);
