// TLS over a comms session whose transport is an in-process pipe: the
// pluggable comms layer of async_socket_interface.txt carries a tstream,
// TLS (Node.js tls over the adapters) is wrapped around it, and the echo
// server of echo_server.ts answers over the encrypted stream.  Every byte
// on the pipe is ciphertext; the transcript shows what crossed it.
//
// Run: npm run build && node dist/examples/tls_comms_echo.js

import * as fs from "node:fs";
import * as path from "node:path";
import {
  tallocFree, tallocNew, TeventContext, teventContextInit, TeventReq, teventReqPoll, teventReqSetCallback,
  TLS_VERIFY_PEER_CA_AND_NAME, TstreamContext, tstreamReadvRecv, tstreamReadvSend, tstreamTlsAcceptRecv,
  tstreamTlsAcceptSend, tstreamTlsConnectRecv, tstreamTlsConnectSend, TstreamTlsParams, tstreamTlsParamsClient,
  tstreamTlsParamsServer, tstreamWritevRecv, tstreamWritevSend, tstreamDisconnectSend, tstreamDisconnectRecv,
} from "../index";
import { commsPipePair } from "./comms_pipe";
import { echoRecv, echoSend } from "./echo_server";

const FIXTURES = path.resolve(__dirname, "..", "..", "test", "fixtures", "tls");
const pem = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), "utf8");
const enc = new TextEncoder();
const dec = new TextDecoder();

export async function tlsCommsEcho(log: (line: string) => void): Promise<boolean> {
  const mem = tallocNew(null);
  const ev: TeventContext = teventContextInit(mem);
  const run = async (req: TeventReq): Promise<void> => {
    if (!(await teventReqPoll(req, ev))) throw new Error("tevent_req_poll failed");
  };
  try {
    const { pipe, session1, session2 } = commsPipePair(mem, mem);
    /* watch the transport: it must never carry the application bytes */
    const onWire: Uint8Array[] = [];
    pipe.onWire = (_from, bytes) => { onWire.push(bytes); };

    const server = tstreamTlsParamsServer(mem, "localhost", true, pem("server-localhost-key.pem"),
                                          pem("server-localhost.pem"), pem("ca.pem"), null, null, null);
    const client = tstreamTlsParamsClient(mem, pem("ca.pem"), null, null, TLS_VERIFY_PEER_CA_AND_NAME, "localhost");
    log(`tls params: server ret=${server.ret}, client ret=${client.ret}`);
    if (server.ret !== 0 || client.ret !== 0) return false;

    const acc = tstreamTlsAcceptSend(mem, ev, session2.stream, server.tlsp as TstreamTlsParams);
    const con = tstreamTlsConnectSend(mem, ev, session1.stream, client.tlsp as TstreamTlsParams);
    let serverStream: TstreamContext | null = null;
    teventReqSetCallback(acc, (r) => {
      const a = tstreamTlsAcceptRecv(r, mem);
      log(`server: TLS accept ret=${a.ret} perrno=${a.perrno}`);
      serverStream = a.tlsStream;
      if (serverStream !== null) {
        const echo = echoSend(mem, ev, serverStream, 100);
        teventReqSetCallback(echo, (e) => log(`server: echo ended ${echoRecv(e).ret ? "cleanly" : "with an error"}`), null);
      }
    }, null);
    await run(con);
    const c = tstreamTlsConnectRecv(con, mem);
    log(`client: TLS connect ret=${c.ret} perrno=${c.perrno} (certificate checked: CA and name "localhost")`);
    if (c.ret !== 0) return false;
    const tls = c.tlsStream as TstreamContext;

    let ok = true;
    for (const m of ["hello over TLS", "over a comms session", "over an in-process pipe"]) {
      const out = enc.encode(m);
      const w = tstreamWritevSend(mem, ev, tls, [out], 1);
      await run(w);
      const wr = tstreamWritevRecv(w);
      const back = new Uint8Array(out.length);
      const r = tstreamReadvSend(mem, ev, tls, [back], 1);
      await run(r);
      const rr = tstreamReadvRecv(r);
      const same = wr.ret === out.length && rr.ret === out.length && dec.decode(back) === m;
      ok = ok && same;
      log(`client: "${m}" -> "${dec.decode(back)}" ${same ? "ok" : "MISMATCH"}`);
    }
    const d = tstreamDisconnectSend(mem, ev, tls);
    await run(d);
    log(`client: disconnect ret=${tstreamDisconnectRecv(d).ret}`);
    await teventReqPoll(acc, ev).catch(() => false);

    const wire = Buffer.concat(onWire);
    const clear = ["hello over TLS", "comms session", "in-process pipe"].some((s) => wire.includes(s));
    log(`the pipe carried ${wire.length} bytes in ${onWire.length} sends; application text in clear: ${clear ? "YES" : "no"}`);
    return ok && !clear && wire.length > 0;
  } finally {
    tallocFree(mem);
  }
}

if (require.main === module) {
  tlsCommsEcho((l) => process.stdout.write(l + "\n")).then(
    (ok) => { process.stdout.write(ok ? "TLS echo over the comms pipe: intact\n" : "FAILED\n"); process.exitCode = ok ? 0 : 1; },
    (e) => { console.error(e); process.exitCode = 1; });
}
