import { expect } from "chai";
import {
  EINVAL, getErrno, setErrno, tallocChildren, tallocFree, tallocGetName, tallocIsFreed, tallocNew, tallocParent,
  tallocSetDestructor, tallocSteal, tallocTotalBlocks, TsocketAddress, TsocketAddressOps, tsocketAddressCopy,
  tsocketAddressCreate, tsocketAddressInetFromStrings, tsocketAddressString, tsocketAddressUnixFromPath,
} from "../../index";

class CounterAddr {
  constructor(public n: number) {}
}

const counterOps: TsocketAddressOps = {
  name: "counter",
  string: (addr) => `counter:${(addr.privateData as CounterAddr).n}`,
  copy: (addr, memCtx) => tsocketAddressCreate(memCtx, counterOps, new CounterAddr((addr.privateData as CounterAddr).n),
                                               "struct counter_addr"),
};

function inet(memCtx: object | null, fam: string, a: string | null, port: number): TsocketAddress {
  const r = tsocketAddressInetFromStrings(memCtx, fam, a, port);
  if (r.addr === null) throw new Error(`unexpected errno ${r.errno}`);
  return r.addr;
}

describe("tsocket_address, generic half (tsocket.c)", () => {
  let mem: object;
  beforeEach(() => { mem = tallocNew(null); });
  afterEach(() => { tallocFree(mem); });

  it("tsocketAddressCreate: a new kind of address, child of memCtx, its state a child of it (checked against libsamba-sockets)", () => {
    const state = new CounterAddr(41);
    const addr = tsocketAddressCreate(mem, counterOps, state, "struct counter_addr");
    expect(addr).to.be.instanceOf(TsocketAddress);
    expect(addr.ops.name).to.equal("counter");
    expect(addr.privateData).to.equal(state);
    expect(tallocParent(addr)).to.equal(mem);
    expect(tallocParent(state)).to.equal(addr);
    expect(tallocGetName(state)).to.equal("struct counter_addr");
    expect(tallocTotalBlocks(addr)).to.equal(2); /* C: talloc_total_blocks(addr) == 2 */
    expect(tsocketAddressString(addr, mem)).to.equal("counter:41");
    expect(addr.string(mem)).to.equal("counter:41");
  });

  it("the state is a talloc child of the address in every respect: children, name, free, destructor, steal", () => {
    /* the address is its own node and its state gets one only when asked
     * (as a TeventReq's): every talloc question answers as in C */
    const s1 = new CounterAddr(1);
    const a1 = tsocketAddressCreate(mem, counterOps, s1, "struct counter_addr");
    expect(tallocChildren(mem)).to.include(a1);
    expect(tallocChildren(a1)).to.deep.equal([s1]);
    expect(tallocGetName(a1)).to.equal("struct tsocket_address");
    tallocFree(a1);
    expect(tallocIsFreed(s1)).to.equal(true);
    expect(tallocGetName(s1)).to.equal("struct counter_addr");

    const s2 = new CounterAddr(2);
    const a2 = tsocketAddressCreate(mem, counterOps, s2, "struct counter_addr");
    let ran = 0;
    tallocSetDestructor(s2, () => { ran++; });
    tallocFree(a2);
    expect([ran, tallocIsFreed(s2)]).to.deep.equal([1, true]);

    const s3 = new CounterAddr(3);
    const a3 = tsocketAddressCreate(mem, counterOps, s3);
    const other = tallocNew(mem);
    tallocSteal(other, s3);
    expect(tallocParent(s3)).to.equal(other);
    expect(tallocTotalBlocks(a3)).to.equal(1);
    tallocFree(a3);
    expect(tallocIsFreed(s3)).to.equal(false);
    tallocFree(other);
    expect(tallocIsFreed(s3)).to.equal(true);

    /* a frozen state, and one that already has a parent */
    const s4 = Object.freeze(new CounterAddr(4));
    const a4 = tsocketAddressCreate(mem, counterOps, s4, "struct counter_addr");
    expect([tallocParent(s4), tallocGetName(s4), tallocTotalBlocks(a4)]).to.deep.equal([a4, "struct counter_addr", 2]);
    const s5 = new CounterAddr(5);
    tallocSteal(mem, s5);
    const a5 = tsocketAddressCreate(mem, counterOps, s5);
    expect([tallocParent(s5), tallocTotalBlocks(a5)]).to.deep.equal([a5, 2]);
    tallocFree(a5);
    expect(tallocIsFreed(s5)).to.equal(true);
  });

  it("copy goes through ops.copy and lands on the new memCtx (checked against libsamba-sockets)", () => {
    const addr = tsocketAddressCreate(mem, counterOps, new CounterAddr(41));
    const other = tallocNew(null);
    const c = tsocketAddressCopy(addr, other);
    expect(c).to.not.equal(null);
    expect(c).to.not.equal(addr);
    expect(tallocParent(c)).to.equal(other);
    expect(c!.string(null)).to.equal("counter:41");
    expect(addr.copy(mem)!.string(null)).to.equal("counter:41");
    tallocFree(other);
    expect(tallocIsFreed(c)).to.equal(true);
    expect(tallocIsFreed(addr)).to.equal(false);
  });

  it("the BSD getters refuse a foreign address with EINVAL (checked against libsamba-sockets)", () => {
    const addr = tsocketAddressCreate(mem, counterOps, new CounterAddr(1));
    setErrno(0);
    expect(addr.inetAddrString(mem)).to.equal(null);
    expect(getErrno()).to.equal(EINVAL);
    setErrno(0);
    expect(addr.inetPort()).to.equal(0);
    expect(getErrno()).to.equal(EINVAL);
    setErrno(0);
    expect(addr.inetSetPort(1)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
    setErrno(0);
    expect(addr.unixPath(mem)).to.equal(null);
    expect(getErrno()).to.equal(EINVAL);
    setErrno(0);
    expect(addr.bsdSockaddr(new Uint8Array(128), 128)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
    expect(addr.isInet("ip")).to.equal(false);
    expect(addr.isUnix()).to.equal(false);
  });

  it("tsocketAddressString(null) is \"NULL\" (checked against libsamba-sockets)", () => {
    expect(tsocketAddressString(null, mem)).to.equal("NULL");
  });

  it("C's three example strings", () => {
    expect(tsocketAddressString(inet(mem, "ip", "127.0.0.1", 445), mem)).to.equal("ipv4:127.0.0.1:445");
    expect(tsocketAddressString(inet(mem, "ip", "::1", 445), mem)).to.equal("ipv6:::1:445");
    expect(tsocketAddressString(tsocketAddressUnixFromPath(mem, "/path").addr, mem)).to.equal("unix:/path");
  });

  it("methods and free functions do the same thing", () => {
    const a = inet(mem, "ipv4", "10.0.0.1", 80);
    expect(a.string(mem)).to.equal(tsocketAddressString(a, mem));
    expect(a.isInet("ipv4")).to.equal(true);
    expect(a.inetAddrString(mem)).to.equal("10.0.0.1");
    expect(a.inetPort()).to.equal(80);
    expect(a.inetSetPort(81)).to.equal(0);
    expect(a.inetPort()).to.equal(81);
    const sa = new Uint8Array(16);
    expect(a.bsdSockaddr(sa, 16)).to.equal(16);
    expect(Buffer.from(sa).toString("hex")).to.equal("020000510a0000010000000000000000");
    const u = tsocketAddressUnixFromPath(mem, "/p").addr!;
    expect(u.isUnix()).to.equal(true);
    expect(u.unixPath(mem)).to.equal("/p");
  });

  it("a copy is independent of the original (checked against libsamba-sockets)", () => {
    const a = inet(mem, "ipv6", "::1", 0);
    const c = a.copy(mem)!;
    expect(c.inetSetPort(99)).to.equal(0);
    expect(a.string(mem)).to.equal("ipv6:::1:0");
    expect(c.string(mem)).to.equal("ipv6:::1:99");
    expect(tallocTotalBlocks(c)).to.equal(2);
    const top = a.copy(null)!;
    expect(tallocParent(top)).to.equal(null);
    tallocFree(top);
  });

  it("freeing memCtx frees the addresses on it and runs their destructors", () => {
    const ctx = tallocNew(mem);
    const a = inet(ctx, "ipv4", null, 1);
    let ran = 0;
    tallocSetDestructor(a, () => { ran++; });
    tallocFree(ctx);
    expect(ran).to.equal(1);
    expect(tallocIsFreed(a)).to.equal(true);
  });

  it("wrong argument types are TypeErrors (C would crash)", () => {
    expect(() => tsocketAddressCopy(null as unknown as TsocketAddress, mem)).to.throw(TypeError);
    expect(() => tsocketAddressString({} as unknown as TsocketAddress, mem)).to.throw(TypeError);
    expect(() => tsocketAddressCreate(mem, {} as unknown as TsocketAddressOps, {})).to.throw(TypeError);
  });
});
