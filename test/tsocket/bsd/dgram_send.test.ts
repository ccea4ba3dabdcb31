// The UDP send path of the BSD datagram backend (tsocket/bsd/dgram.ts):
// the Buffer view it reuses for a buffer sent again and again, the sends
// node:dgram completes at once (C's fast path: done from the _send), and
// the sends it queues (their results come later, oldest first).

import { expect } from "chai";
import {
  ECONNREFUSED, EDESTADDRREQ, EINVAL, EISCONN, tallocFree, tallocNew, TdgramBsd, TdgramContext, tdgramContextData, tdgramInetUdpSocket,
  tdgramRecvfromRecv, tdgramRecvfromSend, tdgramSendtoRecv, tdgramSendtoSend, TeventContext,
  teventContextInit, teventLoopOnce, teventReqIsInProgress, teventReqPoll, TeventReq, TsocketAddress,
  tsocketAddressInetFromStrings,
} from "../../../index";

describe("tdgram BSD backend: the UDP send path", () => {
  let mem: object;
  let ev: TeventContext;
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });
  afterEach(() => {
    tallocFree(mem);
  });

  function ip(port: number): TsocketAddress {
    const r = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", port);
    expect(r.ret).to.equal(0);
    return r.addr!;
  }
  /* two UDP sockets connected to each other */
  function pair(): [TdgramContext, TdgramContext] {
    const a = tdgramInetUdpSocket(ip(0), null, mem).dgram!;
    const pa = (tdgramContextData(a) as TdgramBsd).udp!.address().port;
    const b = tdgramInetUdpSocket(ip(0), ip(pa), mem).dgram!;
    const pb = (tdgramContextData(b) as TdgramBsd).udp!.address().port;
    tallocFree(a);
    const a2 = tdgramInetUdpSocket(ip(pa), ip(pb), mem);
    expect(a2.ret).to.equal(0);
    return [a2.dgram!, b];
  }
  async function recv(d: TdgramContext): Promise<string> {
    const req = tdgramRecvfromSend(mem, ev, d);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    const r = tdgramRecvfromRecv(req, mem);
    expect(r.ret).to.be.greaterThan(0);
    return Buffer.from(r.buf!.subarray(0, r.ret)).toString("latin1");
  }
  /* node:dgram's handle under a socket: its send() is replaced to play a queued send */
  function handleOf(d: TdgramContext): { send: (...a: unknown[]) => number } {
    const udp = (tdgramContextData(d) as TdgramBsd).udp! as unknown as Record<symbol, { handle: { send: (...a: unknown[]) => number } }>;
    const k = Object.getOwnPropertySymbols(udp).find((s) => String(s) === "Symbol(state symbol)");
    expect(k).to.not.equal(undefined);
    return udp[k!].handle;
  }

  it("one buffer sent again and again: each datagram carries the bytes the buffer holds at its send, and its len", async () => {
    const [a, b] = pair();
    const buf = new Uint8Array(8);
    for (const [s, len] of [["abcdefgh", 8], ["ABCDEFGH", 8], ["xyzxyzxy", 3], ["12345678", 3], ["qwertyui", 8]] as const) {
      buf.set(Buffer.from(s, "latin1"));
      const req = tdgramSendtoSend(mem, ev, a, buf, len, null);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tdgramSendtoRecv(req)).to.deep.equal({ ret: len, perrno: 0 });
      expect(await recv(b)).to.equal(s.slice(0, len));
    }
    /* a view into the middle of a larger buffer, and a Buffer of exactly len */
    const big = Buffer.from("0123456789", "latin1");
    for (const v of [big.subarray(2, 6), new Uint8Array(big.buffer, big.byteOffset + 5, 4), Buffer.from("exact")]) {
      const req = tdgramSendtoSend(mem, ev, a, v, v.length, null);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tdgramSendtoRecv(req).ret).to.equal(v.length);
      expect(await recv(b)).to.equal(Buffer.from(v).toString("latin1"));
    }
  });

  it("a connected socket sends to its remote with or without dst; another dst is EISCONN, an unconnected socket needs one (EDESTADDRREQ)", async () => {
    const [a, b] = pair();
    const pb = (tdgramContextData(b) as TdgramBsd).udp!.address().port;
    const send = async (d: TdgramContext, s: string, dst: TsocketAddress | null): Promise<{ ret: number; perrno: number }> => {
      const req = tdgramSendtoSend(mem, ev, d, Buffer.from(s, "latin1"), s.length, dst);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      return tdgramSendtoRecv(req);
    };
    expect(await send(a, "implicit", null)).to.deep.equal({ ret: 8, perrno: 0 });
    expect(await recv(b)).to.equal("implicit");
    expect(await send(a, "explicit", ip(pb))).to.deep.equal({ ret: 8, perrno: 0 });
    expect(await recv(b)).to.equal("explicit");
    expect(await send(a, "other", ip(pb === 65535 ? 1 : pb + 1))).to.deep.equal({ ret: -1, perrno: EISCONN });
    const u = tdgramInetUdpSocket(ip(0), null, mem).dgram!;
    expect(await send(u, "nowhere", null)).to.deep.equal({ ret: -1, perrno: EDESTADDRREQ });
    expect(await send(u, "there", ip(pb))).to.deep.equal({ ret: 5, perrno: 0 });
    /* b is connected to a: the kernel drops u's datagram, a's next one is what arrives */
    expect(await send(a, "after", null)).to.deep.equal({ ret: 5, perrno: 0 });
    expect(await recv(b)).to.equal("after");
  });

  it("a datagram the kernel takes at once completes the request from its _send: the next loop iteration delivers it", async () => {
    const [a] = pair();
    const req = tdgramSendtoSend(mem, ev, a, Buffer.from("now"), 3, null);
    expect(teventReqIsInProgress(req)).to.equal(true); /* until its subrequest's posted result is delivered */
    expect((tdgramContextData(a) as TdgramBsd).fd!.writableNeedDrain).to.equal(false);
    let called = false;
    req.setCallback(() => { called = true; }, null);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(called).to.equal(true);
    expect(tdgramSendtoRecv(req)).to.deep.equal({ ret: 3, perrno: 0 });
  });

  it("sends node:dgram queues complete in order, when node:dgram reports them; a freed request's send still counts", async () => {
    const [a] = pair();
    const h = handleOf(a);
    const queued: { oncomplete: (status: number, sent: number) => void }[] = [];
    const realSend = h.send;
    h.send = function (req: unknown): number {
      queued.push(req as { oncomplete: (status: number, sent: number) => void });
      return 0; /* queued by libuv: the result comes through req.oncomplete */
    };
    try {
      const r1 = tdgramSendtoSend(mem, ev, a, Buffer.from("one"), 3, null);
      expect(teventReqIsInProgress(r1)).to.equal(true);
      const bsds = tdgramContextData(a) as TdgramBsd;
      expect(bsds.fd!.writableNeedDrain).to.equal(true);
      tallocFree(r1); /* its send stays in flight */
      const r2: TeventReq = tdgramSendtoSend(mem, ev, a, Buffer.from("second"), 6, null);
      expect(teventReqIsInProgress(r2)).to.equal(true);
      expect(queued.length).to.equal(2);
      /* the first send finishing does not finish the second request */
      queued[0].oncomplete(0, 3);
      expect(bsds.fd!.writableNeedDrain).to.equal(true);
      for (let i = 0; i < 3; i++) {
        const p = teventLoopOnce(ev);
        if (i === 0) queued[1].oncomplete(-ECONNREFUSED, 0);
        expect(await p).to.equal(0);
        if (!teventReqIsInProgress(r2)) break;
      }
      expect(teventReqIsInProgress(r2)).to.equal(false);
      expect(tdgramSendtoRecv(r2)).to.deep.equal({ ret: -1, perrno: ECONNREFUSED });
      expect(bsds.fd!.writableNeedDrain).to.equal(false);
    } finally {
      h.send = realSend;
    }
    /* and the socket sends at once again */
    const r3 = tdgramSendtoSend(mem, ev, a, Buffer.from("again"), 5, null);
    expect((tdgramContextData(a) as TdgramBsd).fd!.writableNeedDrain).to.equal(false);
    expect(await teventReqPoll(r3, ev)).to.equal(true);
    expect(tdgramSendtoRecv(r3)).to.deep.equal({ ret: 5, perrno: 0 });
  });

  it("a send node:dgram refuses at once (an error it reports from process.nextTick) fails from the _send; other ticks still run", async () => {
    const [a] = pair();
    const h = handleOf(a);
    const realSend = h.send;
    let later = false;
    h.send = function (): number {
      process.nextTick(() => { later = true; });
      return -EINVAL; /* a synchronous failure */
    };
    try {
      const req = tdgramSendtoSend(mem, ev, a, Buffer.from("x"), 1, null);
      expect(later).to.equal(true);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tdgramSendtoRecv(req)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect((tdgramContextData(a) as TdgramBsd).fd!.writableNeedDrain).to.equal(false);
    } finally {
      h.send = realSend;
    }
  });
});
