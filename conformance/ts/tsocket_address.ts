// tsocket_address: port of conformance/c/tsocket_address.c.
import {
  AF_UNIX, EINVAL, getErrno, setErrno, tallocFree, tallocNew, tallocParent, tallocTotalBlocks,
  tsocketAddressBsdFromSockaddr, tsocketAddressBsdSockaddr, tsocketAddressCopy, tsocketAddressCreate,
  tsocketAddressInetAddrString, tsocketAddressInetFromHostportStrings, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tsocketAddressInetSetPort, tsocketAddressIsInet, tsocketAddressIsUnix,
  tsocketAddressString, tsocketAddressUnixFromPath, tsocketAddressUnixPath,
} from "tevent-tsocket";
import type { TallocCtx, TsocketAddress, TsocketAddressOps } from "tevent-tsocket";
import { T, SECTION, run } from "./common.js";

// a C string argument, printable: NULL, or quoted with \xNN escapes (of its UTF-8 bytes)
function q(s: string | null): string {
  if (s === null) {
    return "NULL";
  }
  let out = '"';
  for (const c of Buffer.from(s, "utf8")) {
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) {
      out += `\\x${c.toString(16).padStart(2, "0")}`;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out + '"';
}

function hex(p: Uint8Array, n: number): string {
  return Buffer.from(p.buffer, p.byteOffset, n).toString("hex");
}

const b = (v: boolean): number => (v ? 1 : 0);

// everything the getters say about an address, on one line
function describe(label: string, a: TsocketAddress, m: TallocCtx): void {
  const sa = new Uint8Array(200).fill(0xee);
  const l = tsocketAddressBsdSockaddr(a, sa, sa.length);
  const s = tsocketAddressString(a, m);
  setErrno(0); const as = tsocketAddressInetAddrString(a, m); const eAs = getErrno();
  setErrno(0); const port = tsocketAddressInetPort(a); const ePort = getErrno();
  setErrno(0); const up = tsocketAddressUnixPath(a, m); const eUp = getErrno();
  T(`${label} string=${q(s)} sockaddr=${l}:${hex(sa, l > 0 ? l : 0)}`);
  T(`${label} addr_string=${q(as)}${as !== null ? "" : eAs === EINVAL ? "/EINVAL" : "/?"}` +
    ` port=${port}${port === 0 && ePort === EINVAL ? "/EINVAL" : ""}` +
    ` unix_path=${q(up)}${up !== null ? "" : eUp === EINVAL ? "/EINVAL" : "/?"}` +
    ` is_inet(ip,ipv4,ipv6,IPv6,ipx,"")=${b(tsocketAddressIsInet(a, "ip"))}${b(tsocketAddressIsInet(a, "ipv4"))}` +
    `${b(tsocketAddressIsInet(a, "ipv6"))}${b(tsocketAddressIsInet(a, "IPv6"))}` +
    `${b(tsocketAddressIsInet(a, "ipx"))}${b(tsocketAddressIsInet(a, ""))}` +
    ` is_unix=${b(tsocketAddressIsUnix(a))}`);
}

function fromStrings(fam: string, s: string | null, port: number): void {
  const m = tallocNew(null);
  const r = tsocketAddressInetFromStrings(m, fam, s, port);
  if (r.ret === 0 && r.addr !== null) {
    const blocks = tallocTotalBlocks(m) - 1;
    const sa = new Uint8Array(64);
    const l = tsocketAddressBsdSockaddr(r.addr, sa, sa.length);
    T(`from_strings ${q(fam)} ${q(s)} ${port} ret=0 ${tsocketAddressString(r.addr, m)} ${hex(sa, l)} blocks=${blocks}`);
  } else {
    T(`from_strings ${q(fam)} ${q(s)} ${port} ret=${r.ret} errno=${r.errno} addr=${r.addr ? "set" : "NULL"}`);
  }
  tallocFree(m);
}

function hostport(fam: string, s: string | null, port: number): void {
  const m = tallocNew(null);
  const r = tsocketAddressInetFromHostportStrings(m, fam, s, port);
  const blocks = tallocTotalBlocks(m) - 1;
  if (r.ret === 0 && r.addr !== null) {
    T(`hostport ${q(fam)} ${q(s)} ${port} ret=0 ${tsocketAddressString(r.addr, m)} blocks=${blocks}`);
  } else {
    T(`hostport ${q(fam)} ${q(s)} ${port} ret=${r.ret} errno=${r.errno} addr=${r.addr ? "set" : "NULL"} blocks=${blocks}`);
  }
  tallocFree(m);
}

function fromSockaddr(label: string, sa: Uint8Array, len: number): void {
  const m = tallocNew(null);
  const r = tsocketAddressBsdFromSockaddr(m, sa, len);
  if (r.ret !== 0 || r.addr === null) {
    T(`from_sockaddr ${label} len=${len} ret=${r.ret} errno=${r.errno} addr=${r.addr ? "set" : "NULL"}`);
  } else {
    T(`from_sockaddr ${label} len=${len} ret=0`);
    describe("  ", r.addr, m);
  }
  tallocFree(m);
}

function unixFromPath(p: string | null): void {
  const m = tallocNew(null);
  const r = tsocketAddressUnixFromPath(m, p);
  const len = p === null ? 0 : Buffer.byteLength(p);
  if (r.ret !== 0 || r.addr === null) {
    T(`unix_from_path len=${len} ret=${r.ret} errno=${r.errno} addr=${r.addr ? "set" : "NULL"}`);
  } else {
    const up = tsocketAddressUnixPath(r.addr, m) ?? "";
    T(`unix_from_path len=${len} ret=0 path_len=${Buffer.byteLength(up)}` +
      ` string_len=${Buffer.byteLength(tsocketAddressString(r.addr, m) ?? "")}`);
  }
  tallocFree(m);
}

// bsd_sockaddr into a buffer of len bytes, pre-filled with 0xee
function toSockaddr(label: string, a: TsocketAddress, len: number): void {
  const sa = new Uint8Array(200).fill(0xee);
  setErrno(0);
  const l = tsocketAddressBsdSockaddr(a, sa, len);
  const e = getErrno();
  if (l < 0) {
    T(`bsd_sockaddr ${label} len=${len} ret=${l} errno=${e} untouched=${b(sa[0] === 0xee && sa[len > 0 ? len - 1 : 0] === 0xee)}`);
  } else {
    T(`bsd_sockaddr ${label} len=${len} ret=${l} buf=${hex(sa, len)}`);
  }
}

// a second kind of address, written against tsocketAddressCreate()
class TestAddr {
  n = 0;
}

const testAddrOps: TsocketAddressOps = {
  name: "test",
  string: (addr, memCtx) => {
    void memCtx;
    return `test:${(addr.privateData as TestAddr).n}`;
  },
  copy: (addr, memCtx) => {
    const c = new TestAddr();
    c.n = (addr.privateData as TestAddr).n + 1;
    return tsocketAddressCreate(memCtx, testAddrOps, c, "struct test_addr");
  },
};

function mustAddr(r: { addr: TsocketAddress | null }): TsocketAddress {
  if (r.addr === null) throw new Error("unexpected failure");
  return r.addr;
}

function main(): void {
  const fams = ["ip", "ipv4", "ipv6", "IPv4", "IP", "ipx", ""];
  const addrs = [
    "127.0.0.1", "::1", "localhost", "", "127.1", "0x7f.1", "017.0.0.1", "1",
    "4294967295", "4294967296", "1.2.3.4 ", "1.2.3.4\n", " 1.2.3.4", "08.1.2.3",
    "0x", "0x100000000", "1.2.3", "1.2.3.4.5", "1..2", "1.2.3.", ".1.2.3", "a",
    "256.0.0.1", "1.256.0.1", "1.2.65536", "1.2.65535", "1.16777215", "1.16777216",
    "0.0.0.0", "255.255.255.255", "[::1]",
    "::ffff:1.2.3.4", "::ffff:7f00:1", "::ffff:0:0", "0:0:0:0:0:ffff:1.2.3.4",
    "::1.2.3.4", "::ffff:255.255.255.256", "::ffff:1.2.3.04", "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "::", ":::", ":",
    "1:", ":1", "1::2::3", "12345::", "FE80::ABCD", "ffff::",
    "fe80::1%lo", "fe80::1%1", "fe80::1%0", "fe80::1%00005", "fe80::1%4294967295",
    "fe80::1%4294967296", "fe80::1%-0", "fe80::1% 5", "fe80::1%+5", "fe80::1%",
    "fe80::1%nosuch", "fe80::1%LO", "fe80::1%1x", "fe80::1%lo%",
    "::1%lo", "::1%5", "2001:db8::1%5", "ff02::1%lo", "ff01::1%lo", "ff05::1%lo",
    "febf::1%lo", "fec0::1%lo", "::ffff:1.2.3.4%5", "::ffff:1.2.3.4%lo",
    "::ffff:254.128.0.1%lo", "1.2.3.4%5",
    "::2", "::0.0.0.2", "::ffff", "::1:0", "1::", "1:0:0:1:0:0:0:1", "1:0:0:1:0:0:1:1",
    "0:0:1::", "::ffff:0:1.2.3.4", "::fffe:1.2.3.4", "64:ff9b::1.2.3.4", "a:b:c:d:e:f:0:0",
    "1.2.3.4\u00e9",
  ];
  const ports = [0, 1, 80, 445, 9999, 10000, 65534, 65535];
  const hps = [
    "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:80", "::1", "::1:80", "[::1]:", "[::1]x",
    "127.0.0.1:", "127.0.0.1:65535", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1: 80",
    "127.0.0.1:+80", "127.0.0.1:0x50", "127.0.0.1:080", "127.0.0.1:80x", "[127.0.0.1]:80",
    "[fe80::1%lo]:99", "]::1[:80", "[::1]:80:90", "a.b:80", "1:80", "localhost:80", "[]:80",
    "[::1]]:80", "[[::1]:80", "10.0.0.1:80:90", "", ":80", ".:80",
    "[::1]:99999999999999999999", "::ffff:1.2.3.4", "[::ffff:1.2.3.4]:80", "x[::1]:80",
    "x[::1]", "[::1]: 80", "[::1]:\t80", "[::1]:80 ", "[::1]:-0", "[::1]:1-",
    "[::1]:18446744073709551615", "[::1]:18446744073709551616",
    "[::1]:00000000000000000000080", "[::1]:0", "1.2:3", "1:2.3", "1.2.3.4:5]",
    "[1.2.3.4:5]", "[::1]]", "]", "[", "[]", "[::1]:80]", ":", "1.:", ".", "[::1]:\n80",
    "[::1]:\v80", "[::1]:80\n",
  ];

  SECTION("inet_from_strings: NULL address per family");
  for (const fam of fams) {
    fromStrings(fam, null, 0);
  }

  SECTION("inet_from_strings: address strings");
  for (let j = 0; j < 3; j++) {
    for (const a of addrs) {
      fromStrings(fams[j], a, 445);
    }
  }
  fromStrings("ipv4", "*", 1);
  fromStrings("ipv6", "*", 1);
  fromStrings("ipx", "127.0.0.1", 1);
  fromStrings("IPV6", "::1", 1);

  SECTION("inet_from_strings: ports");
  for (const p of ports) {
    fromStrings("ipv4", "1.2.3.4", p);
    fromStrings("ipv6", "::1", p);
  }

  SECTION("inet_from_hostport_strings");
  for (let j = 0; j < 2; j++) {
    for (const h of hps) {
      hostport(fams[j], h, 7);
    }
  }
  hostport("ipv6", "[::1]:80", 7);
  hostport("ipv6", "1.2.3.4:80", 7);
  hostport("ip", null, 7);
  hostport("ipv4", null, 7);
  hostport("ipv6", null, 65535);
  hostport("ipx", "1.2.3.4:5", 7);
  hostport("ipx", "[::1]:5", 7);
  hostport("ipx", "[::1]:x", 7);
  hostport("ipx", null, 7);

  SECTION("bsd_from_sockaddr: AF_INET");
  let sa = new Uint8Array(300);
  sa.set([2, 0, 0x01, 0xbd, 127, 0, 0, 1]);
  fromSockaddr("in", sa, 16);
  fromSockaddr("in", sa, 15);
  fromSockaddr("in", sa, 17);
  fromSockaddr("in", sa, 2);
  fromSockaddr("in", sa, 1);
  fromSockaddr("in", sa, 0);
  fromSockaddr("in", sa, 128);
  fromSockaddr("in", sa, 129);
  sa.fill(0xab, 8, 16);
  fromSockaddr("in+sin_zero", sa, 16);

  SECTION("bsd_from_sockaddr: AF_INET6");
  sa = new Uint8Array(300);
  const in6 = new Uint8Array(28);
  in6.set([10, 0, 0, 80, 0x00, 0x01, 0x23, 0x45]); /* family, port 80, flowinfo 0x12345 */
  in6[8] = 0xfe;
  in6[9] = 0x80;
  in6[23] = 1;
  in6[24] = 7; /* scope_id 7, host order */
  sa.set(in6);
  fromSockaddr("in6", sa, 28);
  fromSockaddr("in6", sa, 27);
  fromSockaddr("in6", sa, 16);
  fromSockaddr("in6", sa, 100);
  in6[8] = 0;
  in6[9] = 0;
  in6[18] = 0xff;
  in6[19] = 0xff;
  sa.set(in6);
  fromSockaddr("in6-mapped", sa, 28);

  SECTION("bsd_from_sockaddr: AF_UNIX");
  sa = new Uint8Array(300);
  sa[0] = AF_UNIX;
  sa.set(Buffer.from("/tmp/sock"), 2);
  fromSockaddr("un", sa, 110);
  fromSockaddr("un", sa, 2);
  fromSockaddr("un", sa, 5);
  fromSockaddr("un", sa, 12);
  fromSockaddr("un", sa, 111);
  fromSockaddr("un", sa, 128);
  fromSockaddr("un", sa, 1);
  sa.fill(0x41);
  sa[0] = AF_UNIX;
  sa[1] = 0;
  fromSockaddr("un-no-nul", sa, 110);
  fromSockaddr("un-no-nul", sa, 300);
  sa[2] = 0;
  sa.set(Buffer.from("abstract"), 3);
  fromSockaddr("un-abstract", sa, 11);

  SECTION("bsd_from_sockaddr: other families");
  sa = new Uint8Array(300);
  fromSockaddr("AF_UNSPEC", sa, 16);
  sa[0] = 2; sa[1] = 1;
  fromSockaddr("family=0x0102", sa, 16);
  sa[0] = 0; sa[1] = 2;
  fromSockaddr("family=0x0200", sa, 16);
  sa[0] = 17; sa[1] = 0;
  fromSockaddr("AF_PACKET", sa, 20);
  sa[0] = 9; sa[1] = 0;
  fromSockaddr("family=9", sa, 1);

  SECTION("unix_from_path");
  for (let i = 105; i <= 110; i++) {
    unixFromPath("/" + "x".repeat(i - 1));
  }
  unixFromPath(null);
  unixFromPath("");
  let m = tallocNew(null);
  describe("unix /run/samba/x", mustAddr(tsocketAddressUnixFromPath(m, "/run/samba/x")), m);
  describe("unix NULL", mustAddr(tsocketAddressUnixFromPath(m, null)), m);
  tallocFree(m);

  SECTION("bsd_sockaddr: buffer lengths");
  m = tallocNew(null);
  let a = mustAddr(tsocketAddressInetFromStrings(m, "ipv4", "10.1.2.3", 139));
  toSockaddr("ipv4", a, 0);
  toSockaddr("ipv4", a, 15);
  toSockaddr("ipv4", a, 16);
  toSockaddr("ipv4", a, 20);
  a = mustAddr(tsocketAddressInetFromStrings(m, "ipv6", "fe80::2%lo", 139));
  toSockaddr("ipv6", a, 27);
  toSockaddr("ipv6", a, 28);
  toSockaddr("ipv6", a, 32);
  a = mustAddr(tsocketAddressUnixFromPath(m, "/s"));
  toSockaddr("unix", a, 109);
  toSockaddr("unix", a, 110);
  toSockaddr("unix", a, 112);
  sa = new Uint8Array(300);
  sa[0] = AF_UNIX;
  sa[2] = 0x70; /* 'p' */
  a = mustAddr(tsocketAddressBsdFromSockaddr(m, sa, 3));
  toSockaddr("unix-len3", a, 2);
  toSockaddr("unix-len3", a, 3);
  toSockaddr("unix-len3", a, 6);
  tallocFree(m);

  SECTION("inet_set_port, copy, string, talloc");
  m = tallocNew(null);
  a = mustAddr(tsocketAddressInetFromStrings(m, "ipv6", "::1", 1));
  T(`set_port 65535 ret=${tsocketAddressInetSetPort(a, 65535)}`);
  T(`port=${tsocketAddressInetPort(a)} string=${tsocketAddressString(a, m)}`);
  T(`set_port 0 ret=${tsocketAddressInetSetPort(a, 0)}`);
  T(`port=${tsocketAddressInetPort(a)} string=${tsocketAddressString(a, m)}`);
  let c = tsocketAddressCopy(a, m);
  if (c === null) throw new Error("copy failed");
  T(`copy string=${tsocketAddressString(c, m)} same=${b(c === a)} blocks(copy)=${tallocTotalBlocks(c)}`);
  tsocketAddressInetSetPort(c, 99);
  T(`after set_port on copy: original=${tsocketAddressString(a, m)} copy=${tsocketAddressString(c, m)}`);
  T(`string(NULL)=${tsocketAddressString(null, m)}`);
  a = mustAddr(tsocketAddressUnixFromPath(m, "/x"));
  setErrno(0);
  const ret = tsocketAddressInetSetPort(a, 1);
  T(`set_port on unix ret=${ret} errno=${getErrno()}`);
  c = tsocketAddressCopy(a, null);
  if (c === null) throw new Error("copy failed");
  T(`copy to NULL ctx: parent=${tallocParent(c) === null ? "NULL" : "?"} string=${tsocketAddressString(c, m)}`);
  tallocFree(c);
  tallocFree(m);

  SECTION("a new kind of address (tsocket_internal.h)");
  m = tallocNew(null);
  {
    const t = new TestAddr();
    a = tsocketAddressCreate(m, testAddrOps, t, "struct test_addr");
    t.n = 41;
    T(`ops=${a.ops.name} string=${tsocketAddressString(a, m)} blocks=${tallocTotalBlocks(a)}`);
    c = tsocketAddressCopy(a, m);
    T(`copy string=${c === null ? "NULL" : tsocketAddressString(c, m)}`);
    T(`is_inet=${b(tsocketAddressIsInet(a, "ip"))} is_unix=${b(tsocketAddressIsUnix(a))}`);
    setErrno(0);
    const str = tsocketAddressInetAddrString(a, m);
    T(`inet_addr_string=${q(str)} errno=${getErrno()}`);
    setErrno(0);
    const port = tsocketAddressInetPort(a);
    T(`inet_port=${port} errno=${getErrno()}`);
    setErrno(0);
    const r = tsocketAddressInetSetPort(a, 1);
    T(`inet_set_port=${r} errno=${getErrno()}`);
    setErrno(0);
    const up = tsocketAddressUnixPath(a, m);
    T(`unix_path=${q(up)} errno=${getErrno()}`);
    setErrno(0);
    const l = tsocketAddressBsdSockaddr(a, new Uint8Array(300), 300);
    T(`bsd_sockaddr=${l} errno=${getErrno()}`);
  }
  tallocFree(m);
}

run(main);
