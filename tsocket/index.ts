export * from "./address";
export * from "./bsd/address";
export * from "./stream";
export * from "./dgram";
export { tsocketSimpleIntRecv } from "./simple";
export * from "./helpers";
export {
  TstreamBsd, tstreamBsdOps, TstreamResult, tstreamBsdExistingSocket, tstreamBsdOptimizeReadv,
  tstreamInetTcpConnectSend, tstreamInetTcpConnectRecv, tstreamUnixConnectSend, tstreamUnixConnectRecv,
  tstreamUnixSocketpair, TSTREAM_BSD_READ_BUFFER_LIMIT,
} from "./bsd/stream";
export {
  TstreamListener, TstreamListenResult, tstreamInetTcpListen, tstreamUnixListen, tstreamListenerAddress,
  tstreamListenReadySend, tstreamListenReadyRecv, tstreamAcceptSend, tstreamAcceptRecv,
} from "./bsd/listen";
export * from "./bsd/dgram";
import "./methods";
export {
  tstreamFromDuplex, tstreamToDuplex, TstreamToDuplexOptions, TstreamFromDuplexResult, TstreamDuplex,
  TstreamDuplexAdapter, tstreamDuplexOps, TSTREAM_DUPLEX_READ_BUFFER_LIMIT, errnoToNodeError,
} from "./duplex";
export {
  TLS_VERIFY_PEER_NO_CHECK, TLS_VERIFY_PEER_CA_ONLY, TLS_VERIFY_PEER_CA_AND_NAME_IF_AVAILABLE,
  TLS_VERIFY_PEER_CA_AND_NAME, TLS_VERIFY_PEER_AS_STRICT_AS_POSSIBLE, TLS_DEFAULT_PRIORITY, TSTREAM_TLS_WRITE_PIECE,
  tlsVerifyPeerString, tstreamTlsParamsClient, tstreamTlsParamsServer, tstreamTlsParamsEnabled,
  tstreamTlsConnectSend, tstreamTlsConnectRecv, tstreamTlsAcceptSend, tstreamTlsAcceptRecv,
  TstreamTlsParams, TstreamTls, tstreamTlsOps, TstreamTlsParamsResult,
} from "./tls";
export * from "./comms";
export * as promises from "./promises";
