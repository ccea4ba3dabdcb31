// The generic tdgram layer (the tdgram half of tsocket.c), driven through an
// in-memory datagram network written against the public API (./memdgram).
// Each test names the sentence of seeds/tsocket_guide.txt it checks; where
// the guide is silent the expected values were read off the C library
// (libsamba-sockets, tdgram_unix_socket).

import { expect } from "chai";
import {
  EBUSY, EDESTADDRREQ, EINVAL, ENOENT, ENOTCONN, tallocChildren, tallocFree, tallocIsFreed, tallocNew,
  tallocParent, tallocTotalBlocks, TdgramContext, tdgramContextCreate, tdgramContextData, tdgramDisconnectRecv,
  tdgramDisconnectSend, tdgramRecvfromRecv, tdgramRecvfromSend, tdgramSendtoRecv, tdgramSendtoSend,
  TeventContext, teventContextInit, teventLoopWait, TeventReq, teventReqIsError, teventReqIsInProgress,
  teventReqPoll, teventReqSetCallback, TsocketAddress, tsocketAddressInetFromStrings, tsocketAddressString,
  tsocketAddressUnixFromPath, TEVENT_REQ_DONE, TEVENT_REQ_RECEIVED, TEVENT_REQ_USER_ERROR,
} from "../../index";
import { MemdgramEnd, memdgramNetworkCreate, MemdgramNetwork, memdgramOps, memdgramSocket } from "./memdgram";

function bytes(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

describe("tdgram generic layer (tsocket.c) over an in-memory datagram network", () => {
  let mem: object;
  let ev: TeventContext;
  let net: MemdgramNetwork;
  let a1: TsocketAddress;
  let a2: TsocketAddress;
  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
    net = memdgramNetworkCreate(mem);
    a1 = tsocketAddressUnixFromPath(mem, "/tmp/memdgram/a1").addr!;
    a2 = tsocketAddressUnixFromPath(mem, "/tmp/memdgram/a2").addr!;
  });
  afterEach(() => { tallocFree(mem); });

  function sock(local: TsocketAddress, remote: TsocketAddress | null = null, memCtx: object = mem): TdgramContext<MemdgramEnd> {
    const r = memdgramSocket(net, local, remote, memCtx);
    expect([r.ret, r.errno]).to.deep.equal([0, 0]);
    return r.dgram!;
  }

  function track(req: TeventReq, log: string[], name: string): TeventReq {
    teventReqSetCallback(req, () => log.push(name));
    return req;
  }

  async function sendto(d: TdgramContext, buf: Uint8Array, dst: TsocketAddress | null): Promise<{ ret: number; perrno: number }> {
    const req = tdgramSendtoSend(mem, ev, d, buf, buf.length, dst);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return tdgramSendtoRecv(req);
  }

  describe("tdgram_context_create / tdgram_context_data (tsocket_internal.h)", () => {
    it("the dgram is a child of memCtx, its state a child of the dgram; tdgramContextData returns that state", () => {
      const m = tallocNew(mem);
      const d = sock(a1, null, m);
      expect(d).to.be.instanceOf(TdgramContext);
      expect(tallocParent(d)).to.equal(m);
      const st = tdgramContextData(d);
      expect(st).to.be.instanceOf(MemdgramEnd);
      expect(tallocParent(st)).to.equal(d);
      const plain = { x: 1 };
      const d2 = tdgramContextCreate(mem, memdgramOps, plain);
      expect(tdgramContextData(d2)).to.equal(plain);
      expect(tallocParent(plain)).to.equal(d2);
      tallocFree(d2);
      expect(tallocIsFreed(plain)).to.equal(true);
    });

    it("a freed dgram leaves no talloc children behind, even with a recvfrom in flight", async () => {
      const before = tallocTotalBlocks(mem);
      const d = sock(a1);
      const r = tdgramRecvfromSend(mem, ev, d);
      await teventLoopWait(ev);
      tallocFree(d);
      expect(teventReqIsError(r)).to.deep.equal({ ret: true, state: TEVENT_REQ_RECEIVED, error: 0 });
      tallocFree(r);
      expect(tallocTotalBlocks(mem)).to.equal(before);
      expect(tallocChildren(mem).includes(d)).to.equal(false);
      /* and the address is free again */
      const again = memdgramSocket(net, a1, null, mem);
      expect(again.ret).to.equal(0);
    });
  });

  describe("tdgram_recvfrom_send / tdgram_sendto_send", () => {
    it("guide: sendto 'returns the length of the datagram'; recvfrom returns its length, '*buf' the datagram and '*src' the sender; perrno is 0", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      const r = tdgramRecvfromSend(mem, ev, d2);
      expect(await sendto(d1, bytes(1, 2, 3, 4, 5), a2)).to.deep.equal({ ret: 5, perrno: 0 });
      expect(await teventReqPoll(r, ev)).to.equal(true);
      const m = tallocNew(mem);
      const { ret, perrno, buf, src } = tdgramRecvfromRecv(r, m);
      expect([ret, perrno]).to.deep.equal([5, 0]);
      expect(Array.from(buf!)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(tsocketAddressString(src!, mem)).to.equal("unix:/tmp/memdgram/a1");
    });

    it("tdgram_recvfrom_recv moves buf and src to memCtx (talloc_move; checked against libsamba-sockets)", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      expect((await sendto(d1, bytes(7, 7), a2)).ret).to.equal(2);
      const r = tdgramRecvfromSend(mem, ev, d2);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      const m = tallocNew(mem);
      const { ret, buf, src } = tdgramRecvfromRecv(r, m);
      expect(ret).to.equal(2);
      expect(tallocParent(src)).to.equal(m);
      expect(tallocParent(buf)).to.equal(m);
      expect(tallocIsFreed(buf)).to.equal(false);
      tallocFree(m);
      expect(tallocIsFreed(src)).to.equal(true);
      expect(tallocIsFreed(buf)).to.equal(true);
    });

    it("sendto sends buf[0..len) only, and copies it (the caller's buffer stays the caller's)", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      const buf = bytes(1, 2, 3, 4);
      const s = tdgramSendtoSend(mem, ev, d1, buf, 2, a2);
      buf[0] = 99;
      expect(await teventReqPoll(s, ev)).to.equal(true);
      expect(tdgramSendtoRecv(s)).to.deep.equal({ ret: 2, perrno: 0 });
      const r = tdgramRecvfromSend(mem, ev, d2);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      const out = tdgramRecvfromRecv(r, mem);
      expect(out.ret).to.equal(2);
      expect(Array.from(out.buf!)).to.deep.equal([1, 2]);
    });

    it("a request never calls back from inside its _send, even when a datagram is already queued (API.md, tevent_req_post)", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      expect((await sendto(d1, bytes(1), a2)).ret).to.equal(1);
      const log: string[] = [];
      const r = track(tdgramRecvfromSend(mem, ev, d2), log, "recvfrom");
      const s = track(tdgramSendtoSend(mem, ev, d2, bytes(2), 1, a1), log, "sendto");
      expect(log).to.deep.equal([]);
      expect(teventReqIsInProgress(r)).to.equal(true);
      expect(teventReqIsInProgress(s)).to.equal(true);
      await teventLoopWait(ev);
      expect(log).to.have.members(["recvfrom", "sendto"]);
      expect(tdgramRecvfromRecv(r, mem).ret).to.equal(1);
      expect(tdgramSendtoRecv(s)).to.deep.equal({ ret: 1, perrno: 0 });
    });

    it("guide: 'The caller can only have one outstanding tdgram_recvfrom_send() at a time otherwise the caller will get *perrno = EBUSY' (and the first still completes; checked against libsamba-sockets)", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      const log: string[] = [];
      const r1 = track(tdgramRecvfromSend(mem, ev, d2), log, "r1");
      const r2 = track(tdgramRecvfromSend(mem, ev, d2), log, "r2");
      expect(log).to.deep.equal([]);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["r2"]);
      expect(teventReqIsError(r2)).to.deep.equal({ ret: true, state: TEVENT_REQ_USER_ERROR, error: EBUSY });
      expect(tdgramRecvfromRecv(r2, mem)).to.deep.equal({ ret: -1, perrno: EBUSY, buf: null, src: null });
      expect(tdgramContextData(d2).recvfromCalls).to.equal(1);
      expect((await sendto(d1, bytes(4, 2), a2)).ret).to.equal(2);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["r2", "r1"]);
      const out = tdgramRecvfromRecv(r1, mem);
      expect([out.ret, out.perrno, ...out.buf!]).to.deep.equal([2, 0, 4, 2]);
      /* and another recvfrom is fine after the EBUSY */
      const r3 = tdgramRecvfromSend(mem, ev, d2);
      expect((await sendto(d1, bytes(5), a2)).ret).to.equal(1);
      expect(await teventReqPoll(r3, ev)).to.equal(true);
      expect(tdgramRecvfromRecv(r3, mem).ret).to.equal(1);
    });

    it("guide: 'The caller can only have one outstanding tdgram_sendto_send() at a time otherwise the caller will get *perrno = EBUSY' (checked against libsamba-sockets)", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      const log: string[] = [];
      const s1 = track(tdgramSendtoSend(mem, ev, d1, bytes(1), 1, a2), log, "s1");
      const s2 = track(tdgramSendtoSend(mem, ev, d1, bytes(2), 1, a2), log, "s2");
      expect(log).to.deep.equal([]);
      await teventLoopWait(ev);
      expect(log).to.have.members(["s1", "s2"]);
      expect(tdgramSendtoRecv(s2)).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tdgramSendtoRecv(s1)).to.deep.equal({ ret: 1, perrno: 0 });
      expect(tdgramContextData(d1).sendtoCalls).to.equal(1);
      const r = tdgramRecvfromSend(mem, ev, d2);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      expect(Array.from(tdgramRecvfromRecv(r, mem).buf!)).to.deep.equal([1]);
      /* a sendto after the EBUSY is fine */
      expect(await sendto(d1, bytes(3), a2)).to.deep.equal({ ret: 1, perrno: 0 });
    });

    it("guide: 'It is not allowed for len to be 0': EINVAL, before EBUSY (checked against libsamba-sockets)", async () => {
      const d1 = sock(a1);
      sock(a2);
      const z = tdgramSendtoSend(mem, ev, d1, bytes(1, 2), 0, a2);
      const s1 = tdgramSendtoSend(mem, ev, d1, bytes(1, 2), 2, a2);
      const zBusy = tdgramSendtoSend(mem, ev, d1, bytes(1, 2), 0, a2);
      const busy = tdgramSendtoSend(mem, ev, d1, bytes(1, 2), 2, a2);
      await teventLoopWait(ev);
      expect(tdgramSendtoRecv(z)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(tdgramSendtoRecv(zBusy)).to.deep.equal({ ret: -1, perrno: EINVAL });
      expect(tdgramSendtoRecv(busy)).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tdgramSendtoRecv(s1)).to.deep.equal({ ret: 2, perrno: 0 });
      expect(tdgramContextData(d1).sendtoCalls).to.equal(1);
      /* an empty buffer as well */
      const e = tdgramSendtoSend(mem, ev, d1, new Uint8Array(0), 0, a2);
      expect(await teventReqPoll(e, ev)).to.equal(true);
      expect(tdgramSendtoRecv(e)).to.deep.equal({ ret: -1, perrno: EINVAL });
    });

    it("guide: '(0 is never returned!)': a 1-byte datagram is 1 both ways", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      const r = tdgramRecvfromSend(mem, ev, d2);
      expect(await sendto(d1, bytes(0), a2)).to.deep.equal({ ret: 1, perrno: 0 });
      expect(await teventReqPoll(r, ev)).to.equal(true);
      const out = tdgramRecvfromRecv(r, mem);
      expect([out.ret, out.perrno, ...out.buf!]).to.deep.equal([1, 0, 0]);
    });

    it("datagrams keep their boundaries and order", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      for (let i = 1; i <= 5; i++) {
        expect((await sendto(d1, Uint8Array.from({ length: i }, () => i), a2)).ret).to.equal(i);
      }
      for (let i = 1; i <= 5; i++) {
        const r = tdgramRecvfromSend(mem, ev, d2);
        expect(await teventReqPoll(r, ev)).to.equal(true);
        const out = tdgramRecvfromRecv(r, mem);
        expect(out.ret).to.equal(i);
        expect(Array.from(out.buf!)).to.deep.equal(new Array<number>(i).fill(i));
      }
    });

    it("freeing a pending recvfrom request cancels it silently; another recvfrom is then accepted (no EBUSY)", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      const log: string[] = [];
      const r1 = track(tdgramRecvfromSend(mem, ev, d2), log, "r1");
      await teventLoopWait(ev);
      tallocFree(r1);
      const r2 = track(tdgramRecvfromSend(mem, ev, d2), log, "r2");
      expect((await sendto(d1, bytes(8), a2)).ret).to.equal(1);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["r2"]);
      const out = tdgramRecvfromRecv(r2, mem);
      expect([out.ret, out.perrno, ...out.buf!]).to.deep.equal([1, 0, 8]);
    });

    it("inet addresses work the same (the double is UDP-like: a connected endpoint takes only its peer's datagrams)", async () => {
      const i1 = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 1001).addr!;
      const i2 = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 1002).addr!;
      const i3 = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 1003).addr!;
      const d1 = sock(i1, i2);
      const d2 = sock(i2);
      const d3 = sock(i3);
      expect(await sendto(d1, bytes(1), null)).to.deep.equal({ ret: 1, perrno: 0 }); /* to its remote */
      expect(await sendto(d3, bytes(3), i1)).to.deep.equal({ ret: 1, perrno: 0 }); /* filtered by d1 */
      expect(await sendto(d2, bytes(2), i1)).to.deep.equal({ ret: 1, perrno: 0 });
      const r2 = tdgramRecvfromSend(mem, ev, d2);
      expect(await teventReqPoll(r2, ev)).to.equal(true);
      const o2 = tdgramRecvfromRecv(r2, mem);
      expect([o2.ret, o2.buf![0], tsocketAddressString(o2.src!, mem)]).to.deep.equal([1, 1, "ipv4:127.0.0.1:1001"]);
      const r1 = tdgramRecvfromSend(mem, ev, d1);
      expect(await teventReqPoll(r1, ev)).to.equal(true);
      const o1 = tdgramRecvfromRecv(r1, mem);
      expect([o1.ret, o1.buf![0], tsocketAddressString(o1.src!, mem)]).to.deep.equal([1, 2, "ipv4:127.0.0.1:1002"]);
      expect(net.dropped).to.equal(1);
      /* the double's own errors */
      expect(await sendto(d3, bytes(1), null)).to.deep.equal({ ret: -1, perrno: EDESTADDRREQ });
      expect(await sendto(d3, bytes(1), tsocketAddressUnixFromPath(mem, "/nowhere").addr!))
        .to.deep.equal({ ret: -1, perrno: ENOENT });
      expect(memdgramSocket(net, i1, null, mem).ret).to.equal(-1);
    });
  });

  describe("tdgram_disconnect_send", () => {
    it("guide: 'The caller should make sure there are no outstanding tdgram_recvfrom_send() and tdgram_sendto_send() calls otherwise the caller will get *perrno = EBUSY' (checked against libsamba-sockets)", async () => {
      const d1 = sock(a1);
      const d2 = sock(a2);
      const r = tdgramRecvfromSend(mem, ev, d2);
      const dr = tdgramDisconnectSend(mem, ev, d2);
      const s = tdgramSendtoSend(mem, ev, d1, bytes(6), 1, a2);
      const ds = tdgramDisconnectSend(mem, ev, d1);
      await teventLoopWait(ev);
      expect(tdgramDisconnectRecv(dr)).to.deep.equal({ ret: -1, perrno: EBUSY });
      expect(tdgramDisconnectRecv(ds)).to.deep.equal({ ret: -1, perrno: EBUSY });
      /* nothing was closed */
      expect(tdgramSendtoRecv(s)).to.deep.equal({ ret: 1, perrno: 0 });
      const out = tdgramRecvfromRecv(r, mem);
      expect([out.ret, out.perrno, ...out.buf!]).to.deep.equal([1, 0, 6]);
      const d = tdgramDisconnectSend(mem, ev, d1);
      expect(await teventReqPoll(d, ev)).to.equal(true);
      expect(tdgramDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
    });

    it("after a disconnect, recvfrom, sendto and another disconnect fail with ENOTCONN, even while the first is pending (checked against libsamba-sockets)", async () => {
      const d1 = sock(a1);
      sock(a2);
      const dd1 = tdgramDisconnectSend(mem, ev, d1);
      const dd2 = tdgramDisconnectSend(mem, ev, d1);
      await teventLoopWait(ev);
      expect(tdgramDisconnectRecv(dd1)).to.deep.equal({ ret: 0, perrno: 0 });
      expect(tdgramDisconnectRecv(dd2)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
      const r = tdgramRecvfromSend(mem, ev, d1);
      expect(await teventReqPoll(r, ev)).to.equal(true);
      expect(tdgramRecvfromRecv(r, mem)).to.deep.equal({ ret: -1, perrno: ENOTCONN, buf: null, src: null });
      expect(await sendto(d1, bytes(1), a2)).to.deep.equal({ ret: -1, perrno: ENOTCONN });
    });
  });

  describe("talloc_free(dgram)", () => {
    it("guide: 'you can always use talloc_free(tdgram)': a pending recvfrom ends in TEVENT_REQ_RECEIVED, its callback is never called (checked against libsamba-sockets)", async () => {
      const d2 = sock(a2);
      const log: string[] = [];
      const r = track(tdgramRecvfromSend(mem, ev, d2), log, "recvfrom");
      await teventLoopWait(ev);
      expect(tallocFree(d2)).to.equal(0);
      expect(teventReqIsError(r)).to.deep.equal({ ret: true, state: TEVENT_REQ_RECEIVED, error: 0 });
      await teventLoopWait(ev);
      expect(log).to.deep.equal([]);
      expect(tallocIsFreed(r)).to.equal(false);
      /* the address is unbound: a unix sendto there now fails */
      const d1 = sock(a1);
      expect(await sendto(d1, bytes(1), a2)).to.deep.equal({ ret: -1, perrno: ENOENT });
    });

    it("freeing the dgram with a sendto pending: TEVENT_REQ_RECEIVED, no callback", async () => {
      const d1 = sock(a1);
      sock(a2);
      const log: string[] = [];
      const s = track(tdgramSendtoSend(mem, ev, d1, bytes(1), 1, a2), log, "sendto");
      tallocFree(d1);
      expect(teventReqIsError(s)).to.deep.equal({ ret: true, state: TEVENT_REQ_RECEIVED, error: 0 });
      await teventLoopWait(ev);
      expect(log).to.deep.equal([]);
    });

    it("freeing the dgram while a disconnect is pending still completes the disconnect (C does not track it)", async () => {
      const d1 = sock(a1);
      const log: string[] = [];
      const d = track(tdgramDisconnectSend(mem, ev, d1), log, "disconnect");
      tallocFree(d1);
      await teventLoopWait(ev);
      expect(log).to.deep.equal(["disconnect"]);
      expect(teventReqIsError(d)).to.deep.equal({ ret: false, state: TEVENT_REQ_DONE, error: 0 });
      expect(tdgramDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
    });
  });
});
