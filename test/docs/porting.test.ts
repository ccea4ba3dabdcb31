// docs/porting.md quotes the TypeScript side of the echo server: each `ts`
// block must still appear byte for byte in the file its caption names.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");

describe("docs/porting.md", () => {
  it("every TypeScript excerpt is verbatim in the file it names", () => {
    const lines = fs.readFileSync(path.join(root, "docs", "porting.md"), "utf8").split("\n");
    let file: string | null = null;
    const bad: string[] = [];
    let blocks = 0;
    for (let i = 0; i < lines.length; i++) {
      const cap = /^\*TypeScript, `([^`]+\.ts)`/.exec(lines[i]);
      if (cap) file = cap[1];
      if (lines[i] !== "```ts") continue;
      const end = lines.indexOf("```", i + 1);
      const block = lines.slice(i + 1, end).join("\n");
      blocks++;
      if (file === null || !fs.readFileSync(path.join(root, file), "utf8").includes(block)) {
        bad.push(`line ${i + 1}: not verbatim in ${file}`);
      }
      i = end;
    }
    expect(bad).to.deep.equal([]);
    expect(blocks).to.be.at.least(20);
  });
});
