// tevent_immediate.c: immediate events, run FIFO before timers and I/O.
//
// The list also holds requests posted by tevent_req_post(): C schedules the
// request's own immediate (req->internal.trigger); here the request is
// linked itself (see ImmediateEntry), and the trace callbacks are shown an
// immediate standing for it, so that they see what C's would.

import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal, TALLOC_NODE, TallocNode } from "../lib/talloc";
import {
  checkTag, AnyFn, checkContext, ImmediateEntry, TeventContext, TeventEventTracePoint, TeventImmediate, TeventImmediateHandler,
  TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER, TEVENT_EVENT_TRACE_DETACH,
} from "./internal";

/* What req.ts registers (it imports this module, not the reverse): how to
 * run a posted request (tevent_req_trigger) and what to show the tracer. */
type PostedRun = (req: ImmediateEntry) => void;
type PostedTraceTarget = (req: ImmediateEntry) => TeventImmediate;
let postedRun: PostedRun = () => undefined;
let postedTraceTarget: PostedTraceTarget = () => new TeventImmediate();

/** @internal Called once by tevent/req.ts. */
export function registerPostedRequests(run: PostedRun, traceTarget: PostedTraceTarget): void {
  postedRun = run;
  postedTraceTarget = traceTarget;
}

/*
 * The list: ev.imHead is the first entry; ev.imTail the last one only when
 * there are two or more, else null.  The context is long-lived (old in V8's
 * heap) and entries are new: every store of an entry into it costs a write
 * barrier, and the common list (one posted request at a time) then needs one
 * store instead of two.
 */
function imUnlink(ev: TeventContext, im: ImmediateEntry): void {
  const prev = im.prev;
  const next = im.next;
  if (prev !== null) prev.next = next; else ev.imHead = next;
  if (next !== null) next.prev = prev; else if (ev.imTail !== null) ev.imTail = prev;
  if (ev.imTail !== null && ev.imTail === ev.imHead) ev.imTail = null;
  im.prev = im.next = null;
}

/* DLIST_ADD_END(ev->immediate_events, im) */
function imLinkTail(ev: TeventContext, im: ImmediateEntry): void {
  const head = ev.imHead;
  if (head === null) {
    im.prev = null;
    ev.imHead = im;
    return;
  }
  const last = ev.imTail;
  const tail = last !== null ? last : head;
  im.prev = tail;
  tail.next = im;
  ev.imTail = im;
}

/* tevent_trace_immediate_callback(): the tracer sees an immediate, also for a
 * posted request.  The hot paths test ev.tracing.im.callback themselves. */
function traceImmediate(ev: TeventContext, im: ImmediateEntry, tp: TeventEventTracePoint): void {
  const s = ev.tracing.im;
  if (s.callback !== null) {
    s.callback(im instanceof TeventImmediate ? im : postedTraceTarget(im), tp, s.privateData);
  }
}

/* tevent_common_immediate_cancel() */
function immediateCancel(im: TeventImmediate): void {
  const ev = im.ev;
  if (ev === null) return;
  traceImmediate(ev, im, TEVENT_EVENT_TRACE_DETACH);
  imUnlink(ev, im);
  im.ev = null;
  im.handler = null;
  im.privateData = null;
}

/* tevent_common_immediate_destructor() */
function immediateDestructor(im: TeventImmediate): number {
  if (!im.destroyed) {
    im.destroyed = true;
    immediateCancel(im);
  }
  return im.busy ? -1 : 0;
}

/** tevent_create_immediate(): an immediate event, not yet scheduled. */
export function teventCreateImmediate(memCtx: TallocCtx): TeventImmediate {
  const im = new TeventImmediate();
  if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, im);
  tallocSetDestructor(im, immediateDestructor);
  return im;
}

/**
 * tevent_schedule_immediate(): run handler from the next loop iteration,
 * after the immediates already scheduled.  Rescheduling moves it to the
 * end; a null handler cancels it.
 */
export function teventScheduleImmediate<P>(im: TeventImmediate, ev: TeventContext,
                                           handler: TeventImmediateHandler<P> | null,
                                           privateData?: P): void {
  if (!(im instanceof TeventImmediate)) {
    throw new TypeError("teventScheduleImmediate: im must be a TeventImmediate");
  }
  /* use after free (undefined in C): a freed immediate is not scheduled again */
  if (TallocNode.isFreed(im[TALLOC_NODE])) return;
  immediateCancel(im);
  if (handler === null || handler === undefined) return;
  checkContext(ev, "teventScheduleImmediate");
  if (typeof handler !== "function") throw new TypeError("teventScheduleImmediate: handler must be a function");
  scheduleImmediateInternal(im, ev, handler, privateData as P);
}

/** tevent_schedule_immediate() for the library's own callers: no argument checks. */
export function scheduleImmediateInternal<P>(im: TeventImmediate, ev: TeventContext,
                                             handler: TeventImmediateHandler<P>, privateData: P): void {
  if (im.ev !== null) immediateCancel(im);
  im.ev = ev;
  im.handler = handler;
  im.privateData = privateData;
  im.destroyed = false;
  traceImmediate(ev, im, TEVENT_EVENT_TRACE_ATTACH);
  imLinkTail(ev, im);
  if (ev.waiters.length !== 0) ev.wake();
}

/** @internal tevent_schedule_immediate(req->internal.trigger, ev, tevent_req_trigger, req) for tevent_req_post. */
export function schedulePosted(req: ImmediateEntry, ev: TeventContext): void {
  if (req.ev !== null) cancelPosted(req);
  req.ev = ev;
  if (ev.tracing.im.callback !== null) traceImmediate(ev, req, TEVENT_EVENT_TRACE_ATTACH);
  imLinkTail(ev, req);
  if (ev.waiters.length !== 0) ev.wake();
}

/** @internal TALLOC_FREE(req->internal.trigger) of a posted request: cancel it. */
export function cancelPosted(req: ImmediateEntry): void {
  const ev = req.ev;
  if (ev === null) return;
  traceImmediate(ev, req, TEVENT_EVENT_TRACE_DETACH);
  imUnlink(ev, req);
  req.ev = null;
}

/** tevent_immediate_set_tag() / tevent_immediate_get_tag() */
export function teventImmediateSetTag(im: TeventImmediate, tag: number): void {
  if (!(im instanceof TeventImmediate)) throw new TypeError("teventImmediateSetTag: im must be a TeventImmediate");
  checkTag(tag, "teventImmediateSetTag");
  im.tag = tag;
}
export function teventImmediateGetTag(im: TeventImmediate): number {
  if (!(im instanceof TeventImmediate)) throw new TypeError("teventImmediateGetTag: im must be a TeventImmediate");
  return im.tag;
}

/**
 * tevent_common_loop_immediate(): run the first immediate, if any.
 * Returns true when one ran.
 */
export function loopImmediate(ev: TeventContext): boolean {
  const head = ev.imHead;
  if (head === null) return false;
  /* (a constant of each class: instanceof would walk the prototype chain per posted request) */
  if (head.isRequest) {
    loopPosted(ev, head);
    return true;
  }
  const im = head as TeventImmediate;
  const handler = im.handler as AnyFn;
  const privateData = im.privateData;
  /* the head of the list: DLIST_REMOVE (imUnlink, without its general cases) */
  const next = im.next;
  ev.imHead = next;
  if (next !== null) {
    next.prev = null;
    if (ev.imTail === next) ev.imTail = null; /* one entry left */
    im.next = null;
  }
  im.ev = null;
  im.handler = null;
  im.privateData = null;
  im.busy = true;
  traceImmediate(ev, im, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
  ev.nesting++;
  try {
    handler.call(undefined, ev, im, privateData); /* never inlined here (see runSome in tevent.ts) */
  } finally {
    ev.nesting--;
    im.busy = false;
  }
  if (im.destroyed && im.ev === null) {
    /* freed inside its handler: finish the refused free */
    tallocSetDestructor(im, null);
    tallocFree(im);
    return true;
  }
  traceImmediate(ev, im, TEVENT_EVENT_TRACE_DETACH);
  return true;
}

/* The same for a posted request at the head of the list: tevent_req_trigger(). */
function loopPosted(ev: TeventContext, req: ImmediateEntry): void {
  /* the head of the list: DLIST_REMOVE */
  const next = req.next;
  ev.imHead = next;
  if (next !== null) {
    next.prev = null;
    if (ev.imTail === next) ev.imTail = null; /* one entry left */
  }
  req.next = null;
  req.ev = null;
  const tracer = ev.tracing.im;
  if (tracer.callback !== null) traceImmediate(ev, req, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
  ev.nesting++;
  try {
    postedRun(req);
  } finally {
    ev.nesting--;
  }
  if (tracer.callback !== null) traceImmediate(ev, req, TEVENT_EVENT_TRACE_DETACH);
}

/** Detach every immediate from a context being freed. */
export function immediatesDetachAll(ev: TeventContext): void {
  for (let im = ev.imHead; im !== null;) {
    const next: ImmediateEntry | null = im.next;
    traceImmediate(ev, im, TEVENT_EVENT_TRACE_DETACH);
    im.ev = null;
    if (im instanceof TeventImmediate) im.handler = null;
    im.prev = im.next = null;
    im = next;
  }
  ev.imHead = ev.imTail = null;
}
