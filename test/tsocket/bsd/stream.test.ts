// The BSD stream backend (the stream half of tsocket_bsd.c) over real
// sockets: TCP on 127.0.0.1 and ::1, unix streams in a temporary directory.
// Tests are named after the sentences of seeds/tsocket_guide.txt they
// check; "(checked against libsamba-sockets)" marks values read off the C
// library (Samba 4.17) with the same scenario written in C.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
  EADDRINUSE, EADDRNOTAVAIL, EBADF, EBUSY, ECONNREFUSED, ECONNRESET, EINVAL, ENOENT, ENOTCONN, ENOTSOCK,
  EOPNOTSUPP, EPIPE, getErrno, setErrno, tallocFree, tallocNew, tallocParent, TeventContext, teventContextInit,
  teventLoopOnce, TeventReq, teventTimevalCurrentOfs, teventWakeupSend, teventReqIsInProgress, teventReqPoll, TsocketAddress, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tsocketAddressUnixFromPath, TstreamBsd, tstreamBsdExistingSocket,
  tstreamBsdOptimizeReadv, TstreamContext, tstreamDisconnectRecv, tstreamDisconnectSend,
  tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend, tstreamPendingBytes, tstreamReadvRecv,
  tstreamReadvSend, tstreamUnixConnectRecv, tstreamUnixConnectSend, tstreamUnixSocketpair, tstreamWritevRecv,
  tstreamWritevSend, TSTREAM_BSD_READ_BUFFER_LIMIT,
} from "../../../index";
import { memstreamPair } from "../memstream";
import { socketpairTransfer } from "./transfer";

function inet(mem: object, addr: string | null, port: number, fam = "ip"): TsocketAddress {
  const r = tsocketAddressInetFromStrings(mem, fam, addr, port);
  expect(r.ret).to.equal(0);
  return r.addr as TsocketAddress;
}

function unix(mem: object, p: string): TsocketAddress {
  const r = tsocketAddressUnixFromPath(mem, p);
  expect(r.ret).to.equal(0);
  return r.addr as TsocketAddress;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/* A plain Node.js listener, as the C checks used a plain accept(2)ed socket. */
interface RawPeer {
  server: net.Server;
  port: number;
  accepted: Promise<net.Socket>;
}

function rawTcpPeer(host: string): Promise<RawPeer> {
  return new Promise((resolve) => {
    let acceptedResolve: (s: net.Socket) => void = () => undefined;
    const accepted = new Promise<net.Socket>((r) => { acceptedResolve = r; });
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => {
      s.on("error", () => undefined);
      acceptedResolve(s);
    });
    server.listen({ host, port: 0 }, () => {
      resolve({ server, port: (server.address() as net.AddressInfo).port, accepted });
    });
  });
}

/* A port nobody listens on: one the kernel just gave out and took back. */
async function closedPort(host: string): Promise<number> {
  const peer = await rawTcpPeer(host);
  await new Promise<void>((resolve) => peer.server.close(() => resolve()));
  return peer.port;
}

describe("tstream bsd backend (tsocket_bsd.c) over real sockets", function () {
  this.timeout(10000);
  let mem: object;
  let ev: TeventContext;
  let tmp: string;
  const rawServers: net.Server[] = [];

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tstream-bsd-test-"));
  });

  afterEach(() => {
    tallocFree(mem);
    for (const s of rawServers.splice(0)) s.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function raw(host: string): Promise<RawPeer> {
    const p = await rawTcpPeer(host);
    rawServers.push(p.server);
    return p;
  }

  /* run the loop for ms milliseconds */
  async function runFor(ms: number): Promise<void> {
    const w = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, ms * 1000));
    await teventReqPoll(w, ev);
    tallocFree(w);
  }

  async function poll(req: TeventReq): Promise<void> {
    expect(await teventReqPoll(req, ev)).to.equal(true);
  }

  async function tcpConnect(local: TsocketAddress, remote: TsocketAddress) {
    const req = tstreamInetTcpConnectSend(mem, ev, local, remote);
    await poll(req);
    return tstreamInetTcpConnectRecv(req, mem);
  }

  async function unixConnect(local: TsocketAddress, remote: TsocketAddress) {
    const req = tstreamUnixConnectSend(mem, ev, local, remote);
    await poll(req);
    return tstreamUnixConnectRecv(req, mem);
  }

  /* our stream connected to a plain Node.js socket that reads nothing until told */
  async function tcpToRaw(host: string): Promise<{ stream: TstreamContext; peer: net.Socket }> {
    const p = await raw(host);
    const r = await tcpConnect(inet(mem, host, 0), inet(mem, host, p.port));
    expect(r.ret).to.equal(0);
    return { stream: r.stream as TstreamContext, peer: await p.accepted };
  }

  async function writeBytes(s: TstreamContext, data: Uint8Array): Promise<{ ret: number; perrno: number }> {
    const req = tstreamWritevSend(mem, ev, s, [data], 1);
    await poll(req);
    return tstreamWritevRecv(req);
  }

  async function readBytes(s: TstreamContext, n: number): Promise<{ ret: number; perrno: number; buf: Uint8Array }> {
    const buf = new Uint8Array(n);
    const req = tstreamReadvSend(mem, ev, s, [buf], 1);
    await poll(req);
    return { ...tstreamReadvRecv(req), buf };
  }

  function pending(s: TstreamContext): { ret: number; errno: number } {
    setErrno(0);
    const ret = tstreamPendingBytes(s);
    return { ret, errno: ret === -1 ? getErrno() : 0 };
  }

  function pair(): { s1: TstreamContext; s2: TstreamContext } {
    const sp = tstreamUnixSocketpair(mem, mem);
    expect(sp.ret).to.equal(0);
    return { s1: sp.stream1 as TstreamContext, s2: sp.stream2 as TstreamContext };
  }

  describe("tstream_inet_tcp_connect_send / _recv", () => {
    for (const host of ["127.0.0.1", "::1"]) {
      it(`guide: 'returns -1 and sets *perrno to the actual errno on failure': a closed port on ${host} gives ECONNREFUSED (checked against libsamba-sockets)`, async () => {
        const port = await closedPort(host);
        const r = await tcpConnect(inet(mem, null, 0, host.includes(":") ? "ipv6" : "ipv4"), inet(mem, host, port));
        expect(r).to.deep.equal({ ret: -1, perrno: ECONNREFUSED, stream: null, local: null });
      });

      it(`guide: 'The callback is triggered when a socket is connected and ready for IO' (${host}); recv returns the stream and the local address the kernel bound`, async () => {
        const p = await raw(host);
        const req = tstreamInetTcpConnectSend(mem, ev, inet(mem, host, 0), inet(mem, host, p.port));
        let called = 0;
        req.setCallback(() => { called++; });
        expect(teventReqIsInProgress(req)).to.equal(true);
        expect(called).to.equal(0);
        await poll(req);
        expect(called).to.equal(1);
        const sub = tallocNew(mem);
        const r = tstreamInetTcpConnectRecv(req, sub);
        expect(r.ret).to.equal(0);
        expect(r.perrno).to.equal(0);
        const stream = r.stream as TstreamContext;
        const local = r.local as TsocketAddress;
        expect(tallocParent(stream)).to.equal(sub);
        expect(tallocParent(local)).to.equal(sub);
        const peer = await p.accepted;
        expect(tsocketAddressInetPort(local)).to.equal(peer.remotePort);
        expect(local.string(null)).to.equal(`${host.includes(":") ? "ipv6" : "ipv4"}:${host}:${peer.remotePort}`);
        peer.resume();
        const got = new Promise<string>((resolve) => peer.once("data", (d: Buffer) => resolve(d.toString())));
        expect(await writeBytes(stream, Buffer.from("ping"))).to.deep.equal({ ret: 4, perrno: 0 });
        expect(await got).to.equal("ping");
        peer.write("pong");
        const rd = await readBytes(stream, 4);
        expect(rd.ret).to.equal(4);
        expect(Buffer.from(rd.buf).toString()).to.equal("pong");
      });
    }

    it("a local address of another family than the remote gives EINVAL (checked against libsamba-sockets)", async () => {
      const r = await tcpConnect(inet(mem, "127.0.0.1", 0), inet(mem, "::1", 1));
      expect(r).to.deep.equal({ ret: -1, perrno: EINVAL, stream: null, local: null });
    });

    it("guide: 'local_address has to be an inet tsocket_address': a unix local gives EINVAL, delivered from the loop (checked against libsamba-sockets)", async () => {
      const req = tstreamInetTcpConnectSend(mem, ev, unix(mem, ""), inet(mem, "127.0.0.1", 1));
      let called = 0;
      req.setCallback(() => { called++; });
      expect(called).to.equal(0);
      expect(await teventLoopOnce(ev)).to.equal(0);
      expect(called).to.equal(1);
      expect(tstreamInetTcpConnectRecv(req, mem)).to.deep.equal({ ret: -1, perrno: EINVAL, stream: null, local: null });
    });

    it("binding the local address to a port in use gives EADDRINUSE (checked against libsamba-sockets)", async () => {
      const p = await raw("127.0.0.1");
      const r = await tcpConnect(inet(mem, "127.0.0.1", p.port), inet(mem, "127.0.0.1", p.port));
      expect(r).to.deep.equal({ ret: -1, perrno: EADDRINUSE, stream: null, local: null });
    });

    it("binding a local address the host does not have gives EADDRNOTAVAIL (checked against libsamba-sockets)", async () => {
      const p = await raw("127.0.0.1");
      const r = await tcpConnect(inet(mem, "192.0.2.1", 0), inet(mem, "127.0.0.1", p.port));
      expect(r).to.deep.equal({ ret: -1, perrno: EADDRNOTAVAIL, stream: null, local: null });
    });

    it("a local address with a port is bound: the stream's local address carries it", async () => {
      const free = await closedPort("127.0.0.1");
      const p = await raw("127.0.0.1");
      const r = await tcpConnect(inet(mem, "127.0.0.1", free), inet(mem, "127.0.0.1", p.port));
      expect(r.ret).to.equal(0);
      expect((r.local as TsocketAddress).string(null)).to.equal(`ipv4:127.0.0.1:${free}`);
      expect((await p.accepted).remotePort).to.equal(free);
    });

    it("freeing a connect request before it completes closes the socket (the peer sees end of stream)", async () => {
      const p = await raw("127.0.0.1");
      const req = tstreamInetTcpConnectSend(mem, ev, inet(mem, "127.0.0.1", 0), inet(mem, "127.0.0.1", p.port));
      const peer = await p.accepted;
      tallocFree(req);
      peer.resume();
      await new Promise<void>((resolve) => peer.once("end", () => resolve()));
    });
  });

  describe("tstream_unix_connect_send / _recv", () => {
    it("guide: 'returns -1 and sets *perrno': a missing path gives ENOENT (checked against libsamba-sockets)", async () => {
      const r = await unixConnect(unix(mem, ""), unix(mem, path.join(tmp, "nonexistent.sock")));
      expect(r).to.deep.equal({ ret: -1, perrno: ENOENT, stream: null });
    });

    it("a path that is not a socket, and a socket nobody listens on, give ECONNREFUSED (checked against libsamba-sockets)", async () => {
      const file = path.join(tmp, "file");
      fs.writeFileSync(file, "x");
      expect(await unixConnect(unix(mem, ""), unix(mem, file))).to.deep.equal({ ret: -1, perrno: ECONNREFUSED, stream: null });
      const stale = path.join(tmp, "stale.sock");
      const srv = net.createServer();
      await new Promise<void>((resolve) => srv.listen(stale, () => resolve()));
      /* a socket file left behind by a listener that is gone (Node removes
       * the file on close, so it is moved aside meanwhile) */
      fs.renameSync(stale, stale + ".keep");
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      fs.renameSync(stale + ".keep", stale);
      expect(await unixConnect(unix(mem, ""), unix(mem, stale))).to.deep.equal({ ret: -1, perrno: ECONNREFUSED, stream: null });
    });

    it("an inet local or an inet remote gives EINVAL (checked against libsamba-sockets)", async () => {
      expect(await unixConnect(inet(mem, "127.0.0.1", 0), unix(mem, path.join(tmp, "x"))))
        .to.deep.equal({ ret: -1, perrno: EINVAL, stream: null });
      expect(await unixConnect(unix(mem, ""), inet(mem, "127.0.0.1", 1)))
        .to.deep.equal({ ret: -1, perrno: EINVAL, stream: null });
    });

    it("deviation: a local address with a path (C binds to it) gives EOPNOTSUPP", async () => {
      expect(await unixConnect(unix(mem, path.join(tmp, "me.sock")), unix(mem, path.join(tmp, "x"))))
        .to.deep.equal({ ret: -1, perrno: EOPNOTSUPP, stream: null });
    });

    it("connects to a unix listener; bytes go both ways", async () => {
      const p = path.join(tmp, "srv.sock");
      const accepted = new Promise<net.Socket>((resolve) => {
        const srv = net.createServer({ allowHalfOpen: true }, resolve);
        rawServers.push(srv);
        srv.listen(p);
      });
      await sleep(10);
      const r = await unixConnect(unix(mem, ""), unix(mem, p));
      expect(r.ret).to.equal(0);
      const peer = await accepted;
      peer.write("hello");
      const rd = await readBytes(r.stream as TstreamContext, 5);
      expect([rd.ret, Buffer.from(rd.buf).toString()]).to.deep.equal([5, "hello"]);
    });
  });

  describe("tstream_unix_socketpair", () => {
    it("guide: 'create two connected unix tsocket_contexts': stream1 child of memCtx1, stream2 of memCtx2, bytes both ways, no socket file left", async () => {
      const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("tstream-sp-")).length;
      const m1 = tallocNew(mem);
      const m2 = tallocNew(mem);
      const sp = tstreamUnixSocketpair(m1, m2);
      expect(sp.ret).to.equal(0);
      expect(sp.errno).to.equal(0);
      expect(tallocParent(sp.stream1)).to.equal(m1);
      expect(tallocParent(sp.stream2)).to.equal(m2);
      expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("tstream-sp-")).length).to.equal(before);
      const s1 = sp.stream1 as TstreamContext;
      const s2 = sp.stream2 as TstreamContext;
      /* stream2 may write before Node handed it its socket */
      const w = tstreamWritevSend(mem, ev, s2, [Buffer.from("ab"), Buffer.from(""), Buffer.from("c")], 3);
      const rd = await readBytes(s1, 3);
      expect([rd.ret, rd.perrno, Buffer.from(rd.buf).toString()]).to.deep.equal([3, 0, "abc"]);
      await poll(w);
      expect(tstreamWritevRecv(w)).to.deep.equal({ ret: 3, perrno: 0 });
      expect(await writeBytes(s1, Buffer.from("xyz"))).to.deep.equal({ ret: 3, perrno: 0 });
      const rd2 = await readBytes(s2, 3);
      expect(Buffer.from(rd2.buf).toString()).to.equal("xyz");
    });

    it("64 MiB with random write and read splits (seeded) arrive intact, and the reader never holds more than the bound", async () => {
      const r = await socketpairTransfer(64 * 1024 * 1024, 4242, 256 * 1024);
      expect(r.written).to.equal(64 * 1024 * 1024);
      expect(r.read).to.equal(64 * 1024 * 1024);
      expect(r.firstMismatch).to.equal(-1);
      expect(r.maxPending).to.be.at.most(TSTREAM_BSD_READ_BUFFER_LIMIT + 64 * 1024);
    });
  });

  describe("readv / writev", () => {
    it("guide: 'The callback is triggered when all iovec buffers are completely filled' (several peer writes, empty buffers skipped)", async () => {
      const { s1, s2 } = pair();
      const a = new Uint8Array(3);
      const b = new Uint8Array(0);
      const c = new Uint8Array(4);
      const req = tstreamReadvSend(mem, ev, s2, [a, b, c, new Uint8Array(0)], 4);
      expect(await writeBytes(s1, Buffer.from("12"))).to.deep.equal({ ret: 2, perrno: 0 });
      await teventLoopOnce(ev);
      expect(teventReqIsInProgress(req)).to.equal(true);
      expect(await writeBytes(s1, Buffer.from("34567"))).to.deep.equal({ ret: 5, perrno: 0 });
      await poll(req);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: 7, perrno: 0 });
      expect(Buffer.from(a).toString() + Buffer.from(c).toString()).to.equal("1234567");
    });

    it("guide: 'only one outstanding tstream_readv_send() ... otherwise *perrno = EBUSY' (and the first still completes)", async () => {
      const { s1, s2 } = pair();
      const r1 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(2)], 1);
      const r2 = tstreamReadvSend(mem, ev, s2, [new Uint8Array(2)], 1);
      await poll(r2);
      expect(tstreamReadvRecv(r2)).to.deep.equal({ ret: -1, perrno: EBUSY });
      await writeBytes(s1, Buffer.from("ok"));
      await poll(r1);
      expect(tstreamReadvRecv(r1)).to.deep.equal({ ret: 2, perrno: 0 });
    });

    it("guide: 'tstream_pending_bytes ... (it can return 0!)': 0, then what arrived, less what readv consumed", async () => {
      const { s1, s2 } = pair();
      expect(pending(s2)).to.deep.equal({ ret: 0, errno: 0 });
      await writeBytes(s1, Buffer.from("hello"));
      await sleep(20);
      expect(pending(s2)).to.deep.equal({ ret: 5, errno: 0 });
      expect((await readBytes(s2, 2)).ret).to.equal(2);
      expect(pending(s2)).to.deep.equal({ ret: 3, errno: 0 });
    });

    it("read after the peer closed: the unread bytes first, then EPIPE, even after a partial read (checked against libsamba-sockets)", async () => {
      const { s1, s2 } = pair();
      await writeBytes(s1, Buffer.from("hello"));
      tallocFree(s1);
      await sleep(20);
      expect(pending(s2)).to.deep.equal({ ret: 5, errno: 0 });
      const r3 = await readBytes(s2, 3);
      expect([r3.ret, Buffer.from(r3.buf).toString()]).to.deep.equal([3, "hel"]);
      const r4 = await readBytes(s2, 4);
      expect([r4.ret, r4.perrno, Buffer.from(r4.buf.subarray(0, 2)).toString()]).to.deep.equal([-1, EPIPE, "lo"]);
      /* the error sticks: pending_bytes and writev report it too */
      expect(pending(s2)).to.deep.equal({ ret: -1, errno: EPIPE });
      expect(await writeBytes(s2, Buffer.from("x"))).to.deep.equal({ ret: -1, perrno: EPIPE });
    });

    it("a readv waiting when the peer closes fails with EPIPE after taking what came (checked against libsamba-sockets)", async () => {
      const { s1, s2 } = pair();
      const buf = new Uint8Array(8);
      const req = tstreamReadvSend(mem, ev, s2, [buf], 1);
      await writeBytes(s1, Buffer.from("xyz"));
      tallocFree(s1);
      await poll(req);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect(Buffer.from(buf.subarray(0, 3)).toString()).to.equal("xyz");
    });

    it("pending_bytes after the peer closed with nothing unread: -1/EPIPE on a unix stream, -1/ECONNRESET on TCP (checked against libsamba-sockets)", async () => {
      const { s1, s2 } = pair();
      tallocFree(s1);
      await sleep(20);
      expect(pending(s2)).to.deep.equal({ ret: -1, errno: EPIPE });
      const t = await tcpToRaw("127.0.0.1");
      t.peer.destroy();
      await sleep(20);
      expect(pending(t.stream)).to.deep.equal({ ret: -1, errno: ECONNRESET });
      /* sticky, as C's bsds->error */
      expect(await writeBytes(t.stream, Buffer.from("abcd"))).to.deep.equal({ ret: -1, perrno: ECONNRESET });
    });

    it("write after the peer closed: a unix stream fails with EPIPE at once (checked against libsamba-sockets)", async () => {
      const { s1, s2 } = pair();
      tallocFree(s1);
      await sleep(20);
      expect(await writeBytes(s2, Buffer.from("abcd"))).to.deep.equal({ ret: -1, perrno: EPIPE });
      expect((await readBytes(s2, 4)).perrno).to.equal(EPIPE);
    });

    it("write after the peer closed: TCP takes the first write (the peer answers with a reset), the next fails with EPIPE (checked against libsamba-sockets)", async () => {
      for (const host of ["127.0.0.1", "::1"]) {
        const t = await tcpToRaw(host);
        t.peer.destroy();
        await sleep(20);
        expect(await writeBytes(t.stream, Buffer.from("abcd"))).to.deep.equal({ ret: 4, perrno: 0 });
        await sleep(20);
        expect(await writeBytes(t.stream, Buffer.from("abcd"))).to.deep.equal({ ret: -1, perrno: EPIPE });
        expect(await writeBytes(t.stream, Buffer.from("abcd"))).to.deep.equal({ ret: -1, perrno: EPIPE });
        expect(pending(t.stream)).to.deep.equal({ ret: -1, errno: EPIPE });
        expect((await readBytes(t.stream, 4)).perrno).to.equal(EPIPE);
      }
    });

    it("read after the peer closed on TCP: EPIPE, then writev fails with EPIPE too (checked against libsamba-sockets)", async () => {
      const t = await tcpToRaw("127.0.0.1");
      t.peer.destroy();
      expect((await readBytes(t.stream, 4)).perrno).to.equal(EPIPE);
      expect(await writeBytes(t.stream, Buffer.from("abcd"))).to.deep.equal({ ret: -1, perrno: EPIPE });
    });

    it("a peer that resets (closes with bytes unread): readv, pending_bytes and writev give ECONNRESET (checked against libsamba-sockets)", async () => {
      const t = await tcpToRaw("127.0.0.1");
      expect(await writeBytes(t.stream, Buffer.from("abcd"))).to.deep.equal({ ret: 4, perrno: 0 });
      await sleep(20);
      t.peer.destroy(); /* paused: the 4 bytes are unread, so close(2) sends a reset */
      await sleep(20);
      expect(pending(t.stream)).to.deep.equal({ ret: -1, errno: ECONNRESET });
      expect((await readBytes(t.stream, 4)).perrno).to.equal(ECONNRESET);
      expect(await writeBytes(t.stream, Buffer.from("abcd"))).to.deep.equal({ ret: -1, perrno: ECONNRESET });
    });

    it("guide: 'you can always use talloc_free(tstream)': freeing a stream with a readv pending never calls back, and the peer sees end of stream", async () => {
      const { s1, s2 } = pair();
      const req = tstreamReadvSend(mem, ev, s2, [new Uint8Array(4)], 1);
      let called = 0;
      req.setCallback(() => { called++; });
      await teventLoopOnce(ev);
      tallocFree(s2);
      const r = await readBytes(s1, 1);
      expect(r).to.include({ ret: -1, perrno: EPIPE });
      expect(called).to.equal(0);
    });

    it("freeing a pending readv request keeps the bytes already queued for the next readv", async () => {
      const { s1, s2 } = pair();
      await writeBytes(s1, Buffer.from("abc"));
      await sleep(20);
      const req = tstreamReadvSend(mem, ev, s2, [new Uint8Array(10)], 1);
      tallocFree(req); /* before the loop ran it */
      expect(pending(s2)).to.deep.equal({ ret: 3, errno: 0 });
      const r = await readBytes(s2, 3);
      expect([r.ret, Buffer.from(r.buf).toString()]).to.deep.equal([3, "abc"]);
    });
  });

  describe("tstream_disconnect_send / _recv", () => {
    it("disconnect closes: afterwards readv, writev, pending_bytes and a second disconnect give ENOTCONN, the peer sees EPIPE (checked against libsamba-sockets)", async () => {
      const { s1, s2 } = pair();
      const d = tstreamDisconnectSend(mem, ev, s1);
      await poll(d);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
      const d2 = tstreamDisconnectSend(mem, ev, s1);
      await poll(d2);
      expect(tstreamDisconnectRecv(d2)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      expect((await readBytes(s1, 1)).perrno).to.equal(ENOTCONN);
      expect(await writeBytes(s1, Buffer.from("x"))).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      expect(pending(s1)).to.deep.equal({ ret: -1, errno: ENOTCONN });
      expect((await readBytes(s2, 1)).perrno).to.equal(EPIPE);
    });
  });

  describe("back-pressure", () => {
    it("a peer sending forever while we do not read: our buffered bytes stay below the bound", async () => {
      const t = await tcpToRaw("127.0.0.1");
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      let stop = false;
      const pump = (): void => {
        while (!stop && t.peer.write(chunk)) sent += chunk.length;
        if (!stop) sent += chunk.length;
      };
      t.peer.on("drain", pump);
      pump();
      await sleep(400);
      const bsds = t.stream.privateData as TstreamBsd;
      const held = pending(t.stream).ret;
      expect(held).to.be.at.least(TSTREAM_BSD_READ_BUFFER_LIMIT);
      expect(held).to.be.at.most(TSTREAM_BSD_READ_BUFFER_LIMIT + 64 * 1024);
      const received = bsds.bytesReceived;
      await sleep(200);
      expect(bsds.bytesReceived).to.equal(received); /* nothing more is taken from the kernel */
      expect(sent).to.be.above(received); /* the rest waits in the kernel and the peer */
      stop = true;
      /* a readv makes room: the socket reads again */
      const big = new Uint8Array(held + 1024 * 1024);
      const req = tstreamReadvSend(mem, ev, t.stream, [big], 1);
      await poll(req);
      expect(tstreamReadvRecv(req).ret).to.equal(big.length);
      expect(big.every((v) => v === 7)).to.equal(true);
    });

    it("a writer whose peer does not read: writev completes only once the kernel took the bytes, so the bytes handed over stay bounded", async () => {
      const { s1, s2 } = pair();
      const chunk = new Uint8Array(64 * 1024).fill(9);
      let written = 0;
      let req: TeventReq | null = null;
      const next = (): void => {
        req = tstreamWritevSend(mem, ev, s1, [chunk], 1);
        req.setCallback((r: TeventReq) => {
          const { ret } = tstreamWritevRecv(r);
          tallocFree(r);
          if (ret === chunk.length) {
            written += ret;
            next();
          }
        });
      };
      next();
      /* run the loop until the writer stalls */
      let last = -1;
      while (written !== last) {
        last = written;
        await runFor(150);
      }
      expect(teventReqIsInProgress(req as unknown as TeventReq)).to.equal(true);
      /* kernel socket buffers (a few hundred KiB for a unix stream) + the peer's read-ahead bound */
      expect(written).to.be.at.least(TSTREAM_BSD_READ_BUFFER_LIMIT);
      expect(written).to.be.at.most(4 * 1024 * 1024);
      const held = pending(s2).ret;
      expect(held).to.be.at.most(TSTREAM_BSD_READ_BUFFER_LIMIT + 64 * 1024);
      /* the peer reads it all: the writer goes on */
      const before = written;
      const sink = new Uint8Array(before);
      const rd = tstreamReadvSend(mem, ev, s2, [sink], 1);
      await poll(rd);
      expect(tstreamReadvRecv(rd).ret).to.equal(before);
      expect(sink.every((v) => v === 9)).to.equal(true);
      await runFor(50);
      expect(written).to.be.above(before);
      tallocFree(s1);
    });
  });

  describe("tstream_bsd_existing_socket", () => {
    it("descriptor -1: ret 0, and every operation gives ENOTCONN (checked against libsamba-sockets)", async () => {
      const r = tstreamBsdExistingSocket(mem, -1);
      expect(r.ret).to.equal(0);
      const s = r.stream as TstreamContext;
      expect(pending(s)).to.deep.equal({ ret: -1, errno: ENOTCONN });
      expect((await readBytes(s, 1)).perrno).to.equal(ENOTCONN);
      expect(await writeBytes(s, Buffer.from("x"))).to.deep.equal({ ret: -1, perrno: ENOTCONN });
    });

    it("a descriptor that is not open: ret 0, and the operations give EBADF (checked against libsamba-sockets)", async () => {
      const r = tstreamBsdExistingSocket(mem, 987654);
      expect(r.ret).to.equal(0);
      const s = r.stream as TstreamContext;
      expect(pending(s)).to.deep.equal({ ret: -1, errno: EBADF });
      expect((await readBytes(s, 1)).perrno).to.equal(EBADF);
      expect(await writeBytes(s, Buffer.from("x"))).to.deep.equal({ ret: -1, perrno: EBADF });
      const d = tstreamDisconnectSend(mem, ev, s);
      await poll(d);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: -1, perrno: EBADF });
      expect(pending(s)).to.deep.equal({ ret: -1, errno: ENOTCONN }); /* fd is -1 now */
    });

    it("deviation: a descriptor Node.js cannot wrap as a stream (a regular file) gives -1/ENOTSOCK", () => {
      const file = path.join(tmp, "f");
      fs.writeFileSync(file, "data");
      const fd = fs.openSync(file, "r");
      try {
        expect(tstreamBsdExistingSocket(mem, fd)).to.deep.equal({ ret: -1, errno: ENOTSOCK, stream: null });
        expect(getErrno()).to.equal(ENOTSOCK);
      } finally {
        fs.closeSync(fd);
      }
    });

    it("wraps a descriptor (a FIFO opened read-write loops back to itself) and owns it: freeing the stream closes it", async () => {
      const fifo = path.join(tmp, "fifo");
      execFileSync("mkfifo", [fifo]);
      const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      const r = tstreamBsdExistingSocket(mem, fd);
      expect(r.ret).to.equal(0);
      const s = r.stream as TstreamContext;
      expect(await writeBytes(s, Buffer.from("loop"))).to.deep.equal({ ret: 4, perrno: 0 });
      const rd = await readBytes(s, 4);
      expect([rd.ret, Buffer.from(rd.buf).toString()]).to.deep.equal([4, "loop"]);
      tallocFree(s);
      await sleep(20);
      expect(() => fs.fstatSync(fd)).to.throw(/EBADF/);
    });
  });

  describe("tstream_bsd_optimize_readv", () => {
    it("returns the previous value, false at first; a stream that is not a bsd stream returns false (checked against libsamba-sockets)", () => {
      const { s1 } = pair();
      expect(tstreamBsdOptimizeReadv(s1, true)).to.equal(false);
      expect(tstreamBsdOptimizeReadv(s1, true)).to.equal(true);
      expect(tstreamBsdOptimizeReadv(s1, false)).to.equal(true);
      expect(tstreamBsdOptimizeReadv(s1, false)).to.equal(false);
      const m = memstreamPair(mem, mem);
      expect(tstreamBsdOptimizeReadv(m.stream1 as TstreamContext, true)).to.equal(false);
      expect(tstreamBsdOptimizeReadv(m.stream1 as TstreamContext, true)).to.equal(false);
    });
  });
});
