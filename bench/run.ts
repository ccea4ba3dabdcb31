// `npm run bench`: runs W1..W5 (bench/README.md) three ways, this port,
// raw Node.js and the C library, interleaved (A B C A B C ...), every
// measurement in a fresh child process that prints one JSON line, and
// prints a table of medians and ratios (or JSON with --json).
//
//   npm run bench -- [--runs N] [--full] [--json] [--out FILE] [--only w1,w3]

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

interface Args { runs: number; full: boolean; json: boolean; out: string | null; only: string[] | null }

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 3, full: false, json: false, out: null, only: null };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === "--runs") a.runs = Number(argv[++i]);
    else if (x.startsWith("--runs=")) a.runs = Number(x.slice(7));
    else if (x === "--full") a.full = true;
    else if (x === "--json") a.json = true;
    else if (x === "--out") a.out = argv[++i];
    else if (x.startsWith("--out=")) a.out = x.slice(6);
    else if (x === "--only") a.only = argv[++i].split(",");
    else if (x.startsWith("--only=")) a.only = x.slice(7).split(",");
    else throw new Error(`unknown option ${x}`);
  }
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error("--runs must be a positive integer");
  return a;
}

type Kind = "rate" | "bytes" | "memory";

interface Workload {
  id: string;
  title: string;
  kind: Kind;
  unit: string; /* what one op is */
  size: number;
  fullSize: number;
  /* the first is the "raw Node" baseline for the ratio; "floor" is a lower
   * bound for the port (bench/README.md, "Floors"), not an implementation */
  nodeImpls: string[];
}

const MiB = 1024 * 1024;

function fdLimit(): number {
  try {
    const out = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    const n = Number(out);
    return Number.isFinite(n) ? n : 1024;
  } catch { return 1024; }
}

const WORKLOADS: Workload[] = [
  { id: "w1", title: "W1 request churn", kind: "rate", unit: "req", size: 1_000_000, fullSize: 1_000_000,
    nodeImpls: ["node-promise", "node-immediate"] },
  { id: "w2-unix", title: "W2 bulk 64 KiB, unix", kind: "bytes", unit: "B", size: 256 * MiB, fullSize: 2048 * MiB,
    nodeImpls: ["node"] },
  { id: "w2-tcp", title: "W2 bulk 64 KiB, TCP", kind: "bytes", unit: "B", size: 256 * MiB, fullSize: 2048 * MiB,
    nodeImpls: ["node"] },
  { id: "w3", title: "W3 small PDUs", kind: "rate", unit: "PDU", size: 500_000, fullSize: 2_000_000,
    nodeImpls: ["node", "floor"] },
  { id: "w4-udp", title: "W4 UDP ping-pong", kind: "rate", unit: "rt", size: 20_000, fullSize: 100_000,
    nodeImpls: ["node", "floor"] },
  { id: "w4-unix", title: "W4 unix ping-pong", kind: "rate", unit: "rt", size: 20_000, fullSize: 100_000,
    nodeImpls: ["node", "node-onread", "floor"] },
  { id: "w5-idle", title: "W5 mem/idle pair", kind: "memory", unit: "pair", size: 2_000, fullSize: 10_000,
    nodeImpls: ["node"] },
  { id: "w5-reading", title: "W5 mem/pair reading", kind: "memory", unit: "pair", size: 2_000, fullSize: 10_000,
    nodeImpls: ["node"] },
];

const IMPL_LABEL: Record<string, string> = {
  "port": "tevent-tsocket",
  "node": "raw Node.js",
  "node-promise": "raw Node.js promise-then",
  "node-immediate": "raw Node.js setImmediate",
  "node-onread": "raw Node.js onread",
  "floor": "floor: C's requests, no tsocket",
  "c": "C tevent/tsocket",
};

const here = __dirname; /* dist/bench */
const root = path.resolve(here, "..", "..");

/* build bench/c/tbench.c when the C library is there; null with a note otherwise */
function buildC(): { bin: string | null; note: string } {
  const src = path.join(root, "bench", "c", "tbench.c");
  const bin = path.join(here, "c", "tbench");
  const sock = "/usr/lib/x86_64-linux-gnu/samba/libsamba-sockets-samba4.so.0";
  const pc = spawnSync("pkg-config", ["--cflags", "--libs", "talloc", "tevent"], { encoding: "utf8" });
  if (pc.error || pc.status !== 0) return { bin: null, note: "C skipped: pkg-config does not find talloc/tevent" };
  if (!fs.existsSync("/usr/include/samba-4.0/tsocket.h") || !fs.existsSync(sock)) {
    return { bin: null, note: "C skipped: samba's tsocket (samba-dev, libsamba-sockets-samba4) is not installed" };
  }
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const args = ["-O2", "-o", bin, src, "-I/usr/include/samba-4.0", ...pc.stdout.trim().split(/\s+/),
                "-L/usr/lib/x86_64-linux-gnu/samba", "-l:libsamba-sockets-samba4.so.0",
                "-Wl,-rpath,/usr/lib/x86_64-linux-gnu/samba"];
  const r = spawnSync("gcc", args, { encoding: "utf8" });
  if (r.error || r.status !== 0) return { bin: null, note: `C skipped: gcc failed: ${r.error ?? r.stderr}` };
  return { bin, note: `C built: gcc ${args.join(" ")}` };
}

interface Sample { seconds: number; bytesPerPair?: number }

function runChild(w: Workload, impl: string, size: number, cbin: string | null): Sample {
  let cmd: string;
  let args: string[];
  if (impl === "c") {
    cmd = cbin as string;
    args = [w.id, String(size)];
  } else {
    cmd = process.execPath;
    args = ["--expose-gc", path.join(here, "workloads.js"), w.id, impl, String(size)];
  }
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000, maxBuffer: 1 << 20 });
  if (r.error || r.status !== 0) {
    throw new Error(`${w.id}/${impl} failed (status ${r.status}): ${r.error ?? ""}${r.stderr}`);
  }
  const line = r.stdout.trim().split("\n").pop() as string;
  return JSON.parse(line) as Sample;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/* the figure of merit: ops/s, bytes/s, or bytes per pair (lower is better) */
function value(w: Workload, size: number, med: number): number {
  return w.kind === "memory" ? med : size / med;
}

function fmtRate(w: Workload, v: number): string {
  if (w.kind === "bytes") return `${(v / 1e9).toFixed(2)} GB/s`;
  if (w.kind === "memory") return `${(v / 1000).toFixed(1)} KB/pair`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M ${w.unit}/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k ${w.unit}/s`;
  return `${v.toFixed(0)} ${w.unit}/s`;
}

function fmtTime(s: number): string {
  return s >= 1 ? `${s.toFixed(3)} s` : `${(s * 1000).toFixed(1)} ms`;
}

interface Row {
  workload: string; title: string; impl: string; implementation: string; size: number; unit: string;
  samples: number[]; medianSeconds: number; value: number; valueUnit: string; display: string;
  vsC: number | null; vsNode: number | null; bytesPerPairSamples?: number[];
}

function table(rows: Row[]): string {
  const head = ["Workload", "Implementation", "Size", "Samples", "Median", "Result", "vs C", "vs raw Node"];
  const fmtRatio = (r: number | null): string => (r === null ? "-" : `${r.toFixed(2)}×`);
  const body = rows.map((r) => [r.title, r.implementation, r.size.toLocaleString("en-US"), String(r.samples.length),
    r.unit === "pair" ? `${(r.value / 1000).toFixed(2)} KB` : fmtTime(r.medianSeconds), r.display,
    fmtRatio(r.vsC), fmtRatio(r.vsNode)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (l: string, m: string, r: string): string => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const fmt = (cells: string[]): string => "│" + cells.map((c, i) => ` ${i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])} `).join("│") + "│";
  const out = [line("┌", "┬", "┐"), fmt(head), line("├", "┼", "┤")];
  let prev = "";
  for (let i = 0; i < body.length; i++) {
    if (prev !== "" && rows[i].workload !== prev) out.push(line("├", "┼", "┤"));
    prev = rows[i].workload;
    out.push(fmt(body[i]));
  }
  out.push(line("└", "┴", "┘"));
  return out.join("\n");
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string): void => { process.stderr.write(s + "\n"); };
  const c = buildC();
  log(c.note);
  const maxPairs = Math.max(100, Math.floor((fdLimit() - 256) / 2));
  const plan = WORKLOADS.filter((w) => args.only === null || args.only.some((o) => w.id.startsWith(o)))
    .map((w) => {
      let size = args.full ? w.fullSize : w.size;
      if (w.kind === "memory" && size > maxPairs) {
        log(`${w.id}: ${size} pairs need ${2 * size + 256} fds (ulimit -n ${fdLimit()}): capped at ${maxPairs}`);
        size = maxPairs;
      }
      const impls = ["port", ...w.nodeImpls, ...(c.bin !== null ? ["c"] : [])];
      return { w, size, impls, samples: new Map<string, Sample[]>(impls.map((i) => [i, []])) };
    });
  const t0 = Date.now();
  for (let rep = 0; rep < args.runs; rep++) {
    for (const p of plan) {
      for (const impl of p.impls) { /* interleaved: A B C, A B C, ... */
        const s = runChild(p.w, impl, p.size, c.bin);
        (p.samples.get(impl) as Sample[]).push(s);
        log(`run ${rep + 1}/${args.runs} ${p.w.id} ${impl}: ${s.seconds.toFixed(4)} s` +
            (s.bytesPerPair !== undefined ? ` ${s.bytesPerPair.toFixed(0)} B/pair` : ""));
      }
    }
  }
  const rows: Row[] = [];
  for (const p of plan) {
    const val = new Map<string, number>();
    const meds = new Map<string, number>();
    for (const impl of p.impls) {
      const ss = p.samples.get(impl) as Sample[];
      const med = median(ss.map((s) => s.seconds));
      meds.set(impl, med);
      val.set(impl, p.w.kind === "memory" ? median(ss.map((s) => s.bytesPerPair as number)) : value(p.w, p.size, med));
    }
    /* ratios: > 1 means better than the reference (faster, or less memory) */
    const ratio = (impl: string, ref: string): number | null => {
      if (impl === ref || !val.has(ref)) return null;
      const a = val.get(impl) as number, b = val.get(ref) as number;
      return p.w.kind === "memory" ? b / a : a / b;
    };
    for (const impl of p.impls) {
      const ss = p.samples.get(impl) as Sample[];
      const v = val.get(impl) as number;
      rows.push({
        workload: p.w.id, title: p.w.title, impl, implementation: IMPL_LABEL[impl], size: p.size, unit: p.w.unit,
        samples: ss.map((s) => s.seconds), medianSeconds: meds.get(impl) as number, value: v,
        valueUnit: p.w.kind === "bytes" ? "bytes/s" : p.w.kind === "memory" ? "bytes/pair" : `${p.w.unit}/s`,
        display: fmtRate(p.w, v), vsC: ratio(impl, "c"), vsNode: ratio(impl, p.w.nodeImpls[0]),
        ...(p.w.kind === "memory" ? { bytesPerPairSamples: ss.map((s) => s.bytesPerPair as number) } : {}),
      });
    }
  }
  const report = {
    node: process.version, platform: `${process.platform} ${process.arch}`, cpus: require("node:os").cpus().length,
    runs: args.runs, full: args.full, c: c.note, elapsedSeconds: (Date.now() - t0) / 1000,
    ratios: "value / reference: > 1 is faster (W5: less memory per pair) than the reference",
    results: rows,
  };
  if (args.json) {
    const text = JSON.stringify(report, null, 2) + "\n";
    if (args.out !== null) fs.writeFileSync(args.out, text); else process.stdout.write(text);
    return;
  }
  const text = table(rows) + "\n" +
    `medians of ${args.runs} run(s), ${args.full ? "full (issue) sizes" : "default sizes"}; ` +
    `ratios: > 1× is faster (W5: less memory) than C / raw Node.js (W1: the promise-then chain); ` +
    `"floor" rows are lower bounds for the port, not implementations (bench/README.md, "Floors")\n`;
  process.stdout.write(text);
  if (args.out !== null) fs.writeFileSync(args.out, JSON.stringify(report, null, 2) + "\n");
}

main();
