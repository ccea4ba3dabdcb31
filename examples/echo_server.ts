// Samba's tevent echo server (lib/tevent/echo_server.c), ported onto
// tstream: accept, read what arrived, write it all back, one request per
// client, in the _send/_done/_recv style.  Where C wraps accept(2), read(2)
// and write(2) in tevent_fd requests, the port uses tstreamAcceptSend,
// tstreamReadvPduSend (with a next_vector that takes what is pending) and
// tstreamWritevSend, which already writes everything.

import {
  EPIPE, tallocFree, TallocCtx, tallocSteal, TdgramContext, tdgramRecvfromRecv, tdgramRecvfromSend, tdgramSendtoRecv,
  tdgramSendtoSend, TeventContext, TeventReq, teventReqCallbackData, teventReqCreate, teventReqDone,
  teventReqError, teventReqIsUnixError, teventReqReceived, teventReqSetCallback, TsocketAddress,
  tsocketAddressString, tstreamAcceptRecv, tstreamAcceptSend, TstreamContext, TstreamListener,
  tstreamPendingBytes, tstreamReadvPduRecv, tstreamReadvPduSend, tstreamWritevRecv, tstreamWritevSend,
} from "../index";

export type Logger = (line: string) => void;

/* ---- read_some: whatever has arrived, at least one byte, at most bufsize ---- */

class ReadSomeState {
  nread = 0;
  asked = 0;
  constructor(readonly buf: Uint8Array) {}
}

/* tstream_readv_pdu_next_vector_t: one byte first (it waits for data),
 * then what is already pending, then done. */
function readSomeNextVector(stream: TstreamContext, state: ReadSomeState):
    { ret: number; vector: Uint8Array[] | null; count: number } {
  state.nread += state.asked;
  state.asked = 0;
  if (state.nread === 0) {
    state.asked = 1;
    return { ret: 0, vector: [state.buf.subarray(0, 1)], count: 1 };
  }
  const pending = tstreamPendingBytes(stream);
  const room = state.buf.length - state.nread;
  if (state.nread === 1 && pending > 0 && room > 0) {
    state.asked = Math.min(pending, room);
    return { ret: 0, vector: [state.buf.subarray(state.nread, state.nread + state.asked)], count: 1 };
  }
  return { ret: 0, vector: null, count: 0 };
}

function readSomeSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext, buf: Uint8Array): TeventReq {
  const state = new ReadSomeState(buf);
  const req = teventReqCreate(memCtx, state, "ReadSomeState");
  const subreq = tstreamReadvPduSend(state, ev, stream, readSomeNextVector, state);
  teventReqSetCallback(subreq, readSomeDone, req);
  return req;
}

function readSomeDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const { ret, perrno } = tstreamReadvPduRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  teventReqDone(req);
}

function readSomeRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as ReadSomeState;
  const { ret: failed, perrno } = teventReqIsUnixError(req);
  const nread = state.nread;
  teventReqReceived(req);
  return failed ? { ret: -1, perrno } : { ret: nread, perrno: 0 };
}

/* ---- echo: one client ---- */

class EchoState {
  constructor(readonly ev: TeventContext, readonly stream: TstreamContext, readonly buf: Uint8Array) {}
}

export function echoSend(memCtx: TallocCtx, ev: TeventContext, stream: TstreamContext, bufsize: number): TeventReq {
  const state = new EchoState(ev, stream, new Uint8Array(bufsize));
  const req = teventReqCreate(memCtx, state, "EchoState");
  const subreq = readSomeSend(state, ev, stream, state.buf);
  teventReqSetCallback(subreq, echoReadDone, req);
  return req;
}

function echoReadDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as EchoState;
  const { ret: nread, perrno } = readSomeRecv(subreq);
  tallocFree(subreq);
  if (nread === -1) {
    /* the client went away: C's read(2) returned 0 here */
    if (perrno === EPIPE) {
      teventReqDone(req);
      return;
    }
    teventReqError(req, perrno);
    return;
  }
  const next = tstreamWritevSend(state, state.ev, state.stream, [state.buf.subarray(0, nread)], 1);
  teventReqSetCallback(next, echoWritevDone, req);
}

function echoWritevDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as EchoState;
  const { ret, perrno } = tstreamWritevRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    if (perrno === EPIPE) {
      teventReqDone(req);
      return;
    }
    teventReqError(req, perrno);
    return;
  }
  const next = readSomeSend(state, state.ev, state.stream, state.buf);
  teventReqSetCallback(next, echoReadDone, req);
}

export function echoRecv(req: TeventReq): { ret: boolean; perrno: number } {
  const { ret: failed, perrno } = teventReqIsUnixError(req);
  teventReqReceived(req);
  return { ret: !failed, perrno };
}

/* ---- echo_server: accept clients until stopped ---- */

class EchoServerState {
  clients = 0;
  constructor(readonly ev: TeventContext, readonly listener: TstreamListener, readonly log: Logger) {}
}

export function echoServerSend(memCtx: TallocCtx, ev: TeventContext, listener: TstreamListener,
                               log: Logger): TeventReq {
  const state = new EchoServerState(ev, listener, log);
  const req = teventReqCreate(memCtx, state, "EchoServerState");
  const subreq = tstreamAcceptSend(state, ev, listener);
  teventReqSetCallback(subreq, echoServerAccepted, req);
  return req;
}

function echoServerAccepted(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as EchoServerState;
  const { ret, perrno, stream, remote } = tstreamAcceptRecv(subreq, state);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  const id = ++state.clients;
  state.log(`server: new client ${id} from ${tsocketAddressString(remote, null)}`);
  /* the client's request owns its stream: freeing one closes the other */
  const client = echoSend(state, state.ev, stream as TstreamContext, 100);
  tallocSteal(client, stream);
  teventReqSetCallback(client, echoServerClientDone, { state, id });
  const next = tstreamAcceptSend(state, state.ev, state.listener);
  teventReqSetCallback(next, echoServerAccepted, req);
}

function echoServerClientDone(subreq: TeventReq): void {
  const { state, id } = teventReqCallbackData(subreq) as { state: EchoServerState; id: number };
  const { ret, perrno } = echoRecv(subreq);
  tallocFree(subreq);
  state.log(ret ? `server: client ${id} done` : `server: client ${id} failed: errno ${perrno}`);
}

/* ---- the same over datagrams: answer each datagram to its sender ---- */

class DgramEchoState {
  constructor(readonly ev: TeventContext, readonly dgram: TdgramContext, readonly log: Logger,
              public remaining: number) {}
}

export function dgramEchoSend(memCtx: TallocCtx, ev: TeventContext, dgram: TdgramContext, count: number,
                              log: Logger): TeventReq {
  const state = new DgramEchoState(ev, dgram, log, count);
  const req = teventReqCreate(memCtx, state, "DgramEchoState");
  const subreq = tdgramRecvfromSend(state, ev, dgram);
  teventReqSetCallback(subreq, dgramEchoReceived, req);
  return req;
}

function dgramEchoReceived(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as DgramEchoState;
  const { ret, perrno, buf, src } = tdgramRecvfromRecv(subreq, state);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  state.log(`server: ${ret} bytes from ${tsocketAddressString(src, null)}`);
  const next = tdgramSendtoSend(state, state.ev, state.dgram, buf as Uint8Array, ret, src as TsocketAddress);
  teventReqSetCallback(next, dgramEchoSent, req);
}

function dgramEchoSent(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as DgramEchoState;
  const { ret, perrno } = tdgramSendtoRecv(subreq);
  tallocFree(subreq);
  if (ret === -1) {
    teventReqError(req, perrno);
    return;
  }
  if (--state.remaining === 0) {
    teventReqDone(req);
    return;
  }
  const next = tdgramRecvfromSend(state, state.ev, state.dgram);
  teventReqSetCallback(next, dgramEchoReceived, req);
}

export function dgramEchoRecv(req: TeventReq): { ret: boolean; perrno: number } {
  return echoRecv(req);
}
