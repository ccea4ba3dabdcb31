// Listening stream sockets (an extension: the guide has none; see
// tsocket/bsd/listen.ts): TCP on 127.0.0.1 and ::1, unix listeners in a
// temporary directory.

import { expect } from "chai";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  EADDRINUSE, EBADF, ECONNREFUSED, EINPROGRESS, EINVAL, EPIPE, getErrno, setErrno, tallocFree, tallocNew,
  tallocParent, TeventContext, teventContextInit, TeventReq, teventReqIsInProgress,
  teventReqPoll, teventTimevalCurrentOfs, teventWakeupSend, TsocketAddress, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tsocketAddressUnixFromPath, tstreamAcceptRecv, tstreamAcceptSend, TstreamContext,
  tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend, tstreamInetTcpListen, TstreamListener,
  tstreamListenerAddress, tstreamListenReadyRecv, tstreamListenReadySend, tstreamReadvRecv, tstreamReadvSend,
  tstreamUnixConnectRecv, tstreamUnixConnectSend, tstreamUnixListen, tstreamWritevRecv, tstreamWritevSend,
} from "../../../index";

describe("listening stream sockets (extension: tstreamInetTcpListen, tstreamUnixListen, tstreamAccept)", function () {
  this.timeout(10000);
  let mem: object;
  let ev: TeventContext;
  let tmp: string;

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tstream-listen-test-"));
  });

  afterEach(() => {
    tallocFree(mem);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function inet(addr: string | null, port: number, fam = "ip"): TsocketAddress {
    const r = tsocketAddressInetFromStrings(mem, fam, addr, port);
    expect(r.ret).to.equal(0);
    return r.addr as TsocketAddress;
  }

  function unix(p: string): TsocketAddress {
    const r = tsocketAddressUnixFromPath(mem, p);
    expect(r.ret).to.equal(0);
    return r.addr as TsocketAddress;
  }

  async function poll(req: TeventReq): Promise<void> {
    expect(await teventReqPoll(req, ev)).to.equal(true);
  }

  async function runFor(ms: number): Promise<void> {
    const w = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, ms * 1000));
    await teventReqPoll(w, ev);
    tallocFree(w);
  }

  async function ready(l: TstreamListener): Promise<{ ret: number; perrno: number }> {
    const req = tstreamListenReadySend(mem, ev, l);
    await poll(req);
    return tstreamListenReadyRecv(req);
  }

  function listenTcp(host: string, port = 0): TstreamListener {
    const r = tstreamInetTcpListen(mem, inet(host, port), 16);
    expect(r.ret).to.equal(0);
    expect(r.errno).to.equal(0);
    return r.listener as TstreamListener;
  }

  async function connectTcp(host: string, port: number) {
    const req = tstreamInetTcpConnectSend(mem, ev, inet(host, 0), inet(host, port));
    await poll(req);
    return tstreamInetTcpConnectRecv(req, mem);
  }

  async function accept(l: TstreamListener) {
    const req = tstreamAcceptSend(mem, ev, l);
    await poll(req);
    return tstreamAcceptRecv(req, mem);
  }

  async function exchange(a: TstreamContext, b: TstreamContext, text: string): Promise<string> {
    const w = tstreamWritevSend(mem, ev, a, [Buffer.from(text)], 1);
    const buf = new Uint8Array(Buffer.byteLength(text));
    const r = tstreamReadvSend(mem, ev, b, [buf], 1);
    await poll(r);
    expect(tstreamReadvRecv(r)).to.deep.equal({ ret: buf.length, perrno: 0 });
    await poll(w);
    expect(tstreamWritevRecv(w)).to.deep.equal({ ret: buf.length, perrno: 0 });
    return Buffer.from(buf).toString();
  }

  for (const host of ["127.0.0.1", "::1"]) {
    const fam = host.includes(":") ? "ipv6" : "ipv4";
    it(`listen on ${host} port 0: the listener address carries the kernel's port; accept gives a stream and the peer's address`, async () => {
      const l = listenTcp(host);
      expect(tallocParent(l)).to.equal(mem);
      expect(await ready(l)).to.deep.equal({ ret: 0, perrno: 0 });
      const addr = tstreamListenerAddress(l, mem) as TsocketAddress;
      expect(tallocParent(addr)).to.equal(mem);
      const port = tsocketAddressInetPort(addr);
      expect(port).to.be.above(0);
      expect(addr.string(null)).to.equal(`${fam}:${host}:${port}`);
      const acc = tstreamAcceptSend(mem, ev, l);
      let called = 0;
      acc.setCallback(() => { called++; });
      const c = await connectTcp(host, port);
      expect(c.ret).to.equal(0);
      await poll(acc);
      expect(called).to.equal(1);
      const sub = tallocNew(mem);
      const a = tstreamAcceptRecv(acc, sub);
      expect(a.ret).to.equal(0);
      expect(a.perrno).to.equal(0);
      expect(tallocParent(a.stream)).to.equal(sub);
      expect(tallocParent(a.remote)).to.equal(sub);
      /* the peer's address is the connector's local address */
      expect((a.remote as TsocketAddress).string(null)).to.equal((c.local as TsocketAddress).string(null));
      expect(await exchange(c.stream as TstreamContext, a.stream as TstreamContext, "to server")).to.equal("to server");
      expect(await exchange(a.stream as TstreamContext, c.stream as TstreamContext, "to client")).to.equal("to client");
    });
  }

  it("before the bind ran, the listener address is null with EINPROGRESS; tstreamListenReadySend waits for it", async () => {
    const l = listenTcp("127.0.0.1");
    setErrno(0);
    expect(tstreamListenerAddress(l, mem)).to.equal(null);
    expect(getErrno()).to.equal(EINPROGRESS);
    const req = tstreamListenReadySend(mem, ev, l);
    expect(teventReqIsInProgress(req)).to.equal(true);
    await poll(req);
    expect(tstreamListenReadyRecv(req)).to.deep.equal({ ret: 0, perrno: 0 });
    expect(tstreamListenerAddress(l, mem)).to.be.an.instanceOf(TsocketAddress);
  });

  it("a port already listened on: EADDRINUSE through the ready request, every accept and the listener address", async () => {
    const first = listenTcp("127.0.0.1");
    await ready(first);
    const port = tsocketAddressInetPort(tstreamListenerAddress(first, mem) as TsocketAddress);
    const second = listenTcp("127.0.0.1", port);
    expect(await ready(second)).to.deep.equal({ ret: -1, perrno: EADDRINUSE });
    expect(await accept(second)).to.deep.equal({ ret: -1, perrno: EADDRINUSE, stream: null, remote: null });
    expect(await accept(second)).to.deep.equal({ ret: -1, perrno: EADDRINUSE, stream: null, remote: null });
    expect(tstreamListenerAddress(second, mem)).to.equal(null);
    expect(getErrno()).to.equal(EADDRINUSE);
  });

  it("an address of the wrong family is refused at once with EINVAL", () => {
    expect(tstreamInetTcpListen(mem, unix(path.join(tmp, "x")), 5)).to.deep.equal({ ret: -1, errno: EINVAL, listener: null });
    expect(getErrno()).to.equal(EINVAL);
    expect(tstreamUnixListen(mem, inet("127.0.0.1", 0), 5)).to.deep.equal({ ret: -1, errno: EINVAL, listener: null });
    expect(tstreamUnixListen(mem, unix(""), 5)).to.deep.equal({ ret: -1, errno: EINVAL, listener: null });
  });

  it("several accepts wait; connections go to them in order", async () => {
    const l = listenTcp("127.0.0.1");
    await ready(l);
    const port = tsocketAddressInetPort(tstreamListenerAddress(l, mem) as TsocketAddress);
    const a1 = tstreamAcceptSend(mem, ev, l);
    const a2 = tstreamAcceptSend(mem, ev, l);
    const order: TeventReq[] = [];
    a1.setCallback((r: TeventReq) => { order.push(r); });
    a2.setCallback((r: TeventReq) => { order.push(r); });
    const c1 = await connectTcp("127.0.0.1", port);
    await poll(a1);
    const c2 = await connectTcp("127.0.0.1", port);
    await poll(a2);
    expect(order).to.deep.equal([a1, a2]);
    const r1 = tstreamAcceptRecv(a1, mem);
    const r2 = tstreamAcceptRecv(a2, mem);
    expect((r1.remote as TsocketAddress).string(null)).to.equal((c1.local as TsocketAddress).string(null));
    expect((r2.remote as TsocketAddress).string(null)).to.equal((c2.local as TsocketAddress).string(null));
  });

  it("a connection that arrives before any accept waits in the backlog", async () => {
    const l = listenTcp("127.0.0.1");
    await ready(l);
    const port = tsocketAddressInetPort(tstreamListenerAddress(l, mem) as TsocketAddress);
    const c = await connectTcp("127.0.0.1", port);
    expect(c.ret).to.equal(0);
    const w = tstreamWritevSend(mem, ev, c.stream as TstreamContext, [Buffer.from("early")], 1);
    await runFor(30);
    const a = await accept(l);
    expect(a.ret).to.equal(0);
    const buf = new Uint8Array(5);
    const r = tstreamReadvSend(mem, ev, a.stream as TstreamContext, [buf], 1);
    await poll(r);
    expect(tstreamReadvRecv(r).ret).to.equal(5);
    expect(Buffer.from(buf).toString()).to.equal("early");
    await poll(w);
  });

  it("unix listener: its address is the path; accept gives a stream whose peer address is 'unix:'", async () => {
    const p = path.join(tmp, "srv.sock");
    const r = tstreamUnixListen(mem, unix(p), 4);
    expect(r.ret).to.equal(0);
    const l = r.listener as TstreamListener;
    /* a unix listener is bound at once */
    expect((tstreamListenerAddress(l, mem) as TsocketAddress).string(null)).to.equal(`unix:${p}`);
    expect(await ready(l)).to.deep.equal({ ret: 0, perrno: 0 });
    const creq = tstreamUnixConnectSend(mem, ev, unix(""), unix(p));
    const a = await accept(l);
    expect(a.ret).to.equal(0);
    expect((a.remote as TsocketAddress).string(null)).to.equal("unix:");
    await poll(creq);
    const c = tstreamUnixConnectRecv(creq, mem);
    expect(c.ret).to.equal(0);
    expect(await exchange(c.stream as TstreamContext, a.stream as TstreamContext, "over unix")).to.equal("over unix");
  });

  it("unix listener on an existing path: EADDRINUSE, as bind(2)", async () => {
    const p = path.join(tmp, "taken");
    fs.writeFileSync(p, "");
    const r = tstreamUnixListen(mem, unix(p), 4);
    expect(r.ret).to.equal(0);
    expect(await ready(r.listener as TstreamListener)).to.deep.equal({ ret: -1, perrno: EADDRINUSE });
  });

  it("freeing the listener closes it: new connections are refused, a waiting accept ends silently, a queued connection is closed", async () => {
    const l = listenTcp("127.0.0.1");
    await ready(l);
    const port = tsocketAddressInetPort(tstreamListenerAddress(l, mem) as TsocketAddress);
    const c = await connectTcp("127.0.0.1", port);
    await runFor(30); /* Node accepted it: it waits in the backlog */
    const waiting = tstreamAcceptSend(mem, ev, l);
    let called = 0;
    waiting.setCallback(() => { called++; });
    /* the waiting accept takes the queued connection first; a second waits */
    await poll(waiting);
    const taken = tstreamAcceptRecv(waiting, mem);
    expect(taken.ret).to.equal(0);
    const c2 = await connectTcp("127.0.0.1", port);
    await runFor(30);
    const waiting2 = tstreamAcceptSend(mem, ev, l);
    waiting2.setCallback(() => { called++; });
    tallocFree(waiting2);
    const waiting3 = tstreamAcceptSend(mem, ev, l);
    waiting3.setCallback(() => { called++; });
    tallocFree(l);
    await runFor(30);
    expect(called).to.equal(1);
    expect(teventReqIsInProgress(waiting3)).to.equal(false);
    /* waiting2 was freed before it took c2's connection, waiting3 ended with
     * the listener: the connection still queued was closed by the listener */
    const buf = new Uint8Array(1);
    const r = tstreamReadvSend(mem, ev, c2.stream as TstreamContext, [buf], 1);
    await poll(r);
    expect(tstreamReadvRecv(r).perrno).to.equal(EPIPE);
    const again = await connectTcp("127.0.0.1", port);
    expect(again.perrno).to.equal(ECONNREFUSED);
    /* an accept on a freed listener */
    expect(await accept(l)).to.deep.equal({ ret: -1, perrno: EBADF, stream: null, remote: null });
    expect(c.ret).to.equal(0);
  });

  it("an accept request freed after it took a connection closes that connection", async () => {
    const l = listenTcp("127.0.0.1");
    await ready(l);
    const port = tsocketAddressInetPort(tstreamListenerAddress(l, mem) as TsocketAddress);
    const acc = tstreamAcceptSend(mem, ev, l);
    const c = await connectTcp("127.0.0.1", port);
    await poll(acc);
    tallocFree(acc); /* done, never received */
    const r = tstreamReadvSend(mem, ev, c.stream as TstreamContext, [new Uint8Array(1)], 1);
    await poll(r);
    expect(tstreamReadvRecv(r).perrno).to.equal(EPIPE);
  });

  it("accepted streams are independent of the listener: they outlive it", async () => {
    const l = listenTcp("::1");
    await ready(l);
    const port = tsocketAddressInetPort(tstreamListenerAddress(l, mem) as TsocketAddress);
    const acc = tstreamAcceptSend(mem, ev, l);
    const c = await connectTcp("::1", port);
    await poll(acc);
    const a = tstreamAcceptRecv(acc, mem);
    tallocFree(l);
    expect(await exchange(c.stream as TstreamContext, a.stream as TstreamContext, "still here")).to.equal("still here");
  });

  it("a raw Node.js client is accepted too (the listener speaks plain TCP)", async () => {
    const l = listenTcp("127.0.0.1");
    await ready(l);
    const port = tsocketAddressInetPort(tstreamListenerAddress(l, mem) as TsocketAddress);
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.on("error", () => undefined);
    sock.write("raw");
    const a = await accept(l);
    const buf = new Uint8Array(3);
    const r = tstreamReadvSend(mem, ev, a.stream as TstreamContext, [buf], 1);
    await poll(r);
    expect(Buffer.from(buf).toString()).to.equal("raw");
    expect(tsocketAddressInetPort(a.remote as TsocketAddress)).to.equal(sock.localPort);
    sock.destroy();
  });
});
