// tevent_debug.c: trace callbacks.

import {
  checkContext, TeventContext, TeventFd, TeventImmediate, TeventSignal, TeventTimer,
  TeventTraceCallback, TeventTraceEventCallback, TraceSlot,
} from "./internal";
import type { TeventQueueEntry } from "./queue";

function set(s: TraceSlot, cb: unknown, pvt: unknown, fn: string): void {
  if (cb !== null && cb !== undefined && typeof cb !== "function") {
    throw new TypeError(`${fn}: cb must be a function or null`);
  }
  s.callback = (cb ?? null) as TraceSlot["callback"];
  s.privateData = pvt;
}

/** tevent_set_trace_callback(): cb(tp, privateData) at BEFORE/AFTER_WAIT and BEFORE/AFTER_LOOP_ONCE. */
export function teventSetTraceCallback<P>(ev: TeventContext, cb: TeventTraceCallback<P> | null, privateData?: P): void {
  checkContext(ev, "teventSetTraceCallback");
  set(ev.tracing.point, cb, privateData, "teventSetTraceCallback");
}
/** tevent_get_trace_callback() */
export function teventGetTraceCallback(ev: TeventContext): { cb: TeventTraceCallback | null; private_data: unknown } {
  checkContext(ev, "teventGetTraceCallback");
  return { cb: ev.tracing.point.callback as TeventTraceCallback | null, private_data: ev.tracing.point.privateData };
}

type Getter<E> = { cb: TeventTraceEventCallback<E> | null; p_private_data: unknown };
function get<E>(s: TraceSlot): Getter<E> {
  return { cb: s.callback as TeventTraceEventCallback<E> | null, p_private_data: s.privateData };
}

/** tevent_set_trace_fd_callback(): ATTACH, DETACH and BEFORE_HANDLER of fd events. */
export function teventSetTraceFdCallback<P>(ev: TeventContext, cb: TeventTraceEventCallback<TeventFd, P> | null,
                                            privateData?: P): void {
  checkContext(ev, "teventSetTraceFdCallback");
  set(ev.tracing.fde, cb, privateData, "teventSetTraceFdCallback");
}
export function teventGetTraceFdCallback(ev: TeventContext): Getter<TeventFd> {
  checkContext(ev, "teventGetTraceFdCallback");
  return get<TeventFd>(ev.tracing.fde);
}
/** tevent_set_trace_signal_callback() */
export function teventSetTraceSignalCallback<P>(ev: TeventContext,
                                                cb: TeventTraceEventCallback<TeventSignal, P> | null,
                                                privateData?: P): void {
  checkContext(ev, "teventSetTraceSignalCallback");
  set(ev.tracing.se, cb, privateData, "teventSetTraceSignalCallback");
}
export function teventGetTraceSignalCallback(ev: TeventContext): Getter<TeventSignal> {
  checkContext(ev, "teventGetTraceSignalCallback");
  return get<TeventSignal>(ev.tracing.se);
}
/** tevent_set_trace_timer_callback() */
export function teventSetTraceTimerCallback<P>(ev: TeventContext, cb: TeventTraceEventCallback<TeventTimer, P> | null,
                                               privateData?: P): void {
  checkContext(ev, "teventSetTraceTimerCallback");
  set(ev.tracing.te, cb, privateData, "teventSetTraceTimerCallback");
}
export function teventGetTraceTimerCallback(ev: TeventContext): Getter<TeventTimer> {
  checkContext(ev, "teventGetTraceTimerCallback");
  return get<TeventTimer>(ev.tracing.te);
}
/** tevent_set_trace_immediate_callback() */
export function teventSetTraceImmediateCallback<P>(ev: TeventContext,
                                                   cb: TeventTraceEventCallback<TeventImmediate, P> | null,
                                                   privateData?: P): void {
  checkContext(ev, "teventSetTraceImmediateCallback");
  set(ev.tracing.im, cb, privateData, "teventSetTraceImmediateCallback");
}
export function teventGetTraceImmediateCallback(ev: TeventContext): Getter<TeventImmediate> {
  checkContext(ev, "teventGetTraceImmediateCallback");
  return get<TeventImmediate>(ev.tracing.im);
}
/** tevent_set_trace_queue_callback() */
export function teventSetTraceQueueCallback<P>(ev: TeventContext,
                                               cb: TeventTraceEventCallback<TeventQueueEntry, P> | null,
                                               privateData?: P): void {
  checkContext(ev, "teventSetTraceQueueCallback");
  set(ev.tracing.qe, cb, privateData, "teventSetTraceQueueCallback");
}
export function teventGetTraceQueueCallback(ev: TeventContext): Getter<TeventQueueEntry> {
  checkContext(ev, "teventGetTraceQueueCallback");
  return get<TeventQueueEntry>(ev.tracing.qe);
}
