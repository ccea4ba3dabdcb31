// The receive queue of the BSD datagram backend (tsocket/bsd/dgram.ts).
// Whatever the interleaving of arrivals and
// recvfrom calls, datagrams come out oldest first, each with its sender,
// and readableLength counts what waits.

import { expect } from "chai";
import * as nodeDgram from "node:dgram";
import {
  tallocFree, tallocNew, TdgramBsd, TdgramContext, tdgramContextData, tdgramInetUdpSocket, tdgramRecvfromRecv,
  tdgramRecvfromSend, TDGRAM_BSD_RECV_QUEUE_MAX, TeventContext, teventContextInit, teventReqPoll,
  tsocketAddressInetFromStrings, tsocketAddressString,
} from "../../../index";

describe("tdgram BSD receive queue", () => {
  let mem: object;
  let ev: TeventContext;
  let d: TdgramContext;
  let port = 0;
  const senders: nodeDgram.Socket[] = [];
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    const local = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", 0).addr!;
    const r = tdgramInetUdpSocket(local, null, mem);
    expect(r.ret).to.equal(0);
    d = r.dgram!;
    port = (tdgramContextData(d) as TdgramBsd).udp!.address().port;
  });
  afterEach(() => {
    tallocFree(mem);
    for (const s of senders.splice(0)) s.close();
  });

  async function sender(): Promise<nodeDgram.Socket> {
    const s = nodeDgram.createSocket("udp4");
    await new Promise<void>((res) => s.bind(0, "127.0.0.1", () => res()));
    senders.push(s);
    return s;
  }
  const waiting = (): number => (tdgramContextData(d) as TdgramBsd).fd!.readableLength;
  /* n datagrams "from", "from+1", ... from s, in batches small enough for the kernel's buffer */
  async function arrive(s: nodeDgram.Socket, from: number, n: number): Promise<void> {
    for (let done = 0; done < n;) {
      const k = Math.min(32, n - done);
      const want = Math.min(waiting() + k, TDGRAM_BSD_RECV_QUEUE_MAX);
      for (let i = from + done; i < from + done + k; i++) s.send(String(i), port, "127.0.0.1");
      done += k;
      const deadline = Date.now() + 2000;
      do {
        await new Promise((res) => setTimeout(res, 1));
      } while (waiting() < want && Date.now() < deadline);
    }
  }
  async function recv(): Promise<{ data: string; src: string }> {
    const req = tdgramRecvfromSend(mem, ev, d);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    const r = tdgramRecvfromRecv(req, mem);
    expect(r.ret).to.be.greaterThan(0);
    tallocFree(req);
    return { data: Buffer.from(r.buf!).toString("latin1"), src: tsocketAddressString(r.src, mem)! };
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
      expect(waiting()).to.equal(next - expected);
      for (let i = 0; i < j; i++) {
        const { data, src } = await recv();
        expect(data).to.equal(String(expected));
        /* a batch comes from one sender: the one of the batch the datagram belongs to */
        expect(src).to.match(/^ipv4:127\.0\.0\.1:\d+$/);
        expected++;
      }
      expect(waiting()).to.equal(next - expected);
    }
    expect(waiting()).to.equal(0);
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
    expect(waiting()).to.equal(TDGRAM_BSD_RECV_QUEUE_MAX);
    const bsds = tdgramContextData(d) as TdgramBsd;
    expect(bsds.dropped).to.equal(10);
    for (let i = 0; i < 5; i++) expect((await recv()).data).to.equal(String(i));
    await arrive(a, 1000, 5);
    expect(waiting()).to.equal(TDGRAM_BSD_RECV_QUEUE_MAX);
    for (let i = 5; i < TDGRAM_BSD_RECV_QUEUE_MAX; i++) expect((await recv()).data).to.equal(String(i));
    for (let i = 1000; i < 1005; i++) expect((await recv()).data).to.equal(String(i));
    expect(waiting()).to.equal(0);
  });
});
