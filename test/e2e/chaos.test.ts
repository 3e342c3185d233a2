/**
 * The seeded chaos campaign, about 20 short runs of it, as a user runs it: `jobtally chaos` as a
 * child process. Each run starts NATS (one server, or a three-node cluster), the simulators and
 * two replicas of every service, and injects a seeded fault schedule; the campaign must find no
 * violation and end with its summary line. (That the checker does catch broken invariants is
 * table-tested in test/unit/chaos.) On a failure, the output names each failing run's seed, its
 * fault schedule and the replay command.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { JOBTALLY_BIN } from "../support/processes.js";

/** Fixed, so a CI failure replays: `npm run chaos -- --seed 20261129 --runs 20 --max-pods 12 --parallel 3`. */
const SEED = 20261129;
const RUNS = 20;
const SUMMARY = /^runs: (\d+), faults: (\d+), pods: (\d+), violations: (\d+)$/;

test(`chaos campaign: ${RUNS} seeded runs with faults find no violation`, { timeout: 20 * 60_000 }, async () => {
  const args = [JOBTALLY_BIN, "chaos", "--runs", String(RUNS), "--seed", String(SEED), "--max-pods", "12", "--faults-per-run", "5", "--parallel", "3"];
  const child = spawn(process.execPath, args, { env: { ...process.env, CHAOS_SERVICE_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString("utf8")).slice(-20_000)));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const lines = stdout.trimEnd().split("\n");
  const last = lines[lines.length - 1] ?? "";
  const m = SUMMARY.exec(last);
  assert.ok(m, `the last line is the summary, got "${last}"\n--- stdout ---\n${stdout}\n--- stderr (tail) ---\n${stderr}`);
  const [runs, faults, pods, violations] = m.slice(1).map(Number) as [number, number, number, number];
  assert.equal(violations, 0, `violations found:\n${stdout}`);
  assert.equal(code, 0, `exit code ${code} with no violation:\n${stdout}\n${stderr}`);
  assert.equal(runs, RUNS);
  assert.ok(faults >= RUNS, `faults were injected (${faults})`);
  assert.ok(pods > 0, "Pods ran");
  assert.equal(lines.filter((l) => /^run \d+\/\d+ seed \d+:/.test(l)).length, RUNS, "one line per run");
});
