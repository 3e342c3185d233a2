/** The counter's pure decisions: one sync of one Job, and the pieces it is made of. */
export * from "./types.js";
export { earliest, planJobSync, releaseRemovals } from "./plan-job-sync.js";
export { OrderedIntervals, type IndexInterval } from "./completed-indexes.js";
export { isAdoptable, isAdoptionCandidate, planAdoptions, type AdoptionPlan } from "./adoption.js";
export * from "./conditions.js";
export { isPastActiveDeadline, remainingDeadlineMs } from "./deadline.js";
export { EMPTY_BACKOFF, nextBackoffRecord, remainingBackoffMs } from "./failure-backoff.js";
export * from "./job-spec.js";
export * from "./backoff-limit-per-index.js";
export { activePodsForRemoval, firstPendingIndexes, planManagePods, type ManageInput, type ManageResult } from "./manage-pods.js";
export * from "./pod-classification.js";
export * from "./pod-template.js";
export {
  failJobMessage,
  matchPodFailurePolicy,
  REASON_POD_FAILURE_POLICY,
  type PodFailurePolicyAction,
  type PodFailurePolicyMatch,
} from "./pod-failure-policy.js";
export { pastBackoffLimitOnFailure } from "./restart-backoff.js";
export * from "./slow-start.js";
export { matchSucceededIndexesRule, matchSuccessPolicy, REASON_SUCCESS_POLICY } from "./success-policy.js";
export { checkFirstSeenFinished, couldBeListed, type FirstSeenCheck } from "./first-seen-finished.js";
export { isSameStatus, onlyProgressChanged } from "./status-equality.js";
export { formatTime, toMs, wireTime } from "./time.js";
export { planTracking, sortPodsForTracking, type FinishingKind, type TrackingInput, type TrackingResult } from "./tracking.js";
export * from "./uncounted.js";
export { REASON_UNSUPPORTED_FIELD, unsupportedFieldsEvent, unsupportedJobFields, type UnsupportedField } from "./unsupported-fields.js";
