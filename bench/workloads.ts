// One benchmark measurement, run in a fresh child process by bench/run.ts:
//
//   node dist/bench/workloads.js <workload> <impl> <size>
//
// prints one JSON line { workload, impl, size, seconds [, bytesPerPair] }.
// impl is "port" (this library's faithful API), a raw Node.js variant
// ("node", "node-promise", "node-immediate", "node-onread"), or "floor" (a
// lower bound for the port, not an implementation: see "Floors" below).
// The C side of the same workloads is bench/c/tbench.c.  Every timed run is preceded, in the same
// process, by an untimed warm-up run of the same size (JIT warm-up), as the
// C program does.  bench/README.md describes each workload exactly.

import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import {
  tallocFree, tallocNew, TallocCtx, TdgramContext, tdgramInetUdpSocket, tdgramRecvfromRecv, tdgramRecvfromSend,
  tdgramSendtoRecv, tdgramSendtoSend, TeventContext, teventContextInit, teventLoopUntil, TeventReq,
  teventReqCallbackData, teventReqCreate, teventReqDone, teventReqIsError, teventReqPost, teventReqSetCallback,
  teventCreateImmediate, teventReqReceived, teventScheduleImmediate,
  tsocketAddressInetFromStrings, TsocketAddress, tstreamAcceptRecv, tstreamAcceptSend, TstreamContext,
  tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend, tstreamInetTcpListen, TstreamListener,
  tstreamListenerAddress, tstreamListenReadyRecv, tstreamListenReadySend, tstreamReadvPduRecv,
  tstreamReadvPduSend, tstreamReadvRecv, tstreamReadvSend, tstreamUnixSocketpair, tstreamWritevRecv,
  tstreamWritevSend, teventReqPoll,
} from "../index";

const CHUNK = 65536;
const PDU_BODY = 60;
const PDU_LEN = 4 + PDU_BODY;
const PDUS_PER_BLOCK = 1024;
const MSG = 64;

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

function fail(what: string, perrno: number): never {
  throw new Error(`${what} failed: errno ${perrno}`);
}

/* ---------------- helpers for the port ---------------- */

async function loopUntil(ev: TeventContext, done: () => boolean): Promise<void> {
  const r = await teventLoopUntil(ev, () => done(), null);
  if (r !== 0) throw new Error("teventLoopUntil failed");
}

function portUnixPair(mem: TallocCtx): [TstreamContext, TstreamContext] {
  const sp = tstreamUnixSocketpair(mem, mem);
  if (sp.ret !== 0) fail("tstreamUnixSocketpair", sp.errno);
  return [sp.stream1 as TstreamContext, sp.stream2 as TstreamContext];
}

/* a TCP loopback pair (client, server) made with the port's own listen/accept/connect */
async function portTcpPair(mem: TallocCtx, ev: TeventContext): Promise<[TstreamContext, TstreamContext]> {
  const any = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 0).addr as TsocketAddress;
  const l = tstreamInetTcpListen(mem, any, 16);
  if (l.ret !== 0) fail("tstreamInetTcpListen", l.errno);
  const listener = l.listener as TstreamListener;
  const ready = tstreamListenReadySend(mem, ev, listener);
  if (!(await teventReqPoll(ready, ev))) fail("tstreamListenReadySend", -1);
  const rr = tstreamListenReadyRecv(ready);
  if (rr.ret !== 0) fail("tstreamListenReadyRecv", rr.perrno);
  const bound = tstreamListenerAddress(listener, mem) as TsocketAddress;
  const acc = tstreamAcceptSend(mem, ev, listener);
  const con = tstreamInetTcpConnectSend(mem, ev, any, bound);
  await teventReqPoll(con, ev);
  const c = tstreamInetTcpConnectRecv(con, mem);
  if (c.ret !== 0) fail("tstreamInetTcpConnectRecv", c.perrno);
  await teventReqPoll(acc, ev);
  const a = tstreamAcceptRecv(acc, mem);
  if (a.ret !== 0) fail("tstreamAcceptRecv", a.perrno);
  tallocFree(listener);
  return [c.stream as TstreamContext, a.stream as TstreamContext];
}

/* ---------------- helpers for raw Node.js ---------------- */

function tmpSockPath(): { dir: string; p: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tbench-"));
  return { dir, p: path.join(dir, "s") };
}

/* true: keep reading (Node pauses the socket on false) */
type OnreadCb = (nread: number, buf: Uint8Array) => boolean;

/*
 * A connected stream pair (client, server): unix path or TCP loopback.
 * With onread (client's, server's), both ends read through Node's onread
 * option; the accepted end gets it by moving its handle onto a socket made
 * with it, as the port's bsdAdopt falls back to.
 */
function nodePair(tcp: boolean, onread?: [OnreadCb, OnreadCb]): Promise<[net.Socket, net.Socket, () => void]> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ pauseOnConnect: onread !== undefined });
    const t = tcp ? null : tmpSockPath();
    server.once("error", reject);
    server.once("connection", (s) => {
      if (onread !== undefined) {
        const h = (s as unknown as { _handle: unknown })._handle;
        (s as unknown as { _handle: unknown })._handle = null;
        s = new net.Socket({ handle: h, onread: { buffer: Buffer.alloc(CHUNK), callback: onread[1] },
                             readable: true, writable: true } as net.SocketConstructorOpts);
      }
      const cleanup = (): void => {
        server.close();
        if (t !== null) fs.rmSync(t.dir, { recursive: true, force: true });
      };
      const done = (): void => resolve([client, s, cleanup]);
      if (client.connecting) client.once("connect", done); else done();
    });
    let client: net.Socket;
    const go = (): void => {
      const read = onread !== undefined ? { onread: { buffer: Buffer.alloc(CHUNK), callback: onread[0] } } : {};
      client = tcp ? net.connect({ port: (server.address() as net.AddressInfo).port, host: "127.0.0.1", ...read })
        : net.connect({ path: t!.p, ...read });
      client.once("error", reject);
    };
    if (tcp) server.listen(0, "127.0.0.1", go); else server.listen(t!.p, go);
  });
}

/* ---------------- W1 request churn ---------------- */

class ChurnState { unused = 0; }

async function w1Port(n: number): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  let count = 0;
  const churnSend = (): TeventReq => {
    const req = teventReqCreate(mem, new ChurnState(), "struct churn_state");
    teventReqDone(req);
    return teventReqPost(req, ev);
  };
  const churnDone = (req: TeventReq): void => {
    if (teventReqIsError(req).ret) fail("churn", -1);
    tallocFree(req);
    if (++count < n) teventReqSetCallback(churnSend(), churnDone, null);
  };
  const t0 = now();
  teventReqSetCallback(churnSend(), churnDone, null);
  await loopUntil(ev, () => count >= n);
  const t = now() - t0;
  tallocFree(mem);
  return t;
}

function w1NodePromise(n: number): Promise<number> {
  return new Promise((resolve) => {
    let count = 0;
    let t0 = 0;
    const step = (): void => {
      if (++count < n) Promise.resolve().then(step);
      else resolve(now() - t0);
    };
    t0 = now();
    Promise.resolve().then(step);
  });
}

function w1NodeImmediate(n: number): Promise<number> {
  return new Promise((resolve) => {
    let count = 0;
    let t0 = 0;
    const step = (): void => {
      if (++count < n) setImmediate(step);
      else resolve(now() - t0);
    };
    t0 = now();
    setImmediate(step);
  });
}

/* ---------------- W2 bulk ---------------- */

async function w2Port(total: number, tcp: boolean): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const [w, r] = tcp ? await portTcpPair(mem, ev) : portUnixPair(mem);
  const wbuf = new Uint8Array(CHUNK).fill(0x5a);
  const rbuf = new Uint8Array(CHUNK);
  let written = 0;
  let nread = 0;
  const writeNext = (): void => {
    const n = Math.min(CHUNK, total - written);
    teventReqSetCallback(tstreamWritevSend(mem, ev, w, [wbuf.subarray(0, n)], 1), writeDone, null);
  };
  const writeDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamWritevRecv(req);
    tallocFree(req);
    if (ret < 0) fail("writev", perrno);
    written += ret;
    if (written < total) writeNext();
  };
  const readNext = (): void => {
    const n = Math.min(CHUNK, total - nread);
    teventReqSetCallback(tstreamReadvSend(mem, ev, r, [rbuf.subarray(0, n)], 1), readDone, null);
  };
  const readDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    if (ret < 0) fail("readv", perrno);
    nread += ret;
    if (nread < total) readNext();
  };
  const t0 = now();
  writeNext();
  readNext();
  await loopUntil(ev, () => nread >= total);
  const t = now() - t0;
  tallocFree(mem);
  return t;
}

async function w2Node(total: number, tcp: boolean): Promise<number> {
  const [w, r, cleanup] = await nodePair(tcp);
  const wbuf = Buffer.alloc(CHUNK, 0x5a);
  const t0 = now();
  const t = await new Promise<number>((resolve) => {
    let written = 0;
    let nread = 0;
    r.on("data", (d: Buffer) => {
      nread += d.length;
      if (nread >= total) resolve(now() - t0);
    });
    const pump = (): void => {
      while (written < total) {
        const n = Math.min(CHUNK, total - written);
        written += n;
        if (!w.write(n === CHUNK ? wbuf : wbuf.subarray(0, n))) {
          w.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
  w.destroy();
  r.destroy();
  cleanup();
  return t;
}

/* ---------------- W3 small PDUs ---------------- */

function pduBlock(): Buffer {
  const blk = Buffer.alloc(PDUS_PER_BLOCK * PDU_LEN);
  for (let i = 0; i < PDUS_PER_BLOCK; i++) {
    blk.writeUInt32BE(PDU_BODY, i * PDU_LEN);
    blk.fill(i & 0xff, i * PDU_LEN + 4, (i + 1) * PDU_LEN);
  }
  return blk;
}

class PduReader {
  stage = 0;
  readonly hdr = new Uint8Array(4);
  readonly body = new Uint8Array(65536);
}

function pduNextVector(_stream: TstreamContext, p: PduReader):
    { ret: number; vector: Uint8Array[] | null; count: number; errno?: number } {
  if (p.stage === 0) {
    p.stage = 1;
    return { ret: 0, vector: [p.hdr], count: 1 };
  }
  if (p.stage === 1) {
    const h = p.hdr;
    const len = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
    if (len > p.body.length) return { ret: -1, errno: 71 /* EPROTO */, vector: null, count: 0 };
    p.stage = 2;
    return { ret: 0, vector: [p.body.subarray(0, len)], count: 1 };
  }
  return { ret: 0, vector: null, count: 0 };
}

async function w3Port(n: number): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const [w, r] = portUnixPair(mem);
  const block = pduBlock();
  const reader = new PduReader();
  let sent = 0;
  let got = 0;
  let check = 0;
  const writeNext = (): void => {
    const k = Math.min(PDUS_PER_BLOCK, n - sent);
    sent += k;
    teventReqSetCallback(tstreamWritevSend(mem, ev, w, [block.subarray(0, k * PDU_LEN)], 1), writeDone, null);
  };
  const writeDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamWritevRecv(req);
    tallocFree(req);
    if (ret < 0) fail("writev", perrno);
    if (sent < n) writeNext();
  };
  const readNext = (): void => {
    reader.stage = 0;
    teventReqSetCallback(tstreamReadvPduSend(mem, ev, r, pduNextVector, reader), readDone, null);
  };
  const readDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamReadvPduRecv(req);
    tallocFree(req);
    if (ret < 0) fail("readv_pdu", perrno);
    check += reader.body[0];
    if (++got < n) readNext();
  };
  const t0 = now();
  writeNext();
  readNext();
  await loopUntil(ev, () => got >= n);
  const t = now() - t0;
  tallocFree(mem);
  if (check < 0) console.error(check);
  return t;
}

async function w3Node(n: number): Promise<number> {
  const [w, r, cleanup] = await nodePair(false);
  const block = pduBlock();
  const t0 = now();
  const t = await new Promise<number>((resolve) => {
    let sent = 0;
    let got = 0;
    let check = 0;
    /* the parser: PDUs complete inside a chunk are handed on as views;
     * one split across chunks is gathered in partial */
    const partial = Buffer.alloc(65536 + 4);
    let have = 0;
    let need = 4;
    const onPdu = (pdu: Uint8Array): void => {
      check += pdu[0];
      if (++got === n) resolve(now() - t0);
    };
    r.on("data", (d: Buffer) => {
      let off = 0;
      const len = d.length;
      if (have > 0) {
        while (off < len) {
          const k = Math.min(need - have, len - off);
          d.copy(partial, have, off, off + k);
          have += k;
          off += k;
          if (have < need) break;
          if (need === 4) {
            need = 4 + partial.readUInt32BE(0);
            continue;
          }
          onPdu(partial.subarray(4, need));
          have = 0;
          need = 4;
          break;
        }
      }
      while (off < len) {
        if (len - off < 4) break;
        const plen = d.readUInt32BE(off);
        if (len - off < 4 + plen) break;
        onPdu(d.subarray(off + 4, off + 4 + plen));
        off += 4 + plen;
      }
      if (off < len) {
        d.copy(partial, 0, off, len);
        have = len - off;
        need = have >= 4 ? 4 + partial.readUInt32BE(0) : 4;
      }
    });
    const pump = (): void => {
      while (sent < n) {
        const k = Math.min(PDUS_PER_BLOCK, n - sent);
        sent += k;
        if (!w.write(k === PDUS_PER_BLOCK ? block : block.subarray(0, k * PDU_LEN))) {
          w.once("drain", pump);
          return;
        }
      }
    };
    pump();
    if (check < 0) console.error(check);
  });
  w.destroy();
  r.destroy();
  cleanup();
  return t;
}

/* ---------------- W4 ping-pong ---------------- */

/* two UDP ports next to each other, chosen from the pid; retried on EADDRINUSE */
function portPair(tries: number): [number, number] {
  const pa = 20000 + ((process.pid * 7 + 15000 + tries * 2) % 30000);
  return [pa, pa + 1];
}

async function w4UdpPort(n: number): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  let a: TdgramContext | null = null;
  let b: TdgramContext | null = null;
  for (let tries = 0; a === null || b === null; tries++) {
    const [pa, pb] = portPair(tries);
    const la = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", pa).addr as TsocketAddress;
    const lb = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", pb).addr as TsocketAddress;
    const ra = tdgramInetUdpSocket(la, lb, mem);
    if (ra.ret !== 0) { if (tries < 50) continue; fail("tdgramInetUdpSocket", ra.errno); }
    const rb = tdgramInetUdpSocket(lb, la, mem);
    if (rb.ret !== 0) { tallocFree(ra.dgram); if (tries < 50) continue; fail("tdgramInetUdpSocket", rb.errno); }
    a = ra.dgram as TdgramContext;
    b = rb.dgram as TdgramContext;
  }
  const A = a, B = b;
  const abuf = new Uint8Array(MSG).fill(0x61);
  const bbuf = new Uint8Array(MSG);
  let count = 0;
  const bListen = (): void => { teventReqSetCallback(tdgramRecvfromSend(mem, ev, B), bRecvDone, null); };
  const bRecvDone = (req: TeventReq): void => {
    const { ret, perrno, buf } = tdgramRecvfromRecv(req, mem);
    if (ret < 0) fail("recvfrom b", perrno);
    bbuf.set((buf as Uint8Array).subarray(0, MSG));
    tallocFree(req);
    tallocFree(buf);
    teventReqSetCallback(tdgramSendtoSend(mem, ev, B, bbuf, ret, null), bSendDone, null);
  };
  const bSendDone = (req: TeventReq): void => {
    const { ret, perrno } = tdgramSendtoRecv(req);
    tallocFree(req);
    if (ret < 0) fail("sendto b", perrno);
    bListen();
  };
  const aPing = (): void => { teventReqSetCallback(tdgramSendtoSend(mem, ev, A, abuf, MSG, null), aSendDone, null); };
  const aSendDone = (req: TeventReq): void => {
    const { ret, perrno } = tdgramSendtoRecv(req);
    tallocFree(req);
    if (ret < 0) fail("sendto a", perrno);
    teventReqSetCallback(tdgramRecvfromSend(mem, ev, A), aRecvDone, null);
  };
  const aRecvDone = (req: TeventReq): void => {
    const { ret, perrno, buf } = tdgramRecvfromRecv(req, mem);
    tallocFree(req);
    if (ret !== MSG) fail("recvfrom a", perrno);
    tallocFree(buf);
    if (++count < n) aPing();
  };
  const t0 = now();
  bListen();
  aPing();
  await loopUntil(ev, () => count >= n);
  const t = now() - t0;
  tallocFree(mem);
  return t;
}

/* two connected dgram sockets on 127.0.0.1 (ports as portPair) */
async function nodeUdpPair(): Promise<[dgram.Socket, dgram.Socket]> {
  const bind = (s: dgram.Socket, p: number): Promise<boolean> => new Promise((res) => {
    s.once("error", () => res(false));
    s.bind(p, "127.0.0.1", () => { s.removeAllListeners("error"); res(true); });
  });
  for (let tries = 0; ; tries++) {
    const [pa, pb] = portPair(tries);
    const sa = dgram.createSocket("udp4");
    const sb = dgram.createSocket("udp4");
    if (!(await bind(sa, pa)) || !(await bind(sb, pb))) {
      sa.close(); sb.close();
      if (tries >= 50) throw new Error("udp bind failed");
      continue;
    }
    await Promise.all([
      new Promise<void>((res) => sa.connect(pb, "127.0.0.1", () => res())),
      new Promise<void>((res) => sb.connect(pa, "127.0.0.1", () => res())),
    ]);
    return [sa, sb];
  }
}

async function w4UdpNode(n: number): Promise<number> {
  const [A, B] = await nodeUdpPair();
  const abuf = Buffer.alloc(MSG, 0x61);
  const t0 = now();
  const t = await new Promise<number>((resolve) => {
    let count = 0;
    B.on("message", (m: Buffer) => B.send(m));
    A.on("message", (m: Buffer) => {
      if (m.length !== MSG) throw new Error("short datagram");
      if (++count < n) A.send(abuf);
      else resolve(now() - t0);
    });
    A.send(abuf);
  });
  A.close();
  B.close();
  return t;
}

async function w4UnixPort(n: number): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const [A, B] = portUnixPair(mem);
  const abuf = new Uint8Array(MSG).fill(0x61);
  const bbuf = new Uint8Array(MSG);
  let count = 0;
  const bListen = (): void => { teventReqSetCallback(tstreamReadvSend(mem, ev, B, [bbuf], 1), bReadDone, null); };
  const bReadDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    if (ret !== MSG) fail("readv b", perrno);
    teventReqSetCallback(tstreamWritevSend(mem, ev, B, [bbuf], 1), bWriteDone, null);
  };
  const bWriteDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamWritevRecv(req);
    tallocFree(req);
    if (ret !== MSG) fail("writev b", perrno);
    bListen();
  };
  const aPing = (): void => { teventReqSetCallback(tstreamWritevSend(mem, ev, A, [abuf], 1), aWriteDone, null); };
  const aWriteDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamWritevRecv(req);
    tallocFree(req);
    if (ret !== MSG) fail("writev a", perrno);
    teventReqSetCallback(tstreamReadvSend(mem, ev, A, [abuf], 1), aReadDone, null);
  };
  const aReadDone = (req: TeventReq): void => {
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    if (ret !== MSG) fail("readv a", perrno);
    if (++count < n) aPing();
  };
  const t0 = now();
  bListen();
  aPing();
  await loopUntil(ev, () => count >= n);
  const t = now() - t0;
  tallocFree(mem);
  return t;
}

async function w4UnixNode(n: number): Promise<number> {
  const [A, B, cleanup] = await nodePair(false);
  const abuf = Buffer.alloc(MSG, 0x61);
  const t0 = now();
  const t = await new Promise<number>((resolve) => {
    let count = 0;
    let bgot = 0;
    let agot = 0;
    const bbuf = Buffer.alloc(MSG);
    B.on("data", (d: Buffer) => {
      d.copy(bbuf, bgot);
      bgot += d.length;
      if (bgot === MSG) { bgot = 0; B.write(bbuf); }
    });
    A.on("data", (d: Buffer) => {
      agot += d.length;
      if (agot < MSG) return;
      agot = 0;
      if (++count < n) A.write(abuf);
      else resolve(now() - t0);
    });
    A.write(abuf);
  });
  A.destroy();
  B.destroy();
  cleanup();
  return t;
}

/* ---------------- W5 memory per idle pair ---------------- */

function settle(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

function gcRss(): number {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) { g(); g(); }
  return process.memoryUsage.rss();
}

async function w5Port(n: number, reading: boolean): Promise<{ seconds: number; bytesPerPair: number }> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const keep: TstreamContext[] = [];
  const one = new Uint8Array(2);
  await settle(20);
  const before = gcRss();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const [a, b] = portUnixPair(mem);
    keep.push(a, b);
  }
  /* the accepting ends attach in Node's next I/O phases (no tevent event
   * is involved): let Node run, then everything is connected and idle */
  await settle(50);
  if (reading) {
    for (let i = 0; i < keep.length; i++) tstreamReadvSend(mem, ev, keep[i], [one.subarray(i & 1, (i & 1) + 1)], 1);
    await settle(20);
  }
  const seconds = now() - t0;
  const after = gcRss();
  const bytesPerPair = (after - before) / n;
  tallocFree(mem);
  return { seconds, bytesPerPair };
}

async function w5Node(n: number, reading: boolean): Promise<{ seconds: number; bytesPerPair: number }> {
  const t = tmpSockPath();
  const server = net.createServer();
  await new Promise<void>((res) => server.listen({ path: t.p, backlog: 511 }, () => res()));
  const keep: net.Socket[] = [];
  let accepted = 0;
  let connected = 0;
  let allDone: () => void = () => {};
  let check2: () => void = () => {};
  const check = (): void => { check2(); };
  const onData = (): void => {};
  server.on("connection", (s) => {
    keep.push(s);
    if (reading) s.on("data", onData);
    accepted++;
    check();
  });
  await settle(20);
  const before = gcRss();
  const t0 = now();
  /* in batches of 256: a unix connect beyond the listen backlog fails with EAGAIN */
  for (let i = 0; i < n; i += 256) {
    const k = Math.min(256, n - i);
    const target = i + k;
    await new Promise<void>((res) => {
      allDone = (): void => res();
      for (let j = 0; j < k; j++) {
        const c = net.connect(t.p, () => { connected++; if (connected >= target && accepted >= target) res(); });
        if (reading) c.on("data", onData);
        keep.push(c);
      }
      check2 = (): void => { if (connected >= target && accepted >= target) res(); };
    });
  }
  await settle(50);
  const seconds = now() - t0;
  const after = gcRss();
  const bytesPerPair = (after - before) / n;
  for (const s of keep) s.destroy();
  server.close();
  fs.rmSync(t.dir, { recursive: true, force: true });
  return { seconds, bytesPerPair };
}

/* ---------------- floors: lower bounds, not implementations ----------------
 *
 * What C's semantics cost by themselves, with no tsocket layer at all: the
 * requests C makes per operation, from the port's public tevent API, and
 * raw Node.js I/O underneath.  Each floor does strictly less than the port
 * may (callbacks straight from Node's I/O callback instead of from a loop
 * iteration, no stream or datagram state, no busy checks, no byte queue),
 * so the port cannot beat it.  bench/README.md ("Floors") says what each
 * one shows.
 */

/* W3: one request per PDU, one loop iteration (an immediate) per vector,
 * the same next_vector, the bytes copied out of a block already in memory */
class W3FloorState {
  vector: Uint8Array[] | null = null;
  total = 0;
  constructor(readonly reader: PduReader) {}
}

async function w3Floor(n: number): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const block = pduBlock();
  const reader = new PduReader();
  const im = teventCreateImmediate(mem);
  let off = 0;
  let got = 0;
  let check = 0;
  const ask = (req: TeventReq, st: W3FloorState): void => {
    const r = pduNextVector(null as unknown as TstreamContext, st.reader);
    if (r.ret < 0) fail("next_vector", r.errno ?? 0);
    if (r.count === 0) { teventReqDone(req); return; }
    st.vector = r.vector;
    teventScheduleImmediate(im, ev, step, req);
  };
  const step = (_ev: TeventContext, _im: unknown, req: TeventReq): void => {
    const st = req.data as W3FloorState;
    const v = (st.vector as Uint8Array[])[0];
    const len = v.length;
    if (off + len > block.length) off = 0;
    for (let i = 0; i < len; i++) v[i] = block[off + i];
    off += len;
    st.total += len;
    ask(req, st);
  };
  const readNext = (): void => {
    reader.stage = 0;
    const st = new W3FloorState(reader);
    const req = teventReqCreate(mem, st);
    ask(req, st);
    teventReqSetCallback(req, readDone, null);
  };
  const readDone = (req: TeventReq): void => {
    const e = teventReqIsError(req);
    const ret = e.ret ? -1 : (req.data as W3FloorState).total;
    teventReqReceived(req);
    tallocFree(req);
    if (ret !== PDU_LEN) fail("pdu", e.error);
    check += reader.body[0];
    if (++got < n) readNext();
  };
  const t0 = now();
  readNext();
  await loopUntil(ev, () => got >= n);
  const t = now() - t0;
  tallocFree(mem);
  if (check < 0) console.error(check);
  return t;
}

/* W4 unix: raw Node.js reading through the onread option on both ends (the
 * cheapest read Node.js offers; the port reads this way too) */
async function w4UnixNodeOnread(n: number): Promise<number> {
  const abuf = Buffer.alloc(MSG, 0x61);
  const bbuf = Buffer.alloc(MSG);
  let count = 0;
  let agot = 0;
  let bgot = 0;
  let resolve: (t: number) => void = () => {};
  const fin = new Promise<number>((r) => { resolve = r; });
  let t0 = 0;
  const [A, B, cleanup] = await nodePair(false, [(nread) => {
    agot += nread;
    if (agot < MSG) return true;
    agot = 0;
    if (++count < n) A.write(abuf); else resolve(now() - t0);
    return true;
  }, (nread, buf) => {
    bbuf.set(buf.subarray(0, nread), bgot);
    bgot += nread;
    if (bgot === MSG) { bgot = 0; B.write(bbuf); }
    return true;
  }]);
  t0 = now();
  A.write(abuf);
  const t = await fin;
  A.destroy();
  B.destroy();
  cleanup();
  return t;
}

/* W4 floors: C's requests per message (a readv/recvfrom completed from
 * Node's read callback, a writev/sendto done at once and posted: one loop
 * iteration), each freed in its callback, over raw Node.js I/O */
class FloorIo {
  got = 0;
  constructor(readonly buf: Uint8Array) {}
}

interface FloorEnds { send(side: 0 | 1, buf: Uint8Array): void; close(): void }

async function w4Floor(n: number, open: (rx: (side: 0 | 1, data: Uint8Array, nread: number) => void) =>
  Promise<FloorEnds>): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const abuf = new Uint8Array(MSG).fill(0x61);
  const bbuf = new Uint8Array(MSG);
  const pending: [TeventReq | null, TeventReq | null] = [null, null];
  let count = 0;
  const rx = (side: 0 | 1, data: Uint8Array, nread: number): void => {
    const req = pending[side];
    if (req === null) fail("floor: bytes with no read pending", 0);
    const st = req.data as FloorIo;
    st.buf.set(data.subarray(0, Math.min(nread, st.buf.length - st.got)), st.got);
    st.got += nread;
    if (st.got >= st.buf.length) { pending[side] = null; teventReqDone(req); }
  };
  const ends = await open(rx);
  const read = (side: 0 | 1, buf: Uint8Array): TeventReq => {
    const req = teventReqCreate(mem, new FloorIo(buf));
    pending[side] = req;
    return req;
  };
  const write = (side: 0 | 1, buf: Uint8Array): TeventReq => {
    const req = teventReqCreate(mem, new FloorIo(buf));
    ends.send(side, buf);
    teventReqDone(req);
    return teventReqPost(req, ev);
  };
  const received = (req: TeventReq): number => {
    const e = teventReqIsError(req);
    teventReqReceived(req);
    tallocFree(req);
    return e.ret ? -1 : MSG;
  };
  const bListen = (): void => { teventReqSetCallback(read(1, bbuf), bReadDone, null); };
  const bReadDone = (req: TeventReq): void => {
    if (received(req) !== MSG) fail("floor read b", 0);
    teventReqSetCallback(write(1, bbuf), bWriteDone, null);
  };
  const bWriteDone = (req: TeventReq): void => {
    if (received(req) !== MSG) fail("floor write b", 0);
    bListen();
  };
  const aPing = (): void => { teventReqSetCallback(write(0, abuf), aWriteDone, null); };
  const aWriteDone = (req: TeventReq): void => {
    if (received(req) !== MSG) fail("floor write a", 0);
    teventReqSetCallback(read(0, abuf), aReadDone, null);
  };
  const aReadDone = (req: TeventReq): void => {
    if (received(req) !== MSG) fail("floor read a", 0);
    if (++count < n) { aPing(); return; }
    /* the last callback ran from Node's, not from the loop: wake it to see count */
    const last = teventReqCreate(mem, new FloorIo(abuf));
    teventReqDone(last);
    teventReqPost(last, ev);
  };
  const t0 = now();
  bListen();
  aPing();
  await loopUntil(ev, () => count >= n);
  const t = now() - t0;
  ends.close();
  tallocFree(mem);
  return t;
}

function w4UnixFloor(n: number): Promise<number> {
  return w4Floor(n, async (rx) => {
    const [A, B, cleanup] = await nodePair(false, [(nread, buf) => { rx(0, buf, nread); return true; },
                                                   (nread, buf) => { rx(1, buf, nread); return true; }]);
    return {
      send: (side, buf): void => { (side === 0 ? A : B).write(buf); },
      close: (): void => { A.destroy(); B.destroy(); cleanup(); },
    };
  });
}

function w4UdpFloor(n: number): Promise<number> {
  return w4Floor(n, async (rx) => {
    const [A, B] = await nodeUdpPair();
    A.on("message", (m: Buffer) => rx(0, m, m.length));
    B.on("message", (m: Buffer) => rx(1, m, m.length));
    return {
      send: (side, buf): void => { (side === 0 ? A : B).send(buf); },
      close: (): void => { A.close(); B.close(); },
    };
  });
}

/* ---------------- dispatch ---------------- */

type Fn = (size: number) => Promise<number>;

const TIMED: Record<string, Record<string, Fn>> = {
  "w1": { "port": w1Port, "node-promise": w1NodePromise, "node-immediate": w1NodeImmediate },
  "w2-unix": { "port": (s) => w2Port(s, false), "node": (s) => w2Node(s, false) },
  "w2-tcp": { "port": (s) => w2Port(s, true), "node": (s) => w2Node(s, true) },
  "w3": { "port": w3Port, "node": w3Node, "floor": w3Floor },
  "w4-udp": { "port": w4UdpPort, "node": w4UdpNode, "floor": w4UdpFloor },
  "w4-unix": { "port": w4UnixPort, "node": w4UnixNode, "node-onread": w4UnixNodeOnread, "floor": w4UnixFloor },
};

async function main(): Promise<void> {
  const [workload, impl, sizeArg] = process.argv.slice(2);
  const size = Number(sizeArg);
  if (!Number.isInteger(size) || size <= 0) throw new Error(`bad size ${sizeArg}`);
  const out: Record<string, unknown> = { workload, impl, size };
  if (workload === "w5-idle" || workload === "w5-reading") {
    const reading = workload === "w5-reading";
    const fn = impl === "port" ? w5Port : impl === "node" ? w5Node : null;
    if (fn === null) throw new Error(`unknown impl ${impl}`);
    const r = await fn(size, reading);
    out.seconds = r.seconds;
    out.bytesPerPair = r.bytesPerPair;
  } else {
    const fn = TIMED[workload]?.[impl];
    if (fn === undefined) throw new Error(`unknown workload/impl ${workload}/${impl}`);
    await fn(size); /* warm-up at the same size, not timed (see bench/README.md) */
    out.seconds = await fn(size);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
