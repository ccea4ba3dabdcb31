// The datagram half of tsocket_bsd.c: UDP over ipv4/ipv6 and unix datagram
// sockets behind the tdgram ops (struct tdgram_bsd and tdgram_bsd_ops).
//
// C keeps a non-blocking descriptor and one tevent_fd whose readable and
// writeable handlers are the pending recvfrom and sendto (fast paths first,
// as in C).  Node.js owns the sockets here: UDP is node:dgram, unix
// datagrams are the npm package node-unix-socket (Node.js core has none).
// Both read from the kernel on their own, so what C would find with
// ioctl(FIONREAD) + recvfrom() is a bounded queue on the descriptor object
// that tevent watches (TdgramBsdFd): the tevent_fd reports READ while a
// datagram (or a socket error, SO_ERROR) is waiting and WRITE while no send
// is in flight, so the handlers run in the same loop iterations as in C.
//
// Where Node.js cannot do what C does, the difference is kept small and
// documented here (every "checked" value was read off libsamba-sockets,
// Samba 4.17, Linux):
//
// - Reading cannot be paused: node:dgram and node-unix-socket read whatever
//   arrives.  At most TDGRAM_BSD_RECV_QUEUE_MAX datagrams (and
//   TDGRAM_BSD_RECV_QUEUE_BYTES bytes) wait unread; beyond that a datagram
//   is dropped and counted in TdgramBsd.dropped, as a full kernel receive
//   buffer drops UDP.  For unix datagrams the kernel would instead make the
//   sender wait (checked: a blocked sender after max_dgram_qlen datagrams).
// - node-unix-socket has no connect(): tdgramUnixSocket() with a remote
//   emulates it.  The remote must exist (ENOENT) and be a socket
//   (ECONNREFUSED) when the context is made; sendto without dst goes to it;
//   datagrams from anyone else are dropped on arrival (counted in
//   TdgramBsd.filtered) where the kernel refuses them to the sender with
//   EPERM (checked) -- a sender in this process gets that EPERM too; when
//   the peer has gone, the first send fails ECONNREFUSED and later ones
//   ENOTCONN (checked).  A stale socket file is accepted at creation (C's
//   connect() refuses it with ECONNREFUSED); the first send reports it.
// - A connected UDP socket (a real connect()) sends to its remote; sendto
//   with an explicit dst other than the remote fails EISCONN (node:dgram
//   refuses it; Linux would send there).
// - node-unix-socket keeps Node.js running while a unix socket is open (it
//   has no unref()); UDP sockets do not hold the process.
// - Freeing a unix socket leaves its path in the file system, as in C
//   (checked).

import { Buffer } from "node:buffer"; /* the global Buffer is a getter on globalThis */
import * as dgram from "node:dgram";
import { fstatSync, readFileSync, statSync } from "node:fs";
import { DgramSocket } from "node-unix-socket";
import {
  EAFNOSUPPORT, EBADF, ECONNREFUSED, EDESTADDRREQ, EINVAL, EIO, EISCONN, ENETUNREACH,
  ENOENT, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPERM, ERRNO_TEXTS, errnoFromNodeError, setErrno,
} from "../../lib/errno";
import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal, TALLOC_NODE, TallocNode } from "../../lib/talloc";
import { fdAddSource, teventFdGetFlags, TEVENT_FD_NOT_READABLE, TEVENT_FD_NOT_WRITEABLE, TEVENT_FD_READABLE,
         TEVENT_FD_WRITEABLE } from "../../tevent/fd";
import { FdSource, TeventContext, TeventFd, TEVENT_FD_READ, TEVENT_FD_WRITE } from "../../tevent/internal";
import { TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqIsInProgress, teventReqPost,
         teventReqReceived } from "../../tevent/req";
import { TsocketAddress, tsocketAddressCreate } from "../address";
import { bufferView, bufferViewClear } from "./bufview";
import { TdgramContext, tdgramContextCreate, TdgramContextOps } from "../dgram";
import { tsocketSimpleIntRecv, tsocketSimpleIntRecvShared } from "../simple";
import {
  AF_INET, AF_INET6, AF_UNIX, TsocketAddressBsd, tsocketAddressBsdOps,
  tsocketAddressInetAddrString,
  tsocketAddressInetFromStrings, tsocketAddressInetPort, tsocketAddressUnixFromPath, tsocketAddressUnixPath,
} from "./address";


/* The global `process` is a getter on globalThis: read once (every send swaps its nextTick). */
const proc = process;

/** At most this many received datagrams wait for tdgram_recvfrom_send(); more are dropped. */
export const TDGRAM_BSD_RECV_QUEUE_MAX = 256;
/** ... and at most this many bytes of them (Linux's default net.core.rmem_default). */
export const TDGRAM_BSD_RECV_QUEUE_BYTES = 212992;

/** What a function with a `dgram` out-parameter returns (API.md rule 2). */
export interface TdgramSocketResult {
  ret: number;
  errno: number;
  dgram: TdgramContext<TdgramBsd> | null;
}

/* A received datagram and who sent it: rinfo for UDP, the path for unix ("" unbound). */
interface Received {
  buf: Buffer;
  from: dgram.RemoteInfo | string;
}

/*
 * The descriptor as tevent sees it: the tevent_fd's source (level-
 * triggered, like epoll): READ while a datagram (or a socket error) waits,
 * WRITE while no send is in flight.  No bytes go through it.
 */
class TdgramBsdFd implements FdSource {
  queue: Received[] = [];
  queuedBytes = 0;
  /** SO_ERROR: an asynchronous error (ICMP port unreachable) not yet reported. */
  soError = 0;
  sending = 0;
  private notify: (() => void) | null = null;

  /** datagrams (and a pending socket error) waiting: what recvfrom would find */
  get readableLength(): number {
    return this.queue.length + (this.soError !== 0 ? 1 : 0);
  }

  /** a send is in flight */
  get writableNeedDrain(): boolean {
    return this.sending > 0;
  }

  poll(): number {
    return (this.queue.length > 0 || this.soError !== 0 ? TEVENT_FD_READ : 0) |
      (this.sending === 0 ? TEVENT_FD_WRITE : 0);
  }

  watch(notify: () => void): void {
    this.notify = notify;
  }

  unwatch(): void {
    this.notify = null;
  }

  close(): void {
    this.queue = [];
    this.queuedBytes = 0;
  }

  /* readiness may have changed: tell tevent */
  changed(): void {
    if (this.notify !== null) this.notify();
  }
}

/**
 * struct tdgram_bsd: the private data of a BSD tdgram context
 * (tdgramContextData(dgram)).  `fd` is null once closed (C's fd == -1).
 */
export class TdgramBsd {
  fd: TdgramBsdFd | null = null;
  eventPtr: TeventContext | null = null;
  fde: TeventFd | null = null;
  optimizeRecvfrom = false;
  readablePrivate: unknown = null;
  readableHandler: ((privateData: unknown) => void) | null = null;
  writeablePrivate: unknown = null;
  writeableHandler: ((privateData: unknown) => void) | null = null;
  /** AF_INET, AF_INET6 or AF_UNIX: the family of the socket. */
  family = 0;
  udp: dgram.Socket | null = null;
  unix: DgramSocket | null = null;
  /** a real connect() (UDP) */
  connected = false;
  /** the bound path of a unix socket ("" when unbound) */
  localPath = "";
  /** the peer of an emulated connected unix socket */
  remotePath: string | null = null;
  /** datagrams dropped because the receive queue was full */
  dropped = 0;
  /** datagrams dropped by an emulated connected unix socket (not from its peer) */
  filtered = 0;
  /** the last UDP sender seen and its sockaddr (see srcAddress) */
  srcCache: { address: string; port: number; family: string; sa: Uint8Array; socklen: number } | null = null;
  /** @internal the callback of every udp.send() (see udpSend) */
  udpSendDone: ((err: Error | null) => void) | null = null;
  /** @internal the UDP sends node:dgram has queued, oldest first */
  udpInflight: SendOp[] | null = null;
  /** @internal the last buf a UDP send was given and its Buffer view (BufferViewSlot) */
  viewOf: Uint8Array | null = null;
  view: Buffer | null = null;
}

/* Unix sockets of this process by bound path, for the in-process EPERM of connect(). */
const unixBound = new Map<string, TdgramBsd>();

/* node-unix-socket reports errors as strerror() texts only. */
const ERRNO_BY_TEXT: ReadonlyMap<string, number> = new Map(
  ERRNO_TEXTS.map((t, n): [string, number] => [t, n]).filter(([, n]) => n > 0),
);

function errnoFromUnixError(err: unknown): number {
  if (err instanceof Error) {
    const n = ERRNO_BY_TEXT.get(err.message);
    if (n !== undefined) return n;
    if (/too long/.test(err.message)) return EINVAL;
  }
  return EIO;
}

/* A lookup that answers at once: addresses are numeric, and a synchronous
 * lookup makes node:dgram's bind() and connect() synchronous, as in C. */
function syncLookup(hostname: string, options: unknown, callback?: unknown): void {
  const cb = (typeof options === "function" ? options : callback) as
    (err: Error | null, address: string, family: number) => void;
  cb(null, hostname, hostname.includes(":") ? 6 : 4);
}

function fdHandler(ev: TeventContext, fde: TeventFd, flags: number, bsds: TdgramBsd): void {
  void ev;
  if ((flags & TEVENT_FD_WRITE) !== 0 && bsds.writeableHandler !== null) {
    bsds.writeableHandler(bsds.writeablePrivate);
    return;
  }
  if ((flags & TEVENT_FD_READ) !== 0) {
    if (bsds.readableHandler === null) {
      TEVENT_FD_NOT_READABLE(fde);
      return;
    }
    bsds.readableHandler(bsds.readablePrivate);
  }
}

/* tdgram_bsd_set_readable_handler(): -1 with errno on failure */
function setReadableHandler(bsds: TdgramBsd, ev: TeventContext | null,
                            handler: ((p: unknown) => void) | null, privateData: unknown): number {
  if (ev === null) {
    if (handler !== null) {
      setErrno(EINVAL);
      return -1;
    }
    if (bsds.readableHandler === null) return 0;
    bsds.readableHandler = null;
    bsds.readablePrivate = null;
    return 0;
  }
  /* read and write must use the same tevent_context */
  if (bsds.eventPtr !== ev) {
    if (bsds.readableHandler !== null || bsds.writeableHandler !== null) {
      setErrno(EINVAL);
      return -1;
    }
    bsds.eventPtr = null;
    freeFde(bsds);
  }
  if (teventFdGetFlags(bsds.fde) === 0) {
    freeFde(bsds);
    if (addFde(bsds, ev, TEVENT_FD_READ) === -1) return -1;
  } else if (bsds.readableHandler === null) {
    TEVENT_FD_READABLE(bsds.fde!);
  }
  bsds.readableHandler = handler;
  bsds.readablePrivate = privateData;
  return 0;
}

/* tdgram_bsd_set_writeable_handler() */
function setWriteableHandler(bsds: TdgramBsd, ev: TeventContext | null,
                             handler: ((p: unknown) => void) | null, privateData: unknown): number {
  if (ev === null) {
    if (handler !== null) {
      setErrno(EINVAL);
      return -1;
    }
    if (bsds.writeableHandler === null) return 0;
    bsds.writeableHandler = null;
    bsds.writeablePrivate = null;
    if (bsds.fde !== null) TEVENT_FD_NOT_WRITEABLE(bsds.fde);
    return 0;
  }
  if (bsds.eventPtr !== ev) {
    if (bsds.readableHandler !== null || bsds.writeableHandler !== null) {
      setErrno(EINVAL);
      return -1;
    }
    bsds.eventPtr = null;
    freeFde(bsds);
  }
  if (teventFdGetFlags(bsds.fde) === 0) {
    freeFde(bsds);
    if (addFde(bsds, ev, TEVENT_FD_WRITE) === -1) return -1;
  } else if (bsds.writeableHandler === null) {
    TEVENT_FD_WRITEABLE(bsds.fde!);
  }
  bsds.writeableHandler = handler;
  bsds.writeablePrivate = privateData;
  return 0;
}

function addFde(bsds: TdgramBsd, ev: TeventContext, flags: number): number {
  if (bsds.fd === null) {
    setErrno(EBADF);
    return -1;
  }
  bsds.fde = fdAddSource(ev, bsds, bsds.fd, -1, flags, fdHandler, bsds);
  bsds.eventPtr = ev; /* cache the event context we're running on */
  return 0;
}

function freeFde(bsds: TdgramBsd): void {
  if (bsds.fde !== null) {
    const fde = bsds.fde;
    bsds.fde = null;
    tallocFree(fde);
  }
}

/* ---- the socket underneath ---- */

function enqueue(bsds: TdgramBsd, buf: Buffer, from: dgram.RemoteInfo | string): void {
  const fd = bsds.fd;
  if (fd === null) return;
  if (fd.queue.length >= TDGRAM_BSD_RECV_QUEUE_MAX ||
      (fd.queue.length > 0 && fd.queuedBytes + buf.length > TDGRAM_BSD_RECV_QUEUE_BYTES)) {
    bsds.dropped++; /* a full receive buffer drops the datagram */
    return;
  }
  fd.queue.push({ buf, from });
  fd.queuedBytes += buf.length;
  fd.changed();
}

function socketError(bsds: TdgramBsd, errno: number): void {
  const fd = bsds.fd;
  if (fd === null) return;
  fd.soError = errno;
  fd.changed();
}

/* close(bsds->fd) */
function bsdClose(bsds: TdgramBsd): void {
  const fd = bsds.fd;
  bsds.fd = null;
  bufferViewClear(bsds); /* the last buffer sent is no longer kept */
  if (bsds.udp !== null) {
    const udp = bsds.udp;
    bsds.udp = null;
    try { udp.close(); } catch { /* not running: nothing to close */ }
  }
  if (bsds.unix !== null) {
    const unix = bsds.unix;
    bsds.unix = null;
    if (unixBound.get(bsds.localPath) === bsds) unixBound.delete(bsds.localPath);
    try { unix.close(); } catch { /* already closed after an error */ }
  }
  if (fd !== null) fd.close();
}

/* tdgram_bsd_destructor() */
function bsdDestructor(bsds: TdgramBsd): number {
  freeFde(bsds);
  bsdClose(bsds);
  return 0;
}

/** tdgram_bsd_optimize_recvfrom(): try recvfrom in _send first; returns the old value (false for a non-bsd dgram). */
export function tdgramBsdOptimizeRecvfrom(dgram: TdgramContext, on: boolean): boolean {
  if (!(dgram instanceof TdgramContext)) throw new TypeError("tdgramBsdOptimizeRecvfrom: dgram must be a TdgramContext");
  const bsds = dgram.privateData;
  if (!(bsds instanceof TdgramBsd)) return false; /* not a bsd socket */
  const old = bsds.optimizeRecvfrom;
  bsds.optimizeRecvfrom = on === true;
  return old;
}

/* ---- recvfrom ---- */

class TdgramBsdRecvfromState {
  /* the talloc slot, present from the start: attaching the state to its request is then no shape change */
  [TALLOC_NODE]: TallocNode | null = null;
  buf: Uint8Array | null = null;
  len = 0;
  src: TsocketAddress | null = null;
  constructor(readonly dgram: TdgramContext<TdgramBsd>) {}
}

function recvfromDestructor(state: TdgramBsdRecvfromState): number {
  setReadableHandler(state.dgram.privateData, null, null, null);
  return 0;
}

function bsdRecvfromSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
  const bsds = dgram.privateData as TdgramBsd;
  const state = new TdgramBsdRecvfromState(dgram as TdgramContext<TdgramBsd>);
  const req = teventReqCreate(memCtx, state, "struct tdgram_bsd_recvfrom_state");
  tallocSetDestructor(state, recvfromDestructor);
  if (bsds.fd === null) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  /* the fast path, only when asked for: C prefers flushing sends first */
  if (bsds.optimizeRecvfrom) {
    recvfromHandler(req);
    if (!teventReqIsInProgress(req)) return teventReqPost(req, ev);
  }
  if (setReadableHandler(bsds, ev, recvfromHandler as (p: unknown) => void, req) === -1) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  return req;
}

/* The address C's recvfrom() fills in for the sender. */
function srcAddress(bsds: TdgramBsd, memCtx: TallocCtx, from: dgram.RemoteInfo | string): TsocketAddress | null {
  if (typeof from === "string") {
    if (from === "") {
      /* an unbound sender: recvfrom() returns no address (socklen 0), so
       * C's src has family 0 and no string (checked: tsocket_address_string
       * gives NULL/EINVAL, tsocket_address_is_unix false) */
      return tsocketAddressCreate(memCtx, tsocketAddressBsdOps, new TsocketAddressBsd(),
                                  "struct tsocket_address_bsd", "bsd_recvfrom");
    }
    return tsocketAddressUnixFromPath(memCtx, from).addr;
  }
  /* C copies the sockaddr recvfrom() filled in; node:dgram gives it as
   * strings: a peer seen before is not parsed again (the same bytes) */
  const c = bsds.srcCache;
  if (c !== null && c.port === from.port && c.address === from.address && c.family === from.family) {
    /* what tsocketAddressBsdFromSockaddr(memCtx, c.sa, c.socklen) makes,
     * without checking again bytes it made itself, and sharing them (copy
     * on write: only tsocketAddressInetSetPort changes an address) */
    const bsda = new TsocketAddressBsd(c.sa);
    bsda.saSocklen = c.socklen;
    bsda.shared = true;
    return tsocketAddressCreate(memCtx, tsocketAddressBsdOps, bsda, "struct tsocket_address_bsd",
                                "tsocketAddressBsdFromSockaddr");
  }
  const addr = tsocketAddressInetFromStrings(memCtx, from.family === "IPv6" ? "ipv6" : "ipv4",
                                             from.address, from.port).addr;
  if (addr !== null) {
    const bsda = addr.privateData as TsocketAddressBsd;
    bsds.srcCache = {
      address: from.address, port: from.port, family: from.family, sa: bsda.u.slice(), socklen: bsda.saSocklen,
    };
  }
  return addr;
}

function recvfromHandler(req: TeventReq): void {
  const state = req.data as TdgramBsdRecvfromState;
  const fd = state.dgram.privateData.fd;
  if (fd === null) return;
  /* tsocket_bsd_pending(): data first, then the socket's error */
  const d = fd.queue.shift();
  if (d === undefined) {
    if (fd.soError !== 0) {
      const err = fd.soError;
      fd.soError = 0;
      teventReqError(req, err);
    }
    return; /* retry later */
  }
  fd.queuedBytes -= d.buf.length;
  const src = srcAddress(state.dgram.privateData, state, d.from);
  if (src === null) {
    teventReqError(req, EINVAL);
    return;
  }
  state.buf = tallocSteal(state, d.buf);
  state.len = d.buf.length;
  state.src = src;
  teventReqDone(req);
}

function bsdRecvfromRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null } {
  const state = req.data as TdgramBsdRecvfromState;
  const { ret, perrno } = tsocketSimpleIntRecvShared(req);
  let out: { ret: number; perrno: number; buf: Uint8Array | null; src: TsocketAddress | null };
  if (ret === 0) {
    out = { ret: state.len, perrno: 0, buf: tallocSteal(memCtx, state.buf!), src: tallocSteal(memCtx, state.src!) };
    state.buf = null;
    state.src = null;
  } else {
    out = { ret: -1, perrno, buf: null, src: null };
  }
  teventReqReceived(req);
  return out;
}

/* ---- sendto ---- */

/* One send handed to Node.js: done when its callback has run. */
class SendOp {
  done = false;
  ret = -1;
  errno = 0;
  constructor(readonly len: number, readonly fd: TdgramBsdFd) {}
}

/* What bsdSendStart returns for a datagram the kernel took at once (C's sendto() returned len). */
const SENT = 0;

class TdgramBsdSendtoState {
  /* the talloc slot, present from the start: attaching the state to its request is then no shape change */
  [TALLOC_NODE]: TallocNode | null = null;
  op: SendOp | null = null;
  ret = -1;
  constructor(readonly dgram: TdgramContext<TdgramBsd>, readonly buf: Uint8Array, readonly len: number,
              readonly dst: TsocketAddress | null) {}
}

function sendtoDestructor(state: TdgramBsdSendtoState): number {
  setWriteableHandler(state.dgram.privateData, null, null, null);
  return 0;
}

function bsdSendtoSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext, buf: Uint8Array, len: number,
                       dst: TsocketAddress | null): TeventReq {
  const bsds = dgram.privateData as TdgramBsd;
  const state = new TdgramBsdSendtoState(dgram as TdgramContext<TdgramBsd>, buf, len, dst);
  const req = teventReqCreate(memCtx, state, "struct tdgram_bsd_sendto_state");
  tallocSetDestructor(state, sendtoDestructor);
  if (bsds.fd === null) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  /* the fast path: the send is tried at once, as C's sendto() */
  sendtoHandler(req);
  if (!teventReqIsInProgress(req)) return teventReqPost(req, ev);
  if (setWriteableHandler(bsds, ev, sendtoHandler as (p: unknown) => void, req) === -1) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  return req;
}

function sendtoHandler(req: TeventReq): void {
  const state = req.data as TdgramBsdSendtoState;
  const bsds = state.dgram.privateData;
  if (state.op === null) {
    const r = bsdSendStart(bsds, state.buf, state.len, state.dst);
    if (r === SENT) {
      state.ret = state.len;
      teventReqDone(req);
      return;
    }
    if (r instanceof SendOp) {
      state.op = r;
      if (!r.done) return; /* retry later: in flight */
    } else {
      if (teventReqError(req, r)) return;
    }
  } else if (!state.op.done) {
    return;
  }
  const op = state.op!;
  if (op.ret === -1) {
    teventReqError(req, op.errno);
    return;
  }
  state.ret = op.ret;
  teventReqDone(req);
}

function bsdSendtoRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as TdgramBsdSendtoState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}

/*
 * sendto(bsds->fd, buf, len, 0, dst): SENT when the datagram went at once,
 * an errno when it failed at once, or the send handed to Node.js (done
 * already when node-unix-socket sent it at once).
 */
function bsdSendStart(bsds: TdgramBsd, buf: Uint8Array, len: number, dst: TsocketAddress | null): SendOp | number {
  const fd = bsds.fd!;
  if (fd.soError !== 0) {
    /* sendto() reports a pending socket error first (checked: ECONNREFUSED) */
    const err = fd.soError;
    fd.soError = 0;
    return err;
  }
  let dbsda: TsocketAddressBsd | null = null;
  if (dst !== null) {
    if (!(dst.privateData instanceof TsocketAddressBsd)) return EINVAL;
    /* a sockaddr of length 0 (an unbound unix sender) is no address */
    if (dst.privateData.saSocklen !== 0) dbsda = dst.privateData;
  }
  if (dbsda !== null && dbsda.family !== bsds.family) {
    /* what Linux's sendto() says (checked): an ipv4 socket refuses other
     * families with EAFNOSUPPORT, an IPV6_V6ONLY socket an ipv4 dst with
     * ENETUNREACH, the rest is EINVAL */
    if (bsds.family === AF_INET) return EAFNOSUPPORT;
    if (bsds.family === AF_INET6 && dbsda.family === AF_INET) return ENETUNREACH;
    return EINVAL;
  }
  if (bsds.udp !== null) {
    const udp = bsds.udp;
    let port = 0;
    let host = "";
    if (dbsda !== null) {
      host = tsocketAddressInetAddrString(dst!, null) ?? "";
      port = tsocketAddressInetPort(dst!);
      if (port === 0) return EINVAL; /* Linux's udp_sendmsg() */
    }
    if (bsds.connected && dbsda !== null) {
      const remote = udp.remoteAddress();
      if (remote.address !== host || remote.port !== port) return EISCONN; /* node:dgram cannot */
      dbsda = null;
    }
    if (dbsda === null && !bsds.connected) return EDESTADDRREQ;
    return udpSend(bsds, fd, udp, bufferView(bsds, buf, len), len, dbsda === null ? 0 : port, host);
  }
  if (bsds.unix !== null) {
    const data = Buffer.from(buf.buffer, buf.byteOffset, len);
    const op = new SendOp(len, fd);
    let path: string;
    if (dbsda !== null) {
      path = tsocketAddressUnixPath(dst!, null) ?? "";
    } else if (bsds.remotePath !== null) {
      path = bsds.remotePath;
    } else {
      return ENOTCONN; /* checked: an unconnected unix socket without dst */
    }
    /* connect(): a connected unix socket takes datagrams from its peer only */
    const target = unixBound.get(path);
    if (target !== undefined && target !== bsds && target.remotePath !== null && target.remotePath !== bsds.localPath) {
      return EPERM;
    }
    const implicit = dbsda === null;
    let sync = true;
    const cb = (err: Error | undefined): void => {
      finishSend(op, len, err, errnoFromUnixError);
      if (implicit && (op.errno === ECONNREFUSED || op.errno === ENOENT)) {
        /* the peer is gone (its path removed or not): the kernel reports
         * ECONNREFUSED and dissolves the association (checked: then ENOTCONN) */
        op.errno = ECONNREFUSED;
        bsds.remotePath = null;
      }
      if (!sync) sendSettled(bsds, fd);
    };
    fd.sending++;
    try {
      bsds.unix.sendTo(data, 0, len, path, cb);
    } catch (e) {
      finishSend(op, len, e, errnoFromUnixError);
    }
    sync = false;
    if (op.done) fd.sending--;
    return op;
  }
  return EBADF;
}

/* The outcome of a send handed to Node.js (the first report counts). */
function finishSend(op: SendOp, len: number, err: unknown, errnoOf: (e: unknown) => number): void {
  if (op.done) return;
  op.done = true;
  if (err !== null && err !== undefined) {
    op.errno = errnoOf(err);
  } else {
    op.ret = len;
  }
}

function udpSendErrno(e: unknown): number {
  return errnoFromNodeError(e, EIO);
}

/* a send handed to Node.js has finished: the descriptor is writable again */
function sendSettled(bsds: TdgramBsd, fd: TdgramBsdFd): void {
  fd.sending--;
  if (bsds.fd === fd && fd.sending === 0) fd.changed();
}

/*
 * C's sendto() says at once whether it sent: node:dgram sends at once too
 * but reports it from process.nextTick().  While udp.send() runs,
 * process.nextTick is captureSendTick: the report of this send (the first
 * tick, for the callback being waited for) is only noted, and the send
 * completes from its _send (C's fast path); any other tick is kept and run
 * afterwards, in order.  Only a send node:dgram queues waits for the socket
 * (its callback comes later, oldest first: bsds.udpInflight).
 */
let capWanted: unknown = null;
let capHit = false;
let capErr: unknown = null;

function captureSendTick(fn: TickFn, a?: unknown, b?: unknown, c?: unknown): void {
  if (fn === capWanted && !capHit && tickSink === null) {
    capHit = true;
    capErr = a;
    return;
  }
  if (tickSink === null) tickSink = tickLists.pop() ?? [];
  const n = arguments.length - 1;
  if (n <= 3) tickSink.push(fn, n, a, b, c);
  // eslint-disable-next-line prefer-rest-params
  else tickSink.push(fn, -1, Array.prototype.slice.call(arguments, 1), undefined, undefined);
}

/* udp.send() of data (len bytes) to port/host, or to the connected remote for port 0; as bsdSendStart */
function udpSend(bsds: TdgramBsd, fd: TdgramBsdFd, udp: dgram.Socket, data: Buffer, len: number, port: number,
                 host: string): SendOp | number {
  const cb = bsds.udpSendDone!;
  const nextTick = proc.nextTick;
  const outer = tickSink;
  const outerWanted = capWanted;
  const outerHit = capHit;
  const outerErr = capErr;
  tickSink = null;
  capWanted = cb;
  capHit = false;
  capErr = null;
  let thrown: unknown = null;
  let hit = false;
  let err: unknown = null;
  let others: TickList | null = null;
  fd.sending++;
  try {
    proc.nextTick = captureSendTick as typeof process.nextTick;
    if (port === 0) udp.send(data, cb);
    else udp.send(data, port, host, cb);
  } catch (e) {
    thrown = e;
  } finally {
    proc.nextTick = nextTick;
    hit = capHit;
    err = capErr;
    others = tickSink;
    tickSink = outer;
    capWanted = outerWanted;
    capHit = outerHit;
    capErr = outerErr;
  }
  if (thrown !== null) {
    fd.sending--;
    if (others !== null) recycleTicks(others);
    return errnoFromNodeError(thrown, EINVAL);
  }
  let r: SendOp | number;
  if (hit) {
    /* done at once: the descriptor is as writable as before, nothing to tell tevent */
    fd.sending--;
    r = err !== null && err !== undefined ? udpSendErrno(err) : SENT;
  } else {
    const op = new SendOp(len, fd);
    if (bsds.udpInflight === null) bsds.udpInflight = [];
    bsds.udpInflight.push(op);
    r = op;
  }
  if (others !== null) runTicks(others);
  return r;
}

/* the callback of every udp.send() of bsds (bsds.udpSendDone): the oldest send in flight has finished */
function udpSendDone(bsds: TdgramBsd, err: Error | null): void {
  const op = bsds.udpInflight !== null ? bsds.udpInflight.shift() : undefined;
  if (op === undefined) return;
  finishSend(op, op.len, err, udpSendErrno);
  sendSettled(bsds, op.fd);
}

/* ---- disconnect ---- */

class TdgramBsdDisconnectState {}

function bsdDisconnectSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext): TeventReq {
  const bsds = dgram.privateData as TdgramBsd;
  const req = teventReqCreate(memCtx, new TdgramBsdDisconnectState(), "struct tdgram_bsd_disconnect_state");
  if (bsds.fd === null) {
    teventReqError(req, ENOTCONN);
    return teventReqPost(req, ev);
  }
  freeFde(bsds);
  bsdClose(bsds);
  teventReqDone(req);
  return teventReqPost(req, ev);
}

function bsdDisconnectRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}

/** tdgram_bsd_ops */
export const tdgramBsdOps: TdgramContextOps = Object.freeze({
  name: "bsd",
  recvfromSend: bsdRecvfromSend,
  recvfromRecv: bsdRecvfromRecv,
  sendtoSend: bsdSendtoSend,
  sendtoRecv: bsdSendtoRecv,
  disconnectSend: bsdDisconnectSend,
  disconnectRecv: bsdDisconnectRecv,
});

/* ---- constructors ---- */

function fail(errno: number): TdgramSocketResult {
  setErrno(errno);
  return { ret: -1, errno, dgram: null };
}

function failFree(dgram: TdgramContext, errno: number): TdgramSocketResult {
  tallocFree(dgram);
  return fail(errno);
}

function bsdaOf(addr: TsocketAddress, fn: string, what: string): TsocketAddressBsd {
  /* C: talloc_get_type_abort() */
  if (!(addr instanceof TsocketAddress) || !(addr.privateData instanceof TsocketAddressBsd)) {
    throw new TypeError(`${fn}: ${what} must be a bsd TsocketAddress`);
  }
  return addr.privateData;
}

function isAny(bsda: TsocketAddressBsd): boolean {
  const u = bsda.u;
  if (bsda.family === AF_INET) return u[4] === 0 && u[5] === 0 && u[6] === 0 && u[7] === 0;
  for (let i = 8; i < 24; i++) if (u[i] !== 0) return false;
  return true;
}

function newContext(memCtx: TallocCtx, family: number): { dgram: TdgramContext<TdgramBsd>; bsds: TdgramBsd } {
  const bsds = new TdgramBsd();
  const dgram = tdgramContextCreate(memCtx, tdgramBsdOps, bsds, "struct tdgram_bsd");
  bsds.family = family;
  bsds.fd = new TdgramBsdFd();
  tallocSetDestructor(bsds, bsdDestructor);
  return { dgram, bsds };
}

function attachUdp(bsds: TdgramBsd, udp: dgram.Socket): void {
  bsds.udp = udp;
  bsds.udpSendDone = (err: Error | null): void => udpSendDone(bsds, err);
  udp.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => enqueue(bsds, msg, rinfo));
  /* an error from recvmsg() (ICMP errors on a connected socket) is SO_ERROR */
  udp.on("error", (err: Error) => socketError(bsds, errnoFromNodeError(err, EIO)));
  udp.unref();
}

/*
 * node:dgram's connect() reports a failure from process.nextTick(); C's
 * connect() returns it.  The one tick it schedules inside the (synchronous,
 * thanks to syncLookup) call is run at once so the caller gets C's result.
 */
function udpConnect(udp: dgram.Socket, port: number, host: string): number {
  let errno = 0;
  const ticks = captureTicks(() => {
    try {
      udp.connect(port, host, (err?: Error) => {
        if (err !== undefined && err !== null) errno = errnoFromNodeError(err, EIO);
      });
    } catch (e) {
      errno = errnoFromNodeError(e, EINVAL);
    }
  });
  runTicks(ticks);
  return errno;
}

type TickFn = (...a: unknown[]) => void;
/*
 * The process.nextTick() calls being captured, flat, five slots each: the
 * function, its number of arguments (-1: slot 3 holds them as an array),
 * then up to three arguments (a send is one tick with two: no garbage per
 * tick).  The lists are reused (tickLists) once run.
 */
type TickList = unknown[];
let tickSink: TickList | null = null;
const tickLists: TickList[] = [];
function sinkTick(fn: TickFn, a?: unknown, b?: unknown, c?: unknown): void {
  const sink = tickSink as TickList;
  const n = arguments.length - 1;
  if (n <= 3) sink.push(fn, n, a, b, c);
  // eslint-disable-next-line prefer-rest-params
  else sink.push(fn, -1, Array.prototype.slice.call(arguments, 1), undefined, undefined);
}

/* Start keeping the process.nextTick callbacks (to be run by runTicks); endCapture() restores. */
function beginCapture(): TickList {
  const list = tickLists.pop() ?? [];
  tickSink = list;
  proc.nextTick = sinkTick as typeof process.nextTick;
  return list;
}

function endCapture(outer: TickList | null, nextTick: typeof process.nextTick): void {
  tickSink = outer;
  proc.nextTick = nextTick;
}

/* Run fn, keeping the process.nextTick callbacks it schedules (to be run by runTicks). */
function captureTicks(fn: () => void): TickList {
  const nextTick = proc.nextTick;
  const outer = tickSink;
  tickSink = null;
  try {
    const list = beginCapture();
    fn();
    return list;
  } finally {
    endCapture(outer, nextTick);
  }
}

/* Give a list of kept callbacks back for reuse without running them. */
function recycleTicks(list: TickList): void {
  list.length = 0;
  tickLists.push(list);
}

/* Run the kept callbacks in order, then give the list back for reuse. */
function runTicks(list: TickList): void {
  for (let i = 0; i < list.length; i += 5) {
    const fn = list[i] as TickFn;
    switch (list[i + 1] as number) {
      case 0: fn(); break;
      case 1: fn(list[i + 2]); break;
      case 2: fn(list[i + 2], list[i + 3]); break;
      case 3: fn(list[i + 2], list[i + 3], list[i + 4]); break;
      default: fn(...(list[i + 2] as unknown[])); break;
    }
  }
  list.length = 0;
  tickLists.push(list);
}

/* tdgram_bsd_dgram_socket() */
function bsdDgramSocket(local: TsocketAddress, remote: TsocketAddress | null, broadcast: boolean,
                        memCtx: TallocCtx, fn: string): TdgramSocketResult {
  const lbsda = bsdaOf(local, fn, "local");
  const rbsda = remote !== null && remote !== undefined ? bsdaOf(remote, fn, "remote") : null;
  let doBind = false;
  let doReuseaddr = false;
  let doIpv6only = false;
  let isInet = false;
  let saFam = lbsda.family;
  switch (lbsda.family) {
    case AF_UNIX:
      if (broadcast) return fail(EINVAL);
      if (lbsda.u[2] !== 0) {
        doReuseaddr = true;
        doBind = true;
      }
      break;
    case AF_INET:
    case AF_INET6:
      if (lbsda.u[2] !== 0 || lbsda.u[3] !== 0) {
        doReuseaddr = true;
        doBind = true;
      }
      if (!isAny(lbsda)) doBind = true;
      isInet = true;
      doIpv6only = lbsda.family === AF_INET6;
      break;
    default:
      return fail(EINVAL);
  }
  if (!doBind && isInet && rbsda !== null) {
    saFam = rbsda.family;
    if (saFam === AF_INET) doIpv6only = false;
    if (saFam === AF_INET6) doIpv6only = true;
  }
  if (saFam !== AF_INET && saFam !== AF_INET6 && saFam !== AF_UNIX) return fail(EAFNOSUPPORT); /* socket() */

  const { dgram, bsds } = newContext(memCtx, saFam);
  if (saFam === AF_UNIX) {
    const unix = new DgramSocket();
    bsds.unix = unix;
    unix.on("data", (buf: Buffer, path: string) => {
      if (bsds.remotePath !== null && path !== bsds.remotePath) {
        bsds.filtered++; /* the kernel would have refused it to the sender (EPERM) */
        return;
      }
      enqueue(bsds, buf, path);
    });
    /* node-unix-socket closes the socket after a receive error */
    unix.on("error", (err: Error) => socketError(bsds, errnoFromUnixError(err)));
    if (doBind) {
      const path = tsocketAddressUnixPath(local, null) ?? "";
      try {
        unix.bind(path);
      } catch (e) {
        return failFree(dgram, errnoFromUnixError(e));
      }
      bsds.localPath = path;
      unixBound.set(path, bsds);
    }
  } else {
    let bindErr = 0;
    const udp = udpCreateSocket(saFam, doIpv6only, doReuseaddr);
    udp.on("error", (err: Error) => { bindErr = errnoFromNodeError(err, EIO); });
    /* C leaves an unbound socket to the kernel's automatic bind at the
     * first send; node:dgram must bind to receive, so the wildcard with an
     * ephemeral port is bound now */
    const host = doBind ? tsocketAddressInetAddrString(local, null)! : (saFam === AF_INET6 ? "::" : "0.0.0.0");
    const port = doBind ? tsocketAddressInetPort(local) : 0;
    try {
      udp.bind({ port, address: host, exclusive: true });
    } catch (e) {
      bindErr = errnoFromNodeError(e, EINVAL);
    }
    udp.removeAllListeners("error");
    attachUdp(bsds, udp);
    if (bindErr !== 0) return failFree(dgram, bindErr);
    if (broadcast) {
      try {
        udp.setBroadcast(true);
      } catch (e) {
        return failFree(dgram, errnoFromNodeError(e, EINVAL));
      }
    }
  }
  if (rbsda !== null) {
    if (rbsda.family !== saFam) return failFree(dgram, EINVAL);
    if (saFam === AF_UNIX) {
      const err = unixConnect(bsds, tsocketAddressUnixPath(remote!, null) ?? "");
      if (err !== 0) return failFree(dgram, err);
    } else {
      const err = udpConnect(bsds.udp!, tsocketAddressInetPort(remote!), tsocketAddressInetAddrString(remote!, null)!);
      if (err !== 0) return failFree(dgram, err);
      bsds.connected = true;
    }
  }
  return { ret: 0, errno: 0, dgram };
}

function udpCreateSocket(family: number, ipv6Only: boolean, reuseAddr: boolean): dgram.Socket {
  return dgram.createSocket({ type: family === AF_INET6 ? "udp6" : "udp4", ipv6Only, reuseAddr, lookup: syncLookup });
}

/* connect() of a unix datagram socket, emulated (see the top of the file) */
function unixConnect(bsds: TdgramBsd, path: string): number {
  try {
    if (!statSync(path).isSocket()) return ECONNREFUSED; /* checked: a regular file */
  } catch (e) {
    return errnoFromNodeError(e, ENOENT);
  }
  bsds.remotePath = path;
  return 0;
}

/**
 * tdgram_inet_udp_socket(): a UDP socket bound to local (an ipv4 or ipv6
 * address; port 0 and the wildcard leave the choice to the kernel) and,
 * when remote is not null, connected to it.  { ret: 0, errno: 0, dgram }, or
 * { ret: -1, errno, dgram: null }: EINVAL for a non-inet local or a remote of
 * another family, the errors of bind() (EADDRINUSE against a socket without
 * SO_REUSEADDR, EADDRNOTAVAIL, EACCES) and of connect() (EACCES for a
 * broadcast remote), all known before it returns, as in C.
 */
export function tdgramInetUdpSocket(localAddress: TsocketAddress, remoteAddress: TsocketAddress | null,
                                    memCtx: TallocCtx): TdgramSocketResult {
  const lbsda = bsdaOf(localAddress, "tdgramInetUdpSocket", "localAddress");
  if (lbsda.family !== AF_INET && lbsda.family !== AF_INET6) return fail(EINVAL);
  return bsdDgramSocket(localAddress, remoteAddress ?? null, false, memCtx, "tdgramInetUdpSocket");
}

/**
 * tdgram_inet_udp_broadcast_socket(): an unconnected ipv4 UDP socket with
 * SO_BROADCAST.  Anything but an ipv4 local is EINVAL (checked: ipv6 too).
 */
export function tdgramInetUdpBroadcastSocket(localAddress: TsocketAddress, memCtx: TallocCtx): TdgramSocketResult {
  const lbsda = bsdaOf(localAddress, "tdgramInetUdpBroadcastSocket", "localAddress");
  if (lbsda.family !== AF_INET) return fail(EINVAL);
  return bsdDgramSocket(localAddress, null, true, memCtx, "tdgramInetUdpBroadcastSocket");
}

/**
 * tdgram_unix_socket(): a unix datagram socket bound to local's path (not
 * bound for the path "") and, when remote is not null, connected to it
 * (emulated, see the top of this file).  Errors as C: EINVAL for a non-unix
 * local or remote, EADDRINUSE for an existing path, ENOENT for a missing
 * directory or remote.
 */
export function tdgramUnixSocket(local: TsocketAddress, remote: TsocketAddress | null,
                                 memCtx: TallocCtx): TdgramSocketResult {
  const lbsda = bsdaOf(local, "tdgramUnixSocket", "local");
  if (lbsda.family !== AF_UNIX) return fail(EINVAL);
  return bsdDgramSocket(local, remote ?? null, false, memCtx, "tdgramUnixSocket");
}

/* The family of a UDP socket descriptor, from /proc/net/udp{,6} by inode; 0 if it is none. */
function udpFamilyOf(ino: number): number {
  for (const [file, fam] of [["/proc/net/udp", AF_INET], ["/proc/net/udp6", AF_INET6]] as const) {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[9] === String(ino)) return fam;
    }
  }
  return 0;
}

/**
 * tdgram_bsd_existing_socket(): wrap the UDP socket descriptor fd (it is
 * closed when the context is freed).  As in C, fd -1 gives a context whose
 * every request fails ENOTCONN (checked).  C accepts any number and fails
 * later (or hangs: a closed descriptor); Node.js can adopt only UDP
 * sockets, so anything else is refused at once: EBADF for a descriptor
 * that is not open, ENOTSOCK for one that is not a socket, EOPNOTSUPP for
 * any other socket (a unix datagram socket among them: node-unix-socket
 * cannot adopt a descriptor).
 */
export function tdgramBsdExistingSocket(memCtx: TallocCtx, fd: number): TdgramSocketResult {
  if (typeof fd !== "number") throw new TypeError("tdgramBsdExistingSocket: fd must be a number");
  if (fd === -1) {
    const { dgram, bsds } = newContext(memCtx, 0);
    bsds.fd = null;
    return { ret: 0, errno: 0, dgram };
  }
  if (!Number.isInteger(fd) || fd < 0) return fail(EBADF);
  let ino: number;
  try {
    const st = fstatSync(fd);
    if (!st.isSocket()) return fail(ENOTSOCK);
    ino = st.ino;
  } catch {
    return fail(EBADF);
  }
  const family = udpFamilyOf(ino);
  if (family === 0) return fail(EOPNOTSUPP);
  const udp = udpCreateSocket(family, false, false);
  try {
    udp.bind({ fd });
  } catch (e) {
    return fail(errnoFromNodeError(e, EOPNOTSUPP));
  }
  const { dgram, bsds } = newContext(memCtx, family);
  attachUdp(bsds, udp);
  return { ret: 0, errno: 0, dgram };
}
