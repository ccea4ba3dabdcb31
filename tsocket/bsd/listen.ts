// Listening stream sockets: an extension.
//
// tsocket (and its guide) has no listening socket: Samba servers create one
// with socket(2)/bind(2)/listen(2) and wrap each accept(2)ed descriptor with
// tstream_bsd_existing_socket().  A Node.js program cannot do that, so this
// file adds the piece every server needs, in the same conventions as the
// faithful API (API.md, "Beyond the C API"): a TstreamListener, a talloc
// object whose freeing closes it, and an accept _send/_recv pair giving BSD
// streams (tsocket/bsd/stream.ts) exactly like the connecting side's.
//
// Binding.  C binds synchronously; Node.js binds a TCP listener on its next
// tick (net.Server.listen resolves even a numeric host asynchronously), a
// unix listener at once.  So tstreamInetTcpListen() and tstreamUnixListen()
// return { ret: 0 } at once for any address of the right family, and the
// kernel's verdict (EADDRINUSE, EACCES, EADDRNOTAVAIL, ENOENT...) arrives
// through the requests: tstreamListenReadySend/Recv (done once the socket is
// bound and listening), and every tstreamAcceptSend on a listener that
// failed.  The bind has happened before the caller next waits in the tevent
// loop; until then tstreamListenerAddress() returns null with errno
// EINPROGRESS.  A wrong family is refused at once with EINVAL, as C's
// socket helpers do.
//
// Accepted connections are queued (each paused, so that it reads nothing
// until a stream owns it) and handed to accept requests in order.
//
// Deviation: Node.js removes a unix listener's socket file when the listener
// is closed; C's close(2) leaves it behind.

import * as fs from "node:fs";
import * as path from "node:path";
import * as net from "node:net";
import { EACCES, EBADF, EINPROGRESS, EINVAL, ENOENT, ENOTDIR, errnoFromNodeError, setErrno } from "../../lib/errno";
import { TallocCtx, tallocSetDestructor, tallocSteal, TALLOC_NODE, TallocNode } from "../../lib/talloc";
import { TeventContext, TeventImmediate } from "../../tevent/internal";
import { teventCreateImmediate, teventScheduleImmediate } from "../../tevent/immediate";
import {
  TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqPost, teventReqReceived,
} from "../../tevent/req";
import { TsocketAddress } from "../address";
import { tsocketSimpleIntRecv, tsocketSimpleIntRecvShared } from "../simple";
import { TstreamContext } from "../stream";
import {
  AF_INET, AF_INET6, AF_UNIX, TsocketAddressBsd, tsocketAddressInetAddrString, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tsocketAddressUnixFromPath, tsocketAddressUnixPath,
} from "./address";
import { tstreamBsdFromSocket, tstreamBsdHoldLoop } from "./stream";

/* A connection accepted by Node and not yet handed to an accept request,
 * with its peer's address read at once (getpeername fails once it is reset). */
interface Accepted {
  socket: net.Socket;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /* an error Node saw while it waited */
  err: number;
  onError: (err: unknown) => void;
}

/** A listening stream socket (extension; see the top of this file). */
export class TstreamListener {
  [TALLOC_NODE]: TallocNode | null = null;
  server: net.Server | null = null;
  /** bound and listening */
  listening = false;
  /** the error that made the listener unusable (bind/listen failed) */
  error = 0;
  closed = false;
  /** a unix listener's path (for bind(2)'s errno, see unixBindErrno) */
  unixPath: string | null = null;
  /** accepted connections waiting for an accept request */
  readonly backlog: Accepted[] = [];
  /** accept requests waiting for a connection, oldest first */
  readonly acceptors: TeventReq[] = [];
  /** ready requests waiting for the bind */
  readonly readyWaiters: TeventReq[] = [];

  constructor(readonly isInet: boolean) {}

  readonly onListening = (): void => {
    this.listening = true;
    this.readyWaiters.forEach(kick);
  };

  readonly onError = (err: unknown): void => {
    let errno = errnoFromNodeError(err);
    if (!this.listening) {
      if (errno === EACCES && this.unixPath !== null) errno = unixBindErrno(this.unixPath);
      /* bind(2) or listen(2) failed: the listener is dead */
      if (this.error === 0) this.error = errno;
      this.readyWaiters.forEach(kick);
      this.acceptors.forEach(kick);
      return;
    }
    /* accept(2) failed (EMFILE...): the oldest acceptor gets the error */
    const first = this.acceptors[0];
    if (first !== undefined) {
      (first.data as TstreamAcceptState).err = errno;
      kick(first);
    }
  };

  readonly onConnection = (socket: net.Socket): void => {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const a: Accepted = {
      socket, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, err: 0,
      onError: (err: unknown) => { if (a.err === 0) a.err = errnoFromNodeError(err); },
    };
    socket.on("error", a.onError); /* until a stream owns it */
    this.backlog.push(a);
    const first = this.acceptors[0];
    if (first !== undefined) kick(first);
  };
}

function ignoreError(): void { /* the listener is gone */ }

interface Progressing {
  im: TeventImmediate;
  ev: TeventContext;
  progress: (ev: TeventContext, im: TeventImmediate, req: TeventReq) => void;
}

function kick(req: TeventReq): void {
  const st = req.data as Progressing | null;
  if (st === null) return;
  teventScheduleImmediate(st.im, st.ev, st.progress, req);
}

/* Freeing the listener closes it; the connections nobody accepted are
 * closed; waiting requests end silently, as a freed stream's do. */
function listenerDestructor(listener: TstreamListener): number {
  listener.closed = true;
  const server = listener.server;
  listener.server = null;
  if (server !== null) {
    server.removeListener("listening", listener.onListening);
    server.removeListener("connection", listener.onConnection);
    server.on("error", ignoreError);
    server.close();
  }
  for (const a of listener.backlog.splice(0)) {
    a.socket.removeListener("error", a.onError);
    a.socket.on("error", ignoreError);
    a.socket.destroy();
  }
  for (const req of listener.acceptors.splice(0)) teventReqReceived(req);
  for (const req of listener.readyWaiters.splice(0)) teventReqReceived(req);
  return 0;
}

/** What the listen functions return (API.md rule 2). */
export interface TstreamListenResult {
  ret: number;
  errno: number;
  listener: TstreamListener | null;
}

function listenFail(errno: number): TstreamListenResult {
  setErrno(errno);
  return { ret: -1, errno, listener: null };
}

function checkLocal(local: unknown, fn: string): TsocketAddressBsd | null {
  if (!(local instanceof TsocketAddress)) throw new TypeError(`${fn}: local must be a TsocketAddress`);
  return local.privateData instanceof TsocketAddressBsd ? local.privateData : null;
}

function checkBacklog(backlog: unknown, fn: string): void {
  if (typeof backlog !== "number" || !Number.isInteger(backlog)) {
    throw new TypeError(`${fn}: backlog must be an integer`);
  }
}

function listenCreate(memCtx: TallocCtx, isInet: boolean, opts: net.ListenOptions): TstreamListenResult {
  const listener = new TstreamListener(isInet);
  if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, listener);
  tallocSetDestructor(listener, listenerDestructor);
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  listener.server = server;
  server.on("listening", listener.onListening);
  server.on("error", listener.onError);
  server.on("connection", listener.onConnection);
  server.listen(opts);
  return { ret: 0, errno: 0, listener };
}

/**
 * tstreamInetTcpListen() (extension): a TCP listener on local (an ipv4 or
 * ipv6 address; port 0 lets the kernel choose), child of memCtx.  An ipv6
 * listener is IPV6_V6ONLY, like the sockets of tsocket_bsd.c.  Not an inet
 * address: -1/EINVAL.  Bind errors arrive through the requests (see above).
 */
export function tstreamInetTcpListen(memCtx: TallocCtx, local: TsocketAddress, backlog: number): TstreamListenResult {
  const bsda = checkLocal(local, "tstreamInetTcpListen");
  checkBacklog(backlog, "tstreamInetTcpListen");
  if (bsda === null || (bsda.family !== AF_INET && bsda.family !== AF_INET6)) return listenFail(EINVAL);
  return listenCreate(memCtx, true, {
    host: tsocketAddressInetAddrString(local, null) as string,
    port: tsocketAddressInetPort(local),
    backlog,
    ipv6Only: bsda.family === AF_INET6,
    exclusive: true,
  });
}

/**
 * tstreamUnixListen() (extension): a unix stream listener on local's path,
 * child of memCtx.  Not a unix address, or an empty path: -1/EINVAL.  An
 * existing path gives EADDRINUSE through the requests, as bind(2) does.
 */
export function tstreamUnixListen(memCtx: TallocCtx, local: TsocketAddress, backlog: number): TstreamListenResult {
  const bsda = checkLocal(local, "tstreamUnixListen");
  checkBacklog(backlog, "tstreamUnixListen");
  if (bsda === null || bsda.family !== AF_UNIX) return listenFail(EINVAL);
  const p = tsocketAddressUnixPath(local, null) as string;
  if (p === "") return listenFail(EINVAL); /* Node.js has no autobind */
  const r = listenCreate(memCtx, false, { path: p, backlog, exclusive: true });
  (r.listener as TstreamListener).unixPath = p;
  return r;
}

/*
 * libuv reports bind(2)'s ENOENT on a unix path as EACCES; C gives the
 * kernel's answer.  A missing or non-directory parent is ENOENT/ENOTDIR.
 */
function unixBindErrno(p: string): number {
  try {
    fs.accessSync(path.dirname(p), fs.constants.F_OK);
  } catch (err) {
    const e = errnoFromNodeError(err);
    if (e === ENOENT || e === ENOTDIR) return e;
  }
  return EACCES;
}

/**
 * tstreamListenerAddress() (extension): the bound address, child of memCtx
 * (for port 0, with the port the kernel chose).  null with errno set: the
 * bind failed (its errno), the listener was freed (EBADF), or the bind has
 * not run yet (EINPROGRESS: run the loop, or wait with tstreamListenReadySend).
 */
export function tstreamListenerAddress(listener: TstreamListener, memCtx: TallocCtx): TsocketAddress | null {
  if (!(listener instanceof TstreamListener)) {
    throw new TypeError("tstreamListenerAddress: listener must be a TstreamListener");
  }
  let err = 0;
  if (listener.closed || listener.server === null) err = EBADF;
  else if (listener.error !== 0) err = listener.error;
  /* server.listening: the socket is bound and listening (a unix one at
   * once); address() alone would report a unix path whose bind failed */
  const server = listener.server;
  const a = err === 0 && server !== null && server.listening ? server.address() : null;
  if (err === 0 && a === null) err = EINPROGRESS;
  if (err !== 0) {
    setErrno(err);
    return null;
  }
  const r = typeof a === "string"
    ? tsocketAddressUnixFromPath(memCtx, a)
    : tsocketAddressInetFromStrings(memCtx, "ip", (a as net.AddressInfo).address, (a as net.AddressInfo).port);
  return r.addr;
}

/* ---- ready ---- */

class TstreamListenReadyState implements Progressing {
  im: TeventImmediate;
  listener: TstreamListener | null = null;
  req: TeventReq | null = null;
  readonly progress = tstreamListenReadyHandler;
  constructor(readonly ev: TeventContext) {
    this.im = teventCreateImmediate(this);
  }
}

function listenReadyDestructor(state: TstreamListenReadyState): number {
  const l = state.listener;
  if (l !== null) {
    const i = l.readyWaiters.indexOf(state.req as TeventReq);
    if (i >= 0) l.readyWaiters.splice(i, 1);
  }
  state.listener = null;
  return 0;
}

function checkListenerEv(listener: unknown, ev: unknown, fn: string): void {
  if (!(ev instanceof TeventContext)) throw new TypeError(`${fn}: ev must be a TeventContext`);
  if (!(listener instanceof TstreamListener)) throw new TypeError(`${fn}: listener must be a TstreamListener`);
}

/**
 * tstreamListenReadySend() (extension): done once the listener is bound and
 * listening; fails with the bind's errno (EADDRINUSE...), or EBADF for a
 * freed listener.
 */
export function tstreamListenReadySend(memCtx: TallocCtx, ev: TeventContext, listener: TstreamListener): TeventReq {
  checkListenerEv(listener, ev, "tstreamListenReadySend");
  const state = new TstreamListenReadyState(ev);
  const req = teventReqCreate(memCtx, state, "struct tstream_listen_ready_state");
  state.req = req;
  if (listener.closed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  state.listener = listener;
  tstreamBsdHoldLoop(ev, state);
  listener.readyWaiters.push(req);
  tallocSetDestructor(state, listenReadyDestructor);
  kick(req);
  return req;
}

function tstreamListenReadyHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamListenReadyState;
  const l = state.listener;
  if (l === null) return;
  /* a unix listener is bound before its "listening" event */
  const bound = l.listening || (l.server !== null && l.server.listening);
  if (l.error === 0 && !bound) return;
  listenReadyDestructor(state);
  if (l.error !== 0) {
    teventReqError(req, l.error);
    return;
  }
  teventReqDone(req);
}

/** tstreamListenReadyRecv() (extension): 0, or -1 with perrno. */
export function tstreamListenReadyRecv(req: TeventReq): { ret: number; perrno: number } {
  const r = tsocketSimpleIntRecv(req);
  teventReqReceived(req);
  return r;
}

/* ---- accept ---- */

class TstreamAcceptState implements Progressing {
  im: TeventImmediate;
  listener: TstreamListener | null = null;
  accepted: Accepted | null = null;
  isInet = false;
  /* an accept(2) error for this request */
  err = 0;
  req: TeventReq | null = null;
  readonly progress = tstreamAcceptHandler;
  constructor(readonly ev: TeventContext) {
    this.im = teventCreateImmediate(this);
  }
}

function acceptDetach(state: TstreamAcceptState): void {
  const l = state.listener;
  if (l !== null) {
    const i = l.acceptors.indexOf(state.req as TeventReq);
    if (i >= 0) l.acceptors.splice(i, 1);
    /* the next acceptor may take a queued connection */
    if (l.acceptors.length > 0 && l.backlog.length > 0) kick(l.acceptors[0]);
  }
  state.listener = null;
}

/* A request freed before its result was received closes the connection it took. */
function acceptDestructor(state: TstreamAcceptState): number {
  acceptDetach(state);
  const a = state.accepted;
  state.accepted = null;
  if (a !== null) {
    a.socket.removeListener("error", a.onError);
    a.socket.on("error", ignoreError);
    a.socket.destroy();
  }
  return 0;
}

/**
 * tstreamAcceptSend() (extension): the next connection on listener.
 * Several may wait; connections go to them in order.
 */
export function tstreamAcceptSend(memCtx: TallocCtx, ev: TeventContext, listener: TstreamListener): TeventReq {
  checkListenerEv(listener, ev, "tstreamAcceptSend");
  const state = new TstreamAcceptState(ev);
  const req = teventReqCreate(memCtx, state, "struct tstream_accept_state");
  state.req = req;
  state.isInet = listener.isInet;
  tallocSetDestructor(state, acceptDestructor);
  if (listener.closed) {
    teventReqError(req, EBADF);
    return teventReqPost(req, ev);
  }
  state.listener = listener;
  tstreamBsdHoldLoop(ev, state); /* a waiting accept keeps tevent_loop_wait() going */
  listener.acceptors.push(req);
  kick(req);
  return req;
}

function tstreamAcceptHandler(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamAcceptState;
  const l = state.listener;
  if (l === null) return;
  if (l.error !== 0 || state.err !== 0) {
    const err = state.err !== 0 ? state.err : l.error;
    acceptDetach(state);
    teventReqError(req, err);
    return;
  }
  if (l.acceptors[0] !== req || l.backlog.length === 0) return;
  state.accepted = l.backlog.shift() as Accepted;
  acceptDetach(state);
  teventReqDone(req);
}

/**
 * tstreamAcceptRecv() (extension): 0 with the accepted stream and the
 * peer's address (both children of memCtx), or -1 with perrno.  A unix
 * peer's address is "unix:" (Node.js does not report a peer's path; an
 * unbound client has none anyway).
 */
export function tstreamAcceptRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; stream: TstreamContext | null; remote: TsocketAddress | null } {
  const state = req.data as TstreamAcceptState;
  const { ret, perrno } = tsocketSimpleIntRecvShared(req);
  let stream: TstreamContext | null = null;
  let remote: TsocketAddress | null = null;
  if (ret === 0) {
    const a = state.accepted as Accepted;
    state.accepted = null;
    a.socket.removeListener("error", a.onError);
    if (!state.isInet) {
      remote = tsocketAddressUnixFromPath(memCtx, "").addr;
    } else if (a.remoteAddress !== undefined && a.remotePort !== undefined) {
      remote = tsocketAddressInetFromStrings(memCtx, "ip", a.remoteAddress, a.remotePort).addr;
    }
    const s = tstreamBsdFromSocket(memCtx, a.socket, state.isInet);
    if (a.err !== 0 && s.privateData.sockError === 0) s.privateData.sockError = a.err;
    stream = s;
  }
  teventReqReceived(req);
  return { ret, perrno, stream, remote };
}
