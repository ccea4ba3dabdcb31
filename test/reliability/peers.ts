// Helpers for faults.test.ts: raw Node.js peers and a listener that never
// answers (a child process that blocks its own event loop, so the kernel's
// accept queue fills and further SYNs are dropped).

import { ChildProcess, spawn } from "node:child_process";
import * as net from "node:net";

export interface RawServer { server: net.Server; port: number; accepted: net.Socket[]; next(): Promise<net.Socket> }

/** A plain Node listener on host (or a unix path); accepted sockets are kept. */
export function rawServer(where: { host: string } | { path: string }): Promise<RawServer> {
  return new Promise((resolve, reject) => {
    const accepted: net.Socket[] = [];
    const waiters: ((s: net.Socket) => void)[] = [];
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
      s.on("error", () => undefined);
      accepted.push(s);
      const w = waiters.shift();
      if (w !== undefined) w(s);
    });
    let taken = 0;
    const next = (): Promise<net.Socket> => {
      const i = taken++;
      if (i < accepted.length) return Promise.resolve(accepted[i]);
      return new Promise((r) => waiters.push(r));
    };
    server.once("error", reject);
    const opts = "host" in where ? { host: where.host, port: 0 } : { path: where.path };
    server.listen(opts, () => {
      const a = server.address();
      resolve({ server, port: typeof a === "object" && a !== null ? a.port : 0, accepted, next });
    });
  });
}

export function closeServer(s: RawServer): Promise<void> {
  for (const c of s.accepted) c.destroy();
  return new Promise((r) => s.server.close(() => r()));
}

/** A port on 127.0.0.1 nobody listens on (the kernel gave it out and took it back). */
export async function closedTcpPort(): Promise<number> {
  const s = await rawServer({ host: "127.0.0.1" });
  await closeServer(s);
  return s.port;
}

export interface DeafListener { port: number; child: ChildProcess; fillers: net.Socket[]; close(): void }

/**
 * A TCP listener on 127.0.0.1 whose accept queue is full: a child node
 * listens with backlog 1 and blocks its event loop (never accepts); fillers
 * connect until one does not complete.  After that a connect to port gets
 * no answer at all (SYNs are dropped).
 */
export async function deafListener(): Promise<DeafListener> {
  const code = `
    const net = require("net");
    const s = net.createServer();
    s.listen({ host: "127.0.0.1", port: 0, backlog: 1 }, () => {
      process.stdout.write(String(s.address().port) + "\\n", () => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      });
    });`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) resolve(Number(buf.trim()));
    });
    child.once("exit", () => reject(new Error("deaf listener exited")));
  });
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 64; i++) {
    const s = net.connect({ host: "127.0.0.1", port });
    s.on("error", () => undefined);
    fillers.push(s);
    const ok = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 150);
      s.once("connect", () => { clearTimeout(t); resolve(true); });
    });
    if (!ok) break;
  }
  return {
    port, child, fillers,
    close() {
      for (const s of fillers) s.destroy();
      child.kill("SIGKILL");
    },
  };
}

/** Let Node run its I/O phases n times. */
export async function nodeTurns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Node handles alive now (sockets, servers, child processes, timers' handles). */
export function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}
