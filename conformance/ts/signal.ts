// Signal events: port of conformance/c/signal.c. raise() becomes process.kill(process.pid, ...).
import {
  tallocNew, tallocFree,
  teventContextInit, teventAddSignal, teventSignalSupport, teventCreateImmediate,
  teventScheduleImmediate, teventAddTimer, teventTimevalZero,
} from "tevent-tsocket";
import type { TeventContext, TeventSignal, TeventImmediate, TeventTimer, Timeval } from "tevent-tsocket";
import { T, SECTION, reg, nm, b, watch, loopOnce, loopWait, run } from "./common.js";

// Linux x86_64 values.
const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SA_RESETHAND = 0x80000000;

function raise(signum: number): void {
  process.kill(process.pid, signum === SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
}

function sigHandler(_e: TeventContext, se: TeventSignal, signum: number, count: number,
                    _siginfo: unknown, pvt: unknown): void {
  T(`signal ${nm(se)} signum=${signum} count=${count} pvt=${nm(pvt)}`);
}

function imHandler(_e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  T(`immediate ${nm(im)}`);
}

function timerHandler(_e: TeventContext, te: TeventTimer, _now: Timeval, _pvt: unknown): void {
  T(`timer ${nm(te)}`);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const im1 = teventCreateImmediate(mem);
  const p1 = tallocNew(mem);
  reg(im1, "im1");
  reg(p1, "p1");

  SECTION("two raises before the loop: one call with count=2");
  const se1 = teventAddSignal(ev, mem, SIGUSR1, 0, sigHandler, p1);
  reg(se1, "se1");
  watch(se1, "se1-child");
  T(`signal_support=${b(teventSignalSupport(ev))}`);
  raise(SIGUSR1);
  raise(SIGUSR1);
  teventScheduleImmediate(im1, ev, imHandler, null);
  reg(teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null), "tz");
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);
  await loopOnce(ev);

  SECTION("one raise");
  raise(SIGUSR1);
  await loopOnce(ev);
  await loopOnce(ev);

  SECTION("two signal events for the same signal");
  const se2 = teventAddSignal(ev, mem, SIGUSR1, 0, sigHandler, null);
  reg(se2, "se2");
  raise(SIGUSR1);
  await loopOnce(ev);
  await loopOnce(ev);

  SECTION("SA_RESETHAND");
  tallocFree(se2);
  const se3 = teventAddSignal(ev, mem, SIGUSR2, SA_RESETHAND, sigHandler, null);
  reg(se3, "se3");
  watch(se3, "se3-child");
  raise(SIGUSR2);
  await loopOnce(ev);
  await loopOnce(ev);

  SECTION("freeing a signal event");
  T(`free se1 ret=${tallocFree(se1)}`);
  reg(teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null), "tz2");
  await loopWait(ev);

  SECTION("end");
  tallocFree(mem);
}

run(main);
