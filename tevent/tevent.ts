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
import { fdDispatchOne, fdNeedsSample, fdPruneReady, fdsDetachAll } from "./fd";
import { immediatesDetachAll, loopImmediate } from "./immediate";
import {
  checkContext, TeventContext, tracePoint,
  TEVENT_TRACE_AFTER_LOOP_ONCE, TEVENT_TRACE_AFTER_WAIT, TEVENT_TRACE_BEFORE_LOOP_ONCE,
  TEVENT_TRACE_BEFORE_WAIT,
} from "./internal";
import { checkSignals, signalsDetachAll } from "./signal";
import { loopTimerDelay, teventTimevalCurrent, timersDetachAll } from "./timed";

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
 * The timeout of a context's waits.  A loop waits and is woken thousands
 * of times a second (a ping-pong waits once per message): rather than a new
 * Node timer each time, one timer per context is re-armed (refresh) for the
 * next wait of the same length, and when the wait is woken it is only
 * unref'd (it no longer holds the process; if it still fires, nobody waits
 * on it and it does nothing).  A second loop waiting at the same time, or
 * another length, gets a timer of its own.
 */
interface WaitTimer {
  timer: NodeJS.Timeout;
  ms: number;
  /* the setTimeout that made it and its clearTimeout (a test may swap in fake timers) */
  made: typeof setTimeout;
  clear: typeof clearTimeout;
  /* what the timer ends now: the wait it was armed for, or null */
  expire: (() => void) | null;
}
const waitTimers = new WeakMap<TeventContext, WaitTimer>();

function waitTimerFire(wt: WaitTimer): void {
  const expire = wt.expire;
  if (expire === null) return;
  wt.expire = null;
  expire();
}

/* Wait in Node until woken (I/O, a signal) or ms pass.  Resolves true on wake. */
function waitInNode(ev: TeventContext, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const expire = (): void => {
      const i = ev.waiters.indexOf(wake);
      if (i >= 0) ev.waiters.splice(i, 1);
      resolve(false);
    };
    let wt = waitTimers.get(ev);
    let own: NodeJS.Timeout | null = null;
    if (wt !== undefined && wt.expire === null && wt.ms === ms && wt.made === setTimeout) {
      wt.expire = expire;
      wt.timer.ref();
      wt.timer.refresh();
    } else if (wt === undefined || wt.expire === null) {
      if (wt !== undefined) wt.clear.call(globalThis, wt.timer);
      const nwt: WaitTimer = {
        timer: null as unknown as NodeJS.Timeout, ms, made: setTimeout, clear: clearTimeout, expire,
      };
      nwt.timer = setTimeout(waitTimerFire, ms, nwt);
      waitTimers.set(ev, nwt);
      wt = nwt;
    } else {
      own = setTimeout(expire, ms);
    }
    const shared = own === null ? wt : null;
    /* Resume after Node's current I/O phase, so that everything that became
     * ready together (two signals, several sockets) is seen together, as
     * one epoll_wait() reports it. */
    function wake(): void {
      if (shared !== null) {
        if (shared.expire === expire) {
          shared.expire = null;
          shared.timer.unref();
        }
      } else {
        clearTimeout(own as NodeJS.Timeout);
      }
      setImmediate(resolve, true);
    }
    ev.waiters.push(wake);
  });
}

function yieldToNode(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function signalsPending(ev: TeventContext): boolean {
  return ev.sigPending !== null && ev.sigPending.size > 0;
}

/* The part of epoll_event_loop() that waits, then handles one event. */
/* Resolves to whether it handled an event (a loop woken only because
 * another loop of the context handled one did not). */
async function waitPhase(ev: TeventContext): Promise<boolean> {
  tracePoint(ev, TEVENT_TRACE_BEFORE_WAIT);
  let timedOut = false;
  let sampled = false;
  for (;;) {
    /* like epoll, report only descriptors that are ready now */
    if (!sampled && fdNeedsSample(ev)) {
      /* epoll_wait(0): a ready descriptor lacks a condition it asked for
       * (WRITE without READ): let Node read what the kernel has, so that
       * all its conditions are reported together, as epoll does */
      await yieldToNode();
      sampled = true;
    }
    fdPruneReady(ev);
    if (ev.readyHead !== null || signalsPending(ev) || ev.sigPipe) break;
    const gen = ev.generation;
    const woken = await waitInNode(ev, delayToMs(loopTimerDelayPeek(ev)));
    sampled = true;
    if (ev.freed) break;
    /* another loop of this context handled an event meanwhile: return, so
     * that our caller re-checks what it is waiting for */
    if (woken && ev.generation !== gen) break;
    /* work scheduled from outside the loop (a Node callback, another
     * async function) while it waited: end this wait so the loop runs it */
    if (ev.imHead !== null || (ev.teHead !== null && timerDue(ev))) {
      timedOut = ev.imHead === null;
      break;
    }
    if (!woken) {
      /* Node's millisecond timers may fire a little early: wait on until due */
      if (ev.teHead === null || timerDue(ev)) {
        timedOut = true;
        break;
      }
    }
  }
  tracePoint(ev, TEVENT_TRACE_AFTER_WAIT);
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

/*
 * One loop iteration.  Returns 0 when it finished synchronously, -1 on
 * error, or a Promise when it has to wait for Node.
 */
export function loopOnceInternal(ev: TeventContext): number | Promise<number> {
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
  return waitPhase(ev).then((did) => {
    /* only an iteration that handled something wakes the other loops:
     * two loops waking each other for nothing would spin */
    if (did) handled(ev);
    tracePoint(ev, TEVENT_TRACE_AFTER_LOOP_ONCE);
    return 0;
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

/* What runSome() returns besides loopOnceInternal's 0, -1 or Promise. */
const RUN_DONE = 1;
const RUN_MORE = 2;

/*
 * Up to YIELD_CHECK loop iterations that need no waiting, until done(arg)
 * holds: RUN_DONE, RUN_MORE after YIELD_CHECK of them, -1 on error, or the
 * Promise of an iteration that has to wait.  A plain function, called again
 * and again: its optimized code (where requests run) stays valid from one
 * runLoop call to the next, and the caller's functions are called, never
 * inlined into it (Function.prototype.call), so a new closure passed as
 * done does not invalidate it either.
 */
function runSome<A>(ev: TeventContext, done: (arg: A) => boolean, arg: A): number | Promise<number> {
  for (let n = 0; n < YIELD_CHECK; n++) {
    if (done.call(undefined, arg)) return RUN_DONE;
    if (ev.imHead !== null && ev.sigPending === null && ev.tracing.point.callback === null &&
        ev.nesting === 0 && !ev.freed) {
      /* the common case, one immediate, without the general path's checks */
      loopImmediate(ev);
      handled(ev);
      continue;
    }
    const r = loopOnceInternal(ev);
    if (r !== 0) return r;
  }
  return RUN_MORE;
}

/* Loop until done(arg) holds.  A long synchronous run yields to Node now
 * and then (signals and other Node work), which C's ordering cannot observe.
 * (done and its argument rather than a closure: one call less per event.) */
export async function runLoop<A>(ev: TeventContext, done: (arg: A) => boolean, arg: A): Promise<number> {
  let since = Date.now();
  if (ev.seHead !== null && ev.nesting === 0) await yieldToNode();
  for (;;) {
    const r = runSome(ev, done, arg);
    if (r === RUN_DONE) return 0;
    if (r === RUN_MORE) {
      if (Date.now() - since >= YIELD_AFTER_MS) {
        await yieldToNode();
        since = Date.now();
      }
      continue;
    }
    if (typeof r === "number") return r;
    const w = await r;
    since = Date.now();
    if (w !== 0) return w;
  }
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
