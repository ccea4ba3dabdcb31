// tevent-tsocket: the whole public API, flat.
export * from "./lib/index";
export * from "./tevent/index";
export * from "./tsocket/index";
