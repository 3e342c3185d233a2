/**
 * The view: what the watcher observed, latest state per key, kept in the JOBTALLY_VIEW stream
 * (one subject per Pod / Job, `max_msgs_per_subject: 1`). Every record is versioned (`v`) and
 * discriminated by `kind`; counters rebuild their whole state from these records plus the Job
 * status, so nothing about counting lives only in memory.
 */
import type { V1Job } from "@kubernetes/client-node";

export const VIEW_RECORD_VERSION = 1 as const;

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

/** The tracking-relevant projection of a Pod. */
export interface PodView {
  v: typeof VIEW_RECORD_VERSION;
  kind: "pod";
  uid: string;
  name: string;
  namespace: string;
  /** UID of the controlling Job (controller ownerReference), or null for an unowned Pod. */
  jobUID: string | null;
  resourceVersion: string;
  phase: PodPhase;
  /** The Pod still carries `batch.kubernetes.io/job-tracking`. False once `gone`. */
  hasFinalizer: boolean;
  /** ISO deletionTimestamp, or null. */
  deletionTimestamp: string | null;
  /**
   * `metadata.deletionGracePeriodSeconds` when above 0: the deletionTimestamp is that far after
   * the deletion, which in-tree `getFinishTimeFromDeletionTimestamp` subtracts. Absent: 0.
   */
  deletionGracePeriodSeconds?: number;
  /** The Pod no longer exists in the API (observed DELETED, or missing from a relist). */
  gone: boolean;
  /** The Pod's Ready condition is True. */
  ready: boolean;
  /** Completion index of an Indexed Job Pod, or null. */
  completionIndex: number | null;
  creationTimestamp: string | null;
  /** When the Pod reached a terminal phase (latest container finishedAt), ISO, or null. */
  finishedAt: string | null;
  /**
   * What `podFailurePolicy` rules match on (in-tree `matchOnExitCodes`): the non-zero exit code of
   * every container whose current state is terminated, regular containers first, then init
   * containers, each list in the Pod's status order. Exit code 0 never matches a rule, so it is
   * left out. Absent: none (and in records written before the field existed).
   */
  containerExitCodes?: ContainerExitCode[];
  /**
   * The Pod's conditions as type and status, for `onPodConditions` rules. The kubelet's own
   * lifecycle conditions (PodScheduled, Initialized, ContainersReady, Ready,
   * PodReadyToStartContainers) are kept only once the Pod is Failed, or deleted and not Succeeded:
   * the only states a rule is matched in; so they add no record per Pod start and no bytes to
   * the records of succeeded Pods. Absent: none.
   */
  conditions?: PodConditionView[];
  /**
   * Sum of `restartCount` over init and regular containers (in-tree `pastBackoffLimitOnFailure`
   * for restartPolicy OnFailure). Absent: 0.
   */
  restartCount?: number;
  /**
   * `batch.kubernetes.io/job-index-failure-count` and `job-index-ignored-failure-count` (Indexed
   * Jobs with backoffLimitPerIndex; in-tree `getIndexFailureCount`: unparsable, negative or above
   * int32 reads as 0). Absent: 0.
   */
  indexFailureCount?: number;
  indexIgnoredFailureCount?: number;
  /**
   * The Pod still exists but left the Job this record is filed under: its controller
   * ownerReference changed or went, or its labels stop matching the Job's selector (in-tree
   * `ClaimPods` releases it). To that Job it is as good as gone (`gone` is true, so a UID it listed
   * is counted as in-tree counts a listed UID whose Pod it no longer sees; an unlisted one never
   * is), and `releaseFinalizer` says that it still carries the tracking finalizer and nothing else
   * will track it (no other managed Job owns it, and the watcher no longer sees it), so that
   * Job's counter removes it without counting (in-tree: the orphan queue). Absent: not departed.
   */
  departed?: { releaseFinalizer: boolean };
  /**
   * The Pod has no controller at all (no ownerReference with `controller: true`, of any kind), is
   * not being deleted, and its labels match the selector of the managed Job this record is filed
   * under, in that Job's namespace (in-tree `getPodJobs` + `ClaimPods`): `jobUID` is the Job that
   * may adopt it. That Job's counter asks for the adoption (an `adoptPod` intent: the controller
   * ownerReference and the tracking finalizer in one patch); until the view shows the Pod adopted
   * it is not the Job's: never active, never counted, never deleted by it. Absent: not a candidate.
   */
  adoptionCandidate?: true;
}

export interface ContainerExitCode {
  name: string;
  exitCode: number;
}

export interface PodConditionView {
  type: string;
  /** "True", "False" or "Unknown". */
  status: string;
}

/** A managed Job as the watcher last saw it; `job` is null once `gone`. */
export interface JobView {
  v: typeof VIEW_RECORD_VERSION;
  kind: "job";
  uid: string;
  name: string;
  namespace: string;
  resourceVersion: string;
  gone: boolean;
  job: V1Job | null;
  /**
   * The watcher's Pod watch (its label selector) does not cover this Job's `spec.selector`: an
   * orphan Pod the selector matches is seen, and adopted, only if it also matches the watch (by
   * default: carries `batch.kubernetes.io/controller-uid`). Set for `manualSelector` Jobs when the
   * watcher does not watch every Pod. Absent: covered.
   */
  orphansOutsideWatch?: true;
}

/**
 * Written by the watcher after it has published a complete list (start-up and every relist), and
 * periodically while it follows the watch: the view of this partition is complete as of
 * `listResourceVersion`. A counter does not act on a partition before it has seen one.
 */
export interface SyncMarker {
  v: typeof VIEW_RECORD_VERSION;
  kind: "sync";
  watcherId: string;
  /** Increases with every full list the watcher publishes. */
  epoch: number;
  /**
   * The watcher session that wrote it (random, new for each session: a process start, and every
   * restart after NATS came back). Unlike `epoch` it cannot repeat after a NATS server lost the
   * last markers. Absent from markers of watchers before this field.
   */
  session?: string;
  listResourceVersion: string;
  /** Wall-clock ms when the watcher wrote the marker. */
  syncedAtMs: number;
}

export type ViewRecord = PodView | JobView | SyncMarker;
