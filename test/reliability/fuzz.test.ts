// Fuzzing (issue 8, item 3), short runs: `npm run stress` runs the same
// properties with many more cases (scripts/stress.js).  The seed is random
// unless FUZZ_SEED is set; fast-check prints the seed and the shrunk case
// of a failure, so it can be replayed with FUZZ_SEED.

import { expect } from "chai";
import * as fs from "node:fs";
import {
  EINVAL, tsocketAddressBsdSockaddr, tsocketAddressInetFromHostportStrings, tsocketAddressInetFromStrings,
  TsocketAddress, tsocketAddressString, tsocketAddressUnixFromPath,
} from "../../index";
import { AddressOracle, fuzzAddresses, fuzzAddressOracle } from "./fuzz_address";
import { fuzzStreams } from "./fuzz_stream";
import { fuzzTeventModel } from "./fuzz_tevent";

const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;

describe("reliability: fuzzing with fast-check", function () {
  this.timeout(60000);

  it("random write and read splits over socketpairs keep content, order and PDU boundaries (100 cases)", async () => {
    expect(await fuzzStreams(100, seed, 1024)).to.equal(100);
  });

  it("random queue and request operations agree with the model, event by event (100 sequences)", async () => {
    const s = await fuzzTeventModel(100, seed);
    expect(s.runs).to.equal(100);
    /* the sequences must exercise the queue and the callbacks */
    expect(s.triggers).to.be.above(50);
    expect(s.callbacks).to.be.above(200);
  });

  it("address parsers and sockaddr decoders: a clear errno or a valid address, never an exception (6 x 200 cases)", async () => {
    expect((await fuzzAddresses(200, seed)).cases).to.equal(1200);
  });

  /* what the fuzzing found, kept as fixed cases */
  it("found by fuzzing: a scope with an interface alias suffix (\"%lo:\", \"%lo:0\") is the interface's, as in C", function () {
    const lo = Number(fs.readFileSync("/sys/class/net/lo/ifindex", "utf8"));
    for (const s of ["fe80::1%lo:", "fe80::1%lo:0", "fe80::1%lo:xyz"]) {
      const r = tsocketAddressInetFromStrings(null, "ip", s, 7);
      expect(r.ret, s).to.equal(0);
      const sa = new Uint8Array(28);
      expect(tsocketAddressBsdSockaddr(r.addr as TsocketAddress, sa, 28)).to.equal(28);
      expect(Buffer.from(sa).readUInt32LE(24), s).to.equal(lo);
      expect(tsocketAddressString(r.addr, null)).to.equal("ipv6:fe80::1:7");
    }
    expect(tsocketAddressInetFromHostportStrings(null, "ip", "fe80::1%lo:", 9).ret).to.equal(0);
    /* glibc refuses names of IFNAMSIZ bytes or more before the kernel strips the alias, and an empty name */
    expect(tsocketAddressInetFromStrings(null, "ip", "fe80::1%lo:12345678901234", 7)).to.deep.equal({ ret: -1, errno: EINVAL, addr: null });
    expect(tsocketAddressInetFromStrings(null, "ip", "fe80::1%:lo", 7)).to.deep.equal({ ret: -1, errno: EINVAL, addr: null });
  });

  it("found by fuzzing: a unix path with a lone surrogate is refused with EINVAL (UTF-8 cannot hold it)", () => {
    for (const p of ["\ud800", "/tmp/a\udc00b", "x\ud83d"]) {
      expect(tsocketAddressUnixFromPath(null, p), JSON.stringify(p)).to.deep.equal({ ret: -1, errno: EINVAL, addr: null });
    }
    /* a well-formed pair is fine, and so is a lone surrogate after the first NUL (C stops there) */
    expect(tsocketAddressUnixFromPath(null, "/tmp/\ud83d\ude00").ret).to.equal(0);
    expect(tsocketAddressUnixFromPath(null, "/tmp/a\0\ud800").ret).to.equal(0);
  });

  /* the C library as an oracle: only where it is installed (no skipped test: not registered otherwise) */
  const why = AddressOracle.unavailable();
  if (why !== null) {
    console.log(`    (note: the address parsers are not compared with the C library here: ${why})`);
  } else {
    it("address parsers and sockaddr decoders answer exactly as the C library (4 x 200 cases)", async () => {
      const oracle = AddressOracle.start();
      try {
        expect((await fuzzAddressOracle(oracle, 200, seed)).cases).to.be.at.least(700);
      } finally {
        await oracle.stop();
      }
    });
  }
});
