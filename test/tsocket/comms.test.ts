// The comms interface of seeds/async_socket_interface.txt (tsocket/comms.ts),
// both ways: a comms layer driving a session's tstream (3 calls + 2
// callbacks), and tstreamConsumerSend driving a session_receive()-style
// consumer from any tstream.  The error numbers expected are those of C's
// bsd stream on a unix socket (EPIPE at end of stream, ENOTCONN after
// disconnect), which the comms stream mirrors.

import { expect } from "chai";
import {
  EBADF, EBUSY, ECONNRESET, EINVAL, EIO, EMSGSIZE, ENOTCONN, EPIPE, EPROTO, getErrno, setErrno, tallocFree,
  tallocIsFreed, tallocNew, tallocParent, teventAddTimer, TeventContext, teventContextInit, teventLoopOnce,
  teventLoopUntil, teventLoopWait, teventTimevalCurrentOfs,
  TeventReq, teventReqIsInProgress, teventReqPoll, teventReqSetCallback, TstreamContext, tstreamDisconnectRecv,
  tstreamDisconnectSend, tstreamPendingBytes, tstreamReadvRecv, tstreamReadvSend, tstreamWritevRecv,
  tstreamWritevSend,
} from "../../index";
import {
  COMMS_SESSION_RECEIVE_LIMIT, COMMS_SESSION_SEND_CHUNK, CommsSession, commsSessionClose, commsSessionCreate,
  commsSessionReceive, commsSessionReceiveRoom, commsSessionSendPause, commsSessionSendResume,
  tstreamConsumerRecv, tstreamConsumerSend, TSTREAM_CONSUMER_MAX_UNCONSUMED,
} from "../../tsocket/comms";
import { CommsPipe, commsPipeDemo, commsPipePair } from "../../examples/comms_pipe";
import { memstreamPair } from "./memstream";

/* mulberry32: a small seeded PRNG, so a failing split can be replayed */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  const rnd = prng(seed);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

function bytes(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

/* A recording comms layer: what was sent, how often close was asked for. */
class Wire {
  sent: Uint8Array[] = [];
  sizes: number[] = [];
  closes = 0;
  fail = false;
  failErrno = 0;
  onSend: ((w: Wire) => void) | null = null;
  all(): Uint8Array {
    return Buffer.concat(this.sent);
  }
}

function wireSend(w: Wire, buffer: Uint8Array, size: number): number {
  if (w.fail) {
    if (w.failErrno !== 0) setErrno(w.failErrno);
    return -1;
  }
  w.sent.push(Uint8Array.prototype.slice.call(buffer, 0, size));
  w.sizes.push(size);
  if (w.onSend !== null) w.onSend(w);
  return 0;
}

function wireClose(w: Wire): void {
  w.closes++;
}

/* Run ev's loop for about ms milliseconds (tevent_loop_once alone would
 * wait for an event, as C's does, when nothing is due). */
async function spin(ev: TeventContext, ms = 5): Promise<void> {
  let fired = false;
  teventAddTimer(ev, null, teventTimevalCurrentOfs(0, ms * 1000), () => { fired = true; }, null);
  expect(await teventLoopUntil(ev, () => fired, null)).to.equal(0);
}

describe("comms interface (async_socket_interface seed): a session's tstream", () => {
  let mem: object;
  let ev: TeventContext;
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });
  afterEach(() => { tallocFree(mem); });

  function session(opts?: { receiveLimit?: number }): { s: CommsSession<Wire>; w: Wire } {
    const w = new Wire();
    const s = commsSessionCreate(mem, w, wireSend, wireClose, opts);
    return { s, w };
  }

  async function read(stream: TstreamContext, n: number): Promise<{ ret: number; perrno: number; buf: Uint8Array }> {
    const buf = new Uint8Array(n);
    const req = tstreamReadvSend(mem, ev, stream, [buf], 1);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return { ...tstreamReadvRecv(req), buf };
  }

  async function write(stream: TstreamContext, ...vector: Uint8Array[]): Promise<{ ret: number; perrno: number }> {
    const req = tstreamWritevSend(mem, ev, stream, vector, vector.length);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return tstreamWritevRecv(req);
  }

  describe("session_create", () => {
    it("the session is a child of memCtx and its stream a child of the session", () => {
      const { s, w } = session();
      expect(tallocParent(s)).to.equal(mem);
      expect(tallocParent(s.stream)).to.equal(s);
      expect(s.stream).to.be.instanceOf(TstreamContext);
      expect(s.stream.ops.name).to.equal("comms");
      expect(s.handle).to.equal(w);
      expect(s.onDrain).to.equal(null);
      expect(tstreamPendingBytes(s.stream)).to.equal(0);
      expect(commsSessionReceiveRoom(s)).to.equal(COMMS_SESSION_RECEIVE_LIMIT);
      expect(COMMS_SESSION_RECEIVE_LIMIT).to.equal(256 * 1024);
    });

    it("the calls are also methods of the session (API.md: objects with methods)", async () => {
      const { s } = session({ receiveLimit: 10 });
      expect(s.receive(bytes(1, 2, 3), 3)).to.equal(3);
      expect(s.receiveRoom()).to.equal(7);
      s.sendPause();
      const w = tstreamWritevSend(mem, ev, s.stream, [bytes(1)], 1);
      await spin(ev);
      expect(teventReqIsInProgress(w)).to.equal(true);
      s.sendResume();
      expect(await teventReqPoll(w, ev)).to.equal(true);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 1, perrno: 0 });
      s.close();
      expect(s.receive(bytes(4), 1)).to.equal(-1);
      expect(s.receiveRoom()).to.equal(-1);
    });

    it("rejects callbacks that are not functions and a bad receiveLimit", () => {
      const w = new Wire();
      expect(() => commsSessionCreate(mem, w, null as unknown as typeof wireSend, wireClose)).to.throw(TypeError);
      expect(() => commsSessionCreate(mem, w, wireSend, 3 as unknown as typeof wireClose)).to.throw(TypeError);
      expect(() => commsSessionCreate(mem, w, wireSend, wireClose, { receiveLimit: 0 })).to.throw(RangeError);
      expect(() => commsSessionReceive({} as CommsSession<Wire>, bytes(1), 1)).to.throw(TypeError);
      expect(() => commsSessionClose(null as unknown as CommsSession<Wire>)).to.throw(TypeError);
    });
  });

  describe("writev -> sendFunc", () => {
    it("hands each buffer to sendFunc from the loop, never inside _send; empty buffers are skipped", async () => {
      const { s, w } = session();
      const req = tstreamWritevSend(mem, ev, s.stream, [bytes(1, 2), new Uint8Array(0), bytes(3)], 3);
      expect(w.sent).to.have.length(0);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamWritevRecv(req)).to.deep.equal({ ret: 3, perrno: 0 });
      expect(w.sizes).to.deep.equal([2, 1]);
      expect(Array.from(w.all())).to.deep.equal([1, 2, 3]);
    });

    it("a buffer larger than COMMS_SESSION_SEND_CHUNK goes in pieces, in order", async () => {
      const { s, w } = session();
      const data = pattern(2 * COMMS_SESSION_SEND_CHUNK + 5);
      expect(await write(s.stream, data)).to.deep.equal({ ret: data.length, perrno: 0 });
      expect(w.sizes).to.deep.equal([COMMS_SESSION_SEND_CHUNK, COMMS_SESSION_SEND_CHUNK, 5]);
      expect(Buffer.compare(w.all(), data)).to.equal(0);
    });

    it("sendFunc returning -1 fails the writev with EIO; sticky for writes, reads go on", async () => {
      const { s, w } = session();
      w.fail = true;
      expect(await write(s.stream, bytes(1))).to.deep.equal({ ret: -1, perrno: EIO });
      w.fail = false;
      expect(await write(s.stream, bytes(2))).to.deep.equal({ ret: -1, perrno: EIO });
      expect(w.sent).to.have.length(0);
      expect(commsSessionReceive(s, bytes(7, 8), 2)).to.equal(2);
      const r = await read(s.stream, 2);
      expect(r.ret).to.equal(2);
      expect(Array.from(r.buf)).to.deep.equal([7, 8]);
    });

    it("the errno sendFunc set before returning -1 is the writev's errno", async () => {
      const { s, w } = session();
      w.fail = true;
      w.failErrno = ECONNRESET;
      expect(await write(s.stream, bytes(1))).to.deep.equal({ ret: -1, perrno: ECONNRESET });
      expect(await write(s.stream, bytes(1))).to.deep.equal({ ret: -1, perrno: ECONNRESET });
    });

    it("a failure in the middle of a vector fails the writev; nothing after it is sent", async () => {
      const { s, w } = session();
      w.onSend = (x) => { x.fail = true; };
      expect(await write(s.stream, bytes(1), bytes(2), bytes(3))).to.deep.equal({ ret: -1, perrno: EIO });
      expect(w.sizes).to.deep.equal([1]);
    });

    it("commsSessionSendPause holds writev before sendFunc; resume lets it finish", async () => {
      const { s, w } = session();
      commsSessionSendPause(s);
      const req = tstreamWritevSend(mem, ev, s.stream, [bytes(1), bytes(2)], 2);
      await spin(ev);
      expect(teventReqIsInProgress(req)).to.equal(true);
      expect(w.sent).to.have.length(0);
      setTimeout(() => commsSessionSendResume(s), 5);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamWritevRecv(req)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(w.sizes).to.deep.equal([1, 1]);
    });

    it("a sendFunc that pauses its session stops the rest of the vector until resumed", async () => {
      const { s, w } = session();
      w.onSend = () => { commsSessionSendPause(s); };
      const req = tstreamWritevSend(mem, ev, s.stream, [bytes(1), bytes(2), bytes(3)], 3);
      await spin(ev);
      expect(w.sizes).to.deep.equal([1]);
      expect(teventReqIsInProgress(req)).to.equal(true);
      w.onSend = null;
      commsSessionSendResume(s);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamWritevRecv(req)).to.deep.equal({ ret: 3, perrno: 0 });
      expect(Array.from(w.all())).to.deep.equal([1, 2, 3]);
    });
  });

  describe("session_receive -> readv", () => {
    it("buffers what comes before a readv; pending_bytes counts it; the data is copied", async () => {
      const { s } = session();
      const data = bytes(1, 2, 3, 4, 5);
      expect(commsSessionReceive(s, data, 3)).to.equal(3);
      data[0] = 99;
      expect(tstreamPendingBytes(s.stream)).to.equal(3);
      expect(commsSessionReceive(s, data, 0)).to.equal(0);
      const r = await read(s.stream, 3);
      expect(r.ret).to.equal(3);
      expect(Array.from(r.buf)).to.deep.equal([1, 2, 3]);
      expect(tstreamPendingBytes(s.stream)).to.equal(0);
    });

    it("a size beyond the data, negative or fractional: -1/EINVAL, nothing taken (session_receive's -1); a wrong type throws", () => {
      const { s } = session();
      setErrno(0);
      expect(commsSessionReceive(s, bytes(1, 2), 3)).to.equal(-1);
      expect(getErrno()).to.equal(EINVAL);
      setErrno(0);
      expect(commsSessionReceive(s, bytes(1, 2), -1)).to.equal(-1);
      expect(getErrno()).to.equal(EINVAL);
      setErrno(0);
      expect(commsSessionReceive(s, bytes(1, 2), 0.5)).to.equal(-1);
      expect(getErrno()).to.equal(EINVAL);
      expect(commsSessionReceiveRoom(s)).to.equal(COMMS_SESSION_RECEIVE_LIMIT);
      expect(() => commsSessionReceive(s, [1] as unknown as Uint8Array, 1)).to.throw(TypeError);
      expect(() => commsSessionReceive(s, bytes(1), "1" as unknown as number)).to.throw(TypeError);
    });

    it("a receive from a Node callback completes a waiting readv, from the loop", async () => {
      const { s } = session();
      const buf = new Uint8Array(4);
      const req = tstreamReadvSend(mem, ev, s.stream, [buf], 1);
      let called = 0;
      teventReqSetCallback(req, () => { called++; });
      let tookWhenCalled = -1;
      setTimeout(() => {
        tookWhenCalled = commsSessionReceive(s, bytes(9, 8), 2);
        expect(called).to.equal(0); /* never inside receive */
        setTimeout(() => commsSessionReceive(s, bytes(7, 6, 5), 3), 5);
      }, 5);
      while (called === 0) expect(await teventLoopOnce(ev)).to.equal(0);
      expect(tookWhenCalled).to.equal(2);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(Array.from(buf)).to.deep.equal([9, 8, 7, 6]);
      expect(tstreamPendingBytes(s.stream)).to.equal(1);
    });

    it("tevent_loop_wait() keeps running while a readv waits for the comms layer", async () => {
      const { s } = session();
      const buf = new Uint8Array(2);
      const req = tstreamReadvSend(mem, ev, s.stream, [buf], 1);
      let done = false;
      teventReqSetCallback(req, () => { done = true; });
      setTimeout(() => commsSessionReceive(s, bytes(4, 2), 2), 20);
      expect(await teventLoopWait(ev)).to.equal(0);
      expect(done).to.equal(true);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(Array.from(buf)).to.deep.equal([4, 2]);
    });

    it("a readv freed while waiting leaves the buffered bytes for the next one", async () => {
      const { s } = session();
      const req = tstreamReadvSend(mem, ev, s.stream, [new Uint8Array(4)], 1);
      expect(commsSessionReceive(s, bytes(1, 2), 2)).to.equal(2);
      tallocFree(req);
      await spin(ev);
      expect(tstreamPendingBytes(s.stream)).to.equal(2);
      const r = await read(s.stream, 2);
      expect(Array.from(r.buf)).to.deep.equal([1, 2]);
    });

    it("generic checks still apply: a second readv is EBUSY", async () => {
      const { s } = session();
      const r1 = tstreamReadvSend(mem, ev, s.stream, [new Uint8Array(1)], 1);
      const r2 = tstreamReadvSend(mem, ev, s.stream, [new Uint8Array(1)], 1);
      expect(await teventReqPoll(r2, ev)).to.equal(true);
      expect(tstreamReadvRecv(r2)).to.deep.equal({ ret: -1, perrno: EBUSY });
      commsSessionReceive(s, bytes(5), 1);
      expect(await teventReqPoll(r1, ev)).to.equal(true);
      expect(tstreamReadvRecv(r1)).to.deep.equal({ ret: 1, perrno: 0 });
    });
  });

  describe("back-pressure on receive", () => {
    it("receive takes fewer bytes than offered once the buffer is full (default bound 256 KiB)", () => {
      const { s } = session();
      const big = new Uint8Array(300 * 1024);
      expect(commsSessionReceive(s, big, big.length)).to.equal(256 * 1024);
      expect(commsSessionReceive(s, big, 10)).to.equal(0);
      expect(commsSessionReceiveRoom(s)).to.equal(0);
      expect(tstreamPendingBytes(s.stream)).to.equal(256 * 1024);
    });

    it("onDrain fires once, from the loop, when readv brings the buffer to half the bound", async () => {
      const { s } = session({ receiveLimit: 1000 });
      const drains: number[] = [];
      s.onDrain = (x) => { drains.push(commsSessionReceiveRoom(x)); };
      expect(commsSessionReceive(s, pattern(900), 900)).to.equal(900);
      expect(commsSessionReceive(s, pattern(300), 300)).to.equal(100);
      expect(commsSessionReceiveRoom(s)).to.equal(0);
      await read(s.stream, 499);
      expect(drains).to.deep.equal([]); /* 501 buffered: above half */
      expect(commsSessionReceiveRoom(s)).to.equal(499);
      await read(s.stream, 1);
      expect(drains).to.deep.equal([500]);
      await read(s.stream, 100);
      expect(drains).to.deep.equal([500]); /* not re-armed: no receive was refused since */
    });

    it("re-offering on onDrain: 1 MiB offered at once arrives whole and in order", async () => {
      const { s } = session({ receiveLimit: 4096 });
      const data = pattern(1024 * 1024, 7);
      let ofs = 0;
      let short = 0;
      const offer = (): void => {
        while (ofs < data.length) {
          const n = commsSessionReceive(s, data.subarray(ofs), data.length - ofs);
          expect(n).to.be.at.least(0);
          ofs += n;
          if (ofs < data.length) {
            short++;
            return; /* wait for onDrain */
          }
        }
      };
      s.onDrain = () => { setImmediate(offer); };
      setImmediate(offer);
      const got: Uint8Array[] = [];
      let total = 0;
      const rnd = prng(3);
      while (total < data.length) {
        const n = Math.min(1 + Math.floor(rnd() * 3000), data.length - total);
        const r = await read(s.stream, n);
        expect(r.ret).to.equal(n);
        expect(tstreamPendingBytes(s.stream)).to.be.at.most(4096);
        got.push(r.buf);
        total += n;
      }
      expect(Buffer.compare(Buffer.concat(got), data)).to.equal(0);
      expect(short).to.be.greaterThan(100);
    });

    it("polling commsSessionReceiveRoom works as well as onDrain", async () => {
      const { s } = session({ receiveLimit: 100 });
      const data = pattern(1000, 9);
      let ofs = 0;
      const timer = setInterval(() => {
        const room = commsSessionReceiveRoom(s);
        if (room > 0 && ofs < data.length) ofs += commsSessionReceive(s, data.subarray(ofs), Math.min(150, data.length - ofs));
      }, 1);
      try {
        const r = await read(s.stream, 1000);
        expect(r.ret).to.equal(1000);
        expect(Buffer.compare(r.buf, data)).to.equal(0);
      } finally {
        clearInterval(timer);
      }
    });
  });

  describe("session_close: unsolicited close by the comms layer", () => {
    it("buffered bytes stay readable, then EPIPE (readv, pending_bytes), as C's unix stream", async () => {
      const { s, w } = session();
      expect(commsSessionReceive(s, bytes(1, 2, 3, 4, 5, 6), 6)).to.equal(6);
      commsSessionClose(s);
      expect(w.closes).to.equal(0);
      expect(commsSessionReceive(s, bytes(7), 1)).to.equal(-1);
      expect(commsSessionReceiveRoom(s)).to.equal(-1);
      let r = await read(s.stream, 4);
      expect([r.ret, r.perrno, Array.from(r.buf)]).to.deep.equal([4, 0, [1, 2, 3, 4]]);
      expect(tstreamPendingBytes(s.stream)).to.equal(2);
      r = await read(s.stream, 2);
      expect([r.ret, r.perrno, Array.from(r.buf)]).to.deep.equal([2, 0, [5, 6]]);
      setErrno(0);
      expect(tstreamPendingBytes(s.stream)).to.equal(-1);
      expect(getErrno()).to.equal(EPIPE);
      r = await read(s.stream, 1);
      expect([r.ret, r.perrno]).to.deep.equal([-1, EPIPE]);
      r = await read(s.stream, 1);
      expect([r.ret, r.perrno]).to.deep.equal([-1, EPIPE]);
      expect(await write(s.stream, bytes(1))).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(w.sent).to.have.length(0);
      commsSessionClose(s); /* twice: no effect */
      tallocFree(s);
      expect(w.closes).to.equal(1);
    });

    it("a waiting readv fails with EPIPE after taking what came (bytes copied stay copied)", async () => {
      const { s } = session();
      const buf = new Uint8Array(10);
      const req = tstreamReadvSend(mem, ev, s.stream, [buf], 1);
      await teventLoopOnce(ev);
      setTimeout(() => {
        commsSessionReceive(s, bytes(1, 2, 3, 4), 4);
        commsSessionClose(s);
      }, 5);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(Array.from(buf.subarray(0, 5))).to.deep.equal([1, 2, 3, 4, 0]);
    });

    it("a writev waiting on a paused comms layer fails with EPIPE", async () => {
      const { s, w } = session();
      commsSessionSendPause(s);
      const req = tstreamWritevSend(mem, ev, s.stream, [bytes(1)], 1);
      await teventLoopOnce(ev);
      setTimeout(() => commsSessionClose(s), 5);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamWritevRecv(req)).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(w.sent).to.have.length(0);
    });
  });

  describe("closeFunc: disconnect and free", () => {
    it("tstream_disconnect calls closeFunc once; then everything is ENOTCONN", async () => {
      const { s, w } = session();
      commsSessionReceive(s, bytes(1, 2), 2);
      const d = tstreamDisconnectSend(mem, ev, s.stream);
      expect(w.closes).to.equal(1);
      expect(await teventReqPoll(d, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
      setErrno(0);
      expect(tstreamPendingBytes(s.stream)).to.equal(-1);
      expect(getErrno()).to.equal(ENOTCONN);
      const r = await read(s.stream, 1);
      expect([r.ret, r.perrno]).to.deep.equal([-1, ENOTCONN]);
      expect(await write(s.stream, bytes(1))).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      const d2 = tstreamDisconnectSend(mem, ev, s.stream);
      expect(await teventReqPoll(d2, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d2)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      expect(commsSessionReceive(s, bytes(1), 1)).to.equal(-1);
      commsSessionClose(s);
      tallocFree(s);
      expect(w.closes).to.equal(1);
    });

    it("freeing the session frees its stream and calls closeFunc once; a pending readv never calls back", async () => {
      const { s, w } = session();
      const stream = s.stream;
      const req = tstreamReadvSend(mem, ev, stream, [new Uint8Array(1)], 1);
      let called = 0;
      teventReqSetCallback(req, () => { called++; });
      await teventLoopOnce(ev);
      expect(tallocFree(s)).to.equal(0);
      expect(tallocIsFreed(stream)).to.equal(true);
      expect(w.closes).to.equal(1);
      expect(commsSessionReceive(s, bytes(1), 1)).to.equal(-1);
      commsSessionClose(s);
      commsSessionSendResume(s);
      expect(await teventLoopWait(ev)).to.equal(0);
      expect(called).to.equal(0);
      expect(w.closes).to.equal(1);
    });

    it("freeing only the stream calls closeFunc once; freeing the session later does not again", async () => {
      const { s, w } = session();
      tallocFree(s.stream);
      expect(w.closes).to.equal(1);
      expect(commsSessionReceive(s, bytes(1), 1)).to.equal(-1);
      const r = await read(s.stream, 1);
      expect([r.ret, r.perrno]).to.deep.equal([-1, EBADF]);
      tallocFree(s);
      expect(w.closes).to.equal(1);
    });

    it("freeing memCtx after an unsolicited close still calls closeFunc once", () => {
      const { s, w } = session();
      commsSessionClose(s);
      tallocFree(mem);
      mem = tallocNew(null);
      expect(w.closes).to.equal(1);
    });
  });

  describe("a pair through an in-process pipe (examples/comms_pipe.ts)", () => {
    it("round trips, both directions", async () => {
      const { session1, session2 } = commsPipePair(mem, mem);
      expect(await write(session1.stream, bytes(1, 2, 3))).to.deep.equal({ ret: 3, perrno: 0 });
      let r = await read(session2.stream, 3);
      expect(Array.from(r.buf)).to.deep.equal([1, 2, 3]);
      expect(await write(session2.stream, bytes(4), bytes(5, 6))).to.deep.equal({ ret: 3, perrno: 0 });
      r = await read(session1.stream, 3);
      expect(Array.from(r.buf)).to.deep.equal([4, 5, 6]);
    });

    it("random splits both ways: 1.5 MiB arrive intact, the pipe and receive buffer stay bounded", async () => {
      const { pipe, session1, session2 } = commsPipePair(mem, mem, 8192, { receiveLimit: 16384 });
      const data = pattern(1536 * 1024, 11);
      const rnd = prng(5);
      const rndRead = prng(6);
      /* the writer runs as a chain of tevent callbacks, under the reader's polls */
      let wofs = 0;
      let werr = -2;
      const writeNext = (): void => {
        if (wofs === data.length) {
          werr = 0;
          return;
        }
        const vector: Uint8Array[] = [];
        const count = 1 + Math.floor(rnd() * 4);
        for (let i = 0; i < count && wofs < data.length; i++) {
          const n = Math.min(1 + Math.floor(rnd() * 40000), data.length - wofs);
          vector.push(data.subarray(wofs, wofs + n));
          wofs += n;
        }
        const total = vector.reduce((a, v) => a + v.length, 0);
        const req = tstreamWritevSend(mem, ev, session1.stream, vector, vector.length);
        teventReqSetCallback(req, () => {
          const r = tstreamWritevRecv(req);
          if (r.ret !== total) {
            werr = r.perrno;
            return;
          }
          writeNext();
        });
      };
      writeNext();
      const got = new Uint8Array(data.length);
      let total = 0;
      while (total < data.length) {
        const n = Math.min(1 + Math.floor(rndRead() * 50000), data.length - total);
        const r = await read(session2.stream, n);
        expect(r.ret).to.equal(n);
        got.set(r.buf, total);
        total += n;
      }
      expect(await teventLoopUntil(ev, () => werr !== -2, null)).to.equal(0);
      expect(werr).to.equal(0);
      expect(Buffer.compare(got, data)).to.equal(0);
      expect(pipe.end1.shortReceives).to.be.greaterThan(0);
      expect(pipe.end1.pauses).to.be.greaterThan(0);
      expect(pipe.end1.maxQueued).to.be.lessThan(8192 + COMMS_SESSION_SEND_CHUNK);
      expect(pipe.end1.queued).to.equal(0);
    });

    it("a reader that stops: the writer is held back, nothing lost, nothing unbounded", async () => {
      const { pipe, session1, session2 } = commsPipePair(mem, mem, 4096, { receiveLimit: 8192 });
      const data = pattern(512 * 1024, 13);
      const w = tstreamWritevSend(mem, ev, session1.stream, [data], 1);
      await spin(ev, 50);
      expect(teventReqIsInProgress(w)).to.equal(true);
      expect(tstreamPendingBytes(session2.stream)).to.equal(8192);
      expect(pipe.end1.maxQueued).to.be.lessThan(4096 + COMMS_SESSION_SEND_CHUNK);
      const r = await read(session2.stream, data.length);
      expect(r.ret).to.equal(data.length);
      expect(Buffer.compare(r.buf, data)).to.equal(0);
      expect(await teventReqPoll(w, ev)).to.equal(true);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: data.length, perrno: 0 });
    });

    it("a disconnect travels behind the data: the peer reads it all, then EPIPE; its writes fail EPIPE", async () => {
      const { pipe, session1, session2 } = commsPipePair(mem, mem);
      expect(await write(session1.stream, bytes(1, 2, 3))).to.deep.equal({ ret: 3, perrno: 0 });
      const d = tstreamDisconnectSend(mem, ev, session1.stream);
      expect(await teventReqPoll(d, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d).ret).to.equal(0);
      expect(pipe.end1.closeCalls).to.equal(1);
      const buf = new Uint8Array(5);
      const req = tstreamReadvSend(mem, ev, session2.stream, [buf], 1);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(Array.from(buf)).to.deep.equal([1, 2, 3, 0, 0]);
      expect(await write(session2.stream, bytes(9))).to.deep.equal({ ret: -1, perrno: EPIPE });
      tallocFree(session2);
      expect([pipe.end1.closeCalls, pipe.end2.closeCalls]).to.deep.equal([1, 1]);
    });

    it("a write racing the close fails with the EPIPE the comms layer set", async () => {
      const pipe = new CommsPipe();
      const s1 = pipe.open(mem, pipe.end1);
      const s2 = pipe.open(mem, pipe.end2);
      tallocFree(s1); /* closeFunc now; the close reaches s2 only on setImmediate */
      expect(await write(s2.stream, bytes(1))).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(pipe.end2.sends).to.equal(1);
    });

    it("the example's echo transcript", async function () {
      const lines: string[] = [];
      expect(await commsPipeDemo((l) => lines.push(l))).to.equal(true);
      expect(lines).to.deep.equal([
        'client: sent "hello", got back "hello" ok',
        'client: sent "over a comms pipe", got back "over a comms pipe" ok',
        'client: sent "3 calls + 2 callbacks", got back "3 calls + 2 callbacks" ok',
        `client: echoed 1048576 bytes ok; the pipe held at most ${COMMS_SESSION_SEND_CHUNK} bytes per direction`,
        "client: disconnect ret=0",
        "server: peer closed, echoed 1048619 bytes",
        "pipe: closeFunc called 1 + 1 times",
        "all echoes came back intact",
      ]);
    });
  });
});

describe("tstreamConsumerSend: a session_receive()-style consumer fed from a tstream", () => {
  let mem: object;
  let ev: TeventContext;
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });
  afterEach(() => { tallocFree(mem); });

  function pair(): [TstreamContext, TstreamContext] {
    const r = memstreamPair(mem, mem);
    return [r.stream1!, r.stream2!];
  }

  async function write(stream: TstreamContext, data: Uint8Array): Promise<void> {
    const req = tstreamWritevSend(mem, ev, stream, [data], 1);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    expect(tstreamWritevRecv(req)).to.deep.equal({ ret: data.length, perrno: 0 });
  }

  async function disconnect(stream: TstreamContext): Promise<void> {
    const d = tstreamDisconnectSend(mem, ev, stream);
    expect(await teventReqPoll(d, ev)).to.equal(true);
    expect(tstreamDisconnectRecv(d).ret).to.equal(0);
  }

  async function finish(req: TeventReq): Promise<{ ret: number; perrno: number; unconsumed: number }> {
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return tstreamConsumerRecv(req);
  }

  it("odd consumption over random splits: the unconsumed bytes are prepended; done at end of stream", async () => {
    const [a, b] = pair();
    const data = pattern(100003, 21);
    let taken = 0; /* bytes the consumer took so far: each call must start there */
    let calls = 0;
    const consumer = (buf: Uint8Array, size: number): number => {
      calls++;
      expect(size).to.equal(buf.length);
      expect(Buffer.compare(buf, data.subarray(taken, taken + size))).to.equal(0);
      const used = size - (size % 7);
      taken += used;
      return used;
    };
    const req = tstreamConsumerSend(mem, ev, b, consumer);
    const rnd = prng(17);
    for (let ofs = 0; ofs < data.length;) {
      const n = Math.min(1 + Math.floor(rnd() * 5000), data.length - ofs);
      await write(a, data.subarray(ofs, ofs + n));
      ofs += n;
    }
    await disconnect(a);
    expect(await finish(req)).to.deep.equal({ ret: 0, perrno: 0, unconsumed: 100003 % 7 });
    expect(taken).to.equal(100003 - (100003 % 7));
    expect(calls).to.be.greaterThan(1);
  });

  it("called again only when new data came, with everything pending gathered", async () => {
    const [a, b] = pair();
    const sizes: number[] = [];
    const req = tstreamConsumerSend(mem, ev, b, (buf, size) => {
      sizes.push(size);
      return size >= 10 ? size : 0;
    });
    await write(a, bytes(1, 2, 3));
    await spin(ev);
    expect(sizes).to.deep.equal([3]);
    await write(a, bytes(4, 5));
    await spin(ev);
    expect(sizes).to.deep.equal([3, 5]);
    await write(a, pattern(6));
    await spin(ev);
    expect(sizes).to.deep.equal([3, 5, 11]);
    await disconnect(a);
    expect(await finish(req)).to.deep.equal({ ret: 0, perrno: 0, unconsumed: 0 });
    expect(sizes).to.deep.equal([3, 5, 11]);
  });

  it("end of stream with nothing sent: done, receiveFn never called", async () => {
    const [a, b] = pair();
    let calls = 0;
    const req = tstreamConsumerSend(mem, ev, b, () => { calls++; return 0; });
    await disconnect(a);
    expect(await finish(req)).to.deep.equal({ ret: 0, perrno: 0, unconsumed: 0 });
    expect(calls).to.equal(0);
  });

  it("receiveFn returning -1 fails the request with EPROTO", async () => {
    const [a, b] = pair();
    const req = tstreamConsumerSend(mem, ev, b, () => -1);
    await write(a, bytes(1, 2));
    expect(await finish(req)).to.deep.equal({ ret: -1, perrno: EPROTO, unconsumed: 2 });
  });

  it("receiveFn consuming more than size fails the request with EPROTO", async () => {
    const [a, b] = pair();
    const req = tstreamConsumerSend(mem, ev, b, (buf, size) => size + 1);
    await write(a, bytes(1, 2));
    expect(await finish(req)).to.deep.equal({ ret: -1, perrno: EPROTO, unconsumed: 2 });
  });

  it("a consumer that never consumes fails with EMSGSIZE at TSTREAM_CONSUMER_MAX_UNCONSUMED", async () => {
    expect(TSTREAM_CONSUMER_MAX_UNCONSUMED).to.equal(256 * 1024);
    const [a, b] = pair();
    let last = 0;
    const req = tstreamConsumerSend(mem, ev, b, (buf, size) => { last = size; return 0; });
    const w = tstreamWritevSend(mem, ev, a, [pattern(300 * 1024)], 1);
    expect(await finish(req)).to.deep.equal({ ret: -1, perrno: EMSGSIZE, unconsumed: 256 * 1024 });
    expect(last).to.equal(256 * 1024);
    expect(await teventReqPoll(w, ev)).to.equal(true);
  });

  it("another stream error is the request's errno (ENOTCONN on a disconnected stream)", async () => {
    const [, b] = pair();
    await disconnect(b);
    const req = tstreamConsumerSend(mem, ev, b, () => 0);
    expect(await finish(req)).to.deep.equal({ ret: -1, perrno: ENOTCONN, unconsumed: 0 });
  });

  it("freeing the request from inside receiveFn stops it; the stream is free for another readv", async () => {
    const [a, b] = pair();
    let calls = 0;
    let req: TeventReq | null = null;
    req = tstreamConsumerSend(mem, ev, b, () => {
      calls++;
      tallocFree(req);
      return 1;
    });
    await write(a, bytes(1, 2));
    await spin(ev);
    expect(calls).to.equal(1);
    await write(a, bytes(3));
    const buf = new Uint8Array(1);
    const r = tstreamReadvSend(mem, ev, b, [buf], 1);
    expect(await teventReqPoll(r, ev)).to.equal(true);
    expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 1, perrno: 0 });
    expect(calls).to.equal(1);
  });

  it("both ways: a consumer feeding a comms session, read back through the session's tstream", async () => {
    const [a, b] = pair();
    const w = new Wire();
    const s = commsSessionCreate(mem, w, wireSend, wireClose);
    const req = tstreamConsumerSend(mem, ev, b, (buf, size) => commsSessionReceive(s, buf, size));
    const data = pattern(50000, 31);
    await write(a, data);
    const got = new Uint8Array(data.length);
    const r = tstreamReadvSend(mem, ev, s.stream, [got], 1);
    expect(await teventReqPoll(r, ev)).to.equal(true);
    expect(tstreamReadvRecv(r)).to.deep.equal({ ret: data.length, perrno: 0 });
    expect(Buffer.compare(got, data)).to.equal(0);
    await disconnect(a);
    expect(await finish(req)).to.deep.equal({ ret: 0, perrno: 0, unconsumed: 0 });
  });

  it("rejects a wrong argument type", () => {
    const [, b] = pair();
    expect(() => tstreamConsumerSend(mem, {} as TeventContext, b, () => 0)).to.throw(TypeError);
    expect(() => tstreamConsumerSend(mem, ev, {} as TstreamContext, () => 0)).to.throw(TypeError);
    expect(() => tstreamConsumerSend(mem, ev, b, null as unknown as () => number)).to.throw(TypeError);
  });
});
