#!/usr/bin/env node
// The one executable. Runs the compiled build in dist/ (made by `npm run build`, which `npm ci`
// runs as the prepare step) when it is there and newer than every source file; otherwise it
// registers the TypeScript loader and runs the sources, so a stale build is never used.
// JOBTALLY_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "bin", "cli.js");

function newestSourceMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest; // an image ships dist/ only
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (process.env.JOBTALLY_FROM_SOURCE === "1" || !existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  return ["bin", "services", "shared"].every((d) => newestSourceMtime(join(root, d)) <= builtAt);
}

let cli;
if (buildIsFresh()) {
  cli = await import(pathToFileURL(built).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import("./cli.ts");
}
await cli.main(process.argv.slice(2));
