/** Spec reads with the API server's defaults applied, so a Job straight from JSON works too. */
import type { V1Job } from "@kubernetes/client-node";

export const NON_INDEXED = "NonIndexed";
export const INDEXED = "Indexed";

/** In-tree `isIndexedJob`. */
export function isIndexedJob(job: V1Job): boolean {
  return job.spec?.completionMode === INDEXED;
}

/** In-tree syncJob refuses completion modes it does not know (version skew). */
export function hasKnownCompletionMode(job: V1Job): boolean {
  const mode = job.spec?.completionMode;
  return mode === undefined || mode === null || mode === NON_INDEXED || mode === INDEXED;
}

/** `spec.completions`, or null when unset ("any success completes the Job"). */
export function completionsOf(job: V1Job): number | null {
  const completions = job.spec?.completions;
  return completions === undefined || completions === null ? null : completions;
}

/** `spec.parallelism`, defaulted to 1 by the API server. */
export function parallelismOf(job: V1Job): number {
  return job.spec?.parallelism ?? 1;
}

/** `spec.backoffLimit`, defaulted to 6 by the API server. */
export function backoffLimitOf(job: V1Job): number {
  return job.spec?.backoffLimit ?? 6;
}

/** In-tree `jobSuspended`. */
export function isJobSuspended(job: V1Job): boolean {
  return job.spec?.suspend === true;
}

/**
 * In-tree `onlyReplaceFailedPods`: with `podReplacementPolicy: Failed` (or a podFailurePolicy) a
 * terminating Pod is neither failed nor replaced until it reaches a terminal phase.
 */
export function isOnlyReplaceFailedPods(job: V1Job): boolean {
  return job.spec?.podReplacementPolicy === "Failed" || job.spec?.podFailurePolicy !== undefined;
}

/** In-tree `hasBackoffLimitPerIndex` (the feature is GA since 1.33): `spec.backoffLimitPerIndex` set. */
export function hasBackoffLimitPerIndex(job: V1Job): boolean {
  const limit = job.spec?.backoffLimitPerIndex;
  return limit !== undefined && limit !== null;
}

/** `spec.backoffLimitPerIndex`, or null when unset. */
export function backoffLimitPerIndexOf(job: V1Job): number | null {
  return job.spec?.backoffLimitPerIndex ?? null;
}

/** `spec.maxFailedIndexes`, or null when unset. */
export function maxFailedIndexesOf(job: V1Job): number | null {
  return job.spec?.maxFailedIndexes ?? null;
}

/**
 * An Indexed Job whose `completions` equal its `parallelism` (KEP-3715, elastic Indexed Jobs):
 * both may be changed together, and its `status.succeeded` may go down when it is scaled down.
 */
export function isElasticIndexed(job: V1Job): boolean {
  return isIndexedJob(job) && completionsOf(job) !== null && completionsOf(job) === parallelismOf(job);
}
