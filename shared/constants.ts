/** Names fixed by Kubernetes (KEP-2307, KEP-4368) and by jobtally's own wire formats. */

/** The Pod finalizer that holds a finished Pod until the Job status has counted it. */
export const JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";

/** `spec.managedBy` value reserved for the built-in Job controller. */
export const BUILTIN_JOB_CONTROLLER = "kubernetes.io/job-controller";

/** Default `spec.managedBy` value that jobtally manages. */
export const DEFAULT_MANAGED_BY = "jobtally.io/controller";

export const LABEL_CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
export const LABEL_JOB_NAME = "batch.kubernetes.io/job-name";
export const LEGACY_LABEL_CONTROLLER_UID = "controller-uid";
export const LEGACY_LABEL_JOB_NAME = "job-name";
/** Label and annotation carrying an Indexed Job Pod's completion index. */
export const COMPLETION_INDEX_KEY = "batch.kubernetes.io/job-completion-index";

/**
 * Annotations of an Indexed Job Pod with `backoffLimitPerIndex`: the failures of its index before
 * it (counted, and ignored by a podFailurePolicy Ignore rule), carried from each failed Pod to its
 * replacement (in-tree `batch.JobIndexFailureCountAnnotation` / `JobIndexIgnoredFailureCountAnnotation`).
 */
export const INDEX_FAILURE_COUNT_KEY = "batch.kubernetes.io/job-index-failure-count";
export const INDEX_IGNORED_FAILURE_COUNT_KEY = "batch.kubernetes.io/job-index-ignored-failure-count";

/** At most this many UIDs in `status.uncountedTerminatedPods` at once (in-tree `maxUncountedPods`). */
export const MAX_UNCOUNTED_PODS = 500;

/** Subject prefix of the view stream (latest state per Pod / Job key). */
export const VIEW_SUBJECT_PREFIX = "jobtally.view";
/** Subject prefix of the intent work queue (finalizer removals, Pod creations and deletions). */
export const INTENT_SUBJECT_PREFIX = "jobtally.intent";
/** Subject prefix of the dead-letter stream. */
export const DLQ_SUBJECT_PREFIX = "jobtally.dlq";

export const VIEW_STREAM = "JOBTALLY_VIEW";
export const INTENT_STREAM = "JOBTALLY_INTENTS";
export const DLQ_STREAM = "JOBTALLY_DLQ";

/** Token used in place of a Job UID for Pods that carry the finalizer but have no controller owner. */
export const NO_OWNER_TOKEN = "_none";
