// Issue 6's end-to-end check: TLS over a comms session whose transport is an
// in-process pipe, with the echo server answering over the encrypted stream.
import { expect } from "chai";
import { tlsCommsEcho } from "../../examples/tls_comms_echo";

describe("examples: TLS-wrapped echo over a comms session on an in-process pipe", function () {
  this.timeout(30000);
  it("verifies the server (CA and name), echoes three messages intact, and never carries them in clear", async () => {
    const lines: string[] = [];
    expect(await tlsCommsEcho((l) => lines.push(l))).to.equal(true);
    expect(lines.filter((l) => / ok$/.test(l))).to.have.length(3);
    expect(lines).to.include("client: TLS connect ret=0 perrno=0 (certificate checked: CA and name \"localhost\")");
    expect(lines.some((l) => /application text in clear: no$/.test(l))).to.equal(true);
  });
});
