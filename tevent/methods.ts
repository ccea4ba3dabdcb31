// API.md, "Objects with methods": every free function whose first argument
// is an object is also a method of it.  The methods are attached here, in
// one place, so the C-named functions stay the single implementation.

import { TallocCtx } from "../lib/talloc";
import { Timeval } from "../lib/types";
import {
  teventFdGetFlags, teventFdGetStream, teventFdGetTag, teventFdRead, teventFdSetAutoClose, teventFdSetCloseFn,
  teventFdSetFlags, teventFdSetTag, teventFdWrite, teventAddFd,
} from "./fd";
import { teventImmediateGetTag, teventImmediateSetTag, teventScheduleImmediate } from "./immediate";
import {
  TeventContext, TeventFd, TeventFdCloseFn, TeventFdHandler, TeventImmediate, TeventImmediateHandler, TeventSignal,
  TeventSignalHandler, TeventTimer, TeventTimerHandler, TeventTraceCallback,
} from "./internal";
import { TeventQueueEntry, teventQueueEntryGetTag, teventQueueEntrySetTag } from "./queue";
import { TeventReq } from "./req";
import { teventAddSignal, teventSignalGetTag, teventSignalSetTag } from "./signal";
import { teventLoopAllowNesting, teventLoopOnce, teventLoopUntil, teventLoopWait, teventSignalSupport } from "./tevent";
import { teventAddTimer, teventTimerGetTag, teventTimerSetTag, teventUpdateTimer } from "./timed";
import { teventGetTraceCallback, teventSetTraceCallback } from "./debug";
import { teventReqIsUnixError, teventReqPollUnix, teventReqSimpleRecvUnix } from "./unix";
import type { Duplex } from "node:stream";

declare module "./internal" {
  interface TeventContext {
    loopOnce(): Promise<number>;
    loopWait(): Promise<number>;
    loopUntil<P>(finished: (privateData: P) => boolean, privateData: P): Promise<number>;
    loopAllowNesting(): void;
    signalSupport(): boolean;
    addTimer<P>(memCtx: TallocCtx, nextEvent: Timeval, handler: TeventTimerHandler<P>, privateData: P): TeventTimer | null;
    addFd<P>(memCtx: TallocCtx, fd: number | Duplex, flags: number, handler: TeventFdHandler<P>,
             privateData: P): TeventFd | null;
    addSignal<P>(memCtx: TallocCtx, signum: number, saFlags: number, handler: TeventSignalHandler<P>,
                 privateData: P): TeventSignal | null;
    setTraceCallback<P>(cb: TeventTraceCallback<P> | null, privateData?: P): void;
    getTraceCallback(): { cb: TeventTraceCallback | null; private_data: unknown };
  }
  interface TeventTimer {
    update(nextEvent: Timeval): void;
    setTag(tag: number): void;
    getTag(): number;
  }
  interface TeventImmediate {
    schedule<P>(ev: TeventContext, handler: TeventImmediateHandler<P> | null, privateData?: P): void;
    setTag(tag: number): void;
    getTag(): number;
  }
  interface TeventFd {
    getFlags(): number;
    setFlags(flags: number): void;
    setCloseFn<P>(closeFn: TeventFdCloseFn<P> | null): void;
    setAutoClose(): void;
    setTag(tag: number): void;
    getTag(): number;
    getStream(): Duplex;
    read(buf: Uint8Array, count?: number): number;
    write(buf: Uint8Array, count?: number): number;
  }
  interface TeventSignal {
    setTag(tag: number): void;
    getTag(): number;
  }
}
declare module "./queue" {
  interface TeventQueueEntry {
    setTag(tag: number): void;
    getTag(): number;
  }
}
declare module "./req" {
  interface TeventReq {
    isUnixError(): { ret: boolean; perrno: number };
    simpleRecvUnix(): number;
    pollUnix(ev: TeventContext): Promise<{ ret: boolean; err: number }>;
  }
}

function define(proto: object, methods: Record<string, unknown>): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

define(TeventContext.prototype, {
  loopOnce(this: TeventContext) { return teventLoopOnce(this); },
  loopWait(this: TeventContext) { return teventLoopWait(this); },
  loopUntil<P>(this: TeventContext, finished: (p: P) => boolean, p: P) { return teventLoopUntil(this, finished, p); },
  loopAllowNesting(this: TeventContext) { teventLoopAllowNesting(this); },
  signalSupport(this: TeventContext) { return teventSignalSupport(this); },
  addTimer<P>(this: TeventContext, m: TallocCtx, t: Timeval, h: TeventTimerHandler<P>, p: P) {
    return teventAddTimer(this, m, t, h, p);
  },
  addFd<P>(this: TeventContext, m: TallocCtx, fd: number | Duplex, f: number, h: TeventFdHandler<P>, p: P) {
    return teventAddFd(this, m, fd, f, h, p);
  },
  addSignal<P>(this: TeventContext, m: TallocCtx, s: number, f: number, h: TeventSignalHandler<P>, p: P) {
    return teventAddSignal(this, m, s, f, h, p);
  },
  setTraceCallback<P>(this: TeventContext, cb: TeventTraceCallback<P> | null, p?: P) {
    teventSetTraceCallback(this, cb, p);
  },
  getTraceCallback(this: TeventContext) { return teventGetTraceCallback(this); },
});
define(TeventTimer.prototype, {
  update(this: TeventTimer, t: Timeval) { teventUpdateTimer(this, t); },
  setTag(this: TeventTimer, tag: number) { teventTimerSetTag(this, tag); },
  getTag(this: TeventTimer) { return teventTimerGetTag(this); },
});
define(TeventImmediate.prototype, {
  schedule<P>(this: TeventImmediate, ev: TeventContext, h: TeventImmediateHandler<P> | null, p?: P) {
    teventScheduleImmediate(this, ev, h, p);
  },
  setTag(this: TeventImmediate, tag: number) { teventImmediateSetTag(this, tag); },
  getTag(this: TeventImmediate) { return teventImmediateGetTag(this); },
});
define(TeventFd.prototype, {
  getFlags(this: TeventFd) { return teventFdGetFlags(this); },
  setFlags(this: TeventFd, f: number) { teventFdSetFlags(this, f); },
  setCloseFn<P>(this: TeventFd, fn: TeventFdCloseFn<P> | null) { teventFdSetCloseFn(this, fn); },
  setAutoClose(this: TeventFd) { teventFdSetAutoClose(this); },
  setTag(this: TeventFd, tag: number) { teventFdSetTag(this, tag); },
  getTag(this: TeventFd) { return teventFdGetTag(this); },
  getStream(this: TeventFd) { return teventFdGetStream(this); },
  read(this: TeventFd, buf: Uint8Array, count?: number) { return teventFdRead(this, buf, count); },
  write(this: TeventFd, buf: Uint8Array, count?: number) { return teventFdWrite(this, buf, count); },
});
define(TeventSignal.prototype, {
  setTag(this: TeventSignal, tag: number) { teventSignalSetTag(this, tag); },
  getTag(this: TeventSignal) { return teventSignalGetTag(this); },
});
define(TeventQueueEntry.prototype, {
  setTag(this: TeventQueueEntry, tag: number) { teventQueueEntrySetTag(this, tag); },
  getTag(this: TeventQueueEntry) { return teventQueueEntryGetTag(this); },
});
define(TeventReq.prototype, {
  isUnixError(this: TeventReq) { return teventReqIsUnixError(this); },
  simpleRecvUnix(this: TeventReq) { return teventReqSimpleRecvUnix(this); },
  pollUnix(this: TeventReq, ev: TeventContext) { return teventReqPollUnix(this, ev); },
});
