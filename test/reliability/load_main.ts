// The load runs as a process of their own, so that the heap they leave is
// measured without anything else in it:
//   node --expose-gc load_main.js [--conns N] [--pdus P] [--max-body B]
//        [--writes W] [--max-write M] [--seed S] [--only conn|queue]
// After two warm-up runs of each (at most 2,000 connections, 20,000
// writes; so that what the first runs compile or cache once, the JIT's
// code and type feedback, is not counted as a leak), each run is measured:
// heapUsed after full GCs before it, and again once everything it made is
// freed.  The heap before the warm-up is reported too (heap.cold).
// Prints one JSON line: { conn, queue, heap }.

import { ConnLoadResult, heapUsed, QueueLoadResult, runConnLoad, runQueueLoad } from "./load_lib";

export interface LoadMainResult {
  conn: ConnLoadResult | null;
  queue: QueueLoadResult | null;
  heap: {
    /** before anything ran (before the warm-up) */
    cold: number;
    conn: { before: number; after: number } | null;
    queue: { before: number; after: number } | null;
  };
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

async function main(): Promise<void> {
  const conns = arg("conns", 500);
  const pdus = arg("pdus", 4);
  const maxBody = arg("max-body", 512);
  const writes = arg("writes", 5000);
  const maxWrite = arg("max-write", 200);
  const seed = arg("seed", 20240806);
  const oi = process.argv.indexOf("--only");
  const only = oi === -1 ? null : process.argv[oi + 1];
  const out: LoadMainResult = { conn: null, queue: null, heap: { cold: heapUsed(), conn: null, queue: null } };
  const deadlineMs = 240000;

  if (only !== "queue") {
    for (let i = 1; i <= 2; i++) {
      await runConnLoad({ conns: Math.min(conns, 2000), pdusPerConn: pdus, maxBody, seed: seed + i, deadlineMs });
    }
    const before = heapUsed();
    out.conn = await runConnLoad({ conns, pdusPerConn: pdus, maxBody, seed, deadlineMs });
    out.heap.conn = { before, after: heapUsed() };
  }
  if (only !== "conn") {
    for (let i = 1; i <= 2; i++) {
      await runQueueLoad({ writes: Math.min(writes, 20000), maxWrite, seed: seed + i, deadlineMs });
    }
    const before = heapUsed();
    out.queue = await runQueueLoad({ writes, maxWrite, seed, deadlineMs });
    out.heap.queue = { before, after: heapUsed() };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String((e as Error).stack ?? e) }) + "\n");
  process.exitCode = 1;
});
