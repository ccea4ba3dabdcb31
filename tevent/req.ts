// tevent_req.c: async requests.

import { TallocCtx, TallocDestructor, tallocFree, tallocGetName, TallocLazyOwner, tallocSetName, TALLOC_NODE,
         TallocNode } from "../lib/talloc";
import { Timeval } from "../lib/types";
import { cancelPosted, registerPostedRequests, schedulePosted } from "./immediate";
import { checkContext, ImmediateEntry, TeventContext, TeventImmediate, TeventTimer } from "./internal";
import { runLoop } from "./tevent";
import { teventAddTimer } from "./timed";

/* enum tevent_req_state.  The code below uses the module's own names: tsc
 * compiles each use of an exported const to a load from `exports`. */
const REQ_INIT = 0;
const REQ_IN_PROGRESS = 1;
const REQ_DONE = 2;
const REQ_USER_ERROR = 3;
const REQ_TIMED_OUT = 4;
const REQ_NO_MEMORY = 5;
const REQ_RECEIVED = 6;
export const TEVENT_REQ_INIT = REQ_INIT;
export const TEVENT_REQ_IN_PROGRESS = REQ_IN_PROGRESS;
export const TEVENT_REQ_DONE = REQ_DONE;
export const TEVENT_REQ_USER_ERROR = REQ_USER_ERROR;
export const TEVENT_REQ_TIMED_OUT = REQ_TIMED_OUT;
export const TEVENT_REQ_NO_MEMORY = REQ_NO_MEMORY;
export const TEVENT_REQ_RECEIVED = REQ_RECEIVED;

const STATE_NAMES = [
  "TEVENT_REQ_INIT", "TEVENT_REQ_IN_PROGRESS", "TEVENT_REQ_DONE", "TEVENT_REQ_USER_ERROR",
  "TEVENT_REQ_TIMED_OUT", "TEVENT_REQ_NO_MEMORY", "TEVENT_REQ_RECEIVED",
];

/** The name of a tevent_req_state value ("TEVENT_REQ_DONE"). */
export function teventReqStateName(state: number): string {
  return STATE_NAMES[state] ?? String(state);
}

export type TeventReqFn = (req: TeventReq) => void;
export type TeventReqPrintFn = (req: TeventReq, memCtx: TallocCtx) => string;
export type TeventReqCancelFn = (req: TeventReq) => boolean;
export type TeventReqCleanupFn = (req: TeventReq, reqState: number) => void;

/* Stand-ins for %p in the print functions: stable per object. */
let nextAddr = 0x1000;
const addrs = new WeakMap<object, number>();
export function fakePointer(p: object | null): string {
  if (p === null) return "(nil)";
  if (typeof p !== "object" && typeof p !== "function") throw new TypeError("fakePointer: p must be an object or null");
  let a = addrs.get(p);
  if (a === undefined) {
    a = nextAddr;
    nextAddr += 0x40;
    addrs.set(p, a);
  }
  return "0x" + a.toString(16);
}

/*
 * The parts of a request that most requests never use (a print, cancel or
 * cleanup function, a deferred callback, an end time, the immediate that
 * tracing shows for a post), made on first use: the request itself stays
 * small, and the hot paths test one field instead of five.
 */
class TeventReqExtra {
  privatePrint: TeventReqPrintFn | null = null;
  privateCancel: TeventReqCancelFn | null = null;
  cleanupFn: TeventReqCleanupFn | null = null;
  cleanupState = REQ_INIT;
  deferCallbackEv: TeventContext | null = null;
  timer: TeventTimer | null = null;
  /* what the immediate trace callbacks see for this request's post */
  trigger: TeventImmediate | null = null;
}

/**
 * struct tevent_req.  A request is its own talloc node (it carries the
 * TallocNode fields itself, req[TALLOC_NODE] === req), and tevent_req_post()
 * links the request itself on the context's immediate list where C uses the
 * immediate req->internal.trigger.  The state is the request's lazy child
 * (TallocLazyOwner): it gets a talloc node only when talloc is asked about
 * it, so creating a request allocates the request, nothing else.  One flat
 * class, every field set in the same order (V8 builds it fast and every
 * access sees one shape).
 */
export class TeventReq<S = unknown> implements TallocLazyOwner, ImmediateEntry {
  static readonly tallocName = "struct tevent_req";

  /**
   * @internal teventReqCreate(memCtx, state, typeName) for a state the
   * library has just made, whose class declares [TALLOC_NODE] (null).  The
   * caller makes the state the request's lazy child itself, right after:
   * `state[TALLOC_NODE] = req` (see TallocNode.markLazy).
   */
  static createForNewState<S extends object>(memCtx: TallocCtx, state: S, typeName: string): TeventReq<S> {
    return bodies.createNew.call(undefined, memCtx, state, typeName) as TeventReq<S>;
  }
  /*
   * The fields are declared here and set in the constructor, in this order:
   * plain stores in the constructor, no separate field initializer for V8
   * to call (or inline) on every request.
   */
  /* talloc's chunk header (see TallocNode) */
  declare tcParent: TallocNode | null;
  declare tcChild: TallocNode | null;
  declare tcNext: TallocNode | null;
  declare tcPrev: TallocNode | null;
  declare tcDestructor: TallocDestructor<never> | null;
  declare tcFlags: number;
  declare tcName: string | null;
  /* tcPtr and [TALLOC_NODE] (both the request itself) are getters on the
   * prototype: two fields less in every request */
  /* tevent_req_post(): the context whose immediate list it waits on, and its neighbours there */
  declare ev: TeventContext | null;
  declare prev: ImmediateEntry | null;
  declare next: ImmediateEntry | null;
  /** tevent_req_data(): the state passed to teventReqCreate (null once received). */
  declare data: S;
  /* the state's talloc node, kept so that receiving frees it without a lookup;
   * null while the state is the request's lazy child (TallocLazyOwner) */
  declare dataNode: TallocNode | null;
  /* the state's destructor while it is the lazy child (TallocLazyOwner), or null */
  declare dataDestructor: TallocDestructor<never> | null;
  /* async: the callback and its private data */
  declare fn: TeventReqFn | null;
  declare callbackPvt: unknown;
  declare state: number;
  declare err: number;
  declare finishLocation: string | null;
  /* the state's type name for print; looked up lazily (hot path) */
  declare typeName: string | undefined;
  /* the rarely used parts, or null */
  declare extra: TeventReqExtra | null;

  constructor(state: S, typeName: string | undefined) {
    this.tcParent = null;
    this.tcChild = null;
    this.tcNext = null;
    this.tcPrev = null;
    this.tcDestructor = null;
    this.tcFlags = 0;
    this.tcName = null;
    this.ev = null;
    this.prev = null;
    this.next = null;
    this.data = state;
    this.dataNode = null;
    this.dataDestructor = null;
    this.fn = null;
    this.callbackPvt = null;
    this.state = REQ_IN_PROGRESS;
    this.err = 0;
    this.finishLocation = null;
    this.typeName = typeName;
    this.extra = null;
  }
  /** @internal (ImmediateEntry) */
  get isRequest(): boolean { return true; }
  get tcPtr(): object { return this; }
  get [TALLOC_NODE](): TallocNode { return this; }
  get privateType(): string {
    if (this.typeName === undefined) this.typeName = tallocGetName(this.data);
    return this.typeName;
  }
  /** The end-time timer (teventReqSetEndtime), or null. */
  get timer(): TeventTimer | null {
    return this.extra === null ? null : this.extra.timer;
  }
  /** The TeventImmediate the immediate trace callbacks were shown for this request's post, or null. */
  get trigger(): TeventImmediate | null {
    return this.extra === null ? null : this.extra.trigger;
  }
  /** The context a teventReqDeferCallback asked for, until the next notification. */
  get deferCallbackEv(): TeventContext | null {
    return this.extra === null ? null : this.extra.deferCallbackEv;
  }

  setCallback(fn: TeventReqFn | null, pvt?: unknown): void { teventReqSetCallback(this, fn, pvt); }
  callbackData(): unknown { return teventReqCallbackData(this); }
  done(): void { teventReqDone(this); }
  error(error: number): boolean { return teventReqError(this, error); }
  nomem(p: unknown): boolean { return teventReqNomem(p, this); }
  oom(): void { teventReqOom(this); }
  post(ev: TeventContext): TeventReq<S> { return teventReqPost(this, ev); }
  deferCallback(ev: TeventContext): void { teventReqDeferCallback(this, ev); }
  notifyCallback(): void { teventReqNotifyCallback(this); }
  isInProgress(): boolean { return teventReqIsInProgress(this); }
  poll(ev: TeventContext): Promise<boolean> { return teventReqPoll(this, ev); }
  isError(): { ret: boolean; state: number; error: number } { return teventReqIsError(this); }
  received(): void { teventReqReceived(this); }
  setEndtime(ev: TeventContext, endtime: Timeval): boolean { return teventReqSetEndtime(this, ev, endtime); }
  resetEndtime(): void { teventReqResetEndtime(this); }
  setCancelFn(fn: TeventReqCancelFn | null): void { teventReqSetCancelFn(this, fn); }
  cancel(): boolean { return teventReqCancel(this); }
  setCleanupFn(fn: TeventReqCleanupFn | null): void { teventReqSetCleanupFn(this, fn); }
  setPrintFn(fn: TeventReqPrintFn | null): void { teventReqSetPrintFn(this, fn); }
  print(memCtx: TallocCtx = null): string { return teventReqPrint(memCtx, this); }
  defaultPrint(memCtx: TallocCtx = null): string { return teventReqDefaultPrint(this, memCtx); }
}

function reqExtra(req: TeventReq): TeventReqExtra {
  let x = req.extra;
  if (x === null) {
    x = new TeventReqExtra();
    req.extra = x;
  }
  return x;
}

/* The TypeError every tevent_req function gives for something that is not a request. */
function checkReq(req: unknown, fn: string): asserts req is TeventReq {
  if (!(req instanceof TeventReq)) notReq(fn);
}

/* the throw, out of line: checkReq stays small enough to be inlined everywhere */
function notReq(fn: string): never {
  throw new TypeError(`${fn}: req must be a TeventReq`);
}

function checkFnOrNull(fn: unknown, name: string): void {
  if (fn !== null && fn !== undefined && typeof fn !== "function") {
    throw new TypeError(`${name}: fn must be a function or null`);
  }
}

/* tevent_req_destructor(): a request freed while pending is received,
 * silently: reqReceived itself (it returns nothing, which allows the free). */
const reqDestructor = reqReceived as TallocDestructor<never>;

/**
 * tevent_req_create(): a new request in TEVENT_REQ_IN_PROGRESS, child of
 * memCtx, whose state (tevent_req_data) is `state`, a child of the request.
 * typeName names the state for teventReqPrint (default: its class name).
 */
export function teventReqCreate<S>(memCtx: TallocCtx, state: S, typeName?: string): TeventReq<S> {
  return bodies.create.call(undefined, memCtx, state, typeName) as TeventReq<S>;
}

/*
 * The exported functions a caller runs for every request (teventReqCreate,
 * teventReqDone, teventReqPost, tallocFree) call their body through a field
 * of `bodies` (below) and Function.prototype.call: V8 then inlines only the
 * one-line wrapper into the caller, never the body.  The body is optimized
 * once, on its own, and stays optimized when the caller's code is new (a
 * new closure per run, as a program makes them): the caller is small to
 * compile, and until it is compiled it calls optimized library code (W1's
 * timed run: 1.38x -> 1.66x C).
 */
function reqCreate(memCtx: TallocCtx, state: unknown, typeName: string | undefined): TeventReq {
  const data = state === undefined || state === null ? {} : state;
  const req = new TeventReq<unknown>(data, typeName);
  /* talloc_steal(mem_ctx, req), talloc_steal(req, state) and the
   * destructor, done on the nodes directly (the hot path of every request) */
  TallocNode.attachNew(memCtx, req);
  if (typeof data === "object" || typeof data === "function") {
    /* usually the state gets no node of its own until talloc is asked
     * about it (most never are): the request's lazy child */
    if ((typeName === undefined || typeof typeName === "string") &&
        TallocNode.attachLazy(req, data as object)) {
      req.tcDestructor = reqDestructor;
      return req;
    }
    const dn = TallocNode.adopt(req, data as unknown as object);
    req.dataNode = dn;
    if (typeName !== undefined) {
      if (typeof typeName === "string") dn.tcName = typeName;
      else tallocSetName(data as unknown as object, typeName);
    }
  }
  req.tcDestructor = reqDestructor;
  return req;
}

/* TeventReq.createForNewState's body */
function reqCreateNew(memCtx: TallocCtx, state: object, typeName: string): TeventReq {
  const req = new TeventReq<unknown>(state, typeName);
  TallocNode.attachNew(memCtx, req);
  TallocNode.markLazy(req); /* a new request: no lazy child yet */
  req.tcDestructor = reqDestructor;
  return req;
}

/* tevent_req_cleanup(): at most once per state, in increasing state order */
function reqCleanup(req: TeventReq, x: TeventReqExtra): void {
  const fn = x.cleanupFn;
  if (fn === null) return;
  if (x.cleanupState >= req.state) return;
  x.cleanupState = req.state;
  fn(req, req.state);
}

/* tevent_req_notify_callback() without the argument check */
function reqNotify(req: TeventReq): void {
  const x = req.extra;
  if (x !== null) {
    const dev = x.deferCallbackEv;
    if (dev !== null) {
      x.deferCallbackEv = null;
      reqPost(req, dev);
      return;
    }
  }
  const fn = req.fn;
  /* through Function.prototype.call: V8 never inlines the caller's callback
   * into the library's optimized code (see runSome in tevent.ts) */
  if (fn !== null) fn.call(undefined, req);
}

/** tevent_req_notify_callback(): call the callback now (or defer it, see teventReqDeferCallback). */
export function teventReqNotifyCallback(req: TeventReq): void {
  checkReq(req, "teventReqNotifyCallback");
  reqNotify(req);
}

/* tevent_req_finish() */
function reqFinish(req: TeventReq, state: number, location: string): void {
  const x = req.extra;
  if (x === null) {
    req.state = state;
    req.finishLocation = location;
  } else {
    /* no time-out after the request finished */
    const timer = x.timer;
    if (timer !== null) {
      x.timer = null;
      tallocFree(timer);
    }
    req.state = state;
    req.finishLocation = location;
    if (x.cleanupFn !== null) reqCleanup(req, x);
  }
  reqNotify(req);
}

/*
 * Use after free is undefined in C.  Here a request that has been freed
 * (tallocFree, TallocNode.isFreed) is left alone: done, error, oom and post
 * do nothing (no callback), and teventReqError returns false.
 */

/** tevent_req_done(): finish successfully and call the callback. */
export function teventReqDone(req: TeventReq): void {
  bodies.done.call(undefined, req); /* see reqCreate */
}

function reqDoneChecked(req: TeventReq): void {
  checkReq(req, "teventReqDone");
  if (TallocNode.isFreed(req)) return;
  reqFinish(req, REQ_DONE, "tevent_req_done");
}

/**
 * tevent_req_error(): finish with an error and call the callback.
 * An error of 0 returns false and changes nothing.
 */
export function teventReqError(req: TeventReq, error: number): boolean {
  checkReq(req, "teventReqError");
  if (error === 0 || TallocNode.isFreed(req)) return false;
  req.err = error;
  reqFinish(req, REQ_USER_ERROR, "tevent_req_error");
  return true;
}

/** tevent_req_oom(): finish with TEVENT_REQ_NO_MEMORY. */
export function teventReqOom(req: TeventReq): void {
  checkReq(req, "teventReqOom");
  if (TallocNode.isFreed(req)) return;
  reqFinish(req, REQ_NO_MEMORY, "tevent_req_oom");
}

/** tevent_req_nomem(): if p is null/undefined, finish with TEVENT_REQ_NO_MEMORY and return true. */
export function teventReqNomem(p: unknown, req: TeventReq): boolean {
  if (p !== null && p !== undefined) return false;
  teventReqOom(req);
  return true;
}

/* tevent_req_trigger(): what runs a posted request from the immediate list */
function reqTrigger(req: TeventReq): void {
  const loc = req.finishLocation;
  reqFinish(req, req.state, loc !== null ? loc : "tevent_req_post");
}

/* The immediate the trace callbacks see for a posted request (C's req->internal.trigger). */
function reqTraceTarget(req: TeventReq): TeventImmediate {
  const x = reqExtra(req);
  let im = x.trigger;
  if (im === null) {
    im = new TeventImmediate();
    x.trigger = im;
  }
  return im;
}

/* The bodies the wrappers call (see reqCreate).  Each field is stored twice
 * (null, then the function): V8 then treats it as a field that may change,
 * not as a constant it could inline. */
const bodies = {
  create: null as unknown as typeof reqCreate,
  createNew: null as unknown as typeof reqCreateNew,
  done: null as unknown as typeof reqDoneChecked,
  post: null as unknown as typeof reqPostChecked,
  received: null as unknown as typeof reqReceived,
};
bodies.create = reqCreate;
bodies.createNew = reqCreateNew;
bodies.done = reqDoneChecked;
bodies.post = reqPostChecked;
bodies.received = reqReceived;

registerPostedRequests(reqTrigger as (e: ImmediateEntry) => void,
                       reqTraceTarget as (e: ImmediateEntry) => TeventImmediate);

/* tevent_req_post() without the argument checks */
function reqPost(req: TeventReq, ev: TeventContext): void {
  if (TallocNode.isFreed(req)) return;
  /* tevent_schedule_immediate(req->internal.trigger, ev, tevent_req_trigger, req):
   * the request itself waits on the list (C's trigger is private to the
   * request: only the trace callbacks could tell, and they are shown one) */
  schedulePosted(req, ev);
}

/*
 * What stays of the request's destructor once it is received.  C's trigger
 * is a talloc child of the request, freed with it: a received request that
 * is posted again and then freed must not call back.
 */
function receivedDestructor(req: TeventReq): number {
  if (req.ev !== null) cancelPosted(req);
  return 0;
}

/**
 * tevent_req_post(): deliver the result from the next loop iteration, so
 * that the caller of a _send function can set its callback first.
 */
export function teventReqPost<S>(req: TeventReq<S>, ev: TeventContext): TeventReq<S> {
  bodies.post.call(undefined, req as TeventReq, ev); /* see reqCreate */
  return req;
}

function reqPostChecked(req: TeventReq, ev: TeventContext): void {
  checkReq(req, "teventReqPost");
  checkContext(ev, "teventReqPost");
  reqPost(req, ev);
}

/** tevent_req_defer_callback(): the next notification goes through ev's immediate queue. */
export function teventReqDeferCallback(req: TeventReq, ev: TeventContext): void {
  checkReq(req, "teventReqDeferCallback");
  checkContext(ev, "teventReqDeferCallback");
  reqExtra(req).deferCallbackEv = ev;
}

/** tevent_req_is_in_progress() */
export function teventReqIsInProgress(req: TeventReq): boolean {
  checkReq(req, "teventReqIsInProgress");
  return req.state === REQ_IN_PROGRESS;
}

/**
 * tevent_req_received(): the result has been read: free the state (and so
 * every subrequest hanging on it), the timer and the trigger.
 */
export function teventReqReceived(req: TeventReq): void {
  checkReq(req, "teventReqReceived");
  /* the body is called, never inlined (see reqCreate): a _recv function
   * stays small enough to be inlined into its caller, so the result
   * object it returns need not be allocated */
  bodies.received.call(undefined, req);
}

function reqReceived(req: TeventReq): void {
  /* talloc_set_destructor(req, NULL); the trigger still goes with the request */
  req.tcDestructor = receivedDestructor as TallocDestructor<never>;
  const x = req.extra;
  if (x !== null) {
    x.privatePrint = null;
    x.privateCancel = null;
  }
  if (req.ev !== null) cancelPosted(req); /* TALLOC_FREE(req->internal.trigger): cancel */
  if (x !== null) {
    const timer = x.timer;
    if (timer !== null) {
      x.timer = null;
      tallocFree(timer);
    }
  }
  req.state = REQ_RECEIVED;
  if (x !== null && x.cleanupFn !== null) reqCleanup(req, x);
  const data = req.data;
  if (data !== null) {
    /* the state was a lazy child: freeing it is clearing the flag (after its destructor, if any) */
    if (TallocNode.freeLazy(req)) {
      (req as TeventReq<unknown>).data = null;
      return;
    }
    (req as TeventReq<unknown>).data = null;
    const dn = req.dataNode;
    req.dataNode = null;
    if (dn !== null && dn.tcPtr === data) TallocNode.free(dn);
    else tallocFree(data);
  }
}

/**
 * tevent_req_is_error(): false when the request is done; otherwise true,
 * with its state and (for TEVENT_REQ_USER_ERROR) its error.
 */
export function teventReqIsError(req: TeventReq): { ret: boolean; state: number; error: number } {
  checkReq(req, "teventReqIsError");
  if (req.state === REQ_DONE) return { ret: false, state: REQ_DONE, error: 0 };
  return { ret: true, state: req.state, error: req.state === REQ_USER_ERROR ? req.err : 0 };
}

/* tevent_req_timedout() */
function reqTimedout(ev: TeventContext, te: TeventTimer, now: Timeval, req: TeventReq): void {
  reqExtra(req).timer = null;
  tallocFree(te);
  reqFinish(req, REQ_TIMED_OUT, "tevent_req_timedout");
}

/** tevent_req_set_endtime(): finish with TEVENT_REQ_TIMED_OUT at endtime unless finished before. */
export function teventReqSetEndtime(req: TeventReq, ev: TeventContext, endtime: Timeval): boolean {
  checkReq(req, "teventReqSetEndtime");
  const x = reqExtra(req);
  const old = x.timer;
  if (old !== null) {
    x.timer = null;
    tallocFree(old);
  }
  x.timer = teventAddTimer(ev, req, endtime, reqTimedout, req);
  if (teventReqNomem(x.timer, req)) return false;
  return true;
}

/** tevent_req_reset_endtime() */
export function teventReqResetEndtime(req: TeventReq): void {
  checkReq(req, "teventReqResetEndtime");
  const x = req.extra;
  if (x === null) return;
  const old = x.timer;
  if (old !== null) {
    x.timer = null;
    tallocFree(old);
  }
}

/** tevent_req_set_callback(): fn(req) runs when req finishes; pvt comes back via teventReqCallbackData. */
export function teventReqSetCallback(req: TeventReq, fn: TeventReqFn | null, pvt?: unknown): void {
  checkReq(req, "teventReqSetCallback");
  if (fn !== null && fn !== undefined && typeof fn !== "function") {
    throw new TypeError("teventReqSetCallback: fn must be a function");
  }
  req.fn = fn ?? null;
  req.callbackPvt = pvt;
}

/** tevent_req_callback_data() / tevent_req_callback_data_void() */
export function teventReqCallbackData(req: TeventReq): unknown {
  checkReq(req, "teventReqCallbackData");
  return req.callbackPvt;
}

/** tevent_req_data(): the state, or null after teventReqReceived. */
export function teventReqData<S>(req: TeventReq<S>): S {
  checkReq(req, "teventReqData");
  return req.data;
}

/** tevent_req_set_print_fn() */
export function teventReqSetPrintFn(req: TeventReq, fn: TeventReqPrintFn | null): void {
  checkReq(req, "teventReqSetPrintFn");
  checkFnOrNull(fn, "teventReqSetPrintFn");
  if (fn === null || fn === undefined) {
    if (req.extra !== null) req.extra.privatePrint = null;
    return;
  }
  reqExtra(req).privatePrint = fn;
}

/** tevent_req_default_print() */
export function teventReqDefaultPrint(req: TeventReq, memCtx: TallocCtx): string {
  checkReq(req, "teventReqDefaultPrint");
  void memCtx;
  const err = req.err;
  const data = req.data as unknown;
  const dataPtr = data !== null && typeof data === "object" ? data : null;
  return `tevent_req[${fakePointer(req)}/${req.privateType}]: state[${req.state}] ` +
    `error[${err} (0x${err.toString(16).toUpperCase()})]  ` +
    `state[${dataPtr !== null ? tallocGetName(dataPtr) : "(null)"} (${fakePointer(dataPtr)})] ` +
    `timer[${fakePointer(req.timer)}] finish[${req.finishLocation ?? "(null)"}]`;
}

/** tevent_req_print(): the request's print function, else the default. */
export function teventReqPrint(memCtx: TallocCtx, req: TeventReq | null): string {
  if (req === null || req === undefined) return "tevent_req[NULL]";
  checkReq(req, "teventReqPrint");
  const fn = req.extra === null ? null : req.extra.privatePrint;
  if (fn === null) return teventReqDefaultPrint(req, memCtx);
  return fn(req, memCtx);
}

/** tevent_req_set_cancel_fn() */
export function teventReqSetCancelFn(req: TeventReq, fn: TeventReqCancelFn | null): void {
  checkReq(req, "teventReqSetCancelFn");
  checkFnOrNull(fn, "teventReqSetCancelFn");
  if (fn === null || fn === undefined) {
    if (req.extra !== null) req.extra.privateCancel = null;
    return;
  }
  reqExtra(req).privateCancel = fn;
}

/** tevent_req_cancel(): ask the implementation to cancel; false when it cannot. */
export function teventReqCancel(req: TeventReq): boolean {
  checkReq(req, "teventReqCancel");
  const fn = req.extra === null ? null : req.extra.privateCancel;
  if (fn === null) return false;
  return fn(req);
}

/**
 * tevent_req_set_cleanup_fn(): fn(req, state) runs when the request
 * finishes and again when it is received or freed (once per state).
 */
export function teventReqSetCleanupFn(req: TeventReq, fn: TeventReqCleanupFn | null): void {
  checkReq(req, "teventReqSetCleanupFn");
  checkFnOrNull(fn, "teventReqSetCleanupFn");
  if ((fn === null || fn === undefined) && req.extra === null) return;
  const x = reqExtra(req);
  x.cleanupState = req.state;
  x.cleanupFn = fn ?? null;
}

function reqNotInProgress(req: TeventReq): boolean {
  return req.state !== REQ_IN_PROGRESS;
}

/**
 * tevent_req_poll(): run ev until req is no longer in progress.
 * Resolves true, or false when the loop failed (getErrno() tells why).
 */
export function teventReqPoll(req: TeventReq, ev: TeventContext): Promise<boolean> {
  checkReq(req, "teventReqPoll");
  if (!(ev instanceof TeventContext)) throw new TypeError("teventReqPoll: ev must be a TeventContext");
  return runLoop(ev, reqNotInProgress, req).then((r) => r === 0);
}
