/** jobtally's NATS layer: connection, streams, view publish/read, intent queue, dead letters. */
export * from "./connection.js";
export * from "./dead-letters.js";
export * from "./errors.js";
export * from "./intent-queue.js";
export * from "./streams.js";
export * from "./view-publisher.js";
export * from "./view-reader.js";
