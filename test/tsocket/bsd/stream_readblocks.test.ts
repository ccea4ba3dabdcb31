// The BSD stream's read buffers (tsocket/bsd/stream.ts): after a read that
// filled the shared buffer, a socket reads into a block lent to it, and what
// no readv waits for is queued in that block without a copy.  These tests
// check that bulk data stays intact through it (over TCP, where Node reads
// many 64 KiB pieces in a row, and several streams at once), that the pause
// bound still holds, and that every lent block comes back when the streams go.

import { expect } from "chai";
import {
  tallocFree, tallocNew, TeventContext, teventContextInit, teventReqSetCallback, TeventReq, TstreamContext,
  tstreamPendingBytes, tstreamReadvRecv, tstreamReadvSend, tstreamWritevRecv, tstreamWritevSend, teventLoopUntil,
  TSTREAM_BSD_READ_BUFFER_LIMIT,
} from "../../../index";
import { TstreamBsd } from "../../../tsocket/bsd/stream";
import { tcpPair } from "./pairs";

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed + (i >> 11)) & 0xff;
  return b;
}

interface Transfer {
  done: boolean;
  failure: string | null;
  got: Uint8Array;
  maxPending: number;
}

/* w writes data in 64 KiB writevs; r reads it with readvs of the sizes sizes() gives */
function transfer(mem: object, ev: TeventContext, w: TstreamContext, r: TstreamContext, data: Uint8Array,
                  sizes: () => number): Transfer {
  const t: Transfer = { done: false, failure: null, got: new Uint8Array(data.length), maxPending: 0 };
  let written = 0;
  let nread = 0;
  const writeNext = (): void => {
    const n = Math.min(65536, data.length - written);
    teventReqSetCallback(tstreamWritevSend(mem, ev, w, [data.subarray(written, written + n)], 1), writeDone, n);
  };
  const writeDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamWritevRecv(req);
    tallocFree(req);
    if (ret < 0) {
      t.failure = `writev errno ${perrno}`;
      return;
    }
    written += ret;
    if (written < data.length) writeNext();
  };
  const readNext = (): void => {
    const p = tstreamPendingBytes(r);
    if (p > t.maxPending) t.maxPending = p;
    const n = Math.min(sizes(), data.length - nread);
    /* two buffers, to cross a block boundary inside one readv too */
    const cut = nread + (n >> 1);
    const vec = [t.got.subarray(nread, cut), t.got.subarray(cut, nread + n)];
    teventReqSetCallback(tstreamReadvSend(mem, ev, r, vec, 2), readDone, n);
  };
  const readDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    if (ret < 0) {
      t.failure = `readv errno ${perrno}`;
      return;
    }
    nread += ret;
    if (nread < data.length) readNext();
    else t.done = true;
  };
  writeNext();
  readNext();
  return t;
}

describe("tstream bsd: reading into lent blocks (bulk reads queued without a copy)", function () {
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

  it("16 MiB over TCP in 64 KiB writevs, read in odd sizes: intact, pending within the pause bound", async () => {
    const before = TstreamBsd.rxLoanedBlocks();
    const blockReads = TstreamBsd.rxBlockReads();
    const [w, r] = await tcpPair(mem, ev);
    const data = pattern(16 * 1024 * 1024 + 333, 1);
    let k = 0;
    const sizes = [65536, 1, 70000, 131072, 4096, 65535, 99999];
    const t = transfer(mem, ev, w, r, data, () => sizes[k++ % sizes.length]);
    expect(await teventLoopUntil(ev, () => t.done || t.failure !== null, null)).to.equal(0);
    expect(t.failure).to.equal(null);
    expect(Buffer.compare(Buffer.from(t.got), Buffer.from(data))).to.equal(0);
    expect(t.maxPending).to.be.at.most(TSTREAM_BSD_READ_BUFFER_LIMIT + 64 * 1024);
    expect(TstreamBsd.rxBlockReads()).to.be.above(blockReads); /* the path under test was taken */
    tallocFree(w);
    tallocFree(r);
    expect(TstreamBsd.rxLoanedBlocks()).to.equal(before);
  });

  it("three TCP streams in bulk at once: each gets its own bytes", async () => {
    const before = TstreamBsd.rxLoanedBlocks();
    const pairs = [await tcpPair(mem, ev), await tcpPair(mem, ev), await tcpPair(mem, ev)];
    const datas = pairs.map((_, i) => pattern(6 * 1024 * 1024 + i * 1000, 10 + i));
    const ts = pairs.map(([w, r], i) => transfer(mem, ev, w, r, datas[i], () => 65536 * (i + 1) - i));
    expect(await teventLoopUntil(ev, () => ts.every((t) => t.done || t.failure !== null), null)).to.equal(0);
    ts.forEach((t, i) => {
      expect(t.failure).to.equal(null);
      expect(Buffer.compare(Buffer.from(t.got), Buffer.from(datas[i]))).to.equal(0);
    });
    for (const [w, r] of pairs) {
      tallocFree(w);
      tallocFree(r);
    }
    expect(TstreamBsd.rxLoanedBlocks()).to.equal(before);
  });

  it("after bulk data, small messages: back on the shared buffer (Node no longer asks for one), intact", async () => {
    const [w, r] = await tcpPair(mem, ev);
    const data = pattern(2 * 1024 * 1024, 5);
    const t = transfer(mem, ev, w, r, data, () => 65536);
    expect(await teventLoopUntil(ev, () => t.done || t.failure !== null, null)).to.equal(0);
    expect(Buffer.compare(Buffer.from(t.got), Buffer.from(data))).to.equal(0);
    const bsds = r.privateData as TstreamBsd;
    for (let i = 0; i < 50; i++) {
      const msg = pattern(10 + i, 100 + i);
      const t2 = transfer(mem, ev, w, r, msg, () => msg.length);
      expect(await teventLoopUntil(ev, () => t2.done || t2.failure !== null, null)).to.equal(0);
      expect(Buffer.compare(Buffer.from(t2.got), Buffer.from(msg))).to.equal(0);
    }
    expect(bsds.genOn).to.equal(false);
    expect(bsds.readBlock).to.equal(null);
  });

  it("a stream freed while a block is lent to it gives the block back; the next stream reads intact", async () => {
    const before = TstreamBsd.rxLoanedBlocks();
    const [w, r] = await tcpPair(mem, ev);
    const data = pattern(4 * 1024 * 1024, 3);
    const t = transfer(mem, ev, w, r, data, () => 65536);
    /* stop half-way, with bytes queued and blocks out */
    expect(await teventLoopUntil(ev, () => t.got[2 * 1024 * 1024] !== 0 || t.failure !== null, null)).to.equal(0);
    tallocFree(r);
    tallocFree(w);
    expect(TstreamBsd.rxLoanedBlocks()).to.equal(before);
    const [w2, r2] = await tcpPair(mem, ev);
    const data2 = pattern(3 * 1024 * 1024 + 7, 4);
    const t2 = transfer(mem, ev, w2, r2, data2, () => 50000);
    expect(await teventLoopUntil(ev, () => t2.done || t2.failure !== null, null)).to.equal(0);
    expect(t2.failure).to.equal(null);
    expect(Buffer.compare(Buffer.from(t2.got), Buffer.from(data2))).to.equal(0);
  });
});
