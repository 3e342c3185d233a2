export * from "./options.js";
export * from "./common.js";
