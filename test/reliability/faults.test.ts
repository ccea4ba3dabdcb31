// Reliability, item 1 of issue 8: faults over real sockets (TCP on
// 127.0.0.1, unix streams in a temporary directory, UDP).  Every test
// asserts the exact answers (ret, perrno, bytes) and then that the same
// event context still serves a fresh stream (an echo over a socketpair).

import { expect } from "chai";
import { spawn } from "node:child_process";
import * as nodeDgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import {
  ECONNREFUSED, ECONNRESET, EMFILE, ENOENT, ENOTCONN, EPIPE, ETIMEDOUT, tallocFree, tallocNew, TdgramContext,
  tdgramInetUdpSocket, tdgramRecvfromRecv, tdgramRecvfromSend, tdgramSendtoRecv, tdgramSendtoSend, TeventContext,
  teventContextInit, teventReqIsError, teventReqIsInProgress, teventReqIsUnixError, teventReqPoll,
  teventReqSetCallback, teventReqSetEndtime, teventTimevalCurrentOfs, teventWakeupSend, TeventReq,
  TsocketAddress, tsocketAddressInetFromStrings, tsocketAddressInetPort, tsocketAddressUnixFromPath,
  tstreamAcceptRecv, tstreamAcceptSend, TstreamContext, tstreamDisconnectRecv, tstreamDisconnectSend,
  tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend, tstreamInetTcpListen, tstreamListenerAddress, tstreamListenReadyRecv, tstreamListenReadySend,
  tstreamPendingBytes, tstreamReadvPduRecv, tstreamReadvPduSend, tstreamReadvRecv, tstreamReadvSend,
  tstreamUnixConnectRecv, tstreamUnixConnectSend, tstreamUnixSocketpair, tstreamWritevRecv, tstreamWritevSend,
  TEVENT_REQ_TIMED_OUT, TstreamListener,
} from "../../index";
import { tstreamTlsConnectRecv, tstreamTlsConnectSend, TstreamTlsParams, tstreamTlsParamsClient, TLS_VERIFY_PEER_NO_CHECK } from "../../tsocket/tls";
import { activeHandles, closedTcpPort, closeServer, deafListener, DeafListener, nodeTurns, rawServer, RawServer, sleep } from "./peers";

const FIX = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "tls");
const pem = (name: string): string => fs.readFileSync(path.join(FIX, name), "utf8");

/* A PDU: a 4-byte big-endian length, then that many bytes. */
interface PduState { hdr: Uint8Array; body: Uint8Array | null; done: boolean }
function pduState(): PduState { return { hdr: new Uint8Array(4), body: null, done: false }; }
function pduNextVector(_s: TstreamContext, st: PduState, _m: unknown): { ret: number; vector: Uint8Array[] | null; count: number } {
  if (st.done) return { ret: 0, vector: null, count: 0 };
  if (st.body === null) {
    if (st.hdr[0] === 0 && st.hdr[1] === 0 && st.hdr[2] === 0 && st.hdr[3] === 0 && !(st as { asked?: boolean }).asked) {
      (st as { asked?: boolean }).asked = true;
      return { ret: 0, vector: [st.hdr], count: 1 };
    }
    const len = Buffer.from(st.hdr).readUInt32BE(0);
    st.body = new Uint8Array(len);
    return { ret: 0, vector: [st.body], count: 1 };
  }
  st.done = true;
  return { ret: 0, vector: null, count: 0 };
}
function pdu(body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length, 0);
  return Buffer.concat([h, body]);
}

describe("reliability: faults over real sockets", function () {
  this.timeout(10000);
  let mem: object;
  let ev: TeventContext;
  let tmp: string;
  const servers: RawServer[] = [];

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "faults-"));
  });
  afterEach(async () => {
    tallocFree(mem);
    for (const s of servers.splice(0)) await closeServer(s);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const inet = (addr: string | null, port: number, fam = "ip"): TsocketAddress => {
    const r = tsocketAddressInetFromStrings(mem, fam, addr, port);
    expect(r.ret).to.equal(0);
    return r.addr as TsocketAddress;
  };
  const unix = (p: string): TsocketAddress => {
    const r = tsocketAddressUnixFromPath(mem, p);
    expect(r.ret).to.equal(0);
    return r.addr as TsocketAddress;
  };
  async function server(where: { host: string } | { path: string }): Promise<RawServer> {
    const s = await rawServer(where);
    servers.push(s);
    return s;
  }
  async function runFor(e: TeventContext, ms: number): Promise<void> {
    const w = teventWakeupSend(null, e, teventTimevalCurrentOfs(0, ms * 1000));
    expect(await teventReqPoll(w, e)).to.equal(true);
    tallocFree(w);
  }
  async function poll(req: TeventReq, e: TeventContext = ev): Promise<void> {
    expect(await teventReqPoll(req, e)).to.equal(true);
  }
  async function tcpTo(s: RawServer): Promise<{ stream: TstreamContext; peer: net.Socket }> {
    const req = tstreamInetTcpConnectSend(mem, ev, inet("127.0.0.1", 0), inet("127.0.0.1", s.port));
    await poll(req);
    const r = tstreamInetTcpConnectRecv(req, mem);
    expect(r.ret).to.equal(0);
    const peer = await s.next();
    peer.resume();
    return { stream: r.stream as TstreamContext, peer };
  }
  async function unixTo(p: string, s: RawServer): Promise<{ stream: TstreamContext; peer: net.Socket }> {
    const req = tstreamUnixConnectSend(mem, ev, unix(""), unix(p));
    await poll(req);
    const r = tstreamUnixConnectRecv(req, mem);
    expect(r.ret).to.equal(0);
    const peer = await s.next();
    peer.resume();
    return { stream: r.stream as TstreamContext, peer };
  }
  async function readvPdu(stream: TstreamContext, e: TeventContext = ev) {
    const st = pduState();
    const req = tstreamReadvPduSend(mem, e, stream, pduNextVector, st);
    await poll(req, e);
    return { ...tstreamReadvPduRecv(req), st };
  }
  async function write(stream: TstreamContext, data: Uint8Array, e: TeventContext = ev) {
    const req = tstreamWritevSend(mem, e, stream, [data], 1);
    await poll(req, e);
    return tstreamWritevRecv(req);
  }
  async function read(stream: TstreamContext, n: number, e: TeventContext = ev) {
    const buf = new Uint8Array(n);
    const req = tstreamReadvSend(mem, e, stream, [buf], 1);
    await poll(req, e);
    return { ...tstreamReadvRecv(req), buf: Buffer.from(buf) };
  }
  /* the context still serves: an echo over a fresh socketpair, both ways */
  async function stillServes(e: TeventContext = ev): Promise<void> {
    const m = tallocNew(mem);
    const sp = tstreamUnixSocketpair(m, m);
    expect(sp.ret).to.equal(0);
    const [a, b] = [sp.stream1 as TstreamContext, sp.stream2 as TstreamContext];
    expect(await write(a, Buffer.from("ping"), e)).to.deep.equal({ ret: 4, perrno: 0 });
    const r1 = await read(b, 4, e);
    expect([r1.ret, r1.perrno, r1.buf.toString()]).to.deep.equal([4, 0, "ping"]);
    expect(await write(b, Buffer.from("pong!"), e)).to.deep.equal({ ret: 5, perrno: 0 });
    const r2 = await read(a, 5, e);
    expect([r2.ret, r2.perrno, r2.buf.toString()]).to.deep.equal([5, 0, "pong!"]);
    tallocFree(m);
  }
  const peerData = (peer: net.Socket): { got: Buffer[]; text(): string } => {
    const got: Buffer[] = [];
    peer.on("data", (d: Buffer) => got.push(d));
    return { got, text: () => Buffer.concat(got).toString("latin1") };
  };
  const closed = (peer: net.Socket): Promise<void> =>
    new Promise((r) => (peer.destroyed && peer.closed ? r() : peer.once("close", () => r())));

  describe("peer reset in the middle of a PDU", () => {
    it("TCP: the peer writes half a PDU then resets: readv_pdu fails ECONNRESET, and again on the next read", async () => {
      const s = await server({ host: "127.0.0.1" });
      const { stream, peer } = await tcpTo(s);
      const half = pdu(Buffer.alloc(100, 0x41)).subarray(0, 4 + 40);
      await new Promise<void>((r) => peer.write(half, () => r()));
      await sleep(20); /* the 44 bytes are in our socket before the reset */
      peer.resetAndDestroy();
      const r = await readvPdu(stream);
      expect({ ret: r.ret, perrno: r.perrno }).to.deep.equal({ ret: -1, perrno: ECONNRESET });
      expect(Buffer.from(r.st.hdr).readUInt32BE(0)).to.equal(100); /* the header was read whole */
      expect(tstreamPendingBytes(stream)).to.equal(-1);
      const again = await read(stream, 1);
      expect([again.ret, again.perrno]).to.deep.equal([-1, ECONNRESET]);
      await stillServes();
    });

    it("TCP: a reset before the header is complete gives ECONNRESET too", async () => {
      const s = await server({ host: "127.0.0.1" });
      const { stream, peer } = await tcpTo(s);
      await new Promise<void>((r) => peer.write(Buffer.from([0, 0]), () => r()));
      await sleep(20);
      peer.resetAndDestroy();
      const r = await readvPdu(stream);
      expect({ ret: r.ret, perrno: r.perrno }).to.deep.equal({ ret: -1, perrno: ECONNRESET });
      await stillServes();
    });

    it("unix: the peer writes half a PDU then closes: readv_pdu fails EPIPE (as C: readv() returns 0)", async () => {
      const p = path.join(tmp, "s");
      const s = await server({ path: p });
      const { stream, peer } = await unixTo(p, s);
      await new Promise<void>((r) => peer.write(pdu(Buffer.alloc(100, 0x42)).subarray(0, 50), () => r()));
      peer.destroy();
      const r = await readvPdu(stream);
      expect({ ret: r.ret, perrno: r.perrno }).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(Buffer.from(r.st.hdr).readUInt32BE(0)).to.equal(100);
      expect(Buffer.from(r.st.body as Uint8Array).subarray(0, 46).equals(Buffer.alloc(46, 0x42))).to.equal(true);
      await stillServes();
    });

    it("a whole PDU sent before the reset is still delivered intact, the reset only after it", async () => {
      const s = await server({ host: "127.0.0.1" });
      const { stream, peer } = await tcpTo(s);
      const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff));
      await new Promise<void>((r) => peer.write(Buffer.concat([pdu(body), pdu(body).subarray(0, 10)]), () => r()));
      await sleep(20);
      peer.resetAndDestroy();
      const r1 = await readvPdu(stream);
      expect([r1.ret, r1.perrno]).to.deep.equal([4 + 3000, 0]);
      expect(Buffer.from(r1.st.body as Uint8Array).equals(body)).to.equal(true);
      const r2 = await readvPdu(stream);
      expect([r2.ret, r2.perrno]).to.deep.equal([-1, ECONNRESET]);
      await stillServes();
    });
  });

  describe("half-close", () => {
    for (const kind of ["tcp", "unix"] as const) {
      it(`${kind}: the peer end()s while we still write: our writes arrive whole, our readv then sees EPIPE`, async () => {
        let conn: { stream: TstreamContext; peer: net.Socket };
        if (kind === "tcp") {
          conn = await tcpTo(await server({ host: "127.0.0.1" }));
        } else {
          const p = path.join(tmp, "h");
          conn = await unixTo(p, await server({ path: p }));
        }
        const { stream, peer } = conn;
        const seen = peerData(peer);
        peer.end("last words");
        const lw = await read(stream, 10);
        expect([lw.ret, lw.perrno, lw.buf.toString()]).to.deep.equal([10, 0, "last words"]);
        await runFor(ev, 20); /* the FIN is in */
        const big = Buffer.alloc(200000, 0x5a);
        expect(await write(stream, Buffer.from("abc"))).to.deep.equal({ ret: 3, perrno: 0 });
        expect(await write(stream, big)).to.deep.equal({ ret: big.length, perrno: 0 });
        const eof = await read(stream, 1);
        expect([eof.ret, eof.perrno]).to.deep.equal([-1, EPIPE]);
        for (let i = 0; i < 50 && Buffer.concat(seen.got).length < 3 + big.length; i++) await sleep(10);
        const all = Buffer.concat(seen.got);
        expect(all.length).to.equal(3 + big.length);
        expect(all.subarray(0, 3).toString()).to.equal("abc");
        expect(all.subarray(3).equals(big)).to.equal(true);
        await stillServes();
      });
    }

    it("tcp: we disconnect while the peer still writes: disconnect returns 0, the stream then answers ENOTCONN, the peer sees its connection go", async () => {
      const { stream, peer } = await tcpTo(await server({ host: "127.0.0.1" }));
      let peerErr: string | null = null;
      peer.on("error", (e: NodeJS.ErrnoException) => { peerErr = e.code ?? "?"; });
      let writing = true;
      const chunk = Buffer.alloc(65536, 0x33);
      const pump = (): void => {
        while (writing && !peer.destroyed && peer.write(chunk)) { /* fill */ }
        if (writing && !peer.destroyed) peer.once("drain", pump);
      };
      pump();
      const first = await read(stream, 1000);
      expect([first.ret, first.perrno]).to.deep.equal([1000, 0]);
      expect(first.buf.equals(chunk.subarray(0, 1000))).to.equal(true);
      const dreq = tstreamDisconnectSend(mem, ev, stream);
      await poll(dreq);
      expect(tstreamDisconnectRecv(dreq)).to.deep.equal({ ret: 0, perrno: 0 });
      const rd = await read(stream, 1);
      expect([rd.ret, rd.perrno]).to.deep.equal([-1, ENOTCONN]);
      expect(await write(stream, Buffer.from("x"))).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      await Promise.race([closed(peer), sleep(2000)]);
      writing = false;
      expect(peer.destroyed).to.equal(true);
      expect(peerErr).to.be.oneOf(["ECONNRESET", "EPIPE"]);
      await stillServes();
    });

    it("unix: we disconnect while the peer still writes: the same answers, the peer gets EPIPE", async () => {
      const p = path.join(tmp, "w");
      const { stream, peer } = await unixTo(p, await server({ path: p }));
      let peerErr: string | null = null;
      peer.on("error", (e: NodeJS.ErrnoException) => { peerErr = e.code ?? "?"; });
      let writing = true;
      const chunk = Buffer.alloc(65536, 0x34);
      const pump = (): void => {
        while (writing && !peer.destroyed && peer.write(chunk)) { /* fill */ }
        if (writing && !peer.destroyed) peer.once("drain", pump);
      };
      pump();
      const first = await read(stream, 10);
      expect([first.ret, first.perrno]).to.deep.equal([10, 0]);
      const dreq = tstreamDisconnectSend(mem, ev, stream);
      await poll(dreq);
      expect(tstreamDisconnectRecv(dreq)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(await write(stream, Buffer.from("x"))).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      await Promise.race([closed(peer), sleep(2000)]);
      writing = false;
      expect(peer.destroyed).to.equal(true);
      expect(peerErr).to.be.oneOf(["EPIPE", "ECONNRESET"]);
      await stillServes();
    });
  });

  describe("connect refused / never answered", () => {
    it("TCP to a closed port: ECONNREFUSED, no stream, no handle left", async () => {
      const port = await closedTcpPort();
      await nodeTurns();
      const before = activeHandles();
      const req = tstreamInetTcpConnectSend(mem, ev, inet("127.0.0.1", 0), inet("127.0.0.1", port));
      await poll(req);
      expect(tstreamInetTcpConnectRecv(req, mem)).to.deep.equal({ ret: -1, perrno: ECONNREFUSED, stream: null, local: null });
      await nodeTurns();
      expect(activeHandles()).to.equal(before);
      await stillServes();
    });

    it("unix to a missing path: ENOENT; to a path that is not a socket: ECONNREFUSED", async () => {
      const r1 = tstreamUnixConnectSend(mem, ev, unix(""), unix(path.join(tmp, "nope")));
      await poll(r1);
      expect(tstreamUnixConnectRecv(r1, mem)).to.deep.equal({ ret: -1, perrno: ENOENT, stream: null });
      const file = path.join(tmp, "file");
      fs.writeFileSync(file, "x");
      const r2 = tstreamUnixConnectSend(mem, ev, unix(""), unix(file));
      await poll(r2);
      expect(tstreamUnixConnectRecv(r2, mem)).to.deep.equal({ ret: -1, perrno: ECONNREFUSED, stream: null });
      await stillServes();
    });

    it("a connect that never answers (127.0.0.1, accept queue full) with teventReqSetEndtime: TEVENT_REQ_TIMED_OUT, ETIMEDOUT, the socket closed, no handle left", async function () {
      this.timeout(8000);
      const deaf = await deafListener();
      try {
        /* the last filler is itself stuck: nobody answers this port */
        expect(deaf.fillers.length).to.be.greaterThan(1);
        expect(deaf.fillers[deaf.fillers.length - 1].connecting).to.equal(true);
        await nodeTurns();
        const before = activeHandles();
        const req = tstreamInetTcpConnectSend(mem, ev, inet("127.0.0.1", 0), inet("127.0.0.1", deaf.port));
        let called = 0;
        teventReqSetCallback(req, () => { called++; });
        expect(teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(0, 300000))).to.equal(true);
        await nodeTurns();
        expect(activeHandles()).to.equal(before + 1); /* the connecting socket */
        const t0 = Date.now();
        await poll(req);
        const took = Date.now() - t0;
        expect(took).to.be.within(250, 2000);
        expect(called).to.equal(1);
        expect(teventReqIsError(req)).to.deep.equal({ ret: true, state: TEVENT_REQ_TIMED_OUT, error: 0 });
        expect(teventReqIsUnixError(req)).to.deep.equal({ ret: true, perrno: ETIMEDOUT });
        expect(tstreamInetTcpConnectRecv(req, mem)).to.deep.equal({ ret: -1, perrno: ETIMEDOUT, stream: null, local: null });
        tallocFree(req);
        await nodeTurns();
        expect(activeHandles()).to.equal(before);
        await stillServes();
      } finally {
        deaf.close();
      }
    });

    it("a never-answered connect freed without being received closes its socket too", async () => {
      const deaf = await deafListener();
      try {
        await nodeTurns();
        const before = activeHandles();
        const req = tstreamInetTcpConnectSend(mem, ev, inet("127.0.0.1", 0), inet("127.0.0.1", deaf.port));
        teventReqSetEndtime(req, ev, teventTimevalCurrentOfs(0, 100000));
        await poll(req);
        expect(teventReqIsUnixError(req)).to.deep.equal({ ret: true, perrno: ETIMEDOUT });
        tallocFree(req);
        await nodeTurns();
        expect(activeHandles()).to.equal(before);
        await stillServes();
      } finally {
        deaf.close();
      }
    });
  });

  describe("a datagram to a port nobody listens on", () => {
    /* a UDP port the kernel gave out and took back */
    function deadPort(): Promise<number> {
      const sock = nodeDgram.createSocket("udp4");
      return new Promise<number>((res) => sock.bind(0, "127.0.0.1", () => {
        const port = sock.address().port;
        sock.close(() => res(port));
      }));
    }

    it("connected UDP: the sendto succeeds, the next operation fails ECONNREFUSED", async () => {
      const port = await deadPort();
      const r = tdgramInetUdpSocket(inet("127.0.0.1", 0), inet("127.0.0.1", port), mem);
      expect([r.ret, r.errno]).to.deep.equal([0, 0]);
      const dgram = r.dgram as TdgramContext;
      const s1 = tdgramSendtoSend(mem, ev, dgram, Buffer.from("hello"), 5, null);
      await poll(s1);
      expect(tdgramSendtoRecv(s1)).to.deep.equal({ ret: 5, perrno: 0 });
      await sleep(20); /* the ICMP port unreachable comes back */
      const rf = tdgramRecvfromSend(mem, ev, dgram);
      await poll(rf);
      expect(tdgramRecvfromRecv(rf, mem)).to.deep.equal({ ret: -1, perrno: ECONNREFUSED, buf: null, src: null });
      await stillServes();
    });

    it("connected UDP: a second sendto after the ICMP error fails ECONNREFUSED", async () => {
      const port = await deadPort();
      const r = tdgramInetUdpSocket(inet("127.0.0.1", 0), inet("127.0.0.1", port), mem);
      const dgram = r.dgram as TdgramContext;
      const s1 = tdgramSendtoSend(mem, ev, dgram, Buffer.from("hello"), 5, null);
      await poll(s1);
      expect(tdgramSendtoRecv(s1)).to.deep.equal({ ret: 5, perrno: 0 });
      await sleep(20);
      const s2 = tdgramSendtoSend(mem, ev, dgram, Buffer.from("again"), 5, null);
      await poll(s2);
      expect(tdgramSendtoRecv(s2)).to.deep.equal({ ret: -1, perrno: ECONNREFUSED });
      await stillServes();
    });

    it("unconnected UDP: every sendto succeeds, and a recvfrom gets no error", async () => {
      const port = await deadPort();
      const r = tdgramInetUdpSocket(inet("127.0.0.1", 0), null, mem);
      const dgram = r.dgram as TdgramContext;
      const dst = inet("127.0.0.1", port);
      for (const m of ["one", "two", "three"]) {
        const s = tdgramSendtoSend(mem, ev, dgram, Buffer.from(m), m.length, dst);
        await poll(s);
        expect(tdgramSendtoRecv(s)).to.deep.equal({ ret: m.length, perrno: 0 });
        await sleep(10);
      }
      const rf = tdgramRecvfromSend(mem, ev, dgram);
      teventReqSetEndtime(rf, ev, teventTimevalCurrentOfs(0, 100000));
      await poll(rf);
      expect(tdgramRecvfromRecv(rf, mem)).to.deep.equal({ ret: -1, perrno: ETIMEDOUT, buf: null, src: null });
      await stillServes();
    });
  });

  describe("descriptor exhaustion", () => {
    it("EMFILE becomes an errno on the request, never an exception; the same context connects again once descriptors are free", async function () {
      this.timeout(8000);
      const s = await server({ host: "127.0.0.1" });
      const p = path.join(tmp, "u");
      await server({ path: p });
      const child = path.join(__dirname, "emfile_child.js");
      const out = await new Promise<string>((resolve, reject) => {
        const c = spawn("bash", ["-c", `ulimit -n 64; exec "${process.execPath}" "${child}" ${s.port} "${p}"`],
                        { stdio: ["ignore", "pipe", "inherit"] });
        let buf = "";
        c.stdout.on("data", (d: Buffer) => { buf += d.toString(); });
        c.on("error", reject);
        c.on("exit", (code) => (code === 0 ? resolve(buf) : reject(new Error(`child exit ${code}: ${buf}`))));
      });
      const r = JSON.parse(out);
      expect(r.fillErr).to.equal("EMFILE");
      expect(r.tcpConnect).to.deep.equal({ polled: true, ret: -1, perrno: EMFILE, stream: null });
      expect(r.unixConnect).to.deep.equal({ polled: true, ret: -1, perrno: EMFILE, stream: null });
      expect(r.udpSocket).to.deep.equal({ ret: -1, errno: EMFILE, dgram: null });
      /* socketpair(2) says EMFILE in C; the port learns it from a plain open() */
      expect(r.socketpair.ret).to.equal(-1);
      expect(r.socketpair.errno).to.equal(EMFILE);
      expect(r.tcpConnectAfter).to.deep.equal({ polled: true, ret: 0, perrno: 0 });
    });
  });
  describe("freeing at every stage: the request, its stream/dgram, or the event context", function () {
    this.timeout(15000);
    type Target = "request" | "object" | "context";
    type Stage = "before" | "during" | "after";
    interface Op {
      /* the request on context e, its memCtx m; obj is what "object" frees (null: nothing to free yet) */
      send(e: TeventContext, m: object): TeventReq;
      obj(): object | null;
      trigger(): void;
      canPend: boolean;
      /* after completion: receive the result (when "object" frees what recv returned) */
      recv?(req: TeventReq, m: object): object | null;
    }
    let deaf: DeafListener;
    let ctls: TstreamTlsParams;
    before(async () => { deaf = await deafListener(); });
    after(() => { deaf.close(); });

    async function udpPort(): Promise<number> {
      const sock = nodeDgram.createSocket("udp4");
      return new Promise<number>((res) => sock.bind(0, "127.0.0.1", () => {
        const port = sock.address().port;
        sock.close(() => res(port));
      }));
    }

    const ops: Record<string, (stage: Stage) => Promise<Op>> = {
      connect: async (stage) => {
        const port = stage === "during" ? deaf.port : (await server({ host: "127.0.0.1" })).port;
        let stream: object | null = null;
        return {
          send: (e, m) => tstreamInetTcpConnectSend(m, e, inet("127.0.0.1", 0), inet("127.0.0.1", port)),
          obj: () => stream, trigger: () => undefined, canPend: stage === "during",
          recv: (req, m) => {
            const r = tstreamInetTcpConnectRecv(req, m);
            expect([r.ret, r.perrno]).to.deep.equal([0, 0]);
            return (stream = r.stream);
          },
        };
      },
      accept: async () => {
        const lr = tstreamInetTcpListen(mem, inet("127.0.0.1", 0), 8);
        expect(lr.ret).to.equal(0);
        const listener = lr.listener as TstreamListener;
        const ready = tstreamListenReadySend(mem, ev, listener);
        await poll(ready);
        expect(tstreamListenReadyRecv(ready)).to.deep.equal({ ret: 0, perrno: 0 });
        const port = tsocketAddressInetPort(tstreamListenerAddress(listener, mem) as TsocketAddress);
        expect(port).to.be.greaterThan(0);
        const clients: net.Socket[] = [];
        return {
          send: (e, m) => tstreamAcceptSend(m, e, listener),
          obj: () => listener,
          trigger: () => {
            const c = net.connect({ host: "127.0.0.1", port });
            c.on("error", () => undefined);
            clients.push(c);
            setTimeout(() => c.destroy(), 300);
          },
          canPend: true,
        };
      },
      readv: async () => {
        const { stream, peer } = await tcpTo(await server({ host: "127.0.0.1" }));
        const buf = new Uint8Array(3);
        return {
          send: (e, m) => tstreamReadvSend(m, e, stream, [buf], 1), obj: () => stream,
          trigger: () => { if (!peer.destroyed) peer.write("xyz"); }, canPend: true,
        };
      },
      writev: async (stage) => {
        const s = await server({ host: "127.0.0.1" });
        const req = tstreamInetTcpConnectSend(mem, ev, inet("127.0.0.1", 0), inet("127.0.0.1", s.port));
        await poll(req);
        const stream = tstreamInetTcpConnectRecv(req, mem).stream as TstreamContext;
        const peer = await s.next(); /* paused: reads nothing until triggered */
        const data = Buffer.alloc(stage === "during" ? 32 * 1024 * 1024 : 3, 0x77);
        return {
          send: (e, m) => tstreamWritevSend(m, e, stream, [data], 1), obj: () => stream,
          trigger: () => { peer.resume(); }, canPend: true,
        };
      },
      readv_pdu: async () => {
        const { stream, peer } = await tcpTo(await server({ host: "127.0.0.1" }));
        const whole = pdu(Buffer.alloc(50, 0x61));
        peer.write(whole.subarray(0, 20));
        return {
          send: (e, m) => tstreamReadvPduSend(m, e, stream, pduNextVector, pduState()), obj: () => stream,
          trigger: () => { if (!peer.destroyed) peer.write(whole.subarray(20)); }, canPend: true,
        };
      },
      recvfrom: async () => {
        const port = await udpPort();
        const r = tdgramInetUdpSocket(inet("127.0.0.1", port), null, mem);
        expect(r.ret).to.equal(0);
        const dgram = r.dgram as TdgramContext;
        const sender = nodeDgram.createSocket("udp4");
        return {
          send: (e, m) => tdgramRecvfromSend(m, e, dgram), obj: () => dgram,
          trigger: () => { sender.send("dgram", port, "127.0.0.1", () => sender.close()); }, canPend: true,
        };
      },
      sendto: async () => {
        const sink = nodeDgram.createSocket("udp4");
        const port = await new Promise<number>((res) => sink.bind(0, "127.0.0.1", () => res(sink.address().port)));
        setTimeout(() => sink.close(), 500);
        const r = tdgramInetUdpSocket(inet("127.0.0.1", 0), null, mem);
        const dgram = r.dgram as TdgramContext;
        const dst = inet("127.0.0.1", port);
        return {
          send: (e, m) => tdgramSendtoSend(m, e, dgram, Buffer.from("datagram"), 8, dst), obj: () => dgram,
          trigger: () => undefined, canPend: false,
        };
      },
      tls_connect: async () => {
        const { stream, peer } = await tcpTo(await server({ host: "127.0.0.1" }));
        peer.pause();
        let tlsStream: object | null = null;
        return {
          send: (e, m) => tstreamTlsConnectSend(m, e, stream, ctls),
          obj: () => tlsStream,
          trigger: () => {
            if (peer.destroyed) return;
            const t = new tls.TLSSocket(peer, { isServer: true, key: pem("server-localhost-key.pem"), cert: pem("server-localhost.pem") });
            t.on("error", () => undefined);
          },
          canPend: true,
          recv: (req, m) => {
            const r = tstreamTlsConnectRecv(req, m);
            expect([r.ret, r.perrno]).to.deep.equal([0, 0]);
            return (tlsStream = r.tlsStream);
          },
        };
      },
    };

    for (const name of Object.keys(ops)) {
      for (const target of ["request", "object", "context"] as Target[]) {
        for (const stage of ["before", "during", "after"] as Stage[]) {
          /* before completion connect and TLS connect have no stream of their own yet */
          if (target === "object" && stage !== "after" && (name === "connect" || name === "tls_connect")) continue;
          it(`${name}: free the ${target} ${stage} completion: no callback after the free, no exception, the context serves on`, async () => {
            ctls = tstreamTlsParamsClient(mem, null, null, null, TLS_VERIFY_PEER_NO_CHECK, null).tlsp as TstreamTlsParams;
            const op = await ops[name](stage);
            const e2 = teventContextInit(mem);
            const m = tallocNew(mem);
            let e2Alive = true;
            const settle = async (ms: number) => {
              if (e2Alive) await runFor(e2, ms);
              else await sleep(ms);
            };
            const req = op.send(e2, m);
            let called = 0;
            teventReqSetCallback(req, () => { called++; });
            if (stage === "during") {
              await nodeTurns();
              /* a sendto cannot be held pending: "during" is before the loop ran its completion */
              if (op.canPend) await settle(30);
              if (op.canPend) expect(teventReqIsInProgress(req)).to.equal(true);
              expect(called).to.equal(0);
            }
            if (stage === "after") {
              op.trigger();
              await poll(req, e2);
              expect(called).to.equal(1);
              if (target === "object" && op.recv !== undefined) op.recv(req, m);
            }
            const calledAtFree = called;
            const obj = target === "request" ? req : target === "object" ? op.obj() : e2;
            expect(obj).to.not.equal(null);
            tallocFree(obj as object);
            if (target === "context") e2Alive = false;
            if (stage !== "after") op.trigger();
            await nodeTurns();
            await settle(60);
            expect(called).to.equal(calledAtFree);
            tallocFree(m);
            await nodeTurns();
            await stillServes(e2Alive ? e2 : ev);
            if (e2Alive) tallocFree(e2);
            expect(called).to.equal(calledAtFree);
          });
        }
      }
    }
  });
});
