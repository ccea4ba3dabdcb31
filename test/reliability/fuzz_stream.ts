// Fuzzing, issue 8 item 3a: random splits of writes and reads over real
// socketpairs (tstreamUnixSocketpair), with fast-check.
//
//  - raw: random bytes written with tstreamWritevSend in random cuts, each
//    cut a vector of one to four buffers (some empty); read concurrently
//    with tstreamReadvSend in random sizes, each a vector of one to three
//    buffers.  Content and order preserved.
//  - pdu: random messages (empty ones too) framed with a 4-byte length and
//    followed by a raw trailer; the wire is written in cuts that ignore the
//    PDU boundaries; read with tstreamReadvPduSend whose next_vector asks
//    for the header and the body in random pieces and vectors; then the
//    trailer with tstreamReadvSend.  Every PDU equals its message, and the
//    trailer arrives intact (readv_pdu never reads past a PDU).
//
// fast-check shrinks a failure to a small case and prints its seed/path.

import * as fc from "fast-check";
import {
  tallocFree, tallocNew, teventAddTimer, teventContextInit, teventLoopUntil, TeventReq, teventReqCallbackData,
  teventReqSetCallback, teventTimevalCurrentOfs, TstreamContext, tstreamReadvPduRecv, tstreamReadvPduSend,
  tstreamReadvRecv, tstreamReadvSend, tstreamUnixSocketpair, tstreamWritevRecv, tstreamWritevSend,
} from "../../index";

/** Cut n bytes of buf starting at off into pieces sized by cuts (cyclic); piece sizes >= 0, total n. */
function vectorOf(buf: Uint8Array, off: number, n: number, pieces: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = off;
  const end = off + n;
  for (let i = 0; i < pieces.length - 1 && o < end; i++) {
    const m = Math.min(pieces[i], end - o);
    out.push(buf.subarray(o, o + m));
    o += m;
  }
  out.push(buf.subarray(o, end));
  return out;
}

export interface StreamCase {
  /** PDU bodies (mode pdu) */
  messages: Uint8Array[];
  /** raw bytes after the PDUs (mode pdu), or all the bytes (mode raw) */
  trailer: Uint8Array;
  mode: "raw" | "pdu";
  /** write sizes, used cyclically */
  writeCuts: number[];
  /** how a write is cut into vector elements (sizes, cyclic windows) */
  writeVec: number[][];
  /** read sizes for readv, used cyclically */
  readCuts: number[];
  readVec: number[][];
  /** how readv_pdu asks for the header (1..3 pieces) and the body (chunk sizes) */
  hdrVec: number[];
  bodyCuts: number[];
}

export function streamCaseArb(maxMsg = 2048): fc.Arbitrary<StreamCase> {
  const cuts = (max: number) => fc.array(fc.integer({ min: 1, max }), { minLength: 1, maxLength: 8 });
  const vecs = fc.array(fc.array(fc.integer({ min: 0, max: 64 }), { minLength: 0, maxLength: 3 }),
                        { minLength: 1, maxLength: 4 });
  return fc.record({
    messages: fc.array(fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: maxMsg, size: "max" })), { maxLength: 10 }),
    trailer: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 4 * maxMsg, size: "max" })),
    mode: fc.constantFrom<"raw" | "pdu">("raw", "pdu"),
    writeCuts: fc.oneof(cuts(16), cuts(4096)),
    writeVec: vecs,
    readCuts: fc.oneof(cuts(16), cuts(4096)),
    readVec: vecs,
    hdrVec: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 2 }),
    bodyCuts: fc.oneof(cuts(8), cuts(1024)),
  });
}

function frame(messages: Uint8Array[], trailer: Uint8Array): Uint8Array {
  let len = trailer.length;
  for (const m of messages) len += 4 + m.length;
  const wire = new Uint8Array(len);
  const dv = new DataView(wire.buffer);
  let o = 0;
  for (const m of messages) {
    dv.setUint32(o, m.length);
    wire.set(m, o + 4);
    o += 4 + m.length;
  }
  wire.set(trailer, o);
  return wire;
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** Run one case; resolves to null when everything arrived intact, else a description. */
export async function runStreamCase(c: StreamCase): Promise<string | null> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const sp = tstreamUnixSocketpair(mem, mem);
  if (sp.ret !== 0) {
    tallocFree(mem);
    return `socketpair: errno ${sp.errno}`;
  }
  const w = sp.stream1 as TstreamContext;
  const r = sp.stream2 as TstreamContext;
  const messages = c.mode === "pdu" ? c.messages : [];
  const wire = frame(messages, c.trailer);
  let failure: string | null = null;

  /* the writer */
  let wpos = 0;
  let wi = 0;
  let writerDone = false;
  const writeNext = (): void => {
    if (wpos >= wire.length) {
      writerDone = true;
      return;
    }
    const n = Math.min(c.writeCuts[wi % c.writeCuts.length], wire.length - wpos);
    const vec = vectorOf(wire, wpos, n, c.writeVec[wi % c.writeVec.length].concat([0]));
    wi++;
    const req = tstreamWritevSend(mem, ev, w, vec, vec.length);
    teventReqSetCallback(req, writeDone, n);
  };
  const writeDone = (req: TeventReq): void => {
    const n = teventReqCallbackData(req) as number;
    const { ret, perrno } = tstreamWritevRecv(req);
    tallocFree(req);
    if (ret !== n) {
      failure ??= `writev at ${wpos}: ret ${ret} perrno ${perrno}, expected ${n}`;
      return;
    }
    wpos += n;
    writeNext();
  };

  /* the reader: PDUs first, then raw bytes */
  let mi = 0;
  let ri = 0;
  let rpos = 0; /* offset in the trailer */
  let readerDone = false;
  const got = new Uint8Array(c.trailer.length);

  interface PduState { hdr: Uint8Array; body: Uint8Array | null; bodyOff: number; step: number }
  const nextVector = (_s: TstreamContext, st: PduState, _m: unknown): { ret: number; vector: Uint8Array[] | null; count: number } => {
    if (st.step === 0) {
      st.step = 1;
      const v = vectorOf(st.hdr, 0, 4, c.hdrVec.concat([0]));
      return { ret: 0, vector: v, count: v.length };
    }
    if (st.body === null) {
      st.body = new Uint8Array(new DataView(st.hdr.buffer).getUint32(0));
    }
    if (st.bodyOff >= st.body.length) return { ret: 0, vector: null, count: 0 };
    const n = Math.min(c.bodyCuts[st.step++ % c.bodyCuts.length], st.body.length - st.bodyOff);
    const v = vectorOf(st.body, st.bodyOff, n, c.readVec[st.step % c.readVec.length].concat([0]));
    st.bodyOff += n;
    return { ret: 0, vector: v, count: v.length };
  };
  const readNext = (): void => {
    if (mi < messages.length) {
      const st: PduState = { hdr: new Uint8Array(4), body: null, bodyOff: 0, step: 0 };
      const req = tstreamReadvPduSend(mem, ev, r, nextVector, st);
      teventReqSetCallback(req, pduDone, st);
      return;
    }
    if (rpos >= got.length) {
      readerDone = true;
      return;
    }
    const n = Math.min(c.readCuts[ri % c.readCuts.length], got.length - rpos);
    const vec = vectorOf(got, rpos, n, c.readVec[ri % c.readVec.length].concat([0]));
    ri++;
    const req = tstreamReadvSend(mem, ev, r, vec, vec.length);
    teventReqSetCallback(req, readDone, n);
  };
  const pduDone = (req: TeventReq): void => {
    const st = teventReqCallbackData(req) as PduState;
    const { ret, perrno } = tstreamReadvPduRecv(req);
    tallocFree(req);
    /* C's tstream_readv_pdu_recv() returns the bytes the PDU took */
    if (ret !== 4 + messages[mi].length) {
      failure ??= `readv_pdu ${mi}: ret ${ret} perrno ${perrno}, expected ${4 + messages[mi].length}`;
      return;
    }
    if (!eq(st.body ?? new Uint8Array(0), messages[mi])) {
      failure ??= `PDU ${mi} differs`;
      return;
    }
    mi++;
    readNext();
  };
  const readDone = (req: TeventReq): void => {
    const n = teventReqCallbackData(req) as number;
    const { ret, perrno } = tstreamReadvRecv(req);
    tallocFree(req);
    if (ret !== n) {
      failure ??= `readv at ${rpos}: ret ${ret} perrno ${perrno}, expected ${n}`;
      return;
    }
    rpos += n;
    readNext();
  };

  const deadline = Date.now() + 10000;
  let timedOut = false;
  const tick = (): void => {
    if (Date.now() > deadline) timedOut = true;
    else teventAddTimer(ev, mem, teventTimevalCurrentOfs(0, 100000), tick, null);
  };
  tick();
  writeNext();
  readNext();
  await teventLoopUntil(ev, () => failure !== null || timedOut || (writerDone && readerDone), null);
  if (failure === null && timedOut) failure = `timed out: wrote ${wpos}/${wire.length}, ${mi} PDUs, raw ${rpos}`;
  if (failure === null && !eq(got, c.trailer)) failure = "raw bytes differ";
  if (failure === null && r.pendingBytes() !== 0) failure = `${r.pendingBytes()} bytes too many`;
  tallocFree(mem);
  return failure;
}

/** The property: numRuns random cases; resolves to the number of cases run. */
export async function fuzzStreams(numRuns: number, seed?: number, maxMsg = 2048): Promise<number> {
  let runs = 0;
  await fc.assert(fc.asyncProperty(streamCaseArb(maxMsg), async (c) => {
    runs++;
    const failure = await runStreamCase(c);
    if (failure !== null) throw new Error(failure);
  }), { numRuns, seed, includeErrorInReport: true });
  return runs;
}
