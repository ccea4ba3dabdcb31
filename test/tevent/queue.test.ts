import { expect } from "chai";
import {
  tallocFree, TeventContext, TeventReq, teventContextInit, teventLoopOnce, teventLoopWait, teventQueueAdd, teventQueueAddEntry,
  teventQueueAddOptimizeEmpty, teventQueueCreate, teventQueueEntryUntrigger, teventQueueLength, teventQueueRunning,
  teventQueueStart, teventQueueStop, teventQueueWaitRecv, teventQueueWaitSend, teventReqCallbackData, teventReqCreate,
  teventReqDone, teventReqIsInProgress, teventReqSetCallback, teventSetTraceQueueCallback, TeventQueue,
} from "../../index";

const ETP = ["ATTACH", "DETACH", "BEFORE_HANDLER"];

describe("tevent_queue (tevent_queue.c)", () => {
  let ev: TeventContext;
  let log: string[];
  beforeEach(() => {
    ev = teventContextInit(null);
    log = [];
    teventSetTraceQueueCallback(ev, (_qe, tp) => log.push(`  trace queue ${ETP[tp]}`));
  });
  afterEach(() => { tallocFree(ev); });

  const trig = (_req: TeventReq, p: string): void => { log.push(`trigger ${p}`); };
  const trigDone = (req: TeventReq, p: string): void => { log.push(`trigger ${p} (done)`); teventReqDone(req); };
  const cb = (req: TeventReq): void => { log.push(`cb ${teventReqCallbackData(req)}`); tallocFree(req); };
  const newReq = (): TeventReq => teventReqCreate(ev, { x: 0 });

  it("triggers, callbacks, optimize_empty, untrigger, freeing entries and the queue, wait_send (checked against libtevent)", async () => {
    const q = teventQueueCreate(ev, "q");
    log.push(`len ${teventQueueLength(q)} running ${teventQueueRunning(q)}`);
    const [r1, r2, r3] = [newReq(), newReq(), newReq()];
    log.push("add r1"); teventQueueAdd(q, ev, r1, trigDone, "r1");
    log.push("add r2"); teventQueueAdd(q, ev, r2, trigDone, "r2");
    log.push("add r3"); teventQueueAdd(q, ev, r3, trigDone, "r3");
    teventReqSetCallback(r1, cb, "r1"); teventReqSetCallback(r2, cb, "r2"); teventReqSetCallback(r3, cb, "r3");
    log.push(`len ${teventQueueLength(q)}`);
    for (let i = 0; i < 3; i++) { log.push("loop"); await teventLoopOnce(ev); }
    log.push(`len ${teventQueueLength(q)}`);
    const r4 = newReq();
    log.push("add_optimize_empty r4"); const e4 = teventQueueAddOptimizeEmpty(q, ev, r4, trig, "r4");
    const r5 = newReq();
    log.push("add_optimize_empty r5 (not empty)"); teventQueueAddOptimizeEmpty(q, ev, r5, trig, "r5");
    log.push(`len ${teventQueueLength(q)}`);
    log.push("stop; untrigger e4"); teventQueueStop(q); teventQueueEntryUntrigger(e4);
    log.push("start"); teventQueueStart(q);
    log.push("loop"); await teventLoopOnce(ev);
    log.push("free r5 (queued, not triggered)"); tallocFree(r5);
    log.push(`len ${teventQueueLength(q)}`);
    const r6 = newReq();
    teventQueueAdd(q, ev, r6, trig, "r6");
    log.push("free r4 (triggered head)"); tallocFree(r4);
    log.push("loop"); await teventLoopOnce(ev);
    const r7 = newReq();
    teventQueueAdd(q, ev, r7, trig, "r7");
    log.push(`free queue len ${teventQueueLength(q)}`); tallocFree(q);
    log.push(`r6 still alive in_progress ${teventReqIsInProgress(r6)}`);
    const q2 = teventQueueCreate(ev, "q2");
    const b = newReq();
    teventQueueAdd(q2, ev, b, null, null);
    const w = teventQueueWaitSend(ev, ev, q2);
    teventReqSetCallback(w, cb, "wait");
    log.push("loop"); await teventLoopOnce(ev);
    log.push(`w in progress ${teventReqIsInProgress(w)}`);
    log.push("free blocker"); tallocFree(b);
    log.push("loop"); await teventLoopOnce(ev);
    expect(log).to.deep.equal([
      "len 0 running true",
      "add r1", "  trace queue ATTACH", "add r2", "  trace queue ATTACH", "add r3", "  trace queue ATTACH",
      "len 3",
      "loop", "  trace queue BEFORE_HANDLER", "trigger r1 (done)", "cb r1", "  trace queue DETACH",
      "loop", "  trace queue BEFORE_HANDLER", "trigger r2 (done)", "cb r2", "  trace queue DETACH",
      "loop", "  trace queue BEFORE_HANDLER", "trigger r3 (done)", "cb r3", "  trace queue DETACH",
      "len 0",
      "add_optimize_empty r4", "  trace queue ATTACH", "  trace queue BEFORE_HANDLER", "trigger r4",
      "add_optimize_empty r5 (not empty)", "  trace queue ATTACH",
      "len 2",
      "stop; untrigger e4", "start",
      "loop", "  trace queue BEFORE_HANDLER", "trigger r4",
      "free r5 (queued, not triggered)", "  trace queue DETACH",
      "len 1",
      "  trace queue ATTACH",
      "free r4 (triggered head)", "  trace queue DETACH",
      "loop", "  trace queue BEFORE_HANDLER", "trigger r6",
      "  trace queue ATTACH",
      "free queue len 2", "  trace queue DETACH", "  trace queue DETACH",
      "r6 still alive in_progress true",
      "  trace queue ATTACH", "  trace queue ATTACH",
      "loop", "  trace queue BEFORE_HANDLER",
      "w in progress true",
      "free blocker", "  trace queue DETACH",
      "loop", "  trace queue BEFORE_HANDLER", "cb wait", "  trace queue DETACH",
    ]);
    tallocFree(r6);
    tallocFree(r7);
  });

  it("optimize_empty does not trigger directly once a callback is set", async () => {
    const q = teventQueueCreate(ev, "q");
    const r = newReq();
    teventReqSetCallback(r, () => undefined, null);
    teventQueueAddOptimizeEmpty(q, ev, r, trig, "r");
    expect(log).to.deep.equal(["  trace queue ATTACH"]);
    await teventLoopOnce(ev);
    expect(log).to.deep.equal(["  trace queue ATTACH", "  trace queue BEFORE_HANDLER", "trigger r"]);
    tallocFree(q);
  });

  it("a stopped queue triggers nothing until started; add_entry returns the entry", async () => {
    const q = teventQueueCreate(ev, "q");
    teventQueueStop(q);
    const r = newReq();
    const e = teventQueueAddEntry(q, ev, r, trig, "r");
    expect(e.req).to.equal(r);
    expect(teventQueueRunning(q)).to.equal(false);
    expect(await teventLoopWait(ev)).to.equal(0); /* nothing scheduled: returns at once */
    expect(log).to.deep.equal(["  trace queue ATTACH"]);
    teventQueueStart(q);
    await teventLoopOnce(ev);
    expect(log.slice(1)).to.deep.equal(["  trace queue BEFORE_HANDLER", "trigger r"]);
    tallocFree(q);
  });

  it("untrigger on a running queue or a non-head entry is a programming error (C aborts)", () => {
    const q = teventQueueCreate(ev, "q");
    const e1 = teventQueueAddEntry(q, ev, newReq(), trig, "a");
    const e2 = teventQueueAddEntry(q, ev, newReq(), trig, "b");
    expect(() => teventQueueEntryUntrigger(e1)).to.throw(Error, /stopped/);
    teventQueueStop(q);
    expect(() => teventQueueEntryUntrigger(e2)).to.throw(Error, /head/);
    tallocFree(q);
  });

  it("wait_recv is true when the wait reached the head, and marks the request received", async () => {
    const q = teventQueueCreate(ev, "q");
    const w = teventQueueWaitSend(null, ev, q);
    let ok: boolean | null = null;
    teventReqSetCallback(w, (r) => { ok = teventQueueWaitRecv(r); }, null);
    await teventLoopOnce(ev);
    expect(ok).to.equal(true);
    expect(w.data).to.equal(null);
    tallocFree(w);
    tallocFree(q);
  });

  it("methods match the free functions", () => {
    const q: TeventQueue = teventQueueCreate(null, "m");
    expect(q.length()).to.equal(0);
    expect(q.running()).to.equal(true);
    q.stop();
    expect(q.running()).to.equal(false);
    expect(q.add(ev, newReq(), trig, "x")).to.equal(true);
    expect(q.length()).to.equal(1);
    tallocFree(q);
    expect(teventQueueLength(q)).to.equal(0);
  });
});
