// The structures of tevent_internal.h: the context and its four kinds of
// events, kept in intrusive doubly linked lists exactly as tevent keeps them
// (so removal is O(1) and ordering is C's).

import { TALLOC_NODE, TallocNode } from "../lib/talloc";
import { Timeval } from "../lib/types";

/* enum tevent_trace_point */
export const TEVENT_TRACE_BEFORE_WAIT = 0;
export const TEVENT_TRACE_AFTER_WAIT = 1;
export const TEVENT_TRACE_BEFORE_LOOP_ONCE = 2;
export const TEVENT_TRACE_AFTER_LOOP_ONCE = 3;
export type TeventTracePoint = 0 | 1 | 2 | 3;

/* enum tevent_event_trace_point */
export const TEVENT_EVENT_TRACE_ATTACH = 0;
export const TEVENT_EVENT_TRACE_DETACH = 1;
export const TEVENT_EVENT_TRACE_BEFORE_HANDLER = 2;
export type TeventEventTracePoint = 0 | 1 | 2;

export const TEVENT_FD_READ = 1;
export const TEVENT_FD_WRITE = 2;

export type TeventTimerHandler<P = unknown> =
  (ev: TeventContext, te: TeventTimer, currentTime: Timeval, privateData: P) => void;
export type TeventImmediateHandler<P = unknown> =
  (ev: TeventContext, im: TeventImmediate, privateData: P) => void;
export type TeventFdHandler<P = unknown> =
  (ev: TeventContext, fde: TeventFd, flags: number, privateData: P) => void;
export type TeventFdCloseFn<P = unknown> =
  (ev: TeventContext | null, fde: TeventFd, fd: number, privateData: P) => void;
export type TeventSignalHandler<P = unknown> =
  (ev: TeventContext, se: TeventSignal, signum: number, count: number,
   siginfo: null, privateData: P) => void;

export type TeventTraceCallback<P = unknown> = (tp: TeventTracePoint, privateData: P) => void;
export type TeventTraceEventCallback<E, P = unknown> =
  (event: E, tp: TeventEventTracePoint, privateData: P) => void;

/* Handlers are stored without their private type: the add functions are generic. */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnyFn = (...args: any[]) => void;
/* eslint-enable @typescript-eslint/no-explicit-any */

/* One tracer (callback and its private data).  Classes rather than object
 * literals: every context's slots then share one shape that V8 never has
 * to widen when a second context is made. */
export class TraceSlot {
  callback: AnyFn | null = null;
  privateData: unknown = null;
}

/* The tracers of a context: the loop's, and one per kind of event. */
class TraceSlots {
  readonly point = new TraceSlot();
  readonly fde = new TraceSlot();
  readonly se = new TraceSlot();
  readonly te = new TraceSlot();
  readonly im = new TraceSlot();
  readonly qe = new TraceSlot();
}

/** struct tevent_context */
export class TeventContext {
  static readonly tallocName = "struct tevent_context";
  [TALLOC_NODE]: TallocNode | null = null;

  /* immediate_events: FIFO (immediates, and requests posted by tevent_req_post);
   * imTail is the last entry only when there are two or more (immediate.ts) */
  imHead: ImmediateEntry | null = null;
  imTail: ImmediateEntry | null = null;

  /* timer_events: sorted by deadline, equal deadlines in insertion order */
  teHead: TeventTimer | null = null;
  teTail: TeventTimer | null = null;
  lastZeroTimer: TeventTimer | null = null;

  /* fd_events: newest first (DLIST_ADD) */
  fdHead: TeventFd | null = null;
  /* fds Node told us about and that may be ready: the "epoll result" */
  readyHead: TeventFd | null = null;
  readyTail: TeventFd | null = null;

  /* signal_events: newest first */
  seHead: TeventSignal | null = null;
  /* per signal number: deliveries not yet handled by this context */
  sigPending: Map<number, number> | null = null;
  /* tevent's signal pipe holds bytes: the next fd phase drains it (one iteration) */
  sigPipe = false;

  /* nesting: > 0 while a handler dispatched by this context runs */
  nesting = 0;
  nestingAllowed = false;

  /* loops of this context waiting for Node (each has its own wake-up) */
  waiters: Array<() => void> = [];
  /* the timer of the loops' waits (tevent.ts), null until a loop waits */
  waitTimer: unknown = null;

  freed = false;
  /* bumped whenever any loop of this context handled an event */
  generation = 0;

  readonly tracing = new TraceSlots();

  constructor() {
    /*
     * Stored once more: V8 treats a field that was never written after the
     * object was made as a constant, and optimized loops rely on that.  The
     * first context freed (its destructor writes these) would then throw
     * away the optimized code of every loop; written here, they are known
     * to change from the start.
     */
    this.teHead = this.teTail = this.lastZeroTimer = null;
    this.fdHead = this.readyHead = this.readyTail = null;
    this.seHead = null;
    this.sigPending = null;
    this.sigPipe = false;
    this.nestingAllowed = false;
    this.freed = false;
    this.waitTimer = null;
  }

  /** Wake every loop of this context that waits in Node. */
  wake(): void {
    const w = this.waiters;
    const n = w.length;
    if (n === 0) return;
    if (n === 1) {
      /* the common case, one loop: taken off the list first, as below */
      (w.pop() as () => void)();
      return;
    }
    this.waiters = [];
    for (let i = 0; i < n; i++) w[i]();
  }
}

/** struct tevent_timer */
export class TeventTimer {
  static readonly tallocName = "struct tevent_timer";
  [TALLOC_NODE]: TallocNode | null = null;
  ev: TeventContext | null;
  prev: TeventTimer | null = null;
  next: TeventTimer | null = null;
  nextEvent: Timeval;
  handler: AnyFn | null;
  privateData: unknown;
  handlerName: string;
  busy = false;
  destroyed = false;
  tag = 0;
  constructor(ev: TeventContext, nextEvent: Timeval, handler: AnyFn, privateData: unknown) {
    this.ev = ev;
    this.nextEvent = nextEvent;
    this.handler = handler;
    this.privateData = privateData;
    this.handlerName = handler.name;
  }
}

/**
 * What the immediate list links: a TeventImmediate, or a request posted by
 * tevent_req_post() (TeventReq), which waits on the list itself instead of
 * through an immediate of its own (C's req->internal.trigger): one object
 * less per request.  The trace callbacks are still shown an immediate.
 */
export interface ImmediateEntry {
  /** @internal true for a posted request, false for a TeventImmediate (a constant of each class) */
  readonly isRequest: boolean;
  ev: TeventContext | null;
  prev: ImmediateEntry | null;
  next: ImmediateEntry | null;
}

/** struct tevent_immediate */
export class TeventImmediate implements ImmediateEntry {
  static readonly tallocName = "struct tevent_immediate";
  [TALLOC_NODE]: TallocNode | null = null;
  ev: TeventContext | null = null;
  prev: ImmediateEntry | null = null;
  next: ImmediateEntry | null = null;
  handler: AnyFn | null = null;
  privateData: unknown = null;
  busy = false;
  destroyed = false;
  tag = 0;
  /** @internal (ImmediateEntry) */
  get isRequest(): boolean { return false; }
}

/** struct tevent_fd */
export class TeventFd {
  static readonly tallocName = "struct tevent_fd";
  [TALLOC_NODE]: TallocNode | null = null;
  ev: TeventContext | null;
  prev: TeventFd | null = null;
  next: TeventFd | null = null;
  /* the ready list */
  readyPrev: TeventFd | null = null;
  readyNext: TeventFd | null = null;
  queued = false;
  fd: number;
  flags: number;
  handler: AnyFn;
  privateData: unknown;
  closeFn: AnyFn | null = null;
  autoClose = false;
  busy = false;
  destroyed = false;
  tag = 0;
  /* the Node.js object that reports readiness for this descriptor */
  source: FdSource;
  constructor(ev: TeventContext, fd: number, flags: number, handler: AnyFn,
              privateData: unknown, source: FdSource) {
    this.ev = ev;
    this.fd = fd;
    this.flags = flags;
    this.handler = handler;
    this.privateData = privateData;
    this.source = source;
  }
}

/** What an fd event needs from the Node.js object behind a descriptor. */
export interface FdSource {
  /** The TEVENT_FD_* conditions that hold now (level-triggered, like epoll). */
  poll(): number;
  /** Start reporting changes of readiness through notify. */
  watch(notify: () => void): void;
  /** Stop reporting. */
  unwatch(): void;
  /** Close the descriptor (tevent_fd_set_auto_close). */
  close(): void;
}

/** struct tevent_signal */
export class TeventSignal {
  static readonly tallocName = "struct tevent_signal";
  [TALLOC_NODE]: TallocNode | null = null;
  ev: TeventContext | null;
  prev: TeventSignal | null = null;
  next: TeventSignal | null = null;
  signum: number;
  saFlags: number;
  handler: AnyFn;
  privateData: unknown;
  busy = false;
  destroyed = false;
  tag = 0;
  constructor(ev: TeventContext, signum: number, saFlags: number, handler: AnyFn, privateData: unknown) {
    this.ev = ev;
    this.signum = signum;
    this.saFlags = saFlags;
    this.handler = handler;
    this.privateData = privateData;
  }
}

/* tevent_trace_*_callback(): tell the registered tracer, if any. */
export function tracePoint(ev: TeventContext, tp: TeventTracePoint): void {
  const s = ev.tracing.point;
  if (s.callback !== null) s.callback(tp, s.privateData);
}

export function traceEvent(s: TraceSlot, event: object, tp: TeventEventTracePoint): void {
  if (s.callback !== null) s.callback(event, tp, s.privateData);
}

export function checkContext(ev: unknown, fn: string): asserts ev is TeventContext {
  if (!(ev instanceof TeventContext)) {
    throw new TypeError(`${fn}: ev must be a TeventContext`);
  }
}

/* The tag functions of every event kind: C's tag is a uint64_t. */
export function checkTag(tag: unknown, fn: string): void {
  if (typeof tag !== "number") throw new TypeError(`${fn}: tag must be a number`);
}

export function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== "function") throw new TypeError(`${what} must be a function`);
}
