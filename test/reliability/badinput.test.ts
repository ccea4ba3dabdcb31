// Bad input (issue 8, item 4): one `it` per row of badinput.rows.ts, the
// same rows docs/reliability.md is printed from (badinput.table.ts).
// Every row: the call gives the C library's answer (a value and errno, or an
// error through the request) or a documented TypeError, and never any other
// exception; rows with `after` then check nothing was lost or corrupted.

import { expect } from "chai";
import { getErrno, setErrno } from "../../index";
import * as fs from "node:fs";
import * as path from "node:path";
import { answerText, Fx, Row, rows } from "./badinput.rows";
import { renderBadInputTable } from "./badinput.table";

function isThenable(v: unknown): v is Promise<unknown> {
  return typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function";
}

/* Run the call; capture a sync or async throw as { thrown }. */
async function attempt(row: Row, fx: Fx): Promise<{ value?: unknown; thrown?: unknown; errno: number }> {
  setErrno(0);
  let value: unknown;
  try {
    value = row.call(fx);
  } catch (e) {
    return { thrown: e, errno: getErrno() };
  }
  const errnoSync = getErrno();
  if (!isThenable(value)) return { value, errno: errnoSync };
  try {
    const v = await value;
    return { value: v, errno: getErrno() };
  } catch (e) {
    return { thrown: e, errno: getErrno() };
  }
}

function matches(actual: unknown, expected: unknown, where: string): void {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    expect(actual, `${where}: an object`).to.be.an("object");
    for (const [k, v] of Object.entries(expected as object)) {
      matches((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
    }
    return;
  }
  expect(actual, where).to.deep.equal(expected);
}

describe("reliability: bad input (docs/reliability.md, one row each)", () => {
  let fx: Fx;
  beforeEach(() => { fx = new Fx(); });
  afterEach(() => { fx.teardown(); });

  for (const row of rows) {
    it(`${row.fn}: ${row.input} -> ${answerText(row.expect)}`, async () => {
      const r = await attempt(row, fx);
      const e = row.expect;
      switch (e.kind) {
        case "throwsType":
          expect(r.thrown, "a TypeError").to.be.instanceOf(TypeError);
          /* a clear message naming what is wrong, not a crash inside the library */
          expect((r.thrown as Error).message).to.be.a("string").and.not.match(/Cannot read|Cannot set|is not a function|is not iterable|of undefined|of null/);
          break;
        case "throwsError":
          expect(r.thrown, "an Error").to.be.instanceOf(Error);
          break;
        case "rejects":
          expect(r.thrown, `a rejection (${e.name})`).to.be.instanceOf(Error);
          expect((r.thrown as Error).name).to.equal(e.name);
          break;
        case "ret":
        case "req":
          if (r.thrown !== undefined) throw new Error(`an exception escaped: ${String(r.thrown)}`);
          matches(r.value, e.value, "result");
          if (e.kind === "ret" && e.errno !== undefined) expect(r.errno, "errno").to.equal(e.errno);
          break;
      }
      if (row.after) await row.after(fx, r.value);
    });
  }

  it("docs/reliability.md holds exactly the table printed from these rows", () => {
    /* dist/test/reliability -> the repository root */
    const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "reliability.md"), "utf8");
    expect(doc.includes(renderBadInputTable()), "regenerate: node dist/test/reliability/badinput.table.js").to.equal(true);
  });
});
