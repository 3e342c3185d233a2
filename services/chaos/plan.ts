/**
 * One run's plan, drawn from its seed alone (pure): the topology (single nats-server or a
 * three-node cluster, partitions, PodGC on or off, the simulators' seeds and Pod timing), the
 * workload (managed Jobs, and a couple that another controller manages) and the fault schedule.
 */
import { createRng } from "./rng.js";
import { drawJobs, drawUnmanagedJobs, estimateRunMs } from "./workload.js";
import { drawSchedule } from "./schedule.js";

export type NatsTopology = "single" | "cluster";
export type ServiceKind = "watcher" | "counter" | "finalizer-remover";
export const SERVICE_KINDS: readonly ServiceKind[] = ["watcher", "counter", "finalizer-remover"];
/** Every service runs this many replicas. */
export const REPLICAS_PER_SERVICE = 2;
export const CLUSTER_NODES = 3;

export interface JobPlan {
  name: string;
  indexed: boolean;
  completions: number;
  parallelism: number;
  backoffLimit: number;
  activeDeadlineSeconds: number | null;
  podFailurePolicy: boolean;
  /** kubelet-sim steering annotations on the Pod template (duration, failures, grace). */
  podAnnotations: Record<string, string>;
}

/** A Job whose `spec.managedBy` names another controller: jobtally must never write it. */
export interface UnmanagedJobPlan {
  name: string;
  managedBy: string;
  completions: number;
}

export interface TopologyPlan {
  nats: NatsTopology;
  partitions: number;
  /** The kubelet simulator deletes every Pod the moment it finishes. */
  podGc: boolean;
  kubelet: { durationMs: number; jitterMs: number; seed: number };
  simSeed: number;
}

export type DeletePropagation = "Foreground" | "Background" | "Orphan";
export type InjectedCode = 500 | 503 | 429 | 409;

export type FaultEvent =
  | { kind: "kill-service"; atMs: number; service: ServiceKind; replica: number; downMs: number }
  | { kind: "nats-restart"; atMs: number; downMs: number }
  | { kind: "nats-node-loss"; atMs: number; node: number; downMs: number | null }
  | { kind: "api-errors"; atMs: number; code: InjectedCode; probability: number; durationMs: number }
  | { kind: "api-latency"; atMs: number; latencyMs: number; jitterMs: number; durationMs: number }
  | { kind: "cut-watches"; atMs: number }
  | { kind: "compaction"; atMs: number }
  | { kind: "delete-pod"; atMs: number; job: string; pick: number }
  | { kind: "delete-job"; atMs: number; job: string; policy: DeletePropagation }
  | { kind: "parallelism"; atMs: number; job: string; parallelism: number }
  | { kind: "suspend"; atMs: number; job: string; resumeAfterMs: number }
  | { kind: "disrupt-pod"; atMs: number; job: string; pick: number };

export type FaultKind = FaultEvent["kind"] | "pod-gc";

export interface RunPlan {
  /** Index of the run in its campaign (0 when replayed alone). */
  index: number;
  seed: number;
  maxPods: number;
  topology: TopologyPlan;
  jobs: JobPlan[];
  unmanaged: UnmanagedJobPlan[];
  /** Sorted by `atMs` (from the moment the Jobs are submitted). */
  faults: FaultEvent[];
  /** Rough expected length of the workload without faults, ms (sizes the fault window and timeouts). */
  estimatedMs: number;
}

export interface PlanOptions {
  maxPods: number;
  /** Force a NATS topology; "auto" draws one (a cluster in about one run of four). */
  nats: NatsTopology | "auto";
  /** Fault events per run are drawn around this (0 = no timed faults). */
  faultsPerRun: number;
}

export function drawRunPlan(seed: number, index: number, opts: PlanOptions): RunPlan {
  const rng = createRng(seed);
  // Drawn even when forced, so that forcing the topology changes nothing else of the plan.
  const drawn: NatsTopology = rng.chance(0.25) ? "cluster" : "single";
  const nats: NatsTopology = opts.nats === "auto" ? drawn : opts.nats;
  const topology: TopologyPlan = {
    nats,
    partitions: rng.pick([2, 4, 8]),
    podGc: rng.chance(0.5),
    kubelet: { durationMs: rng.int(50, 400), jitterMs: rng.int(0, 600), seed: rng.int(1, 1_000_000) },
    simSeed: rng.int(1, 1_000_000),
  };
  const jobs = drawJobs(rng, opts.maxPods, topology.kubelet.durationMs + topology.kubelet.jitterMs / 2);
  const unmanaged = drawUnmanagedJobs(rng);
  const estimatedMs = estimateRunMs(jobs, topology);
  const faults = drawSchedule(rng, { jobs, topology, estimatedMs, faultsPerRun: opts.faultsPerRun });
  return { index, seed, maxPods: opts.maxPods, topology, jobs, unmanaged, faults, estimatedMs };
}

/** Fault kinds of a plan as executed counts are keyed (PodGC counts once per run). */
export function plannedFaultKinds(plan: RunPlan): FaultKind[] {
  return [...(plan.topology.podGc ? (["pod-gc"] as const) : []), ...plan.faults.map((f) => f.kind)];
}
