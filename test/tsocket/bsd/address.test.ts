import { expect } from "chai";
import {
  AF_INET, AF_INET6, AF_UNIX, EAFNOSUPPORT, EINVAL, ENAMETOOLONG, getErrno, setErrno, tallocChildren, tallocFree,
  tallocNew, tallocTotalBlocks, TsocketAddress, tsocketAddressBsdFromSockaddr, tsocketAddressBsdSockaddr,
  tsocketAddressInetAddrString, tsocketAddressInetFromHostportStrings, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tsocketAddressInetSetPort, tsocketAddressIsInet, tsocketAddressIsUnix,
  tsocketAddressString, tsocketAddressUnixFromPath, tsocketAddressUnixPath,
} from "../../../index";

const hex = (b: Uint8Array, n = b.length): string => Buffer.from(b.buffer, b.byteOffset, n).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

describe("tsocket_address, BSD half (tsocket_bsd.c)", () => {
  let mem: object;
  beforeEach(() => { mem = tallocNew(null); });
  afterEach(() => { tallocFree(mem); });

  function str(fam: string, a: string | null, port = 445): string | number {
    const r = tsocketAddressInetFromStrings(mem, fam, a, port);
    if (r.ret !== 0) {
      expect(r.addr).to.equal(null);
      expect(r.ret).to.equal(-1);
      expect(getErrno()).to.equal(r.errno);
      return r.errno;
    }
    expect(r.errno).to.equal(0);
    return tsocketAddressString(r.addr, mem)!;
  }

  function sockaddrOf(addr: TsocketAddress | null): string {
    const sa = new Uint8Array(128);
    const l = tsocketAddressBsdSockaddr(addr!, sa, sa.length);
    return hex(sa, l);
  }

  it("exports Linux's address families", () => {
    expect([AF_UNIX, AF_INET, AF_INET6]).to.deep.equal([1, 2, 10]);
  });

  describe("tsocketAddressInetFromStrings", () => {
    it("returns { ret: 0, errno: 0, addr } (API.md example)", () => {
      const r = tsocketAddressInetFromStrings(mem, "ip", "::1", 445);
      expect(r.ret).to.equal(0);
      expect(r.errno).to.equal(0);
      expect(r.addr).to.be.instanceOf(TsocketAddress);
      expect(tallocChildren(mem)).to.deep.equal([r.addr]);
      expect(tallocTotalBlocks(mem)).to.equal(3); /* as C: mem, addr, private data */
    });

    it("maps a null address to 0.0.0.0 / :: (\"ip\" gives ::) (checked against libsamba-sockets)", () => {
      expect(str("ip", null, 0)).to.equal("ipv6::::0");
      expect(str("ipv4", null, 0)).to.equal("ipv4:0.0.0.0:0");
      expect(str("ipv6", null, 0)).to.equal("ipv6::::0");
      expect(str("IP", null, 0)).to.equal("ipv6::::0");
      expect(str("IPv4", undefined as unknown as null, 0)).to.equal("ipv4:0.0.0.0:0");
    });

    it("refuses unknown families with EAFNOSUPPORT (checked against libsamba-sockets)", () => {
      expect(str("ipx", null)).to.equal(EAFNOSUPPORT);
      expect(str("", null)).to.equal(EAFNOSUPPORT);
      expect(str("ipx", "127.0.0.1")).to.equal(EAFNOSUPPORT);
      expect(str("ipv4 ", "127.0.0.1")).to.equal(EAFNOSUPPORT);
      expect(str("\u0130p", "127.0.0.1")).to.equal(EAFNOSUPPORT); /* strcasecmp is ASCII only */
      expect(str("IPV6", "::1")).to.equal("ipv6:::1:445");
    });

    it("refuses DNS names, empty strings and the wrong family with EINVAL (checked against libsamba-sockets)", () => {
      expect(str("ip", "localhost")).to.equal(EINVAL);
      expect(str("ip", "")).to.equal(EINVAL);
      expect(str("ipv4", "::1")).to.equal(EINVAL);
      expect(str("ipv6", "127.0.0.1")).to.equal(EINVAL);
      expect(str("ip", "[::1]")).to.equal(EINVAL);
      expect(str("ip", "1.2.3.4 ")).to.equal(EINVAL);
      expect(str("ip", " 1.2.3.4")).to.equal(EINVAL);
      expect(str("ip", "1.2.3.4\n")).to.equal(EINVAL);
      expect(str("ip", "1.2.3.4\u00e9")).to.equal(EINVAL);
    });

    it("accepts what inet_aton accepts for IPv4 (checked against libsamba-sockets)", () => {
      const cases: [string, string | number][] = [
        ["127.1", "ipv4:127.0.0.1:445"], ["0x7f.1", "ipv4:127.0.0.1:445"], ["0X7F.1", "ipv4:127.0.0.1:445"],
        ["017.0.0.1", "ipv4:15.0.0.1:445"], ["01.02.03.010", "ipv4:1.2.3.8:445"], ["1.2.3.04", "ipv4:1.2.3.4:445"],
        ["0x1.0x2.0x3.0x4", "ipv4:1.2.3.4:445"], ["1", "ipv4:0.0.0.1:445"],
        ["4294967295", "ipv4:255.255.255.255:445"], ["4294967296", EINVAL], ["1.2.3", "ipv4:1.2.0.3:445"],
        ["1.2.65535", "ipv4:1.2.255.255:445"], ["1.2.65536", EINVAL], ["1.16777215", "ipv4:1.255.255.255:445"],
        ["1.16777216", EINVAL], ["256.0.0.1", EINVAL], ["1.256.0.1", EINVAL], ["08.1.2.3", EINVAL],
        ["0x", EINVAL], ["0x100000000", EINVAL], ["1.2.3.4.5", EINVAL], ["1..2", EINVAL], ["1.2.3.", EINVAL],
        [".1.2.3", EINVAL], ["a", EINVAL], ["0.0.0.0", "ipv4:0.0.0.0:445"],
        ["255.255.255.255", "ipv4:255.255.255.255:445"], ["99999999999999999999999", EINVAL],
      ];
      for (const [a, want] of cases) {
        expect(str("ip", a), a).to.equal(want);
        expect(str("ipv4", a), a).to.equal(want);
      }
    });

    it("prints IPv6 as glibc's inet_ntop (checked against libsamba-sockets)", () => {
      const cases: [string, string | number][] = [
        ["::1", "ipv6:::1:445"], ["::", "ipv6::::445"], ["::2", "ipv6:::2:445"], ["::0.0.0.2", "ipv6:::2:445"],
        ["::ffff", "ipv6:::ffff:445"], ["::1:0", "ipv6:::0.1.0.0:445"], ["1::", "ipv6:1:::445"],
        ["1:0:0:1:0:0:0:1", "ipv6:1:0:0:1::1:445"], ["1:0:0:1:0:0:1:1", "ipv6:1::1:0:0:1:1:445"],
        ["0:0:1::", "ipv6:0:0:1:::445"], ["::ffff:0:1.2.3.4", "ipv6:::ffff:0:102:304:445"],
        ["::fffe:1.2.3.4", "ipv6:::fffe:102:304:445"], ["64:ff9b::1.2.3.4", "ipv6:64:ff9b::102:304:445"],
        ["a:b:c:d:e:f:0:0", "ipv6:a:b:c:d:e:f:::445"], ["FE80::ABCD", "ipv6:fe80::abcd:445"],
        ["ffff::", "ipv6:ffff:::445"], ["::1.2.3.4", "ipv6:::1.2.3.4:445"],
        ["1:2:3:4:5:6:1.2.3.4", "ipv6:1:2:3:4:5:6:102:304:445"], ["1:2:3:4:5:6:7:8", "ipv6:1:2:3:4:5:6:7:8:445"],
        ["1::2:3:4:5:6:7:8", EINVAL], ["1:2:3:4:5:6:7:8:9", EINVAL], [":::", EINVAL], [":", EINVAL],
        ["1:", EINVAL], [":1", EINVAL], ["1::2::3", EINVAL], ["12345::", EINVAL],
        ["::ffff:255.255.255.256", EINVAL], ["::ffff:1.2.3.04", EINVAL],
      ];
      for (const [a, want] of cases) {
        expect(str("ip", a), a).to.equal(want);
        expect(str("ipv6", a), a).to.equal(want);
      }
    });

    it("IPv4-mapped IPv6: stays ipv6 for \"ip\"/\"ipv6\", becomes ipv4 for \"ipv4\" (checked against libsamba-sockets)", () => {
      expect(str("ip", "::ffff:1.2.3.4")).to.equal("ipv6:::ffff:1.2.3.4:445");
      expect(str("ip", "::ffff:7f00:1")).to.equal("ipv6:::ffff:127.0.0.1:445");
      expect(str("ip", "::ffff:0:0")).to.equal("ipv6:::ffff:0.0.0.0:445");
      expect(str("ipv4", "::ffff:1.2.3.4")).to.equal("ipv4:1.2.3.4:445");
      expect(str("ipv4", "0:0:0:0:0:ffff:1.2.3.4")).to.equal("ipv4:1.2.3.4:445");
      expect(str("ipv4", "::ffff:0:0")).to.equal("ipv4:0.0.0.0:445");
      expect(str("ipv4", "::1.2.3.4")).to.equal(EINVAL);
      expect(str("ipv4", "::ffff:1.2.3.4%5")).to.equal("ipv4:1.2.3.4:445");
      expect(str("ipv4", "::ffff:1.2.3.4%lo")).to.equal(EINVAL);
      expect(str("ipv4", "::ffff:254.128.0.1%lo")).to.equal("ipv4:254.128.0.1:445");
      expect(str("ip", "::ffff:254.128.0.1%lo")).to.equal(EINVAL);
    });

    it("keeps \"%scope\" in sin6_scope_id and does not print it (checked against libsamba-sockets)", () => {
      const scoped = (a: string): string | number => {
        const r = tsocketAddressInetFromStrings(mem, "ip", a, 445);
        return r.ret === 0 ? sockaddrOf(r.addr).slice(48) : r.errno;
      };
      expect(str("ip", "fe80::1%lo")).to.equal("ipv6:fe80::1:445");
      expect(scoped("fe80::1%lo")).to.equal("01000000");
      expect(scoped("fe80::1%1")).to.equal("01000000");
      expect(scoped("fe80::1%0")).to.equal("00000000");
      expect(scoped("fe80::1%00005")).to.equal("05000000");
      expect(scoped("fe80::1%4294967295")).to.equal("ffffffff");
      expect(scoped("::1%5")).to.equal("05000000");
      expect(scoped("2001:db8::1%5")).to.equal("05000000");
      expect(scoped("ff02::1%lo")).to.equal("01000000");
      expect(scoped("ff01::1%lo")).to.equal("01000000");
      expect(scoped("febf::1%lo")).to.equal("01000000");
      expect(scoped("::ffff:1.2.3.4%5")).to.equal("05000000");
      for (const bad of ["fe80::1%4294967296", "fe80::1%-0", "fe80::1% 5", "fe80::1%+5", "fe80::1%",
        "fe80::1%nosuch", "fe80::1%LO", "fe80::1%1x", "fe80::1%lo%", "::1%lo", "ff05::1%lo", "fec0::1%lo",
        "1.2.3.4%5", "fe80::1%18446744073709551615", "fe80::1%../lo", "fe80::1%abcdefghijklmnopq"]) {
        expect(scoped(bad), bad).to.equal(EINVAL);
      }
      expect(str("ipv4", "fe80::1%lo")).to.equal(EINVAL);
    });

    it("\"*\" is glibc's NULL name: the loopback address (checked against libsamba-sockets)", () => {
      expect(str("ipv4", "*", 1)).to.equal("ipv4:127.0.0.1:1");
      expect(str("ipv6", "*", 1)).to.equal("ipv6:::1:1");
      expect(str("ip", "*", 1)).to.equal("ipv6:::1:1");
    });

    it("stores the exact sockaddr_in / sockaddr_in6 bytes (checked against libsamba-sockets)", () => {
      let r = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 445);
      expect(sockaddrOf(r.addr)).to.equal("020001bd7f0000010000000000000000");
      r = tsocketAddressInetFromStrings(mem, "ip", "::1", 445);
      expect(sockaddrOf(r.addr)).to.equal("0a0001bd000000000000000000000000000000000000000100000000");
      r = tsocketAddressInetFromStrings(mem, "ipv6", "fe80::2%lo", 139);
      expect(sockaddrOf(r.addr)).to.equal("0a00008b00000000fe80000000000000000000000000000201000000");
    });

    it("reads a C string: stops at the first NUL", () => {
      expect(str("ipv4\0junk", "1.2.3.4\0junk")).to.equal("ipv4:1.2.3.4:445");
    });

    it("ports: every uint16_t value works (checked against libsamba-sockets)", () => {
      for (const p of [0, 1, 80, 445, 9999, 10000, 65534, 65535]) {
        expect(str("ipv4", "1.2.3.4", p)).to.equal(`ipv4:1.2.3.4:${p}`);
        expect(str("ipv6", "::1", p)).to.equal(`ipv6:::1:${p}`);
      }
    });

    it("ports: refuses with EINVAL what is not a uint16_t (negative, fractional, > 65535, NaN), before the family", () => {
      for (const p of [-1, 65536, 1.5, NaN, Infinity, -0.5, 2 ** 32 + 80]) {
        setErrno(0);
        const r = tsocketAddressInetFromStrings(mem, "ipv4", "1.2.3.4", p);
        expect(r, String(p)).to.deep.equal({ ret: -1, errno: EINVAL, addr: null });
        expect(getErrno()).to.equal(EINVAL);
      }
      expect(tsocketAddressInetFromStrings(mem, "ipx", null, -1).errno).to.equal(EINVAL);
      expect(tallocTotalBlocks(mem)).to.equal(1);
    });

    it("wrong argument types are TypeErrors", () => {
      const f = tsocketAddressInetFromStrings as (...a: unknown[]) => unknown;
      expect(() => f(mem, null, "::1", 1)).to.throw(TypeError);
      expect(() => f(mem, "ip", 17, 1)).to.throw(TypeError);
      expect(() => f(mem, "ip", "::1", "80")).to.throw(TypeError);
      expect(() => f(mem, "ip", "::1", undefined)).to.throw(TypeError);
    });
  });

  describe("tsocketAddressInetFromHostportStrings", () => {
    function hp(fam: string, s: string | null, port = 7): string | number {
      const r = tsocketAddressInetFromHostportStrings(mem, fam, s, port);
      if (r.ret !== 0) {
        expect(r.addr).to.equal(null);
        expect(getErrno()).to.equal(r.errno);
        return r.errno;
      }
      return tsocketAddressString(r.addr, mem)!;
    }

    it("host:port, [v6]:port, bare hosts, default port (checked against libsamba-sockets)", () => {
      const cases: [string, string | number][] = [
        ["127.0.0.1", "ipv4:127.0.0.1:7"], ["127.0.0.1:80", "ipv4:127.0.0.1:80"], ["[::1]", "ipv6:::1:7"],
        ["[::1]:80", "ipv6:::1:80"], ["::1", "ipv6:::1:7"], ["::1:80", "ipv6:::0.1.0.128:7"],
        ["[::1]:", EINVAL], ["[::1]x", EINVAL], ["127.0.0.1:", EINVAL], ["127.0.0.1:65535", "ipv4:127.0.0.1:65535"],
        ["127.0.0.1:65536", EINVAL], ["127.0.0.1:-1", EINVAL], ["127.0.0.1: 80", "ipv4:127.0.0.1:80"],
        ["127.0.0.1:+80", "ipv4:127.0.0.1:80"], ["127.0.0.1:0x50", EINVAL], ["127.0.0.1:080", "ipv4:127.0.0.1:80"],
        ["127.0.0.1:80x", EINVAL], ["[127.0.0.1]:80", "ipv4:127.0.0.1:80"], ["[fe80::1%lo]:99", "ipv6:fe80::1:99"],
        ["]::1[:80", EINVAL], ["[::1]:80:90", EINVAL], ["a.b:80", EINVAL], ["1:80", EINVAL],
        ["localhost:80", EINVAL], ["[]:80", EINVAL], ["[::1]]:80", EINVAL], ["[[::1]:80", EINVAL],
        ["10.0.0.1:80:90", EINVAL], ["", EINVAL], [":80", EINVAL], [".:80", EINVAL],
        ["[::1]:99999999999999999999", EINVAL], ["::ffff:1.2.3.4", EINVAL],
        ["[::ffff:1.2.3.4]:80", "ipv6:::ffff:1.2.3.4:80"], ["x[::1]:80", "ipv6:::1:80"], ["x[::1]", "ipv6:::1:7"],
        ["[::1]: 80", "ipv6:::1:80"], ["[::1]:\t80", "ipv6:::1:80"], ["[::1]:\n80", "ipv6:::1:80"],
        ["[::1]:\v80", "ipv6:::1:80"], ["[::1]:80 ", EINVAL], ["[::1]:80\n", EINVAL], ["[::1]:-0", EINVAL],
        ["[::1]:1-", EINVAL], ["[::1]:18446744073709551615", EINVAL], ["[::1]:18446744073709551616", EINVAL],
        ["[::1]:00000000000000000000080", "ipv6:::1:80"], ["[::1]:0", "ipv6:::1:0"], ["1.2:3", "ipv4:1.0.0.2:3"],
        ["1:2.3", EINVAL], ["1.2.3.4:5]", EINVAL], ["[1.2.3.4:5]", EINVAL], ["[::1]]", EINVAL], ["]", EINVAL],
        ["[", EINVAL], ["[]", EINVAL], ["[::1]:80]", EINVAL], [":", EINVAL], ["1.:", EINVAL], [".", EINVAL],
        ["*", "ipv6:::1:7"], ["*:80", EINVAL], ["[*]:80", "ipv6:::1:80"],
      ];
      for (const [s, want] of cases) {
        expect(hp("ip", s), JSON.stringify(s)).to.equal(want);
      }
      expect(hp("ipv4", "[::ffff:1.2.3.4]:80")).to.equal("ipv4:1.2.3.4:80");
      expect(hp("ipv4", "[::1]:80")).to.equal(EINVAL);
      expect(hp("ipv6", "[::1]:80")).to.equal("ipv6:::1:80");
      expect(hp("ipv6", "1.2.3.4:80")).to.equal(EINVAL);
    });

    it("null means the family's any-address on the default port (checked against libsamba-sockets)", () => {
      expect(hp("ip", null)).to.equal("ipv6::::7");
      expect(hp("ipv4", null)).to.equal("ipv4:0.0.0.0:7");
      expect(hp("ipv6", null, 65535)).to.equal("ipv6::::65535");
      expect(hp("ipx", null)).to.equal(EAFNOSUPPORT);
    });

    it("checks the port before the family (checked against libsamba-sockets)", () => {
      expect(hp("ipx", "1.2.3.4:5")).to.equal(EAFNOSUPPORT);
      expect(hp("ipx", "[::1]:5")).to.equal(EAFNOSUPPORT);
      expect(hp("ipx", "[::1]:x")).to.equal(EINVAL);
    });

    it("leaves C's copy of the string on memCtx, on success and failure (checked against libsamba-sockets)", () => {
      const m1 = tallocNew(mem);
      tsocketAddressInetFromHostportStrings(m1, "ip", "[::1]:80", 7);
      expect(tallocTotalBlocks(m1)).to.equal(4); /* ctx + addr + private data + copy */
      const m2 = tallocNew(mem);
      tsocketAddressInetFromHostportStrings(m2, "ip", "nonsense", 7);
      expect(tallocTotalBlocks(m2)).to.equal(2);
      const m3 = tallocNew(mem);
      tsocketAddressInetFromHostportStrings(m3, "ip", null, 7);
      expect(tallocTotalBlocks(m3)).to.equal(3);
    });

    it("refuses a default port that is not a uint16_t with EINVAL; TypeError for wrong types", () => {
      expect(tsocketAddressInetFromHostportStrings(mem, "ip", "1.2.3.4", 70000))
        .to.deep.equal({ ret: -1, errno: EINVAL, addr: null });
      const f = tsocketAddressInetFromHostportStrings as (...a: unknown[]) => unknown;
      expect(() => f(mem, "ip", 5, 1)).to.throw(TypeError);
      expect(() => f(mem, undefined, "1.2.3.4", 1)).to.throw(TypeError);
    });
  });

  describe("getters", () => {
    it("inet getters, isInet and isUnix on ipv4, ipv6 and unix addresses (checked against libsamba-sockets)", () => {
      const v4 = tsocketAddressInetFromStrings(mem, "ip", "1.2.3.4", 1234).addr!;
      const v6 = tsocketAddressInetFromStrings(mem, "ip", "2001::1", 1234).addr!;
      const un = tsocketAddressUnixFromPath(mem, "/tmp/s").addr!;
      expect(tsocketAddressInetAddrString(v4, mem)).to.equal("1.2.3.4");
      expect(tsocketAddressInetAddrString(v6, mem)).to.equal("2001::1");
      expect(tsocketAddressInetPort(v4)).to.equal(1234);
      expect(tsocketAddressInetPort(v6)).to.equal(1234);
      const fams = ["ip", "ipv4", "ipv6", "IPv6", "ipx", ""];
      expect(fams.map((f) => tsocketAddressIsInet(v4, f))).to.deep.equal([true, true, false, false, false, false]);
      expect(fams.map((f) => tsocketAddressIsInet(v6, f))).to.deep.equal([true, false, true, true, false, false]);
      expect(fams.map((f) => tsocketAddressIsInet(un, f))).to.deep.equal([false, false, false, false, false, false]);
      expect([v4, v6, un].map(tsocketAddressIsUnix)).to.deep.equal([false, false, true]);

      setErrno(0);
      expect(tsocketAddressInetAddrString(un, mem)).to.equal(null);
      expect(getErrno()).to.equal(EINVAL);
      setErrno(0);
      expect(tsocketAddressInetPort(un)).to.equal(0);
      expect(getErrno()).to.equal(EINVAL);
      setErrno(0);
      expect(tsocketAddressInetSetPort(un, 1)).to.equal(-1);
      expect(getErrno()).to.equal(EINVAL);
      setErrno(0);
      expect(tsocketAddressUnixPath(v4, mem)).to.equal(null);
      expect(getErrno()).to.equal(EINVAL);
      expect(tsocketAddressUnixPath(un, mem)).to.equal("/tmp/s");
    });

    it("inetSetPort changes the stored port; refuses non-uint16 ports with EINVAL", () => {
      const a = tsocketAddressInetFromStrings(mem, "ipv6", "::1", 1).addr!;
      expect(tsocketAddressInetSetPort(a, 65535)).to.equal(0);
      expect(tsocketAddressString(a, mem)).to.equal("ipv6:::1:65535");
      expect(tsocketAddressInetSetPort(a, 0)).to.equal(0);
      expect(tsocketAddressInetPort(a)).to.equal(0);
      for (const p of [-1, 65536, 0.5, NaN]) {
        setErrno(0);
        expect(tsocketAddressInetSetPort(a, p)).to.equal(-1);
        expect(getErrno()).to.equal(EINVAL);
      }
      expect(tsocketAddressInetPort(a)).to.equal(0);
      expect(() => tsocketAddressInetSetPort(a, "1" as unknown as number)).to.throw(TypeError);
    });
  });

  describe("tsocketAddressUnixFromPath", () => {
    it("accepts 107 bytes, refuses 108 with ENAMETOOLONG (checked against libsamba-sockets)", () => {
      for (const n of [105, 106, 107]) {
        const r = tsocketAddressUnixFromPath(mem, "/" + "x".repeat(n - 1));
        expect(r.ret).to.equal(0);
        expect(tsocketAddressUnixPath(r.addr!, mem)!.length).to.equal(n);
        expect(tsocketAddressString(r.addr, mem)!.length).to.equal(n + 5);
      }
      for (const n of [108, 109, 110, 4096]) {
        setErrno(0);
        const r = tsocketAddressUnixFromPath(mem, "/" + "x".repeat(n - 1));
        expect(r).to.deep.equal({ ret: -1, errno: ENAMETOOLONG, addr: null });
        expect(getErrno()).to.equal(ENAMETOOLONG);
      }
    });

    it("counts UTF-8 bytes, not characters", () => {
      expect(tsocketAddressUnixFromPath(mem, "é".repeat(53) + "x").ret).to.equal(0); /* 107 bytes */
      expect(tsocketAddressUnixFromPath(mem, "é".repeat(54)).errno).to.equal(ENAMETOOLONG); /* 108 bytes */
      const a = tsocketAddressUnixFromPath(mem, "/tmp/é").addr!;
      expect(tsocketAddressUnixPath(a, mem)).to.equal("/tmp/é");
    });

    it("null is \"\"; stores a full 110-byte sockaddr_un (checked against libsamba-sockets)", () => {
      const a = tsocketAddressUnixFromPath(mem, null).addr!;
      expect(tsocketAddressString(a, mem)).to.equal("unix:");
      expect(sockaddrOf(a)).to.equal("0100" + "00".repeat(108));
      const b = tsocketAddressUnixFromPath(mem, "/run/samba/x").addr!;
      expect(sockaddrOf(b)).to.equal("01002f72756e2f73616d62612f78" + "00".repeat(96));
      expect(() => tsocketAddressUnixFromPath(mem, 5 as unknown as string)).to.throw(TypeError);
    });
  });

  describe("tsocketAddressBsdFromSockaddr / tsocketAddressBsdSockaddr", () => {
    const IN = "020001bd7f000001abababababababab";
    const IN6 = "0a00005000012345fe80000000000000000000000000000107000000";
    const UN = "01002f746d702f736f636b00" + "00".repeat(98);

    function from(h: string, len: number, pad = 300): { ret: number; errno: number; addr: TsocketAddress | null } {
      const buf = new Uint8Array(pad);
      buf.set(unhex(h).subarray(0, pad));
      return tsocketAddressBsdFromSockaddr(mem, buf, len);
    }

    it("AF_INET: needs 16 bytes, keeps 16 including sin_zero (checked against libsamba-sockets)", () => {
      for (const len of [16, 17, 128, 129, 300]) {
        const r = from(IN, len);
        expect(r.ret, String(len)).to.equal(0);
        expect(sockaddrOf(r.addr)).to.equal(IN);
        expect(tsocketAddressString(r.addr, mem)).to.equal("ipv4:127.0.0.1:445");
      }
      for (const len of [0, 1, 2, 15]) {
        setErrno(0);
        expect(from(IN, len), String(len)).to.deep.equal({ ret: -1, errno: EINVAL, addr: null });
        expect(getErrno()).to.equal(EINVAL);
      }
    });

    it("AF_INET6: needs 28 bytes, keeps flowinfo and scope_id (checked against libsamba-sockets)", () => {
      const r = from(IN6, 100);
      expect(r.ret).to.equal(0);
      expect(sockaddrOf(r.addr)).to.equal(IN6);
      expect(tsocketAddressString(r.addr, mem)).to.equal("ipv6:fe80::1:80");
      expect(from(IN6, 27).errno).to.equal(EINVAL);
      expect(from(IN6, 16).errno).to.equal(EINVAL);
      const mapped = from("0a0000500001234500000000000000000000ffff0000000107000000", 28);
      expect(tsocketAddressString(mapped.addr, mem)).to.equal("ipv6:::ffff:0.0.0.1:80");
      expect(tsocketAddressIsInet(mapped.addr!, "ipv4")).to.equal(false);
    });

    it("AF_UNIX: keeps up to 110 bytes, shorter lengths shorten sun_path (checked against libsamba-sockets)", () => {
      const cases: [number, number, string][] = [
        [110, 110, "unix:/tmp/sock"], [2, 2, "unix:"], [5, 5, "unix:/tm"], [12, 12, "unix:/tmp/sock"],
        [111, 110, "unix:/tmp/sock"], [128, 110, "unix:/tmp/sock"],
      ];
      for (const [len, kept, s] of cases) {
        const r = from(UN, len);
        expect(r.ret).to.equal(0);
        expect(tsocketAddressString(r.addr, mem)).to.equal(s);
        expect(tsocketAddressBsdSockaddr(r.addr!, new Uint8Array(200), 200)).to.equal(kept);
      }
      expect(from(UN, 1).errno).to.equal(EINVAL);
      /* a sun_path without NUL: C's strdup reads on into the zeroed storage, 108 bytes */
      const full = from("0100" + "41".repeat(298), 300);
      expect(tsocketAddressUnixPath(full.addr!, mem)).to.equal("A".repeat(108));
      /* Linux's abstract namespace: the leading NUL makes the path "" */
      const abs = from("0100006162737472616374", 11);
      expect(tsocketAddressString(abs.addr, mem)).to.equal("unix:");
      expect(sockaddrOf(abs.addr)).to.equal("0100006162737472616374");
    });

    it("other families: EAFNOSUPPORT; sa_family is little-endian (checked against libsamba-sockets)", () => {
      expect(from("0000", 16).errno).to.equal(EAFNOSUPPORT);
      expect(from("0201", 16).errno).to.equal(EAFNOSUPPORT);
      expect(from("0002", 16).errno).to.equal(EAFNOSUPPORT);
      expect(from("1100", 20).errno).to.equal(EAFNOSUPPORT);
      expect(from("0900", 1).errno).to.equal(EINVAL);
    });

    it("refuses lengths past the end of the buffer, and non-integer lengths, with EINVAL", () => {
      expect(from(IN, 16, 15).errno).to.equal(EINVAL);
      expect(from(IN, 16, 1).errno).to.equal(EINVAL);
      expect(from(UN, 128, 110).ret).to.equal(0); /* clamped to 110 first, as C does */
      expect(from(UN, 50, 40).errno).to.equal(EINVAL);
      expect(from(IN, -1).errno).to.equal(EINVAL);
      expect(from(IN, 16.5).errno).to.equal(EINVAL);
      expect(from(IN, NaN).errno).to.equal(EINVAL);
      const f = tsocketAddressBsdFromSockaddr as (...a: unknown[]) => unknown;
      expect(() => f(mem, [2, 0], 16)).to.throw(TypeError);
      expect(() => f(mem, new Uint8Array(16), "16")).to.throw(TypeError);
    });

    it("bsdSockaddr: too small is EINVAL and leaves the buffer, larger zero-fills saSocklen bytes (checked against libsamba-sockets)", () => {
      const v4 = tsocketAddressInetFromStrings(mem, "ipv4", "10.1.2.3", 139).addr!;
      const v6 = tsocketAddressInetFromStrings(mem, "ipv6", "fe80::2%lo", 139).addr!;
      const un = tsocketAddressUnixFromPath(mem, "/s").addr!;
      const short = from("010070", 3).addr!; /* "unix:p" kept with length 3 */
      const cases: [TsocketAddress, number, number | string][] = [
        [v4, 0, -1], [v4, 15, -1], [v4, 16, "0200008b0a0102030000000000000000"],
        [v4, 20, "0200008b0a010203000000000000000000000000"],
        [v6, 27, -1], [v6, 28, "0a00008b00000000fe80000000000000000000000000000201000000"],
        [v6, 32, "0a00008b00000000fe8000000000000000000000000000020100000000000000"],
        [un, 109, -1], [un, 110, "01002f73" + "00".repeat(106)], [un, 112, "01002f73" + "00".repeat(108)],
        [short, 2, -1], [short, 3, "010070"], [short, 6, "010070000000"],
      ];
      for (const [a, len, want] of cases) {
        const buf = new Uint8Array(200).fill(0xee);
        setErrno(0);
        const l = tsocketAddressBsdSockaddr(a, buf, len);
        if (want === -1) {
          expect(l).to.equal(-1);
          expect(getErrno()).to.equal(EINVAL);
          expect(buf.every((x) => x === 0xee)).to.equal(true);
        } else {
          expect(hex(buf, len)).to.equal(want);
          expect(l).to.equal({ 16: 16, 20: 16, 28: 28, 32: 28, 110: 110, 112: 110, 3: 3, 6: 3 }[len]);
          expect(buf[len]).to.equal(0xee);
        }
      }
      setErrno(0);
      expect(tsocketAddressBsdSockaddr(v4, new Uint8Array(10), 16)).to.equal(-1); /* C would overflow */
      expect(getErrno()).to.equal(EINVAL);
      expect(tsocketAddressBsdSockaddr(v4, new Uint8Array(20), -1)).to.equal(-1);
    });

    it("keeps a copy of the bytes: changing the caller's buffer (a Uint8Array or a Buffer) afterwards changes no address", () => {
      for (const mk of [(h: string): Uint8Array => unhex(h), (h: string): Uint8Array => Buffer.from(h, "hex")]) {
        const b4 = mk(IN);
        const a4 = tsocketAddressBsdFromSockaddr(mem, b4, 16).addr!;
        const b6 = mk(IN6);
        const a6 = tsocketAddressBsdFromSockaddr(mem, b6, 28).addr!;
        const bu = mk("010070");
        const au = tsocketAddressBsdFromSockaddr(mem, bu, 3).addr!;
        b4.fill(0xff);
        b6.fill(0xff);
        bu.fill(0xff);
        expect([sockaddrOf(a4), sockaddrOf(a6), sockaddrOf(au)]).to.deep.equal([IN, IN6, "010070"]);
        expect(tsocketAddressUnixPath(au, mem)).to.equal("p");
      }
    });

    it("copy keeps the stored length and bytes (checked against libsamba-sockets)", () => {
      const a = from("010070", 3).addr!;
      const c = a.copy(mem)!;
      expect(tsocketAddressBsdSockaddr(c, new Uint8Array(200), 200)).to.equal(3);
      const b = from(IN6, 28).addr!;
      expect(sockaddrOf(b.copy(null))).to.equal(IN6);
    });
  });

  describe("randomized: never throws, always an address or -1 with errno", () => {
    /* mulberry32: a small seeded PRNG, so a failure can be replayed */
    function prng(seed: number): () => number {
      let s = seed >>> 0;
      return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    function checkResult(r: { ret: number; errno: number; addr: TsocketAddress | null }, what: string): void {
      if (r.ret === 0) {
        expect(r.errno, what).to.equal(0);
        expect(r.addr, what).to.be.instanceOf(TsocketAddress);
        const s = tsocketAddressString(r.addr, mem);
        expect(s, what).to.match(/^(unix:|ipv4:[0-9.]+:[0-9]+$|ipv6:[0-9a-f:.]+:[0-9]+$)/);
        const c = r.addr!.copy(mem)!;
        expect(tsocketAddressString(c, mem), what).to.equal(s);
        const buf = new Uint8Array(128);
        const l = tsocketAddressBsdSockaddr(r.addr!, buf, 128);
        expect([16, 28].includes(l) || (l >= 2 && l <= 110), what).to.equal(true);
      } else {
        expect(r.ret, what).to.equal(-1);
        expect(r.addr, what).to.equal(null);
        expect([EINVAL, EAFNOSUPPORT, ENAMETOOLONG], what).to.include(r.errno);
        expect(getErrno(), what).to.equal(r.errno);
      }
    }

    it("tsocketAddressBsdFromSockaddr with random bytes and lengths", () => {
      const rnd = prng(0x5eed);
      const families = [0, 1, 2, 10, 17, 255];
      for (let i = 0; i < 3000; i++) {
        const size = Math.floor(rnd() * 140);
        const buf = new Uint8Array(size);
        for (let k = 0; k < size; k++) buf[k] = Math.floor(rnd() * 256);
        if (size >= 2 && rnd() < 0.7) {
          buf[0] = families[Math.floor(rnd() * families.length)];
          buf[1] = rnd() < 0.9 ? 0 : Math.floor(rnd() * 256);
        }
        const len = rnd() < 0.8 ? Math.floor(rnd() * 150) : [-1, 0.5, NaN, 1e9][Math.floor(rnd() * 4)];
        const what = `#${i} len=${len} ${hex(buf)}`;
        checkResult(tsocketAddressBsdFromSockaddr(mem, buf, len), what);
      }
    });

    it("tsocketAddressInetFromStrings and ...FromHostportStrings with random strings", () => {
      const rnd = prng(42);
      const alphabet = "0123456789abcdefABCDEFxX.:%[]*- +\t\n\0lo\u00e9\u{1F600}";
      const chars = Array.from(alphabet);
      const fams = ["ip", "ipv4", "ipv6", "IPv6", "ipx", ""];
      for (let i = 0; i < 5000; i++) {
        const n = Math.floor(rnd() * 24);
        let s = "";
        for (let k = 0; k < n; k++) s += chars[Math.floor(rnd() * chars.length)];
        const fam = fams[Math.floor(rnd() * fams.length)];
        const port = rnd() < 0.9 ? Math.floor(rnd() * 65536) : [-1, 65536, 1.5][Math.floor(rnd() * 3)];
        const what = `#${i} ${JSON.stringify([fam, s, port])}`;
        checkResult(tsocketAddressInetFromStrings(mem, fam, s, port), what);
        checkResult(tsocketAddressInetFromHostportStrings(mem, fam, s, port), what);
        if (i % 500 === 0) {
          tallocFree(mem);
          mem = tallocNew(null);
        }
      }
    });

    it("tsocketAddressUnixFromPath with random strings", () => {
      const rnd = prng(7);
      for (let i = 0; i < 500; i++) {
        const n = Math.floor(rnd() * 130);
        let s = "";
        for (let k = 0; k < n; k++) s += String.fromCodePoint(rnd() < 0.9 ? 0x20 + Math.floor(rnd() * 95) : Math.floor(rnd() * 0x800));
        checkResult(tsocketAddressUnixFromPath(mem, s), `#${i} ${JSON.stringify(s)}`);
      }
    });
  });
});
