// `npm start`: the echo server of examples/echo_server.ts and a client, on
// loopback: TCP, a unix stream socket, then UDP and unix datagrams.  Prints
// a short transcript and exits 0 when every echo came back intact.

import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  strerror, tallocFree, tallocNew, TdgramContext, tdgramInetUdpSocket, tdgramRecvfromRecv, tdgramRecvfromSend,
  tdgramSendtoRecv, tdgramSendtoSend, tdgramUnixSocket, TeventContext, teventContextInit, TeventReq,
  teventReqPoll, TsocketAddress, tsocketAddressInetFromStrings, tsocketAddressString, tsocketAddressUnixFromPath,
  tstreamDisconnectRecv, tstreamDisconnectSend, tstreamInetTcpConnectRecv, tstreamInetTcpConnectSend,
  tstreamInetTcpListen, tstreamListenerAddress, TstreamContext, tstreamReadvRecv, tstreamReadvSend,
  tstreamUnixConnectRecv, tstreamUnixConnectSend, tstreamUnixListen, tstreamWritevRecv, tstreamWritevSend,
  TstreamListener, teventReqSetCallback, teventLoopUntil,
} from "../index";
import { dgramEchoRecv, dgramEchoSend, echoServerSend } from "./echo_server";

const log = (line: string): void => { process.stdout.write(line + "\n"); };
const enc = new TextEncoder();
const dec = new TextDecoder();
const MESSAGES = ["hello", "tevent", "and tsocket"];

/* run one request to completion on ev */
async function run(req: TeventReq, ev: TeventContext): Promise<void> {
  if (!(await teventReqPoll(req, ev))) throw new Error("tevent_req_poll failed");
}

async function streamClient(ev: TeventContext, stream: TstreamContext): Promise<boolean> {
  let ok = true;
  for (const m of MESSAGES) {
    const out = enc.encode(m);
    const w = tstreamWritevSend(null, ev, stream, [out], 1);
    await run(w, ev);
    const wr = tstreamWritevRecv(w);
    tallocFree(w);
    const back = new Uint8Array(out.length);
    const r = tstreamReadvSend(null, ev, stream, [back], 1);
    await run(r, ev);
    const rr = tstreamReadvRecv(r);
    tallocFree(r);
    const same = rr.ret === out.length && dec.decode(back) === m;
    ok = ok && wr.ret === out.length && same;
    log(`client: sent "${m}" (${wr.ret} bytes), got back "${dec.decode(back)}" ${same ? "ok" : "MISMATCH"}`);
  }
  const d = tstreamDisconnectSend(null, ev, stream);
  await run(d, ev);
  log(`client: disconnect ret=${tstreamDisconnectRecv(d).ret}`);
  tallocFree(d);
  return ok;
}

async function streamDemo(ev: TeventContext, kind: "tcp" | "unix", dir: string): Promise<boolean> {
  const mem = tallocNew(null);
  let listenAddr: TsocketAddress;
  let listener: TstreamListener;
  if (kind === "tcp") {
    listenAddr = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", 0).addr as TsocketAddress;
    listener = tstreamInetTcpListen(mem, listenAddr, 5).listener as TstreamListener;
  } else {
    listenAddr = tsocketAddressUnixFromPath(mem, path.join(dir, "echo.sock")).addr as TsocketAddress;
    listener = tstreamUnixListen(mem, listenAddr, 5).listener as TstreamListener;
  }
  let clientsDone = 0;
  const server = echoServerSend(mem, ev, listener, (line) => {
    if (/client \d+ (done|failed)/.test(line)) clientsDone++;
    log(line);
  });
  teventReqSetCallback(server, () => log("server: stopped"), null);
  let bound: TsocketAddress | null = null;
  for (let i = 0; i < 100 && bound === null; i++) {
    bound = tstreamListenerAddress(listener, mem);
    if (bound === null) await new Promise((r) => setTimeout(r, 1));
  }
  log(`== ${kind === "tcp" ? "TCP" : "unix stream"}: server listening on ${tsocketAddressString(bound, mem)}`);
  let ok: boolean;
  if (kind === "tcp") {
    const local = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", 0).addr as TsocketAddress;
    const c = tstreamInetTcpConnectSend(mem, ev, local, bound as TsocketAddress);
    await run(c, ev);
    const cr = tstreamInetTcpConnectRecv(c, mem);
    log(`client: connected ret=${cr.ret} from ${tsocketAddressString(cr.local, mem)}`);
    ok = cr.ret === 0 && await streamClient(ev, cr.stream as TstreamContext);
  } else {
    const local = tsocketAddressUnixFromPath(mem, "").addr as TsocketAddress;
    const c = tstreamUnixConnectSend(mem, ev, local, bound as TsocketAddress);
    await run(c, ev);
    const cr = tstreamUnixConnectRecv(c, mem);
    log(`client: connected ret=${cr.ret}`);
    ok = cr.ret === 0 && await streamClient(ev, cr.stream as TstreamContext);
  }
  /* run the loop until the server has seen the client go */
  await teventLoopUntil(ev, () => clientsDone > 0, null);
  tallocFree(mem);
  return ok;
}

async function dgramDemo(ev: TeventContext, kind: "udp" | "unix", dir: string): Promise<boolean> {
  const mem = tallocNew(null);
  let serverAddr: TsocketAddress;
  let clientAddr: TsocketAddress;
  let server: TdgramContext;
  let client: TdgramContext;
  if (kind === "udp") {
    serverAddr = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", await freeUdpPort()).addr as TsocketAddress;
    const s = tdgramInetUdpSocket(serverAddr, null, mem);
    if (s.ret !== 0) { log(`udp socket: ${strerror(s.errno)}`); return false; }
    server = s.dgram as TdgramContext;
    clientAddr = tsocketAddressInetFromStrings(mem, "ipv4", "127.0.0.1", 0).addr as TsocketAddress;
    client = tdgramInetUdpSocket(clientAddr, null, mem).dgram as TdgramContext;
  } else {
    serverAddr = tsocketAddressUnixFromPath(mem, path.join(dir, "echo.dgram")).addr as TsocketAddress;
    server = tdgramUnixSocket(serverAddr, null, mem).dgram as TdgramContext;
    clientAddr = tsocketAddressUnixFromPath(mem, path.join(dir, "client.dgram")).addr as TsocketAddress;
    client = tdgramUnixSocket(clientAddr, null, mem).dgram as TdgramContext;
  }
  const dst = serverAddr;
  log(`== ${kind === "udp" ? "UDP" : "unix datagram"}: server on ${tsocketAddressString(dst, mem)}`);
  const echo = dgramEchoSend(mem, ev, server, MESSAGES.length, log);
  let ok = true;
  for (const m of MESSAGES) {
    const out = enc.encode(m);
    const s = tdgramSendtoSend(mem, ev, client, out, out.length, dst);
    await run(s, ev);
    const sr = tdgramSendtoRecv(s);
    const r = tdgramRecvfromSend(mem, ev, client);
    await run(r, ev);
    const rr = tdgramRecvfromRecv(r, mem);
    const got = rr.buf !== null ? dec.decode(rr.buf) : "";
    const same = sr.ret === out.length && got === m;
    ok = ok && same;
    log(`client: sent "${m}", got back "${got}" from ${tsocketAddressString(rr.src, mem)} ${same ? "ok" : "MISMATCH"}`);
  }
  await run(echo, ev);
  ok = ok && dgramEchoRecv(echo).ret;
  tallocFree(mem);
  return ok;
}

/* C has no getter for a datagram socket's own address: a server binds a
 * known port.  The demo asks the kernel for a free one first. */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsocket-echo-"));
  const ev = teventContextInit(null);
  let ok = true;
  try {
    ok = (await streamDemo(ev, "tcp", dir)) && ok;
    ok = (await streamDemo(ev, "unix", dir)) && ok;
    ok = (await dgramDemo(ev, "udp", dir)) && ok;
    ok = (await dgramDemo(ev, "unix", dir)) && ok;
  } finally {
    tallocFree(ev);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log(ok ? "all echoes came back intact" : "SOME ECHOES FAILED");
  return ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
