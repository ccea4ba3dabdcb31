// tevent_req: port of conformance/c/req.c.
import {
  EINVAL, ECANCELED, EIO,
  tallocNew, tallocFree, tallocParent, tallocSetDestructor,
  teventContextInit, teventReqCreate, teventReqSetCallback, teventReqCallbackData,
  teventReqData, teventReqDone, teventReqError, teventReqNomem, teventReqOom,
  teventReqPost, teventReqDeferCallback, teventReqNotifyCallback, teventReqIsInProgress,
  teventReqPoll, teventReqIsError, teventReqReceived, teventReqSetEndtime,
  teventReqResetEndtime, teventReqSetCancelFn, teventReqCancel, teventReqSetCleanupFn,
  teventReqSetPrintFn, teventReqPrint, teventReqDefaultPrint,
  teventReqIsUnixError, teventReqSimpleRecvUnix, teventReqPollUnix,
  teventAddTimer, teventCreateImmediate, teventScheduleImmediate,
  teventTimevalZero, teventTimevalCurrentOfs,
} from "tevent-tsocket";
import type { TeventContext, TeventReq, TeventTimer, TeventImmediate, Timeval } from "tevent-tsocket";
import {
  T, SECTION, reg, nm, b, stateName, printIsError, watch, loopOnce, loopWait, nowS,
  normalise, run,
} from "./common.js";

class St { x = 0; }

function cb(req: TeventReq): void {
  const r = teventReqIsError(req);
  T(`cb ${nm(req)} pvt=${nm(teventReqCallbackData(req))} in_progress=${b(teventReqIsInProgress(req))} ` +
    `state=${r.ret ? stateName(r.state) : "TEVENT_REQ_DONE"}`);
}

function mkreq(mem: object, label: string, withCb: boolean): TeventReq {
  const req = teventReqCreate(mem, new St(), "struct st");
  reg(req, label);
  if (withCb) {
    teventReqSetCallback(req, cb, null);
  }
  return req;
}

function timerHandler(_ev: TeventContext, te: TeventTimer, _now: Timeval, _pvt: unknown): void {
  T(`timer ${nm(te)}`);
}

function timerDoneHandler(_ev: TeventContext, te: TeventTimer, _now: Timeval, pvt: unknown): void {
  const req = pvt as TeventReq;
  T(`timer ${nm(te)} -> done ${nm(req)}`);
  teventReqDone(req);
}

function cancelTrue(req: TeventReq): boolean {
  T(`cancel_fn ${nm(req)} -> true`);
  return true;
}

function cancelFalse(req: TeventReq): boolean {
  T(`cancel_fn ${nm(req)} -> false`);
  return false;
}

function cleanupFn(req: TeventReq, st: number): void {
  T(`cleanup ${nm(req)} state=${stateName(st)}`);
}

function customPrint(req: TeventReq, _mem: unknown): string {
  return `custom print of ${nm(req)}`;
}

function printNormalised(label: string, s: string | null): void {
  T(`${label} ${normalise(String(s))}`);
}

// ---- nested requests ----

class StepState {
  im: TeventImmediate | null = null;
}

function stepHandler(_ev: TeventContext, _im: TeventImmediate, pvt: unknown): void {
  const req = pvt as TeventReq;
  T(`step ${nm(req)} done`);
  teventReqDone(req);
}

function stepSend(mem: object, ev: TeventContext, label: string): TeventReq {
  const state = new StepState();
  const req = teventReqCreate(mem, state, "struct step_state");
  reg(req, label);
  T(`step_send ${label}`);
  state.im = teventCreateImmediate(state);
  teventScheduleImmediate(state.im, ev, stepHandler, req);
  return req;
}

function stepRecv(req: TeventReq): boolean {
  const ok = !teventReqIsError(req).ret;
  teventReqReceived(req);
  return ok;
}

class OuterState {
  n = 0;
  constructor(readonly ev: TeventContext) {}
}

function outerSend(mem: object, ev: TeventContext): TeventReq {
  const state = new OuterState(ev);
  const req = teventReqCreate(mem, state, "struct outer_state");
  reg(req, "outer");
  const subreq = stepSend(state, ev, "sub1");
  teventReqSetCallback(subreq, outerSub1Done, req);
  return req;
}

function outerSub1Done(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = teventReqData(req) as OuterState;
  T(`outer_sub1_done ${nm(subreq)} ok=${b(stepRecv(subreq))}`);
  tallocFree(subreq);
  let s = stepSend(state, state.ev, "sub2a");
  teventReqSetCallback(s, outerSubParDone, req);
  s = stepSend(state, state.ev, "sub2b");
  teventReqSetCallback(s, outerSubParDone, req);
  state.n = 2;
}

function outerSubParDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = teventReqData(req) as OuterState;
  T(`outer_sub_par_done ${nm(subreq)} ok=${b(stepRecv(subreq))}`);
  tallocFree(subreq);
  state.n--;
  if (state.n === 0) {
    T("outer done");
    teventReqDone(req);
  }
}

function failSend(mem: object, ev: TeventContext): TeventReq {
  const req = teventReqCreate(mem, new St(), "struct st");
  reg(req, "fail");
  teventReqError(req, EINVAL);
  return teventReqPost(req, ev);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  let req: TeventReq;
  let state: St;
  let t0: number;
  let s: string | null;

  SECTION("create");
  state = new St();
  req = teventReqCreate(mem, state, "struct st");
  reg(req, "req1");
  reg(state, "state1");
  T(`state zeroed x=${state.x}`);
  T(`data=${nm(teventReqData(req))}`);
  T(`parent req1=${tallocParent(req) === mem ? "mem" : "?"}`);
  T(`parent state1=${nm(tallocParent(state))}`);
  T(`in_progress=${b(teventReqIsInProgress(req))}`);
  printIsError("req1", req);
  T(`callback_data before set=${nm(teventReqCallbackData(req))}`);
  const pvt = tallocNew(mem);
  reg(pvt, "pvt1");
  teventReqSetCallback(req, cb, pvt);
  T(`callback_data=${nm(teventReqCallbackData(req))}`);

  SECTION("done calls the callback synchronously");
  T("call done");
  teventReqDone(req);
  T("after done");
  T(`in_progress=${b(teventReqIsInProgress(req))}`);
  printIsError("req1", req);
  tallocFree(req);

  SECTION("error");
  req = mkreq(mem, "req2", true);
  T(`error(0) ret=${b(teventReqError(req, 0))}`);
  printIsError("req2", req);
  T(`error(EINVAL) ret=${b(teventReqError(req, EINVAL))}`);
  printIsError("req2", req);
  T(`in_progress=${b(teventReqIsInProgress(req))}`);
  tallocFree(req);

  SECTION("nomem and oom");
  req = mkreq(mem, "req3", true);
  T(`nomem(ptr) ret=${b(teventReqNomem(mem, req))}`);
  printIsError("req3", req);
  T(`nomem(NULL) ret=${b(teventReqNomem(null, req))}`);
  printIsError("req3", req);
  tallocFree(req);
  req = mkreq(mem, "req4", true);
  teventReqOom(req);
  printIsError("req4", req);
  tallocFree(req);

  SECTION("post");
  req = failSend(mem, ev);
  T(`fail_send returned ${nm(req)} in_progress=${b(teventReqIsInProgress(req))}`);
  teventReqSetCallback(req, cb, null);
  await loopOnce(ev);
  tallocFree(req);
  req = mkreq(mem, "req5", true);
  teventReqDone(req);
  T(`post ret=${nm(teventReqPost(req, ev))}`);
  await loopOnce(ev);
  tallocFree(req);
  req = mkreq(mem, "req6", true);
  teventReqPost(req, ev);
  await loopOnce(ev);
  T(`in_progress=${b(teventReqIsInProgress(req))}`);
  tallocFree(req);
  req = mkreq(mem, "req7", true);
  teventReqDone(req);
  teventReqPost(req, ev);
  tallocFree(req);
  T("freed posted req7");
  await loopWait(ev);

  SECTION("defer_callback");
  req = mkreq(mem, "req8", true);
  teventReqDeferCallback(req, ev);
  teventReqDone(req);
  T(`after done in_progress=${b(teventReqIsInProgress(req))}`);
  await loopOnce(ev);
  tallocFree(req);

  SECTION("notify_callback");
  req = mkreq(mem, "req9", true);
  teventReqNotifyCallback(req);
  T(`after notify in_progress=${b(teventReqIsInProgress(req))}`);
  teventReqSetCallback(req, null, null);
  teventReqNotifyCallback(req);
  T("notify with NULL callback ok");
  tallocFree(req);

  SECTION("poll");
  req = mkreq(mem, "req10", true);
  reg(teventAddTimer(ev, req, teventTimevalZero(), timerDoneHandler, req), "t1");
  T(`poll ret=${b(await teventReqPoll(req, ev))}`);
  T(`poll again ret=${b(await teventReqPoll(req, ev))}`);
  tallocFree(req);

  SECTION("received");
  state = new St();
  req = teventReqCreate(mem, state, "struct st");
  reg(req, "req11");
  reg(state, "state11");
  tallocSetDestructor(state, (p: unknown) => { T(`destructor ${nm(p)}`); return 0; });
  watch(req, "req11-child");
  teventReqDone(req);
  teventReqReceived(req);
  T(`after received data=${nm(teventReqData(req))}`);
  T(`in_progress=${b(teventReqIsInProgress(req))}`);
  printIsError("req11", req);
  T(`parent req11=${tallocParent(req) === mem ? "mem" : "?"}`);
  tallocFree(req);
  T("freed req11");

  SECTION("endtime");
  req = mkreq(mem, "req12", true);
  T(`set_endtime ret=${b(teventReqSetEndtime(req, ev, teventTimevalZero()))}`);
  await loopOnce(ev);
  printIsError("req12", req);
  tallocFree(req);
  req = mkreq(mem, "req13", true);
  T(`set_endtime ret=${b(teventReqSetEndtime(req, ev, teventTimevalZero()))}`);
  teventReqResetEndtime(req);
  reg(teventAddTimer(ev, mem, teventTimevalZero(), timerHandler, null), "t2");
  await loopOnce(ev);
  printIsError("req13", req);
  tallocFree(req);
  req = mkreq(mem, "req14", true);
  teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(5, 0));
  teventReqDone(req);
  t0 = nowS();
  await loopWait(ev);
  T(`loop_wait after done with endtime fast=${b(nowS() - t0 < 1.0)}`);
  tallocFree(req);
  req = mkreq(mem, "req15", true);
  teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(5, 0));
  tallocFree(req);
  t0 = nowS();
  await loopWait(ev);
  T(`loop_wait after freeing req with endtime fast=${b(nowS() - t0 < 1.0)}`);

  SECTION("cancel");
  req = mkreq(mem, "req16", true);
  T(`cancel without fn ret=${b(teventReqCancel(req))}`);
  teventReqSetCancelFn(req, cancelFalse);
  T(`cancel ret=${b(teventReqCancel(req))}`);
  teventReqSetCancelFn(req, cancelTrue);
  T(`cancel ret=${b(teventReqCancel(req))}`);
  printIsError("req16", req);
  teventReqError(req, ECANCELED);
  T(`cancel after finish ret=${b(teventReqCancel(req))}`);
  tallocFree(req);

  SECTION("cleanup_fn");
  req = mkreq(mem, "c-done", true);
  teventReqSetCleanupFn(req, cleanupFn);
  teventReqDone(req);
  teventReqReceived(req);
  T("free c-done");
  tallocFree(req);
  req = mkreq(mem, "c-error", true);
  teventReqSetCleanupFn(req, cleanupFn);
  teventReqError(req, EIO);
  T("free c-error");
  tallocFree(req);
  req = mkreq(mem, "c-timeout", true);
  teventReqSetCleanupFn(req, cleanupFn);
  teventReqSetEndtime(req, ev, teventTimevalZero());
  await loopOnce(ev);
  T("free c-timeout");
  tallocFree(req);
  req = mkreq(mem, "c-pending", true);
  teventReqSetCleanupFn(req, cleanupFn);
  T("free c-pending");
  tallocFree(req);
  req = mkreq(mem, "c-nomem", true);
  teventReqSetCleanupFn(req, cleanupFn);
  teventReqOom(req);
  T("free c-nomem");
  tallocFree(req);
  req = mkreq(mem, "c-received-pending", true);
  teventReqSetCleanupFn(req, cleanupFn);
  teventReqReceived(req);
  T("free c-received-pending");
  tallocFree(req);

  SECTION("print");
  req = mkreq(mem, "p1", true);
  s = teventReqPrint(mem, req);
  printNormalised("print p1:", s);
  s = teventReqDefaultPrint(req, mem);
  printNormalised("default_print p1:", s);
  teventReqError(req, EINVAL);
  s = teventReqPrint(mem, req);
  printNormalised("print p1 error:", s);
  teventReqSetPrintFn(req, customPrint);
  s = teventReqPrint(mem, req);
  T(`print p1 custom: ${s}`);
  s = teventReqDefaultPrint(req, mem);
  printNormalised("default_print p1 with custom fn:", s);
  teventReqSetPrintFn(req, null);
  s = teventReqPrint(mem, req);
  printNormalised("print p1 fn reset:", s);
  tallocFree(req);
  req = mkreq(mem, "p2", true);
  teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(100, 0));
  teventReqDone(req);
  s = teventReqPrint(mem, req);
  printNormalised("print p2 done with endtime:", s);
  tallocFree(req);

  SECTION("free pending");
  state = new St();
  req = teventReqCreate(mem, state, "struct st");
  reg(req, "req17");
  reg(state, "state17");
  teventReqSetCallback(req, cb, null);
  reg(teventAddTimer(ev, state, teventTimevalCurrentOfs(5, 0), timerHandler, null), "t3");
  watch(state, "state17-child");
  tallocFree(req);
  t0 = nowS();
  await loopWait(ev);
  T(`loop_wait fast=${b(nowS() - t0 < 1.0)}`);

  SECTION("nested");
  req = outerSend(mem, ev);
  teventReqSetCallback(req, cb, null);
  T(`poll ret=${b(await teventReqPoll(req, ev))}`);
  printIsError("outer", req);
  tallocFree(req);
  await loopWait(ev);

  SECTION("tevent_unix");
  let u;
  req = mkreq(mem, "u1", false);
  teventReqDone(req);
  u = teventReqIsUnixError(req);
  T(`is_unix_error done ret=${b(u.ret)} perrno=${u.perrno}`);
  T(`simple_recv_unix done ret=${teventReqSimpleRecvUnix(req)}`);
  printIsError("u1", req);
  tallocFree(req);
  req = mkreq(mem, "u2", false);
  teventReqError(req, EINVAL);
  u = teventReqIsUnixError(req);
  T(`is_unix_error error ret=${b(u.ret)} perrno=${u.perrno}`);
  T(`simple_recv_unix error ret=${teventReqSimpleRecvUnix(req)}`);
  printIsError("u2", req);
  tallocFree(req);
  req = mkreq(mem, "u3", false);
  teventReqOom(req);
  u = teventReqIsUnixError(req);
  T(`is_unix_error nomem ret=${b(u.ret)} perrno=${u.perrno}`);
  tallocFree(req);
  req = mkreq(mem, "u4", false);
  teventReqSetEndtime(req, ev, teventTimevalZero());
  let pu = await teventReqPollUnix(req, ev);
  T(`poll_unix timeout ret=${b(pu.ret)} err=${pu.err}`);
  u = teventReqIsUnixError(req);
  T(`is_unix_error timeout ret=${b(u.ret)} perrno=${u.perrno}`);
  T(`simple_recv_unix timeout ret=${teventReqSimpleRecvUnix(req)}`);
  tallocFree(req);
  req = mkreq(mem, "u5", false);
  reg(teventAddTimer(ev, req, teventTimevalZero(), timerDoneHandler, req), "t4");
  pu = await teventReqPollUnix(req, ev);
  T(`poll_unix done ret=${b(pu.ret)} err=${pu.err}`);
  T(`simple_recv_unix ret=${teventReqSimpleRecvUnix(req)}`);
  tallocFree(req);
  req = mkreq(mem, "u7", false);
  u = teventReqIsUnixError(req);
  T(`is_unix_error in progress ret=${b(u.ret)} perrno=${u.perrno}`);
  tallocFree(req);
  req = mkreq(mem, "u6", false);
  teventReqReceived(req);
  u = teventReqIsUnixError(req);
  T(`is_unix_error received ret=${b(u.ret)} perrno=${u.perrno}`);
  tallocFree(req);

  SECTION("end");
  await loopWait(ev);
  tallocFree(mem);
}

run(main);
