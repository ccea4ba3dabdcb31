// tevent_fd.c (+ the fd half of tevent_epoll.c): fd events.
//
// Node.js owns the descriptors, so readiness comes from the Node object
// behind one (a net.Socket or any Duplex; a socket descriptor number is
// wrapped in a net.Socket).  Readiness is level-triggered like epoll: after
// a handler runs, the event is queued again while its condition holds.
// TEVENT_FD_READ holds while bytes are buffered, at end of stream and after
// an error; TEVENT_FD_WRITE while a write would not have to wait.  Handlers
// do their I/O with teventFdRead / teventFdWrite, which behave like
// read(2) / write(2) on a non-blocking descriptor.

import { fstatSync } from "node:fs";
import { Socket } from "node:net";
import { Duplex } from "node:stream";
import { EAGAIN, EBADF, EINVAL, EPIPE, errnoFromNodeError, setErrno } from "../lib/errno";
import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal } from "../lib/talloc";
import {
  checkTag, checkContext, checkFunction, FdSource, TeventContext, TeventFd, TeventFdCloseFn, TeventFdHandler,
  traceEvent, TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER, TEVENT_EVENT_TRACE_DETACH,
  TEVENT_FD_READ, TEVENT_FD_WRITE,
} from "./internal";

interface ReadableInternals {
  _readableState?: { ended?: boolean };
}

/** Readiness of a Node.js Duplex (a net.Socket, a TLSSocket, a pipe...). */
class DuplexSource implements FdSource {
  error = 0;
  eof = false;
  private notify: (() => void) | null = null;
  private readonly onEvent = (): void => {
    if (this.notify !== null) this.notify();
  };
  private readonly onEnd = (): void => {
    this.eof = true;
    this.onEvent();
  };
  private readonly onError = (err: unknown): void => {
    this.error = errnoFromNodeError(err);
    this.onEvent();
  };
  /* release: for a socket made for a descriptor number, see ownedSocket() */
  constructor(readonly stream: Duplex, public release: (() => void) | null) {}

  ended(): boolean {
    if (this.eof) return true;
    const st = (this.stream as unknown as ReadableInternals)._readableState;
    return st !== undefined && st.ended === true && this.stream.readableLength === 0;
  }

  poll(): number {
    const s = this.stream;
    if (this.error !== 0 || s.destroyed) return TEVENT_FD_READ | TEVENT_FD_WRITE;
    let r = 0;
    if (s.readableLength > 0 || this.ended()) r |= TEVENT_FD_READ;
    const connecting = (s as Socket).connecting === true;
    if (!connecting && s.writable && !s.writableNeedDrain) r |= TEVENT_FD_WRITE;
    return r;
  }

  watch(notify: () => void): void {
    this.notify = notify;
    const s = this.stream;
    s.on("readable", this.onEvent);
    s.on("drain", this.onEvent);
    s.on("connect", this.onEvent);
    s.on("end", this.onEnd);
    s.on("close", this.onEvent);
    s.on("error", this.onError);
  }

  unwatch(): void {
    this.notify = null;
    const s = this.stream;
    s.removeListener("readable", this.onEvent);
    s.removeListener("drain", this.onEvent);
    s.removeListener("connect", this.onEvent);
    s.removeListener("end", this.onEnd);
    s.removeListener("close", this.onEvent);
    s.removeListener("error", this.onError);
    if (this.release !== null) {
      const release = this.release;
      this.release = null;
      release();
    }
  }

  close(): void {
    this.stream.destroy();
  }

  /* read(2) */
  read(buf: Uint8Array, count: number): number {
    const s = this.stream;
    if (count === 0) return 0;
    if (s.readableLength === 0) {
      if (this.ended()) return 0;
      if (this.error !== 0) {
        setErrno(this.error);
        return -1;
      }
      if (s.destroyed) return 0;
      s.read(0); /* make sure Node keeps reading */
      setErrno(EAGAIN);
      return -1;
    }
    const n = Math.min(count, s.readableLength);
    const chunk = s.read(n) as Buffer | null ?? s.read() as Buffer | null;
    if (chunk === null) {
      setErrno(EAGAIN);
      return -1;
    }
    if (chunk.length > count) {
      /* a string or object stream gave more than asked: keep the rest */
      buf.set(chunk.subarray(0, count));
      s.unshift(chunk.subarray(count));
      return count;
    }
    buf.set(chunk);
    return chunk.length;
  }

  /* write(2) */
  write(buf: Uint8Array, count: number): number {
    const s = this.stream;
    if (this.error !== 0) {
      setErrno(this.error);
      return -1;
    }
    if (s.destroyed || !s.writable) {
      setErrno(EPIPE);
      return -1;
    }
    if ((s as Socket).connecting === true || s.writableNeedDrain) {
      setErrno(EAGAIN);
      return -1;
    }
    if (count === 0) return 0;
    /* the caller may reuse buf at once, as after write(2) */
    s.write(Buffer.from(buf.subarray(0, count)));
    return count;
  }
}

function readyPush(ev: TeventContext, fde: TeventFd): void {
  if (fde.queued) return;
  fde.queued = true;
  fde.readyNext = null;
  fde.readyPrev = ev.readyTail;
  if (ev.readyTail !== null) ev.readyTail.readyNext = fde; else ev.readyHead = fde;
  ev.readyTail = fde;
}

function readyRemove(ev: TeventContext, fde: TeventFd): void {
  if (!fde.queued) return;
  fde.queued = false;
  if (fde.readyPrev !== null) fde.readyPrev.readyNext = fde.readyNext; else ev.readyHead = fde.readyNext;
  if (fde.readyNext !== null) fde.readyNext.readyPrev = fde.readyPrev; else ev.readyTail = fde.readyPrev;
  fde.readyPrev = fde.readyNext = null;
}

function fdUnlink(ev: TeventContext, fde: TeventFd): void {
  if (fde.prev !== null) fde.prev.next = fde.next; else if (ev.fdHead === fde) ev.fdHead = fde.next;
  if (fde.next !== null) fde.next.prev = fde.prev;
  fde.prev = fde.next = null;
  readyRemove(ev, fde);
}

/* tevent_common_fd_destructor() */
function fdDestructor(fde: TeventFd): number {
  if (!fde.destroyed) {
    fde.destroyed = true;
    const ev = fde.ev;
    if (ev !== null) {
      traceEvent(ev.tracing.fde, fde, TEVENT_EVENT_TRACE_DETACH);
      fdUnlink(ev, fde);
    }
    fde.source.unwatch();
    if (fde.closeFn !== null) {
      const closeFn = fde.closeFn as TeventFdCloseFn<unknown>;
      fde.closeFn = null;
      closeFn(ev, fde, fde.fd, fde.privateData);
      fde.fd = -1;
    }
    fde.ev = null;
  }
  return fde.busy ? -1 : 0;
}

/*
 * The sockets made for descriptor numbers: one per descriptor.  C leaves a
 * descriptor alone when its fd event is freed without auto close, and a
 * later tevent_add_fd() on it sees the unread data.  A libuv handle cannot
 * let go of its descriptor without closing it, so the socket is kept: it
 * stops reading and no longer holds the Node.js loop open, and the next
 * teventAddFd on the same descriptor (the same open file: dev and inode
 * are compared, the number may have been reused) takes it up again.
 */
interface OwnedSocket {
  sock: Socket;
  dev: number;
  ino: number;
  users: number;
}
const ownedSockets = new Map<number, OwnedSocket>();

interface HandleInternals {
  _handle?: { fd?: number; reading?: boolean; readStart?(): number; readStop?(): number } | null;
}

function handleOf(s: Duplex): HandleInternals["_handle"] {
  return (s as unknown as HandleInternals)._handle;
}

function ownedRelease(o: OwnedSocket): void {
  if (--o.users > 0 || o.sock.destroyed) return;
  /* what net does under back-pressure: stop reading from the descriptor */
  const h = handleOf(o.sock);
  if (h !== null && h !== undefined && h.reading === true && typeof h.readStop === "function") {
    h.reading = false;
    h.readStop();
  }
  o.sock.unref();
}

function ownedSocket(fd: number): OwnedSocket | null {
  let dev: number;
  let ino: number;
  try {
    const st = fstatSync(fd);
    dev = st.dev;
    ino = st.ino;
  } catch {
    return null; /* EBADF */
  }
  const old = ownedSockets.get(fd);
  if (old !== undefined) {
    if (!old.sock.destroyed && old.dev === dev && old.ino === ino) {
      if (old.users++ === 0) {
        old.sock.ref();
        const h = handleOf(old.sock);
        if (h !== null && h !== undefined && h.reading !== true && typeof h.readStart === "function") {
          h.reading = true;
          h.readStart();
        }
      }
      return old;
    }
    /* closed behind our back: the old socket must not close the new file */
    ownedSockets.delete(fd);
  }
  let sock: Socket;
  try {
    sock = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
  } catch {
    return null;
  }
  const o: OwnedSocket = { sock, dev, ino, users: 1 };
  /* nobody else listens for errors of a socket we made */
  sock.on("error", () => undefined);
  sock.on("close", () => {
    if (ownedSockets.get(fd) === o) ownedSockets.delete(fd);
  });
  ownedSockets.set(fd, o);
  return o;
}

function sourceFor(fd: unknown): { source: DuplexSource; fdnum: number } | null {
  if (fd instanceof Duplex) {
    const h = handleOf(fd);
    const fdnum = h !== undefined && h !== null && typeof h.fd === "number" ? h.fd : -1;
    return { source: new DuplexSource(fd, null), fdnum };
  }
  if (typeof fd === "number") {
    if (!Number.isInteger(fd) || fd < 0) return null;
    const o = ownedSocket(fd);
    if (o === null) return null;
    return { source: new DuplexSource(o.sock, () => ownedRelease(o)), fdnum: fd };
  }
  throw new TypeError("teventAddFd: fd must be a descriptor number or a Node.js Duplex (net.Socket)");
}

/**
 * tevent_add_fd(): call handler when fd becomes readable (TEVENT_FD_READ)
 * or writable (TEVENT_FD_WRITE).  fd is a socket descriptor number or a
 * Node.js Duplex.  Returns null with errno EBADF for a descriptor Node
 * cannot watch.
 */
export function teventAddFd<P>(ev: TeventContext, memCtx: TallocCtx, fd: number | Duplex, flags: number,
                               handler: TeventFdHandler<P>, privateData: P): TeventFd | null {
  checkContext(ev, "teventAddFd");
  checkFunction(handler, "teventAddFd: handler");
  const src = sourceFor(fd);
  if (src === null) {
    setErrno(EBADF);
    return null;
  }
  return fdAdd(ev, memCtx, src.source, src.fdnum, flags, handler, privateData);
}

/**
 * tevent_add_fd() on a source of the library's own (a backend whose
 * descriptor Node.js owns and whose readiness it computes itself).  @internal
 */
export function fdAddSource<P>(ev: TeventContext, memCtx: TallocCtx, source: FdSource, fdnum: number, flags: number,
                               handler: TeventFdHandler<P>, privateData: P): TeventFd {
  return fdAdd(ev, memCtx, source, fdnum, flags, handler, privateData);
}

function fdAdd<P>(ev: TeventContext, memCtx: TallocCtx, source: FdSource, fdnum: number, flags: number,
                  handler: TeventFdHandler<P>, privateData: P): TeventFd {
  const fde = new TeventFd(ev, fdnum, flags & 0xffff, handler, privateData, source);
  tallocSteal(memCtx ?? ev, fde);
  traceEvent(ev.tracing.fde, fde, TEVENT_EVENT_TRACE_ATTACH);
  /* DLIST_ADD: newest first */
  fde.next = ev.fdHead;
  if (ev.fdHead !== null) ev.fdHead.prev = fde;
  ev.fdHead = fde;
  tallocSetDestructor(fde, fdDestructor);
  if (source === NEVER_READY) return fde;
  source.watch(() => {
    const e = fde.ev;
    if (e === null) return;
    /* epoll reports only the conditions asked for: a readable fd with
     * flags 0 must not wake the loop (it would return having done nothing) */
    if ((fde.source.poll() & fde.flags) === 0) return;
    readyPush(e, fde);
    e.wake();
  });
  if ((source.poll() & fde.flags) !== 0) {
    readyPush(ev, fde);
    /* added from a Node.js callback while a loop waits: nothing else would wake it */
    ev.wake();
  }
  return fde;
}

/* The source of a stand-in fd event: a descriptor that is never ready. */
const NEVER_READY: FdSource = {
  poll: () => 0,
  watch: () => undefined,
  unwatch: () => undefined,
  close: () => undefined,
};

/**
 * An fd event on no descriptor, never ready, with flags 0: the stand-in a
 * backend registers where C registers a tevent_fd that Node.js replaces
 * (it keeps the loop's tevent_loop_wait() going for as long as it lives).
 * Cheaper than teventAddFd on a dummy Duplex: nothing to watch.  @internal
 */
export function fdAddStandIn<P>(ev: TeventContext, memCtx: TallocCtx, handler: TeventFdHandler<P>,
                                privateData: P): TeventFd {
  return fdAdd(ev, memCtx, NEVER_READY, -1, 0, handler, privateData);
}

/** tevent_fd_get_flags() */
export function teventFdGetFlags(fde: TeventFd | null): number {
  if (fde === null || fde === undefined) return 0;
  return fde.flags;
}

/** tevent_fd_set_flags() */
export function teventFdSetFlags(fde: TeventFd | null, flags: number): void {
  if (fde === null || fde === undefined) return;
  /* unchanged: nothing to tell the kernel (epoll's set_fd_flags returns here too) */
  if (fde.flags === (flags & 0xffff)) return;
  fde.flags = flags & 0xffff;
  const ev = fde.ev;
  if (ev !== null && (fde.source.poll() & fde.flags) !== 0) {
    readyPush(ev, fde);
    ev.wake(); /* as epoll_ctl() does for a loop waiting in epoll_wait() */
  }
}

/** TEVENT_FD_READABLE() / TEVENT_FD_WRITEABLE() / TEVENT_FD_NOT_READABLE() / TEVENT_FD_NOT_WRITEABLE() */
export function TEVENT_FD_READABLE(fde: TeventFd): void {
  teventFdSetFlags(fde, teventFdGetFlags(fde) | TEVENT_FD_READ);
}
export function TEVENT_FD_WRITEABLE(fde: TeventFd): void {
  teventFdSetFlags(fde, teventFdGetFlags(fde) | TEVENT_FD_WRITE);
}
export function TEVENT_FD_NOT_READABLE(fde: TeventFd): void {
  teventFdSetFlags(fde, teventFdGetFlags(fde) & ~TEVENT_FD_READ);
}
export function TEVENT_FD_NOT_WRITEABLE(fde: TeventFd): void {
  teventFdSetFlags(fde, teventFdGetFlags(fde) & ~TEVENT_FD_WRITE);
}

/** tevent_fd_set_close_fn(): called with (ev, fde, fd, privateData) when fde is freed. */
export function teventFdSetCloseFn<P>(fde: TeventFd, closeFn: TeventFdCloseFn<P> | null): void {
  checkFde(fde, "teventFdSetCloseFn");
  /* checked here: a wrong type would otherwise throw only when fde is freed */
  if (closeFn !== null && closeFn !== undefined) checkFunction(closeFn, "teventFdSetCloseFn: closeFn");
  fde.closeFn = closeFn ?? null;
}

/** tevent_fd_set_auto_close(): close the descriptor when fde is freed. */
export function teventFdSetAutoClose(fde: TeventFd): void {
  checkFde(fde, "teventFdSetAutoClose");
  const source = fde.source;
  fde.closeFn = () => source.close();
}

/** tevent_fd_set_tag() / tevent_fd_get_tag() */
export function teventFdSetTag(fde: TeventFd, tag: number): void {
  checkFde(fde, "teventFdSetTag");
  checkTag(tag, "teventFdSetTag");
  fde.tag = tag;
}
export function teventFdGetTag(fde: TeventFd): number {
  checkFde(fde, "teventFdGetTag");
  return fde.tag;
}

function checkFde(fde: unknown, fn: string): asserts fde is TeventFd {
  if (!(fde instanceof TeventFd)) throw new TypeError(`${fn}: fde must be a TeventFd`);
}

/** The Node.js object behind an fd event (an extension: C has the descriptor itself). */
export function teventFdGetStream(fde: TeventFd): Duplex {
  checkFde(fde, "teventFdGetStream");
  return (fde.source as DuplexSource).stream;
}

/**
 * read(2) on the descriptor of fde: up to count bytes into buf.
 * Returns the number read, 0 at end of stream, or -1 with errno
 * (EAGAIN when nothing is buffered yet).
 */
export function teventFdRead(fde: TeventFd, buf: Uint8Array, count: number = buf.length): number {
  checkFde(fde, "teventFdRead");
  if (fde.destroyed) {
    setErrno(EBADF);
    return -1;
  }
  if (count < 0 || count > buf.length) {
    setErrno(EINVAL);
    return -1;
  }
  return (fde.source as DuplexSource).read(buf, count);
}

/**
 * write(2) on the descriptor of fde.  Returns count, or -1 with errno
 * (EAGAIN while Node's buffer is full, EPIPE once the stream is closed).
 */
export function teventFdWrite(fde: TeventFd, buf: Uint8Array, count: number = buf.length): number {
  checkFde(fde, "teventFdWrite");
  if (fde.destroyed) {
    setErrno(EBADF);
    return -1;
  }
  if (count < 0 || count > buf.length) {
    setErrno(EINVAL);
    return -1;
  }
  return (fde.source as DuplexSource).write(buf, count);
}

/**
 * Handle one ready fd event (tevent_common_invoke_fd_handler for the first
 * ready descriptor).  Returns true if a handler ran.
 */
export function fdDispatchOne(ev: TeventContext): boolean {
  for (;;) {
    const fde = ev.readyHead;
    if (fde === null) return false;
    readyRemove(ev, fde);
    const flags = fde.source.poll() & fde.flags;
    if (flags === 0) continue;
    const handler = fde.handler as TeventFdHandler<unknown>;
    fde.busy = true;
    traceEvent(ev.tracing.fde, fde, TEVENT_EVENT_TRACE_BEFORE_HANDLER);
    ev.nesting++;
    try {
      handler(ev, fde, flags, fde.privateData);
    } finally {
      ev.nesting--;
      fde.busy = false;
    }
    if (fde.destroyed) {
      tallocSetDestructor(fde, null);
      tallocFree(fde);
    } else if (fde.ev === ev && (fde.source.poll() & fde.flags) !== 0) {
      readyPush(ev, fde); /* level-triggered: still ready */
    }
    return true;
  }
}

/** Detach every fd event from a context being freed. */
export function fdsDetachAll(ev: TeventContext): void {
  for (let fde = ev.fdHead; fde !== null;) {
    const next: TeventFd | null = fde.next;
    traceEvent(ev.tracing.fde, fde, TEVENT_EVENT_TRACE_DETACH);
    readyRemove(ev, fde);
    fde.source.unwatch();
    fde.ev = null;
    fde.prev = fde.next = null;
    fde = next;
  }
  ev.fdHead = null;
}

/** Drop queued fd events whose conditions no longer hold (epoll would not report them). */
export function fdPruneReady(ev: TeventContext): void {
  for (let fde = ev.readyHead; fde !== null;) {
    const next: TeventFd | null = fde.readyNext;
    if ((fde.source.poll() & fde.flags) === 0) readyRemove(ev, fde);
    fde = next;
  }
}

/**
 * The loop's look at the ready list before it waits, in one pass: with
 * sample true, return true at the first queued fd event ready for fewer
 * conditions than it watches (nothing pruned: every event before it is
 * ready for all of them); otherwise prune as fdPruneReady() and return false.
 */
export function fdPruneOrSample(ev: TeventContext, sample: boolean): boolean {
  for (let fde = ev.readyHead; fde !== null;) {
    const next: TeventFd | null = fde.readyNext;
    const ready = fde.source.poll() & fde.flags;
    if (ready !== fde.flags) {
      if (sample) return true;
      if (ready === 0) readyRemove(ev, fde);
    }
    fde = next;
  }
  return false;
}
