// tsocket/promises: the await layer beside the faithful API, over real
// sockets (socketpairs, TCP on 127.0.0.1, unix listeners, UDP).

import { expect } from "chai";
import * as fs from "node:fs";
import * as net from "node:net";
import * as nodeDgram from "node:dgram";
import * as os from "node:os";
import * as path from "node:path";
import {
  EBUSY, ECANCELED, ECONNREFUSED, EINVAL, ENOENT, ENOTCONN, EPIPE, tallocFree, tallocNew, tallocParent,
  TeventContext, teventAddTimer, teventContextInit, teventLoopOnce, teventLoopWait, teventReqPoll,
  teventSetAbortFn, teventTimevalCurrentOfs, teventWakeupSend, TdgramContext, tdgramInetUdpSocket, TsocketAddress,
  tsocketAddressInetFromStrings, tsocketAddressInetPort, tsocketAddressString, tsocketAddressUnixFromPath,
  TstreamContext, tstreamInetTcpListen, TstreamListener, tstreamListenerAddress, tstreamPendingBytes,
  tstreamReadvRecv, tstreamReadvSend, tstreamUnixListen, tstreamUnixSocketpair, tstreamWritevRecv,
  tstreamWritevSend,
} from "../../index";
import {
  accept, awaitDriverState, connectTcp, connectUnix, disconnect, listenReady, readPdu, readv, recvfrom, sendto,
  TsocketAbortError, TsocketLoopError, writev,
} from "../../tsocket/promises";

describe("tsocket/promises: the await layer (extension)", function () {
  this.timeout(5000);
  let mem: object;
  let ev: TeventContext;
  let tmp: string;

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsocket-promises-"));
  });

  afterEach(() => {
    /* every await settled: the driver stopped and left no waiter behind */
    expect(awaitDriverState(ev)).to.deep.equal({ pending: 0, running: false, parked: false });
    expect(ev.waiters.length).to.equal(0);
    tallocFree(mem);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
  const str = (b: Uint8Array | null): string => Buffer.from(b as Uint8Array).toString("latin1");

  function pair(): [TstreamContext, TstreamContext] {
    const r = tstreamUnixSocketpair(mem, mem);
    expect(r.ret).to.equal(0);
    return [r.stream1 as TstreamContext, r.stream2 as TstreamContext];
  }

  function inet(addr: string, port: number): TsocketAddress {
    const r = tsocketAddressInetFromStrings(mem, "ip", addr, port);
    expect(r.ret).to.equal(0);
    return r.addr as TsocketAddress;
  }

  function unix(p: string): TsocketAddress {
    const r = tsocketAddressUnixFromPath(mem, p);
    expect(r.ret).to.equal(0);
    return r.addr as TsocketAddress;
  }

  async function tcpListener(): Promise<{ listener: TstreamListener; port: number }> {
    const r = tstreamInetTcpListen(mem, inet("127.0.0.1", 0), 8);
    expect(r.ret).to.equal(0);
    const listener = r.listener as TstreamListener;
    expect(await listenReady(ev, listener)).to.deep.equal({ ret: 0, perrno: 0 });
    const a = tstreamListenerAddress(listener, mem) as TsocketAddress;
    return { listener, port: tsocketAddressInetPort(a) };
  }

  /* a TCP port nobody listens on now */
  async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }

  /* a UDP port nobody uses now */
  function freeUdpPort(): number {
    const s = nodeDgram.createSocket({
      type: "udp4",
      lookup: (h: string, o: unknown, cb?: unknown) =>
        ((typeof o === "function" ? o : cb) as (e: null, a: string, f: number) => void)(null, h, 4),
    });
    s.bind(0, "127.0.0.1");
    const port = s.address().port;
    s.close();
    return port;
  }

  function udp(port: number): TdgramContext {
    const r = tdgramInetUdpSocket(inet("127.0.0.1", port), null, mem);
    expect(r.ret).to.equal(0);
    return r.dgram as TdgramContext;
  }

  /* let Node run (no tevent loop) until cond() holds */
  async function nodeUntil(cond: () => boolean, what: string): Promise<void> {
    const end = Date.now() + 2000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async function rejection(p: Promise<unknown>): Promise<unknown> {
    try {
      await p;
    } catch (e) {
      return e;
    }
    throw new Error("the promise resolved");
  }

  describe("round trips", () => {
    it("writev and readv over a socketpair resolve with tstreamWritevRecv/tstreamReadvRecv's objects", async () => {
      const [a, b] = pair();
      const w = await writev(ev, a, [text("hello "), text("world")]);
      expect(w).to.deep.equal({ ret: 11, perrno: 0 });
      const b1 = new Uint8Array(5);
      const b2 = new Uint8Array(6);
      const r = await readv(ev, b, [b1, b2]);
      expect(r).to.deep.equal({ ret: 11, perrno: 0 });
      expect(str(b1) + "|" + str(b2)).to.equal("hello| world");
      expect(tstreamPendingBytes(b)).to.equal(0);
    });

    it("readv waits for bytes written later, and both directions work on one context", async () => {
      const [a, b] = pair();
      const buf = new Uint8Array(3);
      const rp = readv(ev, b, [buf]);
      const back = new Uint8Array(2);
      const rp2 = readv(ev, a, [back]);
      expect(await writev(ev, a, [text("abc")])).to.deep.equal({ ret: 3, perrno: 0 });
      expect(await rp).to.deep.equal({ ret: 3, perrno: 0 });
      expect(str(buf)).to.equal("abc");
      expect(await writev(ev, b, [text("ok")])).to.deep.equal({ ret: 2, perrno: 0 });
      expect(await rp2).to.deep.equal({ ret: 2, perrno: 0 });
      expect(str(back)).to.equal("ok");
    });

    it("readPdu reads a length-prefixed PDU through next_vector, in two vectors", async () => {
      const [a, b] = pair();
      const hdr = new Uint8Array(4);
      let body: Uint8Array | null = null;
      const calls: number[] = [];
      const next = (stream: TstreamContext, priv: { tag: string }) => {
        expect(stream).to.equal(b);
        expect(priv.tag).to.equal("pdu");
        calls.push(calls.length);
        if (calls.length === 1) return { ret: 0, vector: [hdr], count: 1 };
        if (calls.length === 2) {
          body = new Uint8Array(new DataView(hdr.buffer).getUint32(0));
          return { ret: 0, vector: [body], count: 1 };
        }
        return { ret: 0, vector: null, count: 0 };
      };
      const pdu = Buffer.alloc(4 + 7);
      pdu.writeUInt32BE(7, 0);
      pdu.write("payload", 4, "latin1");
      const rp = readPdu(ev, b, next, { tag: "pdu" });
      expect(await writev(ev, a, [new Uint8Array(pdu)])).to.deep.equal({ ret: 11, perrno: 0 });
      expect(await rp).to.deep.equal({ ret: 11, perrno: 0 });
      expect(calls).to.deep.equal([0, 1, 2]);
      expect(str(body)).to.equal("payload");
    });

    it("readPdu: next_vector's failure resolves { ret: -1, perrno } (EPROTO-style errno passed through)", async () => {
      const [, b] = pair();
      const r = await readPdu(ev, b, () => ({ ret: -1, errno: EINVAL, vector: null, count: 0 }), null);
      expect(r).to.deep.equal({ ret: -1, perrno: EINVAL });
    });

    it("sendto and recvfrom over UDP on 127.0.0.1: buf and src are children of opts.memCtx", async () => {
      const pa = freeUdpPort();
      const pb = freeUdpPort();
      const da = udp(pa);
      const db = udp(pb);
      const ctx = tallocNew(mem);
      const rp = recvfrom(ev, db, { memCtx: ctx });
      expect(await sendto(ev, da, text("ping"), inet("127.0.0.1", pb))).to.deep.equal({ ret: 4, perrno: 0 });
      const r = await rp;
      expect(r.ret).to.equal(4);
      expect(r.perrno).to.equal(0);
      expect(str(r.buf)).to.equal("ping");
      expect(tsocketAddressString(r.src as TsocketAddress, null)).to.equal(`ipv4:127.0.0.1:${pa}`);
      expect(tallocParent(r.buf)).to.equal(ctx);
      expect(tallocParent(r.src)).to.equal(ctx);
      /* the answer goes back to the reported src */
      const rp2 = recvfrom(ev, da);
      expect(await sendto(ev, db, text("pong!"), r.src)).to.deep.equal({ ret: 5, perrno: 0 });
      const r2 = await rp2;
      expect([r2.ret, r2.perrno, str(r2.buf)]).to.deep.equal([5, 0, "pong!"]);
      expect(tsocketAddressString(r2.src as TsocketAddress, null)).to.equal(`ipv4:127.0.0.1:${pb}`);
    });

    it("TCP on 127.0.0.1: listenReady, connectTcp and accept at once, data both ways, disconnect", async () => {
      const { listener, port } = await tcpListener();
      const ctx = tallocNew(mem);
      const ap = accept(ev, listener, { memCtx: ctx });
      const c = await connectTcp(ev, inet("127.0.0.1", 0), inet("127.0.0.1", port), { memCtx: ctx });
      expect([c.ret, c.perrno]).to.deep.equal([0, 0]);
      expect(tallocParent(c.stream)).to.equal(ctx);
      expect(tallocParent(c.local)).to.equal(ctx);
      const s = await ap;
      expect([s.ret, s.perrno]).to.deep.equal([0, 0]);
      expect(tallocParent(s.stream)).to.equal(ctx);
      /* the server sees the client's local address as the remote */
      expect(tsocketAddressString(s.remote as TsocketAddress, null))
        .to.equal(tsocketAddressString(c.local as TsocketAddress, null));
      const client = c.stream as TstreamContext;
      const server = s.stream as TstreamContext;
      expect(await writev(ev, client, [text("request")])).to.deep.equal({ ret: 7, perrno: 0 });
      const buf = new Uint8Array(7);
      expect(await readv(ev, server, [buf])).to.deep.equal({ ret: 7, perrno: 0 });
      expect(str(buf)).to.equal("request");
      expect(await writev(ev, server, [text("reply")])).to.deep.equal({ ret: 5, perrno: 0 });
      const buf2 = new Uint8Array(5);
      expect(await readv(ev, client, [buf2])).to.deep.equal({ ret: 5, perrno: 0 });
      expect(str(buf2)).to.equal("reply");
      /* the client goes: the server's next readv sees the end of the stream */
      expect(await disconnect(ev, client)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(await disconnect(ev, client)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      expect(await readv(ev, server, [new Uint8Array(1)])).to.deep.equal({ ret: -1, perrno: EPIPE });
    });

    it("connectUnix and accept on a unix listener", async () => {
      const sock = path.join(tmp, "s");
      const r = tstreamUnixListen(mem, unix(sock), 4);
      expect(r.ret).to.equal(0);
      const listener = r.listener as TstreamListener;
      expect(await listenReady(ev, listener)).to.deep.equal({ ret: 0, perrno: 0 });
      const [c, s] = await Promise.all([
        connectUnix(ev, unix(""), unix(sock), { memCtx: mem }),
        accept(ev, listener, { memCtx: mem }),
      ]);
      expect([c.ret, c.perrno, s.ret, s.perrno]).to.deep.equal([0, 0, 0, 0]);
      expect(tsocketAddressString(s.remote as TsocketAddress, null)).to.equal("unix:");
      const buf = new Uint8Array(4);
      const [w, rd] = await Promise.all([
        writev(ev, c.stream as TstreamContext, [text("unix")]),
        readv(ev, s.stream as TstreamContext, [buf]),
      ]);
      expect([w, rd]).to.deep.equal([{ ret: 4, perrno: 0 }, { ret: 4, perrno: 0 }]);
      expect(str(buf)).to.equal("unix");
    });

    it("disconnect on a TdgramContext is tdgram_disconnect (ENOTCONN the second time)", async () => {
      const d = udp(freeUdpPort());
      expect(await disconnect(ev, d)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(await disconnect(ev, d)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      expect(await sendto(ev, d, text("x"), inet("127.0.0.1", 9))).to.deep.equal({ ret: -1, perrno: ENOTCONN });
    });
  });

  describe("error results resolve, as C's errno convention", () => {
    it("connectTcp to a port nobody listens on resolves { ret: -1, perrno: ECONNREFUSED, stream: null, local: null }", async () => {
      const port = await closedPort();
      const r = await connectTcp(ev, inet("127.0.0.1", 0), inet("127.0.0.1", port));
      expect(r).to.deep.equal({ ret: -1, perrno: ECONNREFUSED, stream: null, local: null });
    });

    it("connectUnix to a missing path resolves { ret: -1, perrno: ENOENT, stream: null }", async () => {
      const r = await connectUnix(ev, unix(""), unix(path.join(tmp, "nobody")));
      expect(r).to.deep.equal({ ret: -1, perrno: ENOENT, stream: null });
    });

    it("a second readv on one stream resolves EBUSY; the first still gets the bytes", async () => {
      const [a, b] = pair();
      const buf = new Uint8Array(2);
      const first = readv(ev, b, [buf]);
      expect(await readv(ev, b, [new Uint8Array(1)])).to.deep.equal({ ret: -1, perrno: EBUSY });
      await writev(ev, a, [text("hi")]);
      expect(await first).to.deep.equal({ ret: 2, perrno: 0 });
      expect(str(buf)).to.equal("hi");
    });

    it("an empty vector resolves EINVAL (the generic layer's check, delivered through the loop)", async () => {
      const [a] = pair();
      expect(await writev(ev, a, [])).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(await readv(ev, a, [new Uint8Array(0)])).to.deep.equal({ ret: -1, perrno: EINVAL });
    });

    it("programming errors reject with a TypeError, and start nothing", async () => {
      const [a] = pair();
      const e1 = await rejection(readv({} as TeventContext, a, [new Uint8Array(1)]));
      expect(e1).to.be.instanceOf(TypeError);
      expect((e1 as Error).message).to.equal("readv: ev must be a TeventContext");
      const e2 = await rejection(readv(ev, {} as TstreamContext, [new Uint8Array(1)]));
      expect(e2).to.be.instanceOf(TypeError);
      expect((e2 as Error).message).to.equal("tstreamReadvSend: stream must be a TstreamContext");
      const e3 = await rejection(readv(ev, a, [new Uint8Array(1)], { signal: {} as AbortSignal }));
      expect(e3).to.be.instanceOf(TypeError);
      expect((e3 as Error).message).to.equal("readv: opts.signal must be an AbortSignal");
      expect(a.readvReq).to.equal(null);
      expect(awaitDriverState(ev).pending).to.equal(0);
    });
  });

  describe("several awaits and other loops on one context", () => {
    it("three awaits outstanding at once (a readv on each of two streams and an accept) complete in the order of their events", async () => {
      const [a1, b1] = pair();
      const [a2, b2] = pair();
      const { listener, port } = await tcpListener();
      const order: string[] = [];
      const buf1 = new Uint8Array(3);
      const buf2 = new Uint8Array(3);
      const p1 = readv(ev, b1, [buf1]).then((r) => { order.push("readv1"); return r; });
      const p2 = readv(ev, b2, [buf2]).then((r) => { order.push("readv2"); return r; });
      const p3 = accept(ev, listener, { memCtx: mem }).then((r) => { order.push("accept"); return r; });
      await nodeUntil(() => awaitDriverState(ev).parked, "the driver to park");
      expect(awaitDriverState(ev)).to.deep.equal({ pending: 3, running: true, parked: true });
      /* the events come from outside, while every await waits */
      expect(await writev(ev, a2, [text("two")])).to.deep.equal({ ret: 3, perrno: 0 });
      await nodeUntil(() => order.length === 1, "readv2");
      const sock = net.connect(port, "127.0.0.1");
      await nodeUntil(() => order.length === 2, "accept");
      expect(await writev(ev, a1, [text("one")])).to.deep.equal({ ret: 3, perrno: 0 });
      const [r1, r2, r3] = await Promise.all([p1, p2, p3]);
      expect(order).to.deep.equal(["readv2", "accept", "readv1"]);
      expect([r1, r2]).to.deep.equal([{ ret: 3, perrno: 0 }, { ret: 3, perrno: 0 }]);
      expect([str(buf1), str(buf2)]).to.deep.equal(["one", "two"]);
      expect([r3.ret, r3.perrno]).to.deep.equal([0, 0]);
      expect(tsocketAddressString(r3.remote as TsocketAddress, null))
        .to.equal(`ipv4:127.0.0.1:${sock.localPort as number}`);
      sock.destroy();
    });

    it("an await and a _send/_recv pair driven by teventReqPoll on one context: the pair's request completes first", async () => {
      const [a1, b1] = pair();
      const [a2, b2] = pair();
      const bufA = new Uint8Array(4);
      const bufP = new Uint8Array(4);
      const t0 = Date.now();
      const awaited = readv(ev, b1, [bufA]);
      const req = tstreamReadvSend(mem, ev, b2, [bufP], 1);
      const polled = teventReqPoll(req, ev);
      setTimeout(() => { tstreamWritevSend(mem, ev, a2, [text("poll")], 1); }, 20);
      setTimeout(() => { tstreamWritevSend(mem, ev, a1, [text("wait")], 1); }, 60);
      expect(await polled).to.equal(true);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(str(bufP)).to.equal("poll");
      expect(await awaited).to.deep.equal({ ret: 4, perrno: 0 });
      expect(str(bufA)).to.equal("wait");
      expect(Date.now() - t0).to.be.below(1000);
    });

    it("an await and a _send/_recv pair driven by teventReqPoll on one context: the await completes first, the poll still ends at once", async () => {
      const [a1, b1] = pair();
      const [a2, b2] = pair();
      const bufA = new Uint8Array(4);
      const bufP = new Uint8Array(4);
      const t0 = Date.now();
      const req = tstreamReadvSend(mem, ev, b2, [bufP], 1);
      let pollDone = 0;
      const polled = teventReqPoll(req, ev).then((ok) => { pollDone = Date.now() - t0; return ok; });
      const awaited = readv(ev, b1, [bufA]);
      setTimeout(() => { tstreamWritevSend(mem, ev, a1, [text("wait")], 1); }, 20);
      setTimeout(() => { tstreamWritevSend(mem, ev, a2, [text("poll")], 1); }, 60);
      expect(await awaited).to.deep.equal({ ret: 4, perrno: 0 });
      expect(str(bufA)).to.equal("wait");
      expect(pollDone).to.equal(0);
      expect(await polled).to.equal(true);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(str(bufP)).to.equal("poll");
      /* no 30 s stall of either loop */
      expect(pollDone).to.be.below(1000);
    });

    it("the driver parked first, a teventReqPoll started later: the poll gets its event and ends at once (the driver never takes an event a waiting loop waits for)", async () => {
      const [a1, b1] = pair();
      const [a2, b2] = pair();
      const bufP = new Uint8Array(2);
      const req = tstreamReadvSend(mem, ev, b2, [bufP], 1);
      const bufA = new Uint8Array(2);
      const awaited = readv(ev, b1, [bufA]);
      await nodeUntil(() => awaitDriverState(ev).parked && ev.waiters.length === 1, "the driver to park");
      const driverWake = ev.waiters[0];
      const t0 = Date.now();
      /* nothing new happens when the poll starts: it parks behind the driver */
      const polled = teventReqPoll(req, ev);
      await nodeUntil(() => ev.waiters.length === 2, "both loops to wait");
      expect(ev.waiters[0]).to.equal(driverWake);
      tstreamWritevSend(mem, ev, a2, [text("p!")], 1);
      expect(await polled).to.equal(true);
      expect(Date.now() - t0).to.be.below(1000);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(str(bufP)).to.equal("p!");
      expect(awaitDriverState(ev).pending).to.equal(1);
      tstreamWritevSend(mem, ev, a1, [text("a!")], 1);
      expect(await awaited).to.deep.equal({ ret: 2, perrno: 0 });
      expect(str(bufA)).to.equal("a!");
    });

    it("a teventLoopOnce of the user's waiting at the same time handles the await's event (one event, as C's loop)", async () => {
      const [a, b] = pair();
      const buf = new Uint8Array(3);
      let resolved = false;
      const awaited = readv(ev, b, [buf]).then((r) => { resolved = true; return r; });
      await nodeUntil(() => awaitDriverState(ev).parked, "the driver to park");
      const once = teventLoopOnce(ev);
      await nodeUntil(() => ev.waiters.length === 2, "both loops to wait");
      tstreamWritevSend(mem, ev, a, [text("one")], 1);
      expect(await once).to.equal(0);
      expect(await awaited).to.deep.equal({ ret: 3, perrno: 0 });
      expect(resolved).to.equal(true);
      expect(str(buf)).to.equal("one");
    });

    it("a handler that throws while the driver runs the loop rejects the outstanding awaits with that exception", async () => {
      const [, b] = pair();
      const boom = new Error("boom");
      const ctx = tallocNew(mem);
      const p = readv(ev, b, [new Uint8Array(1)], { memCtx: ctx });
      teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 5000), () => { throw boom; }, null);
      expect(await rejection(p)).to.equal(boom);
      /* the request was freed: the stream takes a new readv */
      expect(b.readvReq).to.equal(null);
    });

    it("the pair's callback and the await's completion come from one event each, whoever runs the loop", async () => {
      /* the _send/_recv pair sets a callback, as Samba code does, and is driven only by the awaits' driver */
      const [a1, b1] = pair();
      const [a2, b2] = pair();
      const bufP = new Uint8Array(3);
      let cbResult: { ret: number; perrno: number } | null = null;
      const req = tstreamReadvSend(mem, ev, b2, [bufP], 1);
      req.setCallback((r) => { cbResult = tstreamReadvRecv(r); });
      const bufA = new Uint8Array(3);
      const awaited = readv(ev, b1, [bufA]);
      tstreamWritevSend(mem, ev, a2, [text("cb!")], 1);
      setTimeout(() => { tstreamWritevSend(mem, ev, a1, [text("aw!")], 1); }, 30);
      expect(await awaited).to.deep.equal({ ret: 3, perrno: 0 });
      expect(cbResult).to.deep.equal({ ret: 3, perrno: 0 });
      expect([str(bufP), str(bufA)]).to.deep.equal(["cb!", "aw!"]);
    });

    it("teventLoopWait running at the same time: both the awaits and the loop end without stalling", async () => {
      const [a, b] = pair();
      const ticks: number[] = [];
      const t0 = Date.now();
      /* a chain of timers keeps teventLoopWait busy for ~80 ms, then its last event goes */
      let i = 0;
      const tick = (): void => {
        ticks.push(i);
        if (++i < 4) teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 20000), tick, null);
      };
      teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 20000), tick, null);
      const buf = new Uint8Array(5);
      const awaited = readv(ev, b, [buf]);
      setTimeout(() => { tstreamWritevSend(mem, ev, a, [text("later")], 1); }, 30);
      /* teventLoopWait goes on while the streams exist (their stand-in fds):
       * it is ended below by freeing them, then waking it with an immediate timer */
      const waited = teventLoopWait(ev).then((r) => ({ r, ms: Date.now() - t0 }));
      expect(await awaited).to.deep.equal({ ret: 5, perrno: 0 });
      expect(str(buf)).to.equal("later");
      await nodeUntil(() => ticks.length === 4, "the timers");
      tallocFree(a);
      tallocFree(b);
      teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 0), () => undefined, null);
      const w = await waited;
      expect(w.r).to.equal(0);
      expect(ticks).to.deep.equal([0, 1, 2, 3]);
      expect(w.ms).to.be.below(1000);
    });

    it("an await started inside a tevent handler runs no nested loop (no ELOOP); the user's loop, still running, completes it", async () => {
      const [a, b] = pair();
      const aborts: string[] = [];
      teventSetAbortFn((reason) => aborts.push(reason));
      try {
        const buf = new Uint8Array(6);
        let innerResult: { ret: number; perrno: number } | null = null;
        let nestingInHandler = -1;
        teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 0), () => {
          nestingInHandler = ev.nesting;
          void readv(ev, b, [buf]).then((r) => { innerResult = r; });
          expect(awaitDriverState(ev)).to.deep.equal({ pending: 1, running: true, parked: false });
          tstreamWritevSend(mem, ev, a, [text("nested")], 1);
        }, null);
        const t0 = Date.now();
        const until = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, 150000));
        expect(await teventReqPoll(until, ev)).to.equal(true);
        expect(Date.now() - t0).to.be.within(140, 1000);
        expect(nestingInHandler).to.equal(1);
        expect(innerResult).to.deep.equal({ ret: 6, perrno: 0 });
        expect(str(buf)).to.equal("nested");
        expect(aborts).to.deep.equal([]);
      } finally {
        teventSetAbortFn(null);
      }
    });

    it("an await started inside a handler of a loop that then stops is finished by the driver", async () => {
      const [a, b] = pair();
      const buf = new Uint8Array(4);
      let inner: Promise<{ ret: number; perrno: number }> | null = null;
      teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 0), () => {
        inner = readv(ev, b, [buf]);
      }, null);
      expect(await teventLoopOnce(ev)).to.equal(0);
      /* nobody runs the loop now but the driver */
      setTimeout(() => { tstreamWritevSend(mem, ev, a, [text("done")], 1); }, 10);
      expect(await (inner as unknown as Promise<unknown>)).to.deep.equal({ ret: 4, perrno: 0 });
      expect(str(buf)).to.equal("done");
    });
  });

  describe("abort", () => {
    it("abort in the middle of a read: the request is freed, the bytes copied stay consumed, later bytes go to a new readv", async () => {
      const [a, b] = pair();
      const ac = new AbortController();
      const buf = new Uint8Array(8);
      const p = readv(ev, b, [buf], { signal: ac.signal });
      expect(b.readvReq).to.not.equal(null);
      expect(await writev(ev, a, [text("abc")])).to.deep.equal({ ret: 3, perrno: 0 });
      /* the backend copies what arrives into the caller's buffer at once (C's readv(2)) */
      await nodeUntil(() => buf[2] === 0x63, "the first bytes to be copied");
      expect(str(buf.subarray(0, 3))).to.equal("abc");
      expect(tstreamPendingBytes(b)).to.equal(0);
      const reason = new Error("stop");
      ac.abort(reason);
      const e = await rejection(p);
      expect(e).to.be.instanceOf(TsocketAbortError);
      expect((e as TsocketAbortError).name).to.equal("AbortError");
      expect((e as TsocketAbortError).code).to.equal("ABORT_ERR");
      expect((e as TsocketAbortError).errno).to.equal(ECANCELED);
      expect((e as TsocketAbortError).cause).to.equal(reason);
      /* freed: the stream has no readv outstanding any more */
      expect(b.readvReq).to.equal(null);
      expect(awaitDriverState(ev).pending).to.equal(0);
      /* bytes arriving later are there for the next readv, and the aborted buffer is left alone */
      expect(await writev(ev, a, [text("defgh")])).to.deep.equal({ ret: 5, perrno: 0 });
      await nodeUntil(() => tstreamPendingBytes(b) === 5, "the later bytes");
      const next = new Uint8Array(5);
      expect(await readv(ev, b, [next])).to.deep.equal({ ret: 5, perrno: 0 });
      expect(str(next)).to.equal("defgh");
      expect(Array.from(buf.subarray(3))).to.deep.equal([0, 0, 0, 0, 0]);
    });

    it("a signal already aborted rejects at once and starts no I/O: the queued bytes stay queued", async () => {
      const [a, b] = pair();
      expect(await writev(ev, a, [text("kept")])).to.deep.equal({ ret: 4, perrno: 0 });
      await nodeUntil(() => tstreamPendingBytes(b) === 4, "the bytes");
      const ac = new AbortController();
      ac.abort();
      const buf = new Uint8Array(4);
      const e = await rejection(readv(ev, b, [buf], { signal: ac.signal }));
      expect(e).to.be.instanceOf(TsocketAbortError);
      expect((e as TsocketAbortError).errno).to.equal(ECANCELED);
      expect(b.readvReq).to.equal(null);
      expect(awaitDriverState(ev).pending).to.equal(0);
      expect(Array.from(buf)).to.deep.equal([0, 0, 0, 0]);
      expect(tstreamPendingBytes(b)).to.equal(4);
      /* the connect of a pre-aborted connectTcp never starts either */
      const port = await closedPort();
      const e2 = await rejection(connectTcp(ev, inet("127.0.0.1", 0), inet("127.0.0.1", port), { signal: ac.signal }));
      expect((e2 as TsocketAbortError).errno).to.equal(ECANCELED);
      expect(await readv(ev, b, [buf])).to.deep.equal({ ret: 4, perrno: 0 });
      expect(str(buf)).to.equal("kept");
    });

    it("an aborted accept hands the next connection to the next accept", async () => {
      const { listener, port } = await tcpListener();
      const ac = new AbortController();
      const first = accept(ev, listener, { signal: ac.signal });
      const second = accept(ev, listener, { memCtx: mem });
      expect(listener.acceptors.length).to.equal(2);
      ac.abort();
      expect(((await rejection(first)) as TsocketAbortError).errno).to.equal(ECANCELED);
      expect(listener.acceptors.length).to.equal(1);
      const sock = net.connect(port, "127.0.0.1");
      const r = await second;
      expect([r.ret, r.perrno]).to.deep.equal([0, 0]);
      sock.destroy();
    });

    it("aborting after completion changes nothing", async () => {
      const [a, b] = pair();
      const ac = new AbortController();
      const buf = new Uint8Array(2);
      const p = readv(ev, b, [buf], { signal: ac.signal });
      await writev(ev, a, [text("ok")]);
      expect(await p).to.deep.equal({ ret: 2, perrno: 0 });
      ac.abort();
      expect(str(buf)).to.equal("ok");
    });

    it("freeing opts.memCtx under an await cancels it: the promise rejects with ECANCELED", async () => {
      const [, b] = pair();
      const ctx = tallocNew(mem);
      const p = readv(ev, b, [new Uint8Array(1)], { memCtx: ctx });
      expect(tallocParent(b.readvReq)).to.equal(ctx);
      tallocFree(ctx);
      const e = await rejection(p);
      expect(e).to.be.instanceOf(TsocketAbortError);
      expect((e as TsocketAbortError).message).to.equal("readv: the request was freed");
      expect(b.readvReq).to.equal(null);
    });

    it("freeing the event context under an await rejects it with a TsocketLoopError (EINVAL)", async () => {
      const own = teventContextInit(null);
      const r = tstreamUnixSocketpair(mem, mem);
      const p = readv(own, r.stream2 as TstreamContext, [new Uint8Array(1)]);
      await nodeUntil(() => awaitDriverState(own).parked, "the driver to park");
      tallocFree(own);
      const e = await rejection(p);
      expect(e).to.be.instanceOf(TsocketLoopError);
      expect((e as TsocketLoopError).errno).to.equal(EINVAL);
      expect(awaitDriverState(own)).to.deep.equal({ pending: 0, running: false, parked: false });
    });
  });

  it("the driver stops when nothing is awaited, and starts again for the next await", async () => {
    const [a, b] = pair();
    expect(awaitDriverState(ev)).to.deep.equal({ pending: 0, running: false, parked: false });
    const p = readv(ev, b, [new Uint8Array(1)]);
    expect(awaitDriverState(ev)).to.deep.equal({ pending: 1, running: true, parked: false });
    await writev(ev, a, [text("x")]);
    expect(await p).to.deep.equal({ ret: 1, perrno: 0 });
    await nodeUntil(() => !awaitDriverState(ev).running, "the driver to stop");
    expect(ev.waiters.length).to.equal(0);
    const p2 = readv(ev, b, [new Uint8Array(1)]);
    await writev(ev, a, [text("y")]);
    expect(await p2).to.deep.equal({ ret: 1, perrno: 0 });
    await nodeUntil(() => !awaitDriverState(ev).running, "the driver to stop");
  });
});
