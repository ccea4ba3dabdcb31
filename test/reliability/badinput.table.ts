// Prints the bad-input table of docs/reliability.md from the rows the test
// runs (badinput.rows.ts):  node dist/test/reliability/badinput.table.js
import { answerText, rows } from "./badinput.rows";

const esc = (s: string): string => s.replace(/\|/g, "\\|");

/** The "## Bad input" section of docs/reliability.md, from the rows. */
export function renderBadInputTable(): string {
  const out: string[] = [];
  out.push("## Bad input");
  out.push("");
  out.push("Issue 8, item 4. For each exported function family, the bad inputs tried and the answer");
  out.push("given. Every row is one test of `test/reliability/badinput.test.ts`; this table is printed");
  out.push("from the same rows (`test/reliability/badinput.rows.ts`) by");
  out.push("`node dist/test/reliability/badinput.table.js`, so the two cannot drift apart.");
  out.push("");
  out.push("Answers follow the C library: a return value with `errno` (read with `getErrno()`), or an");
  out.push("error delivered through the request (read with the `_recv`, after the loop ran). A wrong");
  out.push("argument type is a programming error and throws a clear `TypeError` at once (a promise");
  out.push("function rejects with it). \"through the request\" rows never throw from the `_send`.");
  out.push("Rows marked *then* also check that nothing was lost or corrupted afterwards.");
  out.push("");
  out.push(`${rows.length} rows.`);
  out.push("");
  out.push("| # | function | bad input | answer |");
  out.push("|---|---|---|---|");
  rows.forEach((r, i) => {
    const ans = answerText(r.expect) + (r.afterText ? `; *then* ${r.afterText}` : "");
    out.push(`| ${i + 1} | \`${esc(r.fn)}\` | ${esc(r.input)} | ${esc(ans)} |`);
  });
  return out.join("\n") + "\n";
}

if (require.main === module) process.stdout.write(renderBadInputTable());
