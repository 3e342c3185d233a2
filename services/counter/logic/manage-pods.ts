/**
 * Pod creations and deletions for one sync: in-tree `manageJob`, `activePodsForRemoval`,
 * `appendDuplicatedIndexPodsForRemoval` and `firstPendingIndexes`. In-tree counts Pods it
 * asked for but has not seen yet through expectations and skips the sync; jobtally adds the
 * creations in flight to the active count and leaves the deletions in flight out of it, so a
 * sync with intents outstanding still decides (and never asks twice).
 */
import type { V1Job } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import type { DeletionReason } from "../../../shared/intents/intents.js";
import type { PlannedCreation, PlannedDeletion } from "./types.js";
import { OrderedIntervals } from "./completed-indexes.js";
import { compareForRemoval } from "./pod-classification.js";
import { buildPodForCreation, newPodName } from "./pod-template.js";
import { creatableIndexes } from "./backoff-limit-per-index.js";
import { completionsOf, isIndexedJob, isJobSuspended, parallelismOf } from "./job-spec.js";

export interface ManageInput {
  job: V1Job;
  /** Active Pods of the Job the view shows, minus those whose deletion is in flight. */
  activePods: readonly PodView[];
  /** Creations published and not yet seen in the view. */
  creationsInFlight: ReadonlyMap<string, { index: number | null }>;
  /** Succeeded count as this sync sees it (in-tree `jobCtx.succeeded`). */
  succeeded: number;
  succeededIndexes: OrderedIntervals;
  /** Terminating Pods, subtracted from the wanted count only when just failed Pods are replaced. */
  terminating: number;
  terminatingIndexes: readonly number[];
  onlyReplaceFailed: boolean;
  /** Backoff left before a replacement may be created (0 = now). */
  backoffRemainingMs: number;
  maxPodCreationsPerSync: number;
  /** Creations this sync may plan (the counter's cap on creations in flight); deletions are not limited by it. */
  creationAllowance: number;
  /** Creations this round may plan under slow start after a rejected creation (slow-start.ts). @default no limit */
  slowStartLimit?: number;
  /** Every Pod name in use (view and in flight), to keep new names unique. */
  takenNames: ReadonlySet<string>;
  random: () => number;
  /** Indexed Jobs with backoffLimitPerIndex: `status.failedIndexes` as this sync computed it (never re-created). */
  failedIndexes?: OrderedIntervals;
  /**
   * backoffLimitPerIndex: each index waits its own backoff (`remainingMs`, instead of the Job-wide
   * `backoffRemainingMs`), and each new Pod carries its index's failure counts as annotations.
   */
  perIndex?: PerIndexCreation;
}

export interface PerIndexCreation {
  remainingMs(index: number): number;
  failureCounts(index: number): { failureCount: number; ignoredFailureCount: number };
}

/** The smallest share of the cap on creations in flight a Job takes (unless it wants fewer). */
export const MIN_CREATION_CHUNK = 100;

export interface ManageResult {
  /** Fewer creations were planned than wanted because of the cap on creations in flight (or per sync). */
  creationsCapped?: boolean;
  /** Active Pods after this sync's decisions, counting creations (in flight and planned). */
  active: number;
  creations: PlannedCreation[];
  deletions: PlannedDeletion[];
  deletedReady: number;
  /** Creations wait for the failure backoff: sync again after this long. */
  requeueAfterMs: number | null;
}

export function toDeletion(pod: PodView, reason: DeletionReason, removeFinalizerFirst: boolean): PlannedDeletion {
  return { podUID: pod.uid, name: pod.name, namespace: pod.namespace, reason, removeFinalizerFirst };
}

/**
 * In-tree `activePodsForRemoval`: Indexed Jobs first lose Pods with no or an out-of-range index
 * and all but one Pod of a repeated index (keeping the one furthest along), then, like NonIndexed
 * Jobs, the cheapest Pods first (`compareForRemoval`) until `rmAtLeast` are chosen.
 */
export function activePodsForRemoval(job: V1Job, pods: readonly PodView[], rmAtLeast: number): PodView[] {
  const rm: PodView[] = [];
  let left: PodView[] = [...pods];
  if (isIndexedJob(job)) {
    const completions = completionsOf(job) ?? 0;
    left = [];
    const byIndex = new Map<number, PodView[]>();
    for (const pod of pods) {
      const ix = pod.completionIndex;
      if (ix === null || ix < 0 || ix >= completions) rm.push(pod);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), pod]);
    }
    for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
      const same = [...(byIndex.get(ix) ?? [])].sort(compareForRemoval);
      rm.push(...same.slice(0, -1));
      left.push(same[same.length - 1] as PodView);
    }
  }
  if (rm.length < rmAtLeast) {
    left.sort(compareForRemoval);
    rm.push(...left.slice(0, rmAtLeast - rm.length));
  }
  return rm;
}

/**
 * In-tree `firstPendingIndexes`: the lowest `count` indexes below `completions` that are neither
 * completed, nor active, nor being created (nor terminating, with podReplacementPolicy Failed).
 */
export function firstPendingIndexes(nonPending: OrderedIntervals, count: number, completions: number): number[] {
  const result: number[] = [];
  let candidate = 0;
  for (const iv of nonPending.intervals) {
    for (; candidate < completions && result.length < count && candidate < iv.first; candidate++) result.push(candidate);
    if (candidate < iv.last + 1) candidate = iv.last + 1;
  }
  for (; candidate < completions && result.length < count; candidate++) result.push(candidate);
  return result;
}

/** In-tree `manageJob`, for a Job that is not finishing. */
export function planManagePods(input: ManageInput): ManageResult {
  const { job } = input;
  const inFlight = input.creationsInFlight.size;
  let active = input.activePods.length;
  const result: ManageResult = { active: active + inFlight, creations: [], deletions: [], deletedReady: 0, requeueAfterMs: null };

  if (isJobSuspended(job)) {
    // Deleting all active Pods of a suspended Job; they are not failures, so the finalizer goes first.
    const podsToDelete = activePodsForRemoval(job, input.activePods, input.activePods.length);
    result.deletions = podsToDelete.map((p) => toDeletion(p, "suspended", true));
    result.deletedReady = podsToDelete.filter((p) => p.ready).length;
    result.active = active - podsToDelete.length + inFlight;
    return result;
  }

  const parallelism = parallelismOf(job);
  const completions = completionsOf(job);
  let wantActive: number;
  if (completions === null) {
    // No completions: parallelism until the first success, then leave what runs running.
    wantActive = input.succeeded > 0 ? active + inFlight : parallelism;
  } else {
    wantActive = Math.max(0, Math.min(parallelism, completions - input.succeeded));
  }

  // Excess Pods (and, for Indexed Jobs, repeated or invalid indexes). Like in-tree, which does
  // not manage a Job whose creations are still unobserved, wait for those to show up first.
  if (inFlight === 0) {
    const rmAtLeast = Math.max(0, active - wantActive);
    const podsToDelete = activePodsForRemoval(job, input.activePods, rmAtLeast).slice(0, input.maxPodCreationsPerSync);
    if (podsToDelete.length > 0) {
      result.deletions = podsToDelete.map((p) => toDeletion(p, "excess-active", true));
      result.deletedReady = podsToDelete.filter((p) => p.ready).length;
      result.active = active - podsToDelete.length;
      // In-tree: deletions take precedence; no creations in the same sync.
      return result;
    }
  }

  const terminating = input.onlyReplaceFailed ? input.terminating : 0;
  let diff = wantActive - terminating - (active + inFlight);
  if (diff <= 0) return result;
  if (input.backoffRemainingMs > 0) {
    result.requeueAfterMs = input.backoffRemainingMs;
    return result;
  }
  // Under the cap on creations in flight a Job takes room only in chunks (all it wants, or at
  // least MIN_CREATION_CHUNK): room handed out a few Pods at a time would split each Job into many
  // small waves, each costing its own status writes.
  const chunkOk = input.creationAllowance >= Math.min(diff, input.maxPodCreationsPerSync, MIN_CREATION_CHUNK);
  diff = chunkOk ? Math.min(diff, input.maxPodCreationsPerSync, input.creationAllowance) : 0;
  if (diff <= 0) {
    // Held back by the cap on creations in flight: look again once some have shown up.
    result.creationsCapped = true;
    return result;
  }
  if (diff < wantActive - terminating - (active + inFlight)) result.creationsCapped = true;
  // Slow start after a rejected creation (in-tree batches of 1, 2, 4, ...): the syncer requeues
  // at the end of the retry backoff, or when the round in flight settles.
  diff = Math.min(diff, input.slowStartLimit ?? Number.POSITIVE_INFINITY);
  if (diff <= 0) return result;

  let indexes: (number | null)[] = Array.from({ length: diff }, () => null);
  if (isIndexedJob(job)) {
    const activeIndexes = input.activePods.map((p) => p.completionIndex).filter((ix): ix is number => ix !== null);
    const inFlightIndexes = [...input.creationsInFlight.values()].map((c) => c.index).filter((ix): ix is number => ix !== null);
    let nonPending = input.succeededIndexes.withIndexes([...activeIndexes, ...inFlightIndexes]);
    if (input.onlyReplaceFailed) nonPending = nonPending.withIndexes(input.terminatingIndexes);
    if (input.failedIndexes) nonPending = nonPending.merge(input.failedIndexes);
    indexes = firstPendingIndexes(nonPending, diff, completions ?? 0);
    if (input.perIndex) {
      // In-tree `getPodCreationInfoForIndependentIndexes`: only the indexes whose own backoff passed.
      const creatable = creatableIndexes(indexes as number[], (ix) => input.perIndex?.remainingMs(ix) ?? 0);
      indexes = creatable.now;
      if (creatable.waitMs !== null) result.requeueAfterMs = creatable.waitMs;
    }
  }

  const taken = new Set(input.takenNames);
  const jobName = job.metadata?.name ?? "";
  for (const index of indexes) {
    const name = newPodName(jobName, index, input.random, taken);
    taken.add(name);
    const counts = index !== null && input.perIndex ? input.perIndex.failureCounts(index) : undefined;
    result.creations.push({ name, index, pod: buildPodForCreation(job, name, index, counts) });
  }
  active += result.creations.length;
  result.active = active + inFlight;
  return result;
}
