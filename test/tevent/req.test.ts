import { expect } from "chai";
import {
  EINVAL, ENOMEM, ETIMEDOUT, tallocFree, tallocNew, tallocSetDestructor, tallocSteal, TeventContext, TeventReq,
  teventContextInit, teventLoopOnce, teventLoopWait, teventReqCallbackData, teventReqCreate, teventReqData,
  teventReqDone, teventReqError, teventReqIsError, teventReqIsInProgress, teventReqIsUnixError, teventReqNomem,
  teventReqOom, teventReqPoll, teventReqPollUnix, teventReqPost, teventReqPrint, teventReqReceived,
  teventReqSetCallback, teventReqSetCancelFn, teventReqSetCleanupFn, teventReqSetEndtime, teventReqSetPrintFn,
  teventReqSimpleRecvUnix, teventReqStateName, teventTimevalCurrentOfs, teventTimevalZero, teventReqResetEndtime,
  teventReqDeferCallback, teventReqNotifyCallback, teventWakeupSend, teventWakeupRecv, teventReqCancel,
  TEVENT_REQ_DONE, TEVENT_REQ_IN_PROGRESS, TEVENT_REQ_NO_MEMORY, TEVENT_REQ_RECEIVED, TEVENT_REQ_TIMED_OUT,
  TEVENT_REQ_USER_ERROR, tallocParent, tallocChildren, tallocTotalBlocks, tallocGetName, tallocIsFreed,
  teventSetTraceImmediateCallback, TeventImmediate, TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER,
  TEVENT_EVENT_TRACE_DETACH, teventCreateImmediate, teventScheduleImmediate, teventReqDefaultPrint,
} from "../../index";

class FooState { x = 0; }

describe("tevent_req (tevent_req.c)", () => {
  let ev: TeventContext;
  beforeEach(() => { ev = teventContextInit(null); });
  afterEach(() => { tallocFree(ev); });

  it("a received request that is posted and then freed never calls back (found by the fuzzing; C's trigger goes with the request)", async () => {
    const req = teventReqCreate(ev, new FooState());
    let called = 0;
    teventReqSetCallback(req, () => { called++; });
    teventReqDone(req);
    expect(called).to.equal(1);
    teventReqReceived(req);
    teventReqPost(req, ev);
    expect(tallocFree(req)).to.equal(0);
    expect(ev.imHead).to.equal(null);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(called).to.equal(1);
  });

  it("teventReqIsUnixError of something that is not a request: a TypeError naming it", () => {
    expect(() => teventReqIsUnixError({} as TeventReq)).to.throw(TypeError, "teventReqIsUnixError: req must be a TeventReq");
  });

  it("state values and names are C's", () => {
    expect([TEVENT_REQ_IN_PROGRESS, TEVENT_REQ_DONE, TEVENT_REQ_USER_ERROR, TEVENT_REQ_TIMED_OUT,
      TEVENT_REQ_NO_MEMORY, TEVENT_REQ_RECEIVED]).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(teventReqStateName(TEVENT_REQ_USER_ERROR)).to.equal("TEVENT_REQ_USER_ERROR");
  });

  it("create: in progress, data is the state passed, a child of the request", () => {
    const st = new FooState();
    const req = teventReqCreate(ev, st);
    expect(teventReqIsInProgress(req)).to.equal(true);
    expect(teventReqData(req)).to.equal(st);
    expect(req.data).to.equal(st);
    expect(teventReqIsError(req)).to.deep.equal({ ret: true, state: TEVENT_REQ_IN_PROGRESS, error: 0 });
    tallocFree(req);
  });

  it("cleanup states, cancel, print and repeated notification follow C (checked against libtevent)", async () => {
    const log: string[] = [];
    const req = teventReqCreate(ev, new FooState(), "struct foo_state");
    expect(teventReqPrint(null, req)).to.match(
      /^tevent_req\[0x[0-9a-f]+\/struct foo_state\]: state\[1\] error\[0 \(0x0\)\]  state\[struct foo_state \(0x[0-9a-f]+\)\] timer\[\(nil\)\] finish\[\(null\)\]$/);
    teventReqSetCleanupFn(req, (_r, st) => log.push(`cleanup state=${st}`));
    teventReqSetCallback(req, (r) => log.push(`cb ${teventReqCallbackData(r)} in_progress=${teventReqIsInProgress(r)}`), "A");
    expect(teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(100, 0))).to.equal(true);
    expect(teventReqPrint(null, req)).to.match(/timer\[0x[0-9a-f]+\] finish\[\(null\)\]$/);
    log.push(`cancel no fn -> ${teventReqCancel(req)}`);
    teventReqSetCancelFn(req, () => { log.push("cancel_fn"); return true; });
    log.push(`cancel fn -> ${teventReqCancel(req)}`);
    teventReqError(req, 5);
    expect(teventReqPrint(null, req)).to.match(/state\[3\] error\[5 \(0x5\)\].*timer\[\(nil\)\] finish\[tevent_req_error\]$/);
    log.push("post after error");
    teventReqPost(req, ev);
    await teventLoopOnce(ev);
    log.push("done after error");
    teventReqDone(req);
    log.push(`is_error=${JSON.stringify(teventReqIsError(req))}`);
    teventReqReceived(req);
    log.push(`data after received ${teventReqData(req)}; cbdata ${teventReqCallbackData(req)}`);
    log.push(`is_error=${JSON.stringify(teventReqIsError(req))}`);
    log.push(`free -> ${tallocFree(req)}`);
    expect(log).to.deep.equal([
      "cancel no fn -> false", "cancel_fn", "cancel fn -> true",
      "cleanup state=3", "cb A in_progress=false",
      "post after error", "cb A in_progress=false",
      "done after error", "cb A in_progress=false",
      'is_error={"ret":false,"state":2,"error":0}',
      "cleanup state=6",
      "data after received null; cbdata A",
      'is_error={"ret":true,"state":6,"error":0}',
      "free -> 0",
    ]);
  });

  it("freeing a pending request: no callback, cleanup with TEVENT_REQ_RECEIVED, state freed (checked against libtevent)", () => {
    const log: string[] = [];
    const st = new FooState();
    const req = teventReqCreate(ev, st);
    const sub = tallocSteal(st, { name: "subreq-state" });
    tallocSetDestructor(sub, () => { log.push("state child freed"); });
    teventReqSetCleanupFn(req, (_r, s) => log.push(`cleanup state=${s}`));
    teventReqSetCallback(req, () => log.push("callback"), null);
    expect(tallocFree(req)).to.equal(0);
    expect(log).to.deep.equal(["cleanup state=6", "state child freed"]);
  });

  it("done then free: cleanup sees DONE, then RECEIVED (checked against libtevent)", () => {
    const log: string[] = [];
    const req = teventReqCreate(ev, new FooState());
    teventReqSetCleanupFn(req, (_r, s) => log.push(`cleanup state=${s}`));
    teventReqDone(req);
    expect(tallocFree(req)).to.equal(0);
    expect(log).to.deep.equal(["cleanup state=2", "cleanup state=6"]);
  });

  it("set_endtime: TEVENT_REQ_TIMED_OUT, error untouched (checked against libtevent)", async () => {
    const log: string[] = [];
    const req = teventReqCreate(ev, new FooState());
    teventReqSetCleanupFn(req, (_r, s) => log.push(`cleanup state=${s}`));
    teventReqSetCallback(req, () => log.push("cb C"), null);
    teventReqSetEndtime(req, ev, teventTimevalZero());
    await teventLoopOnce(ev);
    expect(log).to.deep.equal(["cleanup state=4", "cb C"]);
    expect(teventReqIsError(req)).to.deep.equal({ ret: true, state: TEVENT_REQ_TIMED_OUT, error: 0 });
    expect(teventReqIsUnixError(req)).to.deep.equal({ ret: true, perrno: ETIMEDOUT });
    tallocFree(req);
  });

  it("reset_endtime cancels the time-out; finishing removes the timer", async () => {
    const req = teventReqCreate(ev, new FooState());
    teventReqSetEndtime(req, ev, teventTimevalZero());
    teventReqResetEndtime(req);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(teventReqIsInProgress(req)).to.equal(true);
    teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(60, 0));
    teventReqDone(req);
    expect(await teventLoopWait(ev)).to.equal(0); /* no timer left behind */
    tallocFree(req);
  });

  it("error(0) returns false and changes nothing", () => {
    const req = teventReqCreate(ev, new FooState());
    let called = 0;
    teventReqSetCallback(req, () => { called++; }, null);
    expect(teventReqError(req, 0)).to.equal(false);
    expect(teventReqIsInProgress(req)).to.equal(true);
    expect(called).to.equal(0);
    expect(teventReqError(req, EINVAL)).to.equal(true);
    expect(called).to.equal(1);
    expect(teventReqIsError(req)).to.deep.equal({ ret: true, state: TEVENT_REQ_USER_ERROR, error: EINVAL });
    tallocFree(req);
  });

  it("nomem and oom finish with TEVENT_REQ_NO_MEMORY (ENOMEM for the unix helpers)", () => {
    const r1 = teventReqCreate(ev, new FooState());
    expect(teventReqNomem({}, r1)).to.equal(false);
    expect(teventReqIsInProgress(r1)).to.equal(true);
    expect(teventReqNomem(null, r1)).to.equal(true);
    expect(teventReqIsError(r1)).to.deep.equal({ ret: true, state: TEVENT_REQ_NO_MEMORY, error: 0 });
    expect(teventReqSimpleRecvUnix(r1)).to.equal(ENOMEM);
    const r2 = teventReqCreate(ev, new FooState());
    teventReqOom(r2);
    expect(teventReqIsUnixError(r2)).to.deep.equal({ ret: true, perrno: ENOMEM });
    expect(teventReqSimpleRecvUnix(r2)).to.equal(ENOMEM);
    expect(r2.data).to.equal(null);
    const r3 = teventReqCreate(ev, new FooState());
    teventReqDone(r3);
    expect(teventReqIsUnixError(r3)).to.deep.equal({ ret: false, perrno: 0 });
    expect(teventReqSimpleRecvUnix(r3)).to.equal(0);
    expect(teventReqIsError(r3).state).to.equal(TEVENT_REQ_RECEIVED);
  });

  it("a callback never runs inside _send: post delivers from the loop", async () => {
    const log: string[] = [];
    function fooSend(memCtx: object | null, e: TeventContext, fail: number): TeventReq {
      const req = teventReqCreate(memCtx, new FooState());
      if (fail !== 0) {
        teventReqError(req, fail);
        return teventReqPost(req, e);
      }
      teventReqDone(req);
      return teventReqPost(req, e);
    }
    const a = fooSend(ev, ev, 0);
    teventReqSetCallback(a, (r) => log.push(`a ${teventReqSimpleRecvUnix(r)}`), null);
    const b = fooSend(ev, ev, EINVAL);
    teventReqSetCallback(b, (r) => log.push(`b ${teventReqSimpleRecvUnix(r)}`), null);
    log.push("after send");
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(log).to.deep.equal(["after send", "a 0", `b ${EINVAL}`]);
  });

  it("defer_callback sends the notification through the immediate queue, in order", async () => {
    const log: string[] = [];
    const reqs = [0, 1, 2].map(() => teventReqCreate(ev, new FooState()));
    reqs.forEach((r, i) => teventReqSetCallback(r, () => log.push(`cb ${i}`), null));
    for (const r of reqs) {
      teventReqDeferCallback(r, ev);
      teventReqDone(r);
    }
    log.push("all done");
    await teventLoopWait(ev);
    expect(log).to.deep.equal(["all done", "cb 0", "cb 1", "cb 2"]);
    /* the deferral is used once: a later notify calls back directly */
    teventReqNotifyCallback(reqs[0]);
    expect(log[log.length - 1]).to.equal("cb 0");
    reqs.forEach((r) => tallocFree(r));
  });

  it("nested subrequests: callbacks run innermost first and freeing the outer request cancels the inner", async () => {
    const log: string[] = [];
    function innerSend(memCtx: object, e: TeventContext, name: string): TeventReq {
      const req = teventReqCreate(memCtx, { name });
      teventReqSetCleanupFn(req, (_r, s) => log.push(`${name} cleanup ${s}`));
      teventReqSetEndtime(req, e, teventTimevalZero()); /* finishes from the loop */
      return req;
    }
    function outerSend(memCtx: object | null, e: TeventContext): TeventReq {
      const state = { n: 0 };
      const req = teventReqCreate(memCtx, state);
      const sub = innerSend(state, e, "inner");
      teventReqSetCallback(sub, (s) => {
        const r = teventReqCallbackData(s) as TeventReq;
        log.push("outer got inner");
        tallocFree(s);
        teventReqDone(r);
      }, req);
      return req;
    }
    const o = outerSend(ev, ev);
    teventReqSetCallback(o, () => log.push("outer done"), null);
    expect(await teventReqPoll(o, ev)).to.equal(true);
    expect(log).to.deep.equal(["inner cleanup 4", "outer got inner", "inner cleanup 6", "outer done"]);
    tallocFree(o);

    log.length = 0;
    const o2 = outerSend(ev, ev);
    tallocFree(o2);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(log).to.deep.equal(["inner cleanup 6"]);
  });

  it("custom print fn; print of null", () => {
    const req = teventReqCreate(ev, new FooState());
    teventReqSetPrintFn(req, (r) => `foo[${teventReqIsInProgress(r)}]`);
    expect(teventReqPrint(null, req)).to.equal("foo[true]");
    expect(req.print(null)).to.equal("foo[true]");
    expect(teventReqPrint(null, null)).to.equal("tevent_req[NULL]");
    tallocFree(req);
  });

  it("methods do the same as the free functions", async () => {
    const req = teventReqCreate(tallocNew(null), new FooState());
    const seen: unknown[] = [];
    req.setCallback((r) => seen.push(r.callbackData(), r.isInProgress(), r.isError()), "pvt");
    expect(req.error(EINVAL)).to.equal(true);
    expect(seen).to.deep.equal(["pvt", false, { ret: true, state: 3, error: EINVAL }]);
    req.received();
    expect(req.data).to.equal(null);
  });

  it("poll runs the loop until the request is done; poll_unix gives the errno of a failing loop", async () => {
    const req = teventReqCreate(ev, new FooState());
    teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(0, 2000));
    expect(await teventReqPoll(req, ev)).to.equal(true);
    expect(teventReqIsError(req).state).to.equal(TEVENT_REQ_TIMED_OUT);
    const e2 = teventContextInit(null);
    tallocFree(e2);
    const req2 = teventReqCreate(null, new FooState());
    expect(await teventReqPollUnix(req2, e2)).to.deep.equal({ ret: false, err: EINVAL });
    tallocFree(req2);
  });

  it("post and defer_callback refuse an ev that is not a TeventContext, at the call", () => {
    const req = teventReqCreate(ev, new FooState());
    const notEv = {} as unknown as TeventContext;
    expect(() => teventReqPost(req, notEv)).to.throw(TypeError, "teventReqPost: ev must be a TeventContext");
    expect(() => teventReqPost(req, null as unknown as TeventContext))
      .to.throw(TypeError, "teventReqPost: ev must be a TeventContext");
    expect(() => teventReqDeferCallback(req, notEv))
      .to.throw(TypeError, "teventReqDeferCallback: ev must be a TeventContext");
    expect(req.trigger).to.equal(null);
    expect(req.deferCallbackEv).to.equal(null);
    tallocFree(req);
  });

  it("a freed request is left alone: done, error, oom and post call nothing back (use after free)", async () => {
    let calls = 0;
    const req = teventReqCreate(ev, new FooState());
    teventReqSetCallback(req, () => { calls++; });
    expect(tallocFree(req)).to.equal(0);
    teventReqDone(req);
    expect(teventReqError(req, EINVAL)).to.equal(false);
    teventReqOom(req);
    expect(teventReqNomem(null, req)).to.equal(true);
    expect(teventReqPost(req, ev)).to.equal(req);
    expect(req.trigger).to.equal(null);
    expect(ev.imHead).to.equal(null); /* nothing was queued */
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(calls).to.equal(0);
    expect(req.state).to.equal(TEVENT_REQ_RECEIVED);
  });

  it("talloc sees a request as before: its parent, its state as its only child, steal, free, destructor", () => {
    const mem = tallocNew(null);
    const st = new FooState();
    const req = teventReqCreate(mem, st, "struct foo_state");
    expect(tallocParent(req)).to.equal(mem);
    expect(tallocParent(st)).to.equal(req);
    expect(tallocChildren(req)).to.deep.equal([st]);
    expect(tallocTotalBlocks(req)).to.equal(2);
    expect(tallocTotalBlocks(mem)).to.equal(3);
    expect(tallocGetName(req)).to.equal("struct tevent_req");
    expect(tallocGetName(st)).to.equal("struct foo_state");
    /* something allocated on the request comes first, newest first */
    const child = tallocNew(req);
    expect(tallocChildren(req)).to.deep.equal([child, st]);
    const other = tallocNew(null);
    expect(tallocSteal(other, req)).to.equal(req);
    expect(tallocParent(req)).to.equal(other);
    expect(tallocChildren(mem)).to.deep.equal([]);
    /* a destructor of the caller's replaces tevent's, as talloc_set_destructor does in C */
    const log: string[] = [];
    tallocSetDestructor(req, () => { log.push("mine"); });
    expect(tallocFree(other)).to.equal(0);
    expect(log).to.deep.equal(["mine"]);
    expect(tallocIsFreed(req)).to.equal(true);
    expect(tallocIsFreed(st)).to.equal(true);
    expect(tallocIsFreed(child)).to.equal(true);
    expect(req.state).to.equal(TEVENT_REQ_IN_PROGRESS); /* not received: its destructor was replaced */
    expect(tallocFree(req)).to.equal(-1); /* a double free is refused */
    tallocFree(mem);
  });

  it("a posted request shows the immediate trace callbacks one immediate, the same for attach, run and detach", async () => {
    const seen: Array<[unknown, number]> = [];
    teventSetTraceImmediateCallback(ev, (im, tp) => { seen.push([im, tp]); }, null);
    const req = teventReqCreate(ev, new FooState());
    teventReqDone(req);
    teventReqPost(req, ev);
    let cb = 0;
    teventReqSetCallback(req, () => { cb++; });
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(cb).to.equal(1);
    expect(seen.map(([, tp]) => tp)).to.deep.equal([
      TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER, TEVENT_EVENT_TRACE_DETACH]);
    const im = seen[0][0];
    expect(im).to.be.instanceOf(TeventImmediate);
    expect(tallocGetName(im)).to.equal("struct tevent_immediate");
    expect(seen.every(([x]) => x === im)).to.equal(true);
    /* posted again and freed before the loop runs it: detached (C: TALLOC_FREE of the trigger) */
    seen.length = 0;
    teventReqPost(req, ev);
    tallocFree(req);
    expect(seen).to.deep.equal([[im, TEVENT_EVENT_TRACE_ATTACH], [im, TEVENT_EVENT_TRACE_DETACH]]);
    expect(ev.imHead).to.equal(null);
    expect(cb).to.equal(1);
    teventSetTraceImmediateCallback(ev, null, null);
  });

  it("a posted request waits in the immediate queue in order with immediates", async () => {
    const log: string[] = [];
    const im1 = teventCreateImmediate(ev);
    const r1 = teventReqCreate(ev, new FooState());
    const im2 = teventCreateImmediate(ev);
    teventReqSetCallback(r1, () => { log.push("r1"); });
    teventScheduleImmediate(im1, ev, () => { log.push("im1"); });
    teventReqDone(r1);
    log.length = 0; /* done called back directly */
    teventReqPost(r1, ev);
    teventScheduleImmediate(im2, ev, () => { log.push("im2"); });
    /* posting again moves it to the end, as rescheduling an immediate does */
    teventReqPost(r1, ev);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(log).to.deep.equal(["im1", "im2", "r1"]);
    tallocFree(r1);
  });

  it("bad arguments: a TypeError naming the function, for print, notify and the set_*_fn functions", () => {
    const req = teventReqCreate(ev, new FooState());
    const notReq = { state: 1, err: 0, data: null } as unknown as TeventReq;
    expect(() => teventReqDefaultPrint(notReq, null))
      .to.throw(TypeError, "teventReqDefaultPrint: req must be a TeventReq");
    expect(() => teventReqNotifyCallback(notReq))
      .to.throw(TypeError, "teventReqNotifyCallback: req must be a TeventReq");
    expect(() => teventReqNotifyCallback({} as unknown as TeventReq))
      .to.throw(TypeError, "teventReqNotifyCallback: req must be a TeventReq");
    const notFn = 5 as unknown as null;
    expect(() => teventReqSetPrintFn(req, notFn)).to.throw(TypeError, "teventReqSetPrintFn: fn must be a function or null");
    expect(() => teventReqSetCancelFn(req, notFn)).to.throw(TypeError, "teventReqSetCancelFn: fn must be a function or null");
    expect(() => teventReqSetCleanupFn(req, notFn))
      .to.throw(TypeError, "teventReqSetCleanupFn: fn must be a function or null");
    expect(() => teventReqSetPrintFn(req, "f" as unknown as null)).to.throw(TypeError);
    /* nothing was set: the default print, no cancel */
    expect(teventReqPrint(null, req)).to.equal(teventReqDefaultPrint(req, null));
    expect(teventReqCancel(req)).to.equal(false);
    /* null (and undefined) clear */
    teventReqSetPrintFn(req, () => "mine");
    expect(teventReqPrint(null, req)).to.equal("mine");
    teventReqSetPrintFn(req, null);
    expect(teventReqPrint(null, req)).to.equal(teventReqDefaultPrint(req, null));
    teventReqSetCancelFn(req, () => true);
    expect(teventReqCancel(req)).to.equal(true);
    teventReqSetCancelFn(req, undefined as unknown as null);
    expect(teventReqCancel(req)).to.equal(false);
    tallocFree(req);
  });

  describe("the state without a talloc node of its own until asked (lazy child)", () => {
    it("the state is the request's oldest child, named by typeName, freed on receive and with the request", () => {
      const mem = tallocNew(null);
      const req = teventReqCreate(mem, new FooState(), "struct foo_state");
      const st = teventReqData(req);
      const other = tallocNew(req);
      /* asking about the request's children makes the state's node: oldest, last */
      expect(tallocChildren(req)).to.deep.equal([other, st]);
      expect(tallocTotalBlocks(req)).to.equal(3);
      expect(tallocParent(st)).to.equal(req);
      expect(tallocGetName(st)).to.equal("struct foo_state");
      teventReqReceived(req);
      expect(tallocIsFreed(st)).to.equal(true);
      expect(tallocChildren(req)).to.deep.equal([other]);
      tallocFree(mem);
    });

    it("never looked at: freed with the request (receive or free), a second free is refused", () => {
      const mem = tallocNew(null);
      const r1 = teventReqCreate(mem, new FooState(), "struct foo_state");
      const s1 = teventReqData(r1);
      teventReqReceived(r1);
      expect(tallocIsFreed(s1)).to.equal(true);
      expect(tallocFree(s1)).to.equal(-1);
      expect(tallocParent(s1)).to.equal(null);
      const r2 = teventReqCreate(mem, new FooState());
      const s2 = teventReqData(r2);
      tallocFree(r2);
      expect(tallocIsFreed(s2)).to.equal(true);
      expect(tallocGetName(s2)).to.equal("FooState");
      /* a request whose destructor was replaced: the state goes with its children */
      const r3 = teventReqCreate(mem, new FooState());
      const s3 = teventReqData(r3);
      tallocSetDestructor(r3, () => 0);
      tallocFree(r3);
      expect(tallocIsFreed(s3)).to.equal(true);
      expect(tallocChildren(mem)).to.deep.equal([r1]);
      tallocFree(mem);
    });

    it("used as a talloc context, given a destructor, stolen or frozen: it behaves as any state", () => {
      const mem = tallocNew(null);
      const req = teventReqCreate(mem, new FooState());
      const st = teventReqData(req);
      const sub = teventReqCreate(st, new FooState());
      expect(tallocParent(sub)).to.equal(st);
      const log: string[] = [];
      tallocSetDestructor(st, () => { log.push("state"); });
      tallocFree(req);
      expect(log).to.deep.equal(["state"]);
      expect(tallocIsFreed(sub)).to.equal(true);
      /* stolen away: still freed when the request goes (C's TALLOC_FREE(req->data)) */
      const r2 = teventReqCreate(mem, new FooState());
      const s2 = teventReqData(r2);
      tallocSteal(mem, s2);
      expect(tallocParent(s2)).to.equal(mem);
      tallocFree(r2);
      expect(tallocIsFreed(s2)).to.equal(true);
      /* a frozen state cannot carry the link: it gets a node at once */
      const frozen = Object.freeze(new FooState());
      const r3 = teventReqCreate(mem, frozen, "struct frozen");
      expect(tallocParent(frozen)).to.equal(r3);
      expect(tallocGetName(frozen)).to.equal("struct frozen");
      teventReqReceived(r3);
      expect(tallocIsFreed(frozen)).to.equal(true);
      tallocFree(mem);
    });
  });
});

describe("tevent_wakeup_send/recv", () => {
  it("finishes as TIMED_OUT at the wake-up time; recv is true then, false for done or error (checked against libtevent)", async () => {
    const ev = teventContextInit(null);
    const log: string[] = [];
    const req = teventWakeupSend(ev, ev, teventTimevalCurrentOfs(0, 1000));
    teventReqSetCallback(req, () => log.push("cb"), null);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    expect(teventReqIsError(req)).to.deep.equal({ ret: true, state: TEVENT_REQ_TIMED_OUT, error: 0 });
    expect(teventWakeupRecv(req)).to.equal(true);
    expect(req.data).to.not.equal(null);
    const r2 = teventWakeupSend(ev, ev, teventTimevalCurrentOfs(100, 0));
    teventReqDone(r2);
    expect(teventWakeupRecv(r2)).to.equal(false);
    const r3 = teventWakeupSend(ev, ev, teventTimevalCurrentOfs(100, 0));
    teventReqError(r3, 3);
    expect(teventWakeupRecv(r3)).to.equal(false);
    expect(log).to.deep.equal(["cb"]);
    tallocFree(ev);
  });
});
