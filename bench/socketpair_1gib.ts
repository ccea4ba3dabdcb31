// The long run of issue 4: 1 GiB through tstream_unix_socketpair with random
// write and read splits, arriving intact.  Not part of `npm test` (it takes
// a while); run it with `npm run build && node dist/bench/socketpair_1gib.js
// [seed]` (the lead wires it into `npm run stress`).  Exit status 0 when
// every byte arrived in order.

import { socketpairTransfer } from "../test/tsocket/bsd/transfer";

async function main(): Promise<number> {
  const seed = Number(process.argv[2] ?? 20240601);
  const total = 1024 * 1024 * 1024;
  const t0 = Date.now();
  const r = await socketpairTransfer(total, seed, 256 * 1024);
  const s = (Date.now() - t0) / 1000;
  const ok = r.written === total && r.read === total && r.firstMismatch === -1;
  console.log(`socketpair 1 GiB seed ${seed}: ${r.writes} writes, ${r.reads} reads, ` +
              `${(total / 1048576 / s).toFixed(0)} MiB/s, max pending ${r.maxPending}, ` +
              `${ok ? "intact" : `FAILED (first mismatch at ${r.firstMismatch})`}`);
  return ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err) => { console.error(err); process.exitCode = 1; });
