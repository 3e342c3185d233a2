/**
 * `jobtally bench` (`npm run bench`): the scenarios of docs/benchmarks.md against the API-budget
 * floor, printed as a table, written as bench/results/<timestamp>.json plus an SVG chart.
 * `--scale-out` adds the runs with 1, 2 and 4 counters and removers (and the failover after a
 * SIGKILL), `--scenario scale-out` runs only those. `--simulator` runs the API simulator's own
 * throughput benchmark instead.
 */
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { booleanOption, loadOptions, renderOptionsHelp, stringOption } from "../../shared/config/options.js";
import { natsServerAvailable, NatsServerMissingError } from "../../shared/process/nats-server.js";
import { selectScenarios } from "./scenarios.js";
import { runScenario, type RunResult } from "./run-scenario.js";
import { counterMemoryNote, renderChart, renderMarkdownTable, renderServiceMarkdownTable, renderTable } from "./report.js";
import { isScaleOut, renderScaleOutTables } from "./report-scale-out.js";
import { renderSideBySide, sideBySide, SIDE_BY_SIDE_NOTE } from "./in-tree.js";
import { replaceSection, RESULTS_MARKERS, SCALE_OUT_MARKERS } from "./docs-section.js";
import { bar } from "../../shared/text/progress-bar.js";
import { spawnSync } from "node:child_process";
import { JOBTALLY_BIN } from "../../shared/process/child.js";

const schema = {
  full: booleanOption({ flag: "full", description: "also the 100,000-Pod and 1,000-Job scenarios", default: false }),
  scaleOut: booleanOption({ flag: "scale-out", description: "also the scale-out runs: 1, 2 and 4 counters and removers at 20 ms API latency, and a SIGKILL of one counter (about 6 minutes)", default: false }),
  scenario: stringOption({ flag: "scenario", description: "only these scenarios (comma-separated names or labels, e.g. scale-out), whatever their group", default: "" }),
  out: stringOption({ flag: "out", description: "directory for the JSON and SVG results", default: "bench/results" }),
  docs: stringOption({ flag: "docs", description: "rewrite the results section of this Markdown file (empty = leave docs alone)", default: "" }),
  keepLogs: booleanOption({ flag: "keep-logs", description: "keep every component's logs", default: false }),
  simulator: booleanOption({ flag: "simulator", description: "run the API simulator's list/watch/patch throughput benchmark at 100,000 Pods instead", default: false }),
};

export async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`jobtally bench: throughput, API cost, lag, CPU and memory against the 2N/Q floor\n\nflags:\n${renderOptionsHelp(schema)}`);
    return;
  }
  const config = loadOptions(schema, argv);
  if (config.simulator) {
    const r = spawnSync(process.execPath, [JOBTALLY_BIN, "sim-bench"], { stdio: "inherit" });
    process.exitCode = r.status ?? 1;
    return;
  }
  if (!natsServerAvailable()) throw new NatsServerMissingError();
  const scenarios = selectScenarios({ full: config.full, scaleOut: config.scaleOut, only: config.scenario });
  if (scenarios.length === 0) throw new Error(`no scenario matches "${config.scenario}"`);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "", memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}`, natsServer: "" };
  const runs: RunResult[] = [];
  for (const sc of scenarios) {
    const replicas = sc.replicas > 1 ? `, ${sc.replicas} counters + ${sc.replicas} removers` : "";
    process.stderr.write(`\n${sc.label}: ${sc.jobs * sc.podsPerJob} Pods, parallelism ${sc.parallelism}, QPS ${sc.qps || "unlimited"}${replicas}\n`);
    const result = await runScenario(sc, {
      keepLogs: config.keepLogs,
      onKill: (counter, partitions, ms) => process.stderr.write(`\n  SIGKILL ${counter} (${partitions} partitions) at ${(ms / 1000).toFixed(1)} s\n`),
      onProgress: (counted, total, ms) => {
        const line = `  ${bar(counted / total, 40)} ${counted}/${total}  ${(ms / 1000).toFixed(0)} s`;
        if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
        else if (Math.floor(ms / 10_000) !== Math.floor((ms - 250) / 10_000)) process.stderr.write(`${line}\n`);
      },
    });
    process.stderr.write(`\n  ${result.countsExact ? "counts exact" : `COUNTS WRONG: ${result.countMismatches.slice(0, 3).join("; ")}`}, ${result.wallSeconds.toFixed(1)} s\n`);
    runs.push(result);
  }
  console.log(`\n${renderTable(runs)}`);
  const compared = sideBySide(runs);
  if (compared.length > 0) console.log(`\nSide by side with the in-tree Job controller:\n\n${renderSideBySide(compared, "plain")}\n${SIDE_BY_SIDE_NOTE}`);
  const memoryNote = counterMemoryNote(runs);
  if (memoryNote) console.log(`\n${memoryNote}`);
  const scaleOutRuns = runs.filter(isScaleOut);
  const otherRuns = runs.filter((r) => !isScaleOut(r));
  if (scaleOutRuns.length > 0) console.log(`\nScale-out:\n\n${renderScaleOutTables(scaleOutRuns, "plain")}`);
  mkdirSync(config.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const json = join(config.out, `${stamp}.json`);
  writeFileSync(json, JSON.stringify({ machine, runs }, null, 2));
  writeFileSync(join(config.out, `${stamp}.svg`), renderChart(runs));
  console.log(`\nwrote ${json} and ${stamp}.svg`);
  if (config.docs) {
    // Each section is rewritten only by the runs it shows: a scale-out-only run leaves the others alone.
    const loads = runs.map((r) => r.loadAverage1m).filter((l): l is number => typeof l === "number");
    const load = loads.length > 0 ? ` 1-minute load average as the runs ended: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (the machine's ${machine.cpus} cores; above that, wall-clock figures are the busy machine's).` : "";
    const measured = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine.cpus} × ${machine.cpuModel}, ${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${machine.node}.${load}`;
    let md = readFileSync(config.docs, "utf8");
    if (otherRuns.length > 0) {
      const otherNote = counterMemoryNote(otherRuns);
      const otherCompared = sideBySide(otherRuns);
      const inTree = otherCompared.length > 0 ? `\n\nSide by side with the in-tree Job controller:\n\n${renderSideBySide(otherCompared, "markdown")}\n\n${SIDE_BY_SIDE_NOTE}` : "";
      md = replaceSection(md, RESULTS_MARKERS, `${measured}\n\n${renderMarkdownTable(otherRuns)}${inTree}\n\nPer service (CPU seconds per 1,000 Pods, peak RSS):\n\n${renderServiceMarkdownTable(otherRuns)}${otherNote ? `\n\n${otherNote}` : ""}`);
    }
    if (scaleOutRuns.length > 0) md = replaceSection(md, SCALE_OUT_MARKERS, `${measured}\n\n${renderScaleOutTables(scaleOutRuns, "markdown")}`);
    writeFileSync(config.docs, md);
    console.log(`updated ${config.docs}`);
  }
  const failoverIncomplete = (r: RunResult): boolean => !!r.failover && (r.failover.allOwnedAfterSeconds === null || r.failover.countingAgainAfterSeconds === null);
  if (runs.some((r) => !r.countsExact || r.finalizersLeft > 0 || failoverIncomplete(r))) process.exitCode = 1;
}
