import { expect } from "chai";
import { ByteQueue } from "../../tsocket/bytequeue";

/* ByteQueue.take(): small and large copies, across chunks, chunks that are views into one buffer */
describe("ByteQueue (tsocket/bytequeue.ts)", () => {
  function pattern(n: number, base: number): Uint8Array {
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = (base + i) & 0xff;
    return a;
  }

  it("take() copies 4- and 60-byte pieces from chunks that are views at an offset of a shared buffer", () => {
    const big = Buffer.alloc(4096);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const q = new ByteQueue();
    /* three views of one buffer, at odd offsets, and a chunk of its own */
    q.push(big.subarray(3, 103));
    q.push(big.subarray(200, 330));
    q.push(pattern(50, 9));
    q.push(big.subarray(1000, 1100));
    const want = Buffer.concat([big.subarray(3, 103), big.subarray(200, 330), pattern(50, 9), big.subarray(1000, 1100)]);
    const got: number[] = [];
    const consumed: number[] = [];
    let k = 0;
    while (q.length >= 64) {
      const hdr = new Uint8Array(4);
      const body = new Uint8Array(60);
      expect(q.canFill([hdr, body], 2)).to.equal(64);
      q.take(k % 2 === 0 ? [hdr, body] : [hdr], k % 2 === 0 ? 2 : 1, (c) => consumed.push(c.length));
      got.push(...hdr);
      if (k % 2 === 0) got.push(...body);
      k++;
    }
    expect(Buffer.from(got)).to.deep.equal(want.subarray(0, got.length));
    const rest = new Uint8Array(q.length);
    q.take([rest], 1);
    expect(Buffer.concat([Buffer.from(got), rest])).to.deep.equal(want);
    expect(consumed.slice(0, 3)).to.deep.equal([100, 130, 50]);
    expect(q.length).to.equal(0);
  });

  it("the same chunk object queued again, and chunks after clear(), are read as they are now", () => {
    const q = new ByteQueue();
    const c = new Uint8Array(40);
    c.fill(1);
    q.push(c);
    const d1 = new Uint8Array(40);
    q.take([d1], 1);
    expect([...d1]).to.deep.equal(new Array(40).fill(1));
    c.fill(2);
    q.push(c);
    const d2 = new Uint8Array(40);
    q.take([d2], 1);
    expect([...d2]).to.deep.equal(new Array(40).fill(2));
    q.push(pattern(30, 5));
    q.clear();
    const other = pattern(30, 100);
    q.push(other);
    const d3 = new Uint8Array(30);
    q.take([d3], 1);
    expect([...d3]).to.deep.equal([...other]);
  });
});
