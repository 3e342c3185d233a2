#!/usr/bin/env node
// Runs the test suites with node's own test runner (Node 20 does not expand globs itself).
// Usage: node bin/run-tests.mjs [unit|conformance|e2e ...]   (default: all suites)
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

// The default run (the README's test command, CI) is every suite; `npm run test:cluster` runs the
// pipeline on a three-node NATS cluster with a node killed on its own.
const DEFAULT_SUITES = ["unit", "conformance", "e2e", "cluster"];
const suites = process.argv.slice(2);
const roots = (suites.length > 0 ? suites : DEFAULT_SUITES).map((s) => join("test", s));

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}
const concurrency = process.env.JOBTALLY_TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
