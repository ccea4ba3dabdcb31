// Keeps docs/tsocket_guide.md and docs/tevent.md true: every TypeScript
// signature they show must be exactly the type the package exports, every
// documented function must be exported, and every exported tevent / tstream /
// tdgram / tsocket / talloc function must be documented.  The check is then
// run against deliberately altered signatures, to show that it would notice
// a signature changed in the code but not in the documents.
//
// All type checks run in one TypeScript program (see sigcheck.ts).

import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CheckItem, CheckResult, DocDecl, exportedFunctionNames, extractDecls, mutants, runCheck, undocumented, Unparsed,
} from "./sigcheck";

/* compiled to dist/test/docs/: the project root is three levels up */
const ROOT = path.resolve(__dirname, "..", "..", "..");
const DOCS = ["docs/tsocket_guide.md", "docs/tevent.md"];
const PACKAGE_ENTRY = path.join(ROOT, "dist", "index.js");

/* the documented functions whose altered copies must be caught */
const MUTANT_TARGETS = ["tstreamWritevSend", "teventAddTimer", "tsocketAddressInetFromStrings"];
const GHOST: DocDecl = {
  kind: "function",
  name: "teventNoSuchFunction",
  text: "declare function teventNoSuchFunction(ev: TeventContext): number;",
  typeParams: [],
  where: "(the test's own ghost)",
};

describe("docs: documented signatures match the exported API", function () {
  this.timeout(30000);

  const decls: DocDecl[] = [];
  const unparsed: Unparsed[] = [];
  const items: CheckItem[] = [];
  const mutantLabels: string[] = [];
  let ghostLabel = "";
  let result: CheckResult;
  let pkg: Record<string, unknown>;

  /* a documented function's label: its name, and the document if it is in both */
  const labelOf = (d: DocDecl): string => `${d.name} (${d.where.replace(/:\d+$/, "")})`;

  before(function () {
    for (const doc of DOCS) {
      const file = path.join(ROOT, doc);
      const text = fs.readFileSync(file, "utf8");
      const r = extractDecls(text, doc);
      decls.push(...r.decls);
      unparsed.push(...r.unparsed);
    }
    for (const d of decls) items.push({ label: labelOf(d), decl: d });
    for (const name of MUTANT_TARGETS) {
      const d = decls.find((x) => x.kind === "function" && x.name === name);
      if (d === undefined) continue;
      for (const m of mutants(d)) {
        const label = `mutant of ${name}: ${m.how}`;
        mutantLabels.push(label);
        items.push({ label, decl: m.decl });
      }
    }
    ghostLabel = `ghost ${GHOST.name}`;
    items.push({ label: ghostLabel, decl: GHOST });
    result = runCheck(items, PACKAGE_ENTRY, ROOT);
    pkg = require(PACKAGE_ENTRY) as Record<string, unknown>;
  });

  it("both documents show signatures, each on one checkable line", function () {
    for (const doc of DOCS) {
      const n = decls.filter((d) => d.where.startsWith(`${doc}:`)).length;
      expect(n, `${doc}: documented declarations`).to.be.greaterThan(20);
    }
    expect(unparsed.map((u) => `${u.where}: ${u.text}`),
      "lines in ```ts blocks that look like declarations but are not one-line `declare function ...;` " +
      "or `type X = ...;` lines (they would escape the check)").to.deep.equal([]);
  });

  it("compiles the check in one program", function () {
    expect(result.unattributed, `diagnostics not tied to a documented name:\n${result.source}`).to.deep.equal([]);
    expect(result.elapsedMs).to.be.lessThan(20000);
  });

  it("every documented signature is identical to the exported one", function () {
    const bad: string[] = [];
    for (const [label, msgs] of result.failures) {
      if (label.startsWith("mutant of ") || label === ghostLabel) continue;
      bad.push(`${label}\n    ${msgs.join("\n    ")}`);
    }
    expect(bad, `documented signatures that differ from the code:\n${bad.join("\n")}\n`).to.deep.equal([]);
  });

  it("every documented function is exported", function () {
    const missing = decls
      .filter((d) => d.kind === "function" && typeof pkg[d.name] !== "function")
      .map((d) => `${d.name} (${d.where})`);
    expect(missing, "documented but not exported by the package").to.deep.equal([]);
  });

  it("every exported tevent/tstream/tdgram/tsocket/talloc function is documented", function () {
    const exported = exportedFunctionNames(pkg);
    expect(exported.length).to.be.greaterThan(100);
    const missing = undocumented(exported, decls.filter((d) => d.kind === "function").map((d) => d.name));
    expect(missing, "exported but documented in neither docs/tsocket_guide.md nor docs/tevent.md")
      .to.deep.equal([]);
  });

  it("the check reports a deliberately altered signature", function () {
    expect(mutantLabels.length, "mutant targets found in the documents").to.be.greaterThanOrEqual(MUTANT_TARGETS.length * 2);
    const caught = mutantLabels.filter((l) => result.failures.has(l));
    expect(caught, "altered signatures the check let through").to.deep.equal(mutantLabels);
  });

  it("the check reports a documented function the package does not export", function () {
    expect(result.failures.has(ghostLabel), "a declaration of a function that does not exist passed").to.equal(true);
    expect(result.failures.get(ghostLabel)!.join("\n")).to.match(/teventNoSuchFunction/);
  });

  it("the coverage check reports an exported function missing from the documents", function () {
    const exported = exportedFunctionNames(pkg);
    const documented = new Set(decls.map((d) => d.name));
    documented.delete("tstreamReadvPduSend");
    expect(undocumented(exported, documented)).to.include("tstreamReadvPduSend");
  });
});
