// tevent_signal.c: signal events on top of Node's process signal listeners.
//
// Node delivers a signal as a callback; it is counted per context and the
// context is woken.  Handlers run from the loop (before anything else, as
// in C) with the number of deliveries since the last run.  Node gives no
// siginfo, so SA_SIGINFO handlers get null and one call per batch.

import { constants as osConstants } from "node:os";
import { EINVAL, setErrno } from "../lib/errno";
import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal } from "../lib/talloc";
import {
  checkTag, checkContext, checkFunction, TeventContext, TeventSignal, TeventSignalHandler, traceEvent,
  TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER, TEVENT_EVENT_TRACE_DETACH,
} from "./internal";

export const SA_SIGINFO = 4;
export const SA_RESTART = 0x10000000;
export const SA_RESETHAND = 0x80000000;

/* tevent_num_signals() of libtevent 0.14 on Linux x86_64 (measured: 68,
 * although only 1..SIGRTMAX = 64 can be caught) */
const TEVENT_NUM_SIGNALS = 68;

/** tevent_num_signals() */
export function teventNumSignals(): number {
  return TEVENT_NUM_SIGNALS;
}

const SIGNAL_NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(osConstants.signals)) {
  if (!SIGNAL_NAMES.has(num)) SIGNAL_NAMES.set(num, name);
}

/*
 * One process listener per signal number, shared by every context.  As in
 * C (sig_state in tevent_signal.c) the handler list and the count of
 * deliveries are process-wide: a delivery wakes every context with a
 * handler for the signal, and the first of them to loop runs all the
 * handlers, each with its own context (checked against libtevent).
 */
interface SigState {
  name: string;
  listener: () => void;
  /* sig_handlers[signum]: newest first (DLIST_ADD) */
  handlers: TeventSignal[];
  /* deliveries not yet handled */
  count: number;
}
const sigStates = new Map<number, SigState>();

function deliver(signum: number): void {
  const st = sigStates.get(signum);
  if (st === undefined) return;
  st.count++;
  /* tevent_common_signal_handler(): write to the pipe of each context */
  for (const se of st.handlers) {
    const ev = se.ev;
    if (ev === null) continue;
    if (ev.sigPending === null) ev.sigPending = new Map();
    ev.sigPending.set(signum, st.count);
    ev.sigPipe = true;
    ev.wake();
  }
}

function seUnlink(ev: TeventContext, se: TeventSignal): void {
  if (se.prev !== null) se.prev.next = se.next; else ev.seHead = se.next;
  if (se.next !== null) se.next.prev = se.prev;
  se.prev = se.next = null;
  /* the last signal event takes the signal pipe with it */
  if (ev.seHead === null) ev.sigPipe = false;
}

function releaseProcessListener(se: TeventSignal): void {
  const st = sigStates.get(se.signum);
  if (st === undefined) return;
  const i = st.handlers.indexOf(se);
  if (i >= 0) st.handlers.splice(i, 1);
  if (st.handlers.length === 0) {
    process.removeListener(st.name as NodeJS.Signals, st.listener);
    sigStates.delete(se.signum);
  }
}

/* tevent_signal_destructor() */
function signalDestructor(se: TeventSignal): number {
  if (!se.destroyed) {
    se.destroyed = true;
    const ev = se.ev;
    if (ev !== null) {
      traceEvent(ev.tracing.se, se, TEVENT_EVENT_TRACE_DETACH);
      seUnlink(ev, se);
      se.ev = null;
    }
    releaseProcessListener(se);
  }
  return se.busy ? -1 : 0;
}

/**
 * tevent_add_signal(): call handler from the loop when signum arrives.
 * Returns null with errno EINVAL for a signal Node cannot catch.
 */
export function teventAddSignal<P>(ev: TeventContext, memCtx: TallocCtx, signum: number, saFlags: number,
                                   handler: TeventSignalHandler<P>, privateData: P): TeventSignal | null {
  checkContext(ev, "teventAddSignal");
  checkFunction(handler, "teventAddSignal: handler");
  const name = SIGNAL_NAMES.get(signum);
  if (!Number.isInteger(signum) || signum <= 0 || signum >= TEVENT_NUM_SIGNALS || name === undefined) {
    setErrno(EINVAL);
    return null;
  }
  let st = sigStates.get(signum);
  if (st === undefined) {
    const listener = (): void => deliver(signum);
    try {
      process.on(name as NodeJS.Signals, listener);
    } catch {
      /* SIGKILL, SIGSTOP and the signals libuv reserves */
      setErrno(EINVAL);
      return null;
    }
    st = { name, listener, handlers: [], count: 0 };
    sigStates.set(signum, st);
  }
  const se = new TeventSignal(ev, signum, saFlags >>> 0, handler, privateData);
  tallocSteal(memCtx ?? ev, se);
  st.handlers.unshift(se);
  traceEvent(ev.tracing.se, se, TEVENT_EVENT_TRACE_ATTACH);
  /* DLIST_ADD: newest first */
  se.next = ev.seHead;
  if (ev.seHead !== null) ev.seHead.prev = se;
  ev.seHead = se;
  tallocSetDestructor(se, signalDestructor);
  return se;
}

/** tevent_signal_set_tag() / tevent_signal_get_tag() */
export function teventSignalSetTag(se: TeventSignal, tag: number): void {
  if (!(se instanceof TeventSignal)) throw new TypeError("teventSignalSetTag: se must be a TeventSignal");
  checkTag(tag, "teventSignalSetTag");
  se.tag = tag;
}
export function teventSignalGetTag(se: TeventSignal): number {
  if (!(se instanceof TeventSignal)) throw new TypeError("teventSignalGetTag: se must be a TeventSignal");
  return se.tag;
}

/**
 * tevent_common_check_signal(): run the handlers of every signal that
 * arrived, in signal number order, those of every context (newest first).
 * Returns true if any handler ran.
 */
export function checkSignals(ev: TeventContext): boolean {
  /* empty the wake-up "pipe" of this context */
  ev.sigPending = null;
  const nums = [...sigStates.keys()].sort((a, b) => a - b);
  let ran = false;
  for (const signum of nums) {
    const st = sigStates.get(signum);
    if (st === undefined || st.count === 0) continue;
    const count = st.count;
    st.count = 0;
    for (const se of st.handlers.slice()) {
      const sev = se.ev;
      if (sev === null || se.destroyed) continue;
      ran = true;
      invokeSignal(sev, se, signum, count);
    }
  }
  return ran;
}

function invokeSignal(ev: TeventContext, se: TeventSignal, signum: number, count: number): void {
  const handler = se.handler as TeventSignalHandler<unknown>;
  se.busy = true;
  traceEvent(ev.tracing.se, se, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
  ev.nesting++;
  try {
    handler(ev, se, signum, count, null, se.privateData);
  } finally {
    ev.nesting--;
    se.busy = false;
  }
  if (se.destroyed) {
    tallocSetDestructor(se, null);
    tallocFree(se);
  } else if ((se.saFlags & SA_RESETHAND) !== 0) {
    tallocFree(se);
  }
}

/** Detach every signal event from a context being freed. */
export function signalsDetachAll(ev: TeventContext): void {
  for (let se = ev.seHead; se !== null;) {
    const next: TeventSignal | null = se.next;
    traceEvent(ev.tracing.se, se, TEVENT_EVENT_TRACE_DETACH);
    se.ev = null;
    se.prev = se.next = null;
    /* as in C the process handler stays until the se itself is freed */
    se = next;
  }
  ev.seHead = null;
  ev.sigPending = null;
  ev.sigPipe = false;
}
