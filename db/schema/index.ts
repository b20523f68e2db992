export * from "./users";
export * from "./teams";
export * from "./api-tokens";
export * from "./audit-log";
export * from "./servers";
export * from "./portal";
export * from "./policies";
