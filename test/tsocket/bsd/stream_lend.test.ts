// A waiting readv's buffer as Node's next read buffer (tsocket/bsd/stream.ts,
// lendReader): after a read callback, once the loop has run the readv
// callbacks it woke, a new readv with nothing queued before it and a large
// buffer gets Node's next read(2) straight into that buffer.  These tests
// check that the bytes stay intact and in order (also when one short readv
// puts every later readv across two of Node's reads), that a readv freed while
// Node holds its buffer gets nothing written into it afterwards (its bytes
// go to the next readv), that a socket gives buffers back only so often,
// and that the end of the stream leaves a lent buffer untouched.

import { expect } from "chai";
import {
  EPIPE, tallocFree, tallocNew, TeventContext, teventContextInit, teventLoopUntil, TeventReq, teventReqSetCallback,
  TstreamContext, tstreamReadvRecv, tstreamReadvSend, tstreamWritevRecv, tstreamWritevSend,
} from "../../../index";
import { TstreamBsd } from "../../../tsocket/bsd/stream";
import { tcpPair, unixPair } from "./pairs";

const K64 = 65536;

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed * 31 + (i >> 9)) & 0xff;
  return b;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

describe("tstream bsd: a waiting readv's buffer lent to Node (reads without a copy)", function () {
  this.timeout(30000);
  let mem: object;
  let ev: TeventContext;

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });

  afterEach(() => {
    tallocFree(mem);
  });

  /* w writes data in 64 KiB writevs while r reads it in readvs of one buffer each, of size (or size()) bytes */
  async function bulk(w: TstreamContext, r: TstreamContext, data: Uint8Array,
                      size: number | (() => number)): Promise<Uint8Array> {
    const got = new Uint8Array(data.length);
    let written = 0;
    let nread = 0;
    let failure: string | null = null;
    const writeNext = (): void => {
      const n = Math.min(K64, data.length - written);
      teventReqSetCallback(tstreamWritevSend(mem, ev, w, [data.subarray(written, written + n)], 1), writeDone, null);
    };
    const writeDone = (req: TeventReq): void => {
      const { ret, perrno } = tstreamWritevRecv(req);
      tallocFree(req);
      if (ret < 0) failure = `writev errno ${perrno}`;
      written += ret;
      if (failure === null && written < data.length) writeNext();
    };
    const readNext = (): void => {
      const n = Math.min(typeof size === "number" ? size : size(), data.length - nread);
      teventReqSetCallback(tstreamReadvSend(mem, ev, r, [got.subarray(nread, nread + n)], 1), readDone, null);
    };
    const readDone = (req: TeventReq): void => {
      const { ret, perrno } = tstreamReadvRecv(req);
      tallocFree(req);
      if (ret < 0) failure = `readv errno ${perrno}`;
      nread += ret;
      if (failure === null && nread < data.length) readNext();
    };
    readNext();
    writeNext();
    expect(await teventLoopUntil(ev, () => nread === data.length || failure !== null, null)).to.equal(0);
    expect(failure).to.equal(null);
    return got;
  }

  it("16 MiB over TCP read in 64 KiB readvs: Node reads into the caller's buffers, every byte intact", async () => {
    const [w, r] = await tcpPair(mem, ev);
    const data = pattern(16 * 1024 * 1024 + 5, 1);
    const inPlace = TstreamBsd.rxInPlaceReads();
    const got = await bulk(w, r, data, K64);
    expect(same(got, data)).to.equal(true);
    expect(TstreamBsd.rxInPlaceReads()).to.be.above(inPlace); /* the path under test was taken */
    const bsds = r.privateData as TstreamBsd;
    expect(bsds.lent).to.equal(null); /* no readv waits: nothing is lent */
    expect(bsds.retractsLeft).to.equal(TstreamBsd.RETRACT_MAX);
  });

  it("a first short readv misaligns every later 64 KiB readv with Node's reads: they still go in place, intact", async () => {
    const [w, r] = await tcpPair(mem, ev);
    const data = pattern(8 * 1024 * 1024 + 1000, 9);
    const inPlace = TstreamBsd.rxInPlaceReads();
    let first = true;
    const got = await bulk(w, r, data, () => {
      if (!first) return K64;
      first = false;
      return 1000;
    });
    expect(same(got, data)).to.equal(true);
    /* 128 readvs of 64 KiB: most of them read in place (a readv that came
     * after its bytes, in a loop iteration of its own, copies them) */
    expect(TstreamBsd.rxInPlaceReads() - inPlace).to.be.at.least(64);
  });

  it("8 MiB over a unix socketpair read in 100,000-byte readvs: intact, read in place", async () => {
    const [w, r] = unixPair(mem);
    const data = pattern(8 * 1024 * 1024 + 77, 2);
    const inPlace = TstreamBsd.rxInPlaceReads();
    const got = await bulk(w, r, data, 100000);
    expect(same(got, data)).to.equal(true);
    expect(TstreamBsd.rxInPlaceReads()).to.be.above(inPlace);
  });

  it("readvs of small buffers are not lent: 1 MiB in 1,000-byte readvs, intact, none read in place", async () => {
    const [w, r] = await tcpPair(mem, ev);
    const data = pattern(1024 * 1024, 3);
    const inPlace = TstreamBsd.rxInPlaceReads();
    const got = await bulk(w, r, data, 1000);
    expect(same(got, data)).to.equal(true);
    expect(TstreamBsd.rxInPlaceReads()).to.equal(inPlace);
  });

  /*
   * One 64 KiB message completes readv A from Node's read callback; A's
   * callback makes readv B with a 64 KiB buffer, which Node is then lent.
   */
  async function lendB(w: TstreamContext, r: TstreamContext, msg: Uint8Array,
                       bufB: Uint8Array): Promise<{ a: Uint8Array; reqB: TeventReq | null }> {
    const a = new Uint8Array(K64);
    const out: { a: Uint8Array; reqB: TeventReq | null } = { a, reqB: null };
    let aDone = false;
    const reqA = tstreamReadvSend(mem, ev, r, [a], 1);
    teventReqSetCallback(reqA, (req: TeventReq) => {
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: K64, perrno: 0 });
      tallocFree(req);
      aDone = true;
      out.reqB = tstreamReadvSend(mem, ev, r, [bufB], 1);
    }, null);
    const wreq = tstreamWritevSend(mem, ev, w, [msg], 1);
    expect(await teventLoopUntil(ev, () => aDone, null)).to.equal(0);
    expect(await teventLoopUntil(ev, () => wreq.isInProgress() === false, null)).to.equal(0);
    expect(tstreamWritevRecv(wreq)).to.deep.equal({ ret: K64, perrno: 0 });
    tallocFree(wreq);
    return out;
  }

  async function readOne(w: TstreamContext, r: TstreamContext, msg: Uint8Array): Promise<Uint8Array> {
    const c = new Uint8Array(msg.length);
    const reqC = tstreamReadvSend(mem, ev, r, [c], 1);
    const wreq = tstreamWritevSend(mem, ev, w, [msg], 1);
    expect(await teventLoopUntil(ev, () => !reqC.isInProgress() && !wreq.isInProgress(), null)).to.equal(0);
    expect(tstreamWritevRecv(wreq)).to.deep.equal({ ret: msg.length, perrno: 0 });
    expect(tstreamReadvRecv(reqC)).to.deep.equal({ ret: msg.length, perrno: 0 });
    tallocFree(wreq);
    tallocFree(reqC);
    return c;
  }

  for (const kind of ["TCP", "a unix socketpair"]) {
    it(`${kind}: a readv freed while Node holds its buffer: nothing is written into it afterwards; the bytes go to the next readv`, async () => {
      const [w, r] = kind === "TCP" ? await tcpPair(mem, ev) : unixPair(mem);
      const bsds = r.privateData as TstreamBsd;
      const m1 = pattern(K64, 4);
      const bufB = new Uint8Array(K64);
      const { a, reqB } = await lendB(w, r, m1, bufB);
      expect(same(a, m1)).to.equal(true);
      expect(bsds.lent).to.equal(bufB);
      tallocFree(reqB as TeventReq);
      expect(bsds.lent).to.equal(null);
      expect(bsds.retractsLeft).to.equal(TstreamBsd.RETRACT_MAX - 1);
      bufB.fill(0xee);
      const m2 = pattern(K64, 5);
      const c = await readOne(w, r, m2);
      expect(same(c, m2)).to.equal(true);
      expect(bufB.every((x) => x === 0xee)).to.equal(true);
    });
  }

  it("after RETRACT_MAX (4) buffers taken back a socket is lent no more; the bytes stay intact", async () => {
    expect(TstreamBsd.RETRACT_MAX).to.equal(4);
    const [w, r] = await tcpPair(mem, ev);
    const bsds = r.privateData as TstreamBsd;
    const lentSeen: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const m1 = pattern(K64, 10 + i);
      const bufB = new Uint8Array(K64);
      const { a, reqB } = await lendB(w, r, m1, bufB);
      expect(same(a, m1)).to.equal(true);
      lentSeen.push(bsds.lent === bufB);
      tallocFree(reqB as TeventReq);
      bufB.fill(0xee);
      const m2 = pattern(K64, 20 + i);
      expect(same(await readOne(w, r, m2), m2)).to.equal(true);
      expect(bufB.every((x) => x === 0xee)).to.equal(true);
    }
    expect(lentSeen).to.deep.equal([true, true, true, true, false, false]);
    expect(bsds.retractsLeft).to.equal(0);
  });

  it("bytes Node read into a lent buffer before its readv's handler ran go to the next readv when it is freed", async () => {
    const [w, r] = await tcpPair(mem, ev);
    const bsds = r.privateData as TstreamBsd;
    const m1 = pattern(K64, 6);
    const bufB = new Uint8Array(K64);
    const { reqB } = await lendB(w, r, m1, bufB);
    expect(bsds.lent).to.equal(bufB);
    /* the peer writes while no loop runs: Node reads into bufB, the handler waits for a loop */
    const inPlace = TstreamBsd.rxInPlaceReads();
    const m2 = pattern(K64, 7);
    const wreq = tstreamWritevSend(mem, ev, w, [m2], 1);
    expect(await teventLoopUntil(ev, () => !wreq.isInProgress(), null)).to.equal(0);
    tallocFree(wreq);
    const t0 = Date.now();
    while (bsds.unseen < K64 && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 5));
    expect(bsds.unseen).to.equal(K64);
    expect(TstreamBsd.rxInPlaceReads()).to.be.above(inPlace);
    expect((reqB as TeventReq).isInProgress()).to.equal(true);
    tallocFree(reqB as TeventReq);
    expect(bsds.unseen).to.equal(0);
    expect(bsds.buffered).to.equal(K64);
    const c = new Uint8Array(K64);
    const reqC = tstreamReadvSend(mem, ev, r, [c], 1);
    expect(await teventLoopUntil(ev, () => !reqC.isInProgress(), null)).to.equal(0);
    expect(tstreamReadvRecv(reqC)).to.deep.equal({ ret: K64, perrno: 0 });
    expect(same(c, m2)).to.equal(true);
  });

  it("the end of the stream while a buffer is lent: that readv fails with EPIPE, its buffer untouched", async () => {
    const [w, r] = await tcpPair(mem, ev);
    const bsds = r.privateData as TstreamBsd;
    const bufB = new Uint8Array(K64).fill(0x5c);
    const { reqB } = await lendB(w, r, pattern(K64, 8), bufB);
    expect(bsds.lent).to.equal(bufB);
    tallocFree(w);
    const req = reqB as TeventReq;
    expect(await teventLoopUntil(ev, () => !req.isInProgress(), null)).to.equal(0);
    expect(tstreamReadvRecv(req)).to.deep.equal({ ret: -1, perrno: EPIPE });
    expect(bsds.lent).to.equal(null);
    expect(bufB.every((x) => x === 0x5c)).to.equal(true);
  });
});
