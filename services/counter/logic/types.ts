/**
 * The contract between the counter's pure decisions (this folder) and its I/O (services/counter).
 * Nothing in this folder imports the NATS client or @kubernetes/client-node's API classes (types only).
 *
 * One sync of one Job: the I/O layer builds a SyncSnapshot from the latest known Job (the ledger:
 * its status as last written or observed) and the view of its Pods, calls `planJobSync`, then
 *   1. writes `plan.status` (PUT /status with the snapshot Job's resourceVersion) when non-null;
 *      if that write fails, nothing else in the plan is carried out and the Job is synced again;
 *   2. publishes the intents (finalizer removals, creations, deletions) to the work queue;
 *   3. records Kubernetes Events, and schedules the next sync after `requeueAfterMs`.
 * Times in `status` are RFC 3339 strings at second precision (typed `Date` by client-node); send
 * the status as JSON as it is.
 */
import type { CoreV1Event, V1Job, V1JobStatus, V1Pod } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import type { DeletionReason, RemovalReason } from "../../../shared/intents/intents.js";

/** In-tree `backoffRecord`: failures since the last success, for the Pod replacement delay. */
export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  /** ms epoch of the last failure, or null */
  lastFailureTimeMs: number | null;
}

export interface SyncOptions {
  /** Cap on UIDs in both uncounted lists together (500). */
  maxUncountedPods: number;
  /** First replacement delay after a failure (10 s) and its cap (10 min). */
  podFailureBackoffBaseMs: number;
  podFailureBackoffMaxMs: number;
  /** Most Pod creations planned by one sync (in-tree: 500). */
  maxPodCreationsPerSync: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  maxUncountedPods: 500,
  podFailureBackoffBaseMs: 10_000,
  podFailureBackoffMaxMs: 600_000,
  maxPodCreationsPerSync: 500,
};

export interface SyncSnapshot {
  /** The latest known Job: status is the ledger. Never mutated by the planner (clone first). */
  job: V1Job;
  /** Every Pod of this Job the view knows, including `gone` tombstones, newest state each. */
  pods: readonly PodView[];
  nowMs: number;
  /**
   * Pod UIDs whose finalizer removal was published recently and not yet observed. Only
   * rate-limits re-publishing; never a reason to count (counting needs the view to show the
   * finalizer gone or the Pod gone).
   */
  removalsInFlight: ReadonlySet<string>;
  /** Pod names whose creation was published and not yet observed, with their completion index. */
  creationsInFlight: ReadonlyMap<string, { index: number | null }>;
  /**
   * Pod UIDs whose deletion was published and not yet observed. Those Pods count as terminating,
   * not active, and are not deleted again; while a removeFinalizerFirst deletion is in flight its
   * Pod is not counted as failed (jobtally deleting a Pod is not a failure).
   */
  deletionsInFlight: ReadonlySet<string>;
  backoff: BackoffRecord;
  /**
   * Pod creations this sync may plan at most, below `maxPodCreationsPerSync`: what is left of the
   * counter's cap on creations in flight (so a backlog of creation intents stays short). @default no limit
   */
  creationAllowance?: number;
  /**
   * Creations this sync may plan under slow start after the API server rejected one
   * (slow-start.ts: 0 while a round is in flight or the retry backoff runs, then 1, 2, 4, ...). @default no limit
   */
  slowStartLimit?: number;
  /**
   * Pods that left the Job (`PodView.departed`) whose finalizer release was already published by
   * this owner of the partition: not published again (the watcher no longer sees such a Pod, so no
   * view record will say the removal happened; the work queue carries it out). @default none
   */
  releasesPublished?: ReadonlySet<string>;
  /**
   * Adoption candidates (`PodView.adoptionCandidate`) whose adoption was published and not yet
   * seen in the view: not asked for again (they still hold the Job's creations back). @default none
   */
  adoptionsInFlight?: ReadonlySet<string>;
  /** Random source for Pod name suffixes (seeded in tests). */
  random: () => number;
  options: SyncOptions;
}

export interface PlannedRemoval {
  podUID: string;
  name: string;
  namespace: string;
  reason: RemovalReason;
}

export interface PlannedCreation {
  name: string;
  index: number | null;
  pod: V1Pod;
}

export interface PlannedDeletion {
  podUID: string;
  name: string;
  namespace: string;
  reason: DeletionReason;
  removeFinalizerFirst: boolean;
}

/** An orphan Pod to adopt (adoption.ts): ownerReference and tracking finalizer in one patch. */
export interface PlannedAdoption {
  podUID: string;
  name: string;
  namespace: string;
  /** The Pod's resourceVersion in the view (the intent's dedup id). */
  resourceVersion: string;
}

export type PlannedEvent = Pick<CoreV1Event, "type" | "reason" | "message">;

export interface SyncPlan {
  /** New status to PUT, or null when the status is already what it should be. */
  status: V1JobStatus | null;
  removals: PlannedRemoval[];
  creations: PlannedCreation[];
  deletions: PlannedDeletion[];
  /** Orphan Pods to adopt (published whatever the status write; not before the canAdopt recheck). */
  adoptions: PlannedAdoption[];
  events: PlannedEvent[];
  /** Sync again after this long even with no new event (backoff expiry, activeDeadlineSeconds), or null. */
  requeueAfterMs: number | null;
  /** UIDs this plan moves from uncountedTerminatedPods into succeeded/failed. */
  counted: string[];
  /**
   * The backoff record after this sync's observations (the Pods this plan lists or records by
   * index for the first time). Keep it only once `status` is written, as in-tree
   * `updateBackoffRecord` runs after the status flush; reset to empty once the Job is finished.
   */
  backoff: BackoffRecord;
  /** True once the Job has a terminal condition (Complete/Failed) in `status` or the snapshot. */
  finished: boolean;
  /** Fewer creations were planned than the Job wants (the caps per sync or on creations in flight). */
  creationsCapped?: boolean;
}
