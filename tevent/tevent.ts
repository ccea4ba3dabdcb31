// tevent.c (+ the loop of tevent_epoll.c): the event context and its loop.
//
// The loop sits on Node's.  Handlers run only inside teventLoopOnce,
// teventLoopWait, teventLoopUntil and teventReqPoll.  One loop iteration
// does what one epoll_event_loop_once() does: pending signals, else one
// immediate, else one due timer, else wait for I/O (or the next timer) and
// handle one fd event.  Immediates and due timers are run synchronously; the
// loop yields to Node only when it has to wait, so a chain of requests runs
// at the speed of a JavaScript queue.
//
// Node delivers a signal only between its own callbacks, so a signal this
// process raised a moment ago is not known yet when a loop starts.  When
// signal events exist, each teventLoopOnce/Wait/Until and teventReqPoll
// call first lets Node run once, so that such a signal is handled first, as
// C's loop would (it checks its signal counters on entry).

import { ELOOP, EINVAL, setErrno } from "../lib/errno";
import { TallocCtx, tallocSetDestructor, tallocSteal } from "../lib/talloc";
import { fdDispatchOne, fdPruneOrSample, fdsDetachAll } from "./fd";
import { immediatesDetachAll, loopImmediate } from "./immediate";
import {
  checkContext, TeventContext, tracePoint,
  TEVENT_TRACE_AFTER_LOOP_ONCE, TEVENT_TRACE_AFTER_WAIT, TEVENT_TRACE_BEFORE_LOOP_ONCE,
  TEVENT_TRACE_BEFORE_WAIT,
} from "./internal";
import { checkSignals, signalsDetachAll } from "./signal";
import { loopTimerDelay, nowUsec, teventTimevalCurrent, timersDetachAll } from "./timed";

export { TeventContext };

/* tevent_backend_list()'s order on Linux */
const BACKENDS = ["standard", "epoll", "poll_mt", "poll"];

let abortFn: ((reason: string) => void) | null = null;

/** tevent_set_abort_fn(): called (instead of aborting) on a fatal misuse such as a nested loop. */
export function teventSetAbortFn(fn: ((reason: string) => void) | null): void {
  if (fn !== null && fn !== undefined && typeof fn !== "function") {
    throw new TypeError("teventSetAbortFn: fn must be a function or null");
  }
  abortFn = fn ?? null;
}

/* tevent_abort(): C aborts the process unless an abort fn is set; a
 * JavaScript library must not, so it reports and lets the caller fail. */
function teventAbort(reason: string): void {
  if (abortFn !== null) abortFn(reason);
}

/* tevent_common_context_destructor(): events outlive the context, detached. */
function contextDestructor(ev: TeventContext): number {
  ev.freed = true;
  fdsDetachAll(ev);
  timersDetachAll(ev);
  immediatesDetachAll(ev);
  signalsDetachAll(ev);
  ev.wake();
  return 0;
}

/** tevent_context_init(): a new event context, child of memCtx. */
export function teventContextInit(memCtx: TallocCtx): TeventContext {
  const ev = new TeventContext();
  if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, ev);
  tallocSetDestructor(ev, contextDestructor);
  return ev;
}

/** tevent_context_init_byname(): every Linux backend name is accepted; they behave alike. */
export function teventContextInitByname(memCtx: TallocCtx, name: string | null): TeventContext | null {
  /* NULL: the default backend */
  if (name !== null && name !== undefined && !BACKENDS.includes(name)) return null;
  return teventContextInit(memCtx);
}

/** tevent_backend_list() */
export function teventBackendList(memCtx: TallocCtx): string[] {
  return tallocSteal(memCtx, BACKENDS.slice());
}

/** tevent_signal_support() */
export function teventSignalSupport(ev: TeventContext): boolean {
  checkContext(ev, "teventSignalSupport");
  return true;
}

/** tevent_loop_allow_nesting() (deprecated in C, as here). */
export function teventLoopAllowNesting(ev: TeventContext): void {
  checkContext(ev, "teventLoopAllowNesting");
  ev.nestingAllowed = true;
}

/* tevent_common_have_events() */
export function haveEvents(ev: TeventContext): boolean {
  return ev.fdHead !== null || ev.teHead !== null || ev.imHead !== null || ev.seHead !== null;
}

function delayToMs(tv: { tv_sec: number; tv_usec: number }): number {
  /* round up, as epoll_wait's timeout is computed in C */
  return tv.tv_sec * 1000 + Math.ceil(tv.tv_usec / 1000);
}

/*
 * How a loop waits.  A loop waits and is woken thousands of times a second
 * (a ping-pong waits once per message), so a wait allocates nothing of its
 * own (Node's setImmediate aside): each running loop is one LoopRun, made
 * when the loop first has to wait, that registers the same wake function
 * in ev.waiters at every wait and continues from Node's callbacks (no
 * Promise per wait; the loop's own Promise settles once, when it ends).
 *
 * The timeout of a wait: one Node timer per context, shared by the waits
 * of its loops one at a time.  A wait of the same length as the one the
 * timer is armed for keeps it as it is: it fires no later than the new
 * deadline, and when it fires for a wait it was not armed for, the rest of
 * that wait is armed then (once per timer length at most).  A woken wait
 * leaves the timer ref'd until its loop ends, so that a loop that waits
 * again does not toggle it; if the timer fires meanwhile, nobody waits on
 * it and it does nothing.  A second loop waiting at the same time, or a
 * timer made by other setTimeout (a test's fake timers), gets a timer of
 * its own.
 */
class WaitTimer {
  timer: NodeJS.Timeout;
  ms: number;
  /* the timer is pending (not fired, not cleared) */
  armed = true;
  /* the timer holds the process (Timeout.ref) */
  refed = true;
  /* the setTimeout that made it and its clearTimeout (a test may swap in fake timers) */
  readonly made: typeof setTimeout;
  readonly clear: typeof clearTimeout;
  /* the wait it ends now, or null; and the wait it was armed for */
  waiter: LoopRun | null = null;
  armedFor: LoopRun | null = null;
  constructor(ms: number, run: LoopRun) {
    this.ms = ms;
    this.made = setTimeout;
    this.clear = clearTimeout;
    this.waiter = run;
    this.armedFor = run;
    this.timer = setTimeout(waitTimerFire, ms, this);
  }
}

function waitTimerFire(wt: WaitTimer): void {
  wt.armed = false;
  const run = wt.waiter;
  if (run === null) return;
  if (wt.armedFor !== run) {
    /* armed for an earlier wait of the same length: this one may not be due */
    const restUs = run.deadlineUs - nowUsec();
    if (restUs > 0) {
      const ms = Math.ceil(restUs / 1000);
      wt.clear.call(globalThis, wt.timer);
      wt.timer = wt.made.call(globalThis, () => waitTimerFire(wt), ms);
      wt.ms = ms;
      wt.armed = true;
      wt.refed = true;
      wt.armedFor = run;
      return;
    }
  }
  wt.waiter = null;
  run.expire();
}

const RESOLVED = Promise.resolve();

function yieldToNode(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function signalsPending(ev: TeventContext): boolean {
  return ev.sigPending !== null && ev.sigPending.size > 0;
}

/*
 * A loop in progress that has had to wait at least once: teventLoopOnce's
 * iteration (done null), or runLoop's loop until done(arg).  Its methods
 * are the steps of epoll_event_loop_once(), run from Node's callbacks.
 */
class LoopRun {
  /* the wait phase: its state across Node callbacks */
  timedOut = false;
  sampled = false;
  gen = 0;
  waiting = false;
  deadlineUs = 0;
  own: NodeJS.Timeout | null = null;
  did = false;
  since = 0;
  syncEnd = false;
  /* made once: what is called back at every wait (the rarer callbacks
   * are plain functions given the run as their argument) */
  readonly wakeFn = (): void => this.wake();
  readonly wokenFn = (): void => this.resume(true);
  readonly iterEndFn = (): void => this.guard(LoopRun.prototype.iterEnd);

  constructor(readonly ev: TeventContext, readonly done: ((arg: unknown) => boolean) | null,
              readonly arg: unknown, readonly resolve: (r: number) => void,
              readonly reject: (e: unknown) => void) {}

  /* a step run from a Node callback: a throw (a handler's) ends the loop with it */
  guard(fn: (this: LoopRun) => void): void {
    try {
      fn.call(this);
    } catch (e) {
      this.fail(e);
    }
  }

  fail(e: unknown): void {
    this.finish();
    this.reject(e);
  }

  /* the loop ended: a shared wait timer this loop left ref'd no longer holds the process */
  finish(): void {
    const wt = this.ev.waitTimer as WaitTimer | null;
    if (wt !== null && wt.refed && wt.waiter === null) {
      wt.refed = false;
      wt.timer.unref();
    }
  }

  /* runLoop: iterations until done(arg) holds */
  step(): void {
    const ev = this.ev;
    const done = this.done as (arg: unknown) => boolean;
    for (;;) {
      const r = runSome(ev, done, this.arg);
      if (r === RUN_DONE || r === -1) {
        this.finish();
        this.resolve(r === RUN_DONE ? 0 : -1);
        return;
      }
      if (r === RUN_MORE) {
        if (Date.now() - this.since >= YIELD_AFTER_MS) {
          setImmediate(runYielded, this);
          return;
        }
        continue;
      }
      /* ITER_WAIT */
      this.waitBegin();
      return;
    }
  }

  /* The part of epoll_event_loop() that waits, then handles one event. */
  waitBegin(): void {
    tracePoint(this.ev, TEVENT_TRACE_BEFORE_WAIT);
    this.timedOut = false;
    this.sampled = false;
    this.check();
  }

  check(): void {
    const ev = this.ev;
    /* like epoll, report only descriptors that are ready now */
    if (fdPruneOrSample(ev, !this.sampled)) {
      /* epoll_wait(0): a ready descriptor lacks a condition it asked for
       * (WRITE without READ): let Node read what the kernel has, so that
       * all its conditions are reported together, as epoll does */
      this.sampled = true;
      /* (two hops: from a microtask after an I/O callback, one would run
       * before Node polls again) */
      setImmediate(runSampleHop, this);
      return;
    }
    if (ev.readyHead !== null || signalsPending(ev) || ev.sigPipe) {
      this.waitEnd();
      return;
    }
    this.gen = ev.generation;
    /* epoll_wait's timeout: the first timer's, 30 s when none */
    this.waitInNode(ev.teHead === null ? 30000 : delayToMs(loopTimerDelayPeek(ev)));
  }

  /* Wait in Node until woken (I/O, a signal) or ms pass. */
  waitInNode(ms: number): void {
    const ev = this.ev;
    this.deadlineUs = nowUsec() + ms * 1000;
    let wt = ev.waitTimer as WaitTimer | null;
    if (wt !== null && wt.waiter === null && wt.ms === ms && wt.made === setTimeout) {
      wt.waiter = this;
      if (!wt.refed) {
        wt.refed = true;
        wt.timer.ref();
      }
      if (!wt.armed) {
        wt.armed = true;
        wt.armedFor = this;
        wt.timer.refresh();
      } else {
        /* still armed for an earlier wait: it fires no later than this one's deadline */
        wt.armedFor = null;
      }
    } else if (wt === null || wt.waiter === null) {
      if (wt !== null) wt.clear.call(globalThis, wt.timer);
      wt = new WaitTimer(ms, this);
      ev.waitTimer = wt;
    } else {
      this.own = setTimeout(runExpireOwn, ms, this);
    }
    this.waiting = true;
    ev.waiters.push(this.wakeFn);
  }

  /* Resume once the Node callback that woke us has returned (a microtask:
   * not inside a backend's callback, before Node's next one).  C's loop
   * handles one descriptor per epoll_wait() and polls again, so a socket
   * Node reports later in the same I/O phase is handled in a later
   * iteration either way.  Signals are the exception: C runs every pending
   * signal in one pass, so a signal's wake resumes after Node's I/O phase,
   * where two signals raised together are seen together.  A backend may
   * hold the wake to the end of its Node callback instead (loopWakesHold).
   * (ev.wake() has taken us off ev.waiters.) */
  wake(): void {
    if (!this.waiting) return;
    this.waiting = false;
    if (this.own !== null) {
      clearTimeout(this.own);
      this.own = null;
    } else {
      const wt = this.ev.waitTimer as WaitTimer | null;
      if (wt !== null && wt.waiter === this) wt.waiter = null;
    }
    const ev = this.ev;
    if (signalsPending(ev) || ev.sigPipe) setImmediate(this.wokenFn);
    else if (holdingWakes) wakesHeld.push(this);
    else void RESOLVED.then(this.wokenFn);
  }

  /* woken from the end of a backend's Node callback (loopWakesRelease):
   * the iteration runs on now, to its end when it handles nothing there */
  resumeNow(): void {
    this.syncEnd = true;
    this.resume(true);
    this.syncEnd = false;
  }

  /* the wait's time passed (from its timer's callback) */
  expire(): void {
    if (!this.waiting) return;
    this.waiting = false;
    const w = this.ev.waiters;
    const i = w.indexOf(this.wakeFn);
    if (i >= 0) w.splice(i, 1);
    this.resume(false);
  }

  resume(woken: boolean): void {
    try {
      this.waited(woken);
    } catch (e) {
      this.fail(e);
    }
  }

  waited(woken: boolean): void {
    const ev = this.ev;
    this.sampled = true;
    if (ev.freed ||
        /* another loop of this context handled an event meanwhile: return, so
         * that our caller re-checks what it is waiting for */
        (woken && ev.generation !== this.gen)) {
      this.waitEnd();
      return;
    }
    /* work scheduled from outside the loop (a Node callback, another
     * async function) while it waited: end this wait so the loop runs it */
    if (ev.imHead !== null || (ev.teHead !== null && timerDue(ev))) {
      this.timedOut = ev.imHead === null;
      this.waitEnd();
      return;
    }
    /* Node's millisecond timers may fire a little early: wait on until due */
    if (!woken && (ev.teHead === null || timerDue(ev))) {
      this.timedOut = true;
      this.waitEnd();
      return;
    }
    this.check();
  }

  waitEnd(): void {
    const ev = this.ev;
    tracePoint(ev, TEVENT_TRACE_AFTER_WAIT);
    this.did = dispatchAfterWait(ev, this.timedOut);
    if (this.syncEnd) {
      this.syncEnd = false;
      /* no handler ran: no promise reactions of its to wait for */
      if (!this.did) {
        this.iterEnd();
        return;
      }
    }
    /* the rest of the iteration after the handler's promise reactions, as
     * when the loop awaited the wait phase */
    void RESOLVED.then(this.iterEndFn); /* (Node's queueMicrotask costs an AsyncResource) */
  }

  iterEnd(): void {
    const ev = this.ev;
    /* only an iteration that handled something wakes the other loops:
     * two loops waking each other for nothing would spin */
    if (this.did) handled(ev);
    tracePoint(ev, TEVENT_TRACE_AFTER_LOOP_ONCE);
    if (this.done === null) {
      this.finish();
      this.resolve(0);
      return;
    }
    this.since = Date.now();
    this.step();
  }
}

/*
 * Wakes held by a backend's Node I/O callback (loopWakesHold) until its end
 * (loopWakesRelease), where the loops resume at once: a stream's reader
 * then knows the caller's next buffer before Node picks its next read
 * buffer.  Nothing of the program's runs in between either way (the
 * microtask would have been the first after that callback); only Node's
 * own bookkeeping of the callback now comes after the loops, not before.
 */
let holdingWakes = false;
const wakesHeld: LoopRun[] = [];

/** @internal Hold the wakes of the loops until loopWakesRelease(). */
export function loopWakesHold(): void {
  holdingWakes = true;
}

/** @internal Resume the loops woken since loopWakesHold(): now (now true) or from a microtask. */
export function loopWakesRelease(now: boolean): void {
  holdingWakes = false;
  /* (nothing is held while they run: a wake they cause resumes from a microtask) */
  for (let i = 0; i < wakesHeld.length; i++) {
    if (now) wakesHeld[i].resumeNow();
    else void RESOLVED.then(wakesHeld[i].wokenFn);
  }
  wakesHeld.length = 0;
}

function runSampleHop(run: LoopRun): void {
  setImmediate(runSampled, run);
}

function runSampled(run: LoopRun): void {
  run.guard(LoopRun.prototype.check);
}

function runYielded(run: LoopRun): void {
  run.since = Date.now();
  run.guard(LoopRun.prototype.step);
}

function runExpireOwn(run: LoopRun): void {
  run.own = null;
  run.expire();
}

/* After the wait: handle one event.  Returns whether it handled one (a
 * loop woken only because another loop of the context handled one did not). */
function dispatchAfterWait(ev: TeventContext, timedOut: boolean): boolean {
  if (ev.freed) return false;
  if (signalsPending(ev) && checkSignals(ev)) return true;
  if (ev.sigPipe) {
    /* signal_pipe_handler(): only drains the pipe; nothing else runs */
    ev.sigPipe = false;
    return true;
  }
  if (fdDispatchOne(ev)) return true;
  /* timed out: the due timer runs in this same iteration, as in C */
  if (timedOut && ev.teHead !== null) return loopTimerDelay(ev) === null;
  return false;
}

/* How long until the first timer, without running it (30 s when none). */
function loopTimerDelayPeek(ev: TeventContext): { tv_sec: number; tv_usec: number } {
  const te = ev.teHead;
  if (te === null) return { tv_sec: 30, tv_usec: 0 };
  if (te.nextEvent.tv_sec === 0 && te.nextEvent.tv_usec === 0) return { tv_sec: 0, tv_usec: 0 };
  const nowTv = teventTimevalCurrent();
  let sec = te.nextEvent.tv_sec - nowTv.tv_sec;
  let usec = te.nextEvent.tv_usec - nowTv.tv_usec;
  if (usec < 0) { sec--; usec += 1000000; }
  if (sec < 0) return { tv_sec: 0, tv_usec: 0 };
  return { tv_sec: sec, tv_usec: usec };
}

function timerDue(ev: TeventContext): boolean {
  const d = loopTimerDelayPeek(ev);
  return d.tv_sec === 0 && d.tv_usec === 0;
}

/* An iteration ended: other loops of this context waiting in Node must
 * re-check their conditions (teventReqPoll beside teventLoopWait, say). */
function handled(ev: TeventContext): void {
  ev.generation++;
  if (ev.waiters.length !== 0) ev.wake();
}

/* What iterStart() returns when the iteration has to go to its wait phase. */
const ITER_WAIT = 3;

/*
 * The start of one loop iteration: 0 when it ran an event (or failed,
 * -1), ITER_WAIT when nothing is runnable without the wait phase
 * (TEVENT_TRACE_BEFORE_LOOP_ONCE is traced then).
 */
function iterStart(ev: TeventContext): number {
  if (ev.freed) {
    setErrno(EINVAL);
    return -1;
  }
  if (ev.nesting > 0 && !ev.nestingAllowed) {
    /* C aborts here (tevent_abort_nesting); report and fail instead */
    teventAbort("tevent_loop_once() nesting");
    setErrno(ELOOP);
    return -1;
  }
  tracePoint(ev, TEVENT_TRACE_BEFORE_LOOP_ONCE);
  if ((signalsPending(ev) && checkSignals(ev)) ||
      (ev.imHead !== null && loopImmediate(ev)) ||
      (ev.teHead !== null && loopTimerDelay(ev) === null)) {
    handled(ev);
    tracePoint(ev, TEVENT_TRACE_AFTER_LOOP_ONCE);
    return 0;
  }
  return ITER_WAIT;
}

/*
 * One loop iteration.  Returns 0 when it finished synchronously, -1 on
 * error, or a Promise when it has to wait for Node.
 */
export function loopOnceInternal(ev: TeventContext): number | Promise<number> {
  const r = iterStart(ev);
  if (r !== ITER_WAIT) return r;
  return new Promise<number>((resolve, reject) => {
    new LoopRun(ev, null, null, resolve, reject).waitBegin();
  });
}

/**
 * tevent_loop_once(): run one event (waiting for it if needed).
 * Resolves to 0, or -1 with getErrno() set (ELOOP when called from a handler).
 */
export function teventLoopOnce(ev: TeventContext): Promise<number> {
  if (!(ev instanceof TeventContext)) throw new TypeError("teventLoopOnce: ev must be a TeventContext");
  if (ev.seHead !== null && ev.nesting === 0) {
    return yieldToNode().then(() => loopOnceInternal(ev));
  }
  try {
    const r = loopOnceInternal(ev);
    return typeof r === "number" ? Promise.resolve(r) : r;
  } catch (e) {
    return Promise.reject(e);
  }
}

const YIELD_CHECK = 1024;
const YIELD_AFTER_MS = 20;

/* What runSome() returns besides iterStart's 0, -1 or ITER_WAIT. */
const RUN_DONE = 1;
const RUN_MORE = 2;

/*
 * Up to YIELD_CHECK loop iterations that need no waiting, until done(arg)
 * holds: RUN_DONE, RUN_MORE after YIELD_CHECK of them, -1 on error, or
 * ITER_WAIT when an iteration has to go to its wait phase.  A plain
 * function, called again and again: its optimized code (where requests
 * run) stays valid from one runLoop call to the next, and the caller's
 * functions are called, never inlined into it (Function.prototype.call),
 * so a new closure passed as done does not invalidate it either.
 */
function runSome<A>(ev: TeventContext, done: (arg: A) => boolean, arg: A): number {
  for (let n = 0; n < YIELD_CHECK; n++) {
    if (done.call(undefined, arg)) return RUN_DONE;
    if (ev.imHead !== null && ev.sigPending === null && ev.tracing.point.callback === null &&
        ev.nesting === 0 && !ev.freed) {
      /* the common case, one immediate, without the general path's checks */
      loopImmediate(ev);
      handled(ev);
      continue;
    }
    const r = iterStart(ev);
    if (r !== 0) return r;
  }
  return RUN_MORE;
}

/* Loop until done(arg) holds.  A long synchronous run yields to Node now
 * and then (signals and other Node work), which C's ordering cannot observe.
 * (done and its argument rather than a closure: one call less per event.) */
export function runLoop<A>(ev: TeventContext, done: (arg: A) => boolean, arg: A): Promise<number> {
  const since = Date.now();
  if (ev.seHead === null || ev.nesting !== 0) {
    /* what needs no waiting runs now, without a LoopRun */
    let r: number;
    try {
      r = runSome(ev, done, arg);
    } catch (e) {
      return Promise.reject(e);
    }
    if (r === RUN_DONE) return Promise.resolve(0);
    if (r === -1) return Promise.resolve(-1);
    return new Promise<number>((resolve, reject) => {
      const run = new LoopRun(ev, done as (arg: unknown) => boolean, arg, resolve, reject);
      run.since = since;
      if (r === ITER_WAIT) run.waitBegin();
      else if (Date.now() - since >= YIELD_AFTER_MS) setImmediate(runYielded, run);
      else run.step();
    });
  }
  return new Promise<number>((resolve, reject) => {
    const run = new LoopRun(ev, done as (arg: unknown) => boolean, arg, resolve, reject);
    /* signal events: let Node deliver a signal raised a moment ago first */
    setImmediate(runYielded, run);
  });
}

function noEvents(ev: TeventContext): boolean {
  return !haveEvents(ev);
}

/**
 * tevent_loop_until(): run events until finished(privateData) is true.
 * Resolves to 0, or -1 on error.
 */
export function teventLoopUntil<P>(ev: TeventContext, finished: (privateData: P) => boolean,
                                   privateData: P): Promise<number> {
  if (!(ev instanceof TeventContext)) throw new TypeError("teventLoopUntil: ev must be a TeventContext");
  if (typeof finished !== "function") throw new TypeError("teventLoopUntil: finished must be a function");
  return runLoop(ev, finished, privateData);
}

/**
 * tevent_loop_wait(): run events until none is left (fd, timer,
 * immediate or signal).  Resolves to 0, or -1 on error.
 */
export function teventLoopWait(ev: TeventContext): Promise<number> {
  if (!(ev instanceof TeventContext)) throw new TypeError("teventLoopWait: ev must be a TeventContext");
  return runLoop(ev, noEvents, ev);
}
