// The signature check behind test/docs/signatures.test.ts.
//
// docs/tsocket_guide.md and docs/tevent.md show, for every function, a
// TypeScript signature written as one line in a ```ts block:
//
//     declare function tstreamWritevRecv(req: TeventReq): { ret: number; perrno: number };
//
// (and callback types as `type Name<P = unknown> = ...;` lines, ops tables as
// `interface Name {` ... `}` blocks).  Examples go in ```typescript blocks,
// which are not read.  This module
// pulls those lines out of the documents, writes one TypeScript file that
// imports the real package and asserts, line by line, that each documented
// type is identical to the exported one, compiles it with the project's own
// TypeScript (one program, --noEmit, strict) and maps every diagnostic back
// to the documented name it concerns.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** One checked line of a document. */
export interface DocDecl {
  kind: "function" | "type" | "interface";
  name: string;
  /** the line (an interface: the lines) as written in the document */
  text: string;
  /** type parameter names declared right after the name */
  typeParams: string[];
  /** where it was found (file:line), for messages */
  where: string;
}

/** A line of a ```ts block that starts like a declaration but cannot be checked. */
export interface Unparsed {
  where: string;
  text: string;
}

/** Lines that start a declaration this checker reads. */
const FUNCTION_RE = /^declare function ([A-Za-z_$][\w$]*)\s*([<(].*);\s*$/;
const TYPE_RE = /^(?:export )?type ([A-Za-z_$][\w$]*)\s*(<.*?>)?\s*=\s*(.*);\s*$/;
const INTERFACE_RE = /^(?:export )?interface ([A-Za-z_$][\w$]*)\s*(<[^{]*>)?\s*\{(.*)$/;
/** Lines that look like declarations but escape the check: the test refuses them. */
const SUSPECT_RE = /^\s*(?:export\s+)?(?:declare\s|type\s+[A-Z]\w*\s*[<=]|interface\s|class\s)/;

/** Names the generated file must not import from the package. */
const GLOBAL_TYPES = new Set([
  "Array", "ReadonlyArray", "Promise", "PromiseLike", "Uint8Array", "ArrayBuffer", "Buffer", "Record",
  "Partial", "Required", "Readonly", "Pick", "Omit", "ReturnType", "Parameters", "Error", "Map", "Set",
  "WeakMap", "Function", "Object", "String", "Number", "Boolean", "Symbol", "BigInt", "Date", "Iterable",
]);
/** Node.js types a signature may mention, and where they come from. */
const EXTERNAL_TYPES: Record<string, string> = { Duplex: "node:stream", Socket: "node:net", Server: "node:net" };

/** Split "<A, B extends X<Y, Z> = Q>" into ["A", "B"]. */
export function typeParamNames(angle: string): string[] {
  const inner = angle.trim().replace(/^</, "").replace(/>$/, "");
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === "<" || ch === "(" || ch === "{" || ch === "[") depth++;
    else if ((ch === ">" && inner[i - 1] !== "=") || ch === ")" || ch === "}" || ch === "]") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== "") parts.push(cur);
  return parts.map((p) => /^\s*([A-Za-z_$][\w$]*)/.exec(p)?.[1] ?? "").filter((n) => n !== "");
}

/** The "<...>" at the start of s (balanced), or "". */
function leadingAngle(s: string): string {
  if (!s.startsWith("<")) return "";
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "<") depth++;
    else if (s[i] === ">" && s[i - 1] !== "=") {
      depth--;
      if (depth === 0) return s.slice(0, i + 1);
    }
  }
  return "";
}

/** Every checked line in the ```ts blocks of a Markdown document. */
export function extractDecls(markdown: string, file: string): { decls: DocDecl[]; unparsed: Unparsed[] } {
  const decls: DocDecl[] = [];
  const unparsed: Unparsed[] = [];
  const lines = markdown.split("\n");
  let inTs = false;
  let inFence = false;
  let open: DocDecl | null = null; /* an interface being read */
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (open !== null) {
      open.text += `\n${line}`;
      if (/^\}\s*;?\s*$/.test(line)) {
        decls.push(open);
        open = null;
      } else if (/^\s*```/.test(line)) {
        unparsed.push({ where: open.where, text: `interface ${open.name}: no closing "}" line` });
        open = null;
        inFence = false;
        inTs = false;
      }
      return;
    }
    const fence = /^\s*```\s*(\w*)/.exec(line);
    if (fence !== null) {
      if (!inFence) {
        inFence = true;
        /* ```ts blocks hold signatures; ```typescript blocks are examples */
        inTs = fence[1] === "ts";
      } else {
        inFence = false;
        inTs = false;
      }
      return;
    }
    if (!inTs) return;
    const where = `${file}:${i + 1}`;
    const f = FUNCTION_RE.exec(line);
    if (f !== null) {
      decls.push({ kind: "function", name: f[1], text: line.trim(), typeParams: typeParamNames(leadingAngle(f[2])), where });
      return;
    }
    const t = TYPE_RE.exec(line);
    if (t !== null) {
      decls.push({ kind: "type", name: t[1], text: line.trim(), typeParams: typeParamNames(t[2] ?? ""), where });
      return;
    }
    const iface = INTERFACE_RE.exec(line);
    if (iface !== null) {
      const d: DocDecl = { kind: "interface", name: iface[1], text: line.trim(), typeParams: typeParamNames(iface[2] ?? ""), where };
      if (/\}\s*;?\s*$/.test(iface[3])) decls.push(d);
      else open = d;
      return;
    }
    if (SUSPECT_RE.test(line)) unparsed.push({ where, text: line.trim() });
  });
  return { decls, unparsed };
}

/** A check of one documented line (or of a deliberately altered copy). */
export interface CheckItem {
  /** the name reported when this item fails */
  label: string;
  decl: DocDecl;
}

/** What the compiler said, per label. */
export interface CheckResult {
  /** label -> the compiler's messages about it */
  failures: Map<string, string[]>;
  /** diagnostics that could not be tied to a label */
  unattributed: string[];
  /** the generated file, kept for failure messages */
  source: string;
  elapsedMs: number;
}

/** The type names (package or Node.js) a declaration line mentions. */
function referencedTypes(d: DocDecl): string[] {
  /* drop string literals and property keys ("ret:", "perrno?:") before looking */
  const body = d.text
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/^declare function [\w$]+/, "")
    .replace(/^(?:export )?(?:type|interface) [\w$]+/, "");
  const names = new Set<string>();
  for (const m of body.matchAll(/(?<![.\w$])([A-Z][\w$]*)\b(?!\s*\??:)/g)) {
    const n = m[1];
    if (GLOBAL_TYPES.has(n) || d.typeParams.includes(n)) continue;
    names.add(n);
  }
  return [...names];
}

/** Rename the declared name of a line to `to`. */
function renamed(d: DocDecl, to: string): string {
  if (d.kind === "function") return d.text.replace(/^declare function [\w$]+/, `declare function ${to}`);
  if (d.kind === "interface") return d.text.replace(/^(?:export )?interface [\w$]+/, `interface ${to}`);
  return d.text.replace(/^(?:export )?type [\w$]+/, `type ${to}`);
}

/**
 * Write the check program for items, compile it with the project's tsc, and
 * attribute every diagnostic to an item label.
 *  - packageEntry: the .js file whose .d.ts is the package root (dist/index.js)
 *  - projectRoot: where node_modules/typescript and @types live
 */
export function runCheck(items: CheckItem[], packageEntry: string, projectRoot: string): CheckResult {
  const started = Date.now();
  const out: string[] = [];
  const lineLabel = new Map<number, string>();
  const emit = (text: string, label?: string): void => {
    out.push(text);
    if (label !== undefined) lineLabel.set(out.length, label);
  };

  emit("// generated by test/docs/sigcheck.ts: documented signatures vs. the package");
  emit(`import * as real from ${JSON.stringify(packageEntry)};`);
  emit("type __Eq<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;");
  emit("interface __A0 { readonly __a0: 0 }");
  emit("interface __A1 { readonly __a1: 1 }");
  emit("interface __A2 { readonly __a2: 2 }");
  emit("interface __A3 { readonly __a3: 3 }");

  /* one import per referenced name, so a missing export is pinned to its name */
  const imported = new Set<string>();
  for (const it of items) {
    for (const n of referencedTypes(it.decl)) {
      if (imported.has(n)) continue;
      imported.add(n);
      const from = EXTERNAL_TYPES[n] ?? packageEntry;
      emit(`import type { ${n} } from ${JSON.stringify(from)};`, `type ${n} (used by a documented signature)`);
    }
  }

  /* documented declarations, renamed; overloads of one name stay together */
  const groups = new Map<string, CheckItem[]>();
  items.forEach((it, i) => {
    const key = `${it.label}\u0000${it.decl.kind}`;
    const g = groups.get(key);
    if (g !== undefined) g.push(it);
    else groups.set(key, [it]);
    void i;
  });
  let n = 0;
  for (const [, group] of groups) {
    const first = group[0];
    const local = `__doc${n++}_${first.decl.name}`;
    for (const it of group) {
      for (const l of renamed(it.decl, local).split("\n")) emit(l, it.label);
    }
    if (first.decl.kind === "function") {
      emit(`const __check${n}: __Eq<typeof real.${first.decl.name}, typeof ${local}> = true;`, first.label);
    } else {
      const args = first.decl.typeParams.length === 0
        ? ""
        : `<${first.decl.typeParams.map((_, k) => `__A${k}`).join(", ")}>`;
      emit(`const __check${n}: __Eq<real.${first.decl.name}${args}, ${local}${args}> = true;`, first.label);
    }
  }
  emit("export {};");
  const source = out.join("\n") + "\n";

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tevent-tsocket-sigcheck-"));
  try {
    fs.writeFileSync(path.join(dir, "check.ts"), source);
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "node16",
        moduleResolution: "node16",
        lib: ["ES2022"],
        types: ["node"],
        typeRoots: [path.join(projectRoot, "node_modules", "@types")],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        noUnusedLocals: false,
      },
      files: ["check.ts"],
    }, null, 2));
    const tsc = path.join(projectRoot, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json"), "--pretty", "false"], {
      encoding: "utf8",
      cwd: dir,
    });
    if (r.error !== undefined) throw r.error;
    const failures = new Map<string, string[]>();
    const unattributed: string[] = [];
    /* tsc prints "check.ts(12,7): error TS2322: ..." plus indented continuation lines */
    let last: string[] | null = null;
    for (const line of (r.stdout + r.stderr).split("\n")) {
      if (line.trim() === "") continue;
      const m = /^check\.ts\((\d+),(\d+)\): (error .*)$/.exec(line);
      if (m !== null) {
        const label = lineLabel.get(Number(m[1]));
        const msg = `${m[3]}\n      ${out[Number(m[1]) - 1]}`;
        if (label === undefined) {
          unattributed.push(`line ${m[1]}: ${msg}`);
          last = unattributed;
        } else {
          const list = failures.get(label) ?? [];
          list.push(msg);
          failures.set(label, list);
          last = list;
        }
      } else if (/^\s/.test(line) && last !== null && last.length > 0) {
        last[last.length - 1] += `\n${line}`;
      } else {
        unattributed.push(line);
        last = unattributed;
      }
    }
    if (r.status !== 0 && failures.size === 0 && unattributed.length === 0) {
      unattributed.push(`tsc exited with status ${String(r.status)} and said nothing`);
    }
    return { failures, unattributed, source, elapsedMs: Date.now() - started };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The exported functions the documents must cover (classes are not functions here). */
export function exportedFunctionNames(pkg: Record<string, unknown>): string[] {
  return Object.keys(pkg)
    .filter((k) => /^(tevent|tstream|tdgram|tsocket|talloc)/i.test(k))
    .filter((k) => {
      const v = pkg[k];
      return typeof v === "function" && !/^class[\s{]/.test(Function.prototype.toString.call(v));
    })
    .sort();
}

/** Exported names (from exportedFunctionNames) that no document declares. */
export function undocumented(exported: string[], documented: Iterable<string>): string[] {
  const doc = new Set(documented);
  return exported.filter((n) => !doc.has(n));
}

/** Altered copies of a declaration that the check must reject. */
export function mutants(d: DocDecl): { how: string; decl: DocDecl }[] {
  if (d.kind !== "function") return [];
  const res: { how: string; decl: DocDecl }[] = [];
  /* 1. the result type gains a member */
  res.push({ how: "result type changed", decl: { ...d, text: d.text.replace(/;\s*$/, " | symbol;") } });
  /* 2. the first `number` (a parameter, or the result) becomes a string */
  if (/:\s*number\b/.test(d.text)) {
    res.push({ how: "number became string", decl: { ...d, text: d.text.replace(/(:\s*)number\b/, "$1string") } });
  }
  /* 3. one more, required parameter */
  res.push({
    how: "extra parameter",
    decl: { ...d, text: d.text.replace(/\(([^()]*?)\)(\s*:)/, (_m, p: string, c: string) => `(${p}${p.trim() === "" ? "" : ", "}extra: symbol)${c}`) },
  });
  return res;
}
