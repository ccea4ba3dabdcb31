#!/usr/bin/env node
// npm run conformance: the function-by-function side-by-side check.
//
// 1. Checks that the C reference is installed (gcc, pkg-config, Debian's
//    samba-dev, libtevent-dev, libtalloc-dev); if not, prints the apt-get
//    command and exits 2. It never installs anything itself.
// 2. Builds and runs every C scenario (conformance/build-c.sh, which also
//    checks the output against the golden expected/<scenario>.trace).
// 3. Builds the package (npm run build) and the TypeScript scenarios
//    (conformance/tsconfig.json) and runs every one of them.
// 4. Prints one row per function: every prototype of the tsocket guide
//    (parsed out of the guide itself), every tevent/tsocket/talloc function
//    the package exports that has a C twin in the installed headers.
//    A scenario exercises a function when its C source calls the C name AND
//    its TypeScript source calls the camelCase twin. The digests are sha256
//    (first 10 hex digits) over the traces of those scenarios (C run, TS run).
//    Last line: "N passed, M failed". Exit 1 on any difference or missing row.
//
// Options: --no-build   skip "npm run build" (dist/ must be current)
//          --keep DIR   keep C binaries and both sides' traces in DIR
//          --verbose    also list which scenarios exercise each function, and
//                       the C functions of the headers with no TypeScript export
//
// Plain Node.js, no dependencies.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const crypto = require("node:crypto");
const { spawnSync } = require("node:child_process");

const here = __dirname;
const root = path.resolve(here, "..");
const guidePath = process.env.TSOCKET_GUIDE ||
  [path.join(root, "..", "shared", "seeds", "tsocket_guide.txt"),
    "/work/shared/seeds/tsocket_guide.txt"].find((p) => fs.existsSync(p));

const args = process.argv.slice(2);
const opt = {
  build: !args.includes("--no-build"),
  verbose: args.includes("--verbose"),
  keep: args.includes("--keep") ? args[args.indexOf("--keep") + 1] : null,
};

// ---------------------------------------------------------------------------
// Where the TypeScript cannot behave as the C (docs/README.md says why).
// A row listed here says "deviation: <reason>" and counts as passed only if
// its traces are identical once the lines matching `exclude` (the documented
// difference, which the scenarios mark) are removed from both sides.
// Keep this table small: everything else must be "same".
const DEVIATIONS = {
  // name: { reason: "...", exclude: /^deviation .../ },
};

// ---------------------------------------------------------------------------
// 1. prerequisites

const HEADERS = {
  tevent: "/usr/include/tevent.h",
  talloc: "/usr/include/talloc.h",
  tsocket: "/usr/include/samba-4.0/tsocket.h",
  tsocketInternal: "/usr/include/samba-4.0/tsocket_internal.h",
  teventUnix: "/usr/include/samba-4.0/util/tevent_unix.h",
};
const SOCKETS_LIB = "/usr/lib/x86_64-linux-gnu/samba/libsamba-sockets-samba4.so.0";

function have(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function checkPrerequisites() {
  const missing = [];
  const why = [];
  if (!have("gcc")) { missing.push("gcc"); why.push("gcc (C compiler)"); }
  if (!have("pkg-config")) { missing.push("pkg-config"); why.push("pkg-config"); }
  const pc = (m) => !have("pkg-config") || spawnSync("pkg-config", ["--exists", m]).status === 0;
  if (!fs.existsSync(HEADERS.tevent) || !pc("tevent")) {
    missing.push("libtevent-dev"); why.push(`${HEADERS.tevent} / tevent.pc`);
  }
  if (!fs.existsSync(HEADERS.talloc) || !pc("talloc")) {
    missing.push("libtalloc-dev"); why.push(`${HEADERS.talloc} / talloc.pc`);
  }
  if (!fs.existsSync(HEADERS.tsocket) || !fs.existsSync(HEADERS.tsocketInternal) ||
      !fs.existsSync(HEADERS.teventUnix) || !fs.existsSync(SOCKETS_LIB) ||
      !fs.existsSync("/usr/lib/x86_64-linux-gnu/libtevent-util.so")) {
    missing.push("samba-dev"); why.push(`${HEADERS.tsocket}, ${HEADERS.teventUnix}, libtevent-util.so, ${SOCKETS_LIB}`);
  }
  if (!guidePath) {
    process.stderr.write("conformance: cannot find tsocket_guide.txt (set TSOCKET_GUIDE=/path/to/it)\n");
    process.exit(2);
  }
  if (missing.length) {
    const uniq = [...new Set(missing)];
    process.stdout.write(
      "conformance: the C reference libraries are missing; nothing was installed.\n" +
      `missing: ${why.join("; ")}\n` +
      "install them with (Debian 12 / Ubuntu):\n\n" +
      `    sudo apt-get update && sudo apt-get install -y ${uniq.join(" ")}\n\n` +
      "(everything it needs: gcc pkg-config samba-dev libtevent-dev libtalloc-dev)\n");
    process.exit(2);
  }
}

// ---------------------------------------------------------------------------
// 2. the function list

function camelToSnake(s) {
  return s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}
function snakeToCamel(s) {
  return s.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
}

// Prototypes of the guide: a line indented by two spaces that starts with a
// type and has "name(" (continuation lines are indented further). Typedefs
// are types, not functions. "_name" is reached through its macro "name".
function guideFunctions() {
  const out = [];
  for (const line of fs.readFileSync(guidePath, "utf8").split("\n")) {
    if (!/^ {2}[A-Za-z]/.test(line) || /^ {2}typedef\b/.test(line)) continue;
    const m = /^ {2}(?:const\s+)?(?:struct\s+|unsigned\s+)?\w+[\s*]+(\w+)\(/.exec(line);
    if (m) {
      const name = m[1].replace(/^_+/, "");
      if (!out.includes(name)) out.push(name);
    }
  }
  return out;
}

const headerText = Object.values(HEADERS)
  .filter((h) => fs.existsSync(h))
  .map((h) => fs.readFileSync(h, "utf8"))
  .join("\n");

function declaredInC(name) {
  return new RegExp(`(^|[^\\w])${name}\\s*\\(`).test(headerText) ||
    new RegExp(`#\\s*define\\s+${name}\\b`).test(headerText);
}

function exportedFunctions() {
  const api = require(path.join(root, "dist", "index.js"));
  return Object.keys(api)
    .filter((k) => typeof api[k] === "function" && /^(tevent|talloc|tsocket|tstream|tdgram)[A-Z]/.test(k))
    .sort();
}

// ---------------------------------------------------------------------------
// 3. scenarios: sources (with the local headers/modules they include)

// Replace comments and string literals by blanks, so that a trace text such
// as T("tevent_req_done ...") never counts as a call.
function stripCode(src) {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g,
    (m) => m.replace(/[^\n]/g, " "));
}

function cFiles(name) {
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    for (const m of fs.readFileSync(file, "utf8").matchAll(/#\s*include\s+"([^"]+)"/g)) {
      walk(path.join(path.dirname(file), m[1]));
    }
  };
  walk(path.join(here, "c", `${name}.c`));
  return [...seen];
}

function tsFiles(name) {
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file) || !fs.existsSync(file)) return;
    seen.add(file);
    for (const m of fs.readFileSync(file, "utf8").matchAll(/from\s+["'](\.\.?\/[^"']+)["']/g)) {
      walk(path.join(path.dirname(file), m[1].replace(/\.js$/, ".ts")));
    }
  };
  walk(path.join(here, "ts", `${name}.ts`));
  return [...seen];
}

const stripped = new Map();
function code(file) {
  if (!stripped.has(file)) stripped.set(file, stripCode(fs.readFileSync(file, "utf8")));
  return stripped.get(file);
}

function callCount(file, name) {
  const re = new RegExp(`(?<![\\w.$])${name}\\s*(?:<[^>()]*>\\s*)?\\(`, "g");
  return (code(file).match(re) || []).length;
}

// ---------------------------------------------------------------------------
// 4. running both sides

function sh(cmd, argv, o = {}) {
  return spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 256 << 20, ...o });
}

function runC(scenarios, dir) {
  const r = sh("sh", [path.join(here, "build-c.sh"), ...scenarios], {
    env: { ...process.env, BUILD_DIR: dir },
  });
  const status = new Map();
  const notes = [];
  for (const line of r.stdout.split("\n")) {
    let m;
    if ((m = /^ok\s+(\S+)/.exec(line))) status.set(m[1], "ok");
    else if ((m = /^FAIL (\S+) \(compile\)/.exec(line))) status.set(m[1], "compile");
    else if ((m = /^FAIL (\S+) \(exit status\)/.exec(line))) status.set(m[1], "exit");
    else if ((m = /^FAIL (\S+):/.exec(line))) {
      status.set(m[1], "stale");
      notes.push(`C ${m[1]}: output differs from expected/${m[1]}.trace (regenerate with ./build-c.sh --update): ${line.replace(/^FAIL \S+: /, "")}`);
    }
  }
  if (r.stderr.trim()) notes.push(...r.stderr.trim().split("\n").slice(0, 20).map((l) => `C build: ${l}`));
  const out = new Map();
  for (const s of scenarios) {
    const st = status.get(s) || "compile";
    const f = path.join(dir, `${s}.trace`);
    const trace = st !== "compile" && fs.existsSync(f) ? fs.readFileSync(f, "utf8") : null;
    if (st === "compile") notes.push(`C ${s}: did not compile`);
    if (st === "exit") notes.push(`C ${s}: exited with an error status`);
    out.set(s, { trace, ok: st === "ok" || st === "stale" });
  }
  return { out, notes };
}

function runTs(scenarios, dir) {
  const notes = [];
  const tsc = fs.existsSync(path.join(root, "node_modules", ".bin", "tsc"))
    ? path.join(root, "node_modules", ".bin", "tsc") : "tsc";
  const c = sh(tsc, ["-p", path.join(here, "tsconfig.json")], { cwd: root });
  const compileFailed = c.status !== 0;
  if (compileFailed) {
    notes.push("TS scenarios: TypeScript errors (running whatever was emitted):");
    notes.push(...(c.stdout + c.stderr).trim().split("\n").slice(0, 20).map((l) => `  ${l}`));
  }
  const out = new Map();
  for (const s of scenarios) {
    const js = path.join(here, "dist", `${s}.js`);
    if (!fs.existsSync(js)) {
      notes.push(`TS ${s}: not compiled`);
      out.set(s, { trace: null, ok: false });
      continue;
    }
    const r = sh(process.execPath, [js], { cwd: root, timeout: 120000 });
    fs.writeFileSync(path.join(dir, `${s}.ts.trace`), r.stdout || "");
    if (r.stderr) fs.writeFileSync(path.join(dir, `${s}.ts.stderr`), r.stderr);
    const ok = r.status === 0;
    if (!ok) {
      notes.push(`TS ${s}: exit status ${r.status}${r.signal ? ` (${r.signal})` : ""}` +
        (r.stderr ? `: ${r.stderr.trim().split("\n")[0]}` : ""));
    }
    out.set(s, { trace: r.stdout || "", ok });
  }
  return { out, notes, compileFailed };
}

function digest(scs, results, exclude) {
  const h = crypto.createHash("sha256");
  for (const s of scs) {
    const r = results.get(s);
    if (!r || r.trace === null) return "missing";
    let t = r.trace;
    if (exclude) t = t.split("\n").filter((l) => !exclude.test(l)).join("\n");
    h.update(`== scenario ${s} exit=${r.ok ? 0 : "fail"}\n${t}`);
  }
  return h.digest("hex").slice(0, 10);
}

// ---------------------------------------------------------------------------

function main() {
  checkPrerequisites();

  if (opt.build) {
    process.stdout.write("conformance: npm run build\n");
    const b = sh("npm", ["run", "build"], { cwd: root });
    if (b.status !== 0) {
      process.stdout.write(b.stdout + b.stderr + "conformance: npm run build failed\n");
      process.exit(1);
    }
  } else if (!fs.existsSync(path.join(root, "dist", "index.js"))) {
    process.stdout.write("conformance: no dist/index.js; run without --no-build\n");
    process.exit(1);
  }

  const scenarios = fs.readdirSync(path.join(here, "c"))
    .filter((f) => f.endsWith(".c")).map((f) => f.replace(/\.c$/, "")).sort();
  const notes = [];
  for (const s of scenarios) {
    if (!fs.existsSync(path.join(here, "ts", `${s}.ts`))) notes.push(`scenario ${s}: no ts/${s}.ts`);
    if (!fs.existsSync(path.join(here, "expected", `${s}.trace`))) notes.push(`scenario ${s}: no expected/${s}.trace`);
  }

  const dir = opt.keep ? path.resolve(opt.keep) : fs.mkdtempSync(path.join(os.tmpdir(), "conformance-report-"));
  fs.mkdirSync(dir, { recursive: true });
  process.stdout.write(`conformance: building and running ${scenarios.length} C scenarios\n`);
  const c = runC(scenarios, dir);
  process.stdout.write(`conformance: running ${scenarios.length} TypeScript scenarios\n`);
  const t = runTs(scenarios, dir);
  notes.push(...c.notes, ...t.notes);

  // scenarios whose traces differ: where
  for (const sc of scenarios) {
    const a = c.out.get(sc);
    const b = t.out.get(sc);
    if (!a || !b || a.trace === null || b.trace === null || a.trace === b.trace) continue;
    const la = a.trace.split("\n");
    const lb = b.trace.split("\n");
    let i = 0;
    while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
    notes.push(`scenario ${sc}: C and TS traces differ at line ${i + 1}: ` +
      `C ${JSON.stringify(la[i] ?? "<end>")} TS ${JSON.stringify(lb[i] ?? "<end>")}`);
  }

  // the rows
  const exported = exportedFunctions();
  const exportedSet = new Set(exported);
  const rows = [];
  const addRow = (group, cName) => {
    if (rows.some((r) => r.cName === cName)) return;
    rows.push({ group, cName, tsName: snakeToCamel(cName) });
  };
  for (const f of guideFunctions()) addRow("tsocket guide", f);
  const nGuide = rows.length;
  const tsOnly = [];
  const groupOf = (k) => (k.startsWith("tevent") ? "tevent" : k.startsWith("talloc") ? "talloc" : "tsocket beyond the guide");
  for (const k of exported) {
    const cName = camelToSnake(k);
    if (declaredInC(cName)) addRow(groupOf(k), cName);
    else if (!rows.some((r) => r.tsName === k)) tsOnly.push(k);
  }
  if (nGuide === 0) {
    process.stdout.write(`conformance: no prototypes found in ${guidePath}\n`);
    process.exit(1);
  }
  const order = ["tsocket guide", "tsocket beyond the guide", "tevent", "talloc"];
  rows.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));

  const cSrc = new Map(scenarios.map((s) => [s, cFiles(s)]));
  const tSrc = new Map(scenarios.map((s) => [s, tsFiles(s)]));
  let passed = 0;
  let failed = 0;
  const table = [];
  for (const row of rows) {
    const scs = [];
    const cOnly = [];
    for (const s of scenarios) {
      const inC = cSrc.get(s).some((f) => callCount(f, row.cName) > 0);
      const inT = tSrc.get(s).some((f) => callCount(f, row.tsName) > 0);
      if (inC && inT) scs.push(s);
      else if (inC) cOnly.push(s);
    }
    const files = new Set(scs.flatMap((s) => cSrc.get(s)));
    const cases = [...files].reduce((n, f) => n + callCount(f, row.cName), 0);
    let cd = "-";
    let td = "-";
    let result;
    let ok = false;
    if (!exportedSet.has(row.tsName)) {
      result = "missing: no TypeScript export";
    } else if (scs.length === 0) {
      result = "missing: no scenario";
    } else {
      const dev = DEVIATIONS[row.cName];
      cd = digest(scs, c.out, dev && dev.exclude);
      td = digest(scs, t.out, dev && dev.exclude);
      const allOk = scs.every((s) => c.out.get(s).ok && t.out.get(s).ok);
      if (cd !== "missing" && cd === td && allOk) {
        ok = true;
        result = dev ? `deviation: ${dev.reason}` : "same";
      } else {
        result = "different";
      }
    }
    if (ok) passed++; else failed++;
    table.push({ ...row, cases, cd, td, result, scs, cOnly });
  }

  // output
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`\n${rows.length} functions: ${nGuide} prototypes of ${path.basename(guidePath)}, ` +
    `${rows.length - nGuide} more exported tevent/tsocket/talloc functions with a C twin; ` +
    `${scenarios.length} scenarios\n`);
  const w = Math.max(...table.map((r) => r.cName.length), 8);
  const line = (a, b, cc, d, e) =>
    `${a.padEnd(w)}  ${String(b).padStart(5)}  ${cc.padEnd(10)}  ${d.padEnd(10)}  ${e}`;
  process.stdout.write("\n" + line("function", "cases", "C", "TS", "result") + "\n");
  let group = null;
  for (const r of table) {
    if (r.group !== group) {
      group = r.group;
      process.stdout.write(`-- ${group}\n`);
    }
    process.stdout.write(line(r.cName, r.cases, r.cd, r.td, r.result) + "\n");
    if (opt.verbose) {
      process.stdout.write(`     scenarios: ${r.scs.join(" ") || "-"}` +
        (r.cOnly.length ? `; C only (TS scenario does not call ${r.tsName}): ${r.cOnly.join(" ")}` : "") + "\n");
    }
  }
  process.stdout.write("\n");
  if (tsOnly.length) {
    process.stdout.write(`TypeScript additions without a C twin (not rows): ${tsOnly.join(" ")}\n`);
  }
  if (opt.verbose) {
    const cDecl = new Set();
    for (const h of [HEADERS.tevent, HEADERS.tsocket, HEADERS.teventUnix]) {
      for (const m of stripCode(fs.readFileSync(h, "utf8")).matchAll(/(?:^|[\s*])((?:tevent|tsocket|tstream|tdgram)_\w+)\s*\(/g)) {
        cDecl.add(m[1]);
      }
      for (const m of fs.readFileSync(h, "utf8").matchAll(/#\s*define\s+((?:tevent|tsocket|tstream|tdgram)_\w+)\s*\(/g)) {
        cDecl.add(m[1]);
      }
    }
    const unported = [...cDecl].filter((n) => !exportedSet.has(snakeToCamel(n)) &&
      !exportedSet.has(snakeToCamel(n.replace(/^_+/, "")))).sort();
    process.stdout.write(`C functions/macros with no TypeScript export: ${unported.join(" ")}\n`);
  }
  if (!opt.keep) fs.rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`traces and binaries kept in ${dir}\n`);
  const stale = c.notes.some((n) => /differs from expected/.test(n));
  if (stale) process.stdout.write("the C output differs from the committed golden traces (see notes above)\n");
  if (t.compileFailed) process.stdout.write("the TypeScript scenarios do not compile cleanly (see notes above)\n");
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 && !stale && !t.compileFailed ? 0 : 1);
}

main();
