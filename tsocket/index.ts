export * from "./address";
export * from "./bsd/address";
export * from "./stream";
export * from "./dgram";
export * from "./simple";
export * from "./helpers";
