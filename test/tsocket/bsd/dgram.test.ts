// The BSD datagram backend (the tdgram half of tsocket_bsd.c) over real
// sockets: UDP on 127.0.0.1 and ::1, unix datagram sockets in a temporary
// directory.  Tests are named after the sentences of seeds/tsocket_guide.txt
// they check; "(checked against libsamba-sockets)" marks values read off the
// C library (Samba 4.17) with a small C program doing the same.

import { expect } from "chai";
import * as nodeDgram from "node:dgram";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createReuseportFd, closeFd } from "node-unix-socket";
import {
  EACCES, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EBADF, EBUSY, ECONNREFUSED, EDESTADDRREQ, EINVAL, EMSGSIZE,
  ENETUNREACH, ENOENT, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPERM, getErrno, tallocFree, tallocNew, TdgramBsd,
  tdgramBsdExistingSocket, tdgramBsdOptimizeRecvfrom, TdgramContext, tdgramContextData, tdgramDisconnectRecv,
  tdgramDisconnectSend, tdgramInetUdpBroadcastSocket, tdgramInetUdpSocket, tdgramRecvfromRecv,
  tdgramRecvfromSend, tdgramSendtoRecv, tdgramSendtoSend, tdgramUnixSocket, TDGRAM_BSD_RECV_QUEUE_MAX,
  TeventContext, teventContextInit, teventLoopOnce, teventReqIsInProgress, teventReqPoll,
  teventReqSetCallback, teventTimevalCurrentOfs, teventWakeupSend, TsocketAddress,
  tsocketAddressInetFromStrings, tsocketAddressIsUnix, tsocketAddressString, tsocketAddressUnixFromPath,
} from "../../../index";
import { memdgramNetworkCreate, memdgramSocket } from "../memdgram";

const text = (s: string): Uint8Array => Buffer.from(s, "latin1");

describe("tdgram BSD backend (tsocket_bsd.c) over real sockets", () => {
  let mem: object;
  let ev: TeventContext;
  let dir: string;
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tdgram-bsd-"));
  });
  afterEach(() => {
    tallocFree(mem);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function ip(fam: string, addr: string, port: number): TsocketAddress {
    const r = tsocketAddressInetFromStrings(mem, fam, addr, port);
    expect(r.ret).to.equal(0);
    return r.addr!;
  }
  function ux(p: string | null): TsocketAddress {
    const r = tsocketAddressUnixFromPath(mem, p);
    expect(r.ret).to.equal(0);
    return r.addr!;
  }
  /* a port nobody uses now */
  function freePort(type: "udp4" | "udp6" = "udp4"): number {
    const s = nodeDgram.createSocket({
      type, lookup: (h: string, o: unknown, cb?: unknown) =>
        ((typeof o === "function" ? o : cb) as (e: null, a: string, f: number) => void)(null, h, type === "udp6" ? 6 : 4),
    });
    s.bind(0, type === "udp6" ? "::1" : "127.0.0.1");
    const port = s.address().port;
    s.close();
    return port;
  }
  function udp(local: TsocketAddress, remote: TsocketAddress | null = null): TdgramContext {
    const r = tdgramInetUdpSocket(local, remote, mem);
    expect([r.ret, r.errno]).to.deep.equal([0, 0]);
    return r.dgram!;
  }
  function unix(local: TsocketAddress, remote: TsocketAddress | null = null): TdgramContext {
    const r = tdgramUnixSocket(local, remote, mem);
    expect([r.ret, r.errno]).to.deep.equal([0, 0]);
    return r.dgram!;
  }
  async function sendto(d: TdgramContext, data: Uint8Array, dst: TsocketAddress | null): Promise<[number, number]> {
    const req = tdgramSendtoSend(mem, ev, d, data, data.length, dst);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    const { ret, perrno } = tdgramSendtoRecv(req);
    return [ret, perrno];
  }
  async function recvfrom(d: TdgramContext): Promise<{ ret: number; perrno: number; data: string | null; src: string | null; addr: TsocketAddress | null }> {
    const req = tdgramRecvfromSend(mem, ev, d);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    const r = tdgramRecvfromRecv(req, mem);
    return {
      ret: r.ret, perrno: r.perrno, data: r.buf === null ? null : Buffer.from(r.buf).toString("latin1"),
      src: r.src === null ? null : tsocketAddressString(r.src, mem), addr: r.src,
    };
  }
  async function disconnect(d: TdgramContext): Promise<[number, number]> {
    const req = tdgramDisconnectSend(mem, ev, d);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    const { ret, perrno } = tdgramDisconnectRecv(req);
    return [ret, perrno];
  }
  async function sleep(ms: number): Promise<void> {
    const req = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, ms * 1000));
    await teventReqPoll(req, ev);
    tallocFree(req);
  }

  describe("tdgram_inet_udp_socket", () => {
    it("creates a tdgram_context for ipv4 UDP communication: a round trip reports the sender as ipv4:127.0.0.1:PORT (checked against libsamba-sockets)", async () => {
      const pa = freePort();
      const pb = freePort();
      const a = udp(ip("ipv4", "127.0.0.1", pa));
      const b = udp(ip("ipv4", "127.0.0.1", pb));
      expect(await sendto(a, text("hello"), ip("ipv4", "127.0.0.1", pb))).to.deep.equal([5, 0]);
      const r = await recvfrom(b);
      expect([r.ret, r.perrno, r.data, r.src]).to.deep.equal([5, 0, "hello", `ipv4:127.0.0.1:${pa}`]);
      /* the answer goes back to the src it reported */
      expect(await sendto(b, text("olleh"), r.addr)).to.deep.equal([5, 0]);
      const back = await recvfrom(a);
      expect([back.ret, back.data, back.src]).to.deep.equal([5, "olleh", `ipv4:127.0.0.1:${pb}`]);
    });

    it("creates a tdgram_context for ipv6 UDP communication: the sender is ipv6:::1:PORT (checked against libsamba-sockets)", async () => {
      const pa = freePort("udp6");
      const pb = freePort("udp6");
      const a = udp(ip("ipv6", "::1", pa));
      const b = udp(ip("ipv6", "::1", pb));
      expect(await sendto(a, text("six"), ip("ipv6", "::1", pb))).to.deep.equal([3, 0]);
      const r = await recvfrom(b);
      expect([r.ret, r.data, r.src]).to.deep.equal([3, "six", `ipv6:::1:${pa}`]);
    });

    it("each received datagram has its own sender address, a value: changing the port of one changes no other, nor what later datagrams report", async () => {
      const pa = freePort();
      const pb = freePort();
      const a = udp(ip("ipv4", "127.0.0.1", pa));
      const b = udp(ip("ipv4", "127.0.0.1", pb));
      const dst = ip("ipv4", "127.0.0.1", pb);
      const srcs: TsocketAddress[] = [];
      for (let i = 0; i < 3; i++) {
        expect(await sendto(a, text(`d${i}`), dst)).to.deep.equal([2, 0]);
        const r = await recvfrom(b);
        expect([r.data, r.src]).to.deep.equal([`d${i}`, `ipv4:127.0.0.1:${pa}`]);
        srcs.push(r.addr!);
      }
      expect(srcs[1]).to.not.equal(srcs[2]);
      expect(srcs[1].inetSetPort(7)).to.equal(0);
      expect(srcs.map((x) => tsocketAddressString(x, mem))).to.deep.equal([
        `ipv4:127.0.0.1:${pa}`, "ipv4:127.0.0.1:7", `ipv4:127.0.0.1:${pa}`,
      ]);
      const sa = new Uint8Array(16);
      expect(srcs[2].bsdSockaddr(sa, 16)).to.equal(16);
      expect(Array.from(sa)).to.deep.equal([2, 0, pa >> 8, pa & 0xff, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(await sendto(a, text("d3"), dst)).to.deep.equal([2, 0]);
      const r = await recvfrom(b);
      expect([r.data, r.src]).to.deep.equal(["d3", `ipv4:127.0.0.1:${pa}`]);
      /* a copy of a received address is a value too */
      const c = srcs[2].copy(mem)!;
      expect(c.inetSetPort(9)).to.equal(0);
      expect([tsocketAddressString(c, mem), tsocketAddressString(srcs[2], mem)]).to.deep.equal([
        "ipv4:127.0.0.1:9", `ipv4:127.0.0.1:${pa}`,
      ]);
    });

    it("a wildcard local with port 0 is left to the kernel: the datagram leaves from an ephemeral port", async () => {
      const pb = freePort();
      const b = udp(ip("ipv4", "127.0.0.1", pb));
      const a = udp(ip("ipv4", "0.0.0.0", 0));
      expect(await sendto(a, text("v"), ip("ipv4", "127.0.0.1", pb))).to.deep.equal([1, 0]);
      const r = await recvfrom(b);
      expect(r.src).to.match(/^ipv4:127\.0\.0\.1:[1-9][0-9]*$/);
    });

    it("\"remote_address\" presenting a remote endpoint: sendto without dst goes there, and only the remote's datagrams arrive (checked against libsamba-sockets)", async () => {
      const pa = freePort();
      const pb = freePort();
      const pd = freePort();
      const a = udp(ip("ipv4", "127.0.0.1", pa));
      const b = udp(ip("ipv4", "127.0.0.1", pb));
      const d = udp(ip("ipv4", "127.0.0.1", pd), ip("ipv4", "127.0.0.1", pb));
      expect(await sendto(a, text("fromA"), ip("ipv4", "127.0.0.1", pd))).to.deep.equal([5, 0]);
      expect(await sendto(b, text("fromB"), ip("ipv4", "127.0.0.1", pd))).to.deep.equal([5, 0]);
      const r = await recvfrom(d);
      expect([r.ret, r.data, r.src]).to.deep.equal([5, "fromB", `ipv4:127.0.0.1:${pb}`]);
      expect(await sendto(d, text("toB"), null)).to.deep.equal([3, 0]);
      const rb = await recvfrom(b);
      expect([rb.data, rb.src]).to.deep.equal(["toB", `ipv4:127.0.0.1:${pd}`]);
      /* an explicit dst equal to the remote is allowed (checked) */
      expect(await sendto(d, text("again"), ip("ipv4", "127.0.0.1", pb))).to.deep.equal([5, 0]);
      expect((await recvfrom(b)).data).to.equal("again");
    });

    it("returns -1 and sets errno on error: EINVAL for a unix local or a remote of another family, EADDRNOTAVAIL for a non-local address, EACCES to connect to a broadcast address (checked against libsamba-sockets)", () => {
      expect(tdgramInetUdpSocket(ux(path.join(dir, "u")), null, mem)).to.deep.equal({ ret: -1, errno: EINVAL, dgram: null });
      expect(tdgramInetUdpSocket(ip("ipv4", "127.0.0.1", 0), ip("ipv6", "::1", 53), mem))
        .to.deep.equal({ ret: -1, errno: EINVAL, dgram: null });
      expect(tdgramInetUdpSocket(ip("ipv6", "::1", 0), ip("ipv4", "127.0.0.1", 53), mem))
        .to.deep.equal({ ret: -1, errno: EINVAL, dgram: null });
      expect(tdgramInetUdpSocket(ip("ipv4", "198.51.100.7", 40006), null, mem))
        .to.deep.equal({ ret: -1, errno: EADDRNOTAVAIL, dgram: null });
      expect(getErrno()).to.equal(EADDRNOTAVAIL);
      expect(tdgramInetUdpSocket(ip("ipv4", "0.0.0.0", 0), ip("ipv4", "255.255.255.255", 53), mem))
        .to.deep.equal({ ret: -1, errno: EACCES, dgram: null });
    });

    it("a bound port: a second socket with SO_REUSEADDR shares it, a holder without it makes EADDRINUSE (checked against libsamba-sockets)", () => {
      const p = freePort();
      udp(ip("ipv4", "127.0.0.1", p));
      udp(ip("ipv4", "127.0.0.1", p));
      const holder = nodeDgram.createSocket({
        type: "udp4", lookup: (h: string, o: unknown, cb?: unknown) =>
          ((typeof o === "function" ? o : cb) as (e: null, a: string, f: number) => void)(null, h, 4),
      });
      const q = freePort();
      holder.bind(q, "127.0.0.1");
      try {
        expect(tdgramInetUdpSocket(ip("ipv4", "127.0.0.1", q), null, mem))
          .to.deep.equal({ ret: -1, errno: EADDRINUSE, dgram: null });
      } finally {
        holder.close();
      }
    });
  });

  describe("tdgram_inet_udp_broadcast_socket", () => {
    it("is created for an ipv4 local and may send to 255.255.255.255; a plain socket gets EACCES (checked against libsamba-sockets)", async () => {
      const r = tdgramInetUdpBroadcastSocket(ip("ipv4", "0.0.0.0", 0), mem);
      expect([r.ret, r.errno]).to.deep.equal([0, 0]);
      const port = freePort();
      expect(await sendto(r.dgram!, text("x"), ip("ipv4", "255.255.255.255", port))).to.deep.equal([1, 0]);
      const plain = udp(ip("ipv4", "127.0.0.1", 0));
      expect(await sendto(plain, text("x"), ip("ipv4", "255.255.255.255", port))).to.deep.equal([-1, EACCES]);
    });

    it("refuses a unix or an ipv6 local with EINVAL (checked against libsamba-sockets)", () => {
      expect(tdgramInetUdpBroadcastSocket(ux(path.join(dir, "b")), mem)).to.deep.equal({ ret: -1, errno: EINVAL, dgram: null });
      expect(tdgramInetUdpBroadcastSocket(ip("ipv6", "::1", 0), mem)).to.deep.equal({ ret: -1, errno: EINVAL, dgram: null });
    });
  });

  describe("tdgram_unix_socket", () => {
    it("creates a tdgram_context for unix domain datagram communication: a server answers a client bound to its own path (checked against libsamba-sockets)", async () => {
      const srvPath = path.join(dir, "srv");
      const cliPath = path.join(dir, "cli");
      const srv = unix(ux(srvPath));
      const cli = unix(ux(cliPath));
      expect(await sendto(cli, text("ping"), ux(srvPath))).to.deep.equal([4, 0]);
      const q = await recvfrom(srv);
      expect([q.ret, q.data, q.src]).to.deep.equal([4, "ping", `unix:${cliPath}`]);
      expect(await sendto(srv, text("pong"), q.addr)).to.deep.equal([4, 0]);
      const a = await recvfrom(cli);
      expect([a.ret, a.data, a.src]).to.deep.equal([4, "pong", `unix:${srvPath}`]);
    });

    it("an unbound sender (path \"\") has no address: src has no string and is not unix, and answering it is ENOTCONN (checked against libsamba-sockets)", async () => {
      const srvPath = path.join(dir, "srv");
      const srv = unix(ux(srvPath));
      const anon = unix(ux(null));
      expect(await sendto(anon, text("anon"), ux(srvPath))).to.deep.equal([4, 0]);
      const q = await recvfrom(srv);
      expect([q.ret, q.data, q.src]).to.deep.equal([4, "anon", null]);
      expect(getErrno()).to.equal(EINVAL);
      expect(tsocketAddressIsUnix(q.addr!)).to.equal(false);
      expect(await sendto(srv, text("x"), q.addr)).to.deep.equal([-1, ENOTCONN]);
    });

    it("sendto errors as C: ENOENT for a missing path, ECONNREFUSED for a regular file, ENOTCONN without dst (checked against libsamba-sockets)", async () => {
      const cli = unix(ux(path.join(dir, "cli")));
      expect(await sendto(cli, text("x"), ux(path.join(dir, "missing")))).to.deep.equal([-1, ENOENT]);
      fs.writeFileSync(path.join(dir, "file"), "");
      expect(await sendto(cli, text("x"), ux(path.join(dir, "file")))).to.deep.equal([-1, ECONNREFUSED]);
      expect(await sendto(cli, text("x"), null)).to.deep.equal([-1, ENOTCONN]);
    });

    it("returns -1 and sets errno on error: EINVAL for an inet local or remote, EADDRINUSE for a bound path, ENOENT for a missing directory or remote, ECONNREFUSED for a remote that is no socket (checked against libsamba-sockets)", () => {
      const p = path.join(dir, "srv");
      unix(ux(p));
      expect(tdgramUnixSocket(ip("ipv4", "127.0.0.1", 0), null, mem)).to.deep.equal({ ret: -1, errno: EINVAL, dgram: null });
      expect(tdgramUnixSocket(ux(path.join(dir, "k3")), ip("ipv4", "127.0.0.1", 1), mem))
        .to.deep.equal({ ret: -1, errno: EINVAL, dgram: null });
      expect(tdgramUnixSocket(ux(p), null, mem)).to.deep.equal({ ret: -1, errno: EADDRINUSE, dgram: null });
      expect(tdgramUnixSocket(ux(path.join(dir, "nodir", "x")), null, mem)).to.deep.equal({ ret: -1, errno: ENOENT, dgram: null });
      expect(tdgramUnixSocket(ux(path.join(dir, "k2")), ux(path.join(dir, "missing")), mem))
        .to.deep.equal({ ret: -1, errno: ENOENT, dgram: null });
      fs.writeFileSync(path.join(dir, "file"), "");
      expect(tdgramUnixSocket(ux(path.join(dir, "k4")), ux(path.join(dir, "file")), mem))
        .to.deep.equal({ ret: -1, errno: ECONNREFUSED, dgram: null });
    });

    it("\"remote_address\" presenting a remote endpoint: others get EPERM, the peer's datagrams arrive, and once the peer is gone ECONNREFUSED then ENOTCONN (checked against libsamba-sockets)", async () => {
      const srvPath = path.join(dir, "srv");
      const kPath = path.join(dir, "k");
      const srv = unix(ux(srvPath));
      const cli = unix(ux(path.join(dir, "cli")));
      const k = unix(ux(kPath), ux(srvPath));
      expect(await sendto(cli, text("other"), ux(kPath))).to.deep.equal([-1, EPERM]);
      expect(await sendto(srv, text("peer"), ux(kPath))).to.deep.equal([4, 0]);
      const r = await recvfrom(k);
      expect([r.data, r.src]).to.deep.equal(["peer", `unix:${srvPath}`]);
      expect(await sendto(k, text("tosrv"), null)).to.deep.equal([5, 0]);
      const s = await recvfrom(srv);
      expect([s.data, s.src]).to.deep.equal(["tosrv", `unix:${kPath}`]);
      /* an explicit dst is allowed on a connected socket (checked) */
      expect(await sendto(k, text("tocli"), ux(path.join(dir, "cli")))).to.deep.equal([5, 0]);
      expect((await recvfrom(cli)).data).to.equal("tocli");
      tallocFree(srv);
      expect(await sendto(k, text("gone"), null)).to.deep.equal([-1, ECONNREFUSED]);
      expect(await sendto(k, text("gone"), null)).to.deep.equal([-1, ENOTCONN]);
      /* C leaves the path of a freed socket in place (checked) */
      expect(fs.existsSync(srvPath)).to.equal(true);
    });
  });

  describe("tdgram_recvfrom_send / tdgram_sendto_send", () => {
    it("The caller can only have one outstanding tdgram_recvfrom_send() at a time otherwise the caller will get '*perrno = EBUSY'", async () => {
      const d = udp(ip("ipv4", "127.0.0.1", 0));
      const first = tdgramRecvfromSend(mem, ev, d);
      const second = tdgramRecvfromSend(mem, ev, d);
      expect(await teventReqPoll(second, ev)).to.equal(true);
      expect(tdgramRecvfromRecv(second, mem)).to.deep.equal({ ret: -1, perrno: EBUSY, buf: null, src: null });
      expect(teventReqIsInProgress(first)).to.equal(true);
    });

    it("It is not allowed for len to be 0: EINVAL", async () => {
      const d = udp(ip("ipv4", "127.0.0.1", 0));
      const req = tdgramSendtoSend(mem, ev, d, text("x"), 0, ip("ipv4", "127.0.0.1", freePort()));
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tdgramSendtoRecv(req)).to.deep.equal({ ret: -1, perrno: EINVAL });
    });

    it("you can always use talloc_free(tdgram): a pending recvfrom ends without its callback and the socket is closed (checked against libsamba-sockets)", async () => {
      const p = freePort();
      const d = udp(ip("ipv4", "127.0.0.1", p));
      const req = tdgramRecvfromSend(mem, ev, d);
      let called = 0;
      teventReqSetCallback(req, () => { called++; });
      tallocFree(d);
      expect(teventReqIsInProgress(req)).to.equal(false);
      /* the port is free again: a socket without SO_REUSEADDR can take it */
      const again = tdgramInetUdpSocket(ip("ipv4", "127.0.0.1", 0), null, mem);
      expect(again.ret).to.equal(0);
      await sleep(5);
      expect(called).to.equal(0);
    });

    it("a datagram to a port nobody listens on succeeds on an unconnected socket (checked against libsamba-sockets)", async () => {
      const d = udp(ip("ipv4", "127.0.0.1", 0));
      expect(await sendto(d, text("hello"), ip("ipv4", "127.0.0.1", freePort()))).to.deep.equal([5, 0]);
    });

    it("a connected socket learns of a closed port: a recvfrom fails ECONNREFUSED, so does the sendto after the ICMP error (checked against libsamba-sockets)", async () => {
      const closed = ip("ipv4", "127.0.0.1", freePort());
      const c = udp(ip("ipv4", "127.0.0.1", 0), closed);
      expect(await sendto(c, text("x"), null)).to.deep.equal([1, 0]);
      const r = await recvfrom(c);
      expect([r.ret, r.perrno]).to.deep.equal([-1, ECONNREFUSED]);
      expect(await sendto(c, text("x"), null)).to.deep.equal([1, 0]);
      await sleep(20);
      expect(await sendto(c, text("x"), null)).to.deep.equal([-1, ECONNREFUSED]);
      expect(await sendto(c, text("x"), null)).to.deep.equal([1, 0]);
    });

    it("sendto errors as Linux reports them: EDESTADDRREQ without dst, EMSGSIZE above 65507 bytes (ipv4) and 65527 (ipv6), EINVAL for port 0 (checked against libsamba-sockets)", async () => {
      const d4 = udp(ip("ipv4", "127.0.0.1", 0));
      const d6 = udp(ip("ipv6", "::1", 0));
      expect(await sendto(d4, text("x"), null)).to.deep.equal([-1, EDESTADDRREQ]);
      expect(await sendto(d4, new Uint8Array(65507), ip("ipv4", "127.0.0.1", freePort()))).to.deep.equal([65507, 0]);
      expect(await sendto(d4, new Uint8Array(65508), ip("ipv4", "127.0.0.1", freePort()))).to.deep.equal([-1, EMSGSIZE]);
      expect(await sendto(d6, new Uint8Array(65527), ip("ipv6", "::1", freePort("udp6")))).to.deep.equal([65527, 0]);
      expect(await sendto(d6, new Uint8Array(65528), ip("ipv6", "::1", freePort("udp6")))).to.deep.equal([-1, EMSGSIZE]);
      expect(await sendto(d4, text("x"), ip("ipv4", "127.0.0.1", 0))).to.deep.equal([-1, EINVAL]);
    });

    it("a dst of the wrong family: EAFNOSUPPORT on ipv4, ENETUNREACH (ipv4) and EINVAL (unix) on ipv6, EINVAL on unix (checked against libsamba-sockets)", async () => {
      const d4 = udp(ip("ipv4", "127.0.0.1", 0));
      const d6 = udp(ip("ipv6", "::1", 0));
      const du = unix(ux(path.join(dir, "u")));
      expect(await sendto(d4, text("x"), ip("ipv6", "::1", 9))).to.deep.equal([-1, EAFNOSUPPORT]);
      expect(await sendto(d4, text("x"), ux(path.join(dir, "z")))).to.deep.equal([-1, EAFNOSUPPORT]);
      expect(await sendto(d6, text("x"), ip("ipv4", "127.0.0.1", 9))).to.deep.equal([-1, ENETUNREACH]);
      expect(await sendto(d6, text("x"), ux(path.join(dir, "z")))).to.deep.equal([-1, EINVAL]);
      expect(await sendto(du, text("x"), ip("ipv4", "127.0.0.1", 9))).to.deep.equal([-1, EINVAL]);
    });
  });

  describe("bounded receive queue", () => {
    function bsdOf(d: TdgramContext): TdgramBsd {
      return tdgramContextData(d) as TdgramBsd;
    }
    function queued(d: TdgramContext): number {
      return bsdOf(d).fd!.readableLength;
    }

    it("UDP: 10,000 datagrams nobody reads leave at most TDGRAM_BSD_RECV_QUEUE_MAX queued, the first ones in order", async () => {
      const p = freePort();
      const r = udp(ip("ipv4", "127.0.0.1", p));
      const sender = nodeDgram.createSocket("udp4");
      for (let batch = 0; batch < 100; batch++) {
        for (let i = 0; i < 100; i++) sender.send(String(batch * 100 + i), p, "127.0.0.1");
        await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      sender.close();
      expect(queued(r)).to.equal(TDGRAM_BSD_RECV_QUEUE_MAX);
      expect(bsdOf(r).dropped).to.be.at.least(1);
      expect(bsdOf(r).dropped).to.be.at.most(10000 - TDGRAM_BSD_RECV_QUEUE_MAX);
      for (let i = 0; i < 3; i++) expect((await recvfrom(r)).data).to.equal(String(i));
      expect(queued(r)).to.equal(TDGRAM_BSD_RECV_QUEUE_MAX - 3);
    });

    it("unix: 10,000 datagrams nobody reads: TDGRAM_BSD_RECV_QUEUE_MAX kept, every other one dropped and counted", async () => {
      const rPath = path.join(dir, "r");
      const r = unix(ux(rPath));
      const w = unix(ux(path.join(dir, "w")));
      const dst = ux(rPath);
      const one = text("0123456789");
      for (let i = 0; i < 10000; i++) {
        expect(await sendto(w, one, dst)).to.deep.equal([10, 0]);
      }
      /* until Node has read them all (a unix datagram is in the peer's
       * queue once sendto returns; Node reads it at its next poll) */
      while (queued(r) + bsdOf(r).dropped < 10000) await new Promise((resolve) => setImmediate(resolve));
      expect(queued(r)).to.equal(TDGRAM_BSD_RECV_QUEUE_MAX);
      expect(bsdOf(r).dropped).to.equal(10000 - TDGRAM_BSD_RECV_QUEUE_MAX);
    });

    /* Whatever the interleaving of arrivals and recvfrom calls, datagrams
     * come out oldest first, each with its sender. */
    describe("order across arrivals and reads", () => {
      let d: TdgramContext;
      let port = 0;
      const senders: nodeDgram.Socket[] = [];
      beforeEach(() => {
        d = udp(ip("ipv4", "127.0.0.1", 0));
        port = bsdOf(d).udp!.address().port;
      });
      afterEach(() => {
        for (const s of senders.splice(0)) s.close();
      });
      async function sender(): Promise<nodeDgram.Socket> {
        const s = nodeDgram.createSocket("udp4");
        await new Promise<void>((res) => s.bind(0, "127.0.0.1", () => res()));
        senders.push(s);
        return s;
      }
      /* n datagrams "from", "from+1", ... from s, in batches small enough for the kernel's buffer */
      async function arrive(s: nodeDgram.Socket, from: number, n: number): Promise<void> {
        for (let done = 0; done < n;) {
          const k = Math.min(32, n - done);
          const want = Math.min(queued(d) + k, TDGRAM_BSD_RECV_QUEUE_MAX);
          for (let i = from + done; i < from + done + k; i++) s.send(String(i), port, "127.0.0.1");
          done += k;
          const deadline = Date.now() + 2000;
          do {
            await new Promise((res) => setTimeout(res, 1));
          } while (queued(d) < want && Date.now() < deadline);
        }
      }
      async function recv(): Promise<{ data: string | null; src: string | null }> {
        const r = await recvfrom(d);
        expect(r.ret).to.be.greaterThan(0);
        return r;
      }

      it("interleaved arrivals and reads, the queue filling and draining: oldest first, each with its own sender", async () => {
        const a = await sender();
        const b = await sender();
        let next = 0;
        let expected = 0;
        /* arrive k, read j: the queue fills and drains in between */
        for (const [k, j] of [[1, 1], [3, 2], [5, 3], [9, 8], [20, 7], [2, 14], [30, 30], [1, 6]]) {
          const s = next % 2 === 0 ? a : b;
          await arrive(s, next, k);
          next += k;
          expect(queued(d)).to.equal(next - expected);
          for (let i = 0; i < j; i++) {
            const { data, src } = await recv();
            expect(data).to.equal(String(expected));
            /* a batch comes from one sender: the one of the batch the datagram belongs to */
            expect(src).to.match(/^ipv4:127\.0\.0\.1:\d+$/);
            expected++;
          }
          expect(queued(d)).to.equal(next - expected);
        }
        expect(queued(d)).to.equal(0);
      });

      it("senders alternate per datagram: each datagram keeps its own source address", async () => {
        const a = await sender();
        const b = await sender();
        const pa = a.address().port;
        const pb = b.address().port;
        for (let i = 0; i < 12; i++) await arrive(i % 2 === 0 ? a : b, i, 1);
        for (let i = 0; i < 12; i++) {
          const { data, src } = await recv();
          expect(data).to.equal(String(i));
          expect(src).to.equal(`ipv4:127.0.0.1:${i % 2 === 0 ? pa : pb}`);
        }
      });

      it("a full queue drops what arrives; once read from, it takes datagrams again, still in order", async () => {
        const a = await sender();
        await arrive(a, 0, TDGRAM_BSD_RECV_QUEUE_MAX + 10);
        await new Promise((res) => setTimeout(res, 20));
        expect(queued(d)).to.equal(TDGRAM_BSD_RECV_QUEUE_MAX);
        const bsds = bsdOf(d);
        expect(bsds.dropped).to.equal(10);
        for (let i = 0; i < 5; i++) expect((await recv()).data).to.equal(String(i));
        await arrive(a, 1000, 5);
        expect(queued(d)).to.equal(TDGRAM_BSD_RECV_QUEUE_MAX);
        for (let i = 5; i < TDGRAM_BSD_RECV_QUEUE_MAX; i++) expect((await recv()).data).to.equal(String(i));
        for (let i = 1000; i < 1005; i++) expect((await recv()).data).to.equal(String(i));
        expect(queued(d)).to.equal(0);
      });
    });
  });

  describe("tdgram_disconnect_send", () => {
    it("should be used to normally shutdown/close the abstracted socket: then recvfrom, sendto and disconnect fail ENOTCONN (checked against libsamba-sockets)", async () => {
      const d = udp(ip("ipv4", "127.0.0.1", 0));
      expect(await disconnect(d)).to.deep.equal([0, 0]);
      expect(await disconnect(d)).to.deep.equal([-1, ENOTCONN]);
      expect(await sendto(d, text("x"), ip("ipv4", "127.0.0.1", 9))).to.deep.equal([-1, ENOTCONN]);
      const r = await recvfrom(d);
      expect([r.ret, r.perrno]).to.deep.equal([-1, ENOTCONN]);
      const u = unix(ux(path.join(dir, "u")));
      expect(await disconnect(u)).to.deep.equal([0, 0]);
      expect(await sendto(u, text("x"), ux(path.join(dir, "u")))).to.deep.equal([-1, ENOTCONN]);
    });
  });

  describe("tdgram_bsd_optimize_recvfrom", () => {
    it("returns the old value; the optimization is off by default; a non-bsd dgram gives false (checked against libsamba-sockets)", async () => {
      const d = udp(ip("ipv4", "127.0.0.1", 0));
      expect(tdgramBsdOptimizeRecvfrom(d, true)).to.equal(false);
      expect(tdgramBsdOptimizeRecvfrom(d, false)).to.equal(true);
      expect(tdgramBsdOptimizeRecvfrom(d, true)).to.equal(false);
      const m = memdgramSocket(memdgramNetworkCreate(mem), ux("/mem/x"), null, mem).dgram!;
      expect(tdgramBsdOptimizeRecvfrom(m, true)).to.equal(false);
      expect(tdgramBsdOptimizeRecvfrom(m, true)).to.equal(false);
    });

    it("off, a waiting datagram is read when the loop reports the socket readable; on, inside recvfrom_send (delivered by the next loop iteration either way)", async () => {
      const p = freePort();
      const r = udp(ip("ipv4", "127.0.0.1", p));
      const a = udp(ip("ipv4", "127.0.0.1", 0));
      const waiting = (): number => (tdgramContextData(r) as TdgramBsd).fd!.readableLength;
      for (const on of [false, true]) {
        expect(await sendto(a, text(`on=${on}`), ip("ipv4", "127.0.0.1", p))).to.deep.equal([on ? 7 : 8, 0]);
        while (waiting() === 0) await sleep(1);
        tdgramBsdOptimizeRecvfrom(r, on);
        const req = tdgramRecvfromSend(mem, ev, r);
        expect(waiting()).to.equal(on ? 0 : 1);
        expect(teventReqIsInProgress(req)).to.equal(true);
        expect(await teventLoopOnce(ev)).to.equal(0);
        expect(teventReqIsInProgress(req)).to.equal(false);
        const out = tdgramRecvfromRecv(req, mem);
        expect([out.ret, Buffer.from(out.buf!).toString()]).to.deep.equal([on ? 7 : 8, `on=${on}`]);
      }
    });
  });

  describe("tdgram_bsd_existing_socket", () => {
    it("fd -1 gives a context whose requests fail ENOTCONN (checked against libsamba-sockets)", async () => {
      const r = tdgramBsdExistingSocket(mem, -1);
      expect([r.ret, r.errno]).to.deep.equal([0, 0]);
      const q = await recvfrom(r.dgram!);
      expect([q.ret, q.perrno]).to.deep.equal([-1, ENOTCONN]);
      expect(await sendto(r.dgram!, text("x"), ip("ipv4", "127.0.0.1", 9))).to.deep.equal([-1, ENOTCONN]);
    });

    it("descriptors Node.js cannot adopt are refused: EBADF (not open), ENOTSOCK (a file), EOPNOTSUPP (a TCP socket)", () => {
      const fd = fs.openSync(path.join(dir, "f"), "w");
      fs.closeSync(fd);
      expect(tdgramBsdExistingSocket(mem, fd)).to.deep.equal({ ret: -1, errno: EBADF, dgram: null });
      const f = fs.openSync(path.join(dir, "f"), "r");
      try {
        expect(tdgramBsdExistingSocket(mem, f)).to.deep.equal({ ret: -1, errno: ENOTSOCK, dgram: null });
      } finally {
        fs.closeSync(f);
      }
      const tcp = createReuseportFd(0, "127.0.0.1");
      try {
        expect(tdgramBsdExistingSocket(mem, tcp)).to.deep.equal({ ret: -1, errno: EOPNOTSUPP, dgram: null });
      } finally {
        closeFd(tcp);
      }
    });

    it("wraps a UDP socket descriptor, which then carries datagrams both ways", async () => {
      /* a UDP descriptor nobody else reads: node:dgram's own, taken from it
       * (its handle stops reading; it is closed right after ours) */
      const host = nodeDgram.createSocket("udp4");
      await new Promise<void>((resolve) => host.bind(0, "127.0.0.1", resolve));
      const hp = host.address().port;
      const stateSym = Object.getOwnPropertySymbols(host).find((s) => s.description === "state symbol")!;
      const handle = (host as unknown as Record<symbol, { handle: { fd: number; recvStop(): number } }>)[stateSym].handle;
      handle.recvStop();
      const r = tdgramBsdExistingSocket(mem, handle.fd);
      expect([r.ret, r.errno]).to.deep.equal([0, 0]);
      const a = udp(ip("ipv4", "127.0.0.1", 0));
      expect(await sendto(a, text("adopted"), ip("ipv4", "127.0.0.1", hp))).to.deep.equal([7, 0]);
      const q = await recvfrom(r.dgram!);
      expect([q.ret, q.data]).to.deep.equal([7, "adopted"]);
      expect(await sendto(r.dgram!, text("back"), q.addr)).to.deep.equal([4, 0]);
      expect((await recvfrom(a)).src).to.equal(`ipv4:127.0.0.1:${hp}`);
      tallocFree(r.dgram!);
      host.close();
    });
  });
});
