/**
 * `jobtally soak` (`npm run soak -- --minutes 30`): the pipeline under a steady load of about 100
 * Pods/s over 100 Jobs for half an hour, Jobs deleted and replaced as they finish. Every 10 s it
 * samples each service's RSS, the work-queue depth and the event lag; it prints the samples and a
 * verdict (memory flat after the warm-up, counts exact, nothing left behind) and writes the JSON to
 * bench/results/soak-<timestamp>.json. Exit code 0 only if the verdict is PASS.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { booleanOption, durationMsOption, integerOption, loadOptions, numberOption, renderOptionsHelp, stringOption } from "../../../shared/config/options.js";
import { natsServerAvailable, NatsServerMissingError } from "../../../shared/process/nats-server.js";
import { defaultWarmupMs, memoryFlatness, type FlatnessVerdict } from "./flatness.js";
import { renderSampleTable, renderVerdict, soakPassed, type SoakChecks } from "./report.js";
import { runSoak } from "./run-soak.js";
import { sampleRows, summarize } from "./samples.js";

const MiB = 2 ** 20;

export const soakOptionSchema = {
  minutes: numberOption({ flag: "minutes", description: "how long the steady load runs (then the last Jobs finish)", default: 30, min: 0.5 }),
  rate: numberOption({ flag: "rate", description: "Pods finishing per second, over all Jobs", default: 100, min: 1 }),
  jobs: integerOption({ flag: "jobs", description: "Jobs running at once (each finished one is deleted and replaced)", default: 100, min: 1 }),
  parallelism: integerOption({ flag: "parallelism", description: "Pods in flight per Job", default: 5, min: 1 }),
  completions: integerOption({ flag: "completions", description: "completions per Job on average (each Job's is spread over half to one and a half times it)", default: 50, min: 1 }),
  failProbability: numberOption({ flag: "fail-probability", description: "chance a Pod fails (and is replaced)", default: 0.02, min: 0, max: 1 }),
  qps: integerOption({ flag: "qps", description: "API budget shared by the counter and the finalizer-remover (requests/s; burst twice that)", default: 400, min: 1 }),
  partitions: integerOption({ flag: "partitions", description: "partitions of the pipeline", default: 16, min: 1 }),
  sampleEveryMs: durationMsOption({ flag: "sample-every", description: "how often RSS, queues and state are sampled", default: 10_000, min: 1000 }),
  pollMs: durationMsOption({ flag: "poll", description: "how often the Jobs are listed (the lag is measured from it)", default: 250, min: 50 }),
  warmupMinutes: numberOption({ flag: "warmup", description: "minutes of warm-up left out of the memory verdict (0 = a third of the run, at most 5)", default: 0, min: 0 }),
  tolerance: numberOption({ flag: "tolerance", description: "memory is flat when the second half's median RSS exceeds the first's by at most this fraction...", default: 0.1, min: 0 }),
  toleranceMiB: numberOption({ flag: "tolerance-mib", description: "...or by at most this many MiB, whichever is larger", default: 16, min: 0 }),
  turnaroundMs: durationMsOption({ flag: "turnaround", description: "time a Pod slot spends between a Pod finishing and its replacement running (the Pods' run time is the rest)", default: 1000, min: 0 }),
  drainTimeoutMs: durationMsOption({ flag: "drain-timeout", description: "how long the last Jobs get to finish after the steady load", default: 300_000, min: 1000 }),
  out: stringOption({ flag: "out", description: "directory for the JSON results", default: "bench/results" }),
  keepLogs: booleanOption({ flag: "keep-logs", description: "keep every component's logs", default: false }),
};

export async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`jobtally soak: steady load for a long time; memory flat after warm-up, lag, queue depth, exact counts\n\nflags:\n${renderOptionsHelp(soakOptionSchema)}`);
    return;
  }
  const c = loadOptions(soakOptionSchema, argv);
  if (!natsServerAvailable()) throw new NatsServerMissingError();
  const warmupMs = c.warmupMinutes > 0 ? Math.round(c.warmupMinutes * 60_000) : defaultWarmupMs(c.minutes);
  if (warmupMs >= c.minutes * 60_000) throw new Error(`the warm-up (${warmupMs / 60_000} min) must be shorter than the run (${c.minutes} min)`);
  process.stderr.write(`soak: ${c.minutes} min at ${c.rate} Pods/s over ${c.jobs} Jobs (warm-up ${(warmupMs / 60_000).toFixed(1)} min), sampling every ${c.sampleEveryMs / 1000} s\n`);
  const result = await runSoak(
    {
      minutes: c.minutes,
      ratePerSec: c.rate,
      jobs: c.jobs,
      parallelism: c.parallelism,
      completions: c.completions,
      turnaroundMs: c.turnaroundMs,
      failProbability: c.failProbability,
      warmupMs,
      sampleEveryMs: c.sampleEveryMs,
      pollMs: c.pollMs,
      drainTimeoutMs: c.drainTimeoutMs,
      qps: c.qps,
      partitions: c.partitions,
      keepLogs: c.keepLogs,
    },
    {
      onNote: (m) => process.stderr.write(`  ${m}\n`),
      onSample: (s) => {
        const rss = Object.entries(s.services)
          .map(([n, r]) => `${n} ${(r.rssBytes / MiB).toFixed(0)}`)
          .join(", ");
        process.stderr.write(`  ${(s.atMs / 1000).toFixed(0).padStart(5)} s  ${s.phase.padEnd(7)}  ${s.counted} counted, ${s.jobsFinished} Jobs done; RSS MiB: ${rss}; intents queued ${s.intentsQueued}, remover queue ${s.removerQueueDepth}; load ${s.loadAverage1m.toFixed(1)}\n`);
      },
    },
  );
  const rows = sampleRows(result.samples, result.lags);
  const summary = summarize(result.samples, result.lags, { fromMs: warmupMs, toMs: result.steadyEndMs });
  const toleranceBytes = c.toleranceMiB * MiB;
  const memory: Record<string, FlatnessVerdict> = {};
  for (const name of result.serviceNames) {
    // Only the steady phase: the drain's falling load says nothing about a leak.
    const points = result.samples.filter((s) => s.phase !== "drain" && s.services[name]).map((s) => ({ atMs: s.atMs, bytes: (s.services[name] as { rssBytes: number }).rssBytes }));
    memory[name] = memoryFlatness(points, { warmupMs, tolerance: c.tolerance, toleranceBytes });
  }
  const checks: SoakChecks = {
    memory,
    countsExact: result.countMismatches.length === 0 && result.drained,
    countMismatches: result.countMismatches,
    jobsChecked: result.jobsChecked,
    finalizersLeft: result.finalizersLeft,
    drained: result.drained,
    trackedAfterDrain: result.trackedAfterDrain,
  };
  console.log(`\n${renderSampleTable(rows, result.serviceNames)}\n`);
  console.log(renderVerdict({ checks, summary, warmupMs, tolerance: c.tolerance, toleranceBytes }));
  mkdirSync(c.out, { recursive: true });
  const file = join(c.out, `soak-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "", memoryBytes: os.totalmem(), node: process.version, loadAverage1m: os.loadavg()[0] };
  writeFileSync(file, JSON.stringify({ machine, config: c, warmupMs, timing: result.timing, jobsCreated: result.jobsCreated, checks, summary, rows }, null, 2));
  console.log(`\nwrote ${file}`);
  if (!soakPassed(checks)) process.exitCode = 1;
}
