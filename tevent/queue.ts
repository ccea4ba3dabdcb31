// tevent_queue.c: FIFO queues of requests.
//
// An entry belongs to its request (a talloc child of it): the head entry's
// trigger runs, and the queue moves on when that request is freed.

import { TallocCtx, tallocFree, tallocIsFreed, tallocSetDestructor, tallocSteal, TALLOC_NODE, TallocNode } from "../lib/talloc";
import { teventCreateImmediate, teventScheduleImmediate } from "./immediate";
import {
  checkTag, TeventContext, TeventImmediate, traceEvent,
  TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER, TEVENT_EVENT_TRACE_DETACH,
} from "./internal";
import { TeventReq, teventReqCreate, teventReqDone, teventReqIsError, teventReqOom, teventReqPost,
         teventReqReceived } from "./req";

export type TeventQueueTriggerFn<P = unknown> = (req: TeventReq, privateData: P) => void;

/** struct tevent_queue */
export class TeventQueue {
  static readonly tallocName = "struct tevent_queue";
  [TALLOC_NODE]: TallocNode | null = null;
  isRunning = true;
  immediate: TeventImmediate;
  len = 0;
  head: TeventQueueEntry | null = null;
  tail: TeventQueueEntry | null = null;
  constructor(readonly name: string) {
    this.immediate = teventCreateImmediate(this);
  }
  add<P>(ev: TeventContext, req: TeventReq, trigger: TeventQueueTriggerFn<P> | null, privateData?: P): boolean {
    return teventQueueAdd(this, ev, req, trigger, privateData as P);
  }
  addEntry<P>(ev: TeventContext, req: TeventReq, trigger: TeventQueueTriggerFn<P> | null,
              privateData?: P): TeventQueueEntry {
    return teventQueueAddEntry(this, ev, req, trigger, privateData as P);
  }
  addOptimizeEmpty<P>(ev: TeventContext, req: TeventReq, trigger: TeventQueueTriggerFn<P> | null,
                      privateData?: P): TeventQueueEntry {
    return teventQueueAddOptimizeEmpty(this, ev, req, trigger, privateData as P);
  }
  start(): void { teventQueueStart(this); }
  stop(): void { teventQueueStop(this); }
  running(): boolean { return teventQueueRunning(this); }
  length(): number { return teventQueueLength(this); }
  waitSend(memCtx: TallocCtx, ev: TeventContext): TeventReq { return teventQueueWaitSend(memCtx, ev, this); }
}

/** struct tevent_queue_entry */
export class TeventQueueEntry {
  static readonly tallocName = "struct tevent_queue_entry";
  [TALLOC_NODE]: TallocNode | null = null;
  queue: TeventQueue | null;
  prev: TeventQueueEntry | null = null;
  next: TeventQueueEntry | null = null;
  triggered = false;
  tag = 0;
  constructor(queue: TeventQueue, readonly req: TeventReq, readonly ev: TeventContext,
              readonly trigger: TeventQueueTriggerFn<unknown>, readonly privateData: unknown) {
    this.queue = queue;
  }
  untrigger(): void { teventQueueEntryUntrigger(this); }
}

function checkQueue(q: unknown, fn: string): asserts q is TeventQueue {
  if (!(q instanceof TeventQueue)) throw new TypeError(`${fn}: queue must be a TeventQueue`);
}

/* tevent_queue_immediate_trigger() */
function queueImmediateTrigger(ev: TeventContext, im: TeventImmediate, q: TeventQueue): void {
  if (!q.isRunning) return;
  const e = q.head;
  if (e === null) return;
  traceEvent(ev.tracing.qe, e, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
  e.triggered = true;
  e.trigger(e.req, e.privateData);
}

function scheduleHead(q: TeventQueue): void {
  const head = q.head as TeventQueueEntry;
  teventScheduleImmediate(q.immediate, head.ev, queueImmediateTrigger, q);
}

/* tevent_queue_entry_destructor() */
function queueEntryDestructor(e: TeventQueueEntry): number {
  const q = e.queue;
  if (q === null) return 0;
  traceEvent(e.ev.tracing.qe, e, TEVENT_EVENT_TRACE_DETACH);
  if (e.prev !== null) e.prev.next = e.next; else q.head = e.next;
  if (e.next !== null) e.next.prev = e.prev; else q.tail = e.prev;
  e.prev = e.next = null;
  e.queue = null;
  q.len--;
  if (!q.isRunning) return 0;
  if (q.head === null) return 0;
  if (q.head.triggered) return 0;
  scheduleHead(q);
  return 0;
}

/* tevent_queue_destructor(): entries go, their requests stay. */
function queueDestructor(q: TeventQueue): number {
  q.isRunning = false;
  while (q.head !== null) tallocFree(q.head);
  return 0;
}

/** tevent_queue_create(): a running, empty queue. */
export function teventQueueCreate(memCtx: TallocCtx, name: string): TeventQueue {
  if (typeof name !== "string") throw new TypeError("teventQueueCreate: name must be a string");
  const q = new TeventQueue(name);
  if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, q);
  tallocSetDestructor(q, queueDestructor);
  return q;
}

function noopTrigger(): void {
  /* a blocker entry: nothing to do */
}

/* tevent_queue_add_internal() */
function queueAddInternal(queue: TeventQueue, ev: TeventContext, req: TeventReq,
                          trigger: TeventQueueTriggerFn<unknown> | null, privateData: unknown,
                          allowDirect: boolean, fn: string): TeventQueueEntry | null {
  checkQueue(queue, fn);
  if (!(ev instanceof TeventContext)) throw new TypeError(`${fn}: ev must be a TeventContext`);
  if (!(req instanceof TeventReq)) throw new TypeError(`${fn}: req must be a TeventReq`);
  if (trigger !== null && trigger !== undefined && typeof trigger !== "function") {
    throw new TypeError(`${fn}: trigger must be a function or null`);
  }
  /* Use after free is undefined in C.  Here teventQueueAdd fails as C's does
   * when it cannot allocate the entry (false); the entry functions, whose
   * type has no null, throw.  Never an entry waiting on a dead queue forever. */
  if (tallocIsFreed(queue) || tallocIsFreed(req) || tallocIsFreed(ev)) {
    if (fn === "teventQueueAdd") return null;
    const what = tallocIsFreed(queue) ? "queue" : tallocIsFreed(req) ? "req" : "ev";
    throw new TypeError(`${fn}: ${what} was freed`);
  }
  const e = new TeventQueueEntry(queue, req, ev, trigger ?? noopTrigger, privateData);
  tallocSteal(req, e);
  /* only an empty queue, and a request whose callback is not set yet, may trigger directly */
  if (queue.len > 0) allowDirect = false;
  if (req.fn !== null) allowDirect = false;
  e.prev = queue.tail;
  if (queue.tail !== null) queue.tail.next = e; else queue.head = e;
  queue.tail = e;
  queue.len++;
  tallocSetDestructor(e, queueEntryDestructor);
  traceEvent(ev.tracing.qe, e, TEVENT_EVENT_TRACE_ATTACH);
  if (!queue.isRunning) return e;
  const head = queue.head as TeventQueueEntry;
  if (head.triggered) return e;
  if (allowDirect) {
    traceEvent(ev.tracing.qe, head, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
    head.triggered = true;
    head.trigger(head.req, head.privateData);
    return e;
  }
  scheduleHead(queue);
  return e;
}

/** tevent_queue_add(): trigger(req, privateData) runs when req reaches the head. */
export function teventQueueAdd<P>(queue: TeventQueue, ev: TeventContext, req: TeventReq,
                                  trigger: TeventQueueTriggerFn<P> | null, privateData?: P): boolean {
  return queueAddInternal(queue, ev, req, trigger as TeventQueueTriggerFn<unknown> | null, privateData, false,
                          "teventQueueAdd") !== null;
}

/** tevent_queue_add_entry(): as teventQueueAdd, returning the entry. */
export function teventQueueAddEntry<P>(queue: TeventQueue, ev: TeventContext, req: TeventReq,
                                       trigger: TeventQueueTriggerFn<P> | null, privateData?: P): TeventQueueEntry {
  return queueAddInternal(queue, ev, req, trigger as TeventQueueTriggerFn<unknown> | null, privateData, false,
                          "teventQueueAddEntry") as TeventQueueEntry;
}

/**
 * tevent_queue_add_optimize_empty(): on an empty running queue (and a
 * request without callback yet) the trigger runs at once, inside this call.
 */
export function teventQueueAddOptimizeEmpty<P>(queue: TeventQueue, ev: TeventContext, req: TeventReq,
                                               trigger: TeventQueueTriggerFn<P> | null,
                                               privateData?: P): TeventQueueEntry {
  return queueAddInternal(queue, ev, req, trigger as TeventQueueTriggerFn<unknown> | null, privateData, true,
                          "teventQueueAddOptimizeEmpty") as TeventQueueEntry;
}

/**
 * tevent_queue_entry_untrigger(): let the head entry be triggered again
 * once the queue is started.  The queue must be stopped and entry its head
 * (C aborts otherwise; this throws).
 */
export function teventQueueEntryUntrigger(entry: TeventQueueEntry): void {
  const q = entry.queue;
  if (q === null || q.isRunning) {
    throw new Error("teventQueueEntryUntrigger: the queue must be stopped (C aborts here)");
  }
  if (q.head !== entry) {
    throw new Error("teventQueueEntryUntrigger: entry must be the head of its queue (C aborts here)");
  }
  entry.triggered = false;
}

/** tevent_queue_entry_set_tag() / tevent_queue_entry_get_tag() */
export function teventQueueEntrySetTag(entry: TeventQueueEntry, tag: number): void {
  if (!(entry instanceof TeventQueueEntry)) throw new TypeError("teventQueueEntrySetTag: entry must be a TeventQueueEntry");
  checkTag(tag, "teventQueueEntrySetTag");
  entry.tag = tag;
}
export function teventQueueEntryGetTag(entry: TeventQueueEntry): number {
  if (!(entry instanceof TeventQueueEntry)) throw new TypeError("teventQueueEntryGetTag: entry must be a TeventQueueEntry");
  return entry.tag;
}

/** tevent_queue_start() */
export function teventQueueStart(queue: TeventQueue): void {
  checkQueue(queue, "teventQueueStart");
  if (queue.isRunning) return;
  queue.isRunning = true;
  if (queue.head === null) return;
  if (queue.head.triggered) return;
  scheduleHead(queue);
}

/** tevent_queue_stop() */
export function teventQueueStop(queue: TeventQueue): void {
  checkQueue(queue, "teventQueueStop");
  queue.isRunning = false;
}

/** tevent_queue_length() */
export function teventQueueLength(queue: TeventQueue): number {
  checkQueue(queue, "teventQueueLength");
  return queue.len;
}

/** tevent_queue_running() */
export function teventQueueRunning(queue: TeventQueue): boolean {
  checkQueue(queue, "teventQueueRunning");
  return queue.isRunning;
}

class TeventQueueWaitState {}

function queueWaitTrigger(req: TeventReq): void {
  teventReqDone(req);
}

/** tevent_queue_wait_send(): a request that is done when it reaches the head of queue. */
export function teventQueueWaitSend(memCtx: TallocCtx, ev: TeventContext, queue: TeventQueue): TeventReq {
  const req = teventReqCreate(memCtx, new TeventQueueWaitState(), "struct tevent_queue_wait_state");
  const ok = teventQueueAdd(queue, ev, req, queueWaitTrigger, null);
  if (!ok) {
    teventReqOom(req);
    return teventReqPost(req, ev);
  }
  return req;
}

/** tevent_queue_wait_recv() */
export function teventQueueWaitRecv(req: TeventReq): boolean {
  const { ret } = teventReqIsError(req);
  teventReqReceived(req);
  return !ret;
}
