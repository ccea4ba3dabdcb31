// tevent_req.c: async requests.

import { TallocCtx, tallocFree, tallocGetName, tallocSetName,
         TALLOC_NODE, TallocNode } from "../lib/talloc";
import { Timeval } from "../lib/types";
import { scheduleImmediateInternal, teventScheduleImmediate } from "./immediate";
import { checkContext, TeventContext, TeventImmediate, TeventTimer } from "./internal";
import { runLoop } from "./tevent";
import { teventAddTimer } from "./timed";

/* enum tevent_req_state */
export const TEVENT_REQ_INIT = 0;
export const TEVENT_REQ_IN_PROGRESS = 1;
export const TEVENT_REQ_DONE = 2;
export const TEVENT_REQ_USER_ERROR = 3;
export const TEVENT_REQ_TIMED_OUT = 4;
export const TEVENT_REQ_NO_MEMORY = 5;
export const TEVENT_REQ_RECEIVED = 6;

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
  let a = addrs.get(p);
  if (a === undefined) {
    a = nextAddr;
    nextAddr += 0x40;
    addrs.set(p, a);
  }
  return "0x" + a.toString(16);
}

/** struct tevent_req */
export class TeventReq<S = unknown> {
  static readonly tallocName = "struct tevent_req";
  [TALLOC_NODE]: TallocNode | null = null;
  /** tevent_req_data(): the state passed to teventReqCreate (null once received). */
  data: S;
  /* async */
  fn: TeventReqFn | null = null;
  privateData: unknown = null;
  /* private_print / private_cancel / private_cleanup */
  privatePrint: TeventReqPrintFn | null = null;
  privateCancel: TeventReqCancelFn | null = null;
  cleanupFn: TeventReqCleanupFn | null = null;
  cleanupState = TEVENT_REQ_INIT;
  /* internal */
  /* the state's type name for print; looked up lazily (hot path) */
  typeName: string | undefined;
  state = TEVENT_REQ_IN_PROGRESS;
  err = 0;
  finishLocation: string | null = null;
  trigger: TeventImmediate | null = null;
  deferCallbackEv: TeventContext | null = null;
  timer: TeventTimer | null = null;
  /* the state's talloc node, kept so that receiving frees it without a lookup */
  dataNode: TallocNode | null = null;

  constructor(state: S, typeName: string | undefined) {
    this.data = state;
    this.typeName = typeName;
  }
  get privateType(): string {
    if (this.typeName === undefined) this.typeName = tallocGetName(this.data);
    return this.typeName;
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

function checkReq(req: unknown, fn: string): asserts req is TeventReq {
  if (!(req instanceof TeventReq)) throw new TypeError(`${fn}: req must be a TeventReq`);
}

/* tevent_req_destructor(): a request freed while pending is received, silently. */
function reqDestructor(req: TeventReq): number {
  teventReqReceived(req);
  return 0;
}

/**
 * tevent_req_create(): a new request in TEVENT_REQ_IN_PROGRESS, child of
 * memCtx, whose state (tevent_req_data) is `state`, a child of the request.
 * typeName names the state for teventReqPrint (default: its class name).
 */
export function teventReqCreate<S>(memCtx: TallocCtx, state: S, typeName?: string): TeventReq<S> {
  const data = (state === undefined || state === null ? {} : state) as S;
  const req = new TeventReq<S>(data, typeName);
  /* talloc_steal(mem_ctx, req), talloc_steal(req, state) and the
   * destructor, done on the nodes directly (the hot path of every request) */
  const node = new TallocNode(req);
  req[TALLOC_NODE] = node;
  TallocNode.attachNew(memCtx, node);
  if (typeof data === "object" || typeof data === "function") {
    const dn = TallocNode.adopt(node, data as unknown as object);
    req.dataNode = dn;
    if (typeName !== undefined) {
      if (typeof typeName === "string") dn.name = typeName;
      else tallocSetName(data as unknown as object, typeName);
    }
  }
  node.destructor = reqDestructor;
  return req;
}

/* tevent_req_cleanup(): at most once per state, in increasing state order */
function reqCleanup(req: TeventReq): void {
  const fn = req.cleanupFn;
  if (fn === null) return;
  if (req.cleanupState >= req.state) return;
  req.cleanupState = req.state;
  fn(req, req.state);
}

/** tevent_req_notify_callback(): call the callback now (or defer it, see teventReqDeferCallback). */
export function teventReqNotifyCallback(req: TeventReq): void {
  const dev = req.deferCallbackEv;
  if (dev !== null) {
    req.deferCallbackEv = null;
    teventReqPost(req, dev);
    return;
  }
  const fn = req.fn;
  if (fn !== null) fn(req);
}

/* tevent_req_finish() */
function reqFinish(req: TeventReq, state: number, location: string): void {
  /* no time-out after the request finished */
  const timer = req.timer;
  if (timer !== null) {
    req.timer = null;
    tallocFree(timer);
  }
  req.state = state;
  req.finishLocation = location;
  if (req.cleanupFn !== null) reqCleanup(req);
  teventReqNotifyCallback(req);
}

/*
 * Use after free is undefined in C.  Here a request that has been freed
 * (tallocFree) is left alone: done, error, oom and post do nothing (no
 * callback), and teventReqError returns false.
 */
function reqFreed(req: TeventReq): boolean {
  return TallocNode.isFreed(req[TALLOC_NODE]);
}

/** tevent_req_done(): finish successfully and call the callback. */
export function teventReqDone(req: TeventReq): void {
  checkReq(req, "teventReqDone");
  if (reqFreed(req)) return;
  reqFinish(req, TEVENT_REQ_DONE, "tevent_req_done");
}

/**
 * tevent_req_error(): finish with an error and call the callback.
 * An error of 0 returns false and changes nothing.
 */
export function teventReqError(req: TeventReq, error: number): boolean {
  checkReq(req, "teventReqError");
  if (error === 0 || reqFreed(req)) return false;
  req.err = error;
  reqFinish(req, TEVENT_REQ_USER_ERROR, "tevent_req_error");
  return true;
}

/** tevent_req_oom(): finish with TEVENT_REQ_NO_MEMORY. */
export function teventReqOom(req: TeventReq): void {
  checkReq(req, "teventReqOom");
  if (reqFreed(req)) return;
  reqFinish(req, TEVENT_REQ_NO_MEMORY, "tevent_req_oom");
}

/** tevent_req_nomem(): if p is null/undefined, finish with TEVENT_REQ_NO_MEMORY and return true. */
export function teventReqNomem(p: unknown, req: TeventReq): boolean {
  if (p !== null && p !== undefined) return false;
  teventReqOom(req);
  return true;
}

/* tevent_req_trigger(): the immediate behind tevent_req_post() */
function reqTrigger(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  reqFinish(req, req.state, req.finishLocation ?? "tevent_req_post");
}

/**
 * tevent_req_post(): deliver the result from the next loop iteration, so
 * that the caller of a _send function can set its callback first.
 */
export function teventReqPost<S>(req: TeventReq<S>, ev: TeventContext): TeventReq<S> {
  checkReq(req, "teventReqPost");
  checkContext(ev, "teventReqPost");
  if (reqFreed(req)) return req;
  let im = req.trigger;
  if (im === null) {
    /* C allocates it with the request; here it is made on first use and,
     * being private to the request, is not a talloc object (cheaper) */
    im = new TeventImmediate();
    req.trigger = im;
  }
  scheduleImmediateInternal(im, ev, reqTrigger, req as TeventReq);
  return req;
}

/** tevent_req_defer_callback(): the next notification goes through ev's immediate queue. */
export function teventReqDeferCallback(req: TeventReq, ev: TeventContext): void {
  checkReq(req, "teventReqDeferCallback");
  checkContext(ev, "teventReqDeferCallback");
  req.deferCallbackEv = ev;
}

/** tevent_req_is_in_progress() */
export function teventReqIsInProgress(req: TeventReq): boolean {
  checkReq(req, "teventReqIsInProgress");
  return req.state === TEVENT_REQ_IN_PROGRESS;
}

/**
 * tevent_req_received(): the result has been read: free the state (and so
 * every subrequest hanging on it), the timer and the trigger.
 */
export function teventReqReceived(req: TeventReq): void {
  checkReq(req, "teventReqReceived");
  const node = req[TALLOC_NODE];
  if (node !== null) node.destructor = null; /* talloc_set_destructor(req, NULL) */
  req.privatePrint = null;
  req.privateCancel = null;
  const trigger = req.trigger;
  if (trigger !== null) {
    req.trigger = null;
    if (trigger.ev !== null) teventScheduleImmediate(trigger, trigger.ev, null); /* TALLOC_FREE: cancel */
  }
  const timer = req.timer;
  if (timer !== null) {
    req.timer = null;
    tallocFree(timer);
  }
  req.state = TEVENT_REQ_RECEIVED;
  if (req.cleanupFn !== null) reqCleanup(req);
  const data = req.data;
  if (data !== null) {
    (req as TeventReq<unknown>).data = null;
    const dn = req.dataNode;
    req.dataNode = null;
    if (dn !== null && dn.ptr === data) TallocNode.free(dn);
    else tallocFree(data);
  }
}

/**
 * tevent_req_is_error(): false when the request is done; otherwise true,
 * with its state and (for TEVENT_REQ_USER_ERROR) its error.
 */
export function teventReqIsError(req: TeventReq): { ret: boolean; state: number; error: number } {
  checkReq(req, "teventReqIsError");
  if (req.state === TEVENT_REQ_DONE) return { ret: false, state: TEVENT_REQ_DONE, error: 0 };
  return { ret: true, state: req.state, error: req.state === TEVENT_REQ_USER_ERROR ? req.err : 0 };
}

/* tevent_req_timedout() */
function reqTimedout(ev: TeventContext, te: TeventTimer, now: Timeval, req: TeventReq): void {
  req.timer = null;
  tallocFree(te);
  reqFinish(req, TEVENT_REQ_TIMED_OUT, "tevent_req_timedout");
}

/** tevent_req_set_endtime(): finish with TEVENT_REQ_TIMED_OUT at endtime unless finished before. */
export function teventReqSetEndtime(req: TeventReq, ev: TeventContext, endtime: Timeval): boolean {
  checkReq(req, "teventReqSetEndtime");
  const old = req.timer;
  if (old !== null) {
    req.timer = null;
    tallocFree(old);
  }
  req.timer = teventAddTimer(ev, req, endtime, reqTimedout, req);
  if (teventReqNomem(req.timer, req)) return false;
  return true;
}

/** tevent_req_reset_endtime() */
export function teventReqResetEndtime(req: TeventReq): void {
  checkReq(req, "teventReqResetEndtime");
  const old = req.timer;
  if (old !== null) {
    req.timer = null;
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
  req.privateData = pvt;
}

/** tevent_req_callback_data() / tevent_req_callback_data_void() */
export function teventReqCallbackData(req: TeventReq): unknown {
  checkReq(req, "teventReqCallbackData");
  return req.privateData;
}

/** tevent_req_data(): the state, or null after teventReqReceived. */
export function teventReqData<S>(req: TeventReq<S>): S {
  checkReq(req, "teventReqData");
  return req.data;
}

/** tevent_req_set_print_fn() */
export function teventReqSetPrintFn(req: TeventReq, fn: TeventReqPrintFn | null): void {
  checkReq(req, "teventReqSetPrintFn");
  req.privatePrint = fn;
}

/** tevent_req_default_print() */
export function teventReqDefaultPrint(req: TeventReq, memCtx: TallocCtx): string {
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
  if (req.privatePrint === null) return teventReqDefaultPrint(req, memCtx);
  return req.privatePrint(req, memCtx);
}

/** tevent_req_set_cancel_fn() */
export function teventReqSetCancelFn(req: TeventReq, fn: TeventReqCancelFn | null): void {
  checkReq(req, "teventReqSetCancelFn");
  req.privateCancel = fn;
}

/** tevent_req_cancel(): ask the implementation to cancel; false when it cannot. */
export function teventReqCancel(req: TeventReq): boolean {
  checkReq(req, "teventReqCancel");
  const fn = req.privateCancel;
  if (fn === null) return false;
  return fn(req);
}

/**
 * tevent_req_set_cleanup_fn(): fn(req, state) runs when the request
 * finishes and again when it is received or freed (once per state).
 */
export function teventReqSetCleanupFn(req: TeventReq, fn: TeventReqCleanupFn | null): void {
  checkReq(req, "teventReqSetCleanupFn");
  req.cleanupState = req.state;
  req.cleanupFn = fn;
}

/**
 * tevent_req_poll(): run ev until req is no longer in progress.
 * Resolves true, or false when the loop failed (getErrno() tells why).
 */
export function teventReqPoll(req: TeventReq, ev: TeventContext): Promise<boolean> {
  checkReq(req, "teventReqPoll");
  if (!(ev instanceof TeventContext)) throw new TypeError("teventReqPoll: ev must be a TeventContext");
  return runLoop(ev, () => req.state === TEVENT_REQ_IN_PROGRESS).then((r) => r === 0);
}
