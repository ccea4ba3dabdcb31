// Each sentence of tsocket_guide.txt about tsocket_address, as a test.

import { expect } from "chai";
import {
  EAFNOSUPPORT, EINVAL, ENAMETOOLONG, getErrno, setErrno, tallocNew, tsocketAddressBsdFromSockaddr,
  tsocketAddressBsdSockaddr, tsocketAddressCopy, tsocketAddressInetAddrString, tsocketAddressInetFromStrings,
  tsocketAddressInetPort, tsocketAddressInetSetPort, tsocketAddressString, tsocketAddressUnixFromPath,
  tsocketAddressUnixPath, TsocketAddress,
} from "../../index";

function inet(fam: string, a: string | null, port: number): TsocketAddress {
  const r = tsocketAddressInetFromStrings(null, fam, a, port);
  expect(r.ret).to.equal(0);
  return r.addr as TsocketAddress;
}

describe("tsocket_guide.txt: the tsocket_address abstraction", () => {
  const mem = tallocNew(null);
  const unix = (): TsocketAddress => tsocketAddressUnixFromPath(mem, "/tmp/sock").addr as TsocketAddress;

  it("guide: A function to get the string representation of an endpoint for debugging is available", () => {
    expect(tsocketAddressString(inet("ipv4", "127.0.0.1", 445), mem)).to.equal("ipv4:127.0.0.1:445");
    expect(tsocketAddressString(inet("ipv6", "::1", 445), mem)).to.equal("ipv6:::1:445");
    expect(tsocketAddressString(unix(), mem)).to.equal("unix:/tmp/sock");
  });

  it("guide: A function to create a copy of the tsocket_address is also avilable", () => {
    const a = inet("ip", "10.1.2.3", 139);
    const b = tsocketAddressCopy(a, mem) as TsocketAddress;
    expect(b).to.not.equal(a);
    expect(tsocketAddressInetSetPort(b, 445)).to.equal(0);
    expect(tsocketAddressString(a, mem)).to.equal("ipv4:10.1.2.3:139");
    expect(tsocketAddressString(b, mem)).to.equal("ipv4:10.1.2.3:445");
  });

  it('guide: "family" can be "ipv4", "ipv6" or "ip". With "ip" it autodetects "ipv4" or "ipv6" based on the "addr_string" string', () => {
    expect(tsocketAddressString(inet("ip", "192.168.1.1", 1), mem)).to.equal("ipv4:192.168.1.1:1");
    expect(tsocketAddressString(inet("ip", "fe80::2", 1), mem)).to.equal("ipv6:fe80::2:1");
    const r = tsocketAddressInetFromStrings(mem, "ipx", "1.2.3.4", 1);
    expect([r.ret, r.errno, r.addr]).to.deep.equal([-1, EAFNOSUPPORT, null]);
  });

  it('guide: "addr_string" must be a valid ip address string based on the selected family (dns names are not allowed!)', () => {
    for (const [fam, a] of [["ip", "localhost"], ["ipv4", "::1"], ["ipv6", "127.0.0.1"], ["ipv4", "example.org"]]) {
      setErrno(0);
      const r = tsocketAddressInetFromStrings(mem, fam, a, 1);
      expect([r.ret, r.errno, r.addr, getErrno()]).to.deep.equal([-1, EINVAL, null, EINVAL]);
    }
  });

  it('guide: But it is valid to pass NULL, which gets mapped to "0.0.0.0" or "::"', () => {
    expect(tsocketAddressString(inet("ipv4", null, 0), mem)).to.equal("ipv4:0.0.0.0:0");
    expect(tsocketAddressString(inet("ipv6", null, 0), mem)).to.equal("ipv6::::0");
  });

  it("guide: It returns -1 and sets errno on error. Otherwise it returns 0", () => {
    expect(tsocketAddressInetFromStrings(mem, "ipv4", "1.2.3.4", 5).ret).to.equal(0);
    setErrno(0);
    expect(tsocketAddressInetFromStrings(mem, "ipv4", "1.2.3.400", 5).ret).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
  });

  it("guide: tsocket_address_inet_addr_string() will return NULL and set errno to EINVAL if the tsocket_address does not represent an ipv4 or ipv6 endpoint address", () => {
    expect(tsocketAddressInetAddrString(inet("ipv6", "::1", 1), mem)).to.equal("::1");
    setErrno(0);
    expect(tsocketAddressInetAddrString(unix(), mem)).to.equal(null);
    expect(getErrno()).to.equal(EINVAL);
  });

  it("guide: tsocket_address_inet_port() will return 0 and set errno to EINVAL if the tsocket_address does not represent an ipv4 or ipv6 endpoint address", () => {
    expect(tsocketAddressInetPort(inet("ipv4", "1.2.3.4", 445))).to.equal(445);
    setErrno(0);
    expect(tsocketAddressInetPort(unix())).to.equal(0);
    expect(getErrno()).to.equal(EINVAL);
  });

  it("guide: tsocket_address_inet_set_port() will return -1 and set errno to EINVAL if the tsocket_address does not represent an ipv4 or ipv6 endpoint address. It returns 0 on success", () => {
    const a = inet("ipv4", "1.2.3.4", 445);
    expect(tsocketAddressInetSetPort(a, 139)).to.equal(0);
    expect(tsocketAddressInetPort(a)).to.equal(139);
    setErrno(0);
    expect(tsocketAddressInetSetPort(unix(), 139)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
  });

  it('guide: "path" is the filesystem path (NULL will map "")', () => {
    const r = tsocketAddressUnixFromPath(mem, null);
    expect(r.ret).to.equal(0);
    expect(tsocketAddressUnixPath(r.addr as TsocketAddress, mem)).to.equal("");
  });

  it("guide: If the path is longer than the low level kernel supports the function will return -1 and set errno to ENAMETOOLONG. On success it returns 0", () => {
    expect(tsocketAddressUnixFromPath(mem, "/" + "a".repeat(106)).ret).to.equal(0);
    setErrno(0);
    const r = tsocketAddressUnixFromPath(mem, "/" + "a".repeat(107));
    expect([r.ret, r.errno, r.addr, getErrno()]).to.deep.equal([-1, ENAMETOOLONG, null, ENAMETOOLONG]);
  });

  it("guide: tsocket_address_unix_path() will return NULL and set errno to EINVAL if the tsocket_address does not represent a unix domain endpoint path", () => {
    expect(tsocketAddressUnixPath(unix(), mem)).to.equal("/tmp/sock");
    setErrno(0);
    expect(tsocketAddressUnixPath(inet("ipv4", "1.2.3.4", 1), mem)).to.equal(null);
    expect(getErrno()).to.equal(EINVAL);
  });

  it("guide: Only AF_INET, AF_INET6 and AF_UNIX sockets are allowed. The function returns -1 and sets errno on error. Otherwise it returns 0", () => {
    const sin = new Uint8Array(16);
    sin.set([2, 0, 0x01, 0xbd, 127, 0, 0, 1]);
    const ok = tsocketAddressBsdFromSockaddr(mem, sin, 16);
    expect(ok.ret).to.equal(0);
    expect(tsocketAddressString(ok.addr, mem)).to.equal("ipv4:127.0.0.1:445");
    const other = new Uint8Array(16);
    other.set([17, 0]); /* AF_PACKET */
    setErrno(0);
    const bad = tsocketAddressBsdFromSockaddr(mem, other, 16);
    expect([bad.ret, bad.addr, getErrno()]).to.deep.equal([-1, null, EAFNOSUPPORT]);
  });

  it("guide: tsocket_address_bsd_sockaddr() returns the size of '*sa' on success, otherwise it returns -1 and sets 'errno'", () => {
    const sa = new Uint8Array(128);
    expect(tsocketAddressBsdSockaddr(inet("ipv4", "127.0.0.1", 445), sa, 128)).to.equal(16);
    expect([...sa.subarray(0, 8)]).to.deep.equal([2, 0, 0x01, 0xbd, 127, 0, 0, 1]);
    expect(tsocketAddressBsdSockaddr(inet("ipv6", "::1", 445), sa, 128)).to.equal(28);
    setErrno(0);
    expect(tsocketAddressBsdSockaddr(inet("ipv6", "::1", 445), sa, 10)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
  });
});
