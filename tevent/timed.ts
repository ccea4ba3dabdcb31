// tevent_timed.c: the tevent_timeval_* helpers and timer events.

import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal } from "../lib/talloc";
import { EBADF, setErrno } from "../lib/errno";
import { Timeval } from "../lib/types";
import {
  checkTag, checkContext, checkFunction, TeventContext, TeventTimer, TeventTimerHandler, traceEvent,
  TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER, TEVENT_EVENT_TRACE_DETACH,
} from "./internal";

/* The clock: wall time with microseconds, monotonic within the process. */
const ORIGIN_US = Math.round(performance.timeOrigin * 1000);

/** Microseconds since the epoch, now. */
export function nowUsec(): number {
  return ORIGIN_US + Math.floor(performance.now() * 1000);
}

function checkTv(tv: unknown, fn: string): asserts tv is Timeval {
  if (tv === null || typeof tv !== "object" ||
      typeof (tv as Timeval).tv_sec !== "number" || typeof (tv as Timeval).tv_usec !== "number") {
    throw new TypeError(`${fn}: a Timeval { tv_sec, tv_usec } is required`);
  }
}

/** tevent_timeval_compare(): -1, 0 or 1. */
export function teventTimevalCompare(tv1: Timeval, tv2: Timeval): number {
  checkTv(tv1, "teventTimevalCompare");
  checkTv(tv2, "teventTimevalCompare");
  if (tv1.tv_sec > tv2.tv_sec) return 1;
  if (tv1.tv_sec < tv2.tv_sec) return -1;
  if (tv1.tv_usec > tv2.tv_usec) return 1;
  if (tv1.tv_usec < tv2.tv_usec) return -1;
  return 0;
}

/** tevent_timeval_zero() */
export function teventTimevalZero(): Timeval {
  return { tv_sec: 0, tv_usec: 0 };
}

/** tevent_timeval_current(): gettimeofday(). */
export function teventTimevalCurrent(): Timeval {
  const us = nowUsec();
  return { tv_sec: Math.floor(us / 1e6), tv_usec: us % 1e6 };
}

/** tevent_timeval_set() (arguments are uint32_t, as in C). */
export function teventTimevalSet(secs: number, usecs: number): Timeval {
  return { tv_sec: secs >>> 0, tv_usec: usecs >>> 0 };
}

/** tevent_timeval_until(): the interval from tv1 to tv2, zero if tv2 is not later. */
export function teventTimevalUntil(tv1: Timeval, tv2: Timeval): Timeval {
  if (teventTimevalCompare(tv1, tv2) >= 0) return teventTimevalZero();
  let sec = tv2.tv_sec - tv1.tv_sec;
  let usec: number;
  if (tv1.tv_usec > tv2.tv_usec) {
    sec--;
    usec = 1000000 - (tv1.tv_usec - tv2.tv_usec);
  } else {
    usec = tv2.tv_usec - tv1.tv_usec;
  }
  return { tv_sec: sec, tv_usec: usec };
}

/** tevent_timeval_is_zero() */
export function teventTimevalIsZero(tv: Timeval): boolean {
  checkTv(tv, "teventTimevalIsZero");
  return tv.tv_sec === 0 && tv.tv_usec === 0;
}

/** tevent_timeval_add() (secs and usecs are uint32_t). */
export function teventTimevalAdd(tv: Timeval, secs: number, usecs: number): Timeval {
  checkTv(tv, "teventTimevalAdd");
  let sec = tv.tv_sec + (secs >>> 0);
  let usec = tv.tv_usec + (usecs >>> 0);
  /* C's integer division and % truncate toward zero */
  sec += Math.trunc(usec / 1000000);
  usec = usec % 1000000;
  return { tv_sec: sec, tv_usec: usec };
}

/** tevent_timeval_current_ofs() */
export function teventTimevalCurrentOfs(secs: number, usecs: number): Timeval {
  if (typeof secs !== "number" || typeof usecs !== "number") {
    throw new TypeError("teventTimevalCurrentOfs: secs and usecs must be numbers");
  }
  return teventTimevalAdd(teventTimevalCurrent(), secs, usecs);
}

function isZero(tv: Timeval): boolean {
  return tv.tv_sec === 0 && tv.tv_usec === 0;
}

function cmp(a: Timeval, b: Timeval): number {
  if (a.tv_sec !== b.tv_sec) return a.tv_sec > b.tv_sec ? 1 : -1;
  if (a.tv_usec !== b.tv_usec) return a.tv_usec > b.tv_usec ? 1 : -1;
  return 0;
}

/* Unlink te from ev's timer list (no trace). */
function timerUnlink(ev: TeventContext, te: TeventTimer): void {
  if (ev.lastZeroTimer === te) ev.lastZeroTimer = te.prev;
  if (te.prev !== null) te.prev.next = te.next; else ev.teHead = te.next;
  if (te.next !== null) te.next.prev = te.prev; else ev.teTail = te.prev;
  te.prev = te.next = null;
}

/*
 * tevent_common_insert_timer(): after the last timer due at or before
 * te; zero timers (when optimizeZero) after the last zero timer, so they
 * run first and in FIFO order.
 */
function timerInsert(ev: TeventContext, te: TeventTimer, optimizeZero: boolean): void {
  let prev: TeventTimer | null = null;
  if (optimizeZero && isZero(te.nextEvent)) {
    prev = ev.lastZeroTimer;
    ev.lastZeroTimer = te;
  } else {
    for (let cur = ev.teTail; cur !== null; cur = cur.prev) {
      if (cmp(te.nextEvent, cur.nextEvent) >= 0) {
        prev = cur;
        break;
      }
    }
  }
  traceEvent(ev.tracing.te, te, TEVENT_EVENT_TRACE_ATTACH);
  if (prev === null) {
    te.prev = null;
    te.next = ev.teHead;
    if (ev.teHead !== null) ev.teHead.prev = te; else ev.teTail = te;
    ev.teHead = te;
  } else {
    te.prev = prev;
    te.next = prev.next;
    if (prev.next !== null) prev.next.prev = te; else ev.teTail = te;
    prev.next = te;
  }
}

/* tevent_common_timed_destructor() */
function timedDestructor(te: TeventTimer): number {
  if (!te.destroyed) {
    te.destroyed = true;
    const ev = te.ev;
    if (ev !== null) {
      traceEvent(ev.tracing.te, te, TEVENT_EVENT_TRACE_DETACH);
      if (te.prev !== null || ev.teHead === te) timerUnlink(ev, te);
      te.ev = null;
    }
  }
  return te.busy ? -1 : 0;
}

/**
 * tevent_add_timer(): run handler once when nextEvent is reached.
 * A timer is freed right after its handler returns.
 */
export function teventAddTimer<P>(ev: TeventContext, memCtx: TallocCtx, nextEvent: Timeval,
                                  handler: TeventTimerHandler<P>, privateData: P): TeventTimer | null {
  checkContext(ev, "teventAddTimer");
  checkTv(nextEvent, "teventAddTimer");
  checkFunction(handler, "teventAddTimer: handler");
  if (ev.freed) {
    /* use after free (undefined in C): no timer, EBADF as for a freed stream */
    setErrno(EBADF);
    return null;
  }
  const te = new TeventTimer(ev, { tv_sec: nextEvent.tv_sec, tv_usec: nextEvent.tv_usec },
                             handler, privateData);
  /* tevent parents a timer on the context when mem_ctx is NULL */
  tallocSteal(memCtx ?? ev, te);
  timerInsert(ev, te, true);
  tallocSetDestructor(te, timedDestructor);
  /* a loop waiting in Node must learn the new deadline */
  if (ev.waiters.length !== 0) ev.wake();
  return te;
}

/** tevent_update_timer(): move te to a new deadline. */
export function teventUpdateTimer(te: TeventTimer, nextEvent: Timeval): void {
  if (!(te instanceof TeventTimer)) throw new TypeError("teventUpdateTimer: te must be a TeventTimer");
  checkTv(nextEvent, "teventUpdateTimer");
  const ev = te.ev;
  if (ev === null) return;
  traceEvent(ev.tracing.te, te, TEVENT_EVENT_TRACE_DETACH);
  if (te.prev !== null || ev.teHead === te) timerUnlink(ev, te);
  te.nextEvent = { tv_sec: nextEvent.tv_sec, tv_usec: nextEvent.tv_usec };
  /* no zero-timer optimisation here, as in C */
  timerInsert(ev, te, false);
  if (ev.waiters.length !== 0) ev.wake();
}

/** tevent_timer_set_tag() / tevent_timer_get_tag() */
export function teventTimerSetTag(te: TeventTimer, tag: number): void {
  if (!(te instanceof TeventTimer)) throw new TypeError("teventTimerSetTag: te must be a TeventTimer");
  checkTag(tag, "teventTimerSetTag");
  te.tag = tag;
}
export function teventTimerGetTag(te: TeventTimer): number {
  if (!(te instanceof TeventTimer)) throw new TypeError("teventTimerGetTag: te must be a TeventTimer");
  return te.tag;
}

/* tevent_common_invoke_timer_handler() */
function invokeTimer(ev: TeventContext, te: TeventTimer, currentTime: Timeval): void {
  /* unlink first: an inner loop run by the handler must not see it again */
  timerUnlink(ev, te);
  const handler = te.handler as TeventTimerHandler<unknown>;
  te.busy = true;
  traceEvent(ev.tracing.te, te, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
  ev.nesting++;
  try {
    handler.call(undefined, ev, te, currentTime, te.privateData); /* never inlined here (see runSome in tevent.ts) */
  } finally {
    ev.nesting--;
    te.busy = false;
  }
  if (te.destroyed) {
    /* freed inside its handler: the free was refused then, finish it now */
    tallocSetDestructor(te, null);
    tallocFree(te);
    return;
  }
  /* a fired timer is freed; the destructor traces DETACH */
  tallocFree(te);
}

/**
 * tevent_common_loop_timer_delay(): run the first timer if it is due and
 * return null; otherwise return how long until it is due (30 s with none).
 */
export function loopTimerDelay(ev: TeventContext): Timeval | null {
  const te = ev.teHead;
  if (te === null) return { tv_sec: 30, tv_usec: 0 };
  let currentTime: Timeval = { tv_sec: 0, tv_usec: 0 };
  /* zero timers get a zero current time: C saves a gettimeofday() */
  if (!isZero(te.nextEvent)) {
    currentTime = teventTimevalCurrent();
    const delay = teventTimevalUntil(currentTime, te.nextEvent);
    if (!isZero(delay)) return delay;
  }
  invokeTimer(ev, te, currentTime);
  return null;
}

/** Detach every timer from a context being freed (tevent_common_context_destructor). */
export function timersDetachAll(ev: TeventContext): void {
  if (ev.teHead === null) return; /* nothing to detach (and lastZeroTimer is null) */
  ev.lastZeroTimer = null;
  for (let te: TeventTimer | null = ev.teHead; te !== null;) {
    const next: TeventTimer | null = te.next;
    traceEvent(ev.tracing.te, te, TEVENT_EVENT_TRACE_DETACH);
    te.ev = null;
    te.prev = te.next = null;
    te = next;
  }
  ev.teHead = ev.teTail = null;
}
