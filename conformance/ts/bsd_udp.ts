// The BSD UDP datagram backend: port of conformance/c/bsd_udp.c.
import * as dgram from "node:dgram";
import {
  tallocNew, tallocFree, getErrno, teventContextInit, teventReqIsInProgress, tsocketAddressString,
  tdgramInetUdpSocket, tdgramInetUdpBroadcastSocket,
} from "tevent-tsocket";
import type { TdgramContext, TsocketAddress } from "tevent-tsocket";
import { T, SECTION, regAuto, run, watch } from "./common.js";
import {
  g, errname, astr, inet, unixa, makeTmpdir, rmTmpdir, rf, st, ddc, fin, settle, showReq,
} from "./bsd/common.js";

/* a UDP port on 127.0.0.1 that nobody uses right now (C: bind to port 0, getsockname, close) */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function udp(label: string, local: TsocketAddress, remote: TsocketAddress | null): TdgramContext | null {
  const r = tdgramInetUdpSocket(local, remote, g.mem);
  T(`udp_socket ${label} local=${astr(local)} remote=${astr(remote)} ret=${r.ret}` +
    `${r.ret === -1 ? " errno=" + errname(r.errno) : ""} dgram=${r.dgram ? "yes" : "NULL"}`);
  if (r.dgram !== null) {
    regAuto(r.dgram, label);
  }
  return r.dgram;
}

function same(a: TsocketAddress | null, b: TsocketAddress | null): number {
  return a !== null && b !== null && tsocketAddressString(a, g.mem) === tsocketAddressString(b, g.mem) ? 1 : 0;
}

async function main(): Promise<void> {
  g.mem = tallocNew(null);
  g.ev = teventContextInit(g.mem);
  makeTmpdir();

  SECTION("sockets");
  const saddr = inet("ipv4", "127.0.0.1", await freePort());
  const srv = udp("srv", saddr, null) as TdgramContext;
  const cl = udp("cl", inet("ipv4", null, 0), null) as TdgramContext;
  udp("e1", unixa("u"), null);
  udp("e2", inet("ipv4", "127.0.0.1", 0), inet("ipv6", "::1", 53));
  let b = tdgramInetUdpBroadcastSocket(inet("ipv6", "::1", 0), g.mem);
  T(`broadcast_socket ipv6 ret=${b.ret} errno=${errname(getErrno())} dgram=${b.dgram ? "yes" : "NULL"}`);
  b = tdgramInetUdpBroadcastSocket(inet("ipv4", "127.0.0.1", 0), g.mem);
  T(`broadcast_socket bc ret=${b.ret} dgram=${b.dgram ? "yes" : "NULL"}`);
  const bc = b.dgram as TdgramContext;
  regAuto(bc, "bc");

  SECTION("round trip with the sender's address");
  await fin(st("s1", cl, "hello", saddr));
  let o = rf("r1", srv);
  await fin(o);
  const claddr = o.addr;
  await fin(st("s2", srv, "world", claddr));
  o = rf("r2", cl);
  await fin(o);
  T(`r2 src==srv ${same(o.addr, saddr)}`);

  SECTION("second outstanding recvfrom: EBUSY");
  let r1 = rf("r3", srv);
  await fin(rf("r4", srv));
  T(`r3 in_progress=${teventReqIsInProgress(r1.req!) ? 1 : 0}`);
  await fin(st("s3", cl, "again", saddr));
  await fin(r1);
  T(`r3 src==cl ${same(r1.addr, claddr)}`);

  SECTION("two datagrams wait, each recvfrom takes one");
  await fin(st("s4", cl, "one", saddr));
  await fin(st("s5", cl, "two", saddr));
  await fin(rf("r5", srv));
  await fin(rf("r6", srv));

  SECTION("sendto errors");
  await fin(st("s6", cl, "x", inet("ipv6", "::1", 53)));
  await fin(st("s7", cl, "x", unixa("u")));
  await fin(st("s8", cl, "x", inet("ipv4", "127.0.0.1", 0)));
  await fin(st("s9", cl, "x", null));

  SECTION("connected UDP");
  const cc = udp("cc", inet("ipv4", "127.0.0.1", 0), saddr) as TdgramContext;
  await fin(st("s10", cc, "conn", null));
  o = rf("r7", srv);
  await fin(o);
  const ccaddr = o.addr;
  await fin(st("s11", cc, "explicit", saddr));
  await fin(rf("r8", srv));
  T("(a datagram from another sender is not for a connected socket)");
  await fin(st("s12", cl, "intruder", ccaddr));
  await fin(st("s13", srv, "reply", ccaddr));
  o = rf("r9", cc);
  await fin(o);
  T(`r9 src==srv ${same(o.addr, saddr)}`);

  SECTION("connected UDP to a closed port: ECONNREFUSED from the ICMP error");
  const closed = inet("ipv4", "127.0.0.1", await freePort());
  const cr = udp("cr", inet("ipv4", null, 0), closed) as TdgramContext;
  await fin(st("s14", cr, "x", null));
  await settle(20);
  await fin(rf("r10", cr));
  await fin(st("s15", cr, "y", null));
  await settle(20);
  await fin(st("s16", cr, "z", null));

  SECTION("broadcast socket");
  await fin(st("s17", bc, "bcast", saddr));
  await fin(rf("r11", srv));

  SECTION("freeing a dgram with a recvfrom pending");
  const f1 = udp("f1", inet("ipv4", "127.0.0.1", 0), null) as TdgramContext;
  watch(f1, "f1");
  r1 = rf("r12", f1);
  T("free f1");
  tallocFree(f1);
  await settle(20);
  showReq(r1);

  SECTION("disconnect, then everything is ENOTCONN");
  await fin(ddc("d1", cl));
  await fin(rf("r13", cl));
  await fin(st("s18", cl, "x", saddr));
  await fin(ddc("d2", cl));

  SECTION("done");
  tallocFree(srv);
  tallocFree(cc);
  tallocFree(cr);
  tallocFree(bc);
  rmTmpdir();
  tallocFree(g.mem);
}

run(main);
