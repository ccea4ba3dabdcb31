import { expect } from "chai";
import * as sinon from "sinon";
import {
  EBADF, ELOOP, EINVAL, getErrno, setErrno, tallocFree, tallocNew, tallocSetDestructor, tallocSteal,
  teventAddTimer, teventContextInit, teventCreateImmediate, teventLoopOnce, teventLoopUntil, teventLoopWait,
  teventScheduleImmediate, teventSetTraceCallback, teventSetTraceImmediateCallback, teventSetTraceTimerCallback,
  teventTimevalAdd, teventTimevalCompare, teventTimevalCurrent, teventTimevalCurrentOfs, teventTimevalIsZero,
  teventTimevalSet, teventTimevalUntil, teventTimevalZero, teventUpdateTimer, teventContextInitByname,
  teventBackendList, teventLoopAllowNesting, teventSetAbortFn, TeventContext, TeventTimer, TeventImmediate, Timeval, teventReqCreate, teventReqError,
  teventTimerSetTag, teventTimerGetTag, teventImmediateSetTag, teventImmediateGetTag,
} from "../../index";

const TP = ["BEFORE_WAIT", "AFTER_WAIT", "BEFORE_LOOP_ONCE", "AFTER_LOOP_ONCE"];
const ETP = ["ATTACH", "DETACH", "BEFORE_HANDLER"];

describe("tevent timeval helpers (tevent_timeval_*)", () => {
  it("compare, zero, set, is_zero", () => {
    expect(teventTimevalCompare({ tv_sec: 1, tv_usec: 5 }, { tv_sec: 1, tv_usec: 5 })).to.equal(0);
    expect(teventTimevalCompare({ tv_sec: 2, tv_usec: 0 }, { tv_sec: 1, tv_usec: 999999 })).to.equal(1);
    expect(teventTimevalCompare({ tv_sec: 1, tv_usec: 4 }, { tv_sec: 1, tv_usec: 5 })).to.equal(-1);
    expect(teventTimevalZero()).to.deep.equal({ tv_sec: 0, tv_usec: 0 });
    expect(teventTimevalIsZero(teventTimevalZero())).to.equal(true);
    expect(teventTimevalIsZero({ tv_sec: 0, tv_usec: 1 })).to.equal(false);
    expect(teventTimevalSet(3, 4)).to.deep.equal({ tv_sec: 3, tv_usec: 4 });
  });

  it("until is zero for a past time, borrows microseconds (checked against libtevent)", () => {
    expect(teventTimevalUntil({ tv_sec: 5, tv_usec: 0 }, { tv_sec: 3, tv_usec: 0 })).to.deep.equal({ tv_sec: 0, tv_usec: 0 });
    expect(teventTimevalUntil({ tv_sec: 1, tv_usec: 900000 }, { tv_sec: 3, tv_usec: 100000 }))
      .to.deep.equal({ tv_sec: 1, tv_usec: 200000 });
  });

  it("add carries microseconds (checked against libtevent: 1.999999 + 2s 3us = 4.000002)", () => {
    expect(teventTimevalAdd({ tv_sec: 1, tv_usec: 999999 }, 2, 3)).to.deep.equal({ tv_sec: 4, tv_usec: 2 });
  });

  it("current is the wall clock with microseconds; current_ofs adds", () => {
    const now = teventTimevalCurrent();
    expect(Math.abs(now.tv_sec * 1000 + now.tv_usec / 1000 - Date.now())).to.be.below(50);
    expect(now.tv_usec).to.be.within(0, 999999);
    const later = teventTimevalCurrentOfs(10, 0);
    expect(later.tv_sec - now.tv_sec).to.be.within(10, 11);
  });
});

describe("tevent context and loop (tevent.c, tevent_epoll.c)", () => {
  let ev: TeventContext;
  beforeEach(() => { ev = teventContextInit(null); });
  afterEach(() => { tallocFree(ev); });

  it("one loop_once runs one immediate, then one due timer; rescheduling moves an immediate to the end (checked against libtevent)", async () => {
    const log: string[] = [];
    teventSetTraceCallback(ev, (tp) => log.push(`  trace ${TP[tp]}`));
    const mem = tallocNew(null);
    teventAddTimer(ev, mem, teventTimevalZero(), (_e, _t, _now, p: string) => log.push(`timer ${p}`), "T1");
    teventAddTimer(ev, mem, teventTimevalCurrent(), (_e, _t, _now, p: string) => log.push(`timer ${p}`), "T2");
    const im = teventCreateImmediate(mem);
    const imh = (_e: TeventContext, _i: TeventImmediate, p: string): void => { log.push(`imm ${p}`); };
    teventScheduleImmediate(im, ev, imh, "I1");
    const im2 = teventCreateImmediate(mem);
    teventScheduleImmediate(im2, ev, imh, "I2");
    teventScheduleImmediate(im, ev, imh, "I1b");
    for (let i = 0; i < 4; i++) log.push(`loop_once ${await teventLoopOnce(ev)}`);
    expect(log).to.deep.equal([
      "  trace BEFORE_LOOP_ONCE", "imm I2", "  trace AFTER_LOOP_ONCE", "loop_once 0",
      "  trace BEFORE_LOOP_ONCE", "imm I1b", "  trace AFTER_LOOP_ONCE", "loop_once 0",
      "  trace BEFORE_LOOP_ONCE", "timer T1", "  trace AFTER_LOOP_ONCE", "loop_once 0",
      "  trace BEFORE_LOOP_ONCE", "timer T2", "  trace AFTER_LOOP_ONCE", "loop_once 0",
    ]);
    tallocFree(mem);
  });

  it("loop_wait returns 0 at once when there are no events (checked against libtevent)", async () => {
    expect(await teventLoopWait(ev)).to.equal(0);
  });

  it("loop_once on a context without events waits 30 s, tracing BEFORE/AFTER_WAIT (checked against libtevent)", async () => {
    const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    try {
      const log: string[] = [];
      teventSetTraceCallback(ev, (tp) => log.push(TP[tp]));
      let result: number | null = null;
      const p = teventLoopOnce(ev).then((r) => { result = r; });
      await clock.tickAsync(29999);
      expect(result).to.equal(null);
      await clock.tickAsync(1);
      await p;
      expect(result).to.equal(0);
      expect(log).to.deep.equal(["BEFORE_LOOP_ONCE", "BEFORE_WAIT", "AFTER_WAIT", "AFTER_LOOP_ONCE"]);
    } finally {
      clock.restore();
    }
  });

  it("a loop run from inside a handler fails with ELOOP (C aborts the process here)", async () => {
    const results: number[] = [];
    const pending: Promise<number>[] = [];
    const im = teventCreateImmediate(ev);
    teventScheduleImmediate(im, ev, (e) => {
      pending.push(teventLoopOnce(e));
    }, null);
    expect(await teventLoopOnce(ev)).to.equal(0);
    results.push(await pending[0]);
    expect(results).to.deep.equal([-1]);
    expect(getErrno()).to.equal(ELOOP);
  });

  it("timers run in deadline order, equal deadlines first come first served, zero timers first", async () => {
    const log: string[] = [];
    const base = teventTimevalCurrentOfs(0, 1000);
    const h = (_e: TeventContext, _t: TeventTimer, _n: Timeval, p: string): void => { log.push(p); };
    teventAddTimer(ev, null, teventTimevalAdd(base, 0, 2000), h, "late");
    teventAddTimer(ev, null, base, h, "a");
    teventAddTimer(ev, null, base, h, "b");
    teventAddTimer(ev, null, teventTimevalZero(), h, "z1");
    teventAddTimer(ev, null, teventTimevalZero(), h, "z2");
    const moved = teventAddTimer(ev, null, base, h, "moved") as TeventTimer;
    teventUpdateTimer(moved, teventTimevalAdd(base, 0, 500));
    const freed = teventAddTimer(ev, null, base, h, "freed");
    tallocFree(freed);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(log).to.deep.equal(["z1", "z2", "a", "b", "moved", "late"]);
  });

  it("a timer fires no earlier than its deadline on the real clock", async () => {
    const start = Date.now();
    let firedAt = 0;
    teventAddTimer(ev, null, teventTimevalCurrentOfs(0, 30000), () => { firedAt = Date.now(); }, null);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(firedAt - start).to.be.at.least(30);
  });

  it("zero timers get a zero current_time, others the current time (checked against libtevent)", async () => {
    const seen: boolean[] = [];
    teventAddTimer(ev, null, teventTimevalZero(), (_e, _t, now) => seen.push(teventTimevalIsZero(now)), null);
    teventAddTimer(ev, null, teventTimevalCurrent(), (_e, _t, now) => seen.push(teventTimevalIsZero(now)), null);
    await teventLoopWait(ev);
    expect(seen).to.deep.equal([true, false]);
  });

  it("a fired timer is freed after its handler; freeing it inside the handler returns -1 (checked against libtevent)", async () => {
    const log: string[] = [];
    const t1 = teventAddTimer(ev, ev, teventTimevalZero(), () => log.push("timer A"), null) as TeventTimer;
    const c1 = tallocSteal(t1, { n: "childA" });
    tallocSetDestructor(c1, (c) => { log.push(`child destructor ${c.n}`); });
    const t2 = teventAddTimer(ev, ev, teventTimevalZero(), (_e, te) => {
      log.push("timer F");
      log.push(`free self -> ${tallocFree(te)}`);
    }, null) as TeventTimer;
    const c2 = tallocSteal(t2, { n: "childF" });
    tallocSetDestructor(c2, (c) => { log.push(`child destructor ${c.n}`); });
    await teventLoopOnce(ev);
    await teventLoopOnce(ev);
    expect(log).to.deep.equal(["timer A", "child destructor childA", "timer F", "free self -> -1", "child destructor childF"]);
  });

  it("a timer created with a NULL mem_ctx is a child of the context (checked against libtevent)", () => {
    const te = teventAddTimer(ev, null, teventTimevalZero(), () => undefined, null);
    const log: string[] = [];
    tallocSteal(te, tallocSetDestructorReturning(log));
    tallocFree(ev);
    expect(log).to.deep.equal(["freed with the context"]);
    ev = teventContextInit(null);
  });

  it("immediates: NULL handler cancels, free inside the handler returns -1 then frees, reschedule from the handler (checked against libtevent)", async () => {
    const log: string[] = [];
    const i1 = teventCreateImmediate(ev);
    const child = tallocSteal(i1, { n: "childI" });
    tallocSetDestructor(child, (c) => { log.push(`child destructor ${c.n}`); });
    teventScheduleImmediate(i1, ev, (_e, im) => {
      log.push("imm F");
      log.push(`free in handler -> ${tallocFree(im)}`);
    }, null);
    const i2 = teventCreateImmediate(ev);
    teventScheduleImmediate(i2, ev, function h(e, im, p: string) {
      log.push(`imm ${p}`);
      if (p === "R") teventScheduleImmediate(im, e, h, "again");
    }, "R");
    const i3 = teventCreateImmediate(ev);
    teventScheduleImmediate(i3, ev, () => log.push("never"), null);
    teventScheduleImmediate(i3, ev, null);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(log).to.deep.equal(["imm F", "free in handler -> -1", "child destructor childI", "imm R", "imm again"]);
  });

  it("timer and immediate trace points (checked against libtevent)", async () => {
    const log: string[] = [];
    teventSetTraceTimerCallback(ev, (_te, tp) => log.push(`  trace timer ${ETP[tp]}`));
    teventSetTraceImmediateCallback(ev, (_im, tp) => log.push(`  trace imm ${ETP[tp]}`));
    const th = (_e: TeventContext, _t: TeventTimer, _n: Timeval, p: string): void => { log.push(`timer ${p}`); };
    const ih = (_e: TeventContext, _i: TeventImmediate, p: string): void => { log.push(`imm ${p}`); };
    log.push("add t1"); teventAddTimer(ev, ev, teventTimevalZero(), th, "A");
    log.push("add t2"); const t2 = teventAddTimer(ev, ev, teventTimevalCurrentOfs(100, 0), th, "B") as TeventTimer;
    log.push("update t2"); teventUpdateTimer(t2, teventTimevalCurrentOfs(200, 0));
    log.push("free t2"); tallocFree(t2);
    log.push("create im"); const im = teventCreateImmediate(ev);
    log.push("sched im"); teventScheduleImmediate(im, ev, ih, "I");
    log.push("resched im"); teventScheduleImmediate(im, ev, ih, "I2");
    log.push("loop"); await teventLoopOnce(ev);
    log.push("loop"); await teventLoopOnce(ev);
    log.push("sched im"); teventScheduleImmediate(im, ev, ih, "I3");
    log.push("cancel im"); teventScheduleImmediate(im, ev, null);
    log.push("sched im"); teventScheduleImmediate(im, ev, ih, "I4");
    log.push("free im"); tallocFree(im);
    expect(log).to.deep.equal([
      "add t1", "  trace timer ATTACH", "add t2", "  trace timer ATTACH",
      "update t2", "  trace timer DETACH", "  trace timer ATTACH", "free t2", "  trace timer DETACH",
      "create im", "sched im", "  trace imm ATTACH", "resched im", "  trace imm DETACH", "  trace imm ATTACH",
      "loop", "  trace imm BEFORE_HANDLER", "imm I2", "  trace imm DETACH",
      "loop", "  trace timer BEFORE_HANDLER", "timer A", "  trace timer DETACH",
      "sched im", "  trace imm ATTACH", "cancel im", "  trace imm DETACH", "sched im", "  trace imm ATTACH",
      "free im", "  trace imm DETACH",
    ]);
  });

  it("freeing the context detaches its events; the loop then fails with EINVAL", async () => {
    const mem = tallocNew(null);
    const im = teventCreateImmediate(mem);
    let ran = false;
    teventScheduleImmediate(im, ev, () => { ran = true; }, null);
    teventAddTimer(ev, mem, teventTimevalZero(), () => { ran = true; }, null);
    tallocFree(ev);
    setErrno(0);
    expect(await teventLoopOnce(ev)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(ran).to.equal(false);
    expect(tallocFree(mem)).to.equal(0);
    ev = teventContextInit(null);
  });

  it("loop_until stops when the condition holds", async () => {
    let n = 0;
    const im = teventCreateImmediate(ev);
    const h = (e: TeventContext, i: TeventImmediate): void => { n++; teventScheduleImmediate(i, e, h, null); };
    teventScheduleImmediate(im, ev, h, null);
    expect(await teventLoopUntil(ev, (limit: number) => n >= limit, 5)).to.equal(0);
    expect(n).to.equal(5);
    tallocFree(im);
  });

  it("a long synchronous run still lets Node run its timers", async () => {
    let nodeTimerRan = false;
    setTimeout(() => { nodeTimerRan = true; }, 1);
    const start = Date.now();
    const im = teventCreateImmediate(ev);
    const h = (e: TeventContext, i: TeventImmediate): void => {
      if (!nodeTimerRan && Date.now() - start < 2000) teventScheduleImmediate(i, e, h, null);
    };
    teventScheduleImmediate(im, ev, h, null);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(nodeTimerRan).to.equal(true);
  });

  it("init_byname knows the Linux backends", () => {
    expect(teventBackendList(null)).to.include("epoll");
    const e2 = teventContextInitByname(null, "poll");
    expect(e2).to.be.instanceOf(TeventContext);
    expect(teventContextInitByname(null, "nonsense")).to.equal(null);
    tallocFree(e2);
  });

  it("wrong argument types throw a TypeError", () => {
    expect(() => teventLoopOnce({} as TeventContext)).to.throw(TypeError);
    expect(() => teventAddTimer(ev, null, { tv_sec: 0 } as Timeval, () => undefined, null)).to.throw(TypeError);
  });

  it("loop_allow_nesting and set_abort_fn refuse a wrong argument with a TypeError that says which", () => {
    expect(() => teventLoopAllowNesting(null as unknown as TeventContext))
      .to.throw(TypeError, "teventLoopAllowNesting: ev must be a TeventContext");
    expect(() => teventLoopAllowNesting({} as TeventContext))
      .to.throw(TypeError, "teventLoopAllowNesting: ev must be a TeventContext");
    expect(() => teventSetAbortFn("abort" as unknown as (reason: string) => void))
      .to.throw(TypeError, "teventSetAbortFn: fn must be a function or null");
    expect(() => teventSetAbortFn(42 as unknown as (reason: string) => void))
      .to.throw(TypeError, "teventSetAbortFn: fn must be a function or null");
    teventSetAbortFn(null); /* still accepted: no abort function */
    teventLoopAllowNesting(ev);
    expect(ev.nestingAllowed).to.equal(true);
  });

  it("a freed context takes no timer (null, EBADF) and a freed immediate is not scheduled again (use after free)", async () => {
    const e2 = teventContextInit(null);
    tallocFree(e2);
    setErrno(0);
    expect(teventAddTimer(e2, null, teventTimevalZero(), () => undefined, null)).to.equal(null);
    expect(getErrno()).to.equal(EBADF);
    expect(e2.teHead).to.equal(null);
    let ran = 0;
    const im = teventCreateImmediate(null);
    tallocFree(im);
    teventScheduleImmediate(im, ev, () => { ran++; }, null);
    expect(ev.imHead).to.equal(null);
    expect(im.ev).to.equal(null);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(ran).to.equal(0);
  });
});

function tallocSetDestructorReturning(log: string[]): object {
  const o = {};
  tallocSetDestructor(o, () => { log.push("freed with the context"); });
  return o;
}

describe("tevent loop woken from outside", () => {
  it("an immediate or a timer added while the loop waits in Node is run without waiting for the old deadline", async () => {
    const ev = teventContextInit(null);
    const log: string[] = [];
    const t0 = Date.now();
    teventAddTimer(ev, ev, teventTimevalCurrentOfs(5, 0), () => log.push("late timer"), null);
    setTimeout(() => {
      const im = teventCreateImmediate(ev);
      teventScheduleImmediate(im, ev, (_e, i) => { log.push("immediate"); tallocFree(i); }, null);
      teventAddTimer(ev, ev, teventTimevalCurrentOfs(0, 1000), (e) => {
        log.push("early timer");
        tallocFree(e); /* ends the wait for the 5 s timer too */
      }, null);
    }, 5);
    expect(await teventLoopWait(ev)).to.equal(0);
    expect(log).to.deep.equal(["immediate", "early timer"]);
    expect(Date.now() - t0).to.be.below(2000);
  });
});

describe("timer and immediate tags: bad arguments", () => {
  it("set/get tag on something that is not a timer or an immediate, or a tag that is not a number: a TypeError", () => {
    const ev = teventContextInit(null);
    const te = teventAddTimer(ev, null, teventTimevalCurrentOfs(100, 0), () => undefined, null) as TeventTimer;
    const im = teventCreateImmediate(null);
    for (const bad of [null, undefined, {}, im]) {
      expect(() => teventTimerSetTag(bad as unknown as TeventTimer, 1))
        .to.throw(TypeError, "teventTimerSetTag: te must be a TeventTimer");
      expect(() => teventTimerGetTag(bad as unknown as TeventTimer))
        .to.throw(TypeError, "teventTimerGetTag: te must be a TeventTimer");
    }
    for (const bad of [null, undefined, {}, te]) {
      expect(() => teventImmediateSetTag(bad as unknown as TeventImmediate, 1))
        .to.throw(TypeError, "teventImmediateSetTag: im must be a TeventImmediate");
      expect(() => teventImmediateGetTag(bad as unknown as TeventImmediate))
        .to.throw(TypeError, "teventImmediateGetTag: im must be a TeventImmediate");
    }
    for (const tag of ["7", null, undefined, 7n, {}]) {
      expect(() => teventTimerSetTag(te, tag as unknown as number))
        .to.throw(TypeError, "teventTimerSetTag: tag must be a number");
      expect(() => teventImmediateSetTag(im, tag as unknown as number))
        .to.throw(TypeError, "teventImmediateSetTag: tag must be a number");
    }
    expect(teventTimerGetTag(te)).to.equal(0);
    expect(teventImmediateGetTag(im)).to.equal(0);
    teventTimerSetTag(te, 42);
    teventImmediateSetTag(im, 43);
    expect(teventTimerGetTag(te)).to.equal(42);
    expect(teventImmediateGetTag(im)).to.equal(43);
    tallocFree(im);
    tallocFree(ev);
  });
});

describe("API.md: objects with methods", () => {
  it("context, timer, immediate, fd and request methods do what the free functions do", async () => {
    const ev = teventContextInit(null);
    const log: string[] = [];
    const mem = tallocNew(null);
    const te = ev.addTimer(mem, teventTimevalCurrentOfs(100, 0), () => log.push("timer"), null) as TeventTimer;
    te.setTag(7);
    expect(te.getTag()).to.equal(7);
    te.update(teventTimevalZero());
    const im = teventCreateImmediate(mem);
    im.schedule(ev, () => log.push("imm"), null);
    im.setTag(3);
    expect(im.getTag()).to.equal(3);
    expect(ev.signalSupport()).to.equal(true);
    expect(await ev.loopWait()).to.equal(0);
    expect(log).to.deep.equal(["imm", "timer"]);
    const req = teventReqCreate(null, {});
    teventReqError(req, 5);
    expect(req.isUnixError()).to.deep.equal({ ret: true, perrno: 5 });
    expect(req.simpleRecvUnix()).to.equal(5);
    tallocFree(mem);
    tallocFree(ev);
  });
});
