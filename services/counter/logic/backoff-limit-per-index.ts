/**
 * `spec.backoffLimitPerIndex` (KEP-3850): the failures of each index of an Indexed Job are
 * counted on their own, carried from a failed Pod to its replacement in the
 * `job-index-failure-count` annotations. Mirrors in-tree `indexed_job_utils.go`
 * (`calculateFailedIndexes`, `isIndexFailed`, `getPodsWithDelayedDeletionPerIndex`,
 * `getNewIndexFailureCounts`) and `backoff_utils.go` (`getRemainingTimePerIndex`), and
 * `getPodCreationInfoForIndependentIndexes` (job_controller.go). Pure functions over the view.
 */
import type { V1Job } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { OrderedIntervals } from "./completed-indexes.js";
import { remainingBackoffMs } from "./failure-backoff.js";
import { backoffLimitPerIndexOf, completionsOf } from "./job-spec.js";
import { holdsFinalizer, isPodFailed, podFinishedAtMs, validCompletionIndex } from "./pod-classification.js";
import { matchPodFailurePolicy } from "./pod-failure-policy.js";

/** In-tree `batch.JobReasonFailedIndexes` / `JobReasonMaxFailedIndexesExceeded` and their messages. */
export const REASON_FAILED_INDEXES = "FailedIndexes";
export const MESSAGE_FAILED_INDEXES = "Job has failed indexes";
export const REASON_MAX_FAILED_INDEXES_EXCEEDED = "MaxFailedIndexesExceeded";
export const MESSAGE_MAX_FAILED_INDEXES_EXCEEDED = "Job has exceeded the specified maximal number of failed indexes";

/** In-tree `getIndexAbsoluteFailureCount`: counted plus ignored failures of the index before this Pod. */
export function indexAbsoluteFailureCount(pod: PodView): number {
  return (pod.indexFailureCount ?? 0) + (pod.indexIgnoredFailureCount ?? 0);
}

/**
 * In-tree `isIndexFailed`: the Pod failed and either a FailIndex rule matched it, or it is a
 * counted failure (not Ignored) and its index already failed `backoffLimitPerIndex` times before it.
 */
export function isIndexFailed(job: V1Job, pod: PodView, onlyReplaceFailed: boolean): boolean {
  if (!isPodFailed(pod, onlyReplaceFailed)) return false;
  let counted = true;
  const policy = job.spec?.podFailurePolicy;
  if (policy) {
    const match = matchPodFailurePolicy(policy, pod);
    if (match.action === "FailIndex") return true;
    counted = match.countFailed;
  }
  return counted && (pod.indexFailureCount ?? 0) >= (backoffLimitPerIndexOf(job) ?? 0);
}

/**
 * In-tree `calculateFailedIndexes`: `status.failedIndexes` plus the indexes of Pods not counted yet
 * (still holding the finalizer) whose failure fails their index.
 */
export function calculateFailedIndexes(job: V1Job, pods: readonly PodView[], onlyReplaceFailed: boolean): OrderedIntervals {
  const completions = completionsOf(job) ?? 0;
  const previous = OrderedIntervals.parse(job.status?.failedIndexes, completions);
  const failed: number[] = [];
  for (const pod of pods) {
    const ix = validCompletionIndex(pod, completions);
    if (ix !== null && holdsFinalizer(pod) && isIndexFailed(job, pod, onlyReplaceFailed)) failed.push(ix);
  }
  return previous.withIndexes(failed);
}

export interface DelayedDeletionInput {
  job: V1Job;
  pods: readonly PodView[];
  succeededIndexes: OrderedIntervals;
  failedIndexes: OrderedIntervals;
  /** Indexes of the Pods the view shows active (in-tree `jobCtx.activePods`). */
  activeIndexes: ReadonlySet<number>;
  onlyReplaceFailed: boolean;
  /** Not candidates: removals in flight (in-tree `expectedRmFinalizers`) and UIDs already listed. */
  excluded: ReadonlySet<string>;
  nowMs: number;
}

/**
 * In-tree `getPodsWithDelayedDeletionPerIndex`: per index that is neither succeeded, failed nor
 * active, the failed Pod holding the finalizer with the highest failure count (the latest on a
 * tie). Its finalizer stays (it is not listed, so not counted yet) until its replacement exists,
 * so that the replacement's failure count is read from it.
 *
 * jobtally also leaves out UIDs already listed in `uncountedTerminatedPods` (in-tree removes
 * their finalizers within the sync that listed them; here the removal is asynchronous and must
 * not be held back, or a lost removal intent could never be re-planned).
 */
export function podsWithDelayedDeletionPerIndex(input: DelayedDeletionInput): Map<number, PodView> {
  const completions = completionsOf(input.job) ?? 0;
  const delayed = new Map<number, PodView>();
  for (const pod of input.pods) {
    if (!holdsFinalizer(pod) || input.excluded.has(pod.uid) || !isPodFailed(pod, input.onlyReplaceFailed)) continue;
    const ix = validCompletionIndex(pod, completions);
    if (ix === null) continue;
    if (input.succeededIndexes.has(ix) || input.failedIndexes.has(ix) || input.activeIndexes.has(ix)) continue;
    const last = delayed.get(ix);
    if (
      last === undefined ||
      (indexAbsoluteFailureCount(last) <= indexAbsoluteFailureCount(pod) && podFinishedAtMs(pod, input.nowMs) >= podFinishedAtMs(last, input.nowMs))
    ) {
      delayed.set(ix, pod);
    }
  }
  return delayed;
}

/** In-tree `getNewIndexFailureCounts`: the annotations of the Pod replacing `replaced` (0, 0 for a first Pod). */
export function newIndexFailureCounts(job: V1Job, replaced: PodView | undefined): { failureCount: number; ignoredFailureCount: number } {
  if (replaced === undefined) return { failureCount: 0, ignoredFailureCount: 0 };
  let failureCount = replaced.indexFailureCount ?? 0;
  let ignoredFailureCount = replaced.indexIgnoredFailureCount ?? 0;
  const policy = job.spec?.podFailurePolicy;
  if (policy && !matchPodFailurePolicy(policy, replaced).countFailed) ignoredFailureCount++;
  else failureCount++;
  return { failureCount, ignoredFailureCount };
}

/**
 * In-tree `getRemainingTimePerIndex`: the replacement delay of one index, from its last failed Pod
 * (its absolute failure count + 1 failures, the last at the Pod's finish time); 0 with none.
 */
export function remainingTimePerIndexMs(lastFailed: PodView | undefined, nowMs: number, baseMs: number, maxMs: number): number {
  if (lastFailed === undefined) return 0;
  return remainingBackoffMs(
    { failuresAfterLastSuccess: indexAbsoluteFailureCount(lastFailed) + 1, lastFailureTimeMs: podFinishedAtMs(lastFailed, nowMs) },
    nowMs,
    baseMs,
    maxMs,
  );
}

/**
 * In-tree `getPodCreationInfoForIndependentIndexes`: the indexes whose backoff has passed, and,
 * when none has, the shortest wait among the others. jobtally also returns that wait when some
 * indexes are created now, so the ones still waiting are looked at again without needing an event.
 */
export function creatableIndexes(indexes: readonly number[], remainingMs: (ix: number) => number): { now: number[]; waitMs: number | null } {
  const now: number[] = [];
  let waitMs: number | null = null;
  for (const ix of indexes) {
    const left = remainingMs(ix);
    if (left === 0) now.push(ix);
    else if (waitMs === null || left < waitMs) waitMs = left;
  }
  return { now, waitMs };
}
