// `npm start` runs examples/echo_demo.ts: it must finish, exit 0 and show
// every echo intact over TCP, a unix stream, UDP and unix datagrams.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

describe("examples: the echo server demo (npm start)", function () {
  this.timeout(60000);
  it("echoes over TCP, unix stream, UDP and unix datagrams and exits 0", () => {
    const demo = path.resolve(__dirname, "..", "..", "examples", "echo_demo.js");
    const r = spawnSync(process.execPath, [demo], { encoding: "utf8", timeout: 50000 });
    expect(r.status).to.equal(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("== ")).map((l) => l.split(":")[0]))
      .to.deep.equal(["== TCP", "== unix stream", "== UDP", "== unix datagram"]);
    expect(lines.filter((l) => / ok$/.test(l))).to.have.length(12);
    expect(lines.filter((l) => /client \d+ done/.test(l))).to.have.length(2);
    expect(lines[lines.length - 1]).to.equal("all echoes came back intact");
  });
});
