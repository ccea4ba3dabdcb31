#!/usr/bin/env node
// `npm run stress` (after `npm run build`): the long versions of the
// reliability runs of issue 8, one after the other (the machine may have
// only two cores), then one summary table.  Exit status 1 if any byte was
// lost or corrupted, the heap did not come back, a fuzz property failed, a
// fault test failed or anything threw.  See docs/stress.md.
//
// Sizes can be changed for a quicker look:
//   STRESS_CONNS (10000) STRESS_WRITES (100000) STRESS_FUZZ_RUNS (2000)
//   STRESS_FAULT_ROUNDS (3) STRESS_SKIP_1GIB=1 FUZZ_SEED=<n>

"use strict";
const { spawn } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");
const rel = (f) => path.join(dist, "test", "reliability", f);
const env = (name, dflt) => (process.env[name] !== undefined ? Number(process.env[name]) : dflt);

const CONNS = env("STRESS_CONNS", 10000);
const WRITES = env("STRESS_WRITES", 100000);
const FUZZ_RUNS = env("STRESS_FUZZ_RUNS", 2000);
const FAULT_ROUNDS = env("STRESS_FAULT_ROUNDS", 3);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() % 2147483647);
const HEAP_SLACK = 1.05;

const rows = []; /* { run, figures, lost, corrupted, ok, secs } */
const failures = [];

function row(run, figures, ok, secs, lost = "-", corrupted = "-") {
  rows.push({ run, figures, lost: String(lost), corrupted: String(corrupted), ok, secs });
  console.log(`${ok ? "ok  " : "FAIL"} ${run}: ${figures} (${secs.toFixed(1)} s)`);
  if (!ok) failures.push(run);
}

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const heapFig = (h) => `heap ${(h.before / 1048576).toFixed(2)} -> ${(h.after / 1048576).toFixed(2)} MiB ` +
  `(${h.after >= h.before ? "+" : ""}${(100 * (h.after / h.before - 1)).toFixed(1)} %)`;

/** Run a command; resolves to { code, out, err }. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], ...opts });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { err += d; process.stderr.write(d); });
    child.on("exit", (code, sig) => resolve({ code: code ?? sig, out, err }));
  });
}

async function timed(fn) {
  const t0 = Date.now();
  const r = await fn();
  return [r, (Date.now() - t0) / 1000];
}

async function load() {
  const { runLoadMain } = require(rel("load_lib.js"));
  let r;
  let secs;
  try {
    [r, secs] = await timed(() => runLoadMain(["--conns", String(CONNS), "--pdus", "4", "--max-body", "512",
                                                "--writes", String(WRITES), "--seed", String(SEED)], CONNS));
  } catch (e) {
    row("load", String(e.message || e), false, 0);
    return;
  }
  const c = r.conn;
  const q = r.queue;
  const connOk = c.errors.length === 0 && c.accepted === CONNS && c.peakOpen === CONNS && c.clientConnected === CONNS &&
    c.serverPdus === CONNS * 4 && c.clientPdus === CONNS * 4 && c.clientBytes === c.serverBytes &&
    c.echoBytes === c.serverBytes && c.lost === 0 && c.corrupted === 0 && r.heap.conn.after <= r.heap.conn.before * HEAP_SLACK;
  row(`${CONNS} TCP connections, one event context`,
      `${c.peakOpen} held at once, ${c.serverPdus} PDUs / ${mib(c.serverBytes)} checked by the server, ` +
      `${c.clientPdus} PDUs / ${mib(c.clientBytes)} echoes checked by the client, ${heapFig(r.heap.conn)}` +
      (c.errors.length ? `; errors: ${c.errors.join("; ")}` : ""),
      connOk, c.ms / 1000, c.lost, c.corrupted);
  const qOk = q.errors.length === 0 && q.queued === WRITES && q.completed === WRITES && q.outOfOrder === 0 &&
    q.bytesChecked === q.bytesWritten && q.lost === 0 && q.corrupted === 0 && r.heap.queue.after <= r.heap.queue.before * HEAP_SLACK;
  row(`${WRITES} writes queued on one writev queue`,
      `${q.queued} queued at once, ${q.completed} completed in order, ${mib(q.bytesChecked)} checked in order ` +
      `in ${q.reads} reads, ${heapFig(r.heap.queue)}` + (q.errors.length ? `; errors: ${q.errors.join("; ")}` : ""),
      qOk, q.ms / 1000, q.lost, q.corrupted);
  console.log(`     (heap before anything ran: ${(r.heap.cold / 1048576).toFixed(2)} MiB; total ${secs.toFixed(1)} s with the warm-up runs)`);
}

async function fuzz() {
  const { fuzzStreams } = require(rel("fuzz_stream.js"));
  const { fuzzTeventModel } = require(rel("fuzz_tevent.js"));
  const { AddressOracle, fuzzAddresses, fuzzAddressOracle } = require(rel("fuzz_address.js"));
  const attempt = async (name, fn, figures) => {
    const t0 = Date.now();
    try {
      const r = await fn();
      row(name, figures(r), true, (Date.now() - t0) / 1000, 0, 0);
    } catch (e) {
      /* fast-check's report: the seed, the shrunk counterexample and the error */
      const msg = String(e.message || e).split("\n").filter((l) => l.trim() !== "" && !/^\s+at |^Hint:/.test(l));
      row(name, msg.join(" | ").slice(0, 1500), false, (Date.now() - t0) / 1000);
    }
  };
  await attempt("fuzz: readv/writev/readv_pdu splits", () => fuzzStreams(FUZZ_RUNS, SEED, 4096),
                (n) => `${n} cases over socketpairs, content, order and PDU boundaries preserved`);
  await attempt("fuzz: tevent queue/request model", () => fuzzTeventModel(FUZZ_RUNS, SEED, 150),
                (s) => `${s.runs} sequences, ${s.ops} operations, ${s.triggers} triggers and ${s.callbacks} callbacks ` +
                       `as predicted, ${s.loops} loop iterations`);
  await attempt("fuzz: address parsers/decoders", () => fuzzAddresses(FUZZ_RUNS * 2, SEED),
                (c) => `${c.cases} cases, a clear errno or a valid round-tripping address`);
  const why = AddressOracle.unavailable();
  if (why !== null) {
    console.log(`note: the address parsers are not compared with the C library: ${why}`);
    return;
  }
  await attempt("fuzz: address parsers vs the C library", async () => {
    const oracle = AddressOracle.start();
    try {
      return await fuzzAddressOracle(oracle, FUZZ_RUNS * 2, SEED);
    } finally {
      await oracle.stop();
    }
  }, (c) => `${c.cases} cases, same answer as libsamba-sockets byte for byte`);
}

async function gib() {
  if (process.env.STRESS_SKIP_1GIB) return;
  const [r, secs] = await timed(() => run(process.execPath, [path.join(dist, "bench", "socketpair_1gib.js")]));
  const line = r.out.trim().split("\n").pop() || "";
  const ok = r.code === 0 && / intact$/.test(line);
  row("1 GiB through a socketpair", line.replace(/^socketpair 1 GiB /, ""), ok, secs, ok ? 0 : "?", ok ? 0 : "?");
}

async function faults() {
  let passes = 0;
  let fails = 0;
  const t0 = Date.now();
  const failed = [];
  for (let i = 0; i < FAULT_ROUNDS; i++) {
    const r = await run(process.execPath, [path.join(root, "node_modules", "mocha", "bin", "mocha.js"), "--no-config",
                                           "--timeout", "20000", "--reporter", "json",
                                           path.join(dist, "test", "reliability", "faults.test.js")]);
    try {
      const j = JSON.parse(r.out);
      passes += j.stats.passes;
      fails += j.stats.failures;
      for (const f of j.failures) failed.push(f.fullTitle);
    } catch {
      fails++;
      failed.push(`round ${i + 1}: mocha exited with ${r.code}`);
    }
  }
  row("faults suite", `${FAULT_ROUNDS} rounds of faults.test.ts: ${passes} faults survived, ${fails} failed` +
      (failed.length ? ` (${failed.slice(0, 3).join("; ")})` : ""), fails === 0 && passes > 0, (Date.now() - t0) / 1000);
}

function table() {
  const head = ["run", "figures", "lost", "corrupted", "s", "result"];
  const body = rows.map((r) => [r.run, r.figures, r.lost, r.corrupted, r.secs.toFixed(1), r.ok ? "ok" : "FAIL"]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (i === 1 ? Math.min(b[i].length, 120) : b[i].length))));
  const line = (cells) => "| " + cells.map((c, i) => c.padEnd(w[i])).join(" | ") + " |";
  console.log("");
  console.log(`stress summary (seed ${SEED})`);
  console.log(line(head));
  console.log("|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|");
  for (const b of body) console.log(line(b));
}

async function main() {
  const t0 = Date.now();
  console.log(`stress: ${CONNS} connections, ${WRITES} queued writes, ${FUZZ_RUNS} fuzz runs per property, ` +
              `${FAULT_ROUNDS} rounds of the faults suite, seed ${SEED}`);
  await load();
  await fuzz();
  await gib();
  await faults();
  table();
  const secs = (Date.now() - t0) / 1000;
  console.log(`\ntotal ${secs.toFixed(0)} s; lost bytes ${rows.every((r) => r.lost === "0" || r.lost === "-") ? 0 : "SOME"}, ` +
              `corrupted bytes ${rows.every((r) => r.corrupted === "0" || r.corrupted === "-") ? 0 : "SOME"}`);
  console.log(`stress: ${rows.length - failures.length} passed, ${failures.length} failed`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
