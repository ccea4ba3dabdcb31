// Event contexts and loops: port of conformance/c/loop.c.
import {
  ELOOP,
  tallocNew, tallocFree, tallocParent, getErrno, setErrno,
  teventContextInit, teventContextInitByname, teventBackendList, teventNumSignals,
  teventLoopUntil, teventLoopOnce, teventLoopAllowNesting, teventSetAbortFn,
  teventSetTraceCallback, teventCreateImmediate, teventScheduleImmediate, teventAddTimer,
  teventTimevalZero, teventTimevalCurrentOfs,
} from "tevent-tsocket";
import type { TeventContext, TeventImmediate, TeventTimer, Timeval } from "tevent-tsocket";
import { T, SECTION, regAuto, nm, traceName, loopOnce, loopWait, run } from "./common.js";

let finishedCalls = 0;
let fired = 0;

function loopTrace(p: number, _pvt: unknown): void {
  T(`trace ${traceName(p)}`);
}

function timerHandler(_e: TeventContext, te: TeventTimer, _now: Timeval, _pvt: unknown): void {
  fired++;
  T(`timer ${nm(te)} fired=${fired}`);
}

function imHandler(_e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  fired++;
  T(`immediate ${nm(im)} fired=${fired}`);
}

function finishedAfter(pvt: { n: number }): boolean {
  const r = fired >= pvt.n;
  finishedCalls++;
  T(`finished? fired=${fired} want=${pvt.n} -> ${r ? 1 : 0}`);
  return r;
}

function abortFn(reason: string): void {
  const at = reason.indexOf(" at ");
  T(`abort_fn reason="${at >= 0 ? reason.slice(0, at) : reason}"`);
}

function innerHandler(_e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  T(`inner immediate ${nm(im)}`);
}

let nestedRet = 99;

function outerHandler(e: TeventContext, im: TeventImmediate, _pvt: unknown): void {
  T(`outer immediate ${nm(im)}: nested loop_once`);
  setErrno(0);
  // a nested loop iteration that has something to run runs it before
  // returning, as in C; its result arrives through the Promise
  void teventLoopOnce(e).then((r) => { nestedRet = r; });
  const errno = getErrno();
  T(`outer immediate ${nm(im)}: nested returned errno=${errno === ELOOP ? "ELOOP" : errno === 0 ? "0" : "?"}`);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const names = ["epoll", "poll", "poll_mt", "standard", "select", "", "EPOLL", "epoll "];

  SECTION("tevent_backend_list");
  const list = teventBackendList(mem).slice().sort();
  T(`backends (${list.length}):${list.map((s) => " " + s).join("")}`);

  SECTION("tevent_context_init_byname");
  for (const name of names) {
    const ev2 = teventContextInitByname(mem, name);
    T(`init_byname "${name}" -> ${ev2 ? "ctx" : "NULL"}`);
    if (ev2 !== null) {
      T(`  parent is mem=${tallocParent(ev2) === mem ? 1 : 0}`);
      fired = 0;
      const t = teventAddTimer(ev2, ev2, teventTimevalZero(), timerHandler, null);
      regAuto(t, "tz");
      const im = teventCreateImmediate(ev2);
      regAuto(im, "im");
      teventScheduleImmediate(im, ev2, imHandler, null);
      await loopWait(ev2);
      tallocFree(ev2);
    }
  }

  SECTION("tevent_num_signals");
  T(`num_signals=${teventNumSignals()}`);

  const ev = teventContextInit(mem);

  SECTION("tevent_loop_until");
  teventSetTraceCallback(ev, loopTrace, null);
  fired = 0;
  finishedCalls = 0;
  const n = { n: 0 };
  T("already finished:");
  let ret = await teventLoopUntil(ev, finishedAfter, n);
  T(`loop_until ret=${ret} finished_calls=${finishedCalls}`);
  let im1 = teventCreateImmediate(mem);
  regAuto(im1, "im1");
  teventScheduleImmediate(im1, ev, imHandler, null);
  let t = teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null);
  regAuto(t, "tz");
  t = teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 20000), timerHandler, null);
  regAuto(t, "t+20ms");
  t = teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 40000), timerHandler, null);
  regAuto(t, "t+40ms");
  n.n = 3;
  finishedCalls = 0;
  T("until 3 fired:");
  ret = await teventLoopUntil(ev, finishedAfter, n);
  T(`loop_until ret=${ret} finished_calls=${finishedCalls}`);
  n.n = 4;
  finishedCalls = 0;
  T("until 4 fired:");
  ret = await teventLoopUntil(ev, finishedAfter, n);
  T(`loop_until ret=${ret} finished_calls=${finishedCalls}`);
  teventSetTraceCallback(ev, null, null);

  SECTION("nested loop_once without allow_nesting, with an abort fn");
  teventSetAbortFn(abortFn);
  const ev2 = teventContextInit(mem);
  im1 = teventCreateImmediate(ev2);
  regAuto(im1, "outer1");
  let imInner = teventCreateImmediate(ev2);
  regAuto(imInner, "inner1");
  teventScheduleImmediate(im1, ev2, outerHandler, null);
  teventScheduleImmediate(imInner, ev2, innerHandler, null);
  await loopOnce(ev2);
  T(`nested ret=${nestedRet}`);
  tallocFree(ev2);

  SECTION("nested loop_once with allow_nesting");
  teventLoopAllowNesting(ev);
  teventSetTraceCallback(ev, loopTrace, null);
  const im2 = teventCreateImmediate(mem);
  regAuto(im2, "outer2");
  imInner = teventCreateImmediate(mem);
  regAuto(imInner, "inner1");
  teventScheduleImmediate(im2, ev, outerHandler, null);
  teventScheduleImmediate(imInner, ev, innerHandler, null);
  nestedRet = 99;
  await loopOnce(ev);
  T(`nested ret=${nestedRet}`);
  teventSetTraceCallback(ev, null, null);
  T("allow_nesting again");
  teventLoopAllowNesting(ev);
  teventScheduleImmediate(im2, ev, outerHandler, null);
  t = teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null);
  regAuto(t, "tz2");
  await loopOnce(ev);
  T(`nested ret=${nestedRet}`);
  await loopWait(ev);
  teventSetAbortFn(null);

  SECTION("end");
  tallocFree(mem);
}

run(main);
