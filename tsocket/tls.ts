// TLS over any tstream, in the shape of Samba's source4/lib/tls
// (tls.h, tls_tstream.c): an extension (API.md, "Beyond the C API").
//
// Samba drives GnuTLS with push/pull functions that readv/writev the plain
// stream.  Here the TLS is Node's own (node:tls, OpenSSL), never one
// written by hand, stacked on the two adapters of tsocket/duplex.ts:
//
//     tls stream (ops "tls")  = tstreamFromDuplex-style backend over a TLSSocket
//     TLSSocket               = node:tls over tstreamToDuplex(ev, plainStream)
//
// The plain stream stays the caller's, as in C (tlss->plain_stream is only
// a pointer): freeing the TLS stream destroys its TLSSocket and cancels the
// plain readv/writev it had outstanding, and leaves the plain stream open.
// The adapter under the TLSSocket does not run the loop itself
// ({ driveLoop: false }): TLS progresses while the caller runs ev's loop
// for its TLS requests, as in C.
//
// Verification follows tstream_tls_verify_peer(), after the handshake
// (Node is told not to reject anything itself):
//   NO_CHECK                  nothing is checked;
//   CA_ONLY                   the chain must lead to caFile's CAs, be in
//                             its validity period and (with a crlFile) not
//                             revoked; the name is not checked;
//   CA_AND_NAME_IF_AVAILABLE  and the name when peerName is a DNS name
//                             (an IP address is not checked);
//   CA_AND_NAME,
//   AS_STRICT_AS_POSSIBLE     and the name, which must be a DNS name.
// The server sends SNI only from CA_AND_NAME on, as Samba does.  Samba's
// server parameters never verify the client (it requests a certificate and
// accepts any, or none).
//
// Error numbers are tls_tstream.c's:
//   - a refused certificate or name (verification failed, or no name to
//     check): EINVAL (C: NT_STATUS_IMAGE_CERT_REVOKED -> EINVAL);
//   - a failure of the TLS protocol itself (an alert, no common version): EIO
//     (C: a fatal GnuTLS error -> EIO);
//   - a failure of the plain stream is passed on (tlss->error =
//     sys_errno): the end of the plain stream during the handshake is EPIPE;
//   - after the handshake: the end of the TLS stream (close_notify, or the
//     plain stream ending) is EPIPE for readv; errors are sticky;
//   - bad parameters of connect/accept (disabled server parameters, a
//     tlsPriority that cannot be used): EINVAL through the request (C:
//     tstream_tls_prepare_gnutls() failing -> EINVAL).
// Nothing is sent in clear: the TLS stream exists for the caller only once
// the handshake and the verification succeeded, and a refused peer's
// TLSSocket is destroyed at once.
//
// Deviations:
//   - a named file that does not exist gives -1 with ENOENT (C skips a
//     missing ca/crl file, then refuses with INVALID_PARAMETER_MIX if the
//     verification needed it; and a server whose ca_file is missing makes
//     itself a self-signed certificate); a file that cannot be read gives its
//     errno; a file that is not the PEM it should be, or a key that does not
//     match its certificate, EINVAL (C: CANT_ACCESS_DOMAIN_INFO); a key file
//     that is not mode 0600 and owned by us, EACCES (C refuses it too:
//     CVE-2013-4476).  Every file argument may also be the PEM text itself.
//   - tlsPriority is a GnuTLS priority string; OpenSSL has no equivalent.
//     The keyword (NORMAL, SECURE128, PFS, ...) and the protocol versions
//     (+VERS-TLS1.x, -VERS-TLS1.x, -VERS-ALL) are honoured, starting from
//     Node's default versions (TLS 1.2 and 1.3); other well-formed items
//     (ciphers, %flags) are accepted and left to OpenSSL's defaults;
//     anything else fails connect/accept with EINVAL.
//   - without a dhpFile the server uses Node's automatic DH parameters
//     (C generates 2048-bit ones).
//   - after tstream_disconnect (close_notify sent) the TLS stream is closed
//     (ENOTCONN), like the BSD stream; C's may still read.

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";
import { Duplex } from "node:stream";
import { EACCES, EINVAL, EIO, ENOTCONN, EPIPE, errnoFromNodeError, setErrno } from "../lib/errno";
import { TallocCtx, tallocFree, tallocSetDestructor, tallocSteal, TALLOC_NODE, TallocNode } from "../lib/talloc";
import { teventCreateImmediate, teventScheduleImmediate } from "../tevent/immediate";
import { TeventContext, TeventImmediate } from "../tevent/internal";
import { TeventReq, teventReqCreate, teventReqDone, teventReqError, teventReqPost, teventReqReceived } from "../tevent/req";
import { teventReqIsUnixError } from "../tevent/unix";
import { tstreamBsdHoldLoop } from "./bsd/stream";
import {
  duplexErrno, TstreamDuplex, TstreamDuplexAdapter, tstreamDuplexCreate, tstreamDuplexOps, tstreamToDuplex,
} from "./duplex";
import { TstreamContext, TstreamContextOps, tstreamContextData } from "./stream";

/** enum tls_verify_peer_state (tls.h) */
export const TLS_VERIFY_PEER_NO_CHECK = 0;
export const TLS_VERIFY_PEER_CA_ONLY = 10;
export const TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE = 20;
export const TLS_VERIFY_PEER_CA_AND_NAME = 30;
export const TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE = 9999;

/** tls_verify_peer_string() */
export function tlsVerifyPeerString(verifyPeer: number): string {
  switch (verifyPeer) {
    case TLS_VERIFY_PEER_NO_CHECK: return "no_check";
    case TLS_VERIFY_PEER_CA_ONLY: return "ca_only";
    case TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE: return "ca_and_name_if_available";
    case TLS_VERIFY_PEER_CA_AND_NAME: return "ca_and_name";
    case TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE: return "as_strict_as_possible";
    default: return "unknown tls_verify_peer_state";
  }
}

/** Samba's default 'tls priority'. */
export const TLS_DEFAULT_PRIORITY = "NORMAL:-VERS-SSL3.0";

/** struct tstream_tls_params: what tstreamTlsParamsClient/Server prepared. */
export class TstreamTlsParams {
  [TALLOC_NODE]: TallocNode | null = null;
  constructor(
    readonly tlsEnabled: boolean,
    readonly isServer: boolean,
    readonly verifyPeer: number,
    readonly peerName: string | null,
    readonly tlsPriority: string,
    /** PEM texts, null when not given */
    readonly ca: string | null,
    readonly crl: string | null,
    readonly key: string | null,
    readonly cert: string | null,
    readonly dhparam: string | null,
    readonly dnsHostName: string | null,
  ) {}
}

/** What the params functions return (API.md rule 2; C returns an NTSTATUS). */
export interface TstreamTlsParamsResult {
  ret: number;
  errno: number;
  tlsp: TstreamTlsParams | null;
}

type PemKind = "certificate" | "key" | "crl" | "dhparam";

/* A file argument: a path, or the PEM text itself.  { errno, pem }. */
function loadPem(arg: string | null | undefined, kind: PemKind): { errno: number; pem: string | null } {
  if (arg === null || arg === undefined || arg === "") return { errno: 0, pem: null };
  if (typeof arg !== "string") throw new TypeError(`tstreamTlsParams: a ${kind} file must be a string or null`);
  let text = arg;
  if (!arg.includes("-----BEGIN ")) {
    try {
      text = fs.readFileSync(arg, "utf8");
    } catch (err) {
      return { errno: errnoFromNodeError(err, EIO), pem: null };
    }
  }
  return checkPem(text, kind) ? { errno: 0, pem: text } : { errno: EINVAL, pem: null };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/* Is text the PEM it should be?  (OpenSSL silently ignores some garbage.) */
function checkPem(text: string, kind: PemKind): boolean {
  try {
    switch (kind) {
      case "certificate": {
        const blocks = [...text.matchAll(PEM_BLOCK)].filter((m) => m[1] === "CERTIFICATE" || m[1] === "TRUSTED CERTIFICATE");
        if (blocks.length === 0) return false;
        for (const b of blocks) new crypto.X509Certificate(b[0]);
        return true;
      }
      case "key":
        crypto.createPrivateKey(text);
        return true;
      case "crl":
        tls.createSecureContext({ crl: text });
        return true;
      case "dhparam": {
        const m = /-----BEGIN DH PARAMETERS-----([\s\S]*?)-----END DH PARAMETERS-----/.exec(text);
        if (m === null) return false;
        const der = Buffer.from(m[1].replace(/\s+/g, ""), "base64");
        /* a DER SEQUENCE of at least a prime and a generator */
        return der.length > 16 && der[0] === 0x30;
      }
    }
  } catch {
    return false;
  }
  return false;
}

function paramsFail(errno: number): TstreamTlsParamsResult {
  setErrno(errno);
  return { ret: -1, errno, tlsp: null };
}

function paramsAttach(memCtx: TallocCtx, tlsp: TstreamTlsParams): TstreamTlsParamsResult {
  if (memCtx !== null && memCtx !== undefined) tallocSteal(memCtx, tlsp);
  return { ret: 0, errno: 0, tlsp };
}

/**
 * tstream_tls_params_client(): what a client needs, child of memCtx.
 * verifyPeer defaults to the strictest (TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE).
 * As in C: -1/EINVAL when verifyPeer needs a name (CA_AND_NAME and up) and
 * peerName is null, a CA (CA_ONLY and up) and caFile is not given, or a CRL
 * (AS_STRICT_AS_POSSIBLE) and crlFile is not given.  Files: see the top of
 * this file (ENOENT, EINVAL...).
 */
export function tstreamTlsParamsClient(memCtx: TallocCtx, caFile: string | null, crlFile: string | null,
                                       tlsPriority: string | null,
                                       verifyPeer: number = TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE,
                                       peerName: string | null = null): TstreamTlsParamsResult {
  if (typeof verifyPeer !== "number") throw new TypeError("tstreamTlsParamsClient: verifyPeer must be a number");
  if (peerName === null || peerName === undefined) {
    if (verifyPeer >= TLS_VERIFY_PEER_CA_AND_NAME) return paramsFail(EINVAL);
    peerName = null;
  }
  const ca = loadPem(caFile, "certificate");
  if (ca.errno !== 0) return paramsFail(ca.errno);
  if (ca.pem === null && verifyPeer >= TLS_VERIFY_PEER_CA_ONLY) return paramsFail(EINVAL);
  const crl = loadPem(crlFile, "crl");
  if (crl.errno !== 0) return paramsFail(crl.errno);
  if (crl.pem === null && verifyPeer >= TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE) return paramsFail(EINVAL);
  if (crl.pem !== null) {
    try {
      tls.createSecureContext({ ca: ca.pem ?? undefined, crl: crl.pem });
    } catch {
      return paramsFail(EINVAL);
    }
  }
  const tlsp = new TstreamTlsParams(true, false, verifyPeer, peerName, tlsPriority ?? TLS_DEFAULT_PRIORITY,
                                    ca.pem, crl.pem, null, null, null, null);
  return paramsAttach(memCtx, tlsp);
}

/* file_check_permissions(key_file, geteuid(), 0600) */
function keyPermissionsOk(keyFile: string): boolean {
  if (keyFile.includes("-----BEGIN ")) return true; /* PEM text: no file */
  try {
    const st = fs.statSync(keyFile);
    const euid = typeof process.geteuid === "function" ? process.geteuid() : st.uid;
    return st.uid === euid && (st.mode & 0o777) === 0o600;
  } catch {
    return true; /* a missing file is reported when it is read */
  }
}

/**
 * tstream_tls_params_server(): what a server needs, child of memCtx.
 * Disabled (tstreamTlsParamsEnabled() false, and ret 0, as in C) when
 * !enabled or keyFile is empty.  Files: see the top of this file.
 */
export function tstreamTlsParamsServer(memCtx: TallocCtx, dnsHostName: string | null, enabled: boolean,
                                       keyFile: string | null, certFile: string | null, caFile: string | null,
                                       crlFile: string | null, dhpFile: string | null,
                                       tlsPriority: string | null): TstreamTlsParamsResult {
  if (!enabled || keyFile === null || keyFile === undefined || keyFile === "") {
    return paramsAttach(memCtx, new TstreamTlsParams(false, true, TLS_VERIFY_PEER_NO_CHECK, null, "",
                                                     null, null, null, null, null, dnsHostName ?? null));
  }
  if (!keyPermissionsOk(keyFile)) return paramsFail(EACCES);
  const ca = loadPem(caFile, "certificate");
  if (ca.errno !== 0) return paramsFail(ca.errno);
  const crl = loadPem(crlFile, "crl");
  if (crl.errno !== 0) return paramsFail(crl.errno);
  const key = loadPem(keyFile, "key");
  if (key.errno !== 0) return paramsFail(key.errno);
  const cert = loadPem(certFile, "certificate");
  if (cert.errno !== 0) return paramsFail(cert.errno);
  if (cert.pem === null) return paramsFail(EINVAL);
  const dh = loadPem(dhpFile, "dhparam");
  if (dh.errno !== 0) return paramsFail(dh.errno);
  const tlsp = new TstreamTlsParams(true, true, TLS_VERIFY_PEER_NO_CHECK, null, tlsPriority ?? TLS_DEFAULT_PRIORITY,
                                    ca.pem, crl.pem, key.pem, cert.pem, dh.pem, dnsHostName ?? null);
  try {
    serverSecureContext(tlsp, {});
  } catch {
    return paramsFail(EINVAL); /* the key does not match the certificate... */
  }
  return paramsAttach(memCtx, tlsp);
}

/** tstream_tls_params_enabled() */
export function tstreamTlsParamsEnabled(tlsp: TstreamTlsParams): boolean {
  if (!(tlsp instanceof TstreamTlsParams)) throw new TypeError("tstreamTlsParamsEnabled: tlsp must be a TstreamTlsParams");
  return tlsp.tlsEnabled;
}

/* ---- tls priority ---- */

type TlsVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
const VERSIONS: TlsVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const GNUTLS_VERSIONS: Record<string, TlsVersion> = {
  "TLS1.0": "TLSv1", "TLS1.1": "TLSv1.1", "TLS1.2": "TLSv1.2", "TLS1.3": "TLSv1.3",
};
const PRIORITY_KEYWORDS = new Set([
  "PERFORMANCE", "NORMAL", "LEGACY", "PFS", "SECURE128", "SECURE192", "SECURE256", "SUITEB128", "SUITEB192",
  "NONE", "@SYSTEM",
]);

interface VersionRange { minVersion: TlsVersion; maxVersion: TlsVersion }

/* The protocol versions a GnuTLS priority string allows, or null if unusable. */
function tlsPriorityVersions(priority: string): VersionRange | null {
  const allowed = new Set<TlsVersion>(["TLSv1.2", "TLSv1.3"]);
  if (priority !== "") {
    const items = priority.split(":");
    const keyword = items[0].split(",")[0];
    if (!PRIORITY_KEYWORDS.has(keyword)) return null;
    if (keyword === "NONE") allowed.clear();
    for (const item of items.slice(1)) {
      if (/^%[A-Z0-9_=]+$/i.test(item)) continue;
      const m = /^([+-]|!)([A-Z0-9._@-]+)$/i.exec(item);
      if (m === null) return null;
      const add = m[1] === "+";
      const name = m[2].toUpperCase();
      if (!name.startsWith("VERS-")) continue; /* ciphers, MACs, groups...: OpenSSL's defaults */
      const v = name.slice(5);
      if (v === "ALL" || v === "TLS-ALL") {
        for (const x of VERSIONS) if (add) allowed.add(x); else allowed.delete(x);
      } else if (v in GNUTLS_VERSIONS) {
        if (add) allowed.add(GNUTLS_VERSIONS[v]); else allowed.delete(GNUTLS_VERSIONS[v]);
      } else if (!/^(SSL3\.0|DTLS[0-9.]+|DTLS-ALL)$/.test(v)) {
        return null;
      }
    }
  }
  const list = VERSIONS.filter((v) => allowed.has(v));
  if (list.length === 0) return null;
  return { minVersion: list[0], maxVersion: list[list.length - 1] };
}

function serverSecureContext(tlsp: TstreamTlsParams, range: Partial<VersionRange>): tls.SecureContext {
  return tls.createSecureContext({
    key: tlsp.key ?? undefined,
    cert: tlsp.cert ?? undefined,
    ca: tlsp.ca ?? undefined,
    crl: tlsp.crl ?? undefined,
    dhparam: tlsp.dhparam ?? "auto",
    ...range,
  });
}

/* ---- the TLS stream ---- */

/** Most clear bytes of a writev handed to TLS before the plain stream took the previous ones. */
export const TSTREAM_TLS_WRITE_PIECE = 64 * 1024;

/** struct tstream_tls: the private state of a TLS stream (tstreamContextData). */
export class TstreamTls extends TstreamDuplex {
  constructor(readonly socket: tls.TLSSocket, readonly plain: TstreamDuplexAdapter, readonly isServer: boolean,
              readonly verifyPeer: number, readonly peerName: string | null) {
    super(socket);
    /* encrypt a writev piece by piece, as C's 1024-byte write buffer does:
     * the ciphertext waiting for the plain stream stays small however large
     * the writev */
    this.maxWrite = TSTREAM_TLS_WRITE_PIECE;
  }

  /* A failure of the plain stream is passed on (tlss->error = sys_errno);
   * one of the TLS itself is EIO (a fatal GnuTLS error). */
  override errnoFor(err: unknown): number {
    if (this.plain.lastErrno !== 0) return this.plain.lastErrno;
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === "string" && code.startsWith("ERR_STREAM_")) return duplexErrno(err);
    return EIO;
  }

  override destroyDuplex(duplex: Duplex): void {
    duplex.destroy();
    this.plain.destroy(); /* cancels the plain readv/writev; the plain stream stays open */
  }
}

/*
 * tstream_tls_pending_bytes(): the decrypted bytes not consumed, or the
 * sticky error.  The end of the stream is seen only by a readv, as in C.
 */
function tstreamTlsPendingBytes(stream: TstreamContext): number {
  const tlss = tstreamContextData(stream) as TstreamTls;
  let err = 0;
  if (tlss.closed) {
    err = ENOTCONN;
  } else if (tlss.error !== 0) {
    err = tlss.error;
  } else if (tlss.buffered > 0) {
    return tlss.buffered;
  } else if (tlss.duplexError !== 0) {
    err = tlss.error = tlss.duplexError;
  } else {
    return 0;
  }
  setErrno(err);
  return -1;
}

/** tstream_tls_ops */
export const tstreamTlsOps: TstreamContextOps = Object.freeze({
  ...tstreamDuplexOps,
  name: "tls",
  pendingBytes: tstreamTlsPendingBytes,
});

/* ---- connect / accept ---- */

/** struct tstream_tls_connect_state (and _accept_state). */
class TstreamTlsHandshakeState {
  im: TeventImmediate;
  tlsStream: TstreamContext<TstreamTls> | null = null;
  secure = false;
  err = 0;
  req: TeventReq | null = null;
  /* the stand-in tevent_fd keeping ev's loop going while Node works */
  fde: object | null = null;
  constructor(readonly ev: TeventContext) {
    this.im = teventCreateImmediate(this);
  }
}

/* C: a tls stream nobody received goes with the request. */
function tstreamTlsHandshakeDestructor(state: TstreamTlsHandshakeState): number {
  if (state.tlsStream !== null) {
    const s = state.tlsStream;
    state.tlsStream = null;
    tallocFree(s);
  }
  return 0;
}

function handshakeKick(state: TstreamTlsHandshakeState): void {
  if (state.req === null || state.tlsStream === null) return;
  teventScheduleImmediate(state.im, state.ev, tstreamTlsRetryHandshake, state.req);
}

/* The TLSSocket of one side, over the plain stream's adapter. */
function tstreamTlsSocket(plain: TstreamDuplexAdapter, tlsp: TstreamTlsParams, range: VersionRange,
                          isServer: boolean): tls.TLSSocket {
  if (isServer) {
    return new tls.TLSSocket(plain, {
      isServer: true,
      secureContext: serverSecureContext(tlsp, range),
      requestCert: true, /* GNUTLS_CERT_REQUEST: asked for, never required */
      rejectUnauthorized: false,
    });
  }
  const ip = tlsp.peerName === null || net.isIP(tlsp.peerName) !== 0;
  /* SNI only when the name is verified (tstream_tls_prepare_gnutls) */
  const servername = !ip && tlsp.verifyPeer >= TLS_VERIFY_PEER_CA_AND_NAME ? (tlsp.peerName as string) : undefined;
  return tls.connect({
    socket: plain,
    ca: tlsp.ca ?? undefined,
    crl: tlsp.crl ?? undefined,
    servername,
    rejectUnauthorized: false, /* tstream_tls_verify_peer() decides, after the handshake */
    checkServerIdentity: () => undefined,
    ...range,
  });
}

function tstreamTlsHandshakeSend(memCtx: TallocCtx, ev: TeventContext, plainStream: TstreamContext,
                                 tlsp: TstreamTlsParams, isServer: boolean, fn: string): TeventReq {
  if (!(ev instanceof TeventContext)) throw new TypeError(`${fn}: ev must be a TeventContext`);
  if (!(plainStream instanceof TstreamContext)) throw new TypeError(`${fn}: plainStream must be a TstreamContext`);
  if (!(tlsp instanceof TstreamTlsParams)) throw new TypeError(`${fn}: tlsp must be a TstreamTlsParams`);
  const state = new TstreamTlsHandshakeState(ev);
  const req = teventReqCreate(memCtx, state,
                              isServer ? "struct tstream_tls_accept_state" : "struct tstream_tls_connect_state");
  state.req = req;
  /* tstream_tls_prepare_gnutls() failing: EINVAL (disabled parameters,
   * parameters of the other side, an unusable priority string) */
  const range = tlsp.tlsEnabled && tlsp.isServer === isServer ? tlsPriorityVersions(tlsp.tlsPriority) : null;
  if (range === null) {
    teventReqError(req, EINVAL);
    return teventReqPost(req, ev);
  }
  const plain = tstreamToDuplex(ev, plainStream, { driveLoop: false });
  let socket: tls.TLSSocket;
  try {
    socket = tstreamTlsSocket(plain, tlsp, range, isServer);
  } catch {
    /* OpenSSL refused the parameters (C: gnutls setup failing -> EINVAL) */
    plain.destroy();
    teventReqError(req, EINVAL);
    return teventReqPost(req, ev);
  }
  tallocSetDestructor(state, tstreamTlsHandshakeDestructor);
  const tlss = new TstreamTls(socket, plain, isServer, tlsp.verifyPeer, tlsp.peerName);
  state.tlsStream = tstreamDuplexCreate(state, tstreamTlsOps, tlss, "struct tstream_tls");
  state.fde = tstreamBsdHoldLoop(ev, state); /* the handshake waits on Node: keep ev's loop going */
  const fail = (errno: number): void => {
    if (state.secure || state.err !== 0) return;
    /* a failure of the plain stream is passed on */
    state.err = plain.lastErrno !== 0 ? plain.lastErrno : errno;
    handshakeKick(state);
  };
  socket.once(isServer ? "secure" : "secureConnect", () => {
    if (state.err !== 0) return;
    state.secure = true;
    handshakeKick(state);
  });
  socket.on("error", () => fail(EIO));           /* an alert, a protocol error */
  socket.once("end", () => fail(EPIPE));         /* the plain stream ended */
  socket.once("close", () => fail(EPIPE));
  return req;
}

/* tstream_tls_verify_peer(): 0, or EINVAL for a refused peer. */
function tstreamTlsVerifyPeer(tlss: TstreamTls): number {
  if (tlss.verifyPeer === TLS_VERIFY_PEER_NO_CHECK) return 0;
  const ip = tlss.peerName === null || net.isIP(tlss.peerName) !== 0;
  let hostname = ip ? null : tlss.peerName;
  if (tlss.verifyPeer === TLS_VERIFY_PEER_CA_ONLY) hostname = null;
  if (tlss.verifyPeer >= TLS_VERIFY_PEER_CA_AND_NAME && hostname === null) return EINVAL;
  /* the chain, its validity period, the CRL: what OpenSSL found */
  if (!tlss.socket.authorized) return EINVAL;
  if (hostname !== null) {
    const cert = tlss.socket.getPeerCertificate();
    if (cert === null || Object.keys(cert).length === 0) return EINVAL;
    if (tls.checkServerIdentity(hostname, cert) !== undefined) return EINVAL;
  }
  return 0;
}

/* tstream_tls_retry_handshake(): from the loop, once Node settled it. */
function tstreamTlsRetryHandshake(ev: TeventContext, im: TeventImmediate, req: TeventReq): void {
  const state = req.data as TstreamTlsHandshakeState;
  const stream = state.tlsStream;
  if (stream === null || !req.isInProgress()) return;
  let err = state.err;
  if (err === 0 && !state.secure) return;
  if (state.fde !== null) {
    tallocFree(state.fde);
    state.fde = null;
  }
  if (err === 0) {
    const tlss = stream.privateData;
    if (!tlss.isServer) err = tstreamTlsVerifyPeer(tlss);
  }
  if (err !== 0) {
    /* refused: the TLSSocket goes at once, nothing more is sent */
    state.tlsStream = null;
    tallocFree(stream);
    teventReqError(req, err);
    return;
  }
  teventReqDone(req);
}

function tstreamTlsHandshakeRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; tlsStream: TstreamContext | null } {
  const state = req.data as TstreamTlsHandshakeState;
  const { ret: failed, perrno } = teventReqIsUnixError(req);
  if (failed) {
    teventReqReceived(req);
    return { ret: -1, perrno, tlsStream: null };
  }
  const tlsStream = state.tlsStream as TstreamContext<TstreamTls>;
  state.tlsStream = null;
  tallocSteal(memCtx, tlsStream);
  teventReqReceived(req);
  return { ret: 0, perrno: 0, tlsStream };
}

/**
 * tstream_tls_connect_send(): the client side of a TLS handshake over
 * plainStream, which stays the caller's (see the top of this file).
 * Errors: EINVAL (refused certificate or name, unusable parameters), EIO
 * (TLS failure), the plain stream's errno (EPIPE: it ended).
 */
export function tstreamTlsConnectSend(memCtx: TallocCtx, ev: TeventContext, plainStream: TstreamContext,
                                      tlsp: TstreamTlsParams): TeventReq {
  return tstreamTlsHandshakeSend(memCtx, ev, plainStream, tlsp, false, "tstreamTlsConnectSend");
}

/** tstream_tls_connect_recv(): 0 with the TLS stream (child of memCtx), or -1 with perrno. */
export function tstreamTlsConnectRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; tlsStream: TstreamContext | null } {
  return tstreamTlsHandshakeRecv(req, memCtx);
}

/** tstream_tls_accept_send(): the server side of a TLS handshake over plainStream. */
export function tstreamTlsAcceptSend(memCtx: TallocCtx, ev: TeventContext, plainStream: TstreamContext,
                                     tlsp: TstreamTlsParams): TeventReq {
  return tstreamTlsHandshakeSend(memCtx, ev, plainStream, tlsp, true, "tstreamTlsAcceptSend");
}

/** tstream_tls_accept_recv(): 0 with the TLS stream (child of memCtx), or -1 with perrno. */
export function tstreamTlsAcceptRecv(req: TeventReq, memCtx: TallocCtx):
    { ret: number; perrno: number; tlsStream: TstreamContext | null } {
  return tstreamTlsHandshakeRecv(req, memCtx);
}
