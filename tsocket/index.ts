export * from "./address";
export * from "./bsd/address";
export * from "./stream";
export * from "./dgram";
export * from "./simple";
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
