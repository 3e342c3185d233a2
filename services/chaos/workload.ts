/**
 * The workload of a run (pure): 2 to 5 managed Jobs of 1 to `maxPods` Pods each (log-uniform, so
 * most are small and some are large), NonIndexed and Indexed, with failure rates, and some with a
 * `backoffLimit`, an `activeDeadlineSeconds`, a podFailurePolicy or a slow graceful termination;
 * plus one or two Jobs managed by another controller. Pods are steered through the kubelet
 * simulator's annotations (its HTTP-level contract, spelled out here: no import of the simulator).
 */
import type { JobPlan, TopologyPlan, UnmanagedJobPlan } from "./plan.js";
import type { Rng } from "./rng.js";
import { COUNTED_EXIT_CODE, FAIL_JOB_EXIT_CODE } from "./pod-failure-policy.js";

const A = "kubelet-sim.jobtally.io/";
export const ANNOTATION_DURATION_MS = `${A}duration-ms`;
export const ANNOTATION_FAIL_PROBABILITY = `${A}fail-probability`;
export const ANNOTATION_EXIT_CODE_BY_INDEX = `${A}exit-code-by-index`;
export const ANNOTATION_TERMINATION_GRACE_MS = `${A}termination-grace-ms`;
export const ANNOTATION_FAILURE_CONDITION = `${A}failure-condition`;

/** `backoffLimit` of Jobs that should never fail on failures. */
export const UNLIMITED_BACKOFF = 2_147_483_647;
export const OTHER_CONTROLLER = "chaos.example.com/other-controller";
/** A deadline far beyond any run (the longest settle is an hour): it must never fire. */
export const LOOSE_DEADLINE_SECONDS = 3 * 3600;
/** Pods of a Job that must run past its short deadline. */
const LONG_POD_MS = 30_000;

/** Jobs get at least the parallelism that runs them in about this long (without faults). */
export const TARGET_JOB_MS = 8_000;
const MAX_PARALLELISM = 500;

export function drawJobs(rng: Rng, maxPods: number, defaultPodMs: number): JobPlan[] {
  const count = rng.int(2, 5);
  const jobs: JobPlan[] = [];
  for (let i = 0; i < count; i++) {
    const indexed = rng.chance(0.4);
    const completions = rng.logInt(1, maxPods);
    let parallelism = rng.logInt(1, Math.max(1, Math.min(completions, 64)));
    const podAnnotations: Record<string, string> = {};
    if (rng.chance(0.55)) podAnnotations[ANNOTATION_FAIL_PROBABILITY] = rng.real(0.02, 0.25).toFixed(3);
    if (rng.chance(0.3)) podAnnotations[ANNOTATION_DURATION_MS] = String(rng.int(100, 2500));
    if (rng.chance(0.15)) podAnnotations[ANNOTATION_TERMINATION_GRACE_MS] = String(rng.int(100, 1500));
    let backoffLimit = rng.chance(0.3) ? rng.int(0, 8) : UNLIMITED_BACKOFF;
    let activeDeadlineSeconds: number | null = null;
    if (rng.chance(0.12)) {
      if (rng.chance(0.6)) {
        // Short: the deadline passes while Pods still run (DeadlineExceeded).
        activeDeadlineSeconds = rng.int(2, 4);
        podAnnotations[ANNOTATION_DURATION_MS] = String(LONG_POD_MS);
      } else {
        activeDeadlineSeconds = LOOSE_DEADLINE_SECONDS; // must not fire
      }
    }
    // Long Jobs run wider: the campaign is about faults, not about waiting.
    const podMs = (podAnnotations[ANNOTATION_DURATION_MS] !== undefined ? Number(podAnnotations[ANNOTATION_DURATION_MS]) : defaultPodMs) + 150;
    const wide = activeDeadlineSeconds !== null && activeDeadlineSeconds < 60 ? parallelism : Math.ceil((completions * podMs) / TARGET_JOB_MS);
    parallelism = Math.min(completions, MAX_PARALLELISM, Math.max(parallelism, wide));
    const podFailurePolicy = rng.chance(0.2);
    if (podFailurePolicy && indexed && completions > 1) {
      const special: string[] = [];
      for (let k = rng.int(1, 2); k > 0; k--) {
        const code = rng.chance(0.3) ? FAIL_JOB_EXIT_CODE : COUNTED_EXIT_CODE;
        special.push(`${rng.int(0, completions - 1)}=${code}`);
      }
      podAnnotations[ANNOTATION_EXIT_CODE_BY_INDEX] = [...new Set(special)].join(",");
      // An index that always fails with a counted code ends only through backoffLimit.
      if (special.some((e) => e.endsWith(`=${COUNTED_EXIT_CODE}`))) backoffLimit = Math.min(backoffLimit, rng.int(0, 6));
    }
    jobs.push({ name: `job-${i}`, indexed, completions, parallelism, backoffLimit, activeDeadlineSeconds, podFailurePolicy, podAnnotations });
  }
  // Bound the run: at most twice `maxPods` completions in all, the largest Jobs shrunk first.
  const budget = Math.max(2, 2 * maxPods);
  for (;;) {
    const total = jobs.reduce((s, j) => s + j.completions, 0);
    if (total <= budget) break;
    const largest = jobs.reduce((a, b) => (b.completions > a.completions ? b : a));
    largest.completions = Math.max(1, largest.completions - (total - budget));
    largest.parallelism = Math.min(largest.parallelism, largest.completions);
    if (largest.podAnnotations[ANNOTATION_EXIT_CODE_BY_INDEX]) {
      const kept = largest.podAnnotations[ANNOTATION_EXIT_CODE_BY_INDEX].split(",").filter((e) => Number(e.split("=")[0]) < largest.completions);
      if (kept.length > 0) largest.podAnnotations[ANNOTATION_EXIT_CODE_BY_INDEX] = kept.join(",");
      else delete largest.podAnnotations[ANNOTATION_EXIT_CODE_BY_INDEX];
    }
  }
  return jobs;
}

export function drawUnmanagedJobs(rng: Rng): UnmanagedJobPlan[] {
  return Array.from({ length: rng.int(1, 2) }, (_, i) => ({ name: `other-${i}`, managedBy: OTHER_CONTROLLER, completions: rng.int(1, 5) }));
}

/** Mean run time of one of the Job's Pods, ms. */
export function meanPodMs(job: JobPlan, topology: TopologyPlan): number {
  const fixed = job.podAnnotations[ANNOTATION_DURATION_MS];
  return fixed !== undefined ? Number(fixed) : topology.kubelet.durationMs + topology.kubelet.jitterMs / 2;
}

/** How long the workload takes without faults, roughly: the slowest Job's waves of Pods. */
export function estimateRunMs(jobs: readonly JobPlan[], topology: TopologyPlan): number {
  let longest = 0;
  for (const j of jobs) {
    const podMs = j.activeDeadlineSeconds !== null && j.activeDeadlineSeconds < 60 ? j.activeDeadlineSeconds * 1000 : meanPodMs(j, topology) + 150;
    const waves = j.activeDeadlineSeconds !== null && j.activeDeadlineSeconds < 60 ? 1 : Math.ceil(j.completions / j.parallelism);
    longest = Math.max(longest, waves * podMs);
  }
  return Math.round(longest);
}
