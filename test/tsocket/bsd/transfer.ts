// A bulk transfer through tstream_unix_socketpair with random write and
// read splits (seeded, so a failure can be replayed), shared by the mocha
// test (64 MiB) and the long run in bench/socketpair_1gib.ts (1 GiB).
//
// The bytes are a fixed random block of a prime length repeated: every
// write is a vector of views into that block (no copies, several buffers
// when it wraps), every read lands in one to three buffers and is compared
// with the block where it must come from.

import {
  tallocFree, tallocNew, TeventContext, teventContextInit, TeventReq, teventReqCallbackData, teventReqPoll,
  teventReqSetCallback, TstreamContext, tstreamReadvRecv, tstreamReadvSend, tstreamUnixSocketpair,
  tstreamWritevRecv, tstreamWritevSend,
} from "../../../index";

/** mulberry32: a small seeded PRNG */
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

const BLOCK_LEN = 1048573; /* a prime: splits never line up with the block */

export interface TransferResult {
  written: number;
  read: number;
  /** offset of the first byte that differed, or -1 */
  firstMismatch: number;
  writes: number;
  reads: number;
  /** the largest pending_bytes seen by the reader */
  maxPending: number;
}

/** Views of block covering [off, off + n) of the endless repetition. */
function views(block: Uint8Array, off: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = off % BLOCK_LEN;
  while (n > 0) {
    const m = Math.min(n, BLOCK_LEN - o);
    out.push(block.subarray(o, o + m));
    n -= m;
    o = 0;
  }
  return out;
}

export async function socketpairTransfer(total: number, seed: number, maxSplit: number): Promise<TransferResult> {
  const rnd = prng(seed);
  const block = new Uint8Array(BLOCK_LEN);
  for (let i = 0; i < BLOCK_LEN; i++) block[i] = (rnd() * 256) | 0;
  const mem = tallocNew(null);
  const ev: TeventContext = teventContextInit(mem);
  const sp = tstreamUnixSocketpair(mem, mem);
  if (sp.ret !== 0) throw new Error(`socketpair failed: errno ${sp.errno}`);
  const w = sp.stream1 as TstreamContext;
  const r = sp.stream2 as TstreamContext;
  const res: TransferResult = { written: 0, read: 0, firstMismatch: -1, writes: 0, reads: 0, maxPending: 0 };
  const rbuf = new Uint8Array(maxSplit);
  let failure: string | null = null;
  const size = (): number => 1 + Math.floor(rnd() * maxSplit);

  function writeNext(): void {
    if (res.written >= total) return;
    const n = Math.min(size(), total - res.written);
    const vec = views(block, res.written, n);
    const req = tstreamWritevSend(mem, ev, w, vec, vec.length);
    req.setCallback(writeDone, n);
  }
  function writeDone(req: TeventReq): void {
    const n = teventReqCallbackData(req) as number;
    const { ret, perrno } = tstreamWritevRecv(req);
    tallocFree(req);
    if (ret !== n) {
      failure = `writev: ret ${ret} perrno ${perrno}`;
      return;
    }
    res.written += n;
    res.writes++;
    writeNext();
  }
  let reqAll: TeventReq | null = null;
  function readNext(): void {
    if (res.read >= total) return;
    const pending = r.pendingBytes();
    if (pending > res.maxPending) res.maxPending = pending;
    const n = Math.min(size(), total - res.read);
    /* one to three buffers, one of them possibly empty */
    const cut1 = Math.floor(rnd() * (n + 1));
    const cut2 = cut1 + Math.floor(rnd() * (n - cut1 + 1));
    const vec = [rbuf.subarray(0, cut1), rbuf.subarray(cut1, cut2), rbuf.subarray(cut2, n)];
    const req = tstreamReadvSend(mem, ev, r, vec, vec.length);
    req.setCallback(readDone, n);
    reqAll = req;
  }
  function readDone(req: TeventReq): void {
    const n = teventReqCallbackData(req) as number;
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    if (ret !== n) {
      failure = `readv: ret ${ret} perrno ${perrno}`;
      return;
    }
    if (res.firstMismatch === -1) {
      let ofs = 0;
      for (const v of views(block, res.read, n)) {
        if (Buffer.compare(v, rbuf.subarray(ofs, ofs + v.length)) !== 0) {
          for (let i = 0; i < v.length; i++) {
            if (v[i] !== rbuf[ofs + i]) {
              res.firstMismatch = res.read + ofs + i;
              break;
            }
          }
          break;
        }
        ofs += v.length;
      }
    }
    res.read += n;
    res.reads++;
    readNext();
  }
  writeNext();
  readNext();
  /* a request that stays pending until everything was read */
  while (res.read < total && failure === null) {
    const cur = reqAll as TeventReq | null;
    if (cur === null) break;
    await teventReqPoll(cur, ev);
  }
  tallocFree(mem);
  if (failure !== null) throw new Error(failure);
  return res;
}
