/**
 * Steps 1 and 4 of the KEP-2307 counting algorithm for one sync, as in-tree
 * `trackJobStatusAndRemoveFinalizers` decides them, in one status write: count the listed UIDs
 * whose Pods the view shows without the finalizer (or gone, or forgotten), then fill the freed
 * room in `uncountedTerminatedPods` with newly finished Pods, and plan the finalizer removals
 * that the written status makes safe.
 */
import type { V1PodFailurePolicy } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import type { PlannedRemoval } from "./types.js";
import type { RemovalReason } from "../../../shared/intents/intents.js";
import type { OrderedIntervals } from "./completed-indexes.js";
import { holdsFinalizer, isPodFailed, isPodSucceeded, validCompletionIndex } from "./pod-classification.js";
import { matchPodFailurePolicy } from "./pod-failure-policy.js";
import { countUncountedWithoutFinalizer, uncountedTotal, type UncountedLists } from "./uncounted.js";

/** What the Job is heading to, which widens what may lose its finalizer (in-tree `canRemoveFinalizer`). */
export type FinishingKind = "failure" | "success" | null;

export interface TrackingInput {
  /** Pods of the Job in listing order (see `sortPodsForTracking`). */
  pods: readonly PodView[];
  lists: UncountedLists;
  isIndexed: boolean;
  completions: number | null;
  /** Completed indexes after this sync (already including this sync's successes). */
  succeededIndexes: OrderedIntervals;
  finishing: FinishingKind;
  /** The Job has a deletionTimestamp: every finalizer may go. */
  jobDeleting: boolean;
  onlyReplaceFailed: boolean;
  removalsInFlight: ReadonlySet<string>;
  deletionsInFlight: ReadonlySet<string>;
  maxUncountedPods: number;
  /** `spec.podFailurePolicy`: a failure an Ignore rule matches loses its finalizer unlisted. */
  podFailurePolicy?: V1PodFailurePolicy | null;
  /**
   * backoffLimitPerIndex: failed Pods whose finalizer stays until their index's replacement exists
   * (in-tree `podsWithDelayedDeletionPerIndex`); not listed, so not counted, while the Job runs.
   */
  delayedRemoval?: ReadonlySet<string>;
  /**
   * Listed UIDs whose Pods hold the finalizer but are not among `pods` right now: adoption
   * candidates (their controller reference went, their labels still match, adoption.ts). Not
   * counted until the view shows them adopted again (then their removal counts them) or gone.
   */
  heldOutside?: ReadonlySet<string>;
}

export interface TrackingResult {
  lists: UncountedLists;
  countedSucceeded: string[];
  countedFailed: string[];
  /** Pods this sync puts into the lists for the first time. */
  newlyListedSucceeded: PodView[];
  newlyListedFailed: PodView[];
  /**
   * Failed Pods an Ignore rule matched, whose finalizer this sync removes without listing them:
   * never counted, and not held against backoffLimit, but in-tree they still delay the next
   * replacement (`newBackoffRecord` sees every new failed Pod).
   */
  newlyIgnoredFailed: PodView[];
  removals: PlannedRemoval[];
  /** Some finished Pods wait for room in the lists. */
  reachedMaxUncounted: boolean;
}

/** Indexed: by completion index (in-tree sorts `byCompletionIndex`); then by name, for determinism. */
export function sortPodsForTracking(pods: readonly PodView[]): PodView[] {
  return [...pods].sort((a, b) => {
    const ia = a.completionIndex ?? -1;
    const ib = b.completionIndex ?? -1;
    if (ia !== ib) return ia - ib;
    const fa = a.finishedAt ?? "";
    const fb = b.finishedAt ?? "";
    if (fa !== fb) return fa < fb ? -1 : 1;
    return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
  });
}

export function planTracking(input: TrackingInput): TrackingResult {
  // Count first: only the view decides, never an in-flight removal.
  const holding = new Set([...input.pods.filter(holdsFinalizer).map((p) => p.uid), ...(input.heldOutside ?? [])]);
  const counted = countUncountedWithoutFinalizer(input.lists, holding);
  const lists: UncountedLists = { succeeded: [...counted.lists.succeeded], failed: [...counted.lists.failed] };
  const listedSucceeded = new Set(lists.succeeded);
  const listedFailed = new Set(lists.failed);
  let room = input.maxUncountedPods - uncountedTotal(lists);

  const result: TrackingResult = {
    lists,
    countedSucceeded: counted.countedSucceeded,
    countedFailed: counted.countedFailed,
    newlyListedSucceeded: [],
    newlyListedFailed: [],
    newlyIgnoredFailed: [],
    removals: [],
    reachedMaxUncounted: false,
  };
  const remove = (pod: PodView, reason: RemovalReason): void => {
    result.removals.push({ podUID: pod.uid, name: pod.name, namespace: pod.namespace, reason });
  };
  const failedByJob = input.finishing === "failure";

  for (const pod of input.pods) {
    // In-tree skips Pods without the finalizer and those in `expectedRmFinalizers` ("processed in
    // a previous sync"): a removal in flight is neither re-planned nor a reason to list again.
    if (!holdsFinalizer(pod) || input.removalsInFlight.has(pod.uid)) continue;
    const considerFailed = isPodFailed(pod, input.onlyReplaceFailed);
    // In-tree `canRemoveFinalizer`.
    const finishingOrDeleting = input.jobDeleting || input.finishing !== null;
    const canRemove = finishingOrDeleting || isPodSucceeded(pod) || (considerFailed && !input.delayedRemoval?.has(pod.uid));
    if (!canRemove) continue;

    // Listed already (perhaps under the other phase, after a flip): never listed twice, and
    // never in both lists (kubernetes#125410); its removal lets it be counted as listed.
    if (listedSucceeded.has(pod.uid) || listedFailed.has(pod.uid)) {
      remove(pod, "count");
      continue;
    }

    if (isPodSucceeded(pod)) {
      if (input.isIndexed) {
        // The completion index is the record (no UID needed); an index outside
        // [0, completions) has nothing to record, and the finalizer goes all the same.
        const ix = validCompletionIndex(pod, input.completions);
        if (ix === null || input.succeededIndexes.has(ix)) remove(pod, "index-recorded");
        continue;
      }
      if (room <= 0) {
        result.reachedMaxUncounted = true;
        continue;
      }
      lists.succeeded.push(pod.uid);
      listedSucceeded.add(pod.uid);
      result.newlyListedSucceeded.push(pod);
      room--;
      remove(pod, "count");
      continue;
    }

    if (considerFailed || failedByJob) {
      // A Pod jobtally itself is deleting (excess, suspend, success) loses its finalizer through
      // that deletion (removeFinalizerFirst), as in-tree `deleteJobPods`: not a failure.
      if (!failedByJob && input.deletionsInFlight.has(pod.uid)) continue;
      if (input.isIndexed && validCompletionIndex(pod, input.completions) === null) {
        remove(pod, "index-recorded");
        continue;
      }
      // In-tree matches the policy for every Pod it would list as failed, those the failing Job
      // fails too. Ignored: the finalizer goes, the UID is never listed, so never counted; it
      // takes no room in the lists.
      if (!matchPodFailurePolicy(input.podFailurePolicy, pod).countFailed) {
        result.newlyIgnoredFailed.push(pod);
        remove(pod, "count");
        continue;
      }
      if (room <= 0) {
        result.reachedMaxUncounted = true;
        continue;
      }
      lists.failed.push(pod.uid);
      listedFailed.add(pod.uid);
      result.newlyListedFailed.push(pod);
      room--;
      remove(pod, "count");
      continue;
    }

    // Still active: the Job is being deleted (or met its success criteria, in which case the hub
    // deletes these Pods with their finalizer removed first).
    if (input.jobDeleting) remove(pod, "job-deleted");
  }
  return result;
}
