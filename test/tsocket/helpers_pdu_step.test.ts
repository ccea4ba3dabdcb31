import { expect } from "chai";
import {
  tallocFree, tallocNew, TallocCtx, TeventContext, teventContextInit, teventLoopOnce, teventLoopUntil,
  teventReqIsInProgress, teventReqSetCallback, TstreamContext, TstreamReadvNowOp, tstreamPendingBytes,
  tstreamReadvPduRecv, tstreamReadvPduSend, tstreamUnixSocketpair, tstreamWritevRecv, tstreamWritevSend,
} from "../../index";

/*
 * tstream_readv_pdu over bsd streams whose bytes are already queued: each
 * vector is read from the PDU's own immediate (helpers.ts), which finds its
 * request on the stream it reads (stream.readvReq), and the one immediate a
 * finished PDU gives back serves the next PDU, on any stream.
 */

function pduBytes(body: string): Uint8Array {
  const b = Buffer.from(body, "latin1");
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length, false);
  out.set(b, 4);
  return out;
}

class Pdu {
  hdr = new Uint8Array(4);
  body = new Uint8Array(0);
  stage = 0;
  calls = 0;
  text(): string { return Buffer.from(this.body).toString("latin1"); }
}

function nextVector(_stream: TstreamContext, p: Pdu, _mem: TallocCtx):
    { ret: number; vector: Uint8Array[] | null; count: number } {
  p.calls++;
  if (p.stage === 0) {
    p.stage = 1;
    return { ret: 0, vector: [p.hdr], count: 1 };
  }
  if (p.stage === 1) {
    p.stage = 2;
    p.body = new Uint8Array(new DataView(p.hdr.buffer).getUint32(0, false));
    return { ret: 0, vector: [p.body], count: 1 };
  }
  return { ret: 0, vector: null, count: 0 };
}

describe("tstream_readv_pdu from queued bytes (bsd streams)", () => {
  let mem: TallocCtx;
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
    const p = new Pdu();
    let done = false;
    teventReqSetCallback(tstreamReadvPduSend(mem, ev, s, nextVector, p), (rq) => {
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

  it("the bsd probe says what readvNow(probe) says and takes nothing", async () => {
    const [w, r] = pair();
    await write(w, Buffer.concat([pduBytes("warm"), pduBytes("hello")]));
    await queued(r, 9);
    const ops = r.ops as TstreamReadvNowOp;
    expect(ops.readvNowProbe).to.be.a("function");
    const v = [new Uint8Array(4), new Uint8Array(5)];
    expect(ops.readvNowProbe!(r, ev, v, 2)).to.equal(9);
    expect(ops.readvNow!(r, ev, v, 2, true)).to.equal(9);
    const big = [new Uint8Array(10)];
    expect(ops.readvNowProbe!(r, ev, big, 1)).to.equal(-1);
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
      const p = new Pdu();
      const req = tstreamReadvPduSend(mem, ev, s, nextVector, p);
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
    const p1 = new Pdu();
    const p2 = new Pdu();
    const req1 = tstreamReadvPduSend(mem, ev, r1, nextVector, p1);
    const req2 = tstreamReadvPduSend(mem, ev, r2, nextVector, p2);
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
