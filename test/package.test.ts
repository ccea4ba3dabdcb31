// The package entry points: CommonJS and ESM faces of the root and the subpaths.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

/* dist/test/package.test.js -> the repository root */
const ROOT = join(__dirname, "..", "..");

/* Run node in the repository root and parse the JSON it prints. */
function nodeJson(args: string[]): unknown {
  const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 10000 });
  return JSON.parse(out);
}

const memo = new Map<string, string[]>();
function cached(key: string, get: () => string[]): string[] {
  let v = memo.get(key);
  if (v === undefined) memo.set(key, v = get());
  return v;
}

function esmNames(specifier: string): string[] {
  return cached(`esm ${specifier}`, () => esmNamesUncached(specifier));
}

function cjsNames(specifier: string): string[] {
  return cached(`cjs ${specifier}`, () => cjsNamesUncached(specifier));
}

function esmNamesUncached(specifier: string): string[] {
  const code = `const m = await import(${JSON.stringify(specifier)});` +
    "console.log(JSON.stringify(Object.keys(m).filter((n) => n !== 'default').sort()));";
  return nodeJson(["--input-type=module", "-e", code]) as string[];
}

function cjsNamesUncached(specifier: string): string[] {
  const code = `const m = require(${JSON.stringify(specifier)});` +
    "console.log(JSON.stringify(Object.keys(m).filter((n) => n !== 'default' && n !== '__esModule').sort()));";
  return nodeJson(["-e", code]) as string[];
}

describe("package entry points", function () {
  this.timeout(20000);

  it("require and import of the package root expose the same names", () => {
    const cjs = cjsNames("tevent-tsocket");
    const esm = esmNames("tevent-tsocket");
    expect(cjs.length).to.be.greaterThan(50);
    expect(esm).to.deep.equal(cjs);
    for (const name of ["teventContextInit", "teventAddFd", "teventAddSignal", "teventLoopOnce", "tallocFree",
      "getErrno", "TEVENT_FD_READ", "EINVAL", "SA_RESETHAND"]) {
      expect(cjs, name).to.include(name);
    }
  });

  it("the package root is the compiled dist/index.js", () => {
    const same = nodeJson(["-e",
      "console.log(JSON.stringify(require('tevent-tsocket') === require('./dist/index.js')))"]);
    expect(same).to.equal(true);
  });

  it("ESM and CommonJS share one module instance (one errno, one talloc tree)", () => {
    const code = "import { createRequire } from 'node:module';" +
      "const req = createRequire(process.cwd() + '/');" +
      "const esm = await import('tevent-tsocket');" +
      "const cjs = req('tevent-tsocket');" +
      "esm.setErrno(42);" +
      "console.log(JSON.stringify([cjs.getErrno(), esm.teventContextInit === cjs.teventContextInit]));";
    expect(nodeJson(["--input-type=module", "-e", code])).to.deep.equal([42, true]);
  });

  for (const sub of ["tevent", "talloc", "tsocket"]) {
    it(`the subpath tevent-tsocket/${sub} loads with require and import, with the same names`, () => {
      const cjs = cjsNames(`tevent-tsocket/${sub}`);
      const esm = esmNames(`tevent-tsocket/${sub}`);
      expect(esm).to.deep.equal(cjs);
      const root = cjsNames("tevent-tsocket");
      for (const name of cjs) expect(root, `${sub}: ${name}`).to.include(name);
    });
  }

  it("the subpaths group the names of the root", () => {
    const tevent = cjsNames("tevent-tsocket/tevent");
    const talloc = cjsNames("tevent-tsocket/talloc");
    expect(tevent).to.include.members(["teventContextInit", "teventAddFd", "teventAddSignal", "TEVENT_FD_WRITE"]);
    expect(talloc).to.include.members(["tallocNew", "tallocFree", "tallocSteal", "getErrno"]);
    expect(tevent).to.not.include("tallocNew");
    const root = cjsNames("tevent-tsocket");
    const tsocket = cjsNames("tevent-tsocket/tsocket");
    expect([...new Set([...tevent, ...talloc, ...tsocket])].sort()).to.deep.equal(root);
  });

  it("the await layer loads as tevent-tsocket/promises (require and import) and as the root's `promises`", () => {
    const cjs = cjsNames("tevent-tsocket/promises");
    expect(esmNames("tevent-tsocket/promises")).to.deep.equal(cjs);
    expect(cjs).to.include.members(["readv", "writev", "readPdu", "recvfrom", "sendto", "connectTcp",
      "connectUnix", "accept", "disconnect"]);
    expect(cjsNames("tevent-tsocket")).to.include("promises");
  });

  it("the root and the subpaths re-export plain values, the very objects of the modules that define them (no getter per call; scripts/flatten-exports.js)", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const dist = join(ROOT, "dist");
    /* every module of the library, and what it defines */
    const defined = new Map<string, unknown>();
    const reexported: [string, string, unknown][] = [];
    for (const dir of ["lib", "tevent", "tsocket", "tsocket/bsd"]) {
      for (const f of fs.readdirSync(join(dist, dir))) {
        if (!f.endsWith(".js") || f === "index.js") continue;
        const m = require(join(dist, dir, f)) as Record<string, unknown>;
        for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(m))) {
          if (d.get !== undefined) reexported.push([`${dir}/${f}`, k, m[k]]);
          else if (k !== "__esModule" && !defined.has(k)) defined.set(k, d.value);
        }
      }
    }
    /* a getter in a module is only a re-export of a value another module defines,
     * never a live binding a copy could miss */
    for (const [where, k, v] of reexported) {
      expect(defined.has(k) && defined.get(k) === v, `${where}: ${k} is a getter`).to.equal(true);
    }
    for (const entry of ["index.js", "lib/index.js", "tevent/index.js", "tsocket/index.js"]) {
      const m = require(join(dist, entry)) as Record<string, unknown>;
      for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(m))) {
        if (k === "__esModule") continue;
        expect(d.get, `${entry}: ${k} is a getter`).to.equal(undefined);
        if (k === "promises") continue; /* the await layer's namespace, built in index.ts */
        expect(defined.has(k), `${entry}: ${k} is defined by a module`).to.equal(true);
        expect(d.value === defined.get(k), `${entry}: ${k} is the defining module's object`).to.equal(true);
      }
    }
    /* and no module exports a binding that could change after loading */
    for (const dir of ["lib", "tevent", "tsocket", "tsocket/bsd"]) {
      for (const f of fs.readdirSync(join(ROOT, dir))) {
        if (!f.endsWith(".ts")) continue;
        expect(fs.readFileSync(join(ROOT, dir, f), "utf8"), `${dir}/${f}`).to.not.match(/^export (let|var) /m);
      }
    }
  });
});
