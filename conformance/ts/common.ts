// Shared helpers for the TypeScript conformance scenarios: the same canonical
// trace lines as conformance/c/common.h, written against the public API only.
import {
  TEVENT_REQ_INIT, TEVENT_REQ_IN_PROGRESS, TEVENT_REQ_DONE, TEVENT_REQ_USER_ERROR,
  TEVENT_REQ_TIMED_OUT, TEVENT_REQ_NO_MEMORY, TEVENT_REQ_RECEIVED,
  TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_DETACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER,
  TEVENT_TRACE_BEFORE_WAIT, TEVENT_TRACE_AFTER_WAIT, TEVENT_TRACE_BEFORE_LOOP_ONCE,
  TEVENT_TRACE_AFTER_LOOP_ONCE,
  tallocNew, tallocSetDestructor, teventLoopOnce, teventLoopWait, teventReqIsError,
  teventFdRead, teventFdWrite,
} from "tevent-tsocket";
import type { TeventContext, TeventReq, TeventFd } from "tevent-tsocket";
import { performance } from "node:perf_hooks";

const lines: string[] = [];

export function T(line: string): void {
  lines.push(line);
  process.stdout.write(line + "\n");
}

export function SECTION(name: string): void {
  T(`== ${name}`);
}

const names = new Map<unknown, string>();

export function reg(p: unknown, n: string): void {
  names.set(p, n);
}

export function nm(p: unknown): string {
  if (p === null || p === undefined) {
    return "NULL";
  }
  return names.get(p) ?? "?";
}

// Objects are never reused in JavaScript, so no unregistration is needed.
export const regAuto = reg;

let pendingLabel: string | null = null;
export function LABEL(n: string | null): void {
  pendingLabel = n;
}

export function nmTrace(p: unknown, attach: boolean): string {
  let n = nm(p);
  if (n === "?" && attach && pendingLabel !== null) {
    reg(p, pendingLabel);
    n = pendingLabel;
    pendingLabel = null;
  }
  return n;
}

export function stateName(s: number | null | undefined): string {
  switch (s) {
    case TEVENT_REQ_INIT: return "TEVENT_REQ_INIT";
    case TEVENT_REQ_IN_PROGRESS: return "TEVENT_REQ_IN_PROGRESS";
    case TEVENT_REQ_DONE: return "TEVENT_REQ_DONE";
    case TEVENT_REQ_USER_ERROR: return "TEVENT_REQ_USER_ERROR";
    case TEVENT_REQ_TIMED_OUT: return "TEVENT_REQ_TIMED_OUT";
    case TEVENT_REQ_NO_MEMORY: return "TEVENT_REQ_NO_MEMORY";
    case TEVENT_REQ_RECEIVED: return "TEVENT_REQ_RECEIVED";
  }
  return "TEVENT_REQ_?";
}

export function eventTraceName(p: number): string {
  switch (p) {
    case TEVENT_EVENT_TRACE_ATTACH: return "ATTACH";
    case TEVENT_EVENT_TRACE_DETACH: return "DETACH";
    case TEVENT_EVENT_TRACE_BEFORE_HANDLER: return "BEFORE_HANDLER";
  }
  return "?";
}

export function traceName(p: number): string {
  switch (p) {
    case TEVENT_TRACE_BEFORE_WAIT: return "BEFORE_WAIT";
    case TEVENT_TRACE_AFTER_WAIT: return "AFTER_WAIT";
    case TEVENT_TRACE_BEFORE_LOOP_ONCE: return "BEFORE_LOOP_ONCE";
    case TEVENT_TRACE_AFTER_LOOP_ONCE: return "AFTER_LOOP_ONCE";
  }
  return "?";
}

export function b(v: boolean): number {
  return v ? 1 : 0;
}

// C initialises state/error to 0 and prints them as tevent_req_is_error left them.
export function printIsError(label: string, req: TeventReq): void {
  const r = teventReqIsError(req);
  if (r.ret) {
    T(`${label} is_error=1 state=${stateName(r.state ?? TEVENT_REQ_INIT)} error=${r.error ?? 0}`);
  } else {
    T(`${label} is_error=0`);
  }
}

export function watch(parent: unknown, label: string): object {
  const w = tallocNew(parent as object);
  reg(w, label);
  tallocSetDestructor(w, (p: unknown) => {
    T(`destructor ${nm(p)}`);
    return 0;
  });
  return w;
}

export async function loopOnce(ev: TeventContext): Promise<void> {
  const ret = await teventLoopOnce(ev);
  T(`loop_once ret=${ret}`);
}

export async function loopWait(ev: TeventContext): Promise<void> {
  const ret = await teventLoopWait(ev);
  T(`loop_wait ret=${ret}`);
}

export function nowS(): number {
  return performance.now() / 1000;
}

// Same normalisation as print_normalised() in conformance/c/req.c.
export function normalise(s: string): string {
  return s
    .replace(/0x[0-9a-fA-F]{4,}/g, "<ptr>")
    .replace(/\(nil\)/g, "<nil>")
    .replace(/\[<ptr>\/[^\]]*\]/g, "[<ptr>/<loc>]")
    .replace(/finish\[[^\](][^\]]*\]/g, "finish[<loc>]");
}

export function run(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .then(() => process.exit(0))
    .catch((e: unknown) => {
      process.stderr.write(`scenario threw: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    });
}

// Node.js has no socketpair(): the TS scenarios use a named FIFO instead.
// sv0 is opened read-write (so it is both readable and writable, like a
// socket end), sv1 too (write-only when readOnly); bytes written to sv1 are read from sv0.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

let fifoSeq = 0;
export function fifoPair(readOnly = false): [number, number] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "conformance-fifo-"));
  const p = path.join(dir, `f${fifoSeq++}`);
  execFileSync("mkfifo", [p]);
  const c = fs.constants;
  const sv0 = fs.openSync(p, (readOnly ? c.O_RDONLY : c.O_RDWR) | c.O_NONBLOCK);
  const sv1 = fs.openSync(p, (readOnly ? c.O_WRONLY : c.O_RDWR) | c.O_NONBLOCK);
  fs.unlinkSync(p);
  fs.rmdirSync(dir);
  return [sv0, sv1];
}

export function fdWrite(fd: number, s: string): number {
  return fs.writeSync(fd, Buffer.from(s));
}

export function fdRead(fd: number, n: number): number {
  try {
    return fs.readSync(fd, Buffer.alloc(n), 0, n, null);
  } catch (e) {
    return -1;
  }
}

// read(2)/write(2) on a descriptor watched by an fd event: in Node.js the
// library owns that descriptor, so go through the fd event (teventFdRead /
// teventFdWrite have read(2)/write(2) semantics).
export function fdeRead(fde: TeventFd, n: number): number {
  return teventFdRead(fde, Buffer.alloc(n), n);
}

export function fdeWrite(fde: TeventFd, s: string): number {
  const buf = Buffer.from(s);
  return teventFdWrite(fde, buf, buf.length);
}

export function fdClose(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

export function fdState(fd: number): string {
  try {
    fs.fstatSync(fd);
    return "open";
  } catch {
    return "closed";
  }
}
