// Connected stream pairs for the BSD stream tests.

import { expect } from "chai";
import {
  tallocFree, TeventContext, teventReqPoll, tsocketAddressInetFromStrings, TsocketAddress, tstreamAcceptRecv,
  tstreamAcceptSend, TstreamContext, tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend, tstreamInetTcpListen,
  TstreamListener, tstreamListenerAddress, tstreamListenReadyRecv, tstreamListenReadySend, tstreamUnixSocketpair,
} from "../../../index";

/** tstreamUnixSocketpair(mem, mem), both ends. */
export function unixPair(mem: object): [TstreamContext, TstreamContext] {
  const sp = tstreamUnixSocketpair(mem, mem);
  expect(sp.ret).to.equal(0);
  return [sp.stream1 as TstreamContext, sp.stream2 as TstreamContext];
}

/** A TCP pair over 127.0.0.1: [the connecting end, the accepted end]. */
export async function tcpPair(mem: object, ev: TeventContext): Promise<[TstreamContext, TstreamContext]> {
  const any = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 0).addr as TsocketAddress;
  const l = tstreamInetTcpListen(mem, any, 16);
  expect(l.ret).to.equal(0);
  const listener = l.listener as TstreamListener;
  const ready = tstreamListenReadySend(mem, ev, listener);
  expect(await teventReqPoll(ready, ev)).to.equal(true);
  expect(tstreamListenReadyRecv(ready).ret).to.equal(0);
  const bound = tstreamListenerAddress(listener, mem) as TsocketAddress;
  const acc = tstreamAcceptSend(mem, ev, listener);
  const con = tstreamInetTcpConnectSend(mem, ev, any, bound);
  expect(await teventReqPoll(con, ev)).to.equal(true);
  const c = tstreamInetTcpConnectRecv(con, mem);
  expect(c.ret).to.equal(0);
  expect(await teventReqPoll(acc, ev)).to.equal(true);
  const a = tstreamAcceptRecv(acc, mem);
  expect(a.ret).to.equal(0);
  tallocFree(listener);
  return [c.stream as TstreamContext, a.stream as TstreamContext];
}
