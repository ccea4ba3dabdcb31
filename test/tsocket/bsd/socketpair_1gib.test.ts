// Issue 4's long check, kept in the suite because it takes about a second:
// 1 GiB through tstream_unix_socketpair with random write and read splits.
import { expect } from "chai";
import { socketpairTransfer } from "./transfer";

describe("BSD stream: 1 GiB through a socketpair", function () {
  this.timeout(120000);
  it("every byte written is read back intact and in order across random splits of reads and writes", async () => {
    const total = 1024 * 1024 * 1024;
    const r = await socketpairTransfer(total, 424242, 256 * 1024);
    expect(r.written).to.equal(total);
    expect(r.read).to.equal(total);
    expect(r.firstMismatch).to.equal(-1);
    expect(r.writes).to.be.above(1000);
    expect(r.reads).to.be.above(1000);
  });
});
