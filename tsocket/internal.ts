// tsocket_internal.h: what a new kind of stream, datagram socket or address
// is written against (TLS, a named pipe, a test double...).
export { TstreamContextOps, tstreamContextCreate, tstreamContextData } from "./stream";
export { TdgramContextOps, tdgramContextCreate, tdgramContextData } from "./dgram";
export { TsocketAddressOps, tsocketAddressCreate } from "./address";
export { tsocketSimpleIntRecv } from "./simple";
