// tevent_immediate.c: immediate events, run FIFO before timers and I/O.

import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal, TALLOC_NODE, TallocNode } from "../lib/talloc";
import {
  checkContext, TeventContext, TeventImmediate, TeventImmediateHandler, traceEvent,
  TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER, TEVENT_EVENT_TRACE_DETACH,
} from "./internal";

function imUnlink(ev: TeventContext, im: TeventImmediate): void {
  if (im.prev !== null) im.prev.next = im.next; else ev.imHead = im.next;
  if (im.next !== null) im.next.prev = im.prev; else ev.imTail = im.prev;
  im.prev = im.next = null;
}

/* tevent_common_immediate_cancel() */
function immediateCancel(im: TeventImmediate): void {
  const ev = im.ev;
  if (ev === null) return;
  traceEvent(ev.tracing.im, im, TEVENT_EVENT_TRACE_DETACH);
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
  traceEvent(ev.tracing.im, im, TEVENT_EVENT_TRACE_ATTACH);
  /* DLIST_ADD_END */
  im.prev = ev.imTail;
  if (ev.imTail !== null) ev.imTail.next = im; else ev.imHead = im;
  ev.imTail = im;
  if (ev.waiters.length !== 0) ev.wake();
}

/** tevent_immediate_set_tag() / tevent_immediate_get_tag() */
export function teventImmediateSetTag(im: TeventImmediate, tag: number): void {
  im.tag = tag;
}
export function teventImmediateGetTag(im: TeventImmediate): number {
  return im.tag;
}

/**
 * tevent_common_loop_immediate(): run the first immediate, if any.
 * Returns true when one ran.
 */
export function loopImmediate(ev: TeventContext): boolean {
  const im = ev.imHead;
  if (im === null) return false;
  const handler = im.handler as TeventImmediateHandler<unknown>;
  const privateData = im.privateData;
  imUnlink(ev, im);
  im.ev = null;
  im.handler = null;
  im.privateData = null;
  im.busy = true;
  traceEvent(ev.tracing.im, im, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
  ev.nesting++;
  try {
    handler(ev, im, privateData);
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
  traceEvent(ev.tracing.im, im, TEVENT_EVENT_TRACE_DETACH);
  return true;
}

/** Detach every immediate from a context being freed. */
export function immediatesDetachAll(ev: TeventContext): void {
  for (let im = ev.imHead; im !== null;) {
    const next: TeventImmediate | null = im.next;
    traceEvent(ev.tracing.im, im, TEVENT_EVENT_TRACE_DETACH);
    im.ev = null;
    im.handler = null;
    im.prev = im.next = null;
    im = next;
  }
  ev.imHead = ev.imTail = null;
}
