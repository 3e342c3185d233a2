export * from "./client.js";
export * from "./errors.js";
export * from "./serialization.js";
export * from "./rate-limit.js";
