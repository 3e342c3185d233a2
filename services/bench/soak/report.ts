/** The soak's table of samples and its verdict, as text: pure. */
import { plainTable } from "../../../shared/text/table.js";
import type { FlatnessVerdict } from "./flatness.js";
import type { SampleRow, SoakSummary } from "./samples.js";

const MiB = 2 ** 20;

export interface SoakChecks {
  /** By process name. */
  memory: Record<string, FlatnessVerdict>;
  countsExact: boolean;
  countMismatches: string[];
  jobsChecked: number;
  finalizersLeft: number;
  /** Every Job finished within the drain timeout (and was deleted). */
  drained: boolean;
  /** The counters' tracked Jobs and Pods once every Job was deleted (both 0 when nothing is left behind). */
  trackedAfterDrain: { jobs: number; pods: number };
}

/** Passed: every service's memory flat (none unjudged), counts exact, no finalizer left, nothing tracked once the Jobs are gone. */
export function soakPassed(c: SoakChecks): boolean {
  const memoryFlat = Object.values(c.memory).every((v) => v.flat === true);
  return memoryFlat && c.countsExact && c.finalizersLeft === 0 && c.drained && c.trackedAfterDrain.jobs === 0 && c.trackedAfterDrain.pods === 0;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const sec = (ms: number): string => (ms / 1000).toFixed(2);

/** One line per sample: rate, every service's RSS, the queues, the window's lag, what the view and the counters hold. */
export function renderSampleTable(rows: readonly SampleRow[], serviceNames: readonly string[]): string {
  const header = ["t (s)", "phase", "Pods/s", ...serviceNames.map((n) => `${n} MiB`), "intents queued", "remover queue", "lag p50 (s)", "lag p99 (s)", "view msgs", "Pods tracked", "load"];
  const body = rows.map((r) => [
    (r.atMs / 1000).toFixed(0),
    r.phase,
    r.podsPerSec.toFixed(1),
    ...serviceNames.map((n) => (r.services[n] ? mib(r.services[n].rssBytes) : "-")),
    String(r.intentsQueued),
    String(r.removerQueueDepth),
    r.lag.pods > 0 ? sec(r.lag.p50) : "-",
    r.lag.pods > 0 ? sec(r.lag.p99) : "-",
    String(r.viewMessages),
    String(r.podsTracked),
    r.loadAverage1m.toFixed(1),
  ]);
  return plainTable(header, body);
}

export interface VerdictInput {
  checks: SoakChecks;
  summary: SoakSummary;
  warmupMs: number;
  tolerance: number;
  toleranceBytes: number;
}

export function renderVerdict(v: VerdictInput): string {
  const { checks: c, summary: s } = v;
  const lines: string[] = [];
  lines.push(
    `Memory after a warm-up of ${(v.warmupMs / 60_000).toFixed(1)} min, second half against first half (median RSS; flat when it grew by at most ${Math.round(v.tolerance * 100)} % or ${mib(v.toleranceBytes)} MiB):`,
  );
  const memRows = Object.entries(c.memory).map(([name, m]) => [
    name,
    m.flat === null ? "too few samples" : m.flat ? "flat" : "GROWING",
    mib(m.firstHalfMedianBytes),
    mib(m.secondHalfMedianBytes),
    `${m.growthBytes >= 0 ? "+" : ""}${mib(m.growthBytes)} (${(m.growthRatio * 100).toFixed(1)} %)`,
    mib(m.allowedBytes),
    `${m.slopeBytesPerMinute >= 0 ? "+" : ""}${mib(m.slopeBytesPerMinute)}`,
    String(m.samples),
  ]);
  lines.push(plainTable(["service", "verdict", "1st half MiB", "2nd half MiB", "growth MiB", "allowed MiB", "trend MiB/min", "samples"], memRows));
  lines.push("");
  lines.push(`Steady phase: ${s.steadyPodsPerSec.toFixed(1)} Pods/s counted; event lag (Pod finished → counted) p50 ${sec(s.lagMs.p50)} s, p99 ${sec(s.lagMs.p99)} s, max ${sec(s.lagMs.max)} s over ${s.lagPods} Pods.`);
  lines.push(
    `Deepest queues after the warm-up: ${s.steady.maxIntentsQueued} intents in the stream, ${s.steady.maxRemoverQueueDepth} API calls in the removers' queues (whole run: ${s.maxIntentsQueued} and ${s.maxRemoverQueueDepth}); view stream at most ${s.maxViewMessages} messages.`,
  );
  lines.push(
    `Counts: ${c.countsExact ? "exact" : "WRONG"} for ${c.jobsChecked} Jobs${c.countMismatches.length > 0 ? ` (${c.countMismatches.slice(0, 5).join("; ")}${c.countMismatches.length > 5 ? "; ..." : ""})` : ""}; finalizers left: ${c.finalizersLeft}; ${c.drained ? "every Job finished and was deleted" : "NOT every Job finished within the drain timeout"}; tracked by the counter once the Jobs were gone: ${c.trackedAfterDrain.jobs} Jobs, ${c.trackedAfterDrain.pods} Pods.`,
  );
  lines.push(soakPassed(c) ? "PASS: memory flat, counts exact, nothing left behind." : "FAIL");
  return lines.join("\n");
}
