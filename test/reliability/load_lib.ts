// Load runs of issue 8, item 2, shared by the short mocha test
// (load.test.ts, through load_main.ts) and `npm run stress`.
//
//  - runConnLoad(): one event context serving many concurrent TCP
//    connections on 127.0.0.1.  The clients live in a second process
//    (load_client.ts, plain node:net), because a process may hold at most
//    20,000 descriptors here.  Each client sends length-prefixed PDUs in
//    random chunks; the server reads them with tstreamReadvPduSend, checks
//    every byte, and echoes each PDU with tstreamWritevQueueSend on the
//    connection's TeventQueue; the client checks every echoed byte.  All
//    connections are open at once: a client closes only after every
//    connection has had all its echoes.
//  - runQueueLoad(): many writes queued at once through one writev queue
//    (tstreamWritevQueueSend on one TeventQueue) over a socketpair; the
//    reader checks every byte in order, and the writes must complete in
//    the order they were queued.
//  - heapUsed(): process.memoryUsage().heapUsed after several full GCs
//    (needs node --expose-gc).

import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  EPIPE, tallocFree, tallocNew, teventAddTimer, TeventContext, teventContextInit, teventLoopUntil, TeventQueue,
  teventQueueCreate, teventQueueLength, teventQueueWaitSend, TeventReq, teventReqCallbackData, teventReqPoll,
  teventReqSetCallback, teventTimevalCurrentOfs, TsocketAddress, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tstreamAcceptRecv, tstreamAcceptSend, TstreamContext, tstreamInetTcpListen,
  tstreamListenerAddress, tstreamListenReadyRecv, tstreamListenReadySend, TstreamListener, tstreamReadvPduRecv,
  tstreamReadvPduSend, tstreamReadvRecv, tstreamReadvSend, tstreamUnixSocketpair, tstreamWritevQueueRecv,
  tstreamWritevQueueSend,
} from "../../index";
import type { LoadMainResult } from "./load_main";

/** mulberry32: a small seeded PRNG (the client uses the same one). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/* ---- the PDU both sides agree on ----
 * A 4-byte big-endian body length, then the body: connection id (u32 BE),
 * PDU index (u32 BE), then bytes of a shared random block of a prime
 * length starting at an offset fixed by (id, index).  So the server can
 * check every body byte without being told what was sent. */

export const BLOCK_LEN = 65521;
export const PDU_MIN_BODY = 8;

export function makeBlock(seed: number): Uint8Array {
  const rnd = prng(seed ^ 0x5eed);
  const b = new Uint8Array(BLOCK_LEN);
  for (let i = 0; i < BLOCK_LEN; i++) b[i] = (rnd() * 256) | 0;
  return b;
}

export function payloadOffset(conn: number, idx: number): number {
  return (conn * 7919 + idx * 104729) % BLOCK_LEN;
}

/** Fill dst with block bytes from offset off (wrapping). */
export function fillFromBlock(block: Uint8Array, off: number, dst: Uint8Array): void {
  let o = off % BLOCK_LEN;
  let d = 0;
  while (d < dst.length) {
    const n = Math.min(dst.length - d, BLOCK_LEN - o);
    dst.set(block.subarray(o, o + n), d);
    d += n;
    o = 0;
  }
}

/** Does src equal block bytes from offset off (wrapping)? */
export function equalsBlock(block: Uint8Array, off: number, src: Uint8Array): boolean {
  let o = off % BLOCK_LEN;
  let d = 0;
  while (d < src.length) {
    const n = Math.min(src.length - d, BLOCK_LEN - o);
    if (Buffer.compare(block.subarray(o, o + n), src.subarray(d, d + n)) !== 0) return false;
    d += n;
    o = 0;
  }
  return true;
}

/* ---- descriptors ---- */

/** The soft and hard RLIMIT_NOFILE of this process (from /proc; fallback 1024). */
export function nofileLimits(): { soft: number; hard: number } {
  try {
    const line = fs.readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const m = line ? /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(line) : null;
    if (m) {
      const v = (s: string): number => (s === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(s));
      return { soft: v(m[1]), hard: v(m[2]) };
    }
  } catch { /* not Linux */ }
  return { soft: 1024, hard: 1024 };
}

/**
 * Spawn node with args with a soft descriptor limit of at least want
 * (raised through a shell's `ulimit -Sn`, as a process cannot raise its own
 * from JavaScript).  Fails when the hard limit is below want.
 */
export function spawnNodeWithNofile(want: number, nodeArgs: string[],
                                    stdio: ("pipe" | "inherit" | "ignore")[]): ChildProcess {
  const { hard } = nofileLimits();
  if (want > hard) {
    throw new Error(`need ${want} descriptors per process, the hard limit is ${hard}`);
  }
  /* only ever raise the soft limit */
  return spawn("bash", ["-c", `if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt ${want} ]; then ulimit -Sn ${want} || exit 1; fi; exec "$0" "$@"`,
                        process.execPath, ...nodeArgs], { stdio });
}

/* ---- heap ---- */

/** heapUsed after several full collections; needs --expose-gc. */
export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") throw new Error("run node with --expose-gc");
  let last = Infinity;
  for (let i = 0; i < 8; i++) {
    gc();
    const h = process.memoryUsage().heapUsed;
    if (i >= 3 && Math.abs(h - last) < 4096) return h;
    last = h;
  }
  return process.memoryUsage().heapUsed;
}

/* ---- the connection load ---- */

export interface ConnLoadOptions {
  conns: number;
  pdusPerConn: number;
  maxBody: number;
  seed: number;
  /** give up after this many ms */
  deadlineMs: number;
}

export interface ConnLoadResult {
  conns: number;
  accepted: number;
  /** the most server streams open at the same time */
  peakOpen: number;
  /** PDUs whose every byte the server checked */
  serverPdus: number;
  serverBytes: number;
  /** echo bytes the writev queue requests reported written */
  echoBytes: number;
  /** from the client process */
  clientConnected: number;
  clientPdus: number;
  clientBytes: number;
  clientMismatches: number;
  lost: number;
  corrupted: number;
  errors: string[];
  ms: number;
}

/* the readv_pdu state: header, then body */
interface PduRead { hdr: Uint8Array; body: Uint8Array | null; step: number }

function pduNext(_s: TstreamContext, st: PduRead, _m: unknown): { ret: number; vector: Uint8Array[] | null; count: number } {
  switch (st.step++) {
    case 0:
      return { ret: 0, vector: [st.hdr], count: 1 };
    case 1: {
      const len = ((st.hdr[0] << 24) | (st.hdr[1] << 16) | (st.hdr[2] << 8) | st.hdr[3]) >>> 0;
      if (len < PDU_MIN_BODY || len > 16 * 1024 * 1024) return { ret: -1, vector: null, count: 0 };
      st.body = new Uint8Array(len);
      return { ret: 0, vector: [st.body], count: 1 };
    }
  }
  return { ret: 0, vector: null, count: 0 };
}

interface Conn {
  mem: object;
  stream: TstreamContext;
  queue: TeventQueue;
  id: number;
  pdus: number;
  closing: boolean;
}

/** Where the compiled client script is. */
export function clientScript(): string {
  return path.join(__dirname, "load_client.js");
}

export async function runConnLoad(o: ConnLoadOptions): Promise<ConnLoadResult> {
  const t0 = Date.now();
  const block = makeBlock(o.seed);
  const res: ConnLoadResult = {
    conns: o.conns, accepted: 0, peakOpen: 0, serverPdus: 0, serverBytes: 0, echoBytes: 0, clientConnected: 0,
    clientPdus: 0, clientBytes: 0, clientMismatches: 0, lost: 0, corrupted: 0, errors: [], ms: 0,
  };
  const fail = (msg: string): void => { if (res.errors.length < 20) res.errors.push(msg); };
  const { soft } = nofileLimits();
  if (soft < o.conns + 200) {
    throw new Error(`this process may open ${soft} descriptors, ${o.conns + 200} are needed (ulimit -n)`);
  }

  const mem = tallocNew(null);
  const ev: TeventContext = teventContextInit(mem);
  const local = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", 0).addr as TsocketAddress;
  const l = tstreamInetTcpListen(mem, local, 4096);
  if (l.ret !== 0) throw new Error(`listen: errno ${l.errno}`);
  const listener = l.listener as TstreamListener;
  const ready = tstreamListenReadySend(mem, ev, listener);
  if (!(await teventReqPoll(ready, ev)) || tstreamListenReadyRecv(ready).ret !== 0) throw new Error("listen failed");
  tallocFree(ready);
  const port = tsocketAddressInetPort(tstreamListenerAddress(listener, mem) as TsocketAddress);

  let open = 0;
  let closed = 0;
  let clientDone = false;
  let clientOut = "";

  /* the clients, in a second process */
  const child = spawnNodeWithNofile(o.conns + 200, [
    clientScript(), String(port), String(o.conns), String(o.pdusPerConn), String(o.maxBody), String(o.seed),
  ], ["ignore", "pipe", "inherit"]);
  child.stdout!.on("data", (d: Buffer) => { clientOut += d.toString(); });
  child.on("exit", (code, sig) => {
    clientDone = true;
    if (code !== 0) fail(`client exited with ${code ?? sig}`);
  });

  function closeConn(c: Conn): void {
    if (c.closing) return;
    c.closing = true;
    const finish = (): void => {
      tallocFree(c.mem);
      open--;
      closed++;
    };
    if (teventQueueLength(c.queue) === 0) {
      finish();
      return;
    }
    /* let the queued echoes go out first */
    const w = teventQueueWaitSend(mem, ev, c.queue);
    teventReqSetCallback(w, (req: TeventReq) => { tallocFree(req); finish(); }, null);
  }

  function readNext(c: Conn): void {
    const st: PduRead = { hdr: new Uint8Array(4), body: null, step: 0 };
    const req = tstreamReadvPduSend(c.mem, ev, c.stream, pduNext, st);
    teventReqSetCallback(req, pduDone, [c, st]);
  }

  function pduDone(req: TeventReq): void {
    const [c, st] = teventReqCallbackData(req) as [Conn, PduRead];
    const { ret, perrno } = tstreamReadvPduRecv(req);
    tallocFree(req);
    if (ret === -1) {
      /* the client closes after its last echo: a clean end of stream
       * (EPIPE) at a PDU boundary, after exactly pdusPerConn PDUs */
      if (perrno !== EPIPE || st.step !== 1 || c.pdus !== o.pdusPerConn) {
        fail(`conn ${c.id}: readv_pdu errno ${perrno} after ${c.pdus} PDUs (step ${st.step})`);
      }
      closeConn(c);
      return;
    }
    const body = st.body as Uint8Array;
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const id = dv.getUint32(0);
    const idx = dv.getUint32(4);
    if (c.id === -1) c.id = id;
    if (id !== c.id || idx !== c.pdus || !equalsBlock(block, payloadOffset(id, idx), body.subarray(8))) {
      res.corrupted++;
      fail(`conn ${c.id}: PDU ${c.pdus} corrupted (id ${id}, idx ${idx})`);
    }
    c.pdus++;
    res.serverPdus++;
    res.serverBytes += 4 + body.length;
    const w = tstreamWritevQueueSend(c.mem, ev, c.stream, c.queue, [st.hdr, body], 2);
    teventReqSetCallback(w, echoDone, 4 + body.length);
    readNext(c);
  }

  function echoDone(req: TeventReq): void {
    const n = teventReqCallbackData(req) as number;
    const { ret, perrno } = tstreamWritevQueueRecv(req);
    tallocFree(req);
    if (ret !== n) fail(`echo: ret ${ret} perrno ${perrno}, expected ${n}`);
    else res.echoBytes += n;
  }

  function acceptNext(): void {
    const req = tstreamAcceptSend(mem, ev, listener);
    teventReqSetCallback(req, acceptDone, null);
  }

  function acceptDone(req: TeventReq): void {
    const cmem = tallocNew(mem);
    const r = tstreamAcceptRecv(req, cmem);
    tallocFree(req);
    if (r.ret !== 0) {
      tallocFree(cmem);
      fail(`accept: errno ${r.perrno}`);
      return;
    }
    const c: Conn = {
      mem: cmem, stream: r.stream as TstreamContext, queue: teventQueueCreate(cmem, "echo"), id: -1, pdus: 0,
      closing: false,
    };
    res.accepted++;
    open++;
    if (open > res.peakOpen) res.peakOpen = open;
    readNext(c);
    if (res.accepted < o.conns) acceptNext();
  }

  /* a ticker keeps the loop waking up (the client's exit is a Node event) */
  const deadline = Date.now() + o.deadlineMs;
  let timedOut = false;
  const tick = (): void => {
    if (Date.now() > deadline) timedOut = true;
    teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 20000), tick, null);
  };
  tick();
  acceptNext();
  await teventLoopUntil(ev, () =>
    timedOut || res.errors.length >= 20 || (clientDone && closed === res.accepted && res.accepted === o.conns), null);
  if (timedOut) fail(`deadline of ${o.deadlineMs} ms passed (accepted ${res.accepted}, closed ${closed})`);
  if (!clientDone) {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
  tallocFree(mem); /* the listener, the streams left, the timers */

  const line = clientOut.trim().split("\n").pop() ?? "";
  try {
    const c = JSON.parse(line) as {
      connected: number; pdus: number; bytes: number; mismatches: number; lost: number; errors: string[];
    };
    res.clientConnected = c.connected;
    res.clientPdus = c.pdus;
    res.clientBytes = c.bytes;
    res.clientMismatches = c.mismatches;
    res.lost = c.lost;
    res.corrupted += c.mismatches;
    for (const e of c.errors) fail(`client: ${e}`);
  } catch {
    fail(`client said: ${JSON.stringify(clientOut.slice(-300))}`);
  }
  if (res.clientPdus !== o.conns * o.pdusPerConn || res.serverPdus !== o.conns * o.pdusPerConn) {
    fail(`PDUs: server ${res.serverPdus}, client ${res.clientPdus}, expected ${o.conns * o.pdusPerConn}`);
  }
  if (res.clientBytes !== res.serverBytes || res.echoBytes !== res.serverBytes) {
    fail(`bytes: server read ${res.serverBytes}, echoed ${res.echoBytes}, client checked ${res.clientBytes}`);
  }
  res.ms = Date.now() - t0;
  return res;
}

/* ---- the writev queue load ---- */

export interface QueueLoadOptions {
  writes: number;
  /** each write is 1..maxWrite bytes */
  maxWrite: number;
  seed: number;
  deadlineMs: number;
}

export interface QueueLoadResult {
  writes: number;
  /** the queue's length once every write was queued */
  queued: number;
  completed: number;
  /** completions out of queue order */
  outOfOrder: number;
  bytesWritten: number;
  bytesChecked: number;
  reads: number;
  lost: number;
  corrupted: number;
  errors: string[];
  ms: number;
}

export async function runQueueLoad(o: QueueLoadOptions): Promise<QueueLoadResult> {
  const t0 = Date.now();
  const rnd = prng(o.seed);
  const block = makeBlock(o.seed);
  const res: QueueLoadResult = {
    writes: o.writes, queued: 0, completed: 0, outOfOrder: 0, bytesWritten: 0, bytesChecked: 0, reads: 0, lost: 0,
    corrupted: 0, errors: [], ms: 0,
  };
  const fail = (msg: string): void => { if (res.errors.length < 20) res.errors.push(msg); };
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const sp = tstreamUnixSocketpair(mem, mem);
  if (sp.ret !== 0) throw new Error(`socketpair: errno ${sp.errno}`);
  const w = sp.stream1 as TstreamContext;
  const r = sp.stream2 as TstreamContext;
  const queue = teventQueueCreate(mem, "writes");

  /* views of the endless repetition of block, [off, off + n), cut in one to three pieces */
  const views = (off: number, n: number): Uint8Array[] => {
    const out: Uint8Array[] = [];
    let o2 = off % BLOCK_LEN;
    while (n > 0) {
      const m = Math.min(n, BLOCK_LEN - o2);
      out.push(block.subarray(o2, o2 + m));
      n -= m;
      o2 = 0;
    }
    if (out.length === 1 && out[0].length > 1 && rnd() < 0.5) {
      const v = out[0];
      const cut = 1 + Math.floor(rnd() * (v.length - 1));
      return [v.subarray(0, cut), v.subarray(cut, cut), v.subarray(cut)];
    }
    return out;
  };

  let total = 0;
  let nextDone = 0;
  const writeDone = (req: TeventReq): void => {
    const [i, n] = teventReqCallbackData(req) as [number, number];
    const { ret, perrno } = tstreamWritevQueueRecv(req);
    tallocFree(req);
    if (i !== nextDone) res.outOfOrder++;
    nextDone = i + 1;
    res.completed++;
    if (ret !== n) fail(`write ${i}: ret ${ret} perrno ${perrno}, expected ${n}`);
    else res.bytesWritten += n;
  };
  for (let i = 0; i < o.writes; i++) {
    const n = 1 + Math.floor(rnd() * o.maxWrite);
    const vec = views(total, n);
    const req = tstreamWritevQueueSend(mem, ev, w, queue, vec, vec.length);
    teventReqSetCallback(req, writeDone, [i, n]);
    total += n;
  }
  res.queued = teventQueueLength(queue);

  /* the reader: random read sizes, every byte compared with where it must come from */
  const rbuf = new Uint8Array(64 * 1024);
  let readPos = 0;
  let readerDone = false;
  const readNext = (): void => {
    if (readPos >= total) {
      readerDone = true;
      return;
    }
    const n = Math.min(1 + Math.floor(rnd() * rbuf.length), total - readPos);
    const cut = Math.floor(rnd() * (n + 1));
    const req = tstreamReadvSend(mem, ev, r, [rbuf.subarray(0, cut), rbuf.subarray(cut, n)], 2);
    teventReqSetCallback(req, readDone, n);
  };
  const readDone = (req: TeventReq): void => {
    const n = teventReqCallbackData(req) as number;
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    if (ret !== n) {
      fail(`readv: ret ${ret} perrno ${perrno}, expected ${n}`);
      readerDone = true;
      return;
    }
    if (!equalsBlock(block, readPos, rbuf.subarray(0, n))) {
      res.corrupted++;
      fail(`bytes ${readPos}..${readPos + n} differ`);
    }
    readPos += n;
    res.bytesChecked += n;
    res.reads++;
    readNext();
  };
  readNext();
  const deadline = Date.now() + o.deadlineMs;
  let timedOut = false;
  const tick = (): void => {
    if (Date.now() > deadline) timedOut = true;
    teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 50000), tick, null);
  };
  tick();
  await teventLoopUntil(ev, () => timedOut || (readerDone && res.completed === o.writes), null);
  if (timedOut) fail(`deadline of ${o.deadlineMs} ms passed (${res.completed} writes done, ${readPos} bytes read)`);
  res.lost = total - res.bytesChecked;
  if (res.lost !== 0) fail(`${res.lost} bytes lost`);
  if (res.outOfOrder !== 0) fail(`${res.outOfOrder} writes completed out of order`);
  tallocFree(mem);
  res.ms = Date.now() - t0;
  return res;
}

/* ---- load_main.js as a process of its own ---- */

/** Run load_main.js (node --expose-gc) with args; resolves to its JSON answer. */
export function runLoadMain(args: string[], conns: number): Promise<LoadMainResult> {
  const child = spawnNodeWithNofile(conns + 400, ["--expose-gc", path.join(__dirname, "load_main.js"), ...args],
                                    ["ignore", "pipe", "inherit"]);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        const j = JSON.parse(line) as LoadMainResult & { error?: string };
        if (j.error !== undefined || code !== 0) reject(new Error(`load_main: ${j.error ?? `exit ${code}`}`));
        else resolve(j);
      } catch {
        reject(new Error(`load_main exited with ${code}: ${out.slice(-500)}`));
      }
    });
  });
}
