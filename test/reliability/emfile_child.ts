// Run by faults.test.ts under `ulimit -n 64`: fill every free descriptor,
// then call tsocket functions that need a new one.  Prints one JSON line
// with what each call gave; an exception escaping is printed as such.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  tallocFree, tallocNew, teventContextInit, teventReqPoll, tdgramInetUdpSocket, tsocketAddressInetFromStrings,
  tsocketAddressUnixFromPath, tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend, tstreamUnixConnectRecv,
  tstreamUnixConnectSend, tstreamUnixSocketpair, TsocketAddress,
} from "../../index";

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const unixPath = process.argv[3];
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const ip = (a: string, p: number) => tsocketAddressInetFromStrings(mem, "ip", a, p).addr as TsocketAddress;
  const ux = (p: string) => tsocketAddressUnixFromPath(mem, p).addr as TsocketAddress;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "emfile-child-"));
  /* fill every descriptor left */
  const fds: number[] = [];
  let fillErr = "";
  for (;;) {
    try {
      fds.push(fs.openSync("/dev/null", "r"));
    } catch (e) {
      fillErr = (e as { code?: string }).code ?? String(e);
      break;
    }
  }
  const out: Record<string, unknown> = { fillErr, filled: fds.length };
  const guard = async (name: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
    try {
      out[name] = await fn();
    } catch (e) {
      out[name] = { exception: String(e) };
    }
  };
  await guard("tcpConnect", async () => {
    const req = tstreamInetTcpConnectSend(mem, ev, ip("127.0.0.1", 0), ip("127.0.0.1", port));
    const polled = await teventReqPoll(req, ev);
    const r = tstreamInetTcpConnectRecv(req, mem);
    return { polled, ret: r.ret, perrno: r.perrno, stream: r.stream === null ? null : "stream" };
  });
  await guard("unixConnect", async () => {
    const req = tstreamUnixConnectSend(mem, ev, ux(""), ux(unixPath));
    const polled = await teventReqPoll(req, ev);
    const r = tstreamUnixConnectRecv(req, mem);
    return { polled, ret: r.ret, perrno: r.perrno, stream: r.stream === null ? null : "stream" };
  });
  await guard("udpSocket", () => {
    const r = tdgramInetUdpSocket(ip("127.0.0.1", 0), null, mem);
    return { ret: r.ret, errno: r.errno, dgram: r.dgram === null ? null : "dgram" };
  });
  await guard("socketpair", () => {
    const r = tstreamUnixSocketpair(mem, mem);
    return { ret: r.ret, errno: r.errno };
  });
  /* free some descriptors: the same context serves again */
  for (const fd of fds.splice(0, 16)) fs.closeSync(fd);
  await guard("tcpConnectAfter", async () => {
    const req = tstreamInetTcpConnectSend(mem, ev, ip("127.0.0.1", 0), ip("127.0.0.1", port));
    const polled = await teventReqPoll(req, ev);
    const r = tstreamInetTcpConnectRecv(req, mem);
    return { polled, ret: r.ret, perrno: r.perrno };
  });
  for (const fd of fds) fs.closeSync(fd);
  tallocFree(mem);
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
}

process.on("uncaughtException", (e) => {
  process.stdout.write(JSON.stringify({ uncaught: String(e) }) + "\n");
  process.exit(3);
});
main().catch((e) => {
  process.stdout.write(JSON.stringify({ rejected: String(e) }) + "\n");
  process.exit(2);
});
