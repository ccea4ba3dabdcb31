// The BSD unix datagram backend: port of conformance/c/bsd_unix_dgram.c.
import * as fs from "node:fs";
import {
  tallocNew, tallocFree, getErrno, teventContextInit, teventReqIsInProgress, tsocketAddressIsUnix,
  tdgramUnixSocket,
} from "tevent-tsocket";
import type { TdgramContext, TsocketAddress } from "tevent-tsocket";
import { T, SECTION, regAuto, run, watch } from "./common.js";
import {
  g, errname, astr, inet, unixa, unixPath, makeTmpdir, rmTmpdir, rf, st, ddc, fin, settle, showReq,
} from "./bsd/common.js";

function ux(label: string, local: string, remote: TsocketAddress | null): TdgramContext | null {
  const l = unixa(local);
  const r = tdgramUnixSocket(l, remote, g.mem);
  T(`unix_socket ${label} local=${astr(l)} remote=${astr(remote)} ret=${r.ret}` +
    `${r.ret === -1 ? " errno=" + errname(r.errno) : ""} dgram=${r.dgram ? "yes" : "NULL"}`);
  if (r.dgram !== null) {
    regAuto(r.dgram, label);
  }
  return r.dgram;
}

async function main(): Promise<void> {
  g.mem = tallocNew(null);
  g.ev = teventContextInit(g.mem);
  makeTmpdir();

  SECTION("sockets and creation errors");
  const saddr = unixa("srv");
  const srv = ux("srv", "srv", null) as TdgramContext;
  const cl = ux("cl", "cl", null) as TdgramContext;
  const ub = ux("ub", "", null) as TdgramContext;
  ux("e1", "srv", null);
  ux("e2", "nodir/x", null);
  ux("e3", "e3", unixa("missing"));
  fs.closeSync(fs.openSync(unixPath("file"), "w", 0o600));
  ux("e4", "", unixa("file"));
  ux("e5", "", inet("ipv4", "127.0.0.1", 53));
  const e6 = tdgramUnixSocket(inet("ipv4", "127.0.0.1", 0), null, g.mem);
  T(`unix_socket e6 local=ipv4 ret=${e6.ret} errno=${errname(getErrno())} dgram=${e6.dgram ? "yes" : "NULL"}`);

  SECTION("a server answering a client bound to its own path");
  await fin(st("s1", cl, "hi", saddr));
  let o = rf("r1", srv);
  await fin(o);
  const src = o.addr;
  await fin(st("s2", srv, "ho", src));
  await fin(rf("r2", cl));

  SECTION("an unbound sender has no address");
  await fin(st("s3", ub, "anon", saddr));
  o = rf("r3", srv);
  await fin(o);
  T(`r3 is_unix=${tsocketAddressIsUnix(o.addr as TsocketAddress) ? 1 : 0}`);
  await fin(st("s4", srv, "back", o.addr));

  SECTION("second outstanding recvfrom: EBUSY");
  let r1 = rf("r4", srv);
  await fin(rf("r5", srv));
  T(`r4 in_progress=${teventReqIsInProgress(r1.req!) ? 1 : 0}`);
  await fin(st("s5", cl, "again", saddr));
  await fin(r1);

  SECTION("sendto errors");
  await fin(st("s6", cl, "x", inet("ipv4", "127.0.0.1", 53)));
  await fin(st("s7", cl, "x", unixa("missing")));
  await fin(st("s8", cl, "x", null));

  SECTION("connected unix datagrams");
  const cc = ux("cc", "cc", saddr) as TdgramContext;
  await fin(st("s9", cc, "conn", null));
  await fin(rf("r6", srv));
  await fin(st("s10", cc, "explicit", saddr));
  await fin(rf("r7", srv));
  await fin(st("s11", srv, "reply", unixa("cc")));
  await fin(rf("r8", cc));
  T("(a connected socket refuses other senders)");
  await fin(st("s12", cl, "intruder", unixa("cc")));

  SECTION("the peer goes away: ECONNREFUSED, then ENOTCONN");
  T("free srv");
  tallocFree(srv);
  await fin(st("s13", cc, "gone", null));
  await fin(st("s14", cc, "gone", null));
  await fin(st("s15", cl, "gone", saddr));

  SECTION("freeing a dgram with a recvfrom pending");
  const f1 = ux("f1", "f1", null) as TdgramContext;
  watch(f1, "f1");
  r1 = rf("r9", f1);
  T("free f1");
  tallocFree(f1);
  await settle(20);
  showReq(r1);

  SECTION("disconnect, then everything is ENOTCONN");
  await fin(ddc("d1", cl));
  await fin(rf("r10", cl));
  await fin(st("s16", cl, "x", unixa("cc")));
  await fin(ddc("d2", cl));

  SECTION("done");
  tallocFree(cc);
  tallocFree(ub);
  rmTmpdir();
  tallocFree(g.mem);
}

run(main);
