/**
 * The fault schedule of a run (pure): when, what, to whom. Times are spread over the expected
 * length of the workload, so most faults hit running Jobs. Which Pod a Pod-level fault hits is
 * chosen when it fires (the Pods that run then), by the seeded `pick` in [0, 1).
 */
import type { DeletePropagation, FaultEvent, FaultKind, InjectedCode, JobPlan, ServiceKind, TopologyPlan } from "./plan.js";
import { CLUSTER_NODES, REPLICAS_PER_SERVICE, SERVICE_KINDS } from "./plan.js";
import type { Rng } from "./rng.js";

export interface ScheduleInput {
  jobs: readonly JobPlan[];
  topology: TopologyPlan;
  estimatedMs: number;
  faultsPerRun: number;
}

type TimedKind = FaultEvent["kind"];

const WEIGHTS: readonly (readonly [TimedKind, number])[] = [
  ["kill-service", 3],
  ["nats-restart", 2],
  ["api-errors", 2],
  ["api-latency", 1],
  ["cut-watches", 1],
  ["compaction", 1],
  ["delete-pod", 2],
  ["delete-job", 0.7],
  ["parallelism", 1],
  ["suspend", 0.7],
  ["disrupt-pod", 0.6],
];

/** The window faults are spread over, ms after the Jobs are submitted. */
export function faultWindowMs(estimatedMs: number): number {
  return Math.round(Math.min(60_000, Math.max(2_500, estimatedMs * 0.9)));
}

export function drawSchedule(rng: Rng, input: ScheduleInput): FaultEvent[] {
  if (input.faultsPerRun <= 0) return [];
  const window = faultWindowMs(input.estimatedMs);
  const count = Math.min(16, Math.max(1, Math.round(input.faultsPerRun * rng.real(0.5, 1.5))) + Math.floor(window / 15_000));
  const deletable = Math.floor(input.jobs.length / 2);
  let deleted = 0;
  const deletedJobs = new Set<string>();
  const out: FaultEvent[] = [];
  for (let i = 0; i < count; i++) {
    const atMs = rng.int(200, window);
    let kind = rng.weighted(WEIGHTS);
    if (kind === "delete-job" && deleted >= deletable) kind = "delete-pod";
    const liveJobs = input.jobs.filter((j) => !deletedJobs.has(j.name));
    const job = rng.pick(liveJobs.length > 0 ? liveJobs : input.jobs);
    switch (kind) {
      case "kill-service": {
        const service: ServiceKind = rng.pick(SERVICE_KINDS);
        out.push({ kind, atMs, service, replica: rng.int(1, REPLICAS_PER_SERVICE), downMs: rng.chance(0.3) ? 0 : rng.int(200, 3000) });
        break;
      }
      case "nats-restart":
        if (input.topology.nats === "cluster") out.push({ kind: "nats-node-loss", atMs, node: rng.int(0, CLUSTER_NODES - 1), downMs: rng.chance(0.3) ? null : rng.int(500, 5000) });
        else out.push({ kind, atMs, downMs: rng.int(0, 2500) });
        break;
      case "api-errors": {
        const code: InjectedCode = rng.weighted([
          [500, 1],
          [503, 1],
          [429, 1],
          [409, 1],
        ]);
        out.push({ kind, atMs, code, probability: Number(rng.real(0.05, 0.3).toFixed(3)), durationMs: rng.int(500, 4000) });
        break;
      }
      case "api-latency":
        out.push({ kind, atMs, latencyMs: rng.int(10, 250), jitterMs: rng.int(0, 200), durationMs: rng.int(500, 4000) });
        break;
      case "cut-watches":
      case "compaction":
        out.push({ kind, atMs });
        break;
      case "delete-pod":
      case "disrupt-pod":
        out.push({ kind, atMs, job: job.name, pick: Number(rng.next().toFixed(4)) });
        break;
      case "delete-job": {
        const policy: DeletePropagation = rng.pick(["Foreground", "Background", "Orphan"] as const);
        deleted++;
        deletedJobs.add(job.name);
        out.push({ kind, atMs, job: job.name, policy });
        break;
      }
      case "parallelism":
        out.push({ kind, atMs, job: job.name, parallelism: rng.logInt(1, Math.max(1, Math.min(job.completions, 64))) });
        break;
      case "suspend":
        // Suspending restarts the deadline clock in-tree; keep the two apart.
        if (job.activeDeadlineSeconds !== null) out.push({ kind: "parallelism", atMs, job: job.name, parallelism: rng.int(1, Math.max(1, job.parallelism)) });
        else out.push({ kind, atMs, job: job.name, resumeAfterMs: rng.int(300, 3000) });
        break;
      case "nats-node-loss":
        break; // drawn through "nats-restart"
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** One line per fault, as printed with a violation. */
export function describeFault(f: FaultEvent): string {
  const at = `t=${(f.atMs / 1000).toFixed(2)}s`;
  switch (f.kind) {
    case "kill-service":
      return `${at} SIGKILL ${f.service}-${f.replica}, restart after ${f.downMs} ms`;
    case "nats-restart":
      return `${at} SIGKILL nats-server, restart after ${f.downMs} ms`;
    case "nats-node-loss":
      return `${at} SIGKILL nats node n${f.node + 1}, ${f.downMs === null ? "never restarted" : `restart after ${f.downMs} ms`}`;
    case "api-errors":
      return `${at} API answers ${f.code} with probability ${f.probability} for ${f.durationMs} ms`;
    case "api-latency":
      return `${at} API latency ${f.latencyMs} ms + up to ${f.jitterMs} ms for ${f.durationMs} ms`;
    case "cut-watches":
      return `${at} cut every watch`;
    case "compaction":
      return `${at} cut every watch, hold reconnections back and compact the history (410 Gone)`;
    case "delete-pod":
      return `${at} a user deletes a running Pod of ${f.job} (pick ${f.pick})`;
    case "disrupt-pod":
      return `${at} a running Pod of ${f.job} is disrupted: fails with DisruptionTarget (pick ${f.pick})`;
    case "delete-job":
      return `${at} a user deletes Job ${f.job} (propagationPolicy ${f.policy})`;
    case "parallelism":
      return `${at} parallelism of ${f.job} set to ${f.parallelism}`;
    case "suspend":
      return `${at} ${f.job} suspended, resumed after ${f.resumeAfterMs} ms`;
  }
}

export const FAULT_KINDS: readonly FaultKind[] = [
  "kill-service",
  "nats-restart",
  "nats-node-loss",
  "api-errors",
  "api-latency",
  "cut-watches",
  "compaction",
  "pod-gc",
  "delete-pod",
  "disrupt-pod",
  "delete-job",
  "parallelism",
  "suspend",
];
