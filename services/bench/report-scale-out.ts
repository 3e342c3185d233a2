/**
 * Pure rendering of the scale-out runs: throughput against the number of replicas, the failover
 * after a SIGKILL, and CPU and peak RSS per replica.
 */
import type { RunResult, ServiceFigures } from "./run-scenario.js";
import { fixed, markdownTable, plainTable } from "../../shared/text/table.js";

const MiB = 1024 * 1024;

const f = fixed;
const markdown = markdownTable;
const plain = plainTable;

export function isScaleOut(r: RunResult): boolean {
  return r.scenario === "scale-out";
}

/**
 * Wall time of the single-replica run of the same workload (no kill) over this run's: 2.00 means
 * twice as fast. Null without such a run.
 */
export function speedUp(run: RunResult, runs: RunResult[]): number | null {
  const base = runs.find((r) => r.scenario === run.scenario && (r.replicas ?? 1) === 1 && !r.failover && r.jobs === run.jobs && r.pods === run.pods && r.qps === run.qps);
  return base && run.wallSeconds > 0 ? base.wallSeconds / run.wallSeconds : null;
}

export const SCALE_OUT_HEADER = ["run", "counters + removers", "pods", "wall s", "floor s", "wall/floor", "pods/s", "speed-up", "status writes/1k", "conflicts/1k", "lag p50/p99 ms", "counts", "finalizers left", "creations expired", "load avg 1m"];

export function scaleOutRows(runs: RunResult[]): string[][] {
  return runs.filter(isScaleOut).map((r) => [
    r.label,
    `${r.replicas ?? 1} + ${r.replicas ?? 1}`,
    String(r.pods),
    f(r.wallSeconds, 1),
    `${f(r.floorSeconds, 1)}${r.floorBound ? ` (${r.floorBound})` : ""}`,
    f(r.ratioToFloor),
    f(r.podsPerSecond, 0),
    r.failover ? "— (kill)" : f(speedUp(r, runs)),
    f(r.statusWritesPer1000Pods, 1),
    f(r.conflictsPer1000Pods, 1),
    `${Math.round(r.lagMs.p50)}/${Math.round(r.lagMs.p99)}`,
    r.countsExact ? "exact" : `WRONG${r.timedOut ? " (timed out)" : ""}`,
    String(r.finalizersLeft),
    r.creationsExpired === undefined ? "—" : String(r.creationsExpired),
    f(r.loadAverage1m, 1),
  ]);
}

export const FAILOVER_HEADER = ["run", "killed", "its partitions", "its Jobs", "killed at s", "all owned after s", "all ready after s", "counting again after s", "lease s", "intents fenced"];

export function failoverRows(runs: RunResult[]): string[][] {
  return runs.flatMap((r) => {
    const fo = r.failover;
    if (!fo) return [];
    return [
      [
        r.label,
        fo.victim,
        String(fo.victimPartitions.length),
        String(fo.orphanJobs),
        f(fo.killAtSeconds, 1),
        fo.allOwnedAfterSeconds === null ? "NEVER" : f(fo.allOwnedAfterSeconds, 1),
        fo.allReadyAfterSeconds === null ? "NEVER" : f(fo.allReadyAfterSeconds, 1),
        fo.countingAgainAfterSeconds === null ? "NEVER" : f(fo.countingAgainAfterSeconds, 1),
        f(fo.leaseDurationSeconds, 0),
        String(fo.intentsFenced),
      ],
    ];
  });
}

export const REPLICA_HEADER = ["run", "service", "CPU s per replica", "peak RSS MiB per replica"];

const SERVICE_ORDER = ["counter", "finalizer-remover", "watcher"] as const;

/** The service of a replica: its `service` field, or its name without the `-<i>` suffix (older JSON). */
export function serviceOf(name: string, u: ServiceFigures): string {
  return u.service ?? name.replace(/-\d+$/, "");
}

/** One row per run and service; the replicas' figures joined by " / " in replica order, "†" after the killed one. */
export function replicaRows(runs: RunResult[]): string[][] {
  return runs.filter(isScaleOut).flatMap((r) =>
    SERVICE_ORDER.flatMap((service) => {
      const replicas = Object.entries(r.services)
        .filter(([name, u]) => serviceOf(name, u) === service)
        .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }));
      if (replicas.length === 0) return [];
      const mark = (u: ServiceFigures): string => (u.killed ? "†" : "");
      return [[r.label, service, replicas.map(([, u]) => `${f(u.cpuSeconds, 1)}${mark(u)}`).join(" / "), replicas.map(([, u]) => `${f(u.peakRssBytes / MiB, 0)}${mark(u)}`).join(" / ")]];
    }),
  );
}

export function renderScaleOutTables(runs: RunResult[], style: "plain" | "markdown"): string {
  const render = style === "plain" ? plain : markdown;
  const parts = [render(SCALE_OUT_HEADER, scaleOutRows(runs))];
  const fo = failoverRows(runs);
  if (fo.length > 0) parts.push(`Failover after a SIGKILL of one counter:\n\n${render(FAILOVER_HEADER, fo)}`);
  parts.push(`Per replica (CPU seconds over the run, peak RSS; † = the killed counter, read just before the kill):\n\n${render(REPLICA_HEADER, replicaRows(runs))}`);
  return parts.join("\n\n");
}
