/**
 * `status.uncountedTerminatedPods`: the UIDs of finished Pods whose finalizer may be removed
 * because the Job status already names them.
 */
import type { V1JobStatus } from "@kubernetes/client-node";

export interface UncountedLists {
  succeeded: string[];
  failed: string[];
}

/** Copies of the lists (the API answers `{}` for empty lists). */
export function readUncounted(status: V1JobStatus | undefined): UncountedLists {
  return {
    succeeded: [...(status?.uncountedTerminatedPods?.succeeded ?? [])],
    failed: [...(status?.uncountedTerminatedPods?.failed ?? [])],
  };
}

export function uncountedTotal(lists: UncountedLists): number {
  return lists.succeeded.length + lists.failed.length;
}

export function isListed(lists: UncountedLists, uid: string): boolean {
  return lists.succeeded.includes(uid) || lists.failed.includes(uid);
}

export interface CountResult {
  lists: UncountedLists;
  countedSucceeded: string[];
  countedFailed: string[];
}

/**
 * In-tree `cleanUncountedPodsWithoutFinalizers`: every listed UID whose Pod no longer holds the
 * finalizer (removed, gone, or unknown to the view because its tombstone was purged) leaves the
 * list and is counted. `uidsHoldingFinalizer` must come from the view alone: a removal that was
 * sent but not yet observed is no reason to count.
 */
export function countUncountedWithoutFinalizer(lists: UncountedLists, uidsHoldingFinalizer: ReadonlySet<string>): CountResult {
  const countedSucceeded = lists.succeeded.filter((uid) => !uidsHoldingFinalizer.has(uid));
  const countedFailed = lists.failed.filter((uid) => !uidsHoldingFinalizer.has(uid));
  return {
    lists: {
      succeeded: lists.succeeded.filter((uid) => uidsHoldingFinalizer.has(uid)),
      failed: lists.failed.filter((uid) => uidsHoldingFinalizer.has(uid)),
    },
    countedSucceeded,
    countedFailed,
  };
}
