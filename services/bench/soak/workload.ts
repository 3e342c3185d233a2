/**
 * The soak's steady workload, pure: `jobs` Jobs run at once, each with `parallelism` Pods in
 * flight; a Job that finishes is deleted and replaced by a new one, so Pods and Jobs come and go
 * for the whole run. How long each Pod runs is chosen so that the Pods finish at about `ratePerSec`.
 */
import type { V1Job } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY } from "../../../shared/constants.js";

export interface WorkloadOptions {
  /** Pods finishing per second, over all Jobs. */
  ratePerSec: number;
  /** Jobs running at once. */
  jobs: number;
  /** Pods in flight per Job. */
  parallelism: number;
  /**
   * What a Pod slot spends outside its Pod's run: from a Pod finishing to its replacement running
   * (the counter seeing it, the creation intent, the creation, the kubelet starting it).
   */
  turnaroundMs: number;
}

export interface PodTiming {
  /** The kubelet simulator's `--duration-ms`. */
  durationMs: number;
  /** Its `--duration-jitter-ms`: Pods run durationMs + [0, jitter), so they do not finish in step. */
  jitterMs: number;
  /** Each Pod slot turns over this often: jobs × parallelism / rate. */
  slotPeriodMs: number;
}

/** Jitter as a fraction of a slot's period. */
const JITTER_FRACTION = 0.2;

/**
 * Every one of the jobs × parallelism Pod slots must turn over every jobs × parallelism / rate
 * seconds; the Pod runs for that minus the pipeline's turnaround (its mean, jitter included).
 */
export function podTiming(o: WorkloadOptions): PodTiming {
  if (!(o.ratePerSec > 0)) throw new Error(`the rate must be positive, got ${o.ratePerSec}`);
  if (!(o.jobs >= 1 && o.parallelism >= 1)) throw new Error(`jobs and parallelism must be at least 1, got ${o.jobs} and ${o.parallelism}`);
  const slotPeriodMs = ((o.jobs * o.parallelism) / o.ratePerSec) * 1000;
  const jitterMs = Math.round(slotPeriodMs * JITTER_FRACTION);
  const durationMs = Math.max(0, Math.round(slotPeriodMs - o.turnaroundMs - jitterMs / 2));
  return { durationMs, jitterMs, slotPeriodMs };
}

/**
 * Completions of the `seq`-th Job: spread over [base/2, 3·base/2) along the golden-ratio sequence,
 * so that Jobs started together do not all finish together (the replacements stay spread too).
 */
export function jobCompletions(seq: number, base: number): number {
  const golden = 0.6180339887498949;
  return Math.max(1, Math.floor(base / 2 + ((seq * golden) % 1) * base));
}

/** A NonIndexed Job managed by jobtally that never fails for its Pods' failures (they are replaced). */
export function soakJob(name: string, namespace: string, completions: number, parallelism: number): V1Job {
  return {
    metadata: { name, namespace, labels: { "jobtally.io/soak": "true" } },
    spec: {
      completions,
      parallelism,
      completionMode: "NonIndexed",
      backoffLimit: 2_147_483_647,
      managedBy: DEFAULT_MANAGED_BY,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] } },
    },
  };
}
