// The receive queue the stream backends share (tsocket/bsd/stream.ts,
// tsocket/duplex.ts, tsocket/comms.ts): the chunks received and not yet
// consumed, oldest first, and the copy of them into a readv's iovec.
//
// Only the mechanics live here.  Each backend keeps its own policy: when to
// pause and resume its source, what the end of the stream means (EPIPE),
// which errors are sticky.
//
// No intermediate copy: fill() copies straight from the queued chunks into
// the caller's buffers; a chunk is dropped once consumed.  ReadvCursorState
// and readvCursorRecv are the parts of a readv request around it that the
// backends share: the copy of the iovec array, the cursor, waiting as the
// stream's reader and letting go of it, the _recv.

import { teventCreateImmediate } from "../tevent/immediate";
import { TeventContext, TeventImmediate } from "../tevent/internal";
import { tallocSetDestructor } from "../lib/talloc";
import { TeventReq, teventReqDone, teventReqError, teventReqReceived } from "../tevent/req";
import { tsocketSimpleIntRecvShared } from "./simple";

/* %TypedArray%.prototype.set, called directly: a lookup of `set` on the
 * caller's buffer is a generic property load every time (buffers of many
 * kinds pass by), and a subclass's own `set` has no say in the copy */
const typedArraySet = Uint8Array.prototype.set;

/** Where a readv stands in its iovec: buffer idx, offset ofs in it, ret bytes so far. */
export interface IovecCursor {
  idx: number;
  ofs: number;
  ret: number;
}

/** Received chunks, oldest first; the first is consumed from headOfs on. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private headOfs = 0;
  private bytes = 0;
  /* the chunk take() copied from last, with its buffer and offset in it:
   * reading .buffer is a call into the runtime, once per chunk is enough */
  private viewChunk: Uint8Array | null = null;
  private viewBuf: ArrayBufferLike | null = null;
  private viewBase = 0;

  /** Bytes queued and not consumed (tstream_pending_bytes). */
  get length(): number {
    return this.bytes;
  }

  /** Queue chunk (kept as is, not copied: the caller hands it over). */
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** Put chunk back in front of what is queued (bytes a readv gave back). */
  unshift(chunk: Uint8Array): void {
    if (this.headOfs !== 0) {
      this.chunks[0] = this.chunks[0].subarray(this.headOfs);
      this.headOfs = 0;
    }
    this.chunks.unshift(chunk);
    this.bytes += chunk.length;
  }

  /** Drop everything queued. */
  clear(): void {
    this.chunks = [];
    this.headOfs = 0;
    this.bytes = 0;
    this.viewChunk = null;
    this.viewBuf = null;
  }

  /** The bytes vector[0, count) asks for, when they are all queued; else -1. */
  canFill(vector: readonly Uint8Array[], count: number): number {
    let total = 0;
    for (let i = 0; i < count; i++) total += vector[i].length;
    return total <= this.bytes ? total : -1;
  }

  /**
   * Fill vector[0, count) from the queue, which holds enough (canFill said
   * so), consuming what was copied; consumed(chunk) as for fill().
   */
  take(vector: readonly Uint8Array[], count: number, consumed?: (chunk: Uint8Array) => void): void {
    const chunks = this.chunks;
    let src = chunks[0];
    let h = this.headOfs;
    for (let i = 0; i < count; i++) {
      const dst = vector[i];
      const dlen = dst.length;
      let ofs = 0;
      while (ofs < dlen) {
        const n = Math.min(dlen - ofs, src.length - h);
        if (n <= 16) {
          /* a few bytes: cheaper than a view of them (measured: a view
           * costs what about 24 bytes copied one by one do) */
          for (let k = 0; k < n; k++) dst[ofs + k] = src[h + k];
        } else {
          /* a plain view (Buffer's subarray costs more) */
          if (src !== this.viewChunk) {
            this.viewChunk = src;
            this.viewBuf = src.buffer;
            this.viewBase = src.byteOffset;
          }
          typedArraySet.call(dst, new Uint8Array(this.viewBuf as ArrayBufferLike, this.viewBase + h, n), ofs);
        }
        ofs += n;
        this.bytes -= n;
        h += n;
        if (h === src.length) {
          chunks.shift();
          h = 0;
          if (consumed !== undefined) consumed(src);
          src = chunks[0];
        }
      }
    }
    this.headOfs = h;
  }

  /**
   * Copy what is queued into vector from cursor on, advancing the cursor
   * (and consuming what was copied).  Empty buffers at the end ask for
   * nothing and are skipped (as C's readv handler does).  Returns whether
   * every buffer of vector is full.  consumed(chunk) is told of each chunk
   * that has been used up (its owner may reuse its memory).
   */
  fill(vector: readonly Uint8Array[], cursor: IovecCursor, consumed?: (chunk: Uint8Array) => void): boolean {
    while (cursor.idx < vector.length && this.chunks.length > 0) {
      const dst = vector[cursor.idx];
      const src = this.chunks[0];
      const n = Math.min(dst.length - cursor.ofs, src.length - this.headOfs);
      dst.set(src.subarray(this.headOfs, this.headOfs + n), cursor.ofs);
      cursor.ofs += n;
      cursor.ret += n;
      this.bytes -= n;
      this.headOfs += n;
      if (this.headOfs === src.length) {
        this.chunks.shift();
        this.headOfs = 0;
        if (consumed !== undefined) consumed(src);
      }
      if (cursor.ofs === dst.length) {
        cursor.idx++;
        cursor.ofs = 0;
      }
    }
    iovecSkipFull(vector, cursor);
    return cursor.idx === vector.length;
  }
}

/**
 * Copy src[ofs, ofs + n) into vector from cursor on, advancing the cursor;
 * empty buffers at the end are skipped as fill() does.  Returns how many
 * bytes it took (fewer than n once every buffer is full).
 */
export function iovecCopyIn(vector: readonly Uint8Array[], cursor: IovecCursor, src: Uint8Array,
                            ofs: number, n: number): number {
  let taken = 0;
  while (taken < n && cursor.idx < vector.length) {
    const dst = vector[cursor.idx];
    const k = Math.min(dst.length - cursor.ofs, n - taken);
    if (k > 0) {
      dst.set(src.subarray(ofs + taken, ofs + taken + k), cursor.ofs);
      cursor.ofs += k;
      cursor.ret += k;
      taken += k;
    }
    if (cursor.ofs === dst.length) {
      cursor.idx++;
      cursor.ofs = 0;
    }
  }
  iovecSkipFull(vector, cursor);
  return taken;
}

/* Past the buffers at cursor that are full (or empty: C skips them too). */
function iovecSkipFull(vector: readonly Uint8Array[], cursor: IovecCursor): void {
  while (cursor.idx < vector.length && vector[cursor.idx].length - cursor.ofs === 0) {
    cursor.idx++;
    cursor.ofs = 0;
  }
}

/**
 * n bytes already written into vector at cursor (vector[cursor.idx] from
 * cursor.ofs on, and no further): advance the cursor past them, as
 * iovecCopyIn() would have after copying them there.
 */
export function iovecAdvance(vector: readonly Uint8Array[], cursor: IovecCursor, n: number): void {
  cursor.ofs += n;
  cursor.ret += n;
  iovecSkipFull(vector, cursor);
}

/**
 * A copy of the last n bytes iovecCopyIn() put into vector before cursor
 * (the cursor itself is left alone).
 */
export function iovecCopyBack(vector: readonly Uint8Array[], cursor: IovecCursor, n: number): Uint8Array {
  const out = Buffer.allocUnsafe(n);
  let end = n;
  let idx = cursor.idx;
  let ofs = cursor.ofs;
  while (end > 0) {
    while (ofs === 0) {
      idx--;
      ofs = vector[idx].length;
    }
    const k = Math.min(ofs, end);
    out.set(vector[idx].subarray(ofs - k, ofs), end - k);
    end -= k;
    ofs -= k;
  }
  return out;
}

/** The stream state a readv waits on: it has one reader at a time. */
export interface ReadvSource {
  reader: TeventReq | null;
}

/**
 * The state of a backend's readv request: the iovec array, the cursor
 * fill() advances, the immediate its progress function runs from, and the
 * stream state it waits on (src, null once it let go).  C copies the iovec
 * array in tstream_readv_send(); the generic layer (tstreamReadvSend, a
 * backend's only caller) hands over that copy, so it is kept as it is.
 */
export class ReadvCursorState<S extends ReadvSource = ReadvSource> implements IovecCursor {
  im: TeventImmediate;
  idx = 0;
  ofs = 0;
  ret = 0;
  src: S | null = null;
  req: TeventReq | null = null;
  /* called when the readv lets go of src (see readvCursorWait) */
  onRelease: ((src: S) => void) | undefined = undefined;
  readonly vector: Uint8Array[];
  /* im: the immediate the progress function runs from; by default one of the request's own */
  constructor(readonly ev: TeventContext, vector: Uint8Array[], count: number, im: TeventImmediate | null = null) {
    this.vector = count === vector.length ? vector : vector.slice(0, count);
    this.im = im ?? teventCreateImmediate(this);
  }
}

/* tstream_*_readv_destructor(): a readv freed while waiting lets go of its src */
function readvCursorDestructor<S extends ReadvSource>(st: ReadvCursorState<S>): number {
  const s = st.src;
  if (s !== null && s.reader === st.req) {
    s.reader = null;
    if (st.onRelease !== undefined) st.onRelease(s);
  }
  st.src = null;
  return 0;
}

/**
 * The readv waits on src as its reader.  Freed while waiting, it lets go
 * of src (then onRelease(src)); the bytes queued stay for the next readv.
 */
export function readvCursorWait<S extends ReadvSource>(state: ReadvCursorState<S>, req: TeventReq, src: S,
                                                       onRelease?: (src: S) => void): void {
  state.src = src;
  state.onRelease = onRelease;
  src.reader = req;
  tallocSetDestructor(state, readvCursorDestructor);
}

/** The readv is over: it lets go of its src (then onRelease(src)) and completes, done when err is 0. */
export function readvCursorFinish<S extends ReadvSource>(state: ReadvCursorState<S>, req: TeventReq, err: number,
                                                         onRelease?: (src: S) => void): void {
  const src = state.src as S;
  src.reader = null;
  state.src = null;
  if (onRelease !== undefined) onRelease(src);
  if (err !== 0) {
    teventReqError(req, err);
  } else {
    teventReqDone(req);
  }
}

/** The _recv of a readv whose state is a ReadvCursorState: the bytes copied, or -1 and the errno. */
export function readvCursorRecv(req: TeventReq): { ret: number; perrno: number } {
  const state = req.data as ReadvCursorState;
  let { ret, perrno } = tsocketSimpleIntRecvShared(req);
  if (ret === 0) ret = state.ret;
  teventReqReceived(req);
  return { ret, perrno };
}
