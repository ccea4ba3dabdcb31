// The Node.js stream adapters (extension: tsocket/duplex.ts):
// tstreamFromDuplex (any Duplex as a tstream) and tstreamToDuplex (a
// tstream for any Node library), with their back-pressure and errno.

import { expect } from "chai";
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import { Duplex, pipeline, Readable } from "node:stream";
import * as tls from "node:tls";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  EBADF, ECONNRESET, EINVAL, EIO, ENOTCONN, EPIPE, errnoFromNodeError, getErrno, tallocFree, tallocIsFreed,
  tallocNew, TeventContext, teventContextInit, TeventReq, teventReqCreate, teventReqError, teventReqIsInProgress,
  teventReqPoll, teventReqPost, teventReqSetCallback, teventTimevalCurrentOfs, teventWakeupSend, TstreamContext,
  TstreamContextOps, tstreamContextCreate, tstreamDisconnectRecv, tstreamDisconnectSend, tstreamPendingBytes,
  tstreamReadvRecv, tstreamReadvSend, tstreamUnixSocketpair, tstreamWritevRecv, tstreamWritevSend,
  tsocketSimpleIntRecv, teventReqReceived, TstreamBsd, TSTREAM_BSD_READ_BUFFER_LIMIT,
} from "../../index";
import {
  TstreamDuplex, tstreamFromDuplex, tstreamToDuplex, TSTREAM_DUPLEX_READ_BUFFER_LIMIT,
} from "../../tsocket/duplex";
import { MemstreamEnd, memstreamPair } from "./memstream";

/* Two Duplexes connected back to back (what one writes, the other reads;
 * ending one ends the other's readable side). */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (i: number): Duplex => new Duplex({
    read() { /* pushed by the peer */ },
    write(chunk: Buffer, enc, cb) {
      ends[1 - i].push(chunk);
      cb();
    },
    final(cb) {
      ends[1 - i].push(null);
      cb();
    },
  });
  ends.push(make(0), make(1));
  return [ends[0], ends[1]];
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const FIX = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "tls");
const pem = (name: string): string => fs.readFileSync(path.join(FIX, name), "utf8");

/* A stream whose readv and writev fail (from the loop) with the given errnos. */
function failingStream(mem: object, readErr: number, writeErr: number): TstreamContext {
  const fail = (err: number) => (memCtx: object | null, ev: TeventContext): TeventReq => {
    const req = teventReqCreate(memCtx, {});
    teventReqError(req, err);
    return teventReqPost(req, ev);
  };
  const recv = (req: TeventReq): { ret: number; perrno: number } => {
    const r = tsocketSimpleIntRecv(req);
    teventReqReceived(req);
    return r;
  };
  const ops: TstreamContextOps = {
    name: "failing",
    pendingBytes: () => 0,
    readvSend: fail(readErr),
    readvRecv: recv,
    writevSend: fail(writeErr),
    writevRecv: recv,
    disconnectSend: fail(ENOTCONN),
    disconnectRecv: recv,
  };
  return tstreamContextCreate(mem, ops, {});
}

describe("Node.js stream adapters (extension: tsocket/duplex.ts)", function () {
  let mem: object;
  let ev: TeventContext;

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });

  afterEach(() => {
    tallocFree(mem);
  });

  async function readv(stream: TstreamContext, sizes: number[]): Promise<{ ret: number; perrno: number; bufs: Buffer[] }> {
    const bufs = sizes.map((n) => Buffer.alloc(n));
    const req = tstreamReadvSend(mem, ev, stream, bufs, bufs.length);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return { ...tstreamReadvRecv(req), bufs };
  }

  async function writev(stream: TstreamContext, bufs: Uint8Array[]): Promise<{ ret: number; perrno: number }> {
    const req = tstreamWritevSend(mem, ev, stream, bufs, bufs.length);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return tstreamWritevRecv(req);
  }

  /* Run ev's loop for about ms milliseconds. */
  async function runFor(ms: number): Promise<void> {
    const w = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, ms * 1000));
    await teventReqPoll(w, ev);
    tallocFree(w);
  }

  describe("tstreamFromDuplex: a Duplex as a tstream", () => {
    it("readv fills the caller's buffers from what the Duplex produced, from the loop; writev reaches the Duplex", async () => {
      const [a, b] = duplexPair();
      const r = tstreamFromDuplex(mem, a);
      expect(r.ret).to.equal(0);
      expect(r.errno).to.equal(0);
      const stream = r.stream as TstreamContext;
      expect(stream.ops.name).to.equal("duplex");
      b.write("hello world");
      await tick();
      expect(tstreamPendingBytes(stream)).to.equal(11);
      const bufs = [Buffer.alloc(5), Buffer.alloc(6)];
      const req = tstreamReadvSend(mem, ev, stream, bufs, 2);
      let called = false;
      teventReqSetCallback(req, () => { called = true; });
      expect(called).to.equal(false); /* never inside _send, even with the bytes there */
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(called).to.equal(true);
      expect(tstreamReadvRecv(req)).to.deep.equal({ ret: 11, perrno: 0 });
      expect(Buffer.concat(bufs).toString()).to.equal("hello world");
      expect(tstreamPendingBytes(stream)).to.equal(0);
      const got: Buffer[] = [];
      b.on("data", (d: Buffer) => got.push(d));
      expect(await writev(stream, [Buffer.from("back "), Buffer.from("again")])).to.deep.equal({ ret: 10, perrno: 0 });
      await tick();
      expect(Buffer.concat(got).toString()).to.equal("back again");
    });

    it("the end of the Duplex is EPIPE after the bytes received, and sticky (readv, writev, pending_bytes)", async () => {
      const [a, b] = duplexPair();
      const stream = tstreamFromDuplex(mem, a).stream as TstreamContext;
      b.end("abc");
      const r = await readv(stream, [5]);
      expect([r.ret, r.perrno]).to.deep.equal([-1, EPIPE]);
      expect(r.bufs[0].subarray(0, 3).toString()).to.equal("abc");
      expect((await readv(stream, [1])).perrno).to.equal(EPIPE);
      expect(tstreamPendingBytes(stream)).to.equal(-1);
      expect(getErrno()).to.equal(EPIPE);
      expect(await writev(stream, [Buffer.from("x")])).to.deep.equal({ ret: -1, perrno: EPIPE });
    });

    it("Node errors map to errno (ECONNRESET by code, EIO without one), reported after the bytes received", async () => {
      const [a, b] = duplexPair();
      const stream = tstreamFromDuplex(mem, a).stream as TstreamContext;
      b.write("xy");
      await tick();
      a.destroy(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
      const r = await readv(stream, [2]);
      expect(r.ret).to.equal(2);
      expect((await readv(stream, [1])).perrno).to.equal(ECONNRESET);
      expect(await writev(stream, [Buffer.from("x")])).to.deep.equal({ ret: -1, perrno: ECONNRESET });
      const [c] = duplexPair();
      const s2 = tstreamFromDuplex(mem, c).stream as TstreamContext;
      c.destroy(new Error("something odd"));
      expect((await readv(s2, [1])).perrno).to.equal(EIO);
    });

    it("writev completes only when the Duplex processed the bytes (its write callback)", async () => {
      const held: Array<() => void> = [];
      let taken = 0;
      const d = new Duplex({
        read() { /* nothing to read */ },
        write(chunk: Buffer, enc, cb) {
          taken += chunk.length;
          held.push(cb);
        },
      });
      const stream = tstreamFromDuplex(mem, d).stream as TstreamContext;
      const req = tstreamWritevSend(mem, ev, stream, [Buffer.alloc(1000), Buffer.alloc(24)], 2);
      await runFor(30);
      expect(teventReqIsInProgress(req)).to.equal(true);
      expect(taken).to.equal(1000); /* the second waits for the first */
      held.shift()?.();
      await runFor(30);
      expect(teventReqIsInProgress(req)).to.equal(true);
      expect(taken).to.equal(1024);
      held.shift()?.();
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamWritevRecv(req)).to.deep.equal({ ret: 1024, perrno: 0 });
    });

    it("back-pressure: a source that never stops is paused at the limit while nobody reads", async () => {
      let produced = 0;
      const chunk = 16 * 1024;
      const d = new Duplex({
        read() {
          produced += chunk;
          this.push(Buffer.alloc(chunk, produced / chunk));
        },
        write(c, e, cb) { cb(); },
      });
      const stream = tstreamFromDuplex(mem, d).stream as TstreamContext<TstreamDuplex>;
      for (let i = 0; i < 20; i++) await tick();
      const ds = stream.privateData;
      expect(ds.paused).to.equal(true);
      expect(ds.buffered).to.equal(TSTREAM_DUPLEX_READ_BUFFER_LIMIT);
      /* the Duplex's own highWaterMark (16 KiB) and one chunk more, no further */
      expect(produced).to.be.at.most(TSTREAM_DUPLEX_READ_BUFFER_LIMIT + 2 * chunk);
      const before = produced;
      for (let i = 0; i < 20; i++) await tick();
      expect(produced).to.equal(before);
      /* a readv makes room: the Duplex resumes and 1 MiB comes through */
      const r = await readv(stream, [1024 * 1024]);
      expect(r.ret).to.equal(1024 * 1024);
      expect(r.bufs[0][0]).to.equal(1);
      expect(r.bufs[0][chunk]).to.equal(2);
      expect(produced).to.be.at.least(1024 * 1024);
    });

    it("disconnect ends the Duplex (its peer sees the end), then destroys it; afterwards ENOTCONN", async () => {
      const [a, b] = duplexPair();
      const stream = tstreamFromDuplex(mem, a).stream as TstreamContext;
      let ended = false;
      b.on("end", () => { ended = true; });
      b.resume();
      const req = tstreamDisconnectSend(mem, ev, stream);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(req)).to.deep.equal({ ret: 0, perrno: 0 });
      await tick();
      expect(ended).to.equal(true);
      expect(a.destroyed).to.equal(true);
      expect((await readv(stream, [1])).perrno).to.equal(ENOTCONN);
      expect((await writev(stream, [Buffer.from("x")])).perrno).to.equal(ENOTCONN);
      expect(tstreamPendingBytes(stream)).to.equal(-1);
      expect(getErrno()).to.equal(ENOTCONN);
      const again = tstreamDisconnectSend(mem, ev, stream);
      expect(await teventReqPoll(again, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(again)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
    });

    it("freeing the stream destroys the Duplex; a pending readv ends silently", async () => {
      const [a] = duplexPair();
      const stream = tstreamFromDuplex(mem, a).stream as TstreamContext;
      const req = tstreamReadvSend(mem, ev, stream, [Buffer.alloc(1)], 1);
      let called = false;
      teventReqSetCallback(req, () => { called = true; });
      tallocFree(stream);
      expect(a.destroyed).to.equal(true);
      await runFor(10);
      expect(called).to.equal(false);
    });

    it("freeing a pending readv leaves the bytes that come later for the next one", async () => {
      const [a, b] = duplexPair();
      const stream = tstreamFromDuplex(mem, a).stream as TstreamContext;
      const req = tstreamReadvSend(mem, ev, stream, [Buffer.alloc(4)], 1);
      await runFor(10);
      tallocFree(req);
      b.write("ab");
      b.write("cd");
      const r = await readv(stream, [4]);
      expect(r.ret).to.equal(4);
      expect(r.bufs[0].toString()).to.equal("abcd");
    });

    it("a destroyed Duplex is -1/EBADF, an object-mode one -1/EINVAL", () => {
      const [a] = duplexPair();
      a.destroy();
      expect(tstreamFromDuplex(mem, a)).to.deep.equal({ ret: -1, errno: EBADF, stream: null });
      expect(getErrno()).to.equal(EBADF);
      const o = new Duplex({ objectMode: true, read() { /* */ }, write(c, e, cb) { cb(); } });
      expect(tstreamFromDuplex(mem, o)).to.deep.equal({ ret: -1, errno: EINVAL, stream: null });
      expect(() => tstreamFromDuplex(mem, {} as Duplex)).to.throw(TypeError);
    });

    it("a child's stdio pair: `cat` echoes through a tstream, and disconnect closes its stdin", async () => {
      const child = spawn("cat", [], { stdio: ["pipe", "pipe", "inherit"] });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const d = Duplex.from({ readable: child.stdout, writable: child.stdin });
      const stream = tstreamFromDuplex(mem, d).stream as TstreamContext;
      expect(await writev(stream, [Buffer.from("ping "), Buffer.from("pong\n")])).to.deep.equal({ ret: 10, perrno: 0 });
      const r = await readv(stream, [10]);
      expect(r.bufs[0].toString()).to.equal("ping pong\n");
      const dreq = tstreamDisconnectSend(mem, ev, stream);
      expect(await teventReqPoll(dreq, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(dreq)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(await exited).to.equal(0);
    });
  });

  describe("tstreamToDuplex: a tstream for Node libraries", () => {
    function socketpair(): [TstreamContext, TstreamContext] {
      const sp = tstreamUnixSocketpair(mem, mem);
      expect(sp.ret).to.equal(0);
      return [sp.stream1 as TstreamContext, sp.stream2 as TstreamContext];
    }

    it("stream.pipeline through a socketpair, 2 MiB in random chunks; nobody but the adapters runs the loop", async () => {
      const [s1, s2] = socketpair();
      const data = crypto.randomBytes(2 * 1024 * 1024);
      const chunks: Buffer[] = [];
      for (let o = 0, k = 1; o < data.length; k = (k * 7919) % 65521) {
        const n = Math.min(1 + k, data.length - o);
        chunks.push(data.subarray(o, o + n));
        o += n;
      }
      const w = tstreamToDuplex(ev, s1);
      const r = tstreamToDuplex(ev, s2);
      const got: Buffer[] = [];
      let n = 0;
      const all = new Promise<void>((resolve) => {
        r.on("data", (d: Buffer) => {
          got.push(d);
          n += d.length;
          if (n === data.length) resolve();
        });
      });
      const piped = new Promise<void>((resolve, reject) => {
        pipeline(Readable.from(chunks), w, (err) => (err ? reject(err) : resolve()));
      });
      await piped;
      await all;
      expect(Buffer.concat(got).equals(data)).to.equal(true);
      expect(w.bytesWritten).to.equal(data.length);
      expect(r.bytesRead).to.equal(data.length);
      r.destroy();
      w.destroy();
    });

    it("the end of the stream (EPIPE) is the Duplex's end; other errors destroy it with err.errno/err.code", async () => {
      const [s1, s2] = socketpair();
      const d = tstreamToDuplex(ev, s1);
      const got: Buffer[] = [];
      const ended = new Promise<void>((resolve) => d.on("end", resolve));
      d.on("data", (b: Buffer) => got.push(b));
      expect((await writev(s2, [Buffer.from("bye")])).ret).to.equal(3);
      tallocFree(s2);
      await ended;
      expect(Buffer.concat(got).toString()).to.equal("bye");
      expect(d.lastErrno).to.equal(EPIPE);

      const f = tstreamToDuplex(ev, failingStream(mem, ECONNRESET, EPIPE));
      const rerr = await new Promise<NodeJS.ErrnoException>((resolve) => {
        f.on("error", resolve);
        f.resume();
      });
      expect(rerr.code).to.equal("ECONNRESET");
      expect(rerr.errno).to.equal(-ECONNRESET);
      expect(rerr.syscall).to.equal("read");
      expect(errnoFromNodeError(rerr)).to.equal(ECONNRESET);
      const g = tstreamToDuplex(ev, failingStream(mem, ECONNRESET, EPIPE));
      const werr = await new Promise<NodeJS.ErrnoException>((resolve) => {
        g.on("error", resolve);
        g.write("x");
      });
      expect([werr.code, werr.errno, werr.syscall]).to.deep.equal(["EPIPE", -EPIPE, "write"]);
      d.destroy();
    });

    it("back-pressure on reads: a readv only when Node wants data, so a Duplex nobody reads holds at most its highWaterMark", async function () {
      this.timeout(10000);
      const [s1, s2] = socketpair();
      const d = tstreamToDuplex(ev, s1, { highWaterMark: 64 * 1024, readSize: 64 * 1024 });
      d.pause();
      const total = 4 * 1024 * 1024;
      const data = crypto.randomBytes(total);
      const wreq = tstreamWritevSend(mem, ev, s2, [data], 1);
      d.read(0); /* Node asks once: the adapter starts reading */
      await runFor(150);
      expect(teventReqIsInProgress(wreq)).to.equal(true);
      /* its highWaterMark, plus at most the one readv that crossed it */
      expect(d.readableLength).to.equal(d.bytesRead);
      expect(d.bytesRead).to.be.within(64 * 1024, 64 * 1024 + 64 * 1024);
      /* the socket under it is paused at its own limit: the writer waits */
      const bsd = s1.privateData as TstreamBsd;
      expect(bsd.buffered).to.be.at.most(TSTREAM_BSD_READ_BUFFER_LIMIT + 64 * 1024);
      expect(bsd.bytesReceived).to.be.lessThan(total / 2);
      /* now read: everything arrives */
      const got: Buffer[] = [];
      let n = 0;
      const all = new Promise<void>((resolve) => d.on("data", (b: Buffer) => {
        got.push(b);
        n += b.length;
        if (n === total) resolve();
      }));
      d.resume();
      expect(await teventReqPoll(wreq, ev)).to.equal(true);
      expect(tstreamWritevRecv(wreq)).to.deep.equal({ ret: total, perrno: 0 });
      await all;
      expect(Buffer.concat(got).equals(data)).to.equal(true);
      d.destroy();
    });

    it("back-pressure on writes: a write completes only when its writev did", async () => {
      const mp = memstreamPair(mem, mem, { capacity: 64 * 1024 });
      const m1 = mp.stream1 as TstreamContext;
      const m2 = mp.stream2 as TstreamContext;
      const d = tstreamToDuplex(ev, m1, { highWaterMark: 128 * 1024 });
      const piece = Buffer.alloc(64 * 1024, 7);
      let callbacks = 0;
      const oks: boolean[] = [];
      for (let i = 0; i < 16; i++) oks.push(d.write(piece, () => { callbacks++; }));
      expect(oks.slice(0, 1)).to.deep.equal([true]);
      expect(oks[15]).to.equal(false); /* Node tells the writer to wait */
      for (let i = 0; i < 30; i++) await tick();
      /* the peer holds 64 KiB and reads nothing: no write could complete
       * beyond what it took */
      expect((m2.privateData as MemstreamEnd).buffered).to.equal(64 * 1024);
      expect(d.bytesWritten).to.be.at.most(64 * 1024);
      expect(callbacks).to.be.at.most(1);
      expect(d.writableLength).to.be.at.least(14 * 64 * 1024);
      const drained = new Promise<void>((resolve) => d.once("drain", resolve));
      const r = await readv(m2, [16 * 64 * 1024]);
      expect(r.ret).to.equal(1024 * 1024);
      await drained;
      expect(callbacks).to.equal(16);
      expect(d.bytesWritten).to.equal(1024 * 1024);
      d.destroy();
    });

    it("destroy() cancels the outstanding readv; freeStream frees the stream; a stream freed first destroys the Duplex", async () => {
      const [s1, s2] = socketpair();
      const d = tstreamToDuplex(ev, s1);
      d.resume();
      for (let i = 0; i < 3; i++) await tick();
      expect(d.readReq).to.not.equal(null);
      d.destroy();
      await tick();
      /* the stream is free for a readv of its own */
      expect((await writev(s2, [Buffer.from("z")])).ret).to.equal(1);
      expect((await readv(s1, [1])).bufs[0].toString()).to.equal("z");

      const e = tstreamToDuplex(ev, s1, { freeStream: true });
      e.destroy();
      await tick();
      expect(tallocIsFreed(s1)).to.equal(true);

      /* as a socket closed under its user: closed, without an error event */
      const f = tstreamToDuplex(ev, s2);
      const errors: unknown[] = [];
      f.on("error", (e) => errors.push(e));
      const closed = new Promise<void>((resolve) => f.on("close", resolve));
      f.resume();
      tallocFree(s2);
      await closed;
      expect(f.destroyed).to.equal(true);
      expect(f.lastErrno).to.equal(EBADF);
      expect(errors).to.deep.equal([]);
      const werr = await new Promise<Error | null | undefined>((resolve) => f.write("x", resolve));
      expect((werr as NodeJS.ErrnoException).code).to.equal("ERR_STREAM_DESTROYED");
    });

    it("Node callbacks run outside tevent handlers (a 'data' listener may run the loop)", async () => {
      const [s1, s2] = socketpair();
      const d = tstreamToDuplex(ev, s1);
      const nestings: number[] = [];
      const got = new Promise<void>((resolve) => d.on("data", () => {
        nestings.push(ev.nesting);
        resolve();
      }));
      expect((await writev(s2, [Buffer.from("n")])).ret).to.equal(1);
      await got;
      expect(nestings).to.deep.equal([0]);
      d.destroy();
    });

    it("Node's tls on both ends of a socketpair, and back: the client TLSSocket as a tstream echoes through the server", async () => {
      const [s1, s2] = socketpair();
      const server = new tls.TLSSocket(tstreamToDuplex(ev, s2), {
        isServer: true,
        secureContext: tls.createSecureContext({ key: pem("server-localhost-key.pem"), cert: pem("server-localhost.pem") }),
      });
      server.pipe(server); /* echo */
      const client = tls.connect({ socket: tstreamToDuplex(ev, s1), ca: pem("ca.pem"), servername: "localhost" });
      await new Promise<void>((resolve, reject) => {
        client.once("secureConnect", resolve);
        client.once("error", reject);
      });
      expect(client.authorized).to.equal(true);
      const r = tstreamFromDuplex(mem, client);
      const stream = r.stream as TstreamContext;
      const msg = crypto.randomBytes(100 * 1024);
      const wreq = tstreamWritevSend(mem, ev, stream, [msg], 1);
      const back = await readv(stream, [msg.length]);
      expect(back.ret).to.equal(msg.length);
      expect(back.bufs[0].equals(msg)).to.equal(true);
      expect(await teventReqPoll(wreq, ev)).to.equal(true);
      expect(tstreamWritevRecv(wreq).ret).to.equal(msg.length);
      tallocFree(stream); /* destroys the client TLSSocket */
      expect(client.destroyed).to.equal(true);
      server.destroy();
    });
  });
});
