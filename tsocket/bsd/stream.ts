// The stream half of tsocket_bsd.c: tstream_bsd over node:net.
//
// C drives a non-blocking descriptor with readv(2)/writev(2) from a
// tevent_fd handler.  Node.js owns the descriptor here: one net.Socket per
// stream, whose events (data, end, error, write callbacks) only record what
// happened and schedule an immediate on the request's event context; the
// request makes progress, and completes, from that immediate.  So every
// result is delivered from the tevent loop, never from inside a _send.  (A
// loop that a read wakes runs at the end of Node's read callback, once the
// bytes are taken in: see bsdOnRead.)
//
// The backend implements only the tstream_context_ops; the generic layer
// (tsocket/stream.ts) does EBUSY, EINVAL, EMSGSIZE and the lifetimes.
//
// Error numbers are those of libsamba-sockets 4.17 on Linux, which keeps a
// sticky error per stream (bsds->error): once an operation has reported an
// error, every later readv, writev and pending_bytes reports it again.
// Checked against libsamba-sockets:
//   - readv at end of stream: EPIPE (sticky), even after a partial read;
//   - writev after the peer closed: TCP accepts the first write (the peer
//     answers with a reset) and the next one fails with EPIPE; a unix
//     stream fails the first with EPIPE; a reset peer gives ECONNRESET;
//   - pending_bytes: the unconsumed count while there is one; with nothing
//     buffered and the peer gone, -1 with ECONNRESET for TCP (poll says
//     POLLRDHUP only) and EPIPE for a unix stream (POLLHUP);
//   - after tstream_disconnect: readv, writev, pending_bytes and another
//     disconnect fail with ENOTCONN.
//
// Back-pressure.  Reads: Node reads ahead of the caller (through the onread
// option, see bsdOnRead: what a waiting readv asks for goes straight into
// its buffers, the rest waits in a queue).  When READ_BUFFER_LIMIT bytes are
// queued the socket stops reading from the kernel and starts again when a
// readv has consumed enough, so a peer sending forever cannot grow our
// memory.  Writes: a writev completes only when the kernel took every byte
// (Node wrote it at once, or its write callback says so later), as C's
// writev completes when writev(2) wrote it all; with one outstanding writev
// per stream, a writer whose peer does not read holds at most the kernel's
// buffers plus that one request.

import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  EBADF, ECONNRESET, EINVAL, EIO, EMFILE, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPIPE, errnoFromNodeError, setErrno,
} from "../../lib/errno";
import { TallocCtx, tallocFree, tallocSetDestructor } from "../../lib/talloc";
import { fdAddStandIn } from "../../tevent/fd";
import { TeventContext, TeventFd, TeventImmediate } from "../../tevent/internal";
import { loopWakesHold, loopWakesRelease } from "../../tevent/tevent";
import { scheduleImmediateInternal, teventCreateImmediate, teventScheduleImmediate } from "../../tevent/immediate";
import {
  TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqPost, teventReqReceived,
} from "../../tevent/req";
import { TsocketAddress } from "../address";
import { bufferView, bufferViewClear } from "./bufview";
import {
  ByteQueue, iovecAdvance, iovecCopyBack, iovecCopyIn, readvCursorFinish as readvFinish, readvCursorRecv, ReadvCursorState,
} from "../bytequeue";
import { tsocketSimpleIntRecv, tsocketSimpleIntRecvShared } from "../simple";
import {
  TstreamContext, TstreamContextOps, TstreamReadvNowOp, TstreamWritevNowOp, tstreamContextCreate,
  tstreamContextData,
} from "../stream";
import {
  AF_INET, AF_INET6, AF_UNIX, TsocketAddressBsd, tsocketAddressInetAddrString, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tsocketAddressUnixFromPath, tsocketAddressUnixPath,
} from "./address";

/*
 * C's stream registers a tevent_fd for its descriptor the first time a
 * request has to wait, and keeps it (flags changing) until the stream is
 * closed; the connect request holds one until it is received.  So
 * tevent_loop_wait() goes on while such a stream exists.  Node.js drives
 * the requests here, so the port registers a stand-in tevent_fd with flags 0
 * (it never fires) at the same moments, for the same lifetime.
 */
function holdFdHandler(): void { /* never called: flags are 0 */ }

/** A stand-in tevent_fd, child of memCtx, keeping ev's loop alive.  @internal */
export function tstreamBsdHoldLoop(ev: TeventContext, memCtx: object): TeventFd {
  return fdAddStandIn(ev, memCtx, holdFdHandler, null);
}

/**
 * Most bytes queued (read from the kernel, not yet consumed) before the
 * socket is paused.  Node reads up to 32 x 64 KiB each time a socket is
 * readable: a smaller bound pauses and resumes a bulk TCP stream every few
 * reads (an epoll_ctl pair each time).  1 MiB is still below what Linux
 * lets a TCP socket's own receive buffer grow to (tcp_rmem, 6 MiB).
 */
export const TSTREAM_BSD_READ_BUFFER_LIMIT = 1024 * 1024;

/* A waiting backend request: its progress function runs from the loop. */
interface Progressing {
  im: TeventImmediate;
  ev: TeventContext;
  progress: (ev: TeventContext, im: TeventImmediate, req: TeventReq) => void;
}

/* A request freed while its progress is scheduled on the stream's immediate unschedules it. */
function imCancel(im: TeventImmediate, req: TeventReq | null): void {
  if (im.ev !== null && im.privateData === req) teventScheduleImmediate(im, im.ev, null);
}

function kick(req: TeventReq | null): void {
  if (req === null) return;
  const st = req.data as Progressing | null;
  if (st === null) return;
  scheduleImmediateInternal(st.im, st.ev, st.progress, req);
}

/*
 * Reading.  Every socket the port makes (or adopts, see bsdAdopt) reads
 * through Node's onread option into one buffer shared by all of them: Node
 * calls bsdOnRead synchronously after each read(2), before any other read,
 * so the bytes are always taken out before the buffer is used again.  They
 * go straight into the buffers of the readv that waits for them when
 * nothing is queued before them (no allocation, no copy beyond the
 * kernel-to-user one and this one), else into the queue.  A socket that
 * cannot read that way (its handle lacks a user buffer) emits 'data' as
 * before.
 *
 * The loops a read wakes run at the end of bsdOnRead (loopWakesHold), not
 * in a microtask after it: the readv callbacks they run make the next
 * readvs before Node picks its next read buffer.  Then a readv that waits
 * with a large buffer and nothing queued before it lends that buffer to
 * Node (lendReader), and read(2) fills it in place, as C's readv(2) fills
 * the caller's iovec: no copy at all.  A readv that lets go of its buffer
 * before Node read into it takes it back (bsdUnlend).  The buffers of a
 * pending readv must therefore stay valid (not transferred away), as in C.
 *
 * A read that filled the buffer says more is likely waiting in the kernel:
 * that socket's next read goes into a block of its own (Node asks for the
 * next buffer after each read, see bsdReadBufGen), so that what no readv
 * waits for is queued as it lies, without a copy; the readv's copy out of
 * the queue is then the only one.  Few blocks are lent out at a time
 * (RX_LOAN_MAX); a socket without one reads into the shared buffer.
 */
const kBsd = Symbol("tstream_bsd");
const kBsdRead = Symbol("tstream_bsd_onread");
const kEarly = Symbol("tstream_bsd_early");
const kSpare = Symbol("tstream_bsd_spare");

interface SocketHandle {
  reading?: boolean;
  useUserBuffer?: unknown;
}

type BsdSocket = net.Socket & {
  [kBsd]?: TstreamBsd | null;
  [kBsdRead]?: boolean;
  [kEarly]?: Buffer[];
  [kSpare]?: SocketpairSpare;
  _handle?: SocketHandle | null;
  _server?: unknown;
  server?: unknown;
};

const READ_BUFFER_SIZE = 64 * 1024;
/* (a plain Uint8Array: its subarrays are cheaper than a Buffer's) */
const readScratch = new Uint8Array(READ_BUFFER_SIZE);

/*
 * The buffer Node reads into next, chosen by bsdOnRead for the socket
 * whose read it handles.  Node asks for it (bsdReadBufGen, called with no
 * socket) right after each onread callback, synchronously, and when it
 * starts a handle: the shared buffer unless the callback just chose a block.
 * Node asks only while the socket's kBufferGen slot (genSlot, the same
 * symbol for every socket) holds bsdReadBufGen: it is set when a block is
 * lent, and cleared once the socket reads into the shared buffer again, so
 * that a socket reading small messages pays nothing for it.
 */
let rxNext: Uint8Array = readScratch;
let genSlot: symbol | null = null;
/* the socket's kBuffer slot: the buffer Node's JavaScript believes the handle reads into */
let bufSlot: symbol | null = null;

/* A waiting readv's buffer is lent to Node as its next read buffer when at least this long. */
const LEND_MIN = READ_BUFFER_SIZE / 2;
/* How many lent buffers a socket may take back (each leaves Node a small
 * listener until the socket closes) before it is lent no more. */
const RETRACT_MAX = 4;

function bsdReadBufGen(): Uint8Array {
  const b = rxNext;
  rxNext = readScratch;
  return b;
}

/* Node's onread callback (this is the socket): false stops reading. */
function bsdOnRead(this: BsdSocket, nread: number, buf: Uint8Array): boolean {
  rxNext = readScratch;
  const bsds = this[kBsd];
  if (bsds === undefined) {
    /* not owned by a stream yet (a connect not received): keep the bytes,
     * stop reading until a stream takes the socket */
    const early = this[kEarly] ?? (this[kEarly] = []);
    early.push(Buffer.from(buf.subarray(0, nread)));
    return false;
  }
  if (bsds === null) return false;
  /* the loops this read wakes run at the end of this callback, before
   * Node picks the next read buffer: a readv they make can be it */
  let more = false;
  loopWakesHold();
  try {
    more = bsds.received(buf, nread);
  } finally {
    /* (the loops run after Node's own bookkeeping when reading stops here) */
    loopWakesRelease(more);
  }
  if (more) bsds.lendReader();
  return more;
}

const BSD_ONREAD = { buffer: readScratch, callback: bsdOnRead };

/*
 * The queue's copies of what no readv was waiting for.  A stream that
 * reads in bulk queues a 64 KiB read after another; their memory is reused
 * (a few, at most RX_POOL_MAX, are kept) instead of allocated for each read.
 * Queued chunks never leave the queue (readv copies out of them), so one
 * that is used up can be reused at once.
 */
const RX_POOL_MAX = 16;
const rxPool: Uint8Array[] = [];
const rxPooled = new WeakSet<ArrayBufferLike>();

/* Blocks lent out as sockets' next read buffers (TstreamBsd.readBlock), at most RX_LOAN_MAX. */
const RX_LOAN_MAX = 32;
let rxLoaned = 0;
let rxBlockReads = 0;
let rxInPlaceReads = 0;

function rxBlock(): Uint8Array {
  let block = rxPool.pop();
  if (block === undefined) {
    block = new Uint8Array(READ_BUFFER_SIZE);
    rxPooled.add(block.buffer);
  }
  return block;
}

function rxChunk(src: Uint8Array, from: number, to: number): Uint8Array {
  const n = to - from;
  if (n < READ_BUFFER_SIZE / 2) return Buffer.from(src.subarray(from, to));
  const block = rxBlock();
  block.set(src.subarray(from, to));
  return n === READ_BUFFER_SIZE ? block : block.subarray(0, n);
}

function rxConsumed(chunk: Uint8Array): void {
  if (rxPool.length < RX_POOL_MAX && rxPooled.has(chunk.buffer)) {
    rxPool.push(chunk.length === READ_BUFFER_SIZE ? chunk : new Uint8Array(chunk.buffer));
  }
}

/* A socket reading through bsdOnRead. */
function bsdNewSocket(opts: net.SocketConstructorOpts): net.Socket {
  (opts as { onread?: unknown }).onread = BSD_ONREAD;
  const socket = new net.Socket(opts) as BsdSocket;
  socket[kBsdRead] = true;
  /* the slots are the same on every socket: looked up once (nothing is
   * stored on each socket: W5 measured 1.7 KB more per idle pair when it was) */
  if (!genLooked) {
    genLooked = true;
    const slots = socketOnreadSlots(socket);
    if (slots !== null) bsdSetBufGen(socket, slots);
  }
  return socket;
}

/* whether bsdNewSocket has looked for the kBufferGen slot yet */
let genLooked = false;

/* Whether Node can be asked for each next read buffer (genSlot; a Node.js without the slot reads into readScratch always). */
function bsdSetBufGen(socket: BsdSocket, slots: OnreadSlots): void {
  const o = socket as unknown as Record<symbol, unknown>;
  if (genSlot === null && slots.gen !== undefined && o[slots.gen] === null) {
    genSlot = slots.gen;
    bufSlot = slots.buffer;
  }
}

/* Node asks bsdReadBufGen for socket's next read buffer (on), or keeps the one it has. */
function bsdGenSlot(socket: net.Socket, on: boolean): void {
  (socket as unknown as Record<symbol, unknown>)[genSlot as symbol] = on ? bsdReadBufGen : null;
}

/*
 * A socket Node made (an accepted connection, paused since it was
 * accepted) is switched to reading through bsdOnRead before it read
 * anything: in place when Node's socket has the slots the onread option
 * fills (found by their names), else by moving its libuv handle (the same
 * descriptor) onto a new socket made with onread.  A socket that already
 * read, or whose handle cannot, stays as it is (it emits 'data').
 */
/* (looked up on each socket, once when it is adopted: a Node.js whose
 * sockets lack them falls back, socket by socket) */
interface OnreadSlots {
  buffer: symbol;
  callback: symbol;
  gen: symbol | undefined;
}

function socketOnreadSlots(socket: net.Socket): OnreadSlots | null {
  let buffer: symbol | undefined;
  let callback: symbol | undefined;
  let gen: symbol | undefined;
  for (const sym of Object.getOwnPropertySymbols(socket)) {
    if (sym.description === "kBuffer") buffer = sym;
    else if (sym.description === "kBufferCb") callback = sym;
    else if (sym.description === "kBufferGen") gen = sym;
  }
  return buffer !== undefined && callback !== undefined ? { buffer, callback, gen } : null;
}

function bsdAdopt(socket: net.Socket): net.Socket {
  const old = socket as BsdSocket;
  if (old[kBsdRead] === true) return socket;
  const h = old._handle;
  if (h === null || h === undefined || typeof h.useUserBuffer !== "function" || h.reading !== false ||
      old.connecting || old.destroyed || old.readableLength !== 0 || old.readableEnded ||
      old.listenerCount("data") > 0) {
    return socket;
  }
  const slots = socketOnreadSlots(old);
  const o = old as unknown as Record<symbol, unknown>;
  if (slots !== null && o[slots.buffer] === null && o[slots.callback] === null) {
    o[slots.buffer] = readScratch;
    o[slots.callback] = bsdOnRead;
    (h.useUserBuffer as (buf: Uint8Array) => void).call(h, readScratch);
    old[kBsdRead] = true;
    bsdSetBufGen(old, slots);
    return socket;
  }
  old._handle = null;
  const opts = {
    handle: h, allowHalfOpen: old.allowHalfOpen, readable: true, writable: true, pauseOnCreate: true,
  } as net.SocketConstructorOpts;
  const ns = bsdNewSocket(opts) as BsdSocket;
  /* the server counts the connection until its socket closes */
  if (old._server !== null && old._server !== undefined) {
    ns._server = old._server;
    ns.server = old.server;
    old._server = null;
    old.server = null;
  }
  return ns;
}

function bsdOnData(this: BsdSocket, chunk: Buffer): void {
  const bsds = this[kBsd];
  if (bsds !== undefined && bsds !== null) bsds.received(chunk, -1);
}

function bsdOnEnd(this: BsdSocket): void {
  const bsds = this[kBsd];
  if (bsds === undefined || bsds === null) return;
  bsds.eof = true;
  kick(bsds.reader);
}

function bsdOnError(this: BsdSocket, err: unknown): void {
  const bsds = this[kBsd];
  if (bsds === undefined || bsds === null) return;
  if (bsds.sockError === 0) bsds.sockError = errnoFromNodeError(err, EPIPE);
  kick(bsds.reader);
  kick(bsds.writer);
}

/**
 * struct tstream_bsd: the private state of a BSD stream
 * (tstreamContextData of the stream).
 */
export class TstreamBsd {
  /** the socket; null before it is known (one end of a socketpair, briefly) or after close */
  socket: net.Socket | null = null;
  /** C's fd == -1: disconnected (or made from descriptor -1) */
  closed = false;
  /** the descriptor was not open: every operation fails with this errno, as C's syscalls do */
  badFd = 0;
  /** C's bsds->error: the error an operation reported, reported again by every later one */
  error = 0;
  /** an error Node saw on the socket that no operation has reported yet (C: SO_ERROR) */
  sockError = 0;
  /** end of stream seen (the peer closed or shut down its side) */
  eof = false;
  /** received chunks, oldest first, not consumed yet */
  readonly rx = new ByteQueue();
  /** bytes copied straight into the waiting readv's buffers that its handler has not seen yet
   * (for C they are still in the kernel: pending, and given back if that readv is freed) */
  unseen = 0;
  /** bytes received and not consumed (tstream_pending_bytes) */
  get buffered(): number { return this.rx.length + this.unseen; }
  /** the socket was paused because buffered reached the limit */
  paused = false;
  /** tstream_bsd_optimize_readv(): kept and returned, see tstreamBsdOptimizeReadv */
  optimizeReadv = false;
  /** the backend readv / writev requests waiting on this stream */
  reader: TeventReq | null = null;
  writer: TeventReq | null = null;
  /** bytes Node delivered in all (for tests and statistics) */
  bytesReceived = 0;
  /** the socket can ask bsdReadBufGen for its read buffers (it may be lent a block) */
  bufGen = false;
  /** it does now (its kBufferGen slot is set) */
  genOn = false;
  /** the block lent to the socket as its next read buffer, or null (the shared one) */
  readBlock: Uint8Array | null = null;
  /** the waiting readv's buffer lent to the socket as its next read buffer (see lendReader) */
  lent: Uint8Array | null = null;
  /** how many more lent buffers may be taken back (see RETRACT_MAX) */
  retractsLeft = RETRACT_MAX;
  /** the last buffer written and its Buffer view (BufferViewSlot) */
  viewOf: Uint8Array | null = null;
  view: Buffer | null = null;
  /** the stand-in tevent_fd (see tstreamBsdHoldLoop) and its context */
  fde: TeventFd | null = null;
  fdeEv: TeventContext | null = null;
  /** the immediates the readv and the writev progress from (C's one fde handler per
   * direction): made once per stream, not once per request */
  rim: TeventImmediate | null = null;
  wim: TeventImmediate | null = null;

  constructor(readonly isInet: boolean) {}

  /** @internal How many read blocks are lent out to sockets now (for tests). */
  static rxLoanedBlocks(): number { return rxLoaned; }
  /** @internal How many reads went into a lent block, in all (for tests). */
  static rxBlockReads(): number { return rxBlockReads; }
  /** @internal How many lent buffers a socket may take back before it is lent no more (for tests). */
  static readonly RETRACT_MAX = RETRACT_MAX;
  /** @internal How many reads went straight into a waiting readv's buffer, in all (for tests). */
  static rxInPlaceReads(): number { return rxInPlaceReads; }

  /* Bytes from the socket: buf[0, n) from the shared read buffer (n >= 0),
   * or a chunk Node allocated (n === -1).  Returns false to stop reading. */
  received(buf: Uint8Array, n: number): boolean {
    if (this.closed) return false;
    const own = n < 0;
    if (own) n = buf.length;
    this.bytesReceived += n;
    const lent = this.lent;
    if (lent !== null) {
      this.lent = null;
      if (buf === lent) return this.receivedInPlace(n);
    }
    /* the block lent for this read (if Node read into it, it is ours again) */
    let block = this.readBlock;
    if (block !== null) {
      this.readBlock = null;
      rxLoaned--;
      if (block !== buf) {
        /* Node did not take it as its buffer: nobody else holds it */
        rxConsumed(block);
        block = null;
      } else {
        rxBlockReads++;
      }
    }
    let taken = 0;
    const reader = this.reader;
    if (reader !== null && this.rx.length === 0) {
      const st = reader.data as TstreamBsdReadvState;
      taken = iovecCopyIn(st.vector, st, buf, 0, n);
      this.unseen += taken;
    }
    if (taken < n) {
      if (own) {
        /* a chunk Node allocated is ours to keep */
        this.rx.push(taken === 0 ? buf : buf.subarray(taken, n));
      } else if (block !== null && n - taken >= READ_BUFFER_SIZE / 2) {
        /* the block joins the queue as it is (rxConsumed takes it back) */
        this.rx.push(taken === 0 && n === block.length ? block : block.subarray(taken, n));
        block = null;
      } else {
        /* the shared buffer (or a block mostly empty) is copied */
        this.rx.push(rxChunk(buf, taken, n));
      }
    }
    kick(reader);
    const socket = this.socket;
    if (this.rx.length >= TSTREAM_BSD_READ_BUFFER_LIMIT && !this.paused && socket !== null) {
      if (block !== null) rxConsumed(block);
      /* (Node asks, if the slot is set: the shared buffer) */
      if (this.genOn && buf === readScratch) {
        this.genOn = false;
        bsdGenSlot(socket, false);
      }
      this.paused = true;
      if (own) socket.pause();
      return false;
    }
    if (!own && n === buf.length && this.bufGen && socket !== null && (block !== null || rxLoaned < RX_LOAN_MAX)) {
      /* a full read: the next one probably is too; it gets a block */
      if (block === null) block = rxBlock();
      this.readBlock = block;
      rxLoaned++;
      rxNext = block;
      if (!this.genOn) {
        this.genOn = true;
        bsdGenSlot(socket, true);
      }
      return true;
    }
    if (block !== null) rxConsumed(block);
    /* back on the shared buffer: once Node reads into it, it need not ask any more */
    if (this.genOn && buf === readScratch && socket !== null) {
      this.genOn = false;
      bsdGenSlot(socket, false);
    }
    return true;
  }

  /* n bytes Node read straight into the buffer lent from the waiting readv
   * (lendReader: it is still waiting, a readv that lets go takes it back) */
  receivedInPlace(n: number): boolean {
    const reader = this.reader as TeventReq;
    const st = reader.data as TstreamBsdReadvState;
    iovecAdvance(st.vector, st, n);
    this.unseen += n;
    rxInPlaceReads++;
    kick(reader);
    return true;
  }

  /*
   * At the end of Node's read callback, once the loops it woke have run:
   * a readv waiting with nothing queued and a large buffer lends it to Node
   * as the next read buffer, so that the kernel's copy is the only one (as
   * C's readv(2) into the caller's iovec).
   */
  lendReader(): void {
    const reader = this.reader;
    if (reader === null || this.rx.length !== 0 || !this.bufGen || this.retractsLeft === 0 || this.paused ||
        this.closed) {
      return;
    }
    const socket = this.socket;
    if (socket === null) return;
    const st = reader.data as TstreamBsdReadvState;
    if (st.idx >= st.vector.length) return;
    const v = st.vector[st.idx];
    /* a large buffer is lent even when little of it is left, as C's readv(2)
     * asks for just that: then the next read is again as large as the next
     * readv (one short read would otherwise keep every later read across two
     * readvs, copied).  (Memory a resize could take away under Node's read is
     * not lent.) */
    if (v.length < LEND_MIN || (v.buffer as { resizable?: boolean }).resizable === true) return;
    const b = st.ofs === 0 ? v : v.subarray(st.ofs);
    const block = this.readBlock;
    if (block !== null) {
      this.readBlock = null;
      rxLoaned--;
      rxConsumed(block);
    }
    this.lent = b;
    rxNext = b;
    if (!this.genOn) {
      this.genOn = true;
      bsdGenSlot(socket, true);
    }
  }
}

/* The readv whose buffer is lent to Node lets go: Node is given the shared buffer back. */
function bsdUnlend(bsds: TstreamBsd): void {
  if (bsds.lent === null) return;
  bsds.lent = null;
  const socket = bsds.socket as BsdSocket | null;
  const h = socket === null ? null : socket._handle;
  if (socket === null || socket.destroyed || h === null || h === undefined) return;
  /* Node reads into it until told otherwise: tell its handle, and its
   * JavaScript, which hands the buffer to bsdOnRead */
  (h.useUserBuffer as (buf: Uint8Array) => void).call(h, readScratch);
  (socket as unknown as Record<symbol, unknown>)[bufSlot as symbol] = readScratch;
  bsds.retractsLeft--;
}

/* A Node error that never left the kernel (a socket destroyed under a
 * pending write) says nothing: report what the socket reported instead. */
function writeErrno(bsds: TstreamBsd, err: unknown): number {
  const e = err as { code?: unknown } | null;
  if (e !== null && typeof e === "object" && (e.code === "ERR_STREAM_DESTROYED" || e.code === "ECANCELED" ||
      e.code === "ERR_STREAM_WRITE_AFTER_END")) {
    return bsds.sockError !== 0 ? bsds.sockError : EPIPE;
  }
  return errnoFromNodeError(err, bsds.sockError !== 0 ? bsds.sockError : EPIPE);
}

/* Give the stream its socket; a writev that waited for it starts now. */
function bsdAttach(bsds: TstreamBsd, socket0: net.Socket): void {
  const socket = bsdAdopt(socket0) as BsdSocket;
  bsds.socket = socket;
  socket[kBsd] = bsds;
  /* every socket reading through bsdOnRead has the slot, unused (null), when Node has it */
  bsds.bufGen = genSlot !== null && socket[kBsdRead] === true;
  if (socket[kBsdRead] === true) {
    const early = socket[kEarly];
    if (early !== undefined) {
      socket[kEarly] = undefined;
      for (const chunk of early) bsds.received(chunk, -1);
    }
    /* the end came (and went, unheard) before the stream took the socket */
    if (socket.readableEnded) bsds.eof = true;
  } else {
    socket.on("data", bsdOnData);
  }
  socket.on("end", bsdOnEnd);
  socket.on("error", bsdOnError);
  if (socket[kBsdRead] !== true) {
    if (!bsds.paused) socket.resume();
  } else if (!socket.connecting && !bsds.paused) {
    /* (re)start reading: a connecting socket starts once connected */
    socket.read(0);
  }
  if (bsds.writer !== null) bsdWritevStart(bsds.writer);
  kick(bsds.reader);
}

/* close(fd): the socket goes, and with it what the kernel had queued. */
function bsdClose(bsds: TstreamBsd): void {
  /* close(2) with unread bytes makes TCP send a reset (the peer sees
   * ECONNRESET); Node already read them into user space, so reset by hand */
  const unread = bsds.buffered > 0;
  bsds.closed = true;
  bsds.rx.clear();
  bsds.unseen = 0;
  /* (the closing handle reads no more: nothing to take back) */
  bsds.lent = null;
  bufferViewClear(bsds);
  if (bsds.readBlock !== null) {
    /* (not reused: the closing handle may still hold it) */
    bsds.readBlock = null;
    rxLoaned--;
  }
  const socket = bsds.socket as BsdSocket | null;
  bsds.socket = null;
  if (socket !== null) {
    socket[kBsd] = null;
    socket.removeListener("data", bsdOnData);
    socket.removeListener("end", bsdOnEnd);
    socket.removeListener("error", bsdOnError);
    socket.on("error", ignoreError); /* errors of a closed socket go nowhere */
    if (unread && typeof socket.resetAndDestroy === "function" && socket.remoteFamily !== undefined) {
      socket.resetAndDestroy();
    } else {
      socket.destroy();
    }
  }
  if (bsds.fde !== null) {
    const fde = bsds.fde;
    bsds.fde = null;
    bsds.fdeEv = null;
    tallocFree(fde);
  }
}

function ignoreError(): void { /* nothing: the stream is gone */ }

/* The listen() that failed reports its errno only on Node's next tick; the
 * usual cause is a full descriptor table, which socketpair(2) reports as
 * EMFILE (or ENFILE): ask the kernel the same question with a plain open. */
function descriptorShortage(): number {
  try {
    fs.closeSync(fs.openSync("/dev/null", "r"));
  } catch (err) {
    return errnoFromNodeError(err);
  }
  return EIO;
}

/* tstream_bsd_set_readable/writeable_handler(): the fde, on this ev */
function bsdHold(bsds: TstreamBsd, ev: TeventContext): void {
  if (bsds.fde !== null && bsds.fdeEv === ev) return;
  if (bsds.fde !== null) tallocFree(bsds.fde);
  bsds.fde = tstreamBsdHoldLoop(ev, bsds);
  bsds.fdeEv = ev;
}

/* tstream_bsd_destructor(): freeing the stream closes the socket. */
function tstreamBsdDestructor(bsds: TstreamBsd): number {
  bsdClose(bsds);
  bsds.reader = null;
  bsds.writer = null;
  return 0;
}

/* Resume a paused socket once readv has made room. */
function bsdMaybeResume(bsds: TstreamBsd): void {
  if (bsds.paused && bsds.buffered < TSTREAM_BSD_READ_BUFFER_LIMIT && bsds.socket !== null) {
    bsds.paused = false;
    bsds.socket.resume();
  }
}

/** A new BSD stream over socket, child of memCtx.  @internal (listen.ts, socketpair) */
export function tstreamBsdFromSocket(memCtx: TallocCtx, socket: net.Socket | null,
                                     isInet: boolean): TstreamContext<TstreamBsd> {
  const bsds = new TstreamBsd(isInet);
  const stream = tstreamContextCreate(memCtx, tstreamBsdOps, bsds, "struct tstream_bsd");
  tallocSetDestructor(bsds, tstreamBsdDestructor);
  if (socket !== null) bsdAttach(bsds, socket);
  return stream;
}

/** The same stream end later receives its socket.  @internal */
export function tstreamBsdAttachSocket(stream: TstreamContext<TstreamBsd>, socket: net.Socket): boolean {
  const bsds = stream.privateData;
  if (stream.freed || bsds.closed) return false;
  bsdAttach(bsds, socket);
  return true;
}

/* ---- pending_bytes ---- */

function tstreamBsdPendingBytes(stream: TstreamContext): number {
  const bsds = tstreamContextData(stream) as TstreamBsd;
  let err = 0;
  if (bsds.closed) {
    err = ENOTCONN;
  } else if (bsds.badFd !== 0) {
    err = bsds.badFd;
  } else if (bsds.error !== 0) {
    err = bsds.error;
  } else if (bsds.buffered > 0) {
    return bsds.buffered;
  } else if (bsds.sockError !== 0) {
    err = bsds.error = bsds.sockError;
  } else if (bsds.eof) {
    /* C: FIONREAD is 0, then poll(POLLRDHUP): TCP reports POLLRDHUP alone
     * (ECONNRESET), a unix stream POLLHUP (EPIPE); checked */
    err = bsds.error = bsds.isInet ? ECONNRESET : EPIPE;
  } else {
    return 0;
  }
  setErrno(err);
  return -1;
}

/* ---- readv ---- */

class TstreamBsdReadvState extends ReadvCursorState<TstreamBsd> implements Progressing {
  readonly progress = tstreamBsdReadvHandler;
}

function tstreamBsdReadvSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                             vector: Uint8Array[], count: number): TeventReq {
  const bsds = tstreamContextData(stream) as TstreamBsd;
  const state = new TstreamBsdReadvState(ev, vector, count, bsds.rim ?? (bsds.rim = teventCreateImmediate(bsds)));
  const req = teventReqCreate(memCtx, state, "struct tstream_bsd_readv_state");
  state.req = req;
  if (bsds.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  if (bsds.badFd !== 0) {
    teventReqError(req, bsds.badFd);
    return teventReqPost(req, ev);
  }
  /* readvCursorWait(), with this backend's destructor only */
  state.src = bsds;
  bsds.reader = req;
  tallocSetDestructor(state, tstreamBsdReadvDestructor);
  bsdHold(bsds, ev);
  /* the handler runs now only if it has something to do; else when Node
   * delivers (received, the end, an error), as C's waits for the fd */
  if (bsds.rx.length > 0 || bsds.error !== 0 || bsds.sockError !== 0 || bsds.eof || bsds.paused) kick(req);
  return req;
}

/*
 * tstream_bsd_readv_destructor(): a readv freed while waiting lets go of
 * the stream.  Bytes that went straight into its buffers and that its
 * handler has not seen are, for C, still unread in the kernel: they go back
 * to the front of the queue for the next readv.
 */
function tstreamBsdReadvDestructor(state: TstreamBsdReadvState): number {
  imCancel(state.im, state.req);
  const bsds = state.src;
  if (bsds !== null && bsds.reader === state.req) {
    bsdUnlend(bsds);
    if (bsds.unseen > 0) {
      bsds.rx.unshift(iovecCopyBack(state.vector, state, bsds.unseen));
      bsds.unseen = 0;
    }
    bsds.reader = null;
  }
  state.src = null;
  return 0;
}

/* tstream_bsd_readv_handler(): copy what is queued into the caller's
 * buffers; done when every buffer is full. */
function tstreamBsdReadvHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamBsdReadvState;
  const bsds = state.src;
  if (bsds === null) return;
  bsds.unseen = 0; /* read now, as far as C is concerned */
  if (bsds.error !== 0) {
    readvFinish(state, req, bsds.error, bsdUnlend);
    return;
  }
  /* empty buffers at the end ask for nothing (C skips them too) */
  const full = bsds.rx.fill(state.vector, state, rxConsumed);
  bsdMaybeResume(bsds);
  if (full) {
    readvFinish(state, req, 0, bsdUnlend);
    return;
  }
  if (bsds.sockError !== 0) {
    bsds.error = bsds.sockError;
    readvFinish(state, req, bsds.error, bsdUnlend);
    return;
  }
  if (bsds.eof) {
    /* C: readv() returned 0: "propagate end of file" as EPIPE, even after
     * a partial read (the bytes copied stay copied); checked */
    bsds.error = EPIPE;
    readvFinish(state, req, EPIPE, bsdUnlend);
  }
  /* else wait for Node to deliver more */
}

/*
 * A readv served from the bytes already queued, without a backend request
 * (TstreamReadvNowOp): only when they fill the whole vector, so that the
 * handler would report them before anything else (a sticky error comes
 * first; an error Node saw, or the end, only once the queue is short).  As
 * readvSend, it ties the stream to ev.  The bytes taken make room: a paused
 * socket resumes as after the handler.
 */
function tstreamBsdReadvNow(stream: TstreamContext, ev: TeventContext, vector: Uint8Array[], count: number,
                            probe: boolean): number {
  const bsds = stream.privateData as TstreamBsd;
  if (bsds.closed || bsds.badFd !== 0 || bsds.error !== 0 || bsds.reader !== null) return -1;
  const rx = bsds.rx;
  const total = rx.canFill(vector, count);
  if (total < 0) return -1;
  if (bsds.fdeEv !== ev) bsdHold(bsds, ev);
  if (probe) return total;
  rx.take(vector, count, rxConsumed);
  if (bsds.paused) bsdMaybeResume(bsds);
  return total;
}

/* ---- writev ---- */

class TstreamBsdWritevState implements Progressing {
  im: TeventImmediate;
  total = 0;
  started = false;
  /* Node's write callback came: 0 or the errno */
  finished = false;
  err = 0;
  bsds: TstreamBsd | null = null;
  req: TeventReq | null = null;
  readonly vector: Uint8Array[];
  readonly progress = tstreamBsdWritevHandler;
  constructor(readonly ev: TeventContext, vector: Uint8Array[], count: number, im: TeventImmediate) {
    this.vector = vector.slice(0, count);
    for (const v of this.vector) this.total += v.length;
    this.im = im;
  }
}

/*
 * A writev freed while waiting lets go of the stream.  Unlike C, the bytes
 * Node already holds cannot be taken back: they are still written, so the
 * caller must not change them before the socket is done with them.
 */
function tstreamBsdWritevDestructor(state: TstreamBsdWritevState): number {
  imCancel(state.im, state.req);
  if (state.bsds !== null && state.bsds.writer === state.req) state.bsds.writer = null;
  state.bsds = null;
  return 0;
}

function tstreamBsdWritevSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext,
                              vector: Uint8Array[], count: number): TeventReq {
  const bsds = tstreamContextData(stream) as TstreamBsd;
  const state = new TstreamBsdWritevState(ev, vector, count, bsds.wim ?? (bsds.wim = teventCreateImmediate(bsds)));
  const req = teventReqCreate(memCtx, state, "struct tstream_bsd_writev_state");
  state.req = req;
  let err = 0;
  if (bsds.closed) {
    err = ENOTCONN;
  } else if (bsds.badFd !== 0) {
    err = bsds.badFd;
  } else if (bsds.error !== 0) {
    err = bsds.error;
  } else if (bsds.sockError !== 0) {
    /* C's writev(2) returns the error pending on the socket (a reset) */
    err = bsds.error = bsds.sockError;
  }
  if (err !== 0) {
    teventReqError(req, err);
    return teventReqPost(req, ev);
  }
  state.bsds = bsds;
  bsds.writer = req;
  tallocSetDestructor(state, tstreamBsdWritevDestructor);
  bsdHold(bsds, ev);
  if (bsds.socket !== null) bsdWritevStart(req);
  /* else: started when the socket arrives (bsdAttach) */
  return req;
}

/*
 * Hand vec[0, count) to Node at once: one write, or one writev(2) of the
 * buffers themselves (cork/uncork), never a concatenated copy; done is
 * called when Node is finished with them.  Returns whether Node wrote every
 * byte to the kernel at once (its write callback only comes on the next
 * tick): writev(2) has returned, as C's writev that wrote it all.
 */
function bsdWrite(bsds: TstreamBsd, socket: net.Socket, vec: Uint8Array[], count: number,
                  done: (err?: Error | null) => void): boolean {
  let last = count - 1;
  while (last > 0 && vec[last].length === 0) last--;
  if (last === 0) {
    socket.write(bufferView(bsds, vec[0], vec[0].length), done);
  } else {
    socket.cork();
    for (let i = 0; i <= last; i++) {
      if (vec[i].length > 0) socket.write(vec[i], i === last ? done : undefined);
    }
    socket.uncork();
  }
  return socket.writableLength === 0 && !socket.destroyed && socket.errored === null;
}

/* Node's write callback for the writev of state */
function bsdWritevDone(state: TstreamBsdWritevState, err: Error | null | undefined): void {
  const bsds = state.bsds;
  if (bsds === null || state.finished) return;
  state.finished = true;
  state.err = err ? writeErrno(bsds, err) : 0;
  kick(state.req);
}

function bsdWritevStart(req: TeventReq): void {
  const state = req.data as TstreamBsdWritevState;
  const bsds = state.bsds;
  if (bsds === null || bsds.socket === null || state.started) return;
  state.started = true;
  const vec = state.vector;
  const done = (err?: Error | null): void => bsdWritevDone(state, err);
  /* written at once: complete now, from the loop */
  if (bsdWrite(bsds, bsds.socket, vec, vec.length, done) && !state.finished) {
    state.finished = true;
    kick(req);
  }
}

/* A write made before its request (writevNow): the request, once there is one. */
class BsdPendingWrite {
  state: TstreamBsdWritevState | null = null;
  readonly done = (err?: Error | null): void => {
    const state = this.state;
    if (state !== null) bsdWritevDone(state, err);
  };
}

/*
 * TstreamWritevNowOp: the writev of tstreamBsdWritevSend, except that one
 * Node wrote at once to the kernel needs no request (the generic layer
 * completes it from one immediate, as the backend request would).  Anything
 * unusual (an error to report, no socket yet) goes through writevSend.
 */
function tstreamBsdWritevNow(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext, vector: Uint8Array[],
                             count: number): number | TeventReq {
  const bsds = stream.privateData as TstreamBsd;
  const socket = bsds.socket;
  if (socket === null || bsds.closed || bsds.badFd !== 0 || bsds.error !== 0 || bsds.sockError !== 0 ||
      bsds.writer !== null) {
    return tstreamBsdWritevSend(memCtx, ev, stream, vector, count);
  }
  if (bsds.fdeEv !== ev) bsdHold(bsds, ev);
  const pending = new BsdPendingWrite();
  if (bsdWrite(bsds, socket, vector, count, pending.done)) {
    let total = 0;
    for (let i = 0; i < count; i++) total += vector[i].length;
    return total;
  }
  /* Node holds some of the bytes: a request waits for its write callback */
  const state = new TstreamBsdWritevState(ev, vector, count, bsds.wim ?? (bsds.wim = teventCreateImmediate(bsds)));
  const req = teventReqCreate(memCtx, state, "struct tstream_bsd_writev_state");
  state.req = req;
  state.bsds = bsds;
  state.started = true;
  bsds.writer = req;
  tallocSetDestructor(state, tstreamBsdWritevDestructor);
  pending.state = state;
  return req;
}

/* tstream_bsd_writev_handler(): complete once the kernel took everything. */
function tstreamBsdWritevHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamBsdWritevState;
  const bsds = state.bsds;
  if (bsds === null || !state.finished) return;
  bsds.writer = null;
  state.bsds = null;
  if (state.err !== 0) {
    bsds.error = state.err;
    teventReqError(req, state.err);
    return;
  }
  teventReqDone(req);
}

function tstreamBsdWritevRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TstreamBsdWritevState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.total;
  teventReqReceived(req);
  return { ret, perrno };
}

/* ---- disconnect ---- */

class TstreamBsdDisconnectState {}

/* tstream_bsd_disconnect_send(): close(fd) now, report from the loop. */
function tstreamBsdDisconnectSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq {
  const bsds = tstreamContextData(stream) as TstreamBsd;
  const req = teventReqCreate(memCtx, new TstreamBsdDisconnectState(), "struct tstream_bsd_disconnect_state");
  if (bsds.closed) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  const badFd = bsds.badFd;
  bsdClose(bsds);
  if (badFd !== 0) {
    teventReqError(req, badFd); /* close(2) of a descriptor that was not open */
    return teventReqPost(req, ev);
  }
  teventReqDone(req);
  return teventReqPost(req, ev);
}

function tstreamBsdDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}

/** tstream_bsd_ops */
export const tstreamBsdOps: TstreamContextOps & TstreamReadvNowOp & TstreamWritevNowOp = Object.freeze({
  name: "bsd",
  pendingBytes: tstreamBsdPendingBytes,
  readvSend: tstreamBsdReadvSend,
  readvRecv: readvCursorRecv,
  writevSend: tstreamBsdWritevSend,
  writevRecv: tstreamBsdWritevRecv,
  disconnectSend: tstreamBsdDisconnectSend,
  disconnectRecv: tstreamBsdDisconnectRecv,
  readvNow: tstreamBsdReadvNow,
  writevNow: tstreamBsdWritevNow,
});

/* ---- public constructors ---- */

function checkStream(stream: unknown, fn: string): asserts stream is TstreamContext {
  if (!(stream instanceof TstreamContext)) throw new TypeError(`${fn}: stream must be a TstreamContext`);
}

function checkEv(ev: unknown, fn: string): asserts ev is TeventContext {
  if (!(ev instanceof TeventContext)) throw new TypeError(`${fn}: ev must be a TeventContext`);
}

/* talloc_get_type_abort(addr->private_data, struct tsocket_address_bsd):
 * C aborts on another kind of address; a programming error here too. */
function bsdAddr(addr: unknown, fn: string, what: string): TsocketAddressBsd {
  if (!(addr instanceof TsocketAddress) || !(addr.privateData instanceof TsocketAddressBsd)) {
    throw new TypeError(`${fn}: ${what} must be a bsd TsocketAddress`);
  }
  return addr.privateData;
}

/**
 * tstream_bsd_optimize_readv(): C's switch for a syscall-saving readv fast
 * path.  Returns the previous value; a stream that is not a BSD stream
 * returns false and is left alone (checked).  The port has no syscalls to
 * save (Node reads ahead), so the value is only kept.
 */
export function tstreamBsdOptimizeReadv(stream: TstreamContext, on: boolean): boolean {
  checkStream(stream, "tstreamBsdOptimizeReadv");
  const bsds = stream.privateData;
  if (!(bsds instanceof TstreamBsd)) return false;
  const old = bsds.optimizeReadv;
  bsds.optimizeReadv = on;
  return old;
}

/** What tstreamBsdExistingSocket and tstreamUnixSocketpair return (API.md rule 2). */
export interface TstreamResult {
  ret: number;
  errno: number;
  stream: TstreamContext | null;
}

function isInetSocket(socket: net.Socket): boolean {
  try {
    return typeof (socket.address() as net.AddressInfo).port === "number";
  } catch {
    return false;
  }
}

/**
 * tstream_bsd_existing_socket(): a stream over descriptor fd, which it
 * takes over (freeing the stream closes it).  As in C nothing is checked up
 * front: -1 gives a stream whose operations fail with ENOTCONN, a descriptor
 * that is not open one whose operations fail with EBADF and whose
 * disconnect fails with EBADF, ENOTCONN after that (checked; C's readv on
 * such a stream, optimize_readv off, waits for an fd event that never comes:
 * here it fails with EBADF).
 * Deviation: Node.js can wrap only stream sockets and pipes; any other open
 * descriptor (a file, a tty, a datagram socket), which C would accept, gives
 * -1 with errno ENOTSOCK.
 */
export function tstreamBsdExistingSocket(memCtx: TallocCtx, fd: number): TstreamResult {
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw new TypeError("tstreamBsdExistingSocket: fd must be an integer");
  }
  if (fd === -1) {
    const stream = tstreamBsdFromSocket(memCtx, null, false);
    stream.privateData.closed = true;
    return { ret: 0, errno: 0, stream };
  }
  let stat: fs.Stats | null = null;
  try {
    if (fd >= 0) stat = fs.fstatSync(fd);
  } catch {
    stat = null;
  }
  if (stat === null) {
    const stream = tstreamBsdFromSocket(memCtx, null, false);
    stream.privateData.badFd = EBADF;
    return { ret: 0, errno: 0, stream };
  }
  let socket: net.Socket | null = null;
  if (stat.isSocket() || stat.isFIFO()) {
    try {
      socket = bsdNewSocket({ fd, readable: true, writable: true, allowHalfOpen: true });
    } catch {
      socket = null;
    }
  }
  if (socket === null) {
    setErrno(ENOTSOCK);
    return { ret: -1, errno: ENOTSOCK, stream: null };
  }
  const stream = tstreamBsdFromSocket(memCtx, socket, isInetSocket(socket));
  return { ret: 0, errno: 0, stream };
}

/*
 * The listeners behind tstreamUnixSocketpair.  Each is made in a fresh
 * private directory (mkdtemp, mode 0700) for one call, or, when a program
 * asks for many pairs in one go (several calls before Node's next tick), for
 * a batch of them: it then connects a few spare clients at once (1, 2, 4 ...
 * up to SOCKETPAIR_BATCH_MAX), and the next calls of the same tick take
 * those; the spares nobody took are closed on the next tick.  The path and
 * its directory are removed before the call returns, as always.  Node
 * accepts the connections in the order they were made (the kernel queues
 * them in that order), which is how each accepted socket finds its stream.
 */
const SOCKETPAIR_BATCH_MAX = 32;

type SpEnd = TstreamContext<TstreamBsd> | null | "discard";

class SocketpairBatch {
  /* per connection, in connect order: the stream its accepted end goes to
   * (null while the pair is a spare, "discard" once it is not wanted) */
  readonly ends: SpEnd[] = [];
  /* the connect failed: no accepted end will come for it */
  readonly failed: boolean[] = [];
  /* accepted ends that came before their pair was handed out */
  readonly early: Array<net.Socket | null> = [];
  next = 0;
  settled = 0;
  constructor(readonly server: net.Server) {}
}

interface SocketpairSpare {
  client: net.Socket;
  batch: SocketpairBatch;
  idx: number;
}

const spSpares: SocketpairSpare[] = [];
let spBurst = 0;
let spSweepQueued = false;

function spSettled(batch: SocketpairBatch): void {
  if (++batch.settled < batch.ends.length) return;
  const server = batch.server;
  server.close();
  /* nothing keeps the closed server (and what its listeners hold) alive */
  server.removeAllListeners("error");
  server.removeAllListeners("connection");
  server.on("error", ignoreError);
}

function spDrop(socket: net.Socket): void {
  socket.removeAllListeners("error");
  socket.on("error", ignoreError);
  socket.destroy();
}

/* An accepted end: to the stream of the oldest connection not yet settled. */
function spAccepted(batch: SocketpairBatch, socket: net.Socket): void {
  /* the closed server need not count the connection it will never close */
  (socket as BsdSocket)._server = null;
  (socket as BsdSocket).server = null;
  while (batch.next < batch.ends.length && batch.failed[batch.next]) batch.next++;
  if (batch.next >= batch.ends.length) {
    spDrop(socket); /* nobody connected this */
    return;
  }
  const idx = batch.next++;
  const end = batch.ends[idx];
  if (end === null) {
    batch.early[idx] = socket;
  } else if (end === "discard" || !tstreamBsdAttachSocket(end, socket)) {
    spDrop(socket);
  }
  spSettled(batch);
}

function spClientConnected(this: BsdSocket): void {
  this.removeListener("error", spClientError);
  this.removeListener("connect", spClientConnected);
  this[kSpare] = undefined;
}

function spClientError(this: BsdSocket, err: unknown): void {
  const sp = this[kSpare];
  spClientConnected.call(this);
  if (sp !== undefined) spConnectFailed(sp.batch, sp.idx, errnoFromNodeError(err, ECONNRESET));
}

/* connect(2) failed after all: the other end will never come. */
function spConnectFailed(batch: SocketpairBatch, idx: number, err: number): void {
  if (batch.failed[idx]) return;
  batch.failed[idx] = true;
  const end = batch.ends[idx];
  batch.ends[idx] = "discard";
  if (end !== null && end !== "discard" && !end.freed && end.privateData.sockError === 0) {
    end.privateData.sockError = err;
    kick(end.privateData.reader);
    kick(end.privateData.writer);
  }
  spSettled(batch);
}

function spSweep(): void {
  spSweepQueued = false;
  spBurst = 0;
  for (const sp of spSpares.splice(0)) {
    sp.batch.ends[sp.idx] = "discard";
    const early = sp.batch.early[sp.idx];
    if (early !== null && early !== undefined) spDrop(early);
    const client = sp.client;
    /* closed once its connect is settled, so that a failure is still counted */
    if (client.connecting) client.once("connect", () => client.destroy());
    else client.destroy();
  }
}

/* The listener for the next n pairs: 0, or the errno (nothing left open). */
function spNewBatch(n: number): number {
  let dir: string;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tstream-sp-"));
  } catch (err) {
    return errnoFromNodeError(err);
  }
  const sockPath = path.join(dir, "s");
  const cleanup = (): void => {
    try { fs.unlinkSync(sockPath); } catch { /* not created */ }
    try { fs.rmdirSync(dir); } catch { /* already gone */ }
  };
  if (Buffer.byteLength(sockPath) > 107) {
    cleanup();
    return tsocketAddressUnixFromPath(null, sockPath).errno;
  }
  /* paused: an accepted end reads nothing until its stream takes it (bsdAdopt) */
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  let listenErr = 0;
  server.on("error", (err) => { listenErr = errnoFromNodeError(err); });
  server.listen({ path: sockPath, backlog: n, exclusive: true });
  if (!server.listening) {
    /* the errno arrives on Node's next tick; the syscall already failed */
    server.close();
    cleanup();
    return listenErr !== 0 ? listenErr : descriptorShortage();
  }
  const batch = new SocketpairBatch(server);
  server.removeAllListeners("error");
  server.on("error", (err) => {
    /* accept(2) failed (EMFILE): which connection it dropped is unknown */
    const errno = errnoFromNodeError(err, ECONNRESET);
    for (let i = batch.next; i < batch.ends.length; i++) spConnectFailed(batch, i, errno);
    batch.next = batch.ends.length;
  });
  server.on("connection", (socket: net.Socket) => spAccepted(batch, socket));
  for (let i = 0; i < n; i++) {
    batch.ends.push(null);
    batch.failed.push(false);
    batch.early.push(null);
  }
  for (let i = 0; i < n; i++) {
    const client = bsdNewSocket({ allowHalfOpen: true }) as BsdSocket;
    const sp: SocketpairSpare = { client, batch, idx: i };
    client[kSpare] = sp;
    client.on("error", spClientError);
    client.on("connect", spClientConnected);
    client.connect({ path: sockPath });
    /* socket(2) failed (EMFILE): Node reports it later, but no connection was queued */
    const h = (client as BsdSocket)._handle as { fd?: number } | null | undefined;
    if (h !== null && h !== undefined && typeof h.fd === "number" && h.fd < 0) spConnectFailed(batch, i, EMFILE);
    spSpares.push(sp);
  }
  cleanup(); /* connect(2) has run: the connections no longer need the name */
  return 0;
}

/**
 * tstream_unix_socketpair(): two connected unix streams, stream1 a child of
 * memCtx1 and stream2 of memCtx2.
 *
 * Node.js has no socketpair(2).  The pair is made from a unix listener on a
 * path in a fresh private directory (mkdtemp, mode 0700): listen and
 * connect run their syscalls synchronously, so when this returns the kernel
 * already holds the connection, and the path and its directory are removed
 * at once (many pairs asked for in one go share listeners, see above).  The
 * accepting end's socket object reaches stream2 from Node's next I/O phase;
 * until then stream2 reports 0 pending bytes, and a writev on it waits.
 * Failures (mkdtemp, a path too long for sun_path, listen) give -1 with the
 * errno.
 */
function checkMemCtx(ctx: unknown, what: string): void {
  if (ctx !== null && ctx !== undefined && (typeof ctx !== "object" && typeof ctx !== "function")) {
    throw new TypeError(`tstreamUnixSocketpair: ${what} must be a talloc context (an object) or null`);
  }
}

export function tstreamUnixSocketpair(memCtx1: TallocCtx, memCtx2: TallocCtx):
    { ret: number; errno: number; stream1: TstreamContext | null; stream2: TstreamContext | null } {
  /* a wrong argument type must throw before the listener exists, or it leaks */
  checkMemCtx(memCtx1, "memCtx1");
  checkMemCtx(memCtx2, "memCtx2");
  let err = 0;
  if (spSpares.length === 0) err = spNewBatch(Math.min(SOCKETPAIR_BATCH_MAX, 1 << Math.min(spBurst, 5)));
  let sp = spSpares.shift();
  /* a spare whose socket(2) failed (EMFILE) is no pair */
  while (sp !== undefined && sp.batch.failed[sp.idx]) {
    spDrop(sp.client);
    err = EMFILE;
    sp = spSpares.shift();
  }
  if (sp === undefined) {
    setErrno(err);
    return { ret: -1, errno: err, stream1: null, stream2: null };
  }
  spBurst++;
  if (!spSweepQueued) {
    spSweepQueued = true;
    process.nextTick(spSweep);
  }
  const stream1 = tstreamBsdFromSocket(memCtx1, sp.client, false);
  const stream2 = tstreamBsdFromSocket(memCtx2, null, false);
  const batch = sp.batch;
  batch.ends[sp.idx] = stream2;
  const early = batch.early[sp.idx];
  if (early !== null) {
    batch.early[sp.idx] = null;
    tstreamBsdAttachSocket(stream2, early);
  }
  return { ret: 0, errno: 0, stream1, stream2 };
}

/* ---- connect ---- */

class TstreamBsdConnectState implements Progressing {
  im: TeventImmediate;
  socket: net.Socket | null = null;
  connected = false;
  err = 0;
  isInet = false;
  req: TeventReq | null = null;
  readonly progress = tstreamBsdConnectHandler;
  readonly onConnect = (): void => {
    this.connected = true;
    if (this.req !== null) kick(this.req);
  };
  readonly onError = (err: unknown): void => {
    if (this.err === 0) this.err = errnoFromNodeError(err);
    if (this.req !== null) kick(this.req);
  };
  constructor(readonly ev: TeventContext) {
    this.im = teventCreateImmediate(this);
  }
}

function connectDropSocket(state: TstreamBsdConnectState): net.Socket | null {
  const socket = state.socket;
  state.socket = null;
  if (socket !== null) {
    socket.removeListener("connect", state.onConnect);
    socket.removeListener("error", state.onError);
  }
  return socket;
}

/* tstream_bsd_connect_destructor(): a connection nobody received is closed. */
function tstreamBsdConnectDestructor(state: TstreamBsdConnectState): number {
  const socket = connectDropSocket(state);
  if (socket !== null) {
    socket.on("error", ignoreError);
    socket.destroy();
  }
  return 0;
}

function isAnyAddr(bsda: TsocketAddressBsd): boolean {
  const u = bsda.u;
  const from = bsda.family === AF_INET ? 4 : 8;
  const to = bsda.family === AF_INET ? 8 : 24;
  for (let i = from; i < to; i++) if (u[i] !== 0) return false;
  return true;
}

/*
 * tstream_bsd_connect_send(), C's order: a local address with a port or a
 * specific address is bound; an unbound inet socket takes the remote's
 * family; a remote of another family is EINVAL; then connect.
 */
function tstreamBsdConnectSend(memCtx: TallocCtx, ev: TeventContext, sysErrno: number,
                               local: TsocketAddress, remote: TsocketAddress, fn: string): TeventReq {
  const lbsda = bsdAddr(local, fn, "local");
  const rbsda = bsdAddr(remote, fn, "remote");
  const state = new TstreamBsdConnectState(ev);
  const req = teventReqCreate(memCtx, state, "struct tstream_bsd_connect_state");
  state.req = req;
  tallocSetDestructor(state, tstreamBsdConnectDestructor);
  const fail = (err: number): TeventReq => {
    teventReqError(req, err);
    return teventReqPost(req, ev);
  };
  /* give the wrappers a chance to report an error */
  if (sysErrno !== 0) return fail(sysErrno);
  let doBind = false;
  let isInet = false;
  let saFam = lbsda.family;
  switch (lbsda.family) {
    case AF_UNIX:
      doBind = lbsda.u[2] !== 0;
      break;
    case AF_INET:
    case AF_INET6:
      doBind = tsocketAddressInetPort(local) !== 0 || !isAnyAddr(lbsda);
      isInet = true;
      break;
    default:
      return fail(EINVAL);
  }
  if (!doBind && isInet) saFam = rbsda.family;
  if (rbsda.family !== saFam) return fail(EINVAL);
  const socket = bsdNewSocket({ allowHalfOpen: true });
  state.socket = socket;
  tstreamBsdHoldLoop(ev, state);
  state.isInet = saFam !== AF_UNIX;
  socket.on("error", state.onError);
  socket.once("connect", state.onConnect);
  if (saFam === AF_UNIX) {
    if (doBind) {
      /* Deviation: Node.js cannot bind a connecting unix socket to a path */
      connectDropSocket(state);
      socket.destroy();
      return fail(EOPNOTSUPP);
    }
    socket.connect({ path: tsocketAddressUnixPath(remote, null) as string });
    return req;
  }
  const opts: net.TcpSocketConnectOpts = {
    host: tsocketAddressInetAddrString(remote, null) as string,
    port: tsocketAddressInetPort(remote),
    family: saFam === AF_INET ? 4 : 6,
  };
  if (doBind) {
    opts.localAddress = tsocketAddressInetAddrString(local, null) as string;
    const lport = tsocketAddressInetPort(local);
    if (lport !== 0) opts.localPort = lport;
  }
  socket.connect(opts);
  return req;
}

/* tstream_bsd_connect_fde_handler() */
function tstreamBsdConnectHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamBsdConnectState;
  if (state.socket === null || !req.isInProgress()) return;
  if (state.err !== 0) {
    const socket = connectDropSocket(state);
    if (socket !== null) {
      socket.on("error", ignoreError);
      socket.destroy();
    }
    teventReqError(req, state.err);
    return;
  }
  if (state.connected) teventReqDone(req);
}

/* The local address the kernel bound (getsockname), as C's recv returns it. */
function socketLocalAddress(memCtx: TallocCtx, socket: net.Socket, isInet: boolean): TsocketAddress | null {
  if (!isInet) return tsocketAddressUnixFromPath(memCtx, "").addr;
  const addr = socket.localAddress;
  const port = socket.localPort;
  if (addr === undefined || port === undefined) return null;
  return tsocketAddressInetFromStrings(memCtx, "ip", addr, port).addr;
}

function tstreamBsdConnectRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; stream: TstreamContext | null; local: TsocketAddress | null } {
  const state = req.data as TstreamBsdConnectState;
  const { ret, perrno } = tsocketSimpleIntRecvShared(req);
  let stream: TstreamContext | null = null;
  let local: TsocketAddress | null = null;
  if (ret === 0) {
    const socket = connectDropSocket(state) as net.Socket;
    /* C creates the stream first, then moves local onto memCtx: local is
     * the newer child and is freed first */
    stream = tstreamBsdFromSocket(memCtx, socket, state.isInet);
    local = socketLocalAddress(memCtx, socket, state.isInet);
  }
  teventReqReceived(req);
  return { ret, perrno, stream, local };
}

/**
 * tstream_inet_tcp_connect_send(): connect a TCP stream from local to
 * remote.  local must be an inet address (else EINVAL, from the loop); it is
 * bound when it has a port or a specific address.  Errors arrive through the
 * request: ECONNREFUSED, EADDRINUSE, EADDRNOTAVAIL, EINVAL (families differ)...
 */
export function tstreamInetTcpConnectSend(memCtx: TallocCtx, ev: TeventContext, local: TsocketAddress,
                                          remote: TsocketAddress): TeventReq {
  checkEv(ev, "tstreamInetTcpConnectSend");
  const lbsda = bsdAddr(local, "tstreamInetTcpConnectSend", "local");
  const sysErrno = lbsda.family === AF_INET || lbsda.family === AF_INET6 ? 0 : EINVAL;
  return tstreamBsdConnectSend(memCtx, ev, sysErrno, local, remote, "tstreamInetTcpConnectSend");
}

/**
 * tstream_inet_tcp_connect_recv(): 0 with the connected stream (child of
 * memCtx) and the local address the kernel bound, or -1 with perrno.
 */
export function tstreamInetTcpConnectRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; stream: TstreamContext | null; local: TsocketAddress | null } {
  return tstreamBsdConnectRecv(req, memCtx);
}

/**
 * tstream_unix_connect_send(): connect a unix stream to remote's path.
 * local must be a unix address (else EINVAL).  ENOENT for a missing path,
 * ECONNREFUSED for a path nobody listens on, through the request.
 * Deviation: a local address with a path (C binds the socket to it) gives
 * EOPNOTSUPP; Node.js cannot bind a connecting unix socket.
 */
export function tstreamUnixConnectSend(memCtx: TallocCtx, ev: TeventContext, local: TsocketAddress,
                                       remote: TsocketAddress): TeventReq {
  checkEv(ev, "tstreamUnixConnectSend");
  const lbsda = bsdAddr(local, "tstreamUnixConnectSend", "local");
  const sysErrno = lbsda.family === AF_UNIX ? 0 : EINVAL;
  return tstreamBsdConnectSend(memCtx, ev, sysErrno, local, remote, "tstreamUnixConnectSend");
}

/** tstream_unix_connect_recv(): 0 with the stream (child of memCtx), or -1 with perrno. */
export function tstreamUnixConnectRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; stream: TstreamContext | null } {
  const { ret, perrno, stream } = tstreamBsdConnectRecv(req, memCtx);
  return { ret, perrno, stream };
}
