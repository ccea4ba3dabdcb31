// The Buffer that node:net and node:dgram are given for a caller's
// Uint8Array (both backends): Node makes a Buffer of every Uint8Array it
// is handed (node:dgram also slices it to the length), so the view made
// last is kept and given again: a program sends from the same buffer again
// and again.

import { Buffer } from "node:buffer"; /* the global Buffer is a getter on globalThis */

/* only views of small buffers are kept: a kept view keeps its memory alive */
const KEEP_MAX = 64 * 1024;

/** Where a backend keeps its last view: the Uint8Array and the Buffer viewing it. */
export interface BufferViewSlot {
  viewOf: Uint8Array | null;
  view: Buffer | null;
}

/** buf[0, len) as a Buffer: buf itself when it is one of that length, else a view of it (the kept one when it fits). */
export function bufferView(slot: BufferViewSlot, buf: Uint8Array, len: number): Buffer {
  if (buf instanceof Buffer && buf.length === len) return buf;
  const v = slot.view;
  /* a view over a resizable ArrayBuffer that shrank has length 0: made again */
  if (v !== null && slot.viewOf === buf && v.length === len) return v;
  const nv = Buffer.from(buf.buffer, buf.byteOffset, len);
  if (len <= KEEP_MAX) {
    slot.viewOf = buf;
    slot.view = nv;
  }
  return nv;
}

/** Forget the kept view (the socket is closed). */
export function bufferViewClear(slot: BufferViewSlot): void {
  slot.viewOf = null;
  slot.view = null;
}
