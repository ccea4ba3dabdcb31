export * from "./talloc";
export * from "./errno";
export * from "./types";
