export {};
export * from "./address";
export * from "./bsd/address";
