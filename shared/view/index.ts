export * from "./records.js";
export * from "./subjects.js";
export * from "./validate.js";
export * from "./project.js";
