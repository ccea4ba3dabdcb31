#!/usr/bin/env node
// Rewrites the four compiled index files (dist/index.js, dist/lib/index.js,
// dist/tevent/index.js, dist/tsocket/index.js) so that what they re-export
// are plain data properties instead of getters.
//
// Why: tsc compiles `export ... from` to a getter per name, and `export *`
// to one shared getter (`return m[k]`) that sees every export.  Every call a
// user makes through the package root (`t.teventReqCreate(...)`) went
// through one of them: in the W1 benchmark (bench/README.md) that was 18 % of
// the time.  The library's own modules import each other directly and never
// an index file, and no module exports a binding that changes after it has
// loaded (test/package.test.ts checks both), so a copy made once is exact.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dist = path.join(__dirname, "..", "dist");
const files = ["index.js", "lib/index.js", "tevent/index.js", "tsocket/index.js"];

/* tsc's helper, as emitted for `export *` */
const createBinding = /var __createBinding = \(this && this\.__createBinding\) \|\| \(Object\.create \? \(function\(o, m, k, k2\) \{[\s\S]*?\}\)\);\n/;
const plainBinding =
  "var __createBinding = function(o, m, k, k2) {\n" +
  "    if (k2 === undefined) k2 = k;\n" +
  "    Object.defineProperty(o, k2, { enumerable: true, value: m[k] });\n" +
  "};\n";
/* one per name, as emitted for `export { a } from "./x"` */
const namedGetter =
  /Object\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return (\w+)\.(\w+); \} \}\);/g;

for (const f of files) {
  const p = path.join(dist, f);
  let s = fs.readFileSync(p, "utf8");
  if (s.includes("// flattened by scripts/flatten-exports.js")) continue;
  s = s.replace(createBinding, plainBinding);
  s = s.replace(namedGetter, (_m, name, mod, prop) =>
    `Object.defineProperty(exports, "${name}", { enumerable: true, value: ${mod}.${prop} });`);
  if (/get: function/.test(s.replace(plainBinding, ""))) {
    throw new Error(`flatten-exports: ${f} still has a getter tsc emitted in a form this script does not know`);
  }
  fs.writeFileSync(p, s + "\n// flattened by scripts/flatten-exports.js\n");
}
