// The address half of tsocket_bsd.c: ipv4, ipv6 and unix endpoints kept as
// the Linux byte layout of struct sockaddr_in / sockaddr_in6 / sockaddr_un.
//
// Addresses are values in C terms: what C stores, prints and returns for a
// given input is what this file stores, prints and returns.  The parsing of
// address strings is glibc's getaddrinfo(AI_NUMERICHOST | AI_NUMERICSERV)
// (inet_aton for IPv4, inet_pton for IPv6, "%scope" suffixes), ported here
// because Node.js's own parsers accept a different set of strings.
// Every value quoted in a comment as "checked" was checked against
// libsamba-sockets (Samba 4.17) on glibc 2.36; see
// conformance/c/tsocket_address.c.

import * as fs from "node:fs";
import { TallocCtx, tallocSteal, TALLOC_NODE, TallocNode } from "../../lib/talloc";
import { EAFNOSUPPORT, EINVAL, ENAMETOOLONG, setErrno } from "../../lib/errno";
import { TsocketAddress, TsocketAddressOps, tsocketAddressCreate } from "../address";

/** Linux address families (sa_family_t values). */
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

/* sizeof() of the Linux x86_64 structures */
const SIZEOF_SA_FAMILY = 2;
const SIZEOF_SOCKADDR_IN = 16;
const SIZEOF_SOCKADDR_IN6 = 28;
const SIZEOF_SOCKADDR_UN = 110;
const SIZEOF_SUN_PATH = 108;
const SIZEOF_SOCKADDR_STORAGE = 128;

/** What a function with an `addr` out-parameter returns (API.md rule 2). */
export interface TsocketAddressResult {
  ret: number;
  errno: number;
  addr: TsocketAddress | null;
}

/**
 * struct tsocket_address_bsd: the private data of a BSD address.  `u` is the
 * union of sockaddr_in/_in6/_un/_storage, zero beyond what was copied in,
 * `saSocklen` the length given when the address was made.  C's union is
 * 128 bytes; here `u` is only as long as the structure of its family
 * (16 bytes for AF_INET, 28 for AF_INET6, 110 for AF_UNIX; 128 for an
 * address with no family), one garbage object less per received datagram.
 * No reader looks beyond the structure of the family, so nothing seen
 * changes (sun_path is read up to a NUL, at most its 108 bytes, as before).
 */
export class TsocketAddressBsd {
  /** @internal the talloc slot, present from the start (a new address's data then changes no shape) */
  [TALLOC_NODE]: TallocNode | null = null;
  saSocklen = 0;
  /**
   * @internal `u` is shared with other addresses (a UDP socket's sender
   * addresses share the bytes of the last sender, see tsocket/bsd/dgram.ts):
   * whatever changes u copies it first (copy on write).
   */
  shared = false;
  readonly u: Uint8Array;
  constructor(u?: Uint8Array) {
    this.u = u === undefined ? new Uint8Array(SIZEOF_SOCKADDR_STORAGE) : u;
  }

  /** sa_family, in host (little-endian) byte order as Linux stores it. */
  get family(): number {
    return this.u[0] | (this.u[1] << 8);
  }
}

function fail(errno: number): TsocketAddressResult {
  setErrno(errno);
  return { ret: -1, errno, addr: null };
}

/* talloc_get_type(addr->private_data, struct tsocket_address_bsd) */
function bsdOf(addr: TsocketAddress, fn: string): TsocketAddressBsd | null {
  if (!(addr instanceof TsocketAddress)) {
    throw new TypeError(`${fn}: addr must be a TsocketAddress`);
  }
  return addr.privateData instanceof TsocketAddressBsd ? addr.privateData : null;
}

/* A JavaScript string as C sees the char * it stands for: up to the first NUL. */
function cstr(s: string): string {
  const nul = s.indexOf("\0");
  return nul === -1 ? s : s.slice(0, nul);
}

function checkString(v: unknown, fn: string, what: string, nullable: boolean): void {
  if (typeof v === "string") return;
  if (nullable && (v === null || v === undefined)) return;
  throw new TypeError(`${fn}: ${what} must be a string${nullable ? " or null" : ""}`);
}

function checkNumber(v: unknown, fn: string, what: string): void {
  if (typeof v !== "number") {
    throw new TypeError(`${fn}: ${what} must be a number`);
  }
}

/*
 * Ports are uint16_t in C, where the conversion happens at the call site and
 * the library never sees an out-of-range value.  Here a port that is not an
 * integer in 0..65535 (negative, fractional, NaN, > 65535) is refused with
 * EINVAL, before anything else is looked at, rather than wrapped modulo 65536:
 * a silent wrap would turn a caller's bug into a connection to the wrong port.
 */
function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 0xffff;
}

/* A socklen_t: a non-negative integer; anything else is refused with EINVAL. */
function validSocklen(len: number): boolean {
  return Number.isInteger(len) && len >= 0;
}

/* strcasecmp(fam, "ip"/"ipv4"/"ipv6") */
const enum Fam { UNSPEC = 0, INET = 2, INET6 = 10, NONE = -1 }
function famOf(fam: string): Fam {
  switch (cstr(fam).replace(/[A-Z]+/g, (m) => m.toLowerCase())) { /* ASCII only, as in the C locale */
    case "ip": return Fam.UNSPEC;
    case "ipv4": return Fam.INET;
    case "ipv6": return Fam.INET6;
  }
  return Fam.NONE;
}

/**
 * tsocket_address_bsd_from_sockaddr(): an address from the bytes of a
 * struct sockaddr.  AF_INET needs at least 16 bytes and keeps 16, AF_INET6
 * at least 28 and keeps 28, AF_UNIX keeps up to 110 (fewer bytes give a
 * shorter sun_path); anything under 2 bytes is EINVAL, any other family
 * EAFNOSUPPORT (checked).
 *
 * Where C would read past the end of the caller's buffer (saSocklen, once
 * clamped as above, larger than sa), the call is refused with EINVAL; so is a
 * saSocklen that is not a non-negative integer.
 */
export function tsocketAddressBsdFromSockaddr(memCtx: TallocCtx, sa: Uint8Array,
                                              saSocklen: number): TsocketAddressResult {
  if (!(sa instanceof Uint8Array)) {
    throw new TypeError("tsocketAddressBsdFromSockaddr: sa must be a Uint8Array");
  }
  checkNumber(saSocklen, "tsocketAddressBsdFromSockaddr", "saSocklen");
  if (!validSocklen(saSocklen)) {
    return fail(EINVAL);
  }
  if (saSocklen < SIZEOF_SA_FAMILY || sa.byteLength < SIZEOF_SA_FAMILY) {
    return fail(EINVAL);
  }
  const family = sa[0] | (sa[1] << 8);
  let len = saSocklen;
  switch (family) {
    case AF_UNIX:
      if (len > SIZEOF_SOCKADDR_UN) {
        len = SIZEOF_SOCKADDR_UN;
      }
      break;
    case AF_INET:
      if (len < SIZEOF_SOCKADDR_IN) {
        return fail(EINVAL);
      }
      len = SIZEOF_SOCKADDR_IN;
      break;
    case AF_INET6:
      if (len < SIZEOF_SOCKADDR_IN6) {
        return fail(EINVAL);
      }
      len = SIZEOF_SOCKADDR_IN6;
      break;
    default:
      return fail(EAFNOSUPPORT);
  }
  if (len > sa.byteLength) {
    return fail(EINVAL); /* C would read beyond the buffer */
  }
  /* AF_INET and AF_INET6 keep exactly their structure; sa may be a
   * Buffer, whose slice() would not copy */
  const u = new Uint8Array(family === AF_UNIX ? SIZEOF_SOCKADDR_UN : len);
  u.set(sa.subarray(0, len));
  const bsda = new TsocketAddressBsd(u);
  bsda.saSocklen = len;
  const addr = tsocketAddressCreate(memCtx, tsocketAddressBsdOps, bsda,
                                    "struct tsocket_address_bsd", "tsocketAddressBsdFromSockaddr");
  return { ret: 0, errno: 0, addr };
}

/**
 * tsocket_address_bsd_sockaddr(): copy the sockaddr of addr into sa and
 * return its length (16, 28, or what an AF_UNIX address was made with).
 * saSocklen smaller than that: -1/EINVAL; larger: the first saSocklen bytes
 * of sa are zeroed first (checked).  Not a BSD address: -1/EINVAL.
 *
 * A saSocklen beyond the end of sa (C would write past the buffer), or one
 * that is not a non-negative integer, is refused with EINVAL and sa is not
 * touched.
 */
export function tsocketAddressBsdSockaddr(addr: TsocketAddress, sa: Uint8Array, saSocklen: number): number {
  const bsda = bsdOf(addr, "tsocketAddressBsdSockaddr");
  if (!(sa instanceof Uint8Array)) {
    throw new TypeError("tsocketAddressBsdSockaddr: sa must be a Uint8Array");
  }
  checkNumber(saSocklen, "tsocketAddressBsdSockaddr", "saSocklen");
  if (bsda === null) {
    setErrno(EINVAL);
    return -1;
  }
  if (!validSocklen(saSocklen) || saSocklen > sa.byteLength) {
    setErrno(EINVAL);
    return -1;
  }
  if (saSocklen < bsda.saSocklen) {
    setErrno(EINVAL);
    return -1;
  }
  if (saSocklen > bsda.saSocklen) {
    sa.fill(0, 0, saSocklen);
  }
  sa.set(bsda.u.subarray(0, bsda.saSocklen));
  return bsda.saSocklen;
}

/**
 * tsocket_address_is_inet(): fam "ip" matches ipv4 and ipv6 addresses,
 * "ipv4"/"ipv6" only their own; compared case-insensitively (strcasecmp).
 */
export function tsocketAddressIsInet(addr: TsocketAddress, fam: string): boolean {
  const bsda = bsdOf(addr, "tsocketAddressIsInet");
  checkString(fam, "tsocketAddressIsInet", "fam", false);
  if (bsda === null) {
    return false;
  }
  const f = famOf(fam);
  switch (bsda.family) {
    case AF_INET:
      return f === Fam.UNSPEC || f === Fam.INET;
    case AF_INET6:
      return f === Fam.UNSPEC || f === Fam.INET6;
  }
  return false;
}

/* ---- glibc's numeric host parsing (getaddrinfo with AI_NUMERICHOST) ---- */

interface NumericHost {
  family: number;        /* AF_INET or AF_INET6 */
  addr: Uint8Array;      /* 4 or 16 bytes, network order */
  scopeId: number;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/*
 * strtoul(s + i, &end, 0) as inet_aton uses it: 0x hex, leading 0 octal,
 * else decimal.  `big` when the value does not fit 32 bits (inet_aton
 * refuses those, whether or not strtoul overflowed).
 */
function strtoulBase0(s: string, i: number): { val: number; end: number; big: boolean } {
  let base = 10;
  if (s.charCodeAt(i) === 0x30) {
    const x = s.charCodeAt(i + 1);
    if ((x === 0x78 || x === 0x58) && hexValue(s.charCodeAt(i + 2)) >= 0) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  let val = 0;
  let big = false;
  for (;;) {
    const d = hexValue(s.charCodeAt(i));
    if (d < 0 || d >= base) break;
    val = val * base + d;
    if (val > 0xffffffff) {
      big = true;
      val = 0xffffffff + 1; /* keep it bounded; it is refused anyway */
    }
    i++;
  }
  return { val, end: i, big };
}

/* glibc's __inet_aton_exact(): "a.b.c.d", "a.b.c", "a.b", "a", each part C-style. */
function inetAtonExact(s: string): Uint8Array | null {
  const max = [0xffffffff, 0xffffff, 0xffff, 0xff];
  const bytes = new Uint8Array(4);
  let nparts = 0;
  let i = 0;
  let val: number;
  for (;;) {
    if (!isDigit(s.charCodeAt(i))) return null;
    const r = strtoulBase0(s, i);
    if (r.big) return null;
    val = r.val;
    i = r.end;
    if (s.charCodeAt(i) === 0x2e /* . */) {
      if (nparts > 2 || val > 0xff) return null;
      bytes[nparts++] = val;
      i++;
    } else {
      break;
    }
  }
  if (i !== s.length) return null; /* trailing characters, even spaces */
  if (val > max[nparts]) return null;
  for (let k = 3; k >= nparts; k--) {
    bytes[k] = val & 0xff;
    val = Math.floor(val / 256);
  }
  return bytes;
}

/* glibc's inet_pton4(): strict dotted quad, no leading zeros. */
function inetPton4(s: string, start: number, end: number, dst: Uint8Array, off: number): boolean {
  const tmp = [0, 0, 0, 0];
  let t = 0;
  let sawDigit = false;
  let octets = 0;
  for (let i = start; i < end; i++) {
    const ch = s.charCodeAt(i);
    if (isDigit(ch)) {
      const n = tmp[t] * 10 + (ch - 0x30);
      if (sawDigit && tmp[t] === 0) return false;
      if (n > 255) return false;
      tmp[t] = n;
      if (!sawDigit) {
        if (++octets > 4) return false;
        sawDigit = true;
      }
    } else if (ch === 0x2e && sawDigit) {
      if (octets === 4) return false;
      tmp[++t] = 0;
      sawDigit = false;
    } else {
      return false;
    }
  }
  if (octets < 4) return false;
  dst.set(tmp, off);
  return true;
}

/* glibc's inet_pton6() on s[0..end). */
function inetPton6(s: string, end: number): Uint8Array | null {
  const tmp = new Uint8Array(16);
  let tp = 0;
  let colonp = -1;
  let i = 0;
  if (i === end) return null;
  if (s.charCodeAt(i) === 0x3a /* : */) {
    i++;
    if (i === end || s.charCodeAt(i) !== 0x3a) return null;
  }
  let curtok = i;
  let xdigits = 0;
  let val = 0;
  while (i < end) {
    const ch = s.charCodeAt(i++);
    const d = hexValue(ch);
    if (d >= 0) {
      if (xdigits === 4) return null;
      val = (val << 4) | d;
      xdigits++;
      continue;
    }
    if (ch === 0x3a) {
      curtok = i;
      if (xdigits === 0) {
        if (colonp !== -1) return null;
        colonp = tp;
        continue;
      } else if (i === end) {
        return null;
      }
      if (tp + 2 > 16) return null;
      tmp[tp++] = (val >> 8) & 0xff;
      tmp[tp++] = val & 0xff;
      xdigits = 0;
      val = 0;
      continue;
    }
    if (ch === 0x2e && tp + 4 <= 16 && inetPton4(s, curtok, end, tmp, tp)) {
      tp += 4;
      xdigits = 0;
      break;
    }
    return null;
  }
  if (xdigits > 0) {
    if (tp + 2 > 16) return null;
    tmp[tp++] = (val >> 8) & 0xff;
    tmp[tp++] = val & 0xff;
  }
  if (colonp !== -1) {
    if (tp === 16) return null; /* "::" would stand for nothing */
    const n = tp - colonp;
    tmp.copyWithin(16 - n, colonp, tp);
    tmp.fill(0, colonp, 16 - n);
    tp = 16;
  }
  if (tp !== 16) return null;
  return tmp;
}

/*
 * if_nametoindex(): Linux publishes the index in sysfs.  Names the kernel
 * cannot hold (empty, IFNAMSIZ or longer) or that are not a plain file name
 * give 0, as does any platform without /sys/class/net.  glibc asks the
 * kernel (ioctl SIOCGIFINDEX), which ignores an alias suffix ":..." in the
 * name: "fe80::1%lo:0" and "fe80::1%lo:" have scope 1 (checked; found by
 * the address fuzzing against the C library).
 */
function ifNametoindex(name: string): number {
  if (name === "" || Buffer.byteLength(name) >= 16) {
    return 0;
  }
  const colon = name.indexOf(":");
  if (colon !== -1) {
    name = name.slice(0, colon);
  }
  if (name === "" || name.includes("/") || name === "." || name === "..") {
    return 0;
  }
  try {
    const n = Number.parseInt(fs.readFileSync(`/sys/class/net/${name}/ifindex`, "latin1"), 10);
    return Number.isInteger(n) && n > 0 && n <= 0xffffffff ? n : 0;
  } catch {
    return 0;
  }
}

/*
 * glibc's __inet6_scopeid_pton(): an interface name (only for link-local
 * unicast and node/link-local multicast addresses), else a decimal number
 * starting with a digit that fits 32 bits.  "fe80::1%lo" is scope 1,
 * "::1%lo" is refused, "::1%5" is scope 5 (checked).
 */
function scopeidPton(a: Uint8Array, scope: string): number | null {
  const linkLocal = a[0] === 0xfe && (a[1] & 0xc0) === 0x80;
  const mcNodeLocal = a[0] === 0xff && (a[1] & 0x0f) === 0x01;
  const mcLinkLocal = a[0] === 0xff && (a[1] & 0x0f) === 0x02;
  if (linkLocal || mcNodeLocal || mcLinkLocal) {
    const idx = ifNametoindex(scope);
    if (idx !== 0) return idx;
  }
  if (isDigit(scope.charCodeAt(0))) {
    if (!/^[0-9]+$/.test(scope)) return null;
    const digits = scope.replace(/^0+(?=.)/, "");
    if (digits.length > 10) return null;
    const n = Number(digits);
    return n <= 0xffffffff ? n : null;
  }
  return null;
}

/*
 * getaddrinfo(name, port, { ai_family, AI_NUMERICHOST | AI_NUMERICSERV,
 * SOCK_STREAM }) as glibc 2.36 does it, first result only.  null for every
 * failure: tsocket maps them all to EINVAL (checked).
 */
function getaddrinfoNumeric(name: string, family: Fam): NumericHost | null {
  if (name === "*") {
    /*
     * glibc treats the name "*" as NULL, and a NULL name without AI_PASSIVE
     * is the loopback address; for "ip" the first result on Linux is ::1
     * (checked; it comes from glibc's RFC 3484 sorting, here fixed).
     */
    if (family === Fam.INET) {
      return { family: AF_INET, addr: Uint8Array.of(127, 0, 0, 1), scopeId: 0 };
    }
    const lo = new Uint8Array(16);
    lo[15] = 1;
    return { family: AF_INET6, addr: lo, scopeId: 0 };
  }
  const v4 = inetAtonExact(name);
  if (v4 !== null) {
    if (family === Fam.UNSPEC || family === Fam.INET) {
      return { family: AF_INET, addr: v4, scopeId: 0 };
    }
    return null; /* EAI_ADDRFAMILY: no AI_V4MAPPED */
  }
  const pct = name.indexOf("%");
  const a = inetPton6(name, pct === -1 ? name.length : pct);
  if (a === null) {
    return null;
  }
  let result: NumericHost;
  if (family === Fam.UNSPEC || family === Fam.INET6) {
    result = { family: AF_INET6, addr: a, scopeId: 0 };
  } else if (family === Fam.INET && a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff) {
    /*
     * "ipv4" takes an IPv4-mapped IPv6 address as its IPv4 address (checked:
     * "::ffff:1.2.3.4" is ipv4:1.2.3.4).  glibc copies the last 4 bytes over
     * the first 4 and then parses any scope against those 16 bytes.
     */
    a.copyWithin(0, 12, 16);
    result = { family: AF_INET, addr: a.slice(0, 4), scopeId: 0 };
  } else {
    return null;
  }
  if (pct !== -1) {
    const scopeId = scopeidPton(a, name.slice(pct + 1));
    if (scopeId === null) return null;
    result.scopeId = scopeId;
  }
  return result;
}

function sockaddrIn(port: number, addr: Uint8Array): Uint8Array {
  const sa = new Uint8Array(SIZEOF_SOCKADDR_IN);
  sa[0] = AF_INET;
  sa[2] = port >> 8;
  sa[3] = port & 0xff;
  sa.set(addr, 4);
  return sa;
}

function sockaddrIn6(port: number, addr: Uint8Array, scopeId: number): Uint8Array {
  const sa = new Uint8Array(SIZEOF_SOCKADDR_IN6);
  sa[0] = AF_INET6;
  sa[2] = port >> 8;
  sa[3] = port & 0xff;
  /* sin6_flowinfo (bytes 4..7) stays 0 */
  sa.set(addr, 8);
  new DataView(sa.buffer).setUint32(24, scopeId, true); /* host order */
  return sa;
}

/**
 * tsocket_address_inet_from_strings(): an ipv4/ipv6 address from a numeric
 * address string (no DNS names).  fam is "ip", "ipv4" or "ipv6" (any case;
 * anything else: EAFNOSUPPORT).  A null addr means "0.0.0.0" for "ipv4" and
 * "::" for "ip" and "ipv6".  Every string glibc refuses gives EINVAL
 * ("localhost", "", "::1" with "ipv4", "127.0.0.1" with "ipv6"; checked).
 * IPv4 strings follow inet_aton ("127.1", "0x7f.1", "017.0.0.1" are
 * accepted); IPv6 strings may carry a "%scope" (kept in sin6_scope_id, not
 * printed).  A port that is not an integer in 0..65535 gives EINVAL.
 */
export function tsocketAddressInetFromStrings(memCtx: TallocCtx, fam: string, addr: string | null,
                                              port: number): TsocketAddressResult {
  const fn = "tsocketAddressInetFromStrings";
  checkString(fam, fn, "fam", false);
  checkString(addr, fn, "addr", true);
  checkNumber(port, fn, "port");
  if (!validPort(port)) {
    return fail(EINVAL);
  }
  const family = famOf(fam);
  let name: string;
  switch (family) {
    case Fam.UNSPEC:
      name = addr ?? "::";
      break;
    case Fam.INET:
      name = addr ?? "0.0.0.0";
      break;
    case Fam.INET6:
      name = addr ?? "::";
      break;
    default:
      return fail(EAFNOSUPPORT);
  }
  const r = getaddrinfoNumeric(cstr(name), family);
  if (r === null) {
    return fail(EINVAL);
  }
  const sa = r.family === AF_INET ? sockaddrIn(port, r.addr) : sockaddrIn6(port, r.addr, r.scopeId);
  return tsocketAddressBsdFromSockaddr(memCtx, sa, sa.byteLength);
}

/*
 * Samba's conv_str_u64() (smb_strtoull, base 10, whole string): optional
 * leading white space, an optional '+', decimal digits, nothing after; no
 * '-' at all ("-0" is refused).  Returns the value, or -1 when refused or
 * above 65535 (the caller refuses those too).
 */
function convPort(s: string): number {
  if (!/^[ \t\n\v\f\r]*\+?[0-9]+$/.test(s)) return -1;
  const digits = s.replace(/^[ \t\n\v\f\r]*\+?0*/, "");
  if (digits.length > 5) return -1;
  const n = digits === "" ? 0 : Number(digits);
  return n <= 0xffff ? n : -1;
}

/**
 * tsocket_address_inet_from_hostport_strings(): like
 * tsocketAddressInetFromStrings(), but hostPortAddr may carry a port:
 * "1.2.3.4:80", "[::1]:80", "[::1]", or a bare address (then defaultPort).
 *
 * Samba's rules, reproduced as found (checked): with a '[' before a later
 * ']' the address is what lies between them (anything before '[' is
 * ignored: "x[::1]:80" is ::1 port 80), and after ']' must come the end or
 * ':' and a port.  Otherwise a ':' is taken as a port separator only if the
 * string also holds a '.', and then the last ':' splits ("1.2:3" is 1.0.0.2
 * port 3); so "::1:80" is the IPv6 address ::1:80.  A port is decimal with
 * optional leading white space and '+' ("[::1]: 80", "+80", "080" are 80);
 * empty, signed negative, trailing junk or above 65535 is EINVAL, checked
 * before the family ("ipx" with "[::1]:x" is EINVAL, with "[::1]:5"
 * EAFNOSUPPORT).
 *
 * C copies hostPortAddr onto memCtx and never frees the copy (one more
 * talloc child of memCtx, on success and failure alike); that child is
 * reproduced, so tallocTotalBlocks(memCtx) counts as in C.
 */
export function tsocketAddressInetFromHostportStrings(memCtx: TallocCtx, fam: string,
                                                      hostPortAddr: string | null,
                                                      defaultPort: number): TsocketAddressResult {
  const fn = "tsocketAddressInetFromHostportStrings";
  checkString(fam, fn, "fam", false);
  checkString(hostPortAddr, fn, "hostPortAddr", true);
  checkNumber(defaultPort, fn, "defaultPort");
  if (!validPort(defaultPort)) {
    return fail(EINVAL);
  }
  if (hostPortAddr === null || hostPortAddr === undefined) {
    return tsocketAddressInetFromStrings(memCtx, fam, null, defaultPort);
  }
  const buf = cstr(hostPortAddr);
  if (memCtx !== null && memCtx !== undefined) {
    tallocSteal(memCtx, new HostportCopy(buf)); /* C's leaked talloc_strdup() */
  }
  const plPeriod = buf.indexOf(".");
  let portSep = buf.lastIndexOf(":");
  const plSq = buf.indexOf("[");
  const prSq = buf.lastIndexOf("]");
  let sAddr: string;
  let sPort = defaultPort;
  if (plSq !== -1 && prSq !== -1 && prSq > plSq) {
    /* IPv6 in square brackets, maybe with a port */
    sAddr = buf.slice(plSq + 1, prSq);
    portSep = prSq + 1;
    if (portSep < buf.length) {
      if (buf[portSep] !== ":") {
        return fail(EINVAL);
      }
      sPort = convPort(buf.slice(portSep + 1));
      if (sPort === -1) {
        return fail(EINVAL);
      }
    }
  } else if (plPeriod !== -1 && portSep !== -1) {
    /* IPv4 with a port */
    sPort = convPort(buf.slice(portSep + 1));
    if (sPort === -1) {
      return fail(EINVAL);
    }
    sAddr = buf.slice(0, portSep);
  } else {
    /* anything else: tsocketAddressInetFromStrings() judges it */
    sAddr = buf;
  }
  return tsocketAddressInetFromStrings(memCtx, fam, sAddr, sPort);
}

/** The copy of the host:port string that C leaves on mem_ctx. */
class HostportCopy {
  constructor(readonly str: string) {}
}

/* glibc's inet_ntop() for AF_INET6: the longest (first) run of >= 2 zero
 * words becomes "::"; a.b.c.d only after six zero words or after five and
 * ffff ("::1.2.3.4", "::ffff:1.2.3.4"; but "::2", "::ffff:0:102:304": checked). */
function inetNtop6(a: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((a[2 * i] << 8) | a[2 * i + 1]);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) {
    bestBase = -1;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && bestBase === 0 &&
        (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
      break;
    }
    out += w[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) {
    out += ":";
  }
  return out;
}

/**
 * tsocket_address_inet_addr_string(): "127.0.0.1", "::1", "::ffff:1.2.3.4"
 * (glibc's inet_ntop; the scope id is not printed), or null with errno
 * EINVAL when addr is not ipv4/ipv6.
 */
export function tsocketAddressInetAddrString(addr: TsocketAddress, memCtx: TallocCtx): string | null {
  const bsda = bsdOf(addr, "tsocketAddressInetAddrString");
  void memCtx; /* JavaScript strings are not talloc objects */
  if (bsda === null) {
    setErrno(EINVAL);
    return null;
  }
  const u = bsda.u;
  switch (bsda.family) {
    case AF_INET:
      return `${u[4]}.${u[5]}.${u[6]}.${u[7]}`;
    case AF_INET6:
      return inetNtop6(u.subarray(8, 24));
  }
  setErrno(EINVAL);
  return null;
}

/**
 * tsocket_address_inet_port(): the port in host order, or 0 with errno
 * EINVAL when addr is not ipv4/ipv6.
 */
export function tsocketAddressInetPort(addr: TsocketAddress): number {
  const bsda = bsdOf(addr, "tsocketAddressInetPort");
  if (bsda === null) {
    setErrno(EINVAL);
    return 0;
  }
  switch (bsda.family) {
    case AF_INET:
    case AF_INET6:
      return (bsda.u[2] << 8) | bsda.u[3];
  }
  setErrno(EINVAL);
  return 0;
}

/**
 * tsocket_address_inet_set_port(): 0, or -1 with errno EINVAL when addr is
 * not ipv4/ipv6 or port is not an integer in 0..65535.
 */
export function tsocketAddressInetSetPort(addr: TsocketAddress, port: number): number {
  const bsda = bsdOf(addr, "tsocketAddressInetSetPort");
  checkNumber(port, "tsocketAddressInetSetPort", "port");
  if (bsda === null || !validPort(port)) {
    setErrno(EINVAL);
    return -1;
  }
  switch (bsda.family) {
    case AF_INET:
    case AF_INET6:
      if (bsda.shared) {
        (bsda as { u: Uint8Array }).u = bsda.u.slice(); /* copy on write */
        bsda.shared = false;
      }
      bsda.u[2] = port >> 8;
      bsda.u[3] = port & 0xff;
      return 0;
  }
  setErrno(EINVAL);
  return -1;
}

/** tsocket_address_is_unix() */
export function tsocketAddressIsUnix(addr: TsocketAddress): boolean {
  const bsda = bsdOf(addr, "tsocketAddressIsUnix");
  return bsda !== null && bsda.family === AF_UNIX;
}

/* A UTF-16 code unit of a surrogate pair standing alone. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * tsocket_address_unix_from_path(): a unix address for path (null means "").
 * The path is stored as UTF-8 (what Node.js passes to the kernel); more than
 * 107 bytes gives ENAMETOOLONG: C keeps one byte of the 108-byte sun_path
 * for the terminating NUL (checked: 107 accepted, 108 refused).
 *
 * A path holding a lone surrogate (a JavaScript string that is not valid
 * Unicode) gives EINVAL: UTF-8 cannot hold it, and encoding it as U+FFFD
 * would make the address of another path (found by the address fuzzing).
 */
export function tsocketAddressUnixFromPath(memCtx: TallocCtx, path: string | null): TsocketAddressResult {
  checkString(path, "tsocketAddressUnixFromPath", "path", true);
  const str = cstr(path ?? "");
  if (LONE_SURROGATE.test(str)) {
    return fail(EINVAL);
  }
  const bytes = Buffer.from(str, "utf8");
  if (bytes.byteLength > SIZEOF_SUN_PATH - 1) {
    return fail(ENAMETOOLONG);
  }
  const un = new Uint8Array(SIZEOF_SOCKADDR_UN);
  un[0] = AF_UNIX;
  un.set(bytes, 2);
  return tsocketAddressBsdFromSockaddr(memCtx, un, un.byteLength);
}

/* sun_path as C's strdup() reads it: up to the first NUL.  An address made
 * from a full 110-byte sockaddr_un has no NUL in sun_path; C then reads on
 * into the zeroed rest of the storage, so up to 108 bytes come back. */
function sunPath(bsda: TsocketAddressBsd): string {
  const p = bsda.u.subarray(2);
  const nul = p.indexOf(0);
  return Buffer.from(p.buffer, p.byteOffset, nul === -1 ? p.byteLength : nul).toString("utf8");
}

/**
 * tsocket_address_unix_path(): the path of a unix address (decoded as
 * UTF-8), or null with errno EINVAL when addr is not a unix address.
 */
export function tsocketAddressUnixPath(addr: TsocketAddress, memCtx: TallocCtx): string | null {
  const bsda = bsdOf(addr, "tsocketAddressUnixPath");
  void memCtx;
  if (bsda === null || bsda.family !== AF_UNIX) {
    setErrno(EINVAL);
    return null;
  }
  return sunPath(bsda);
}

/* tsocket_address_bsd_string(): "unix:%s", "ipv4:%s:%u", "ipv6:%s:%u" */
function tsocketAddressBsdString(addr: TsocketAddress, memCtx: TallocCtx): string | null {
  const bsda = addr.privateData as TsocketAddressBsd;
  let prefix: string;
  switch (bsda.family) {
    case AF_UNIX:
      return `unix:${sunPath(bsda)}`;
    case AF_INET:
      prefix = "ipv4";
      break;
    case AF_INET6:
      prefix = "ipv6";
      break;
    default:
      setErrno(EINVAL);
      return null;
  }
  const addrStr = tsocketAddressInetAddrString(addr, memCtx);
  if (addrStr === null) {
    return null;
  }
  return `${prefix}:${addrStr}:${tsocketAddressInetPort(addr)}`;
}

/* tsocket_address_bsd_copy(): from the stored bytes and length */
function tsocketAddressBsdCopy(addr: TsocketAddress, memCtx: TallocCtx): TsocketAddress | null {
  const bsda = addr.privateData as TsocketAddressBsd;
  const r = tsocketAddressBsdFromSockaddr(memCtx, bsda.u, bsda.saSocklen);
  return r.addr;
}

/** tsocket_address_bsd_ops */
export const tsocketAddressBsdOps: TsocketAddressOps = Object.freeze({
  name: "bsd",
  string: tsocketAddressBsdString,
  copy: tsocketAddressBsdCopy,
});
