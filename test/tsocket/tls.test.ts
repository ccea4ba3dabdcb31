// TLS over any tstream (tsocket/tls.ts, the shape of Samba's
// source4/lib/tls/tls_tstream.c) on Node's own TLS.  The certificates are
// fixed files in test/fixtures/tls (see generate.sh there): a CA with its
// CRL, server certificates for "localhost" and "wrong.example", a client
// certificate, an expired, a revoked and a self-signed one.

import { expect } from "chai";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import {
  EACCES, EBUSY, EINVAL, EIO, ENOENT, ENOTCONN, EPIPE, getErrno, tallocFree, tallocNew, tallocSteal, TeventContext,
  teventContextInit, TeventReq, teventReqIsInProgress, teventReqPoll, teventReqSetCallback,
  TsocketAddress, tsocketAddressInetFromStrings, tsocketAddressInetPort, TstreamContext, TstreamContextOps,
  tstreamContextCreate, tstreamContextData, tstreamDisconnectRecv, tstreamDisconnectSend, tstreamPendingBytes,
  tstreamReadvRecv, tstreamReadvSend, tstreamWritevRecv, tstreamWritevSend,
  tstreamInetTcpListen, tstreamAcceptSend, tstreamAcceptRecv, tstreamInetTcpConnectSend, tstreamInetTcpConnectRecv,
  tstreamListenerAddress, tstreamListenReadySend, tstreamListenReadyRecv, TstreamListener,
  tsocketSimpleIntRecv, teventReqCreate, teventReqDone, teventReqError, teventReqReceived, teventLoopUntil,
  teventTimevalCurrentOfs, teventWakeupSend,
} from "../../index";
import { TSTREAM_DUPLEX_READ_BUFFER_LIMIT, tstreamToDuplex } from "../../tsocket/duplex";
import {
  TLS_DEFAULT_PRIORITY, TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE, TLS_VERIFY_PEER_CA_AND_NAME,
  TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE, TLS_VERIFY_PEER_CA_ONLY, TLS_VERIFY_PEER_NO_CHECK,
  tlsVerifyPeerString, tstreamTlsAcceptRecv, tstreamTlsAcceptSend, tstreamTlsConnectRecv, tstreamTlsConnectSend,
  TstreamTlsParams, tstreamTlsParamsClient, tstreamTlsParamsEnabled, tstreamTlsParamsServer, TstreamTls,
  TSTREAM_TLS_WRITE_PIECE,
} from "../../tsocket/tls";
import { MemstreamEnd, memstreamPair } from "./memstream";
import { unixPair } from "./bsd/pairs";

const FIX = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "tls");
const fix = (name: string): string => path.join(FIX, name);
const pem = (name: string): string => fs.readFileSync(fix(name), "utf8");

/* A tstream that forwards to another and keeps a copy of every byte that
 * went through it, both ways: what an eavesdropper on the wire sees. */
interface Tap { inner: TstreamContext; sent: Buffer[]; received: Buffer[] }

class TapOpState {
  inner: TeventReq | null = null;
  ret = 0;
  constructor(readonly vector: Uint8Array[]) {}
}

function tapOp(write: boolean) {
  return (memCtx: object | null, ev: TeventContext, stream: TstreamContext, vector: Uint8Array[], count: number): TeventReq => {
    const tap = tstreamContextData(stream) as Tap;
    const state = new TapOpState(vector.slice(0, count));
    const req = teventReqCreate(memCtx, state);
    const sub = write ? tstreamWritevSend(state, ev, tap.inner, state.vector, count)
      : tstreamReadvSend(state, ev, tap.inner, state.vector, count);
    teventReqSetCallback(sub, (s: TeventReq) => {
      const { ret, perrno } = write ? tstreamWritevRecv(s) : tstreamReadvRecv(s);
      tallocFree(s);
      if (ret === -1) {
        teventReqError(req, perrno);
        return;
      }
      const copy = Buffer.concat(state.vector.map((v) => Buffer.from(v)));
      (write ? tap.sent : tap.received).push(copy);
      state.ret = ret;
      teventReqDone(req);
    });
    return req;
  };
}

function tapRecv(req: TeventReq): { ret: number; perrno: number } {
  let { ret, perrno } = tsocketSimpleIntRecv(req);
  if (ret === 0) ret = (req.data as TapOpState).ret;
  teventReqReceived(req);
  return { ret, perrno };
}

const tapOps: TstreamContextOps = {
  name: "tap",
  pendingBytes: (s) => tstreamPendingBytes((tstreamContextData(s) as Tap).inner),
  readvSend: tapOp(false),
  readvRecv: tapRecv,
  writevSend: tapOp(true),
  writevRecv: tapRecv,
  disconnectSend: (memCtx, ev, s) => tstreamDisconnectSend(memCtx, ev, (tstreamContextData(s) as Tap).inner),
  disconnectRecv: tstreamDisconnectRecv,
};

/* The tap owns the stream it taps: freeing it closes the wire. */
function tap(memCtx: object, inner: TstreamContext): { stream: TstreamContext; tap: Tap } {
  const t: Tap = { inner, sent: [], received: [] };
  const stream = tstreamContextCreate(memCtx, tapOps, t);
  tallocSteal(stream, inner);
  return { stream, tap: t };
}

function contains(chunks: Buffer[], needle: Buffer): boolean {
  return Buffer.concat(chunks).indexOf(needle) !== -1;
}

describe("TLS over a tstream (extension: tsocket/tls.ts, Samba's tls_tstream.c on node:tls)", function () {
  let mem: object;
  let ev: TeventContext;

  beforeEach(() => {
    mem = tallocNew(null);
    ev = teventContextInit(mem);
  });

  afterEach(() => {
    tallocFree(mem);
  });

  function socketpair(): [TstreamContext, TstreamContext] {
    return unixPair(mem);
  }

  function client(verify: number, peerName: string | null = "localhost", ca: string | null = fix("ca.pem"),
                  crl: string | null = fix("crl.pem"), prio: string | null = null): TstreamTlsParams {
    const r = tstreamTlsParamsClient(mem, ca, crl, prio, verify, peerName);
    expect(r.errno, "client params").to.equal(0);
    return r.tlsp as TstreamTlsParams;
  }

  function server(cert = "server-localhost", prio: string | null = null): TstreamTlsParams {
    /* the key as PEM text: a checked-out key file is not mode 0600 */
    const r = tstreamTlsParamsServer(mem, "localhost", true, pem(`${cert}-key.pem`), fix(`${cert}.pem`),
                                     fix("ca.pem"), null, null, prio);
    expect(r.errno, "server params").to.equal(0);
    return r.tlsp as TstreamTlsParams;
  }

  async function handshake(c: TstreamContext, s: TstreamContext, ctlsp: TstreamTlsParams, stlsp: TstreamTlsParams):
      Promise<{ c: { ret: number; perrno: number; tlsStream: TstreamContext | null };
                s: { ret: number; perrno: number; tlsStream: TstreamContext | null } }> {
    const creq = tstreamTlsConnectSend(mem, ev, c, ctlsp);
    const sreq = tstreamTlsAcceptSend(mem, ev, s, stlsp);
    expect(await teventReqPoll(creq, ev)).to.equal(true);
    const cr = tstreamTlsConnectRecv(creq, mem);
    /* a refused server finished its side of the handshake (TLS 1.3) or
     * waits for a peer that went away: free the client's plain stream */
    if (cr.ret === -1) tallocFree(c);
    expect(await teventReqPoll(sreq, ev)).to.equal(true);
    const sr = tstreamTlsAcceptRecv(sreq, mem);
    return { c: cr, s: sr };
  }

  async function writev(stream: TstreamContext, bufs: Uint8Array[]): Promise<{ ret: number; perrno: number }> {
    const req = tstreamWritevSend(mem, ev, stream, bufs, bufs.length);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return tstreamWritevRecv(req);
  }

  async function readv(stream: TstreamContext, n: number): Promise<{ ret: number; perrno: number; buf: Buffer }> {
    const buf = Buffer.alloc(n);
    const req = tstreamReadvSend(mem, ev, stream, [buf], 1);
    expect(await teventReqPoll(req, ev)).to.equal(true);
    return { ...tstreamReadvRecv(req), buf };
  }

  async function roundTrip(c: TstreamContext, s: TstreamContext): Promise<void> {
    const hello = Buffer.from("hello over TLS");
    expect(await writev(c, [hello.subarray(0, 5), hello.subarray(5)])).to.deep.equal({ ret: 14, perrno: 0 });
    const r = await readv(s, 14);
    expect(r.ret).to.equal(14);
    expect(r.buf.toString()).to.equal("hello over TLS");
    expect(await writev(s, [Buffer.from("and back")])).to.deep.equal({ ret: 8, perrno: 0 });
    const b = await readv(c, 8);
    expect(b.ret).to.equal(8);
    expect(b.buf.toString()).to.equal("and back");
  }

  describe("parameters (tstream_tls_params_client/_server)", () => {
    it("the verify-peer modes have tls.h's values and strings; the default is the strictest", () => {
      expect([TLS_VERIFY_PEER_NO_CHECK, TLS_VERIFY_PEER_CA_ONLY, TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE,
              TLS_VERIFY_PEER_CA_AND_NAME, TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE]).to.deep.equal([0, 10, 20, 30, 9999]);
      expect([0, 10, 20, 30, 9999, 5].map(tlsVerifyPeerString)).to.deep.equal([
        "no_check", "ca_only", "ca_and_name_if_available", "ca_and_name", "as_strict_as_possible",
        "unknown tls_verify_peer_state"]);
      const r = tstreamTlsParamsClient(mem, fix("ca.pem"), fix("crl.pem"), null, undefined, "localhost");
      expect(r.ret).to.equal(0);
      expect(r.errno).to.equal(0);
      const tlsp = r.tlsp as TstreamTlsParams;
      expect(tlsp.verifyPeer).to.equal(TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE);
      expect(tlsp.tlsPriority).to.equal(TLS_DEFAULT_PRIORITY);
      expect(tstreamTlsParamsEnabled(tlsp)).to.equal(true);
    });

    it("client: EINVAL without a name (CA_AND_NAME and up), a CA (CA_ONLY and up) or a CRL (AS_STRICT_AS_POSSIBLE)", () => {
      expect(tstreamTlsParamsClient(mem, fix("ca.pem"), fix("crl.pem"), null, TLS_VERIFY_PEER_CA_AND_NAME, null))
        .to.deep.equal({ ret: -1, errno: EINVAL, tlsp: null });
      expect(getErrno()).to.equal(EINVAL);
      expect(tstreamTlsParamsClient(mem, null, null, null, TLS_VERIFY_PEER_CA_ONLY, null).errno).to.equal(EINVAL);
      expect(tstreamTlsParamsClient(mem, fix("ca.pem"), null, null, TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE,
                                    "localhost").errno).to.equal(EINVAL);
      /* enough for the mode asked */
      expect(tstreamTlsParamsClient(mem, fix("ca.pem"), null, null, TLS_VERIFY_PEER_CA_AND_NAME, "localhost").ret).to.equal(0);
      expect(tstreamTlsParamsClient(mem, null, null, null, TLS_VERIFY_PEER_NO_CHECK, null).ret).to.equal(0);
      expect(tstreamTlsParamsClient(mem, fix("ca.pem"), null, null, TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE, null).ret)
        .to.equal(0);
    });

    it("client: a missing file is ENOENT, one that is not the PEM it should be EINVAL; PEM text works as a file", () => {
      expect(tstreamTlsParamsClient(mem, fix("nope.pem"), null, null, TLS_VERIFY_PEER_CA_ONLY, null))
        .to.deep.equal({ ret: -1, errno: ENOENT, tlsp: null });
      expect(getErrno()).to.equal(ENOENT);
      expect(tstreamTlsParamsClient(mem, fix("ca.pem"), fix("nope.crl"), null, TLS_VERIFY_PEER_CA_ONLY, null).errno)
        .to.equal(ENOENT);
      /* a key where a certificate should be; a certificate where a CRL should be */
      expect(tstreamTlsParamsClient(mem, fix("ca-key.pem"), null, null, TLS_VERIFY_PEER_CA_ONLY, null).errno).to.equal(EINVAL);
      expect(tstreamTlsParamsClient(mem, fix("ca.pem"), fix("ca.pem"), null, TLS_VERIFY_PEER_CA_ONLY, null).errno)
        .to.equal(EINVAL);
      expect(tstreamTlsParamsClient(mem, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", null, null,
                                    TLS_VERIFY_PEER_CA_ONLY, null).errno).to.equal(EINVAL);
      const r = tstreamTlsParamsClient(mem, pem("ca.pem"), pem("crl.pem"), null, TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE,
                                       "localhost");
      expect(r.ret).to.equal(0);
      expect((r.tlsp as TstreamTlsParams).ca).to.equal(pem("ca.pem"));
    });

    it("server: disabled (ret 0) when not enabled or without a key file, as in C", () => {
      for (const r of [
        tstreamTlsParamsServer(mem, "localhost", false, fix("server-localhost-key.pem"), fix("server-localhost.pem"),
                               fix("ca.pem"), null, null, null),
        tstreamTlsParamsServer(mem, "localhost", true, "", fix("server-localhost.pem"), fix("ca.pem"), null, null, null),
        tstreamTlsParamsServer(mem, "localhost", true, null, null, null, null, null, null),
      ]) {
        expect(r.ret).to.equal(0);
        expect(tstreamTlsParamsEnabled(r.tlsp as TstreamTlsParams)).to.equal(false);
      }
    });

    it("server: a key file must be mode 0600 (EACCES, CVE-2013-4476); bad or mismatched files are EINVAL, missing ENOENT", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tstream-tls-test-"));
      try {
        const key = path.join(dir, "key.pem");
        fs.writeFileSync(key, pem("server-localhost-key.pem"), { mode: 0o644 });
        fs.chmodSync(key, 0o644);
        const args = [fix("server-localhost.pem"), fix("ca.pem"), fix("crl.pem"), fix("dh.pem"), null] as const;
        expect(tstreamTlsParamsServer(mem, "localhost", true, key, ...args)).to.deep.equal({ ret: -1, errno: EACCES, tlsp: null });
        fs.chmodSync(key, 0o600);
        const ok = tstreamTlsParamsServer(mem, "localhost", true, key, ...args);
        expect(ok.ret).to.equal(0);
        expect(tstreamTlsParamsEnabled(ok.tlsp as TstreamTlsParams)).to.equal(true);
        /* the client's key with the server's certificate */
        expect(tstreamTlsParamsServer(mem, "localhost", true, pem("client-key.pem"), ...args).errno).to.equal(EINVAL);
        expect(tstreamTlsParamsServer(mem, "localhost", true, key, fix("nope.pem"), fix("ca.pem"), null, null, null).errno)
          .to.equal(ENOENT);
        expect(tstreamTlsParamsServer(mem, "localhost", true, key, fix("server-localhost.pem"), fix("ca.pem"), null,
                                      fix("ca.pem"), null).errno).to.equal(EINVAL);
        expect(tstreamTlsParamsServer(mem, "localhost", true, fix("ca.pem"), fix("server-localhost.pem"), null, null,
                                      null, null).errno).to.equal(EACCES);
        expect(tstreamTlsParamsServer(mem, "localhost", true, pem("ca.pem"), fix("server-localhost.pem"), null, null,
                                      null, null).errno).to.equal(EINVAL);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("round trips", () => {
    it("over a socketpair, verified as strictly as possible (CA, CRL, name); pending bytes; disconnect is EPIPE for the peer", async () => {
      const [p1, p2] = socketpair();
      const { c, s } = await handshake(p1, p2, client(TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE), server());
      expect([c.ret, c.perrno, s.ret, s.perrno]).to.deep.equal([0, 0, 0, 0]);
      const ct = c.tlsStream as TstreamContext;
      const st = s.tlsStream as TstreamContext;
      expect(ct.ops.name).to.equal("tls");
      expect(ct.privateData).to.be.instanceOf(TstreamTls);
      await roundTrip(ct, st);
      expect(tstreamPendingBytes(st)).to.equal(0);
      expect(await writev(ct, [Buffer.from("0123456789")])).to.deep.equal({ ret: 10, perrno: 0 });
      const r4 = await readv(st, 4);
      expect(r4.buf.toString()).to.equal("0123");
      expect(tstreamPendingBytes(st)).to.equal(6);
      const dreq = tstreamDisconnectSend(mem, ev, ct);
      expect(await teventReqPoll(dreq, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(dreq)).to.deep.equal({ ret: 0, perrno: 0 });
      /* close_notify: the bytes sent before it, then the end of the stream */
      const rest = await readv(st, 7);
      expect(rest.ret).to.equal(-1);
      expect(rest.perrno).to.equal(EPIPE);
      expect(rest.buf.subarray(0, 6).toString()).to.equal("456789");
      expect((await readv(st, 1)).perrno).to.equal(EPIPE); /* sticky */
      expect((await readv(ct, 1)).perrno).to.equal(ENOTCONN);
      expect((await writev(ct, [Buffer.from("x")])).perrno).to.equal(ENOTCONN);
      /* the plain stream stays the caller's, free for use */
      expect((await writev(p1, [Buffer.from("plain")])).ret).to.equal(5);
    });

    it("over TCP (tstreamInetTcpListen/accept + tstreamInetTcpConnect), both ways, CA_AND_NAME", async () => {
      const local = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", 0).addr as TsocketAddress;
      const l = tstreamInetTcpListen(mem, local, 5);
      expect(l.ret).to.equal(0);
      const listener = l.listener as TstreamListener;
      const ready = tstreamListenReadySend(mem, ev, listener);
      expect(await teventReqPoll(ready, ev)).to.equal(true);
      expect(tstreamListenReadyRecv(ready).ret).to.equal(0);
      const port = tsocketAddressInetPort(tstreamListenerAddress(listener, mem) as TsocketAddress);
      const remote = tsocketAddressInetFromStrings(mem, "ip", "127.0.0.1", port).addr as TsocketAddress;
      const acc = tstreamAcceptSend(mem, ev, listener);
      const con = tstreamInetTcpConnectSend(mem, ev, local, remote);
      expect(await teventReqPoll(con, ev)).to.equal(true);
      const cs = tstreamInetTcpConnectRecv(con, mem).stream as TstreamContext;
      expect(await teventReqPoll(acc, ev)).to.equal(true);
      const ss = tstreamAcceptRecv(acc, mem).stream as TstreamContext;
      const { c, s } = await handshake(cs, ss, client(TLS_VERIFY_PEER_CA_AND_NAME, "localhost", fix("ca.pem"), null), server());
      expect([c.ret, s.ret]).to.deep.equal([0, 0]);
      await roundTrip(c.tlsStream as TstreamContext, s.tlsStream as TstreamContext);
    });

    it("nothing travels in clear: the plain stream carries neither the application bytes nor their reply", async () => {
      const [p1, p2] = socketpair();
      const t = tap(mem, p1);
      const { c, s } = await handshake(t.stream, p2, client(TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE), server());
      expect([c.ret, s.ret]).to.deep.equal([0, 0]);
      const secret = Buffer.from("the secret password is swordfish");
      const answer = Buffer.from("the answer is forty-two");
      expect((await writev(c.tlsStream as TstreamContext, [secret])).ret).to.equal(secret.length);
      expect((await readv(s.tlsStream as TstreamContext, secret.length)).buf).to.deep.equal(secret);
      expect((await writev(s.tlsStream as TstreamContext, [answer])).ret).to.equal(answer.length);
      expect((await readv(c.tlsStream as TstreamContext, answer.length)).buf).to.deep.equal(answer);
      const sent = Buffer.concat(t.tap.sent).length;
      const received = Buffer.concat(t.tap.received).length;
      expect(sent).to.be.greaterThan(secret.length);
      expect(received).to.be.greaterThan(answer.length);
      expect(contains(t.tap.sent, secret)).to.equal(false);
      expect(contains(t.tap.received, answer)).to.equal(false);
      expect(contains(t.tap.sent, Buffer.from("swordfish"))).to.equal(false);
    });
  });

  describe("refused peers: connect fails with EINVAL and nothing is sent in clear", () => {
    const cases: Array<{ name: string; cert: string; verify: number; peer: string | null; ca?: string; crl?: string | null; errno: number }> = [
      { name: "a certificate from another CA (CA_ONLY)", cert: "server-localhost", verify: TLS_VERIFY_PEER_CA_ONLY,
        peer: null, ca: "other-ca.pem", crl: null, errno: EINVAL },
      { name: "a self-signed certificate (CA_ONLY)", cert: "selfsigned", verify: TLS_VERIFY_PEER_CA_ONLY, peer: null,
        crl: null, errno: EINVAL },
      { name: "an expired certificate (CA_ONLY)", cert: "expired", verify: TLS_VERIFY_PEER_CA_ONLY, peer: null,
        crl: null, errno: EINVAL },
      { name: "a revoked certificate (CA_ONLY with the CRL)", cert: "revoked", verify: TLS_VERIFY_PEER_CA_ONLY, peer: null,
        errno: EINVAL },
      { name: "a revoked certificate, strictest", cert: "revoked", verify: TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE,
        peer: "localhost", errno: EINVAL },
      { name: "the wrong name (CA_AND_NAME)", cert: "server-wrong", verify: TLS_VERIFY_PEER_CA_AND_NAME,
        peer: "localhost", crl: null, errno: EINVAL },
      { name: "the wrong name (CA_AND_NAME_IF_AVAILABLE, a DNS name given)", cert: "server-wrong",
        verify: TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE, peer: "localhost", crl: null, errno: EINVAL },
      { name: "an IP address as the name (CA_AND_NAME needs a DNS name)", cert: "server-localhost",
        verify: TLS_VERIFY_PEER_CA_AND_NAME, peer: "127.0.0.1", crl: null, errno: EINVAL },
      /* accepted */
      { name: "the wrong name with CA_ONLY: accepted", cert: "server-wrong", verify: TLS_VERIFY_PEER_CA_ONLY,
        peer: "localhost", crl: null, errno: 0 },
      { name: "the wrong name with CA_AND_NAME_IF_AVAILABLE and an IP address: accepted", cert: "server-wrong",
        verify: TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE, peer: "127.0.0.1", crl: null, errno: 0 },
      { name: "a revoked certificate with CA_ONLY and no CRL: accepted", cert: "revoked", verify: TLS_VERIFY_PEER_CA_ONLY,
        peer: null, crl: null, errno: 0 },
      { name: "NO_CHECK: a self-signed certificate accepted", cert: "selfsigned", verify: TLS_VERIFY_PEER_NO_CHECK,
        peer: "wrong.example", ca: "other-ca.pem", crl: null, errno: 0 },
      { name: "NO_CHECK: an expired certificate with the wrong name accepted", cert: "expired",
        verify: TLS_VERIFY_PEER_NO_CHECK, peer: "wrong.example", crl: null, errno: 0 },
      { name: "NO_CHECK without any CA: accepted", cert: "server-wrong", verify: TLS_VERIFY_PEER_NO_CHECK, peer: null,
        ca: "", crl: null, errno: 0 },
    ];
    for (const k of cases) {
      it(`${k.name}${k.errno !== 0 ? ": EINVAL" : ""}`, async () => {
        const [p1, p2] = socketpair();
        const t = tap(mem, p1);
        const ca = k.ca === "" ? null : fix(k.ca ?? "ca.pem");
        const crl = k.crl === undefined ? fix("crl.pem") : k.crl;
        const { c, s } = await handshake(t.stream, p2, client(k.verify, k.peer, ca, crl), server(k.cert));
        expect([c.ret, c.perrno]).to.deep.equal(k.errno === 0 ? [0, 0] : [-1, k.errno]);
        const secret = Buffer.from("application secret");
        if (k.errno !== 0) {
          expect(c.tlsStream).to.equal(null);
          /* the server finished its half (or saw the client go): no
           * application byte ever reaches it */
          if (s.ret === 0) {
            const r = await readv(s.tlsStream as TstreamContext, 1);
            expect(r.ret).to.equal(-1);
            expect(r.perrno).to.be.oneOf([EPIPE, EIO]);
          } else {
            expect(s.perrno).to.be.oneOf([EPIPE, EIO]);
          }
        } else {
          expect((await writev(c.tlsStream as TstreamContext, [secret])).ret).to.equal(secret.length);
          expect((await readv(s.tlsStream as TstreamContext, secret.length)).buf).to.deep.equal(secret);
        }
        expect(t.tap.sent.length).to.be.greaterThan(0); /* a handshake did go out */
        expect(contains(t.tap.sent, secret)).to.equal(false);
      });
    }
  });

  describe("failures", () => {
    it("no protocol version in common: EIO on both sides (a TLS failure, not a refused peer)", async () => {
      const [p1, p2] = socketpair();
      const { c, s } = await handshake(p1, p2, client(TLS_VERIFY_PEER_CA_ONLY, null, fix("ca.pem"), null, "NORMAL:-VERS-TLS1.3"),
                                       server("server-localhost", "NORMAL:-VERS-TLS1.2"));
      expect([c.ret, c.perrno]).to.deep.equal([-1, EIO]);
      expect([s.ret, s.perrno]).to.deep.equal([-1, EIO]);
    });

    it("an unusable priority string, or disabled server parameters: EINVAL from the loop, the plain stream untouched", async () => {
      const [p1] = socketpair();
      const bad = client(TLS_VERIFY_PEER_NO_CHECK, null, null, null, "NOT-A-PRIORITY:+FOO");
      const req = tstreamTlsConnectSend(mem, ev, p1, bad);
      let called = false;
      teventReqSetCallback(req, () => { called = true; });
      expect(called).to.equal(false);
      expect(await teventReqPoll(req, ev)).to.equal(true);
      expect(tstreamTlsConnectRecv(req, mem)).to.deep.equal({ ret: -1, perrno: EINVAL, tlsStream: null });
      const off = tstreamTlsParamsServer(mem, "localhost", false, null, null, null, null, null, null).tlsp as TstreamTlsParams;
      const acc = tstreamTlsAcceptSend(mem, ev, p1, off);
      expect(await teventReqPoll(acc, ev)).to.equal(true);
      expect(tstreamTlsAcceptRecv(acc, mem)).to.deep.equal({ ret: -1, perrno: EINVAL, tlsStream: null });
      /* client parameters on the accepting side */
      const acc2 = tstreamTlsAcceptSend(mem, ev, p1, client(TLS_VERIFY_PEER_NO_CHECK, null, null, null));
      expect(await teventReqPoll(acc2, ev)).to.equal(true);
      expect(tstreamTlsAcceptRecv(acc2, mem).perrno).to.equal(EINVAL);
      expect((await writev(p1, [Buffer.from("x")])).ret).to.equal(1);
    });

    it("the plain stream ends during the handshake: the plain stream's EPIPE is passed on", async () => {
      const [p1, p2] = socketpair();
      const acc = tstreamTlsAcceptSend(mem, ev, p2, server());
      tallocFree(p1);
      expect(await teventReqPoll(acc, ev)).to.equal(true);
      expect(tstreamTlsAcceptRecv(acc, mem)).to.deep.equal({ ret: -1, perrno: EPIPE, tlsStream: null });
    });

    it("a connect request freed before it finished cancels the handshake and leaves the plain stream usable", async () => {
      const [p1] = socketpair();
      const req = tstreamTlsConnectSend(mem, ev, p1, client(TLS_VERIFY_PEER_NO_CHECK, null, null, null));
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      tallocFree(req);
      /* no plain readv left behind (it would make this one EBUSY) */
      const rd = tstreamReadvSend(mem, ev, p1, [Buffer.alloc(1)], 1);
      const d = tstreamDisconnectSend(mem, ev, p1);
      expect(await teventReqPoll(d, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: -1, perrno: EBUSY });
      tallocFree(rd);
      const d2 = tstreamDisconnectSend(mem, ev, p1);
      expect(await teventReqPoll(d2, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d2)).to.deep.equal({ ret: 0, perrno: 0 });
    });
  });

  describe("abort and lifetimes", () => {
    it("freeing a pending readv on a TLS stream cancels it; the bytes that come later go to the next readv", async () => {
      const [p1, p2] = socketpair();
      const { c, s } = await handshake(p1, p2, client(TLS_VERIFY_PEER_CA_ONLY, null, fix("ca.pem"), null), server());
      const ct = c.tlsStream as TstreamContext;
      const st = s.tlsStream as TstreamContext;
      const buf = Buffer.alloc(5);
      const pending = tstreamReadvSend(mem, ev, st, [buf], 1);
      let called = false;
      teventReqSetCallback(pending, () => { called = true; });
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      expect(teventReqIsInProgress(pending)).to.equal(true);
      tallocFree(pending);
      expect((await writev(ct, [Buffer.from("after the abort")])).ret).to.equal(15);
      const r = await readv(st, 15);
      expect(r.ret).to.equal(15);
      expect(r.buf.toString()).to.equal("after the abort");
      expect(called).to.equal(false);
      expect(buf.toString("hex")).to.equal("0000000000");
    });

    it("freeing a TLS stream leaves its plain stream open and free of pending requests", async () => {
      const [p1, p2] = socketpair();
      const { c, s } = await handshake(p1, p2, client(TLS_VERIFY_PEER_CA_ONLY, null, fix("ca.pem"), null), server());
      tallocFree(c.tlsStream);
      tallocFree(s.tlsStream);
      expect((await writev(p1, [Buffer.from("plain again")])).ret).to.equal(11);
      const d = tstreamDisconnectSend(mem, ev, p2);
      expect(await teventReqPoll(d, ev)).to.equal(true);
      expect(tstreamDisconnectRecv(d)).to.deep.equal({ ret: 0, perrno: 0 });
    });
  });

  describe("bulk data and back-pressure", () => {
    it("4 MiB each way with random write and read splits arrive intact", async function () {
      this.timeout(15000);
      const [p1, p2] = socketpair();
      const { c, s } = await handshake(p1, p2, client(TLS_VERIFY_PEER_CA_ONLY, null, fix("ca.pem"), null), server());
      const ct = c.tlsStream as TstreamContext;
      const st = s.tlsStream as TstreamContext;
      const total = 4 * 1024 * 1024;
      const a = crypto.randomBytes(total);
      const b = crypto.randomBytes(total);
      let seed = 12345;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return 1 + (seed % n);
      };
      /* completion is counted from the callbacks themselves: a Promise
       * would settle only after the loop went back to waiting */
      let ended = 0;
      const errors: string[] = [];
      const transfer = (from: TstreamContext, to: TstreamContext, data: Buffer): Buffer => {
        const got = Buffer.alloc(total);
        let wofs = 0;
        let rofs = 0;
        const writeNext = (): void => {
          if (wofs === total) return;
          const bufs: Uint8Array[] = [];
          for (let k = rnd(3); k > 0 && wofs < total; k--) {
            const n = Math.min(rnd(100000), total - wofs);
            bufs.push(data.subarray(wofs, wofs + n));
            wofs += n;
          }
          const req = tstreamWritevSend(mem, ev, from, bufs, bufs.length);
          teventReqSetCallback(req, (sub: TeventReq) => {
            const r = tstreamWritevRecv(sub);
            tallocFree(sub);
            if (r.ret === -1) {
              errors.push(`writev ${r.perrno}`);
              ended++;
            } else {
              writeNext();
            }
          });
        };
        const readNext = (): void => {
          if (rofs === total) {
            ended++;
            return;
          }
          const bufs: Uint8Array[] = [];
          let o = rofs;
          for (let k = rnd(3); k > 0 && o < total; k--) {
            const n = Math.min(rnd(70000), total - o);
            bufs.push(got.subarray(o, o + n));
            o += n;
          }
          const req = tstreamReadvSend(mem, ev, to, bufs, bufs.length);
          teventReqSetCallback(req, (sub: TeventReq) => {
            const r = tstreamReadvRecv(sub);
            tallocFree(sub);
            if (r.ret === -1) {
              errors.push(`readv ${r.perrno}`);
              ended++;
            } else {
              rofs = o;
              readNext();
            }
          });
        };
        writeNext();
        readNext();
        return got;
      };
      const gotA = transfer(ct, st, a);
      const gotB = transfer(st, ct, b);
      expect(await teventLoopUntil(ev, () => ended === 2, null)).to.equal(0);
      expect(errors).to.deep.equal([]);
      expect(gotA.equals(a)).to.equal(true);
      expect(gotB.equals(b)).to.equal(true);
    });

    it("a reader that stops reading holds the writer back: bounded buffering, then everything arrives", async function () {
      this.timeout(15000);
      const mp = memstreamPair(mem, mem, { capacity: 64 * 1024 });
      const p1 = mp.stream1 as TstreamContext;
      const p2 = mp.stream2 as TstreamContext;
      const { c, s } = await handshake(p1, p2, client(TLS_VERIFY_PEER_CA_ONLY, null, fix("ca.pem"), null), server());
      const ct = c.tlsStream as TstreamContext;
      const st = s.tlsStream as TstreamContext<TstreamTls>;
      const total = 8 * 1024 * 1024;
      const data = crypto.randomBytes(total);
      const wreq = tstreamWritevSend(mem, ev, ct, [data], 1);
      let wdone = false;
      teventReqSetCallback(wreq, () => { wdone = true; });
      /* run the loop until nothing moves any more and the reader has paused
       * (a 20 ms window without progress alone can be a busy machine) */
      let last = -1;
      for (let i = 0; i < 100 && (st.privateData.bytesReceived !== last || !st.privateData.paused); i++) {
        last = st.privateData.bytesReceived;
        const w = teventWakeupSend(mem, ev, teventTimevalCurrentOfs(0, 20000));
        await teventReqPoll(w, ev);
        tallocFree(w);
      }
      expect(wdone).to.equal(false);
      const tlss = st.privateData;
      const ctlss = ct.privateData as TstreamTls;
      /* the reader's TLS stream: paused at its limit (plus at most one record) */
      expect(tlss.paused).to.equal(true);
      expect(tlss.buffered).to.equal(tlss.bytesReceived);
      expect(tlss.buffered).to.be.within(TSTREAM_DUPLEX_READ_BUFFER_LIMIT, TSTREAM_DUPLEX_READ_BUFFER_LIMIT + 16 * 1024);
      /* under it: the TLSSocket stopped pulling, the plain adapter holds its highWaterMark, the wire is full */
      expect(tlss.plain.readableLength).to.be.at.most(2 * 64 * 1024);
      expect((p2.privateData as MemstreamEnd).buffered).to.equal(64 * 1024);
      /* the writer: one piece of clear text waits in its TLSSocket, and of the
       * 8 MiB less than 512 KiB of ciphertext left it */
      expect(ctlss.socket.writableLength).to.be.at.most(TSTREAM_TLS_WRITE_PIECE);
      expect(ctlss.plain.bytesWritten).to.be.within(256 * 1024, 512 * 1024);
      /* now read it all */
      const got = Buffer.alloc(total);
      const rreq = tstreamReadvSend(mem, ev, st, [got], 1);
      expect(await teventReqPoll(rreq, ev)).to.equal(true);
      expect(tstreamReadvRecv(rreq)).to.deep.equal({ ret: total, perrno: 0 });
      expect(await teventReqPoll(wreq, ev)).to.equal(true);
      expect(tstreamWritevRecv(wreq)).to.deep.equal({ ret: total, perrno: 0 });
      expect(got.equals(data)).to.equal(true);
    });
  });

  describe("with Node libraries", () => {
    it("Node's tls.connect over tstreamToDuplex talks to tstreamTlsAccept (client certificate sent, loop driven by both)", async () => {
      const [p1, p2] = socketpair();
      const acc = tstreamTlsAcceptSend(mem, ev, p2, server());
      const duplex = tstreamToDuplex(ev, p1);
      const sock = tls.connect({
        socket: duplex, ca: pem("ca.pem"), servername: "localhost",
        key: pem("client-key.pem"), cert: pem("client.pem"),
      });
      const secure = new Promise<void>((resolve, reject) => {
        sock.once("secureConnect", resolve);
        sock.once("error", reject);
      });
      expect(await teventReqPoll(acc, ev)).to.equal(true);
      const a = tstreamTlsAcceptRecv(acc, mem);
      expect([a.ret, a.perrno]).to.deep.equal([0, 0]);
      await secure;
      expect(sock.authorized).to.equal(true);
      const st = a.tlsStream as TstreamContext<TstreamTls>;
      const peer = st.privateData.socket.getPeerCertificate();
      expect(peer.subject.CN).to.equal("tstream client");
      /* Node writes, the tstream reads; nobody but the adapter runs the loop for Node's side */
      sock.write("from node");
      const r = await readv(st, 9);
      expect(r.buf.toString()).to.equal("from node");
      const got = new Promise<string>((resolve) => sock.once("data", (d: Buffer) => resolve(d.toString())));
      expect((await writev(st, [Buffer.from("from tevent")])).ret).to.equal(11);
      expect(await got).to.equal("from tevent");
      sock.destroy();
    });
  });
});
