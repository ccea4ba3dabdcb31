// Load (issue 8, item 2), short run: 500 concurrent TCP connections echoing
// PDUs and 5,000 queued writes, in a process of their own started with
// --expose-gc (test/reliability/load_main.ts) so that its heap is measured
// alone.  `npm run stress` runs 10,000 connections and 100,000 writes.

import { expect } from "chai";
import { runLoadMain } from "./load_lib";

describe("reliability: load (short run)", function () {
  this.timeout(120000);

  it("500 concurrent connections on one event context and 5,000 queued writes: every byte checked, heap back", async () => {
    const r = await runLoadMain(["--conns", "500", "--pdus", "4", "--writes", "5000"], 500);
    const c = r.conn!;
    const q = r.queue!;
    expect(c.errors).to.deep.equal([]);
    expect(c.accepted).to.equal(500);
    expect(c.peakOpen).to.equal(500);
    expect(c.clientConnected).to.equal(500);
    expect(c.serverPdus).to.equal(2000);
    expect(c.clientPdus).to.equal(2000);
    expect(c.clientBytes).to.equal(c.serverBytes);
    expect(c.echoBytes).to.equal(c.serverBytes);
    expect([c.lost, c.corrupted]).to.deep.equal([0, 0]);
    expect(q.errors).to.deep.equal([]);
    expect(q.queued).to.equal(5000);
    expect(q.completed).to.equal(5000);
    expect(q.outOfOrder).to.equal(0);
    expect(q.bytesChecked).to.equal(q.bytesWritten);
    expect([q.lost, q.corrupted]).to.deep.equal([0, 0]);
    /* no leak: the heap after each run is within 5 % of the heap before it */
    expect(r.heap.conn!.after).to.be.at.most(r.heap.conn!.before * 1.05);
    expect(r.heap.queue!.after).to.be.at.most(r.heap.queue!.before * 1.05);
  });
});
