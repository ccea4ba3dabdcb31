// The generic tstream layer (the tstream half of tsocket.c), driven through
// an in-memory stream written against the public API (./memstream).  Each
// test names the sentence of seeds/tsocket_guide.txt it checks; where the
// guide is silent the expected values were read off the C library
// (libsamba-sockets, tstream_unix_socketpair) and say so.

import { expect } from "chai";
import {
  EBUSY, EINVAL, EMSGSIZE, ENOTCONN, EPIPE, getErrno, setErrno, tallocChildren, tallocFree, tallocIsFreed,
  tallocNew, tallocParent, tallocTotalBlocks, TeventContext, teventContextInit, teventLoopOnce, teventLoopWait,
  TeventReq, teventReqIsError, teventReqIsInProgress, teventReqPoll, teventReqSetCallback, TstreamContext,
  tstreamContextCreate, tstreamContextData, tstreamDisconnectRecv, tstreamDisconnectSend, tstreamPendingBytes,
  tstreamReadvRecv, tstreamReadvSend, tstreamWritevRecv, tstreamWritevSend, TEVENT_REQ_DONE,
  TEVENT_REQ_RECEIVED, TEVENT_REQ_USER_ERROR, TALLOC_NODE,
} from "../../index";
import { MemstreamEnd, memstreamOps, memstreamPair, MemstreamOpts } from "./memstream";

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

function bytes(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

describe("tstream generic layer (tsocket.c) over an in-memory stream", () => {
  let mem: object;
  let ev: TeventContext;
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });
  afterEach(() => { tallocFree(mem); });

  function pair(opts?: MemstreamOpts): [TstreamContext<MemstreamEnd>, TstreamContext<MemstreamEnd>] {
    const r = memstreamPair(mem, mem, opts);
    expect(r.ret).to.equal(0);
    expect(r.errno).to.equal(0);
    return [r.stream1!, r.stream2!];
  }

  /* a callback recorder: the order in which requests finished */
  function track(req: TeventReq, log: string[], name: string): TeventReq {
    teventReqSetCallback(req, () => log.push(name));
    return req;
  }

  async function write(stream: TstreamContext, data: Uint8Array): Promise<{ ret: number; perrno: number }> {
    const req = tstreamWritevSend(mem, ev, stream, [data], 1);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return tstreamWritevRecv(req);
  }

  async function read(stream: TstreamContext, n: number): Promise<{ ret: number; perrno: number; buf: Uint8Array }> {
    const buf = new Uint8Array(n);
    const req = tstreamReadvSend(mem, ev, stream, [buf], 1);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return { ...tstreamReadvRecv(req), buf };
  }

  describe("tstream_context_create / tstream_context_data (tsocket_internal.h)", () => {
    it("the stream is a child of memCtx, its state a child of the stream; tstreamContextData returns that state", () => {
      const m1 = tallocNew(mem);
      const m2 = tallocNew(mem);
      const { ret, errno, stream1, stream2 } = memstreamPair(m1, m2);
      expect([ret, errno]).to.deep.equal([0, 0]);
      expect(stream1).to.be.instanceOf(TstreamContext);
      expect(tallocParent(stream1)).to.equal(m1);
      expect(tallocParent(stream2)).to.equal(m2);
      const st = tstreamContextData(stream1!);
      expect(st).to.be.instanceOf(MemstreamEnd);
      expect(tallocParent(st)).to.equal(stream1);
      expect(st.name).to.equal("memstream1");
      expect(tstreamContextData(stream2!).name).to.equal("memstream2");
    });

    it("tstreamContextData of something that is not a stream: a TypeError (not undefined)", () => {
      for (const bad of [{}, null, undefined, { privateData: 1 }]) {
        expect(() => tstreamContextData(bad as unknown as TstreamContext))
          .to.throw(TypeError, "tstreamContextData: stream must be a TstreamContext");
      }
    });

    it("a state that is a plain object works too (tstream_context_create allocates whatever the backend needs)", () => {
      const state = { hello: "world" };
      const stream = tstreamContextCreate(mem, memstreamOps, state);
      expect(tstreamContextData(stream)).to.equal(state);
      expect(tallocParent(state)).to.equal(stream);
      /* the stream is its own talloc node: it is the node talloc links */
      expect((stream as unknown as Record<symbol, unknown>)[TALLOC_NODE]).to.equal(stream);
      expect(tallocChildren(stream)).to.deep.equal([state]);
      expect(tallocChildren(mem)[0]).to.equal(stream);
      tallocFree(stream);
      expect(tallocIsFreed(state)).to.equal(true);
      expect(tallocIsFreed(stream)).to.equal(true);
      expect(tallocChildren(mem)).to.not.include(stream);
    });

    it("a freed stream pair leaves no talloc children behind, even with requests in flight", async () => {
      const before = tallocTotalBlocks(mem);
      const [s1, s2] = pair();
      const r1 = tstreamReadvSend(mem, ev, s1, [new Uint8Array(8)], 1);
      const w2 = tstreamWritevSend(mem, ev, s2, [bytes(1, 2, 3)], 1);
      await teventLoopWait(ev);
      expect(teventReqIsInProgress(r1)).to.equal(true);
      expect(tstreamWritevRecv(w2)).to.deep.equal({ ret: 3, perrno: 0 });
      tallocFree(w2);
      tallocFree(s1);
      tallocFree(s2);
      expect(teventReqIsError(r1)).to.deep.equal({ ret: true, state: TEVENT_REQ_RECEIVED, error: 0 });
      tallocFree(r1);
      await teventLoopWait(ev);
      expect(tallocTotalBlocks(mem)).to.equal(before);
      const kids = tallocChildren(mem);
      expect(kids.length).to.equal(1);
      expect(kids[0]).to.equal(ev);
    });
  });

  describe("tstream_readv_send / tstream_writev_send", () => {
    it("guide: writev 'returns the total amount of bytes sent'; readv 'returns the total number of bytes received'; perrno is 0 on success", async () => {
      const [s1, s2] = pair();
      const w = tstreamWritevSend(mem, ev, s1, [bytes(1, 2), bytes(), bytes(3, 4, 5)], 3);
      expect(await teventReqPoll(w, ev)).to.equal(true);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 5, perrno: 0 });
      const a = new Uint8Array(1);
      const b = new Uint8Array(4);
      const r = tstreamReadvSend(mem, ev, s2, [a, b], 2);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 5, perrno: 0 });
      expect(Array.from(a)).to.deep.equal([1]);
      expect(Array.from(b)).to.deep.equal([2, 3, 4, 5]);
    });

    it("guide: 'The callback is triggered when all iovec buffers are completely filled with bytes from the socket' (across several peer writes)", async () => {
      const [s1, s2] = pair();
      const log: string[] = [];
      const a = new Uint8Array(4);
      const b = new Uint8Array(6);
      const r = track(tstreamReadvSend(mem, ev, s2, [a, b], 2), log, "readv");
      expect((await write(s1, bytes(1, 2, 3))).ret).to.equal(3);
      await teventLoopWait(ev);
      expect(log).to.deep.equal([]);
      expect(teventReqIsInProgress(r)).to.equal(true);
      expect((await write(s1, bytes(4, 5, 6, 7, 8, 9))).ret).to.equal(6);
      await teventLoopWait(ev);
      expect(log).to.deep.equal([]);
      expect(teventReqIsInProgress(r)).to.equal(true);
      expect((await write(s1, bytes(10, 11, 12))).ret).to.equal(3);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["readv"]);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 10, perrno: 0 });
      expect(Array.from(a)).to.deep.equal([1, 2, 3, 4]);
      expect(Array.from(b)).to.deep.equal([5, 6, 7, 8, 9, 10]);
      /* the surplus stays for the next readv */
      expect(tstreamPendingBytes(s2)).to.equal(2);
      const rest = await read(s2, 2);
      expect([rest.ret, rest.perrno, ...rest.buf]).to.deep.equal([2, 0, 11, 12]);
    });

    it("guide: tstream_pending_bytes 'returns the number of uncomsumed bytes (it can return 0!)'", async () => {
      const [s1, s2] = pair();
      expect(tstreamPendingBytes(s2)).to.equal(0);
      expect(s2.pendingBytes()).to.equal(0);
      await write(s1, bytes(9, 8, 7));
      expect(tstreamPendingBytes(s2)).to.equal(3);
      expect(s2.pendingBytes()).to.equal(3);
      expect(tstreamPendingBytes(s1)).to.equal(0);
      await read(s2, 3);
      expect(tstreamPendingBytes(s2)).to.equal(0);
    });

    it("a request never calls back from inside its _send, even when the data is already there (API.md, tevent_req_post)", async () => {
      const [s1, s2] = pair();
      await write(s1, bytes(1, 2, 3, 4));
      const log: string[] = [];
      const r = track(tstreamReadvSend(mem, ev, s2, [new Uint8Array(4)], 1), log, "readv");
      const w = track(tstreamWritevSend(mem, ev, s2, [bytes(1)], 1), log, "writev");
      expect(log).to.deep.equal([]);
      expect(teventReqIsInProgress(r)).to.equal(true);
      expect(teventReqIsInProgress(w)).to.equal(true);
      await teventLoopWait(ev);
      expect(log).to.have.members(["readv", "writev"]);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 1, perrno: 0 });
    });

    it("guide: 'The caller can only have one outstanding tstream_readv_send() at a time otherwise the caller will get *perrno = EBUSY' (and the first still completes)", async () => {
      const [s1, s2] = pair();
      const log: string[] = [];
      const first = new Uint8Array(3);
      const r1 = track(tstreamReadvSend(mem, ev, s2, [first], 1), log, "r1");
      const r2 = track(tstreamReadvSend(mem, ev, s2, [new Uint8Array(3)], 1), log, "r2");
      expect(log).to.deep.equal([]); /* the EBUSY comes from the loop too */
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["r2"]);
      expect(teventReqIsError(r2)).to.deep.equal({ ret: true, state: TEVENT_REQ_USER_ERROR, error: EBUSY });
      expect(tstreamReadvRecv(r2)).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tstreamContextData(s2).readvCalls).to.equal(1); /* the backend never saw the second */
      await write(s1, bytes(7, 8, 9));
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["r2", "r1"]);
      expect(tstreamReadvRecv(r1)).to.deep.equal({ ret: 3, perrno: 0 });
      expect(Array.from(first)).to.deep.equal([7, 8, 9]);
    });

    it("guide: EBUSY for a second readv; freeing the EBUSY request does not free the slot of the first (C sets the destructor only on success)", async () => {
      const [s1, s2] = pair();
      const r1 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(1)], 1);
      const r2 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(1)], 1);
      tallocFree(r2);
      const r3 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(1)], 1);
      expect(await teventReqPoll(r3, ev)).to.equal(true);
      expect(tstreamReadvRecv(r3)).to.deep.equal({ ret: -1, perrno: EBUSY });
      await write(s1, bytes(5));
      expect(await teventReqPoll(r1, ev)).to.equal(true);
      expect(tstreamReadvRecv(r1)).to.deep.equal({ ret: 1, perrno: 0 });
    });

    it("guide: 'The caller can only have one outstanding tstream_writev_send() at a time otherwise the caller will get *perrno = EBUSY' (and the first still completes)", async () => {
      const [s1, s2] = pair({ capacity: 2 });
      const log: string[] = [];
      const w1 = track(tstreamWritevSend(mem, ev, s1, [bytes(1, 2, 3, 4)], 1), log, "w1");
      const w2 = track(tstreamWritevSend(mem, ev, s1, [bytes(5)], 1), log, "w2");
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["w2"]); /* w1 waits: only 2 bytes fit */
      expect(tstreamWritevRecv(w2)).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tstreamContextData(s1).writevCalls).to.equal(1);
      const got = await read(s2, 4);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["w2", "w1"]);
      expect(tstreamWritevRecv(w1)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(Array.from(got.buf)).to.deep.equal([1, 2, 3, 4]);
    });

    it("readv and writev may be outstanding together (one of each direction)", async () => {
      const [s1, s2] = pair();
      const r = tstreamReadvSend(mem, ev, s1, [new Uint8Array(2)], 1);
      const w = tstreamWritevSend(mem, ev, s1, [bytes(1, 2)], 1);
      const r2 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(2)], 1);
      const w2 = tstreamWritevSend(mem, ev, s2, [bytes(3, 4)], 1);
      await teventLoopWait(ev);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(tstreamReadvRecv(r2)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(tstreamWritevRecv(w2)).to.deep.equal({ ret: 2, perrno: 0 });
    });

    it("readv of a zero-length vector or an empty vector fails with EINVAL (C: to_read == 0 -> EINVAL; the guide: '0 is never returned')", async () => {
      const [, s2] = pair();
      const cases: Array<[Uint8Array[], number]> = [
        [[new Uint8Array(0)], 1], [[], 0], [[new Uint8Array(0), new Uint8Array(0)], 2], [[new Uint8Array(5)], 0],
      ];
      for (const [vec, count] of cases) {
        const log: string[] = [];
        const r = track(tstreamReadvSend(mem, ev, s2, vec, count), log, "readv");
        expect(log).to.deep.equal([]); /* the error is posted: the callback runs from the loop */
        await teventLoopWait(ev);
        expect(log).to.deep.equal(["readv"]);
        expect(tstreamReadvRecv(r)).to.deep.equal({ ret: -1, perrno: EINVAL });
      }
      expect(tstreamContextData(s2).readvCalls).to.equal(0);
    });

    it("guide: 'It is invalid to pass an empty vector' to tstream_writev_send: EINVAL", async () => {
      const [s1] = pair();
      const cases: Array<[Uint8Array[], number]> = [
        [[], 0], [[new Uint8Array(0)], 1], [[new Uint8Array(0), new Uint8Array(0)], 2], [[bytes(1)], 0],
      ];
      for (const [vec, count] of cases) {
        const w = tstreamWritevSend(mem, ev, s1, vec, count);
        expect(await teventReqPoll(w, ev)).to.equal(true);
        expect(tstreamWritevRecv(w)).to.deep.equal({ ret: -1, perrno: EINVAL });
      }
      expect(tstreamContextData(s1).writevCalls).to.equal(0);
    });

    it("an invalid vector is EINVAL even while another readv/writev is outstanding (C checks the vector before EBUSY; checked against libsamba-sockets)", async () => {
      const [s1, s2] = pair({ capacity: 1 });
      const r1 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(4)], 1);
      const w1 = tstreamWritevSend(mem, ev, s1, [bytes(1, 2, 3, 4, 5, 6)], 1);
      const r2 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(0)], 1);
      const r3 = tstreamReadvSend(mem, ev, s2, [], 0);
      const w2 = tstreamWritevSend(mem, ev, s1, [], 0);
      await teventLoopWait(ev);
      expect(tstreamReadvRecv(r2)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(tstreamReadvRecv(r3)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(tstreamWritevRecv(w2)).to.deep.equal({ ret: -1, perrno: EINVAL });
      /* and the outstanding ones still finish */
      await teventLoopWait(ev);
      expect(tstreamReadvRecv(r1)).to.deep.equal({ ret: 4, perrno: 0 });
      const rest = await read(s2, 2);
      expect(Array.from(rest.buf)).to.deep.equal([5, 6]);
      expect(await teventReqPoll(w1, ev)).to.equal(true);
      expect(tstreamWritevRecv(w1)).to.deep.equal({ ret: 6, perrno: 0 });
    });

    it("more than IOV_MAX (1024) buffers is EMSGSIZE for readv and writev; 1024 is fine (C: count > IOV_MAX; checked against libsamba-sockets)", async () => {
      const [s1, s2] = pair();
      const many = (n: number): Uint8Array[] => Array.from({ length: n }, () => new Uint8Array(1));
      const r = tstreamReadvSend(mem, ev, s2, many(1025), 1025);
      const w = tstreamWritevSend(mem, ev, s1, many(1025), 1025);
      await teventLoopWait(ev);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: -1, perrno: EMSGSIZE });
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: -1, perrno: EMSGSIZE });
      const w2 = tstreamWritevSend(mem, ev, s1, many(1024), 1024);
      const r2 = tstreamReadvSend(mem, ev, s2, many(1024), 1024);
      await teventLoopWait(ev);
      expect(tstreamWritevRecv(w2)).to.deep.equal({ ret: 1024, perrno: 0 });
      expect(tstreamReadvRecv(r2)).to.deep.equal({ ret: 1024, perrno: 0 });
    });

    it("only the first count buffers of the vector are used", async () => {
      const [s1, s2] = pair();
      const w = tstreamWritevSend(mem, ev, s1, [bytes(1, 2), bytes(3), bytes(99, 99)], 2);
      expect(await teventReqPoll(w, ev)).to.equal(true);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 3, perrno: 0 });
      const a = new Uint8Array(3);
      const unused = new Uint8Array(2);
      const r = tstreamReadvSend(mem, ev, s2, [a, unused], 1);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 3, perrno: 0 });
      expect(Array.from(a)).to.deep.equal([1, 2, 3]);
      expect(Array.from(unused)).to.deep.equal([0, 0]);
      expect(tstreamPendingBytes(s2)).to.equal(0);
    });

    it("the vector array is copied: the caller may reuse it right after _send (API.md rule 7)", async () => {
      const [s1, s2] = pair();
      const a = new Uint8Array(2);
      const b = new Uint8Array(2);
      const rvec = [a, b];
      const r = tstreamReadvSend(mem, ev, s2, rvec, 2);
      rvec[0] = new Uint8Array(2);
      rvec.length = 0;
      const wvec = [bytes(1, 2), bytes(3, 4)];
      const w = tstreamWritevSend(mem, ev, s1, wvec, 2);
      wvec[1] = bytes(66, 66, 66);
      wvec.push(bytes(77));
      await teventLoopWait(ev);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 4, perrno: 0 });
      expect([...a, ...b]).to.deep.equal([1, 2, 3, 4]);
      expect(tstreamPendingBytes(s2)).to.equal(0);
    });

    it("a readv is still possible after a readv failed with EBUSY or EINVAL", async () => {
      const [s1, s2] = pair();
      const bad = tstreamReadvSend(mem, ev, s2, [], 0);
      expect(await teventReqPoll(bad, ev)).to.equal(true);
      expect(tstreamReadvRecv(bad)).to.deep.equal({ ret: -1, perrno: EINVAL });
      const r1 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(1)], 1);
      const busy = tstreamReadvSend(mem, ev, s2, [new Uint8Array(1)], 1);
      expect(await teventReqPoll(busy, ev)).to.equal(true);
      expect(tstreamReadvRecv(busy)).to.deep.equal({ ret: -1, perrno: EBUSY });
      await write(s1, bytes(1, 2));
      expect(await teventReqPoll(r1, ev)).to.equal(true);
      expect(tstreamReadvRecv(r1)).to.deep.equal({ ret: 1, perrno: 0 });
      const again = await read(s2, 1);
      expect([again.ret, again.perrno, again.buf[0]]).to.deep.equal([1, 0, 2]);
      /* same for writev */
      const wbad = tstreamWritevSend(mem, ev, s1, [], 0);
      const w1 = tstreamWritevSend(mem, ev, s1, [bytes(3)], 1);
      const wbusy = tstreamWritevSend(mem, ev, s1, [bytes(4)], 1);
      await teventLoopWait(ev);
      expect(tstreamWritevRecv(wbad)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(tstreamWritevRecv(wbusy)).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tstreamWritevRecv(w1)).to.deep.equal({ ret: 1, perrno: 0 });
      expect((await write(s1, bytes(5))).ret).to.equal(1);
      expect(Array.from((await read(s2, 2)).buf)).to.deep.equal([3, 5]);
    });

    it("freeing a pending readv request cancels it silently; another readv is then accepted (no EBUSY; checked against libsamba-sockets)", async () => {
      const [s1, s2] = pair();
      const log: string[] = [];
      const r1 = track(tstreamReadvSend(mem, ev, s2, [new Uint8Array(4)], 1), log, "r1");
      await teventLoopWait(ev);
      tallocFree(r1);
      expect(tstreamContextData(s2).reader).to.equal(null); /* the backend request went with it */
      const r2 = track(tstreamReadvSend(mem, ev, s2, [new Uint8Array(2)], 1), log, "r2");
      await write(s1, bytes(1, 2, 3));
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["r2"]);
      expect(tstreamReadvRecv(r2)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(tstreamPendingBytes(s2)).to.equal(1);
    });

    it("freeing a pending writev request cancels it silently; another writev is then accepted", async () => {
      const [s1, s2] = pair({ capacity: 2 });
      const log: string[] = [];
      const w1 = track(tstreamWritevSend(mem, ev, s1, [bytes(1, 2, 3, 4)], 1), log, "w1");
      await teventLoopWait(ev);
      expect(tstreamPendingBytes(s2)).to.equal(2); /* back-pressure: w1 is stuck */
      tallocFree(w1);
      const w2 = track(tstreamWritevSend(mem, ev, s1, [bytes(9)], 1), log, "w2");
      const got = await read(s2, 3);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["w2"]);
      expect(tstreamWritevRecv(w2)).to.deep.equal({ ret: 1, perrno: 0 });
      expect(Array.from(got.buf)).to.deep.equal([1, 2, 9]);
    });

    it("back-pressure: a writer waits while the peer's buffer is full and finishes once the reader drains it", async () => {
      const [s1, s2] = pair({ capacity: 4 });
      const data = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
      const log: string[] = [];
      const w = track(tstreamWritevSend(mem, ev, s1, [data], 1), log, "w");
      await teventLoopWait(ev);
      expect(log).to.deep.equal([]);
      expect(tstreamPendingBytes(s2)).to.equal(4);
      const part = await read(s2, 3);
      expect(Array.from(part.buf)).to.deep.equal([1, 2, 3]);
      await teventLoopWait(ev);
      expect(log).to.deep.equal([]);
      expect(tstreamPendingBytes(s2)).to.equal(4);
      const rest = await read(s2, 7);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["w"]);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 10, perrno: 0 });
      expect(Array.from(rest.buf)).to.deep.equal([4, 5, 6, 7, 8, 9, 10]);
    });

    it("guide: '0 is never returned' / random splits: 1 MiB in random writes and random readv vectors (seeded) arrives intact and in order", async () => {
      const [s1, s2] = pair({ capacity: 48 * 1024 });
      const rnd = prng(0x5eed);
      const total = 1024 * 1024;
      const src = new Uint8Array(total);
      for (let i = 0; i < total; i++) src[i] = (rnd() * 256) | 0;
      const dst = new Uint8Array(total);
      let wpos = 0;
      let rpos = 0;
      let wreq: TeventReq | null = null;
      let rreq: TeventReq | null = null;
      let wexpect = 0;
      let rexpect = 0;
      let writes = 0;
      let reads = 0;
      const randomVector = (buf: Uint8Array, pos: number): { vec: Uint8Array[]; n: number } => {
        const want = Math.min(total - pos, 1 + ((rnd() * 24 * 1024) | 0));
        const vec: Uint8Array[] = [];
        let n = 0;
        while (n < want) {
          const len = Math.min(want - n, (rnd() * 3000) | 0); /* 0-length buffers included */
          vec.push(buf.subarray(pos + n, pos + n + len));
          n += len;
        }
        return { vec, n };
      };
      while (rpos < total) {
        if (wreq === null && wpos < total) {
          const { vec, n } = randomVector(src, wpos);
          wreq = tstreamWritevSend(mem, ev, s1, vec, vec.length);
          wexpect = n;
        }
        if (rreq === null) {
          const { vec, n } = randomVector(dst, rpos);
          rreq = tstreamReadvSend(mem, ev, s2, vec, vec.length);
          rexpect = n;
        }
        expect(await teventLoopOnce(ev)).to.equal(0);
        if (wreq !== null && !teventReqIsInProgress(wreq)) {
          expect(tstreamWritevRecv(wreq)).to.deep.equal({ ret: wexpect, perrno: 0 });
          tallocFree(wreq);
          wreq = null;
          wpos += wexpect;
          writes++;
        }
        if (!teventReqIsInProgress(rreq)) {
          expect(tstreamReadvRecv(rreq)).to.deep.equal({ ret: rexpect, perrno: 0 });
          tallocFree(rreq);
          rreq = null;
          rpos += rexpect;
          reads++;
          expect(tstreamPendingBytes(s2)).to.be.at.most(48 * 1024);
        }
      }
      expect(wpos).to.equal(total);
      expect(writes).to.be.above(50);
      expect(reads).to.be.above(50);
      expect(Buffer.from(dst).equals(Buffer.from(src))).to.equal(true);
      expect(tstreamPendingBytes(s2)).to.equal(0);
    });
  });

  describe("tstream_disconnect_send", () => {
    it("guide: 'The caller should make sure there are no outstanding tstream_readv_send() and tstream_writev_send() calls otherwise the caller will get *perrno = EBUSY'", async () => {
      const [s1, s2] = pair({ capacity: 1 });
      const r = tstreamReadvSend(mem, ev, s2, [new Uint8Array(1)], 1);
      const d1 = tstreamDisconnectSend(mem, ev, s2);
      const w = tstreamWritevSend(mem, ev, s1, [bytes(1, 2)], 1);
      const d2 = tstreamDisconnectSend(mem, ev, s1);
      await teventLoopWait(ev);
      expect(tstreamDisconnectRecv(d1)).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tstreamDisconnectRecv(d2)).to.deep.equal({ ret: -1, perrno: EBUSY });
      /* nothing was closed: both requests go on */
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: 1, perrno: 0 });
      expect(await teventReqPoll(w, ev)).to.equal(true);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 2, perrno: 0 });
      const d3 = tstreamDisconnectSend(mem, ev, s1);
      expect(await teventReqPoll(d3, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d3)).to.deep.equal({ ret: 0, perrno: 0 });
    });

    it("after the peer disconnected, a pending readv fails with EPIPE (C's bsd stream; checked against libsamba-sockets)", async () => {
      const [s1, s2] = pair();
      const log: string[] = [];
      const r = track(tstreamReadvSend(mem, ev, s2, [new Uint8Array(4)], 1), log, "readv");
      await teventLoopWait(ev);
      const d = tstreamDisconnectSend(mem, ev, s1);
      await teventLoopWait(ev);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(log).to.deep.equal(["readv"]);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: -1, perrno: EPIPE });
    });

    it("after the peer disconnected: buffered bytes can still be read; then readv, writev and pending_bytes fail with EPIPE (checked against libsamba-sockets)", async () => {
      const [s1, s2] = pair();
      await write(s1, bytes(1, 2, 3, 4, 5));
      const d = tstreamDisconnectSend(mem, ev, s1);
      expect(await teventReqPoll(d, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(tstreamPendingBytes(s2)).to.equal(5);
      const two = await read(s2, 2);
      expect([two.ret, two.perrno, ...two.buf]).to.deep.equal([2, 0, 1, 2]);
      /* C: a readv for more than is left copies what is left, then fails with EPIPE */
      const buf = new Uint8Array(10);
      const r = tstreamReadvSend(mem, ev, s2, [buf], 1);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(Array.from(buf.subarray(0, 3))).to.deep.equal([3, 4, 5]);
      setErrno(0);
      expect(tstreamPendingBytes(s2)).to.equal(-1);
      expect(getErrno()).to.equal(EPIPE);
      expect(await read(s2, 1)).to.deep.include({ ret: -1, perrno: EPIPE });
      expect(await write(s2, bytes(1))).to.deep.equal({ ret: -1, perrno: EPIPE });
    });

    it("after this end disconnected: readv, writev, pending_bytes and a second disconnect fail with ENOTCONN (checked against libsamba-sockets)", async () => {
      const [s1] = pair();
      const d = tstreamDisconnectSend(mem, ev, s1);
      expect(await teventReqPoll(d, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
      setErrno(0);
      expect(tstreamPendingBytes(s1)).to.equal(-1);
      expect(getErrno()).to.equal(ENOTCONN);
      expect(await read(s1, 1)).to.deep.include({ ret: -1, perrno: ENOTCONN });
      expect(await write(s1, bytes(1))).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      const d2 = tstreamDisconnectSend(mem, ev, s1);
      expect(await teventReqPoll(d2, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d2)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
    });

    it("a second disconnect while the first is still pending goes to the backend (C's generic layer does not track disconnects: ENOTCONN, not EBUSY; checked against libsamba-sockets)", async () => {
      const [s1] = pair();
      const d1 = tstreamDisconnectSend(mem, ev, s1);
      const d2 = tstreamDisconnectSend(mem, ev, s1);
      await teventLoopWait(ev);
      expect(tstreamDisconnectRecv(d1)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(tstreamDisconnectRecv(d2)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
    });

    it("a writev held back by capacity fails with EPIPE when the peer disconnects", async () => {
      const [s1, s2] = pair({ capacity: 2 });
      const w = tstreamWritevSend(mem, ev, s1, [bytes(1, 2, 3, 4)], 1);
      await teventLoopWait(ev);
      expect(teventReqIsInProgress(w)).to.equal(true);
      const d = tstreamDisconnectSend(mem, ev, s2);
      await teventLoopWait(ev);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: -1, perrno: EPIPE });
    });
  });

  describe("talloc_free(stream)", () => {
    it("guide: 'you can always use talloc_free(tstream)': a pending readv ends in TEVENT_REQ_RECEIVED, its callback is never called (checked against libsamba-sockets)", async () => {
      const [s1, s2] = pair();
      const log: string[] = [];
      const r = track(tstreamReadvSend(mem, ev, s2, [new Uint8Array(4)], 1), log, "readv");
      const w = track(tstreamWritevSend(mem, ev, s2, [bytes(1)], 1), log, "writev");
      expect(tallocFree(s2)).to.equal(0);
      expect(teventReqIsError(r)).to.deep.equal({ ret: true, state: TEVENT_REQ_RECEIVED, error: 0 });
      expect(teventReqIsError(w)).to.deep.equal({ ret: true, state: TEVENT_REQ_RECEIVED, error: 0 });
      await teventLoopWait(ev);
      expect(log).to.deep.equal([]);
      expect(tallocIsFreed(r)).to.equal(false); /* the request itself stays the caller's */
      tallocFree(r);
      tallocFree(w);
      /* and the peer sees the close */
      expect(await read(s1, 1)).to.deep.include({ ret: -1, perrno: EPIPE });
    });

    it("freeing one end behaves like closing it: the peer's pending readv fails with EPIPE, a writev too (checked against libsamba-sockets)", async () => {
      const [s1, s2] = pair();
      const r = tstreamReadvSend(mem, ev, s2, [new Uint8Array(4)], 1);
      await teventLoopWait(ev);
      tallocFree(s1);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: -1, perrno: EPIPE });
      setErrno(0);
      expect(tstreamPendingBytes(s2)).to.equal(-1);
      expect(getErrno()).to.equal(EPIPE);
      expect(await write(s2, bytes(1, 2))).to.deep.equal({ ret: -1, perrno: EPIPE });
    });

    it("freeing the stream while a disconnect is pending still completes the disconnect (C's destructor only ends readv/writev; checked against libsamba-sockets)", async () => {
      const [s1] = pair();
      const log: string[] = [];
      const d = track(tstreamDisconnectSend(mem, ev, s1), log, "disconnect");
      tallocFree(s1);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["disconnect"]);
      expect(teventReqIsError(d)).to.deep.equal({ ret: false, state: TEVENT_REQ_DONE, error: 0 });
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
    });

    it("freeing the memCtx of the stream frees the stream and closes it", async () => {
      const m1 = tallocNew(mem);
      const { stream1, stream2 } = memstreamPair(m1, mem);
      const r = tstreamReadvSend(mem, ev, stream2!, [new Uint8Array(1)], 1);
      tallocFree(m1);
      expect(tallocIsFreed(stream1)).to.equal(true);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      expect(tstreamReadvRecv(r)).to.deep.equal({ ret: -1, perrno: EPIPE });
    });
  });
});
