/**
 * Intents: API writes the counter decided on and the finalizer-remover pool carries out, at a
 * throttled rate. Each is idempotent at the API (404 on a removal = done, 409 AlreadyExists on a
 * creation with its deterministic name = done, an adoption of a Pod already controlled by the Job
 * = done) and deduplicated in the stream by `dedupId`.
 * An intent is published only after the status write that makes it safe.
 */
import type { V1Pod } from "@kubernetes/client-node";
import { INTENT_SUBJECT_PREFIX } from "../constants.js";

/** 2: every intent carries the lease (epoch, holder) of its partition it was decided under. */
export const INTENT_VERSION = 2 as const;

/**
 * Every intent says which lease of its partition it was decided under; the finalizer-remover
 * carries it out only while that lease is the partition's current one (shared/ownership/fence.ts).
 */
export interface IntentLease {
  v: typeof INTENT_VERSION;
  partition: number;
  /** The partition lease's epoch when the counter decided this. */
  epoch: number;
  /** The counter replica holding that lease. */
  holder: string;
}

export type RemovalReason =
  /** The Pod's UID is in `uncountedTerminatedPods`: the removal lets it be counted. */
  | "count"
  /** The Job is finished or being deleted: no more counting. */
  | "job-finished"
  | "job-deleted"
  /** The Pod has no (living) controller Job. */
  | "orphan"
  /** Indexed Job: the Pod's success is already recorded in completedIndexes. */
  | "index-recorded"
  /**
   * The Pod left its Job while it still exists (its controller ownerReference went, or its labels
   * stop matching the Job's selector): the finalizer goes, the Pod is never counted (in-tree:
   * `ClaimPods` releases it and the orphan queue removes the finalizer).
   */
  | "released";

export interface RemoveFinalizerIntent extends IntentLease {
  kind: "removeFinalizer";
  jobUID: string | null;
  namespace: string;
  name: string;
  podUID: string;
  reason: RemovalReason;
}

export interface CreatePodIntent extends IntentLease {
  kind: "createPod";
  jobUID: string;
  jobName: string;
  namespace: string;
  /** The full Pod manifest, with its deterministic `metadata.name`. */
  pod: V1Pod;
  /**
   * Epoch ms after which the intent must not create the Pod any more (the counter will have
   * planned it again by then). Absent: no limit.
   */
  notAfterMs?: number;
}

export type DeletionReason = "excess-active" | "suspended" | "job-failed" | "job-complete" | "deadline-exceeded";

export interface DeletePodIntent extends IntentLease {
  kind: "deletePod";
  jobUID: string;
  jobName: string;
  namespace: string;
  name: string;
  podUID: string;
  reason: DeletionReason;
  /** Remove the tracking finalizer before deleting (always, unless the Pod is already counted). */
  removeFinalizerFirst: boolean;
}

/**
 * Adoption of an orphan Pod the Job's selector matches (in-tree `ClaimPods` / `AdoptPod` with the
 * tracking finalizer, as KEP-2307 decided): one patch adds the controller ownerReference and the
 * finalizer. The finalizer-remover reads the Pod first and patches only a Pod that still has no
 * controller, matches the Job's selector and is not being deleted, with that read's
 * resourceVersion (and the Pod's UID) as preconditions: a Pod that changed meanwhile is read and
 * judged again, never adopted blindly.
 */
export interface AdoptPodIntent extends IntentLease {
  kind: "adoptPod";
  jobUID: string;
  jobName: string;
  namespace: string;
  name: string;
  podUID: string;
  /**
   * The Pod's resourceVersion in the view the counter decided on. Part of the dedup id (a Pod that
   * changed is asked for again), not a precondition: the remover uses the version it reads itself.
   */
  podResourceVersion: string;
}

export type Intent = RemoveFinalizerIntent | CreatePodIntent | DeletePodIntent | AdoptPodIntent;

export function intentSubject(intent: Intent): string {
  return `${INTENT_SUBJECT_PREFIX}.${intent.partition}.${intent.kind}`;
}

/**
 * The `Nats-Msg-Id` that makes a re-published intent a no-op within the duplicate window. The
 * lease epoch is part of it: a new owner's intent must not be swallowed as a duplicate of the
 * previous owner's, which the finalizer-remover may have refused.
 */
export function intentDedupId(intent: Intent): string {
  switch (intent.kind) {
    case "removeFinalizer":
      return `rm:${intent.epoch}:${intent.podUID}`;
    case "createPod":
      return `create:${intent.epoch}:${intent.jobUID}:${intent.pod.metadata?.name ?? ""}`;
    case "deletePod":
      return `delete:${intent.epoch}:${intent.podUID}`;
    case "adoptPod":
      return `adopt:${intent.epoch}:${intent.podUID}:${intent.podResourceVersion}`;
  }
}

/** One line naming the object an intent acts on, for logs. */
export function describeIntent(intent: Intent): string {
  switch (intent.kind) {
    case "removeFinalizer":
      return `remove finalizer from pod ${intent.namespace}/${intent.name} (${intent.reason})`;
    case "createPod":
      return `create pod ${intent.namespace}/${intent.pod.metadata?.name ?? "?"} for job ${intent.jobName}`;
    case "deletePod":
      return `delete pod ${intent.namespace}/${intent.name} (${intent.reason})`;
    case "adoptPod":
      return `adopt pod ${intent.namespace}/${intent.name} for job ${intent.jobName}`;
  }
}
