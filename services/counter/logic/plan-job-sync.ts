/**
 * One sync of one managed Job: the decisions of in-tree `syncJob` + `manageJob` +
 * `trackJobStatusAndRemoveFinalizers` as a pure function of a snapshot (the Job status as the
 * ledger, the view of its Pods, what is in flight, the clock). The I/O layer writes `status`,
 * then publishes the intents; see types.ts.
 *
 * Deliberate differences from in-tree, all forced by intents being asynchronous:
 * - one status write per sync: counting and new listings together, finalizer removals after it;
 *   the terminal Complete/Failed waits until no Pod of the Job holds the finalizer any more
 *   (in-tree removes them inside the sync and does not finish the Job when a removal failed);
 * - creations in flight count as active, deletions in flight as terminating (in-tree skips
 *   `manageJob` until expectations are met), and no terminal condition while creations are in flight;
 * - suspending clears `startTime` (it is set again on resume): API servers 1.32–1.34 without the
 *   fix for kubernetes#134521 reject changing a non-null startTime of an unsuspended Job.
 *
 * `podFailurePolicy` (pod-failure-policy.ts) decides per failed Pod: FailJob fails the Job
 * (FailureTarget, then Failed, reason PodFailurePolicy), Ignore removes the finalizer without
 * listing the UID, Count (and no match) is the default; FailIndex fails the Pod's index.
 *
 * `successPolicy` (success-policy.ts): SuccessCriteriaMet (reason SuccessPolicy) once the rule's
 * indexes succeeded; the remaining Pods are deleted with their finalizer removed first (not
 * failures, as in-tree removes their finalizers in the same sync), then Complete.
 *
 * Pods that left the Job (`PodView.departed`: another controller, none, or labels that stop
 * matching the selector) are gone to it: never active, counted only if already listed, and their
 * finalizer released (`releaseRemovals`) when nothing else tracks them.
 *
 * Orphans the Job's selector matches (`PodView.adoptionCandidate`, adoption.ts) are adopted (an
 * `adoptions` entry); until the view shows them adopted they are not the Job's, and the Job
 * creates, deletes and finishes nothing (in-tree adopts first, in the same sync).
 *
 * `backoffLimitPerIndex` (backoff-limit-per-index.ts): failed indexes in `status.failedIndexes`,
 * `FailedIndexes` / `MaxFailedIndexesExceeded`, a backoff per index, and the last failed Pod of a
 * retried index kept (finalizer held, not listed) until its replacement shows in the view.
 */
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import type { PlannedDeletion, PlannedEvent, PlannedRemoval, SyncPlan, SyncSnapshot } from "./types.js";
import { OrderedIntervals } from "./completed-indexes.js";
import { CONDITION, MESSAGE, REASON, ensureConditionStatus, findCondition, isJobFinished } from "./conditions.js";
import { isPastActiveDeadline, remainingDeadlineMs } from "./deadline.js";
import { EMPTY_BACKOFF, nextBackoffRecord, remainingBackoffMs } from "./failure-backoff.js";
import {
  calculateFailedIndexes,
  MESSAGE_FAILED_INDEXES,
  MESSAGE_MAX_FAILED_INDEXES_EXCEEDED,
  newIndexFailureCounts,
  podsWithDelayedDeletionPerIndex,
  REASON_FAILED_INDEXES,
  REASON_MAX_FAILED_INDEXES_EXCEEDED,
  remainingTimePerIndexMs,
} from "./backoff-limit-per-index.js";
import {
  backoffLimitOf,
  completionsOf,
  hasBackoffLimitPerIndex,
  hasKnownCompletionMode,
  maxFailedIndexesOf,
  isIndexedJob,
  isJobSuspended,
  isElasticIndexed,
  isOnlyReplaceFailedPods,
} from "./job-spec.js";
import { planManagePods, toDeletion } from "./manage-pods.js";
import { planAdoptions } from "./adoption.js";
import { failJobMessage, matchPodFailurePolicy, REASON_POD_FAILURE_POLICY } from "./pod-failure-policy.js";
import { pastBackoffLimitOnFailure } from "./restart-backoff.js";
import { matchSuccessPolicy, REASON_SUCCESS_POLICY } from "./success-policy.js";
import {
  holdsFinalizer,
  isPodActive,
  isPodFailed,
  isPodSucceeded,
  isPodTerminating,
  validCompletionIndex,
} from "./pod-classification.js";
import { isSameStatus } from "./status-equality.js";
import { wireTime } from "./time.js";
import { planTracking, sortPodsForTracking, type FinishingKind } from "./tracking.js";
import { readUncounted, uncountedTotal } from "./uncounted.js";

/** In-tree `enqueueSyncJobWithDelay` never waits less than the batch period. */
const MIN_REQUEUE_MS = 1000;
const CAPPED_CREATIONS_RETRY_MS = 1000;

/** The condition the Job is heading to (in-tree `jobCtx.finishedCondition`). */
interface Finishing {
  kind: Exclude<FinishingKind, null>;
  reason: string;
  message: string;
  /** The interim condition (FailureTarget / SuccessCriteriaMet) is new in this sync. */
  isNew: boolean;
}

export function planJobSync(snapshot: SyncSnapshot): SyncPlan {
  // Clone before mutating, so the shared snapshot stays as it was (JSON: Dates become strings).
  const job = JSON.parse(JSON.stringify(snapshot.job)) as V1Job;
  const now = snapshot.nowMs;

  // A finished Job adopts nothing (in-tree does not sync it): every finalizer goes, candidates' too.
  if (isJobFinished(job.status)) return planForFinishedJob(snapshot, sortPodsForTracking(snapshot.pods));
  const uncountedNow = readUncounted(job.status ?? {});
  const adoption = planAdoptions(snapshot.pods, snapshot.adoptionsInFlight ?? new Set(), new Set([...uncountedNow.succeeded, ...uncountedNow.failed]));
  const pods = sortPodsForTracking(adoption.own);
  if (!hasKnownCompletionMode(job)) {
    return {
      ...emptyPlan(snapshot),
      events: [{ type: "Warning", reason: "UnknownCompletionMode", message: "Skipped Job sync because completion mode is unknown" }],
    };
  }

  const current: V1JobStatus = job.status ?? {};
  const status: V1JobStatus = structuredClone(current);
  job.status = status;
  const isIndexed = isIndexedJob(job);
  const completions = completionsOf(job);
  const suspended = isJobSuspended(job);
  const onlyReplaceFailed = isOnlyReplaceFailedPods(job);
  const podFailurePolicy = job.spec?.podFailurePolicy ?? null;
  const jobDeleting = Boolean(job.metadata?.deletionTimestamp);
  const { removalsInFlight, deletionsInFlight, options } = snapshot;
  const lists = readUncounted(status);
  const listed = new Set([...lists.succeeded, ...lists.failed]);
  const events: PlannedEvent[] = [];

  // Creations the view already shows are no longer in flight, whatever the I/O layer still holds.
  const visibleNames = new Set(pods.filter((p) => !p.gone).map((p) => p.name));
  const creationsInFlight = new Map([...snapshot.creationsInFlight].filter(([name]) => !visibleNames.has(name)));

  const activeVisible = pods.filter(isPodActive);
  const activePods = activeVisible.filter((p) => !deletionsInFlight.has(p.uid));
  const beingDeleted = activeVisible.filter((p) => deletionsInFlight.has(p.uid));
  // In-tree `CountTerminatingPods`, plus the Pods it would have just deleted (`terminating += deleted`).
  let terminating = pods.filter(isPodTerminating).length + beingDeleted.length;
  let ready = activePods.filter((p) => p.ready).length;
  let active = activePods.length + creationsInFlight.size;

  // In-tree `getNewFinishedPods`: hold the finalizer, not listed, no removal in flight, valid index.
  const unlisted = pods.filter(
    (p) => holdsFinalizer(p) && !listed.has(p.uid) && !removalsInFlight.has(p.uid) && (!isIndexed || validCompletionIndex(p, completions) !== null),
  );
  const newSucceededCount = unlisted.filter(isPodSucceeded).length;
  // In-tree `nonIgnoredFailedPodsCount`: a failure an Ignore rule matches is not held against backoffLimit.
  const newFailedCount = unlisted.filter(
    (p) => isPodFailed(p, onlyReplaceFailed) && !deletionsInFlight.has(p.uid) && matchPodFailurePolicy(podFailurePolicy, p).countFailed,
  ).length;
  let succeeded = (status.succeeded ?? 0) + newSucceededCount + lists.succeeded.length;
  const failed = (status.failed ?? 0) + newFailedCount + lists.failed.length;

  // Job first start: only when not suspended.
  if (!status.startTime && !suspended) status.startTime = wireTime(now);

  // Indexed: successes are recorded by index (in-tree `calculateSucceededIndexes`), except for a
  // Pod already listed as failed: it stays counted as it was listed.
  const prevSucceededIndexes = isIndexed ? OrderedIntervals.parse(status.completedIndexes, completions ?? 0) : OrderedIntervals.empty();
  let succeededIndexes = prevSucceededIndexes;
  if (isIndexed) {
    const newIndexes = pods
      .filter((p) => isPodSucceeded(p) && holdsFinalizer(p) && !lists.failed.includes(p.uid))
      .map((p) => validCompletionIndex(p, completions))
      .filter((ix): ix is number => ix !== null);
    succeededIndexes = prevSucceededIndexes.withIndexes(newIndexes);
    succeeded = succeededIndexes.total();
  }

  // backoffLimitPerIndex (in-tree: computed with the succeeded indexes): the failed indexes, and
  // the failed Pod of each retried index whose finalizer waits for the replacement to exist.
  const perIndex = isIndexed && hasBackoffLimitPerIndex(job);
  let failedIndexes: OrderedIntervals | null = null;
  let delayedPerIndex = new Map<number, PodView>();
  if (perIndex) {
    failedIndexes = calculateFailedIndexes(job, pods, onlyReplaceFailed);
    delayedPerIndex = podsWithDelayedDeletionPerIndex({
      job,
      pods,
      succeededIndexes,
      failedIndexes,
      activeIndexes: new Set(activeVisible.map((p) => validCompletionIndex(p, completions)).filter((ix): ix is number => ix !== null)),
      onlyReplaceFailed,
      excluded: new Set([...removalsInFlight, ...listed]),
      nowMs: now,
    });
  }
  const delayedRemoval = new Set([...delayedPerIndex.values()].map((p) => p.uid));

  // What this sync observes for the first time, for the replacement backoff.
  const observed = planTracking({
    pods,
    lists,
    isIndexed,
    completions,
    succeededIndexes,
    finishing: null,
    jobDeleting: false,
    onlyReplaceFailed,
    removalsInFlight,
    deletionsInFlight,
    maxUncountedPods: options.maxUncountedPods,
    podFailurePolicy,
    delayedRemoval,
    heldOutside: adoption.heldListed,
  });
  const firstOfNewIndexes = isIndexed ? firstPodPerNewIndex(pods, prevSucceededIndexes, succeededIndexes, completions, lists.failed) : [];
  let backoff = nextBackoffRecord(
    snapshot.backoff,
    [...observed.newlyListedSucceeded, ...firstOfNewIndexes],
    [...observed.newlyListedFailed, ...observed.newlyIgnoredFailed],
    now,
  );

  // The condition the Job is heading to (in-tree syncJob, with JobManagedBy/JobPodReplacementPolicy on).
  // A SuccessCriteriaMet Job does not look at the podFailurePolicy any more.
  let finishing: Finishing | null = null;
  let creationsCapped = false;
  let requeueAfterMs: number | null = null;
  const scm = findCondition(status.conditions, CONDITION.successCriteriaMet);
  const failureTarget = findCondition(status.conditions, CONDITION.failureTarget);
  // In-tree `getFailJobMessage`: only Pods in a terminal phase Failed (podFailurePolicy implies
  // podReplacementPolicy Failed), whether or not they still hold the finalizer.
  const failJob = scm?.status === "True" || failureTarget?.status === "True" ? null : failJobMessage(job, pods, (p) => isPodFailed(p, onlyReplaceFailed));
  if (scm?.status === "True") {
    finishing = { kind: "success", reason: scm.reason ?? "", message: scm.message ?? "", isNew: false };
  } else if (failureTarget?.status === "True") {
    finishing = { kind: "failure", reason: failureTarget.reason ?? "", message: failureTarget.message ?? "", isNew: false };
  } else if (failJob !== null) {
    finishing = { kind: "failure", reason: REASON_POD_FAILURE_POLICY, message: failJob, isNew: true };
  } else if (failed > backoffLimitOf(job) || pastBackoffLimitOnFailure(job, pods, backoffLimitOf(job))) {
    finishing = { kind: "failure", reason: REASON.backoffLimitExceeded, message: MESSAGE.backoffLimitExceeded, isNew: true };
  } else if (isPastActiveDeadline(job, now)) {
    finishing = { kind: "failure", reason: REASON.deadlineExceeded, message: MESSAGE.deadlineExceeded, isNew: true };
  } else {
    const deadlineLeft = remainingDeadlineMs(job, now);
    if (deadlineLeft !== null) requeueAfterMs = deadlineLeft;
  }
  if (finishing === null && failedIndexes !== null) {
    const maxFailed = maxFailedIndexesOf(job);
    if (maxFailed !== null && failedIndexes.total() > maxFailed) {
      finishing = { kind: "failure", reason: REASON_MAX_FAILED_INDEXES_EXCEEDED, message: MESSAGE_MAX_FAILED_INDEXES_EXCEEDED, isNew: true };
    } else if (failedIndexes.total() > 0 && failedIndexes.total() + succeededIndexes.total() >= (completions ?? 0)) {
      finishing = { kind: "failure", reason: REASON_FAILED_INDEXES, message: MESSAGE_FAILED_INDEXES, isNew: true };
    }
  }
  // In-tree: the successPolicy is looked at last, for Indexed Jobs heading nowhere else yet.
  if (finishing === null && isIndexed) {
    const matched = matchSuccessPolicy(job.spec?.successPolicy, completions ?? 0, succeededIndexes);
    if (matched !== null) finishing = { kind: "success", reason: REASON_SUCCESS_POLICY, message: matched, isNew: true };
  }

  let deletions: PlannedDeletion[] = [];
  let creations: SyncPlan["creations"] = [];
  if (finishing !== null) {
    // In-tree `deleteActivePods`: a failing Job keeps the finalizers (its active Pods are counted
    // as failed); a succeeding one removes them first (in-tree removes them in the same sync).
    const reason = finishing.kind === "success" ? "job-complete" : finishing.reason === REASON.deadlineExceeded ? "deadline-exceeded" : "job-failed";
    deletions = activePods.map((p) => toDeletion(p, reason, finishing?.kind === "success"));
    active = creationsInFlight.size;
    terminating += deletions.length;
    ready = 0;
  } else {
    let manageCalled = false;
    // Orphans about to be adopted would be active Pods of the Job: nothing is created or deleted
    // before the view shows them adopted (in-tree manages right after adopting, in the same sync).
    if (!jobDeleting && adoption.pending === 0) {
      const taken = new Set([...snapshot.pods.map((p) => p.name), ...snapshot.creationsInFlight.keys()]);
      const managed = planManagePods({
        job,
        activePods,
        creationsInFlight,
        succeeded,
        succeededIndexes,
        terminating,
        terminatingIndexes: pods.filter(isPodTerminating).map((p) => p.completionIndex).filter((ix): ix is number => ix !== null),
        onlyReplaceFailed,
        // With backoffLimitPerIndex each index waits its own backoff instead (in-tree manageJob).
        backoffRemainingMs: perIndex ? 0 : remainingBackoffMs(backoff, now, options.podFailureBackoffBaseMs, options.podFailureBackoffMaxMs),
        ...(failedIndexes !== null
          ? {
              failedIndexes,
              perIndex: {
                remainingMs: (ix: number) => remainingTimePerIndexMs(delayedPerIndex.get(ix), now, options.podFailureBackoffBaseMs, options.podFailureBackoffMaxMs),
                failureCounts: (ix: number) => newIndexFailureCounts(job, delayedPerIndex.get(ix)),
              },
            }
          : {}),
        maxPodCreationsPerSync: options.maxPodCreationsPerSync,
        creationAllowance: snapshot.creationAllowance ?? Number.POSITIVE_INFINITY,
        slowStartLimit: snapshot.slowStartLimit,
        takenNames: taken,
        random: snapshot.random,
      });
      manageCalled = true;
      active = managed.active;
      creations = managed.creations;
      deletions = managed.deletions;
      terminating += managed.deletions.length;
      ready -= managed.deletedReady;
      if (managed.requeueAfterMs !== null) requeueAfterMs = earliest(requeueAfterMs, Math.max(MIN_REQUEUE_MS, managed.requeueAfterMs));
      // Creations held back by the cap on creations in flight: look again shortly.
      if (managed.creationsCapped) {
        requeueAfterMs = earliest(requeueAfterMs, CAPPED_CREATIONS_RETRY_MS);
        creationsCapped = true;
      }
    }
    const complete = adoption.pending === 0 && (completions === null ? succeeded > 0 && active === 0 : succeeded >= completions && active === 0);
    if (complete) {
      finishing = { kind: "success", reason: REASON.completionsReached, message: MESSAGE.completionsReached, isNew: true };
      requeueAfterMs = null;
    } else if (manageCalled) {
      applySuspendCondition(status, suspended, now, events);
    }
  }

  // Count, list, and plan the removals the written status makes safe.
  const tracking = planTracking({
    pods,
    lists,
    isIndexed,
    completions,
    succeededIndexes,
    finishing: finishing?.kind ?? null,
    jobDeleting,
    onlyReplaceFailed,
    removalsInFlight,
    deletionsInFlight,
    maxUncountedPods: options.maxUncountedPods,
    podFailurePolicy,
    delayedRemoval,
    heldOutside: adoption.heldListed,
  });
  const counted = [...tracking.countedSucceeded, ...tracking.countedFailed];
  // Counters never decrease (the API server rejects it), except `succeeded` of an Indexed Job whose
  // completions equal its parallelism: an elastic Job scaled down forgets the indexes it dropped
  // (in-tree writes the completed indexes' total; the API server allows the decrease then).
  status.succeeded = isIndexed
    ? isElasticIndexed(job)
      ? succeededIndexes.total()
      : Math.max(current.succeeded ?? 0, succeededIndexes.total())
    : (current.succeeded ?? 0) + tracking.countedSucceeded.length;
  status.failed = (current.failed ?? 0) + tracking.countedFailed.length;
  status.uncountedTerminatedPods = { succeeded: tracking.lists.succeeded, failed: tracking.lists.failed };
  if (isIndexed) status.completedIndexes = succeededIndexes.format();
  if (failedIndexes !== null) status.failedIndexes = failedIndexes.format();
  // Under slow start (a creation was rejected lately) a creation in flight may never exist: only
  // the Pods the view shows are reported active, as in-tree never reports a rejected Pod.
  const creationsUncertain = snapshot.slowStartLimit !== undefined && Number.isFinite(snapshot.slowStartLimit);
  status.active = creationsUncertain ? Math.max(0, active - creationsInFlight.size - creations.length) : active;
  status.ready = Math.max(0, ready);
  status.terminating = terminating;

  // Interim condition first (the API server wants it before, or with, the terminal one).
  if (finishing?.isNew) {
    const type = finishing.kind === "failure" ? CONDITION.failureTarget : CONDITION.successCriteriaMet;
    status.conditions = ensureConditionStatus(status.conditions ?? [], type, "True", finishing.reason, finishing.message, now).conditions;
  }

  // In-tree `enactJobFinished`, widened to what asynchronous removals need.
  let finished = false;
  if (
    finishing !== null &&
    adoption.pending === 0 &&
    uncountedTotal(tracking.lists) === 0 &&
    terminating === 0 &&
    creationsInFlight.size === 0 &&
    !tracking.reachedMaxUncounted &&
    !pods.some(holdsFinalizer)
  ) {
    finished = true;
    const type = finishing.kind === "failure" ? CONDITION.failed : CONDITION.complete;
    status.conditions = ensureConditionStatus(status.conditions ?? [], type, "True", finishing.reason, finishing.message, now).conditions;
    if (!status.startTime) status.startTime = wireTime(now);
    if (finishing.kind === "success") {
      status.completionTime = wireTime(now);
      if (completions !== null && (status.succeeded ?? 0) > completions) {
        events.push({ type: "Warning", reason: "TooManySucceededPods", message: "Too many succeeded pods running after completion count reached" });
      }
      events.push({ type: "Normal", reason: "Completed", message: "Job completed" });
    } else {
      events.push({ type: "Warning", reason: finishing.reason, message: finishing.message });
    }
    backoff = { ...EMPTY_BACKOFF };
    requeueAfterMs = null;
  }

  events.unshift(...podEvents(creations.length, deletions));
  return {
    status: isSameStatus(current, status) ? null : status,
    removals: [...tracking.removals, ...releaseRemovals(snapshot)],
    creations,
    deletions,
    adoptions: adoption.adoptions,
    events,
    requeueAfterMs,
    counted,
    backoff,
    finished,
    creationsCapped,
  };
}

/**
 * A finished Job is not synced again in-tree; its remaining finalizers go through the orphan
 * queue (`cleanupPodFinalizers`). Here: remove them, count nothing.
 */
function planForFinishedJob(snapshot: SyncSnapshot, pods: readonly PodView[]): SyncPlan {
  const removals: PlannedRemoval[] = pods
    .filter((p) => holdsFinalizer(p) && !snapshot.removalsInFlight.has(p.uid))
    .map((p) => ({ podUID: p.uid, name: p.name, namespace: p.namespace, reason: "job-finished" }));
  return { ...emptyPlan(snapshot), removals: [...removals, ...releaseRemovals(snapshot)], backoff: { ...EMPTY_BACKOFF }, finished: true };
}

/**
 * Pods that left the Job still holding the finalizer, which nothing else will track (in-tree:
 * `ClaimPods` releases them, the orphan queue removes the finalizer): removed without counting,
 * once per owner of the partition.
 */
export function releaseRemovals(snapshot: Pick<SyncSnapshot, "pods" | "releasesPublished">): PlannedRemoval[] {
  return snapshot.pods
    .filter((p) => p.departed?.releaseFinalizer === true && !snapshot.releasesPublished?.has(p.uid))
    .map((p) => ({ podUID: p.uid, name: p.name, namespace: p.namespace, reason: "released" }));
}

function emptyPlan(snapshot: SyncSnapshot): SyncPlan {
  return {
    status: null,
    removals: [],
    creations: [],
    deletions: [],
    adoptions: [],
    events: [],
    requeueAfterMs: null,
    counted: [],
    backoff: { ...snapshot.backoff },
    finished: false,
  };
}

/**
 * In-tree: Suspended=True (JobSuspended) while suspended, Suspended=False (JobResumed) once
 * resumed, with startTime reset to now on resume (the activeDeadlineSeconds timer restarts).
 */
function applySuspendCondition(status: V1JobStatus, suspended: boolean, now: number, events: PlannedEvent[]): void {
  if (suspended) {
    const result = ensureConditionStatus(status.conditions ?? [], CONDITION.suspended, "True", REASON.jobSuspended, MESSAGE.jobSuspended, now);
    if (!result.changed) return;
    status.conditions = result.conditions;
    delete status.startTime;
    events.push({ type: "Normal", reason: "Suspended", message: "Job suspended" });
    return;
  }
  const result = ensureConditionStatus(status.conditions ?? [], CONDITION.suspended, "False", REASON.jobResumed, MESSAGE.jobResumed, now);
  if (!result.changed) return;
  status.conditions = result.conditions;
  status.startTime = wireTime(now);
  events.push({ type: "Normal", reason: "Resumed", message: "Job resumed" });
}

/** One Pod per newly completed index: the success the backoff record observes. */
function firstPodPerNewIndex(
  pods: readonly PodView[],
  prev: OrderedIntervals,
  next: OrderedIntervals,
  completions: number | null,
  listedFailed: readonly string[],
): PodView[] {
  const seen = new Set<number>();
  const result: PodView[] = [];
  for (const pod of pods) {
    if (!isPodSucceeded(pod) || !holdsFinalizer(pod) || listedFailed.includes(pod.uid)) continue;
    const ix = validCompletionIndex(pod, completions);
    if (ix === null || prev.has(ix) || !next.has(ix) || seen.has(ix)) continue;
    seen.add(ix);
    result.push(pod);
  }
  return result;
}

/** Aggregated SuccessfulCreate / SuccessfulDelete (in-tree records one per Pod). */
function podEvents(created: number, deletions: readonly PlannedDeletion[]): PlannedEvent[] {
  const events: PlannedEvent[] = [];
  if (created > 0) events.push({ type: "Normal", reason: "SuccessfulCreate", message: `Created ${created} pod${created === 1 ? "" : "s"}` });
  if (deletions.length === 1) {
    events.push({ type: "Normal", reason: "SuccessfulDelete", message: `Deleted pod: ${deletions[0]?.name ?? ""}` });
  } else if (deletions.length > 1) {
    events.push({ type: "Normal", reason: "SuccessfulDelete", message: `Deleted ${deletions.length} pods` });
  }
  return events;
}

export function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
