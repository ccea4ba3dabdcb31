// A tiny in-process comms layer for the comms interface of
// seeds/async_socket_interface.txt (tsocket/comms.ts): a pipe with two ends.
// Each end is the opaque handle of one session; the bytes a session sends
// wait in the pipe and are delivered to the other session on setImmediate
// (outside the tevent loop, as a socket's data would be), honouring the
// back-pressure of commsSessionReceive: what it does not take is offered
// again when the receiving session's onDrain says there is room.  The other
// way, a sending session is paused (commsSessionSendPause) while its
// direction holds `capacity` bytes or more, so nothing grows without bound
// when one side stops reading.
//
// Run it (`node dist/examples/comms_pipe.js`) for an echo over the pipe with
// tstream readv/writev.  The pipe is reusable: import CommsPipe (or
// commsPipePair) to put any tstream user, TLS included, on top of it.

import { EPIPE, setErrno, strerror } from "../lib/errno";
import { TallocCtx, tallocFree, tallocNew } from "../lib/talloc";
import { TeventContext } from "../tevent/internal";
import { teventContextInit } from "../tevent/tevent";
import {
  TeventReq, teventReqCallbackData, teventReqCreate, teventReqDone, teventReqError, teventReqPoll,
  teventReqSetCallback,
} from "../tevent/req";
import { teventReqIsUnixError } from "../tevent/unix";
import {
  CommsSession, commsSessionClose, commsSessionCreate, CommsSessionOpts, commsSessionReceive,
  commsSessionSendPause, commsSessionSendResume,
} from "../tsocket/comms";
import {
  TstreamContext, tstreamDisconnectRecv, tstreamDisconnectSend, tstreamPendingBytes, tstreamReadvRecv,
  tstreamReadvSend, tstreamWritevRecv, tstreamWritevSend,
} from "../tsocket/stream";

/** Default bytes one direction of the pipe holds before it pauses the sender. */
export const COMMS_PIPE_CAPACITY = 64 * 1024;

/** One end of the pipe: the comms layer's handle for one session. */
export class CommsPipeEnd {
  session: CommsSession<CommsPipeEnd> | null = null;
  /** bytes this end's session sent, on their way to the peer's session */
  queue: Uint8Array[] = [];
  queued = 0;
  /** this end was closed (closeFunc); the peer learns it after the queued bytes */
  closed = false;
  closeDelivered = false;
  scheduled = false;
  /** counters, for the transcript and tests */
  sends = 0;
  shortReceives = 0;
  pauses = 0;
  maxQueued = 0;
  closeCalls = 0;
  constructor(readonly pipe: CommsPipe, readonly name: string) {}
  get peer(): CommsPipeEnd {
    return this === this.pipe.end1 ? this.pipe.end2 : this.pipe.end1;
  }
}

/** An in-process, bidirectional, back-pressured pipe between two sessions. */
export class CommsPipe {
  readonly end1: CommsPipeEnd;
  readonly end2: CommsPipeEnd;
  /** optional observer of every byte the pipe carries (a wire tap) */
  onWire: ((from: CommsPipeEnd, bytes: Uint8Array) => void) | null = null;
  constructor(readonly capacity: number = COMMS_PIPE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("CommsPipe: capacity must be > 0");
    this.end1 = new CommsPipeEnd(this, "end1");
    this.end2 = new CommsPipeEnd(this, "end2");
  }

  /** session_create() for one end: a session (child of memCtx) whose stream is that end. */
  open(memCtx: TallocCtx, end: CommsPipeEnd, opts?: CommsSessionOpts): CommsSession<CommsPipeEnd> {
    if (end.session !== null) throw new Error(`CommsPipe: ${end.name} is already open`);
    const session = commsSessionCreate(memCtx, end, commsPipeSend, commsPipeClose, opts);
    end.session = session;
    /* room again in this session: offer it what the peer still holds for it */
    session.onDrain = () => { commsPipeSchedule(end.peer); };
    /* bytes may have been sent before this end was opened */
    commsPipeSchedule(end.peer);
    return session;
  }
}

/* Deliver end's queue to its peer's session later, from a Node callback. */
function commsPipeSchedule(end: CommsPipeEnd): void {
  if (end.scheduled) return;
  end.scheduled = true;
  setImmediate(commsPipeFlush, end);
}

function commsPipeFlush(end: CommsPipeEnd): void {
  end.scheduled = false;
  const dst = end.peer.session;
  if (dst === null) return; /* not open yet */
  while (end.queue.length > 0) {
    const chunk = end.queue[0];
    const n = commsSessionReceive(dst, chunk, chunk.length);
    if (n === -1) {
      /* the receiving session is gone: the bytes are lost, as on a socket */
      end.queue = [];
      end.queued = 0;
      break;
    }
    end.queued -= n;
    if (n < chunk.length) {
      /* back-pressure: keep the rest; onDrain reschedules us */
      end.shortReceives++;
      end.queue[0] = chunk.subarray(n);
      break;
    }
    end.queue.shift();
  }
  if (end.session !== null && end.queued <= end.pipe.capacity / 2) commsSessionSendResume(end.session);
  if (end.queue.length === 0 && end.closed && !end.closeDelivered) {
    /* the close travels behind the data, as a FIN does */
    end.closeDelivered = true;
    commsSessionClose(dst);
  }
}

/** comm_send_data for the pipe: queue a copy for the peer; -1 (EPIPE) once the peer closed. */
export function commsPipeSend(end: CommsPipeEnd, buffer: Uint8Array, size: number): number {
  end.sends++;
  if (end.closed || end.peer.closed) {
    setErrno(EPIPE);
    return -1;
  }
  /* the buffer is only lent for this call: copy it */
  const copy = Uint8Array.prototype.slice.call(buffer, 0, size);
  if (end.pipe.onWire !== null) end.pipe.onWire(end, copy);
  end.queue.push(copy);
  end.queued += size;
  if (end.queued > end.maxQueued) end.maxQueued = end.queued;
  if (end.queued >= end.pipe.capacity && end.session !== null) {
    end.pauses++;
    commsSessionSendPause(end.session);
  }
  commsPipeSchedule(end);
  return 0;
}

/** comm_close for the pipe: this end closes; the peer sees it after what is queued. */
export function commsPipeClose(end: CommsPipeEnd): void {
  end.closeCalls++;
  if (end.closed) return;
  end.closed = true;
  /* nothing can reach this end any more: drop what was on its way */
  const peer = end.peer;
  peer.queue = [];
  peer.queued = 0;
  /* a peer paused on our account goes on, and fails with EPIPE in commsPipeSend */
  if (peer.session !== null) commsSessionSendResume(peer.session);
  commsPipeSchedule(end);
}

/** Two sessions connected by a new pipe: session1 a child of memCtx1, session2 of memCtx2. */
export function commsPipePair(memCtx1: TallocCtx, memCtx2: TallocCtx, capacity: number = COMMS_PIPE_CAPACITY,
                              opts?: CommsSessionOpts): {
  pipe: CommsPipe; session1: CommsSession<CommsPipeEnd>; session2: CommsSession<CommsPipeEnd>;
} {
  const pipe = new CommsPipe(capacity);
  const session1 = pipe.open(memCtx1, pipe.end1, opts);
  const session2 = pipe.open(memCtx2, pipe.end2, opts);
  return { pipe, session1, session2 };
}

/* ---- the demo: an echo server on one session, a client on the other ---- */

class EchoState {
  buf = new Uint8Array(64 * 1024);
  echoed = 0;
  constructor(readonly ev: TeventContext, readonly stream: TstreamContext) {}
}

/* Echo everything back until the client goes away (EPIPE). */
function echoSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext): TeventReq {
  const req = teventReqCreate(memCtx, new EchoState(ev, stream), "EchoState");
  echoRead(req);
  return req;
}

function echoRead(req: TeventReq): void {
  const state = req.data as EchoState;
  const pending = tstreamPendingBytes(state.stream);
  const n = Math.min(Math.max(pending, 1), state.buf.length);
  const subreq = tstreamReadvSend(state, state.ev, state.stream, [state.buf.subarray(0, n)], 1);
  teventReqSetCallback(subreq, echoReadDone, req);
}

function echoReadDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as EchoState;
  const { ret, perrno } = tstreamReadvRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    if (perrno === EPIPE) teventReqDone(req); else teventReqError(req, perrno);
    return;
  }
  const w = tstreamWritevSend(state, state.ev, state.stream, [state.buf.subarray(0, ret)], 1);
  teventReqSetCallback(w, echoWriteDone, req);
}

function echoWriteDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as EchoState;
  const { ret, perrno } = tstreamWritevRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.echoed += ret;
  echoRead(req);
}

function echoRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as EchoState;
  const { ret: failed, perrno } = teventReqIsUnixError(req);
  return failed ? { ret: -1, perrno } : { ret: state.echoed, perrno: 0 };
}

async function poll(req: TeventReq, ev: TeventContext): Promise<void> {
  if (!(await teventReqPoll(req, ev))) throw new Error("tevent_req_poll failed");
}

/** The demo; returns the transcript lines and whether every echo came back intact. */
export async function commsPipeDemo(log: (line: string) => void): Promise<boolean> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const { pipe, session1, session2 } = commsPipePair(mem, mem, 16 * 1024);
  const server = echoSend(mem, ev, session2.stream);
  const client = session1.stream;
  let ok = true;
  let sent = 0;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  for (const m of ["hello", "over a comms pipe", "3 calls + 2 callbacks"]) {
    const out = enc.encode(m);
    const w = tstreamWritevSend(mem, ev, client, [out], 1);
    await poll(w, ev);
    const wr = tstreamWritevRecv(w);
    sent += out.length;
    const back = new Uint8Array(out.length);
    const r = tstreamReadvSend(mem, ev, client, [back], 1);
    await poll(r, ev);
    const rr = tstreamReadvRecv(r);
    const same = wr.ret === out.length && rr.ret === out.length && dec.decode(back) === m;
    ok = ok && same;
    log(`client: sent "${m}", got back "${dec.decode(back)}" ${same ? "ok" : "MISMATCH"}`);
  }
  /* a bigger blob: the pipe pauses the writer, receive pushes back, nothing is lost */
  const blob = new Uint8Array(1024 * 1024);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7 + (i >> 10)) & 0xff;
  const back = new Uint8Array(blob.length);
  const w = tstreamWritevSend(mem, ev, client, [blob], 1);
  const r = tstreamReadvSend(mem, ev, client, [back], 1);
  await poll(w, ev);
  await poll(r, ev);
  const wr = tstreamWritevRecv(w);
  const rr = tstreamReadvRecv(r);
  const same = wr.ret === blob.length && rr.ret === blob.length && Buffer.compare(blob, back) === 0;
  ok = ok && same;
  log(`client: echoed ${rr.ret} bytes ${same ? "ok" : "MISMATCH"}; the pipe held at most ` +
      `${Math.max(pipe.end1.maxQueued, pipe.end2.maxQueued)} bytes per direction`);
  const d = tstreamDisconnectSend(mem, ev, client);
  await poll(d, ev);
  log(`client: disconnect ret=${tstreamDisconnectRecv(d).ret}`);
  await poll(server, ev);
  const sr = echoRecv(server);
  log(`server: peer closed, echoed ${sr.ret} bytes` + (sr.ret === -1 ? ` (${strerror(sr.perrno)})` : ""));
  ok = ok && sr.ret === sent + blob.length;
  tallocFree(mem);
  log(`pipe: closeFunc called ${pipe.end1.closeCalls} + ${pipe.end2.closeCalls} times`);
  log(ok ? "all echoes came back intact" : "ECHO FAILED");
  return ok;
}

if (require.main === module) {
  commsPipeDemo((line) => { process.stdout.write(line + "\n"); }).then(
    (ok) => { process.exitCode = ok ? 0 : 1; },
    (e) => { console.error(e); process.exitCode = 1; },
  );
}
