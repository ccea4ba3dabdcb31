import { expect } from "chai";
import {
  EBUSY, EINVAL, EPIPE, EPROTO, setErrno, tallocFree, tallocNew, tallocSetDestructor, TallocCtx, TdgramContext, TdgramContextOps,
  tdgramContextCreate, tdgramSendtoQueueRecv, tdgramSendtoQueueSend, tdgramSendtoRecv, tdgramSendtoSend,
  TeventContext, teventContextInit, teventCreateImmediate, TeventImmediate, teventLoopOnce, teventLoopUntil,
  teventLoopWait, TeventQueue, TstreamReadvNowOp,
  teventQueueCreate, teventQueueLength, TeventReq, teventReqCreate, teventReqDone,
  teventReqError, teventReqIsInProgress, teventReqPost, teventReqReceived, teventReqSetCallback, teventScheduleImmediate,
  tsocketAddressInetFromStrings, TsocketAddress, tsocketAddressString, tsocketSimpleIntRecv, TstreamContext,
  TstreamContextOps, tstreamContextCreate, tstreamDisconnectRecv, tstreamDisconnectSend, tstreamPendingBytes, tstreamReadvPduQueueRecv,
  tstreamReadvPduQueueSend, tstreamReadvPduRecv, tstreamReadvPduSend, tstreamReadvRecv, tstreamReadvSend,
  tstreamUnixSocketpair, tstreamWritevQueueRecv, tstreamWritevQueueSend, tstreamWritevRecv, tstreamWritevSend,
} from "../../index";

/*
 * A minimal in-memory stream pair written against the public ops API
 * (stand-in for tstream_unix_socketpair until the bsd backend exists).
 * writev hands its bytes to the peer at once and completes from the loop;
 * readv completes, from an immediate, once its whole vector is filled, or
 * fails with EPIPE when the peer is gone (what the bsd backend reports).
 */
class MemEnd {
  peer: MemEnd | null = null;
  chunks: Uint8Array[] = [];
  off = 0;
  eof = false;
  reading: TeventReq | null = null;
  im: TeventImmediate | null = null;
  ev: TeventContext | null = null;
}

class MemReadvState {
  idx = 0;
  off = 0;
  ret = -1;
  constructor(readonly end: MemEnd, readonly vec: Uint8Array[]) {}
}

function memReadHandler(_ev: TeventContext, _im: TeventImmediate, end: MemEnd): void {
  const req = end.reading;
  if (req === null) return;
  const st = req.data as MemReadvState;
  while (st.idx < st.vec.length && end.chunks.length > 0) {
    const dst = st.vec[st.idx];
    const src = end.chunks[0];
    const n = Math.min(dst.length - st.off, src.length - end.off);
    dst.set(src.subarray(end.off, end.off + n), st.off);
    st.off += n;
    end.off += n;
    if (end.off === src.length) { end.chunks.shift(); end.off = 0; }
    if (st.off === dst.length) { st.idx++; st.off = 0; }
  }
  if (st.idx === st.vec.length) {
    end.reading = null;
    st.ret = st.vec.reduce((a, v) => a + v.length, 0);
    teventReqDone(req);
  } else if (end.eof) {
    end.reading = null;
    teventReqError(req, EPIPE);
  }
}

function memKick(end: MemEnd): void {
  if (end.reading !== null && end.im !== null && end.ev !== null) {
    teventScheduleImmediate(end.im, end.ev, memReadHandler, end);
  }
}

const memOps: TstreamContextOps = {
  name: "mem",
  pendingBytes: (stream) => {
    const end = stream.privateData as MemEnd;
    return end.chunks.reduce((a, c) => a + c.length, 0) - end.off;
  },
  readvSend: (memCtx, ev, stream, vector, count) => {
    const end = stream.privateData as MemEnd;
    const req = teventReqCreate(memCtx, new MemReadvState(end, vector.slice(0, count)), "mem_readv");
    if (end.im === null) end.im = teventCreateImmediate(end);
    end.reading = req;
    end.ev = ev;
    memKick(end);
    return req;
  },
  readvRecv: (req) => {
    const st = req.data as MemReadvState;
    const r = tsocketSimpleIntRecv(req);
    return r.ret === 0 ? { ret: st.ret, perrno: 0 } : r;
  },
  writevSend: (memCtx, ev, stream, vector, count) => {
    const end = stream.privateData as MemEnd;
    const st = { ret: -1 };
    const req = teventReqCreate(memCtx, st, "mem_writev");
    const peer = end.peer;
    if (peer === null || end.eof) {
      teventReqError(req, EPIPE);
      return teventReqPost(req, ev);
    }
    let n = 0;
    for (let i = 0; i < count; i++) {
      peer.chunks.push(Uint8Array.from(vector[i]));
      n += vector[i].length;
    }
    st.ret = n;
    memKick(peer);
    teventReqDone(req);
    return teventReqPost(req, ev);
  },
  writevRecv: (req) => {
    const st = req.data as { ret: number };
    const r = tsocketSimpleIntRecv(req);
    return r.ret === 0 ? { ret: st.ret, perrno: 0 } : r;
  },
  disconnectSend: (memCtx, ev, stream) => {
    memHangup(stream.privateData as MemEnd);
    const req = teventReqCreate(memCtx, {}, "mem_disconnect");
    teventReqDone(req);
    return teventReqPost(req, ev);
  },
  disconnectRecv: (req) => tsocketSimpleIntRecv(req),
};

function memHangup(end: MemEnd): void {
  end.eof = true;
  const peer = end.peer;
  if (peer !== null) {
    peer.peer = null;
    peer.eof = true;
    memKick(peer);
  }
  end.peer = null;
}

function memStreamPair(memCtx: TallocCtx): [TstreamContext, TstreamContext] {
  const a = new MemEnd();
  const b = new MemEnd();
  a.peer = b;
  b.peer = a;
  /* freeing an end closes it, as for a socket */
  tallocSetDestructor(a, (e: MemEnd) => { memHangup(e); return 0; });
  tallocSetDestructor(b, (e: MemEnd) => { memHangup(e); return 0; });
  return [tstreamContextCreate(memCtx, memOps, a, "mem_end"), tstreamContextCreate(memCtx, memOps, b, "mem_end")];
}

/*
 * The same pair, with the port's optional readvNow op (bytes held in user
 * space serve a readv without a backend request).  Counts what it was asked.
 */
const memNowCounts = { readvSend: 0, now: 0 };
const memOpsNow: TstreamContextOps & TstreamReadvNowOp = {
  ...memOps,
  readvSend: (memCtx, ev, stream, vector, count) => {
    memNowCounts.readvSend++;
    return memOps.readvSend(memCtx, ev, stream, vector, count);
  },
  readvNow: (stream, _ev, vector, count, probe) => {
    const end = stream.privateData as MemEnd;
    if (end.reading !== null) return -1;
    let total = 0;
    for (let i = 0; i < count; i++) total += vector[i].length;
    if (memOps.pendingBytes(stream) < total) return -1;
    if (probe) return total;
    memNowCounts.now++;
    for (let i = 0; i < count; i++) {
      const dst = vector[i];
      let off = 0;
      while (off < dst.length) {
        const src = end.chunks[0];
        const n = Math.min(dst.length - off, src.length - end.off);
        dst.set(src.subarray(end.off, end.off + n), off);
        off += n;
        end.off += n;
        if (end.off === src.length) { end.chunks.shift(); end.off = 0; }
      }
    }
    return total;
  },
};

function memStreamPairNow(memCtx: TallocCtx): [TstreamContext, TstreamContext] {
  const [a, b] = memStreamPair(memCtx);
  return [tstreamContextCreate(memCtx, memOpsNow, a.privateData, "mem_end"),
          tstreamContextCreate(memCtx, memOpsNow, b.privateData, "mem_end")];
}

/* A minimal in-memory tdgram: sendto records the datagram on a wire, from the loop. */
interface Datagram { data: string; dst: string }
class MemDgram {
  constructor(readonly wire: Datagram[]) {}
}
const memDgramOps: TdgramContextOps = {
  name: "memdgram",
  recvfromSend: (memCtx, ev) => {
    const req = teventReqCreate(memCtx, {}, "memdgram_recvfrom");
    teventReqError(req, EINVAL);
    return teventReqPost(req, ev);
  },
  recvfromRecv: (req) => ({ ...tsocketSimpleIntRecv(req), buf: null, src: null }),
  sendtoSend: (memCtx, ev, dgram, buf, len, dst) => {
    const d = dgram.privateData as MemDgram;
    const st = { ret: len };
    const req = teventReqCreate(memCtx, st, "memdgram_sendto");
    d.wire.push({ data: Buffer.from(buf.subarray(0, len)).toString("latin1"),
                  dst: dst === null ? "" : tsocketAddressString(dst, null) ?? "" });
    teventReqDone(req);
    return teventReqPost(req, ev);
  },
  sendtoRecv: (req) => {
    const st = req.data as { ret: number };
    const r = tsocketSimpleIntRecv(req);
    return r.ret === 0 ? { ret: st.ret, perrno: 0 } : r;
  },
  disconnectSend: (memCtx, ev) => {
    const req = teventReqCreate(memCtx, {}, "memdgram_disconnect");
    teventReqDone(req);
    return teventReqPost(req, ev);
  },
  disconnectRecv: (req) => tsocketSimpleIntRecv(req),
};

/* mulberry32: a small seeded PRNG */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));
const str = (b: Uint8Array): string => Buffer.from(b).toString("latin1");
function pduBytes(body: string): Uint8Array {
  const b = bytes(body);
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length, false);
  out.set(b, 4);
  return out;
}

/*
 * The next_vector function of a length-prefixed protocol: a 4-byte
 * big-endian length, then the body.  It logs its calls, and can be told
 * to fail (EPROTO) or to hand back an empty vector at a given call.
 */
class LenPdu {
  hdr = new Uint8Array(4);
  body: Uint8Array | null = null;
  stage = 0;
  calls = 0;
  failAt = 0;
  failWithoutErrnoField = false;
  zeroAt = 0;
  countZeroAt = 0;
  constructor(readonly name: string, readonly log: string[] | null = null) {}
  text(): string { return this.body === null ? "" : str(this.body); }
}

function lenPduNextVector(_stream: TstreamContext, p: LenPdu, _memCtx: TallocCtx):
    { ret: number; vector: Uint8Array[] | null; count: number; errno?: number } {
  p.calls++;
  if (p.log !== null) p.log.push(`next_vector ${p.name} call ${p.calls}`);
  if (p.failAt === p.calls) {
    if (p.failWithoutErrnoField) {
      setErrno(EPROTO);
      return { ret: -1, vector: null, count: 0 };
    }
    return { ret: -1, errno: EPROTO, vector: null, count: 0 };
  }
  if (p.countZeroAt === p.calls) return { ret: 0, vector: null, count: 0 };
  if (p.zeroAt === p.calls) return { ret: 0, vector: [p.hdr.subarray(0, 0), p.hdr.subarray(0, 0)], count: 2 };
  if (p.stage === 0) {
    p.stage = 1;
    return { ret: 0, vector: [p.hdr], count: 1 };
  }
  if (p.stage === 1) {
    p.stage = 2;
    const len = new DataView(p.hdr.buffer).getUint32(0, false);
    p.body = new Uint8Array(len);
    if (len > 0) return { ret: 0, vector: [p.body], count: 1 };
  }
  return { ret: 0, vector: [], count: 0 };
}

describe("tstream/tdgram helpers (tsocket_helpers.c)", function () {
  this.timeout(10000);
  let mem: object;
  let ev: TeventContext;
  let a: TstreamContext;
  let b: TstreamContext;
  let q: TeventQueue;
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    [a, b] = memStreamPair(mem);
    q = teventQueueCreate(mem, "q");
  });
  afterEach(() => { tallocFree(mem); });

  /* write raw bytes to a's peer (b) as one writev */
  async function rawWrite(data: Uint8Array): Promise<void> {
    const w = tstreamWritevSend(mem, ev, a, [data], 1);
    let res = { ret: 0, perrno: 0 };
    teventReqSetCallback(w, (r) => { res = tstreamWritevRecv(r); tallocFree(r); });
    await teventLoopUntil(ev, () => res.ret !== 0, null);
    expect(res).to.deep.equal({ ret: data.length, perrno: 0 });
  }

  /* read one PDU with tstream_readv_pdu, returning the log of what happened */
  async function readOnePdu(p: LenPdu, log: string[]): Promise<{ ret: number; perrno: number }> {
    const req = tstreamReadvPduSend(mem, ev, b, lenPduNextVector, p);
    log.push(`after send: calls ${p.calls} in_progress ${teventReqIsInProgress(req)}`);
    let res: { ret: number; perrno: number } | null = null;
    teventReqSetCallback(req, (r) => {
      res = tstreamReadvPduRecv(r);
      log.push(`cb ret ${res.ret} err ${res.perrno}`);
      tallocFree(r);
    });
    await teventLoopUntil(ev, () => res !== null, null);
    return res as unknown as { ret: number; perrno: number };
  }

  describe("tstream_readv_pdu_send/recv", () => {
    it("refuses a stream that is not a TstreamContext (or an ev that is not a TeventContext) at once, before next_vector", () => {
      let calls = 0;
      const nv = (): { ret: number; vector: Uint8Array[] | null; count: number } => {
        calls++;
        return { ret: 0, vector: null, count: 0 };
      };
      expect(() => tstreamReadvPduSend(mem, ev, {} as TstreamContext, nv, null))
        .to.throw(TypeError, "tstreamReadvPduSend: stream must be a TstreamContext");
      expect(() => tstreamReadvPduSend(mem, ev, null as unknown as TstreamContext, nv, null))
        .to.throw(TypeError, "tstreamReadvPduSend: stream must be a TstreamContext");
      expect(() => tstreamReadvPduSend(mem, {} as TeventContext, b, nv, null))
        .to.throw(TypeError, "tstreamReadvPduSend: ev must be a TeventContext");
      expect(calls).to.equal(0);
    });

    it("The tstream_readv_pdu engine will ask the next_vector function for the next iovec vector to be used: first inside _send, the result is the PDU's byte count (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      await rawWrite(pduBytes("abc"));
      const p = new LenPdu("p", log);
      const res = await readOnePdu(p, log);
      expect(log).to.deep.equal([
        "next_vector p call 1",
        "after send: calls 1 in_progress true",
        "next_vector p call 2",
        "next_vector p call 3",
        "cb ret 7 err 0",
      ]);
      expect(res).to.deep.equal({ ret: 7, perrno: 0 });
      expect(p.text()).to.equal("abc");
      /* an empty body: two vectors asked for, 4 bytes read */
      const log2: string[] = [];
      await rawWrite(pduBytes(""));
      const p2 = new LenPdu("p2", log2);
      expect(await readOnePdu(p2, log2)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(log2).to.deep.equal([
        "next_vector p2 call 1", "after send: calls 1 in_progress true", "next_vector p2 call 2", "cb ret 4 err 0",
      ]);
    });

    it("If the next_vector function detects it received a full pdu, it returns an empty vector: count 0 at the first call completes with 0, posted from the loop (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      const p = new LenPdu("p", log);
      p.countZeroAt = 1;
      expect(await readOnePdu(p, log)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(log).to.deep.equal(["next_vector p call 1", "after send: calls 1 in_progress false", "cb ret 0 err 0"]);
      expect(tstreamPendingBytes(b)).to.equal(0);
    });

    it("There is a tstream_readv_send/recv pair for each vector returned by the next_vector function: 10,000 length-prefixed PDUs over random write splits arrive intact and in order", async () => {
      const rnd = prng(0x5eed1234);
      const N = 10000;
      const bodies: string[] = [];
      const parts: Uint8Array[] = [];
      for (let i = 0; i < N; i++) {
        const len = Math.floor(rnd() * 48);
        let s = `${i}:`;
        while (s.length < len) s += String.fromCharCode(32 + Math.floor(rnd() * 95));
        s = s.slice(0, Math.max(len, 0));
        bodies.push(s);
        parts.push(pduBytes(s));
      }
      const wire = Buffer.concat(parts);
      /* writer: one writev at a time, random chunk sizes split over 1..3 iovecs */
      let woff = 0;
      let writes = 0;
      const writeNext = (): void => {
        if (woff >= wire.length) return;
        const n = Math.min(1 + Math.floor(rnd() * 97), wire.length - woff);
        const chunk = wire.subarray(woff, woff + n);
        woff += n;
        const vec: Uint8Array[] = [];
        const cut1 = Math.floor(rnd() * (n + 1));
        const cut2 = cut1 + Math.floor(rnd() * (n - cut1 + 1));
        for (const [s, e] of [[0, cut1], [cut1, cut2], [cut2, n]]) if (e > s) vec.push(chunk.subarray(s, e));
        const w = tstreamWritevSend(mem, ev, a, vec, vec.length);
        teventReqSetCallback(w, (r) => {
          const res = tstreamWritevRecv(r);
          tallocFree(r);
          if (res.ret !== n) throw new Error(`writev ${res.ret} ${res.perrno}`);
          writes++;
          writeNext();
        });
      };
      /* reader: one readv_pdu at a time */
      const got: string[] = [];
      const rets: number[] = [];
      let failure: { ret: number; perrno: number } | null = null;
      let maxCalls = 0;
      const readNext = (): void => {
        const p = new LenPdu("p");
        const r = tstreamReadvPduSend(mem, ev, b, lenPduNextVector, p);
        teventReqSetCallback(r, (req) => {
          const res = tstreamReadvPduRecv(req);
          tallocFree(req);
          if (res.ret === -1) { failure = res; return; }
          got.push(p.text());
          rets.push(res.ret);
          maxCalls = Math.max(maxCalls, p.calls);
          if (got.length < N) readNext();
        });
      };
      readNext();
      writeNext();
      await teventLoopUntil(ev, () => got.length === N || failure !== null, null);
      expect(failure).to.equal(null);
      expect(got.length).to.equal(N);
      expect(got).to.deep.equal(bodies);
      expect(rets).to.deep.equal(bodies.map((s) => 4 + s.length));
      expect(maxCalls).to.equal(3);
      expect(woff).to.equal(wire.length);
      expect(writes).to.be.greaterThan(N / 10);
      expect(tstreamPendingBytes(b)).to.equal(0);
    });

    it("next_vector failing with EPROTO fails the PDU read with EPROTO: at the first call (posted) and mid-stream after the header was consumed (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      const p = new LenPdu("p", log);
      p.failAt = 1;
      expect(await readOnePdu(p, log)).to.deep.equal({ ret: -1, perrno: EPROTO });
      expect(log).to.deep.equal(["next_vector p call 1", "after send: calls 1 in_progress false", "cb ret -1 err 71"]);

      await rawWrite(Buffer.concat([pduBytes("bad"), pduBytes("next")]));
      const log2: string[] = [];
      const p2 = new LenPdu("p2", log2);
      p2.failAt = 2;
      expect(await readOnePdu(p2, log2)).to.deep.equal({ ret: -1, perrno: EPROTO });
      expect(log2).to.deep.equal([
        "next_vector p2 call 1", "after send: calls 1 in_progress true", "next_vector p2 call 2", "cb ret -1 err 71",
      ]);
      /* the header was consumed, the body not: the stream stays usable */
      expect(tstreamPendingBytes(b)).to.equal(3 + 8);
      const rest = new Uint8Array(3);
      const r = tstreamReadvSend(mem, ev, b, [rest], 1);
      let rr = { ret: 0, perrno: 0 };
      teventReqSetCallback(r, (x) => { rr = tstreamReadvRecv(x); tallocFree(x); });
      await teventLoopUntil(ev, () => rr.ret !== 0, null);
      expect(rr).to.deep.equal({ ret: 3, perrno: 0 });
      expect(str(rest)).to.equal("bad");
      const p3 = new LenPdu("p3");
      expect(await readOnePdu(p3, [])).to.deep.equal({ ret: 8, perrno: 0 });
      expect(p3.text()).to.equal("next");
    });

    it("next_vector returning -1 without an errno field fails with the library's errno, as C reads errno", async () => {
      const p = new LenPdu("p");
      p.failAt = 1;
      p.failWithoutErrnoField = true;
      expect(await readOnePdu(p, [])).to.deep.equal({ ret: -1, perrno: EPROTO });
    });

    it("a vector with count > 0 but total length 0 fails with EINVAL, at the first call and mid-PDU (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      const p = new LenPdu("p", log);
      p.zeroAt = 1;
      expect(await readOnePdu(p, log)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(log).to.deep.equal(["next_vector p call 1", "after send: calls 1 in_progress false", "cb ret -1 err 22"]);

      await rawWrite(pduBytes("xyz"));
      const log2: string[] = [];
      const p2 = new LenPdu("p2", log2);
      p2.zeroAt = 2;
      expect(await readOnePdu(p2, log2)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(log2).to.deep.equal([
        "next_vector p2 call 1", "after send: calls 1 in_progress true", "next_vector p2 call 2", "cb ret -1 err 22",
      ]);
      expect(tstreamPendingBytes(b)).to.equal(3);
    });

    it("a readv error mid-PDU fails the PDU read with the readv's errno (peer gone: EPIPE) (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      await rawWrite(Uint8Array.from([0, 0, 0, 9, 0x78]));
      /* the peer goes away with 1 of the 9 body bytes sent */
      const d = tstreamDisconnectSend(mem, ev, a);
      let dres = { ret: 1, perrno: 0 };
      teventReqSetCallback(d, (x) => { dres = tstreamDisconnectRecv(x); tallocFree(x); });
      await teventLoopUntil(ev, () => dres.ret !== 1, null);
      expect(dres).to.deep.equal({ ret: 0, perrno: 0 });
      const p = new LenPdu("p", log);
      const pr = readOnePdu(p, log);
      expect(await pr).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(log).to.deep.equal([
        "next_vector p call 1", "after send: calls 1 in_progress true", "next_vector p call 2", "cb ret -1 err 32",
      ]);
    });

    it("a readv_pdu on a stream with a readv outstanding fails with EBUSY from the loop (checked against libsamba-sockets)", async () => {
      const p1 = new LenPdu("p1");
      const r1 = tstreamReadvPduSend(mem, ev, b, lenPduNextVector, p1);
      const log: string[] = [];
      const p2 = new LenPdu("p2", log);
      expect(await readOnePdu(p2, log)).to.deep.equal({ ret: -1, perrno: EBUSY });
      /* its readv failed, not next_vector: the request was in progress after _send */
      expect(log).to.deep.equal(["next_vector p2 call 1", "after send: calls 1 in_progress true", "cb ret -1 err 16"]);
      expect(teventReqIsInProgress(r1)).to.equal(true);
      tallocFree(r1);
    });
  });

  describe("a backend's readvNow (bytes already in user space)", () => {
    let na: TstreamContext;
    let nb: TstreamContext;
    beforeEach(() => {
      [na, nb] = memStreamPairNow(mem);
      memNowCounts.readvSend = 0;
      memNowCounts.now = 0;
    });

    async function writeNow(data: Uint8Array): Promise<void> {
      const w = tstreamWritevSend(mem, ev, na, [data], 1);
      let done = false;
      teventReqSetCallback(w, (r) => { tstreamWritevRecv(r); tallocFree(r); done = true; });
      await teventLoopUntil(ev, () => done, null);
    }

    /* one PDU, counting the loop iterations it takes */
    async function pduIterations(stream: TstreamContext, p: LenPdu, log: string[]): Promise<number> {
      const req = tstreamReadvPduSend(mem, ev, stream, lenPduNextVector, p);
      let res: { ret: number; perrno: number } | null = null;
      teventReqSetCallback(req, (r) => {
        res = tstreamReadvPduRecv(r);
        log.push(`cb ret ${res.ret} err ${res.perrno}`);
        tallocFree(r);
      });
      let n = 0;
      while (res === null) {
        log.push(`loop_once ${++n}`);
        expect(await teventLoopOnce(ev)).to.equal(0);
      }
      return n;
    }

    it("a PDU read takes the same next_vector calls, loop iterations and result as through readv requests, without them", async () => {
      const logs: string[][] = [];
      for (const [w, r] of [[a, b], [na, nb]]) {
        const log: string[] = [];
        const wr = tstreamWritevSend(mem, ev, w, [pduBytes("hello"), pduBytes("world!")], 2);
        teventReqSetCallback(wr, (x) => { tstreamWritevRecv(x); tallocFree(x); });
        expect(await teventLoopOnce(ev)).to.equal(0); /* the writev completes */
        const p1 = new LenPdu("p1", log);
        const p2 = new LenPdu("p2", log);
        log.push(`iterations ${await pduIterations(r, p1, log)} ${p1.text()}`);
        log.push(`iterations ${await pduIterations(r, p2, log)} ${p2.text()}`);
        logs.push(log);
      }
      expect(logs[1]).to.deep.equal(logs[0]);
      expect(logs[1]).to.deep.equal([
        "next_vector p1 call 1", "loop_once 1", "next_vector p1 call 2", "loop_once 2", "next_vector p1 call 3",
        "cb ret 9 err 0", "iterations 2 hello",
        "next_vector p2 call 1", "loop_once 1", "next_vector p2 call 2", "loop_once 2", "next_vector p2 call 3",
        "cb ret 10 err 0", "iterations 2 world!",
      ]);
      expect(memNowCounts).to.deep.equal({ readvSend: 0, now: 4 });
    });

    it("bytes not there yet: the readv requests as usual; a plain readv is served by readvNow too", async () => {
      const log: string[] = [];
      const p = new LenPdu("p", log);
      const req = tstreamReadvPduSend(mem, ev, nb, lenPduNextVector, p);
      let res: { ret: number; perrno: number } | null = null;
      teventReqSetCallback(req, (r) => { res = tstreamReadvPduRecv(r); tallocFree(r); });
      await writeNow(pduBytes("abc"));
      await teventLoopUntil(ev, () => res !== null, null);
      expect(res).to.deep.equal({ ret: 7, perrno: 0 });
      expect(p.text()).to.equal("abc");
      /* the header came through a backend request, the body from readvNow */
      expect(memNowCounts).to.deep.equal({ readvSend: 1, now: 1 });
      await writeNow(bytes("xyz"));
      const buf = new Uint8Array(3);
      const rv = tstreamReadvSend(mem, ev, nb, [buf], 1);
      let rres: { ret: number; perrno: number } | null = null;
      teventReqSetCallback(rv, (r) => { rres = tstreamReadvRecv(r); tallocFree(r); });
      expect(await teventLoopOnce(ev)).to.equal(0);
      expect(rres).to.deep.equal({ ret: 3, perrno: 0 });
      expect(str(buf)).to.equal("xyz");
      expect(memNowCounts).to.deep.equal({ readvSend: 1, now: 2 });
    });

    it("between two reads the stream is busy (EBUSY), pending bytes are not taken yet; freeing the PDU or the stream ends it silently", async () => {
      await writeNow(pduBytes("abcdef"));
      const p = new LenPdu("p");
      let calls = 0;
      const req = tstreamReadvPduSend(mem, ev, nb, lenPduNextVector, p);
      teventReqSetCallback(req, () => { calls++; });
      expect(tstreamPendingBytes(nb)).to.equal(10);
      const busy = tstreamReadvSend(mem, ev, nb, [new Uint8Array(1)], 1);
      let bres: { ret: number; perrno: number } | null = null;
      teventReqSetCallback(busy, (r) => { bres = tstreamReadvRecv(r); tallocFree(r); });
      const disc = tstreamDisconnectSend(mem, ev, nb);
      let dres: { ret: number; perrno: number } | null = null;
      teventReqSetCallback(disc, (r) => { dres = tstreamDisconnectRecv(r); tallocFree(r); });
      expect(await teventLoopOnce(ev)).to.equal(0); /* the header */
      expect(await teventLoopOnce(ev)).to.equal(0); /* EBUSY posted */
      expect(await teventLoopOnce(ev)).to.equal(0); /* EBUSY posted */
      expect(bres).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(dres).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tstreamPendingBytes(nb)).to.equal(6);
      /* freeing the PDU request between its reads frees the stream for a readv */
      expect(tallocFree(req)).to.equal(0);
      expect(nb.readvReq).to.equal(null);
      expect(ev.imHead).to.equal(null);
      const body = new Uint8Array(6);
      const rv = tstreamReadvSend(mem, ev, nb, [body], 1);
      let rres: { ret: number; perrno: number } | null = null;
      teventReqSetCallback(rv, (r) => { rres = tstreamReadvRecv(r); tallocFree(r); });
      expect(await teventLoopOnce(ev)).to.equal(0);
      expect(rres).to.deep.equal({ ret: 6, perrno: 0 });
      expect(str(body)).to.equal("abcdef");
      /* freeing the stream between two reads: the PDU never calls back and stays in progress, as in C */
      await writeNow(pduBytes("ghi"));
      const p2 = new LenPdu("p2");
      const req2 = tstreamReadvPduSend(mem, ev, nb, lenPduNextVector, p2);
      teventReqSetCallback(req2, () => { calls++; });
      expect(await teventLoopOnce(ev)).to.equal(0); /* the header */
      expect(p2.calls).to.equal(2);
      expect(tallocFree(nb)).to.equal(0);
      expect(ev.imHead).to.equal(null);
      expect(teventReqIsInProgress(req2)).to.equal(true);
      expect(await teventLoopWait(ev)).to.equal(0);
      expect(calls).to.equal(0);
      expect(p2.calls).to.equal(2);
      tallocFree(req2);
    });

    it("a PDU asked for from the previous one's callback reads as usual; freeing the finished one, or receiving one in progress, leaves the stream right", async () => {
      await writeNow(pduBytes("ab"));
      await writeNow(pduBytes("cde"));
      const p1 = new LenPdu("p1");
      const p2 = new LenPdu("p2");
      let req2: TeventReq | null = null;
      let res2: { ret: number; perrno: number } | null = null;
      const req1 = tstreamReadvPduSend(mem, ev, nb, lenPduNextVector, p1);
      let res1: { ret: number; perrno: number } | null = null;
      teventReqSetCallback(req1, (r) => {
        res1 = tstreamReadvPduRecv(r);
        /* not freed yet: the next PDU starts from inside the read that ended this one */
        req2 = tstreamReadvPduSend(mem, ev, nb, lenPduNextVector, p2);
        teventReqSetCallback(req2, (r2) => { res2 = tstreamReadvPduRecv(r2); tallocFree(r2); });
      });
      expect(await teventLoopOnce(ev)).to.equal(0); /* p1's header */
      expect(await teventLoopOnce(ev)).to.equal(0); /* p1's body: done, p2 asked for */
      expect(res1).to.deep.equal({ ret: 6, perrno: 0 });
      expect(req2).to.not.equal(null);
      expect(await teventLoopOnce(ev)).to.equal(0); /* p2's header */
      expect(tallocFree(req1)).to.equal(0);
      expect(nb.readvReq).to.equal(req2);
      expect(await teventLoopOnce(ev)).to.equal(0); /* p2's body */
      expect(res2).to.deep.equal({ ret: 7, perrno: 0 });
      expect([p1.text(), p2.text()]).to.deep.equal(["ab", "cde"]);
      expect(nb.readvReq).to.equal(null);
      expect(ev.imHead).to.equal(null);
      /* received while in progress (not what a caller does): its state goes, and
       * with it the read that was due, so the stream is free at once (as in C) */
      await writeNow(pduBytes("xy"));
      const p3 = new LenPdu("p3");
      const req3 = tstreamReadvPduSend(mem, ev, nb, lenPduNextVector, p3);
      expect(await teventLoopOnce(ev)).to.equal(0); /* p3's header */
      teventReqReceived(req3);
      expect(nb.readvReq).to.equal(null);
      expect(ev.imHead).to.equal(null);
      expect(p3.calls).to.equal(2);
      expect(tstreamPendingBytes(nb)).to.equal(2);
      tallocFree(req3);
    });
  });

  describe("tevent_queue based helpers", () => {
    const m1 = Uint8Array.from([0, 0, 0, 2, 0x68, 0x69]); /* "hi" */
    const m2 = Uint8Array.from([0, 0, 0, 3, 0x66, 0x6f, 0x6f]); /* "foo" */
    const m3 = Uint8Array.from([0, 0, 0, 1, 0x7a]); /* "z" */

    function queueWrite(name: string, vec: Uint8Array[], count: number, log: string[], free = true): TeventReq {
      const w = tstreamWritevQueueSend(mem, ev, a, q, vec, count);
      teventReqSetCallback(w, (r) => {
        const res = tstreamWritevQueueRecv(r);
        log.push(`cb ${name} ret ${res.ret} err ${res.perrno}`);
        if (free) tallocFree(r);
      });
      return w;
    }
    function queueRead(p: LenPdu, log: string[]): TeventReq {
      const r = tstreamReadvPduQueueSend(mem, ev, b, q, lenPduNextVector, p);
      teventReqSetCallback(r, (x) => {
        const res = tstreamReadvPduQueueRecv(x);
        log.push(`cb ${p.name} ret ${res.ret} err ${res.perrno} body '${p.text()}'`);
        tallocFree(x);
      });
      return r;
    }

    it("The functions just get a 'queue' argument and internally serialize all operations: writev_queue and readv_pdu_queue requests in one queue complete in queue order (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      const w1 = queueWrite("w1", [m1.subarray(0, 4), m1.subarray(4)], 2, log);
      log.push(`after w1 send: qlen ${teventQueueLength(q)} in_progress ${teventReqIsInProgress(w1)}`);
      /* on an empty queue the writev starts inside _send: the stream is busy now */
      const d = tstreamWritevSend(mem, ev, a, [m3], 1);
      teventReqSetCallback(d, (x) => {
        const res = tstreamWritevRecv(x);
        log.push(`direct writev ret ${res.ret} err ${res.perrno}`);
        tallocFree(x);
      });
      queueWrite("w2", [m2], 1, log);
      const r1 = new LenPdu("r1", log);
      const r2 = new LenPdu("r2", log);
      const r3 = new LenPdu("r3", log);
      queueRead(r1, log);
      queueRead(r2, log);
      queueWrite("w3", [m3], 1, log);
      queueRead(r3, log);
      log.push(`qlen ${teventQueueLength(q)}`);
      await teventLoopUntil(ev, () => teventQueueLength(q) === 0, null);
      expect(log).to.deep.equal([
        "after w1 send: qlen 1 in_progress true",
        "qlen 6",
        "cb w1 ret 6 err 0",
        "direct writev ret -1 err 16",
        "cb w2 ret 7 err 0",
        "next_vector r1 call 1", "next_vector r1 call 2", "next_vector r1 call 3",
        "cb r1 ret 6 err 0 body 'hi'",
        "next_vector r2 call 1", "next_vector r2 call 2", "next_vector r2 call 3",
        "cb r2 ret 7 err 0 body 'foo'",
        "cb w3 ret 5 err 0",
        "next_vector r3 call 1", "next_vector r3 call 2", "next_vector r3 call 3",
        "cb r3 ret 5 err 0 body 'z'",
      ]);
      expect(tstreamPendingBytes(b)).to.equal(0);
    });

    it("a queued request freed before its turn is skipped: no callback, its I/O never happens (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      queueWrite("w1", [m1.subarray(0, 4), m1.subarray(4)], 2, log);
      const w2 = queueWrite("w2", [m2], 1, log);
      queueWrite("w3", [m3], 1, log);
      queueRead(new LenPdu("r1", log), log);
      queueRead(new LenPdu("r2", log), log);
      log.push(`qlen ${teventQueueLength(q)}`);
      tallocFree(w2);
      log.push(`qlen after free w2 ${teventQueueLength(q)}`);
      await teventLoopUntil(ev, () => teventQueueLength(q) === 0, null);
      expect(log).to.deep.equal([
        "qlen 5",
        "qlen after free w2 4",
        "cb w1 ret 6 err 0",
        "cb w3 ret 5 err 0",
        "next_vector r1 call 1", "next_vector r1 call 2", "next_vector r1 call 3",
        "cb r1 ret 6 err 0 body 'hi'",
        "next_vector r2 call 1", "next_vector r2 call 2", "next_vector r2 call 3",
        "cb r2 ret 5 err 0 body 'z'",
      ]);
      expect(tstreamPendingBytes(b)).to.equal(0);
    });

    it("the queue moves on only when the finished request is freed, not when it is received (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      const w1 = queueWrite("w1", [m1], 1, log, false);
      const w2 = queueWrite("w2", [m3], 1, log, false);
      await teventLoopUntil(ev, () => log.length === 1, null);
      for (let i = 0; i < 5; i++) {
        const im = teventCreateImmediate(mem);
        let ran = false;
        teventScheduleImmediate(im, ev, () => { ran = true; });
        await teventLoopUntil(ev, () => ran, null);
      }
      log.push(`qlen ${teventQueueLength(q)} w2 in_progress ${teventReqIsInProgress(w2)}`);
      tallocFree(w1);
      await teventLoopUntil(ev, () => log.length === 3, null);
      tallocFree(w2);
      expect(log).to.deep.equal(["cb w1 ret 6 err 0", "qlen 2 w2 in_progress true", "cb w2 ret 5 err 0"]);
      expect(teventQueueLength(q)).to.equal(0);
      expect(tstreamPendingBytes(b)).to.equal(11);
    });

    it("readv_pdu_queue on an empty queue asks next_vector inside _send; count 0 at once completes with 0 (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      const p = new LenPdu("rz", log);
      p.countZeroAt = 1;
      const r = queueRead(p, log);
      log.push(`after send: in_progress ${teventReqIsInProgress(r)} calls ${p.calls}`);
      await teventLoopUntil(ev, () => log.length === 3, null);
      expect(log).to.deep.equal(["next_vector rz call 1", "after send: in_progress true calls 1", "cb rz ret 0 err 0 body ''"]);
    });

    it("writev_queue errors come from tstream_writev: count 0 is EINVAL, a gone peer EPIPE (checked against libsamba-sockets)", async () => {
      const log: string[] = [];
      const w = queueWrite("w-count0", [m1], 0, log);
      log.push(`after send: in_progress ${teventReqIsInProgress(w)} qlen ${teventQueueLength(q)}`);
      await teventLoopUntil(ev, () => log.length === 2, null);
      tallocFree(b);
      queueWrite("w-epipe", [m1], 1, log);
      await teventLoopUntil(ev, () => log.length === 3, null);
      expect(log).to.deep.equal(["after send: in_progress true qlen 1", "cb w-count0 ret -1 err 22", "cb w-epipe ret -1 err 32"]);
    });

    it("readv_pdu_queue errors: next_vector's EPROTO reaches the queue request, and the queue moves on", async () => {
      const log: string[] = [];
      await rawWrite(Buffer.concat([pduBytes("abc"), pduBytes("de")]));
      const p1 = new LenPdu("r1", log);
      p1.failAt = 1;
      queueRead(p1, log);
      queueRead(new LenPdu("r2", log), log);
      await teventLoopUntil(ev, () => teventQueueLength(q) === 0, null);
      expect(log).to.deep.equal([
        "next_vector r1 call 1", "cb r1 ret -1 err 71 body ''",
        "next_vector r2 call 1", "next_vector r2 call 2", "next_vector r2 call 3", "cb r2 ret 7 err 0 body 'abc'",
      ]);
      expect(tstreamPendingBytes(b)).to.equal(6);
    });

    it("_send functions copy the vector array, so the caller may reuse the array at once (API.md rule 7; C's writev_queue instead reads the caller's iovec array at its turn)", async () => {
      const log: string[] = [];
      queueWrite("w1", [m1], 1, log);
      const vec = [m2];
      queueWrite("w2", vec, 1, log);
      vec[0] = m3; /* reused before w2's turn */
      queueRead(new LenPdu("r1", log), log);
      queueRead(new LenPdu("r2", log), log);
      await teventLoopUntil(ev, () => teventQueueLength(q) === 0, null);
      expect(log.filter((l) => l.startsWith("cb"))).to.deep.equal([
        "cb w1 ret 6 err 0", "cb w2 ret 7 err 0", "cb r1 ret 6 err 0 body 'hi'", "cb r2 ret 7 err 0 body 'foo'",
      ]);
    });

    describe("tdgram_sendto_queue_send/recv", () => {
      let d: TdgramContext;
      let wire: Datagram[];
      let dst: TsocketAddress;
      beforeEach(() => {
        wire = [];
        d = tdgramContextCreate(mem, memDgramOps, new MemDgram(wire), "memdgram");
        const r = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 47123);
        dst = r.addr as TsocketAddress;
      });
      function queueSendto(name: string, buf: Uint8Array, len: number, log: string[]): TeventReq {
        const s = tdgramSendtoQueueSend(mem, ev, d, q, buf, len, dst);
        teventReqSetCallback(s, (x) => {
          const res = tdgramSendtoQueueRecv(x);
          log.push(`cb ${name} ret ${res.ret} err ${res.perrno}`);
          tallocFree(x);
        });
        return s;
      }

      it("(Remember at the low level there is always only one IO in a specific direction allowed, only one tdgram_sendto_send() at a time): sendto_queue sends in queue order, the first inside _send, the buffer stays the caller's (checked against libsamba-sockets)", async () => {
        const log: string[] = [];
        const b1 = bytes("one");
        const b2 = bytes("two");
        const b3 = bytes("three");
        queueSendto("s1", b1, 3, log);
        log.push(`after s1: qlen ${teventQueueLength(q)} wire ${wire.length}`);
        /* the sendto started inside _send: a direct one is EBUSY (when it reports is the backend's business) */
        const direct = tdgramSendtoSend(mem, ev, d, b1, 3, dst);
        let dres = { ret: 0, perrno: 0 };
        teventReqSetCallback(direct, (x) => { dres = tdgramSendtoRecv(x); tallocFree(x); });
        queueSendto("s2", b2, 3, log);
        queueSendto("s3", b3, 5, log);
        b2[0] = 0x54; /* 'T': C sends the caller's buffer as it is at the request's turn */
        await teventLoopUntil(ev, () => teventQueueLength(q) === 0, null);
        expect(log).to.deep.equal([
          "after s1: qlen 1 wire 1",
          "cb s1 ret 3 err 0",
          "cb s2 ret 3 err 0",
          "cb s3 ret 5 err 0",
        ]);
        expect(dres).to.deep.equal({ ret: -1, perrno: EBUSY });
        expect(wire).to.deep.equal([
          { data: "one", dst: "ipv4:127.0.0.1:47123" },
          { data: "Two", dst: "ipv4:127.0.0.1:47123" },
          { data: "three", dst: "ipv4:127.0.0.1:47123" },
        ]);
      });

      it("sendto_queue: a request freed before its turn is never sent; len 0 fails with EINVAL (checked against libsamba-sockets)", async () => {
        const log: string[] = [];
        queueSendto("s1", bytes("one"), 3, log);
        const s2 = queueSendto("s2", bytes("two"), 3, log);
        queueSendto("s3-len0", bytes("three"), 0, log);
        tallocFree(s2);
        await teventLoopUntil(ev, () => teventQueueLength(q) === 0, null);
        expect(log).to.deep.equal(["cb s1 ret 3 err 0", "cb s3-len0 ret -1 err 22"]);
        expect(wire.map((w) => w.data)).to.deep.equal(["one"]);
      });
    });

    it("a queue that was freed (use after free): the queue helpers' request fails with EBADF from the loop, nothing is read, written or sent", async () => {
      const log: string[] = [];
      const wire: Datagram[] = [];
      const d = tdgramContextCreate(mem, memDgramOps, new MemDgram(wire), "memdgram");
      const dst = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 47123).addr as TsocketAddress;
      await rawWrite(m1);
      expect(tallocFree(q)).to.equal(0);
      const w = queueWrite("w", [m2], 1, log);
      const p = new LenPdu("p");
      const r = queueRead(p, log);
      const s = tdgramSendtoQueueSend(mem, ev, d, q, bytes("one"), 3, dst);
      teventReqSetCallback(s, (x) => {
        const res = tdgramSendtoQueueRecv(x);
        log.push(`cb s ret ${res.ret} err ${res.perrno}`);
        tallocFree(x);
      });
      for (const x of [w, r, s]) expect(teventReqIsInProgress(x)).to.equal(false);
      expect(log).to.deep.equal([]); /* posted: nothing called back inside _send */
      expect(await teventLoopWait(ev)).to.equal(0);
      expect(log).to.deep.equal(["cb w ret -1 err 9", "cb p ret -1 err 9 body ''", "cb s ret -1 err 9"]);
      expect(p.calls).to.equal(0);
      expect(wire).to.deep.equal([]);
      expect(tstreamPendingBytes(b)).to.equal(m1.length); /* nothing was read */
    });
  });
});

/*
 * tstream_readv_pdu over bsd streams whose bytes are already queued: each
 * vector is read from the PDU's own immediate (helpers.ts), which finds its
 * request on the stream it reads (stream.readvReq), and the one immediate a
 * finished PDU gives back serves the next PDU, on any stream.
 */
describe("tstream_readv_pdu from queued bytes (bsd streams)", () => {
  let mem: object;
  let ev: TeventContext;
  const pair = (): [TstreamContext, TstreamContext] => {
    const sp = tstreamUnixSocketpair(mem, mem);
    expect(sp.ret).to.equal(0);
    return [sp.stream1 as TstreamContext, sp.stream2 as TstreamContext];
  };
  async function write(w: TstreamContext, data: Uint8Array): Promise<void> {
    let done = false;
    teventReqSetCallback(tstreamWritevSend(mem, ev, w, [data], 1), (r) => {
      expect(tstreamWritevRecv(r).ret).to.equal(data.length);
      tallocFree(r);
      done = true;
    });
    await teventLoopUntil(ev, () => done, null);
  }
  /* read the PDU "warm" first (the stream then reads its socket), until n bytes are queued after it */
  async function queued(s: TstreamContext, n: number): Promise<void> {
    const p = new LenPdu("warm");
    let done = false;
    teventReqSetCallback(tstreamReadvPduSend(mem, ev, s, lenPduNextVector, p), (rq) => {
      expect(tstreamReadvPduRecv(rq).ret).to.equal(8);
      tallocFree(rq);
      done = true;
    });
    await teventLoopUntil(ev, () => done && tstreamPendingBytes(s) >= n, null);
    expect(p.text()).to.equal("warm");
  }

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });
  afterEach(() => {
    tallocFree(mem);
  });

  it("the bsd readvNow probe says whether the queued bytes fill the vector and takes nothing", async () => {
    const [w, r] = pair();
    await write(w, Buffer.concat([pduBytes("warm"), pduBytes("hello")]));
    await queued(r, 9);
    const ops = r.ops as TstreamReadvNowOp;
    const v = [new Uint8Array(4), new Uint8Array(5)];
    expect(ops.readvNow!(r, ev, v, 2, true)).to.equal(9);
    const big = [new Uint8Array(10)];
    expect(ops.readvNow!(r, ev, big, 1, true)).to.equal(-1);
    expect(tstreamPendingBytes(r)).to.equal(9);
    expect(Array.from(v[0])).to.deep.equal([0, 0, 0, 0]);
  });

  it("PDUs read on two streams at once, one vector per loop iteration each, and the next ones after them", async () => {
    const [w1, r1] = pair();
    const [w2, r2] = pair();
    await write(w1, Buffer.concat([pduBytes("warm"), pduBytes("abc"), pduBytes("defgh")]));
    await write(w2, Buffer.concat([pduBytes("warm"), pduBytes("12345"), pduBytes("6")]));
    await queued(r1, 16);
    await queued(r2, 14);
    const got: string[] = [];
    const start = (s: TstreamContext, name: string, left: number): void => {
      const p = new LenPdu(name);
      const req = tstreamReadvPduSend(mem, ev, s, lenPduNextVector, p);
      teventReqSetCallback(req, (rq) => {
        const res = tstreamReadvPduRecv(rq);
        tallocFree(rq);
        got.push(`${name} ${res.ret} ${p.text()} ${p.calls}`);
        if (left > 1) start(s, name, left - 1);
      });
    };
    start(r1, "one", 2);
    start(r2, "two", 2);
    /* both headers, then both bodies (each PDU done in its second iteration) */
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(got).to.deep.equal([]);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(got).to.deep.equal(["one 7 abc 3"]);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(got).to.deep.equal(["one 7 abc 3", "two 9 12345 3"]);
    await teventLoopUntil(ev, () => got.length === 4, null);
    expect(got).to.deep.equal(["one 7 abc 3", "two 9 12345 3", "one 9 defgh 3", "two 5 6 3"]);
    expect(r1.readvReq).to.equal(null);
    expect(r2.readvReq).to.equal(null);
    expect(ev.imHead).to.equal(null);
  });

  it("freeing one stream between two reads leaves the other stream's PDU reading", async () => {
    const [w1, r1] = pair();
    const [w2, r2] = pair();
    await write(w1, Buffer.concat([pduBytes("warm"), pduBytes("first")]));
    await write(w2, Buffer.concat([pduBytes("warm"), pduBytes("second")]));
    await queued(r1, 9);
    await queued(r2, 10);
    const p1 = new LenPdu("p1");
    const p2 = new LenPdu("p2");
    const req1 = tstreamReadvPduSend(mem, ev, r1, lenPduNextVector, p1);
    const req2 = tstreamReadvPduSend(mem, ev, r2, lenPduNextVector, p2);
    let res2: { ret: number; perrno: number } | null = null;
    teventReqSetCallback(req2, (rq) => { res2 = tstreamReadvPduRecv(rq); });
    expect(r1.readvReq).to.equal(req1);
    expect(r2.readvReq).to.equal(req2);
    expect(await teventLoopOnce(ev)).to.equal(0); /* r1's header */
    expect(p1.calls).to.equal(2);
    tallocFree(r1);
    expect(teventReqIsInProgress(req1)).to.equal(true);
    await teventLoopUntil(ev, () => res2 !== null, null);
    expect(res2).to.deep.equal({ ret: 10, perrno: 0 });
    expect(p2.text()).to.equal("second");
    expect(p1.calls).to.equal(2);
    expect(teventReqIsInProgress(req1)).to.equal(true);
    tallocFree(req1);
    tallocFree(req2);
  });
});
