// Fuzzing, issue 8 item 3c: random strings, bytes, lengths and numbers
// into every address parser and sockaddr decoder, with fast-check.
//
// Every answer must be either a clear failure (ret -1, addr null, an
// errno the function documents, the same errno left in getErrno()) or a
// valid address: its printed form parses back to the same address, its
// sockaddr bytes read back unchanged, and, where the input names a known
// address (fast-check's ipV4()/ipV6()), it is exactly that address.  No
// exception for arguments of the right types.
//
// Where the C library is installed (gcc, pkg-config, talloc,
// libsamba-sockets), a small C program (test/fixtures/address_oracle.c)
// is compiled and every parser's answer is compared with C's, byte for
// byte: same success or failure, same errno, same string, same sockaddr.

import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as fc from "fast-check";
import {
  EAFNOSUPPORT, EINVAL, ENAMETOOLONG, getErrno, setErrno, tallocFree, tallocNew, TsocketAddress,
  tsocketAddressBsdFromSockaddr, tsocketAddressBsdSockaddr, tsocketAddressCopy, tsocketAddressInetAddrString,
  tsocketAddressInetFromHostportStrings, tsocketAddressInetFromStrings, tsocketAddressInetPort,
  tsocketAddressInetSetPort, tsocketAddressIsInet, tsocketAddressIsUnix, tsocketAddressString,
  tsocketAddressUnixFromPath, tsocketAddressUnixPath,
} from "../../index";

type Res = { ret: number; errno: number; addr: TsocketAddress | null };

/* ---- generators ---- */

const v4tok = fc.constantFrom("0", "1", "7", "127", "255", "256", "0x7f", "0X1F", "017", "08", "4294967295",
                              "4294967296", "00", "0x", "16777215", "16777216", "65535", "65536", "999");
const v6tok = fc.constantFrom("0", "1", "ffff", "FFFF", "fe80", "ff02", "ff01", "12345", "0000", "00000", "abcd",
                              "g", "2001", "db8", "::", ":", "::ffff:", "1.2.3.4");
const sepTok = fc.constantFrom(".", ":", "::", "%", "[", "]", " ", "\t", "+", "-", "*", "/", "\0", "é", "\n");
const scopeTok = fc.constantFrom("%lo", "%1", "%0", "%01", "%4294967295", "%4294967296", "%eth0", "%", "%lo0",
                                 "%LO", "%2", "%99999999999");

/** Strings that look like addresses, almost-addresses and anything else. */
export const addrLike: fc.Arbitrary<string> = fc.oneof(
  fc.ipV4(), fc.ipV4Extended(), fc.ipV6(),
  fc.tuple(fc.ipV6(), scopeTok).map(([a, s]) => a + s),
  fc.array(fc.oneof(v4tok, v6tok, sepTok, scopeTok), { maxLength: 10 }).map((a) => a.join("")),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFxX.:%[]+- \t*lo"), maxLength: 40 }),
  fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), fc.nat(), fc.oneof(sepTok, v4tok, v6tok, fc.constant("")))
    .map(([s, i, ins]) => { const k = i % (s.length + 1); return s.slice(0, k) + ins + s.slice(k + (i & 1)); }),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("*", "", "localhost", "::", "0", "::ffff:1.2.3.4", "::1.2.3.4", "fe80::1%lo", "1.2.3.4%lo"),
);

/** Raw UTF-16 code units: lone surrogates too. */
const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });

export const famArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("ip", "ipv4", "ipv6", "IP", "IPv6", "iPV4") },
  { weight: 1, arbitrary: fc.constantFrom("ipx", "", "ip\0v4", "ipv4\0", "ipv", "ipv46", "İp") },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

const goodPort = fc.integer({ min: 0, max: 65535 });
export const portArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: goodPort },
  { weight: 1, arbitrary: fc.constantFrom(-1, 65536, 0.5, 80.0000001, NaN, Infinity, -Infinity, -0, 1e20, 2 ** 32 + 80, -65536) },
  { weight: 1, arbitrary: fc.double() },
);

const portStr = fc.oneof(goodPort.map(String),
                         fc.constantFrom("", "+80", " 80", "\t1", "-0", "-1", "080", "65536", "x", "80x", "0x50", "99999999999"));
export const hostportArb: fc.Arbitrary<string> = fc.oneof(
  addrLike,
  fc.tuple(addrLike, portStr).map(([a, p]) => `${a}:${p}`),
  fc.tuple(addrLike, portStr).map(([a, p]) => `[${a}]:${p}`),
  fc.tuple(addrLike, fc.constantFrom("[", "]", "[]", "]:", "x[", "")).map(([a, j]) => j + a + j.split("").reverse().join("")),
);

/* ---- helpers ---- */

function sockaddrOf(a: TsocketAddress): Uint8Array {
  const buf = new Uint8Array(200);
  const l = tsocketAddressBsdSockaddr(a, buf, buf.length);
  if (l < 0) throw new Error(`bsd_sockaddr of a parsed address failed: errno ${getErrno()}`);
  return buf.slice(0, l);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const cstr = (s: string): string => { const i = s.indexOf("\0"); return i === -1 ? s : s.slice(0, i); };

/** A failure must be clear: ret -1, addr null, one of the errnos allowed, errno also in getErrno(). */
function checkFailure(r: Res, allowed: number[], what: string): void {
  if (r.ret !== -1 || r.addr !== null || !allowed.includes(r.errno)) {
    throw new Error(`${what}: not a clear failure: ${JSON.stringify({ ret: r.ret, errno: r.errno, addr: r.addr !== null })}`);
  }
  if (getErrno() !== r.errno) throw new Error(`${what}: errno ${r.errno} but getErrno() ${getErrno()}`);
}

/**
 * A parsed inet address must be valid: string, port, family checks agree,
 * the printed address parses back to the same bytes (the IPv6 scope id is
 * not printed, so it is left out), a copy has the same bytes.
 */
function checkInet(mem: object, a: TsocketAddress, port: number | null, what: string): void {
  const sa = sockaddrOf(a);
  const fam = sa[0];
  if (fam !== 2 && fam !== 10) throw new Error(`${what}: family ${fam}`);
  if (sa.length !== (fam === 2 ? 16 : 28)) throw new Error(`${what}: sockaddr length ${sa.length}`);
  const s = tsocketAddressInetAddrString(a, mem);
  const p = tsocketAddressInetPort(a);
  if (s === null) throw new Error(`${what}: no address string`);
  if (port !== null && p !== port) throw new Error(`${what}: port ${p}, asked for ${port}`);
  const prefix = fam === 2 ? "ipv4" : "ipv6";
  if (tsocketAddressString(a, mem) !== `${prefix}:${s}:${p}`) throw new Error(`${what}: string ${tsocketAddressString(a, mem)}`);
  if (!tsocketAddressIsInet(a, "ip") || !tsocketAddressIsInet(a, prefix) || tsocketAddressIsInet(a, fam === 2 ? "ipv6" : "ipv4") ||
      tsocketAddressIsUnix(a)) {
    throw new Error(`${what}: is_inet/is_unix disagree with the family`);
  }
  const back = tsocketAddressInetFromStrings(mem, prefix, s, p);
  if (back.ret !== 0) throw new Error(`${what}: "${s}" does not parse back (errno ${back.errno})`);
  const sb = sockaddrOf(back.addr as TsocketAddress);
  /* family, port and address: sin_zero, sin6_flowinfo and sin6_scope_id are not printed */
  const key = (b: Uint8Array): string => (fam === 2 ? hex(b.subarray(0, 8)) : hex(b.subarray(0, 4)) + hex(b.subarray(8, 24)));
  if (key(sb) !== key(sa)) throw new Error(`${what}: "${s}" parses back to another address`);
  const copy = tsocketAddressCopy(a, mem);
  if (copy === null || hex(sockaddrOf(copy)) !== hex(sa)) throw new Error(`${what}: the copy differs`);
}

/** The 16 bytes of a well-formed IPv6 string (fast-check's ipV6()), computed independently. */
export function ipv6Bytes(s: string): Uint8Array {
  const words: number[] = [];
  const parse = (part: string): number[] => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (g.includes(".")) {
        const o = g.split(".").map(Number);
        out.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const dbl = s.indexOf("::");
  if (dbl === -1) {
    words.push(...parse(s));
  } else {
    const head = parse(s.slice(0, dbl));
    const tail = parse(s.slice(dbl + 2));
    words.push(...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail);
  }
  const b = new Uint8Array(16);
  words.forEach((w, i) => { b[2 * i] = w >> 8; b[2 * i + 1] = w & 0xff; });
  return b;
}

/* ---- the properties without the C library ---- */

export interface FuzzCount { cases: number }

async function check<T>(count: FuzzCount, arb: fc.Arbitrary<T>, numRuns: number, seed: number | undefined,
                        body: (v: T) => void): Promise<void> {
  fc.assert(fc.property(arb, (v) => {
    count.cases++;
    const mem = tallocNew(null);
    try {
      setErrno(0);
      body(v);
    } finally {
      tallocFree(mem);
    }
  }), { numRuns, seed, includeErrorInReport: true });
}

export async function fuzzAddresses(numRuns: number, seed?: number): Promise<FuzzCount> {
  const count: FuzzCount = { cases: 0 };
  const mem = tallocNew(null);
  try {
    /* tsocketAddressInetFromStrings: anything */
    await check(count, fc.tuple(famArb, fc.option(addrLike, { nil: null, freq: 20 }), portArb), numRuns, seed, ([fam, s, port]) => {
      const what = `inet_from_strings(${JSON.stringify(fam)}, ${JSON.stringify(s)}, ${port})`;
      const r = tsocketAddressInetFromStrings(mem, fam, s, port);
      if (r.ret === 0) {
        if (r.errno !== 0 || r.addr === null) throw new Error(`${what}: ret 0 with errno ${r.errno}`);
        checkInet(mem, r.addr, port, what);
        const f = sockaddrOf(r.addr)[0];
        const lf = cstr(fam).toLowerCase();
        if ((lf === "ipv4" && f !== 2) || (lf === "ipv6" && f !== 10)) throw new Error(`${what}: family ${f}`);
      } else {
        checkFailure(r, [EINVAL, EAFNOSUPPORT], what);
      }
    });
    /* known addresses give exactly that address */
    await check(count, fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), goodPort, fc.boolean()), numRuns, seed, ([s, port, hp]) => {
      const v6 = s.includes(":");
      const r = hp ? tsocketAddressInetFromHostportStrings(mem, "ip", v6 ? `[${s}]:${port}` : `${s}:${port}`, 7)
                   : tsocketAddressInetFromStrings(mem, "ip", s, port);
      if (r.ret !== 0) throw new Error(`${s} port ${port} refused: errno ${r.errno}`);
      const sa = sockaddrOf(r.addr as TsocketAddress);
      const want = new Uint8Array(v6 ? 28 : 16);
      want[0] = v6 ? 10 : 2;
      want[2] = port >> 8;
      want[3] = port & 0xff;
      if (v6) want.set(ipv6Bytes(s), 8); else want.set(s.split(".").map(Number), 4);
      if (hex(sa) !== hex(want)) throw new Error(`${s} port ${port}: sockaddr ${hex(sa)}, want ${hex(want)}`);
    });
    /* tsocketAddressInetFromHostportStrings: anything */
    await check(count, fc.tuple(famArb, fc.option(hostportArb, { nil: null, freq: 20 }), portArb), numRuns, seed, ([fam, s, port]) => {
      const what = `hostport(${JSON.stringify(fam)}, ${JSON.stringify(s)}, ${port})`;
      const r = tsocketAddressInetFromHostportStrings(mem, fam, s, port);
      if (r.ret === 0) {
        if (r.errno !== 0 || r.addr === null) throw new Error(`${what}: ret 0 with errno ${r.errno}`);
        checkInet(mem, r.addr, null, what);
      } else {
        checkFailure(r, [EINVAL, EAFNOSUPPORT], what);
      }
    });
    /* tsocketAddressUnixFromPath: any string, lone surrogates and NULs too */
    await check(count, fc.option(fc.oneof(fc.string({ maxLength: 120, size: "max" }), fc.string({ unit: "binary", maxLength: 110 }), utf16,
                                          fc.nat(130).map((n) => "/" + "x".repeat(n))), { nil: null, freq: 20 }),
                numRuns, seed, (p) => {
      const what = `unix_from_path(${JSON.stringify(p)})`;
      const r = tsocketAddressUnixFromPath(mem, p);
      const c = cstr(p ?? "");
      if (r.ret !== 0) {
        checkFailure(r, [ENAMETOOLONG, EINVAL], what);
        if (r.errno === ENAMETOOLONG && Buffer.byteLength(c) <= 107) throw new Error(`${what}: ENAMETOOLONG for ${Buffer.byteLength(c)} bytes`);
        return;
      }
      const a = r.addr as TsocketAddress;
      if (tsocketAddressUnixPath(a, mem) !== c) throw new Error(`${what}: path comes back as ${JSON.stringify(tsocketAddressUnixPath(a, mem))}`);
      if (tsocketAddressString(a, mem) !== `unix:${c}`) throw new Error(`${what}: string ${tsocketAddressString(a, mem)}`);
      if (!tsocketAddressIsUnix(a) || tsocketAddressIsInet(a, "ip")) throw new Error(`${what}: is_unix/is_inet`);
      if (tsocketAddressInetPort(a) !== 0 || getErrno() !== EINVAL) throw new Error(`${what}: inet_port of a unix address`);
      const back = tsocketAddressUnixFromPath(mem, tsocketAddressUnixPath(a, mem));
      if (back.ret !== 0 || hex(sockaddrOf(back.addr as TsocketAddress)) !== hex(sockaddrOf(a))) throw new Error(`${what}: does not round-trip`);
    });
    /* tsocketAddressBsdFromSockaddr: random bytes (views at an offset too), random lengths */
    const famBytes = fc.constantFrom(0, 1, 2, 10, 3, 255, 0x100 + 2, 0x0a00);
    const saArb = fc.tuple(famBytes, fc.uint8Array({ maxLength: 140, size: "max" }), fc.nat(7)).map(([f, rest, off]) => {
      const buf = new Uint8Array(off + 2 + rest.length);
      buf[off] = f & 0xff;
      buf[off + 1] = f >> 8;
      buf.set(rest, off + 2);
      return buf.subarray(off);
    });
    const lenArb = (sa: Uint8Array) => fc.oneof(fc.integer({ min: 0, max: sa.length }), fc.integer({ min: 0, max: 300 }),
                                                 fc.constantFrom(-1, 0.5, NaN, Infinity, 1e12, 16, 28, 110, 128));
    await check(count, saArb.chain((sa) => fc.tuple(fc.constant(sa), lenArb(sa))), numRuns, seed, ([sa, len]) => {
      const what = `bsd_from_sockaddr(${hex(sa)}, ${len})`;
      const before = hex(sa);
      const r = tsocketAddressBsdFromSockaddr(mem, sa, len);
      if (hex(sa) !== before) throw new Error(`${what}: the input changed`);
      if (r.ret !== 0) {
        checkFailure(r, [EINVAL, EAFNOSUPPORT], what);
        return;
      }
      const a = r.addr as TsocketAddress;
      const out = sockaddrOf(a);
      const fam = sa[0] | (sa[1] << 8);
      const want = fam === 2 ? 16 : fam === 10 ? 28 : Math.min(len, 110);
      if (![1, 2, 10].includes(fam) || out.length !== want || len < want && fam !== 1) throw new Error(`${what}: length ${out.length}`);
      if (hex(out) !== hex(sa.subarray(0, want))) throw new Error(`${what}: reads back as ${hex(out)}`);
      if (fam !== 1) {
        checkInet(mem, a, null, what);
        return;
      }
      const p = tsocketAddressUnixPath(a, mem) as string;
      const raw = sa.subarray(2, want);
      const nul = raw.indexOf(0);
      const bytes = raw.subarray(0, nul === -1 ? raw.length : nul);
      /* a path that is not UTF-8 is decoded with U+FFFD (documented); a UTF-8 one round-trips */
      if (Buffer.from(bytes).toString("utf8") !== p) throw new Error(`${what}: path ${JSON.stringify(p)}`);
      if (Buffer.compare(Buffer.from(p, "utf8"), bytes) === 0 && bytes.length <= 107) {
        const back = tsocketAddressUnixFromPath(mem, p);
        if (back.ret !== 0 || tsocketAddressUnixPath(back.addr as TsocketAddress, mem) !== p) throw new Error(`${what}: path does not round-trip`);
      }
    });
    /* tsocketAddressInetSetPort: any number; tsocketAddressBsdSockaddr: any length */
    const someAddr = fc.constantFrom("ipv4:127.0.0.1", "ipv6:fe80::1", "unix:/tmp/x");
    await check(count, fc.tuple(someAddr, portArb, fc.oneof(fc.integer({ min: -5, max: 300 }), fc.double())), numRuns, seed,
                ([which, port, len]) => {
      const [kind, rest] = [which.slice(0, 4), which.slice(5)];
      const r = kind === "unix" ? tsocketAddressUnixFromPath(mem, rest) : tsocketAddressInetFromStrings(mem, kind, rest, 445);
      const a = r.addr as TsocketAddress;
      const ret = tsocketAddressInetSetPort(a, port);
      const valid = kind !== "unix" && Number.isInteger(port) && port >= 0 && port <= 65535;
      if (valid ? ret !== 0 : ret !== -1 || getErrno() !== EINVAL) throw new Error(`set_port(${which}, ${port}): ${ret} errno ${getErrno()}`);
      if (kind !== "unix" && tsocketAddressInetPort(a) !== (valid ? port : 445)) throw new Error(`set_port(${which}, ${port}): port ${tsocketAddressInetPort(a)}`);
      const buf = new Uint8Array(64 + 8).fill(0xee);
      const need = kind === "ipv4" ? 16 : kind === "ipv6" ? 28 : 110;
      const n = tsocketAddressBsdSockaddr(a, buf.subarray(8, 8 + 64), len);
      const ok = Number.isInteger(len) && len >= need && len <= 64;
      if (ok ? n !== need : n !== -1 || getErrno() !== EINVAL) throw new Error(`bsd_sockaddr(${which}, ${len}): ${n}`);
      if (buf.subarray(0, 8).some((b) => b !== 0xee)) throw new Error(`bsd_sockaddr(${which}, ${len}) wrote before the view`);
    });
  } finally {
    tallocFree(mem);
  }
  return count;
}

/* ---- the C library as an oracle ---- */

const ORACLE_SRC = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "address_oracle.c");
const SAMBA_SOCKETS = "/usr/lib/x86_64-linux-gnu/samba/libsamba-sockets-samba4.so.0";

/** The oracle process: one request line in, one answer line out. */
export class AddressOracle {
  private buf = "";
  private waiting: ((line: string) => void)[] = [];
  private constructor(private readonly child: ChildProcess, private readonly dir: string) {
    child.stdout!.on("data", (d: Buffer) => {
      this.buf += d.toString("latin1");
      let i: number;
      while ((i = this.buf.indexOf("\n")) !== -1) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  /** Why the oracle cannot be built here, or null when it can (cheap: no compiling). */
  static unavailable(): string | null {
    const have = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
    if (!fs.existsSync(ORACLE_SRC)) return `no ${ORACLE_SRC}`;
    if (!have("gcc", ["--version"]) || !have("pkg-config", ["--exists", "talloc", "tevent"])) {
      return "gcc or pkg-config (talloc, tevent) not installed";
    }
    if (!fs.existsSync("/usr/include/samba-4.0/tsocket.h") || !fs.existsSync(SAMBA_SOCKETS)) {
      return "samba-dev (tsocket.h, libsamba-sockets) not installed";
    }
    return null;
  }

  /** Compile and start the oracle (throws when it does not compile). */
  static start(): AddressOracle {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "address-oracle-"));
    const exe = path.join(dir, "address_oracle");
    const pc = spawnSync("pkg-config", ["--cflags", "--libs", "talloc", "tevent"], { encoding: "utf8" });
    const cc = spawnSync("gcc", ["-O1", "-o", exe, ORACLE_SRC, "-I/usr/include/samba-4.0", ...pc.stdout.trim().split(/\s+/),
                                 `-L${path.dirname(SAMBA_SOCKETS)}`, `-l:${path.basename(SAMBA_SOCKETS)}`,
                                 `-Wl,-rpath,${path.dirname(SAMBA_SOCKETS)}`], { encoding: "utf8" });
    if (cc.status !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`the address oracle did not compile: ${cc.stderr.slice(0, 500)}`);
    }
    const child = spawn(exe, [], { stdio: ["pipe", "pipe", "inherit"] });
    return new AddressOracle(child, dir);
  }

  /** C's answer to one request line; rejects when C gives none within 5 s (it crashed or hung). */
  ask(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the C oracle gave no answer to: ${line}`)), 5000);
      this.waiting.push((answer) => { clearTimeout(t); resolve(answer); });
      this.child.stdin!.write(line + "\n");
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once("exit", () => {
        fs.rmSync(this.dir, { recursive: true, force: true });
        resolve();
      });
      this.child.stdin!.end();
    });
  }
}

const arg = (s: string | null): string => (s === null ? "-" : s === "" ? "=" : Buffer.from(s, "utf8").toString("hex"));

function tsAnswer(r: Res, mem: object): string {
  if (r.ret !== 0) return `err ${r.ret} ${r.errno}`;
  const a = r.addr as TsocketAddress;
  const s = tsocketAddressString(a, mem) as string;
  return `ok ${s === "" ? "-" : Buffer.from(s, "utf8").toString("hex")} ${hex(sockaddrOf(a)) || "-"}`;
}

/** Compare TS with C on every parser; resolves to the number of cases. */
export async function fuzzAddressOracle(oracle: AddressOracle, numRuns: number, seed?: number): Promise<FuzzCount> {
  const count: FuzzCount = { cases: 0 };
  const mem = tallocNew(null);
  const wellFormed = (s: string | null): boolean => s === null || (!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s) && s.length < 1000);
  const same = async (req: string, r: Res, what: string): Promise<void> => {
    count.cases++;
    const c = await oracle.ask(req);
    const t = tsAnswer(r, mem);
    if (c !== t) throw new Error(`${what}: C says "${c}", TS says "${t}"`);
  };
  try {
    await fc.assert(fc.asyncProperty(famArb, fc.option(addrLike, { nil: null, freq: 20 }), goodPort, async (fam, s, port) => {
      fc.pre(wellFormed(fam) && wellFormed(s));
      await same(`S ${arg(fam)} ${arg(s)} ${port}`, tsocketAddressInetFromStrings(mem, fam, s, port),
                 `inet_from_strings(${JSON.stringify(fam)}, ${JSON.stringify(s)}, ${port})`);
    }), { numRuns, seed, includeErrorInReport: true });
    await fc.assert(fc.asyncProperty(famArb, fc.option(hostportArb, { nil: null, freq: 20 }), goodPort, async (fam, s, port) => {
      fc.pre(wellFormed(fam) && wellFormed(s));
      await same(`H ${arg(fam)} ${arg(s)} ${port}`, tsocketAddressInetFromHostportStrings(mem, fam, s, port),
                 `hostport(${JSON.stringify(fam)}, ${JSON.stringify(s)}, ${port})`);
    }), { numRuns, seed, includeErrorInReport: true });
    await fc.assert(fc.asyncProperty(fc.option(fc.oneof(fc.string({ maxLength: 120, size: "max" }), fc.string({ unit: "binary", maxLength: 60 }),
                                                        fc.nat(120).map((n) => "/" + "y".repeat(n))), { nil: null, freq: 20 }),
                                     async (p) => {
      fc.pre(wellFormed(p));
      await same(`U ${arg(p)}`, tsocketAddressUnixFromPath(mem, p), `unix_from_path(${JSON.stringify(p)})`);
    }), { numRuns, seed, includeErrorInReport: true });
    const saArb = fc.tuple(fc.constantFrom(0, 1, 2, 10, 3, 0x0102), fc.uint8Array({ maxLength: 130, size: "max" }))
      .map(([f, rest]) => Uint8Array.from([f & 0xff, f >> 8, ...rest]));
    await fc.assert(fc.asyncProperty(saArb.chain((sa) => fc.tuple(fc.constant(sa), fc.integer({ min: 0, max: sa.length }))),
                                     async ([sa, len]) => {
      const r = tsocketAddressBsdFromSockaddr(mem, sa, len);
      /* a unix path that is not UTF-8 is printed decoded (documented): compare the bytes only */
      const fam = sa[0] | (sa[1] << 8);
      if (fam === 1 && r.ret === 0) {
        const raw = sa.subarray(2, Math.min(len, 110));
        const nul = raw.indexOf(0);
        const p = raw.subarray(0, nul === -1 ? raw.length : nul);
        if (Buffer.compare(Buffer.from(Buffer.from(p).toString("utf8"), "utf8"), p) !== 0) {
          count.cases++;
          const c = (await oracle.ask(`B ${hex(sa) || "="} ${len}`)).split(" ");
          const t = tsAnswer(r, mem).split(" ");
          if (c[0] !== t[0] || c[2] !== t[2]) throw new Error(`bsd_from_sockaddr(${hex(sa)}, ${len}): C ${c.join(" ")}, TS ${t.join(" ")}`);
          return;
        }
      }
      await same(`B ${hex(sa) || "="} ${len}`, r, `bsd_from_sockaddr(${hex(sa)}, ${len})`);
    }), { numRuns, seed, includeErrorInReport: true });
  } finally {
    tallocFree(mem);
  }
  return count;
}
