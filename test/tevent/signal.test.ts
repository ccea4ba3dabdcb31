// Signal events (tevent_signal.c) over real process signals.
import { expect } from "chai";
import {
  EINVAL, getErrno, setErrno, SA_RESETHAND, tallocFree, tallocIsFreed, tallocNew, teventAddSignal,
  teventContextInit, teventCreateImmediate, teventLoopOnce, teventNumSignals, teventScheduleImmediate,
  teventSetTraceSignalCallback, teventSignalGetTag, teventSignalSetTag, teventSignalSupport,
  TeventContext, TeventSignal, TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER,
  TEVENT_EVENT_TRACE_DETACH,
} from "../../index";

const SIGUSR1 = 10;
const SIGUSR2 = 12;
const SIGKILL = 9;
const SIGSTOP = 19;

const TP = ["ATTACH", "DETACH", "BEFORE_HANDLER"];

/* Send sig to ourselves and wait until Node has run its process listeners. */
async function raise(sig: NodeJS.Signals, times = 1): Promise<void> {
  const seen = new Promise<void>((resolve) => {
    let n = 0;
    const l = (): void => {
      if (++n === times) {
        process.removeListener(sig, l);
        resolve();
      }
    };
    process.on(sig, l);
  });
  for (let i = 0; i < times; i++) process.kill(process.pid, sig);
  await seen;
}

describe("tevent signal events", () => {
  let ev: TeventContext;
  let base1: number;
  let base2: number;

  beforeEach(() => {
    ev = teventContextInit(null);
    base1 = process.listenerCount("SIGUSR1");
    base2 = process.listenerCount("SIGUSR2");
  });

  afterEach(() => {
    tallocFree(ev);
    expect(process.listenerCount("SIGUSR1")).to.equal(base1);
    expect(process.listenerCount("SIGUSR2")).to.equal(base2);
  });

  it("teventSignalSupport is true and teventNumSignals is libtevent's 68", () => {
    expect(teventSignalSupport(ev)).to.equal(true);
    expect(teventNumSignals()).to.equal(68);
  });

  it("calls the handler with (ev, se, signum, count, null, privateData)", async () => {
    const calls: unknown[][] = [];
    const pvt = { name: "pvt" };
    const se = teventAddSignal(ev, ev, SIGUSR1, 0, (e, s, signum, count, siginfo, p) => {
      calls.push([e, s, signum, count, siginfo, p]);
    }, pvt);
    expect(se).to.be.instanceOf(TeventSignal);
    await raise("SIGUSR1");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(calls).to.deep.equal([[ev, se, SIGUSR1, 1, null, pvt]]);
    expect(calls[0][0]).to.equal(ev);
    expect(calls[0][1]).to.equal(se);
    expect(calls[0][5]).to.equal(pvt);
  });

  it("counts deliveries that arrive before the loop runs (checked against libtevent)", async () => {
    /* C: kill() x3 of SIGUSR1 and x1 of SIGUSR2 before tevent_loop_once:
     * the newest SIGUSR1 handler first, each with count=3, then SIGUSR2 with 1 */
    const log: string[] = [];
    const h = (_e: TeventContext, _s: TeventSignal, signum: number, count: number, _si: null, p: string): void => {
      log.push(`${p} ${signum} ${count}`);
    };
    teventAddSignal(ev, ev, SIGUSR1, 0, h, "usr1");
    teventAddSignal(ev, ev, SIGUSR1, 0, h, "usr1b");
    teventAddSignal(ev, ev, SIGUSR2, 0, h, "usr2");
    await raise("SIGUSR1", 2);
    await raise("SIGUSR2");
    await raise("SIGUSR1");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal(["usr1b 10 3", "usr1 10 3", "usr2 12 1"]);
    /* counted once: a new delivery starts again at 1 */
    await raise("SIGUSR2");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log.slice(3)).to.deep.equal(["usr2 12 1"]);
  });

  it("runs signal handlers before immediates, one step per loop iteration (checked against libtevent)", async () => {
    const log: string[] = [];
    teventAddSignal(ev, ev, SIGUSR2, 0, (_e, _s, signum, count) => log.push(`signal ${signum} ${count}`), null);
    const im = teventCreateImmediate(ev);
    teventScheduleImmediate(im, ev, () => log.push("immediate"), null);
    await raise("SIGUSR2");
    log.push(`loop ${await teventLoopOnce(ev)}`);
    log.push(`loop ${await teventLoopOnce(ev)}`);
    expect(log).to.deep.equal(["signal 12 1", "loop 0", "immediate", "loop 0"]);
  });

  it("wakes a loop that waits for I/O when a signal arrives", async () => {
    const log: string[] = [];
    teventAddSignal(ev, ev, SIGUSR2, 0, (_e, _s, signum, count) => log.push(`signal ${signum} ${count}`), null);
    const loop = teventLoopOnce(ev);
    setTimeout(() => process.kill(process.pid, "SIGUSR2"), 10);
    expect(await loop).to.equal(0);
    expect(log).to.deep.equal(["signal 12 1"]);
  });

  it("SA_RESETHAND removes the handler after one delivery (checked against libtevent)", async () => {
    const log: string[] = [];
    teventSetTraceSignalCallback(ev, (se, tp) => log.push(`trace ${teventSignalGetTag(se)} ${TP[tp]}`));
    const se = teventAddSignal(ev, ev, SIGUSR2, SA_RESETHAND, (_e, _s, signum, count) => {
      log.push(`handler ${signum} ${count}`);
    }, null);
    expect(se).to.not.equal(null);
    teventSignalSetTag(se as TeventSignal, 2);
    expect(process.listenerCount("SIGUSR2")).to.equal(base2 + 1);
    await raise("SIGUSR2");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal(["trace 0 ATTACH", "trace 2 BEFORE_HANDLER", "handler 12 1", "trace 2 DETACH"]);
    expect(tallocIsFreed(se)).to.equal(true);
    expect(process.listenerCount("SIGUSR2")).to.equal(base2);
  });

  it("freeing the se removes Node's process listener only when the last one goes", () => {
    const mem = tallocNew(null);
    const a = teventAddSignal(ev, mem, SIGUSR1, 0, () => undefined, null);
    expect(process.listenerCount("SIGUSR1")).to.equal(base1 + 1);
    const b = teventAddSignal(ev, ev, SIGUSR1, 0, () => undefined, null);
    expect(process.listenerCount("SIGUSR1")).to.equal(base1 + 1);
    expect(tallocFree(a)).to.equal(0);
    expect(process.listenerCount("SIGUSR1")).to.equal(base1 + 1);
    expect(tallocFree(b)).to.equal(0);
    expect(process.listenerCount("SIGUSR1")).to.equal(base1);
    tallocFree(mem);
  });

  it("freeing the context detaches its signal events; the listener goes with the se (checked against libtevent)", () => {
    const log: string[] = [];
    const ev2 = teventContextInit(null);
    teventSetTraceSignalCallback(ev2, (se, tp, p) => log.push(`${p} ${teventSignalGetTag(se)} ${TP[tp]}`), "T");
    const mem = tallocNew(null);
    const a = teventAddSignal(ev2, mem, SIGUSR1, 0, () => undefined, null) as TeventSignal;
    teventSignalSetTag(a, 1);
    const b = teventAddSignal(ev2, mem, SIGUSR2, 0, () => undefined, null) as TeventSignal;
    teventSignalSetTag(b, 2);
    expect(process.listenerCount("SIGUSR1")).to.equal(base1 + 1);
    expect(tallocFree(ev2)).to.equal(0);
    expect(log).to.deep.equal(["T 0 ATTACH", "T 0 ATTACH", "T 2 DETACH", "T 1 DETACH"]);
    /* C keeps the process handler (sig_state) until the se itself is freed */
    expect(process.listenerCount("SIGUSR1")).to.equal(base1 + 1);
    expect(process.listenerCount("SIGUSR2")).to.equal(base2 + 1);
    expect(tallocFree(mem)).to.equal(0);
    expect(process.listenerCount("SIGUSR1")).to.equal(base1);
    expect(process.listenerCount("SIGUSR2")).to.equal(base2);
    expect(log.length).to.equal(4);
  });

  it("returns null with errno EINVAL for an invalid signal number, SIGKILL and SIGSTOP (checked against libtevent)", () => {
    for (const signum of [0, 65, 67, 68, 100, SIGKILL, SIGSTOP]) {
      setErrno(0);
      expect(teventAddSignal(ev, ev, signum, 0, () => undefined, null), `signal ${signum}`).to.equal(null);
      expect(getErrno(), `signal ${signum}`).to.equal(EINVAL);
    }
    expect(process.listenerCount("SIGKILL")).to.equal(0);
  });

  it("traces ATTACH, BEFORE_HANDLER and DETACH with the event and private data", async () => {
    const log: string[] = [];
    const events: unknown[] = [];
    teventSetTraceSignalCallback(ev, (se, tp, p) => {
      events.push(se);
      log.push(`${p} ${TP[tp]}`);
    }, "P");
    const se = teventAddSignal(ev, ev, SIGUSR1, 0, () => log.push("handler"), null);
    await raise("SIGUSR1");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(tallocFree(se)).to.equal(0);
    expect(log).to.deep.equal(["P ATTACH", "P BEFORE_HANDLER", "handler", "P DETACH"]);
    expect(events).to.deep.equal([se, se, se]);
  });

  it("a handler may free its own se: DETACH inside the handler, freed after it", async () => {
    const log: string[] = [];
    teventSetTraceSignalCallback(ev, (_se, tp) => log.push(TP[tp]));
    const se = teventAddSignal(ev, ev, SIGUSR2, 0, (_e, s) => {
      log.push(`free ${tallocFree(s)}`);
      log.push(`freed ${tallocIsFreed(s)}`);
    }, null);
    await raise("SIGUSR2");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal(["ATTACH", "BEFORE_HANDLER", "DETACH", "free -1", "freed false"]);
    expect(tallocIsFreed(se)).to.equal(true);
    expect(process.listenerCount("SIGUSR2")).to.equal(base2);
  });

  it("the first context to loop runs the handlers of every context (checked against libtevent)", async () => {
    /* C: sig_state is process-wide; tevent_loop_once(ev1) ran ev2's handler
     * (newest first) with ev2, then ev1's */
    const log: string[] = [];
    const ev2 = teventContextInit(null);
    try {
      teventAddSignal(ev, ev, SIGUSR1, 0, (e) => log.push(`ev1 handler ev=${e === ev ? "ev1" : "ev2"}`), null);
      teventAddSignal(ev2, ev2, SIGUSR1, 0, (e) => log.push(`ev2 handler ev=${e === ev2 ? "ev2" : "ev1"}`), null);
      await raise("SIGUSR1");
      expect(await teventLoopOnce(ev)).to.equal(0);
      expect(log).to.deep.equal(["ev2 handler ev=ev2", "ev1 handler ev=ev1"]);
    } finally {
      tallocFree(ev2);
    }
  });
});
