// How a loop waits in Node (tevent/tevent.ts): one timer per context shared
// from wait to wait, a wait's full length kept when it reuses the timer of
// an earlier wait, and the process held only while a loop waits.

import { spawnSync } from "node:child_process";
import { expect } from "chai";
import * as sinon from "sinon";
import { tallocFree, tallocNew, TallocCtx, TeventContext, teventContextInit, teventLoopOnce,
         teventSetTraceCallback } from "../../index";
import { fdAddSource } from "../../tevent/fd";
import { FdSource, TEVENT_FD_READ } from "../../tevent/internal";

const TP = ["BEFORE_WAIT", "AFTER_WAIT", "BEFORE_LOOP_ONCE", "AFTER_LOOP_ONCE"];

/* a descriptor made readable by hand */
class HandSource implements FdSource {
  ready = false;
  notify: (() => void) | null = null;
  poll(): number { return this.ready ? TEVENT_FD_READ : 0; }
  watch(notify: () => void): void { this.notify = notify; }
  unwatch(): void { this.notify = null; }
  close(): void { /* nothing */ }
  arrive(): void {
    this.ready = true;
    if (this.notify !== null) this.notify();
  }
}

function nodeTurns(n: number): Promise<void> {
  return n === 0 ? Promise.resolve() : new Promise((r) => setImmediate(() => void nodeTurns(n - 1).then(r)));
}

describe("tevent loop waits (tevent.ts)", () => {
  let mem: TallocCtx;
  let ev: TeventContext;

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });

  afterEach(() => {
    tallocFree(mem);
  });

  it("a wait that reuses the timer of an earlier wait still lasts its full 30 s", async () => {
    const clock = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    try {
      const src = new HandSource();
      let handled = 0;
      fdAddSource(ev, mem, src, -1, TEVENT_FD_READ, () => { src.ready = false; handled++; }, null);
      const log: string[] = [];
      teventSetTraceCallback(ev, (tp) => log.push(TP[tp]));
      /* the first wait arms the timer at t=0 (due at t=30 s); I/O ends it at t=10 s */
      const p1 = teventLoopOnce(ev);
      await clock.tickAsync(10000);
      src.arrive();
      await nodeTurns(3);
      expect(await p1).to.equal(0);
      expect(handled).to.equal(1);
      /* the second wait starts at t=10 s: it ends at t=40 s, not when the timer fires at t=30 s */
      log.length = 0;
      let result: number | null = null;
      const p2 = teventLoopOnce(ev).then((r) => { result = r; });
      await clock.tickAsync(20000);
      await nodeTurns(2);
      expect(result).to.equal(null);
      await clock.tickAsync(9999);
      await nodeTurns(2);
      expect(result).to.equal(null);
      await clock.tickAsync(1);
      await p2;
      expect(result).to.equal(0);
      expect(handled).to.equal(1);
      expect(log).to.deep.equal(["BEFORE_LOOP_ONCE", "BEFORE_WAIT", "AFTER_WAIT", "AFTER_LOOP_ONCE"]);
    } finally {
      clock.restore();
    }
  });

  it("a wake takes the loop off ev.waiters at once; the iteration then handles the event", async () => {
    const src = new HandSource();
    let handled = 0;
    fdAddSource(ev, mem, src, -1, TEVENT_FD_READ, () => { src.ready = false; handled++; }, null);
    const p = teventLoopOnce(ev);
    await nodeTurns(2);
    expect(ev.waiters.length).to.equal(1);
    src.arrive();
    expect(ev.waiters.length).to.equal(0);
    expect(await p).to.equal(0);
    expect(handled).to.equal(1);
  });

  /* The process is held by a loop's wait only: run in a child process. */
  function child(body: string): { out: string; ms: number; status: number | null } {
    const index = require.resolve("../../index");
    const fd = require.resolve("../../tevent/fd");
    const script = `
      const t = require(${JSON.stringify(index)});
      const { fdAddSource } = require(${JSON.stringify(fd)});
      const ev = t.teventContextInit(null);
      let ready = false, notify = null, n = 0, boom = false;
      const src = { poll: () => (ready ? 1 : 0), watch: (f) => { notify = f; }, unwatch() {}, close() {} };
      fdAddSource(ev, null, src, -1, 1, () => { ready = false; n++; if (boom) throw new Error("boom"); }, null);
      const arrive = () => { ready = true; notify(); };
      ${body}`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20000 });
    return { out: r.stdout.trim(), ms: Date.now() - t0, status: r.status };
  }

  it("a waiting loop holds the process; once it has ended, its wait timer does not", function () {
    this.timeout(30000);
    /* two waits, woken by unref'd timers: only the loop's wait keeps the process */
    const a = child(`
      setTimeout(arrive, 50).unref();
      setTimeout(arrive, 150).unref();
      t.teventLoopUntil(ev, () => n >= 2, null).then((r) => console.log("done", r, n));`);
    expect(a.status).to.equal(0);
    expect(a.out).to.equal("done 0 2");
    expect(a.ms).to.be.below(10000);
    /* teventLoopOnce twice: the second wait takes up the timer the first left armed */
    const b = child(`
      setTimeout(arrive, 50).unref();
      (async () => {
        await t.teventLoopOnce(ev);
        setTimeout(arrive, 100).unref();
        await t.teventLoopOnce(ev);
        console.log("done", n);
      })();`);
    expect(b.status).to.equal(0);
    expect(b.out).to.equal("done 2");
    expect(b.ms).to.be.below(10000);
    /* a handler that throws after a wait rejects the loop, and lets the process go */
    const c = child(`
      boom = true;
      setTimeout(arrive, 50).unref();
      t.teventLoopUntil(ev, () => false, null).then(() => console.log("resolved"), (e) => console.log("rejected", e.message));`);
    expect(c.status).to.equal(0);
    expect(c.out).to.equal("rejected boom");
    expect(c.ms).to.be.below(10000);
  });
});
