export * from "./intents.js";
export * from "./validate.js";
