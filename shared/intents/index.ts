export * from "./intents.js";
export * from "./validate.js";
export * from "./creation-failure.js";
