// The client process of the connection load (load_lib.ts, runConnLoad):
//   node load_client.js PORT CONNS PDUS MAXBODY SEED
// Plain node:net, independent of the library under test.  Opens CONNS
// connections to 127.0.0.1:PORT (at most 256 connecting at a time), and
// only once all are open sends, on each, PDUS length-prefixed PDUs cut in
// random chunks; checks every echoed byte; closes every connection only
// once all have had all their echoes (so the server holds all at once).
// Prints one JSON line: connected, pdus, bytes, mismatches, lost, errors.

import * as net from "node:net";
import { fillFromBlock, makeBlock, payloadOffset, PDU_MIN_BODY, prng } from "./load_lib";

interface Client {
  sock: net.Socket;
  expect: Buffer;
  got: number;
  pdus: number;
  /* ends of the PDUs in expect */
  ends: number[];
  closed: boolean;
  connected: boolean;
}

function main(): void {
  const [port, conns, pdus, maxBody, seed] = process.argv.slice(2).map(Number);
  const block = makeBlock(seed);
  const out = { connected: 0, pdus: 0, bytes: 0, mismatches: 0, lost: 0, errors: [] as string[] };
  const fail = (m: string): void => { if (out.errors.length < 20) out.errors.push(m); };
  const clients: Client[] = [];
  let connecting = 0;
  let started = 0;
  let echoed = 0;
  let closedCount = 0;
  let finished = false;

  const finish = (): void => {
    if (finished) return;
    finished = true;
    for (const c of clients) out.lost += c.expect.length - c.got;
    process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(0));
  };
  /* never hang: the parent's deadline is longer */
  const watchdog = setTimeout(() => { fail("client watchdog"); finish(); }, 10 * 60 * 1000);
  watchdog.unref();

  const build = (id: number): { buf: Buffer; ends: number[] } => {
    const rnd = prng(seed * 31 + id);
    const parts: Buffer[] = [];
    const ends: number[] = [];
    let len = 0;
    for (let i = 0; i < pdus; i++) {
      const body = PDU_MIN_BODY + Math.floor(rnd() * (maxBody - PDU_MIN_BODY + 1));
      const p = Buffer.alloc(4 + body);
      p.writeUInt32BE(body, 0);
      p.writeUInt32BE(id, 4);
      p.writeUInt32BE(i, 8);
      fillFromBlock(block, payloadOffset(id, i), p.subarray(12));
      parts.push(p);
      len += p.length;
      ends.push(len);
    }
    return { buf: Buffer.concat(parts), ends };
  };

  const sendAll = (): void => {
    for (let id = 0; id < clients.length; id++) {
      const c = clients[id];
      const rnd = prng(seed * 17 + id);
      let off = 0;
      while (off < c.expect.length) {
        const n = Math.min(c.expect.length - off, 1 + Math.floor(rnd() * 700));
        c.sock.write(c.expect.subarray(off, off + n));
        off += n;
      }
    }
  };

  const onData = (c: Client, d: Buffer): void => {
    if (c.got + d.length > c.expect.length) {
      fail(`conn ${clients.indexOf(c)}: ${c.got + d.length - c.expect.length} bytes too many`);
      out.mismatches++;
      d = d.subarray(0, c.expect.length - c.got);
    }
    if (Buffer.compare(d, c.expect.subarray(c.got, c.got + d.length)) !== 0) {
      out.mismatches++;
      fail(`conn ${clients.indexOf(c)}: echo differs at ${c.got}`);
    }
    c.got += d.length;
    while (c.pdus < c.ends.length && c.ends[c.pdus] <= c.got) c.pdus++;
    if (c.got === c.expect.length) {
      out.pdus += c.pdus;
      out.bytes += c.got;
      if (++echoed === conns) {
        /* every connection has all its echoes: now close them all */
        for (const x of clients) x.sock.end();
      }
    }
  };

  const connectNext = (): void => {
    while (connecting < 256 && started < conns) {
      const id = started++;
      connecting++;
      const { buf, ends } = build(id);
      const sock = net.connect({ host: "127.0.0.1", port });
      const c: Client = { sock, expect: buf, got: 0, pdus: 0, ends, closed: false, connected: false };
      clients.push(c);
      sock.setNoDelay(true);
      sock.on("connect", () => {
        c.connected = true;
        connecting--;
        if (++out.connected === conns) sendAll();
        connectNext();
      });
      sock.on("data", (d: Buffer) => onData(c, d));
      sock.on("error", (e: Error) => fail(`conn ${id}: ${e.message}`));
      sock.on("close", () => {
        c.closed = true;
        if (!c.connected) {
          fail(`conn ${id}: closed before it connected`);
          finish();
        }
        if (++closedCount === conns) finish();
      });
    }
  };
  connectNext();
}

main();
