/**
 * A status write that only lists finished Pods or moves them into the counts (and progress
 * figures) may wait until one batch period has passed since the Job's last write: the syncs that
 * come between (a replacement's backoff ending, a creation round, a requeue) then cost no write of
 * their own. Pure; the syncer decides with these and drops what depends on the held write.
 *
 * What a held write changes (job-syncer.ts): nothing of the ledger; no intent that acts on a UID
 * the stored status does not list yet (`newlyListed`), since a removal must follow the write that
 * lists its UID; no purge of a gone Pod the held status lists; the in-memory failure backoff is
 * left as it was. The next sync plans the same from the same ledger and view, so holding is the
 * same as that sync not having happened, for everything counting depends on.
 */
import type { V1JobStatus } from "@kubernetes/client-node";
import { isSameStatus } from "./status-equality.js";

/** What a counting-only write may change: the uncounted lists, the counts, completedIndexes, progress. */
function stripCounting(s: V1JobStatus | null | undefined): V1JobStatus {
  const { uncountedTerminatedPods: _u, succeeded: _s, failed: _f, completedIndexes: _c, active: _a, ready: _r, terminating: _t, startTime: _st, ...rest } = s ?? {};
  return rest;
}

/** `after` differs from `before`, and only in what a counting-only write may change. */
export function onlyCountingChanged(before: V1JobStatus | null | undefined, after: V1JobStatus | null | undefined): boolean {
  return !isSameStatus(before, after) && isSameStatus(stripCounting(before), stripCounting(after));
}

export function uncountedUIDs(s: V1JobStatus | null | undefined): Set<string> {
  const u = s?.uncountedTerminatedPods;
  return new Set([...(u?.succeeded ?? []), ...(u?.failed ?? [])]);
}

/** UIDs `after` lists as uncounted that `before` does not. */
export function newlyListed(before: V1JobStatus | null | undefined, after: V1JobStatus | null | undefined): Set<string> {
  const had = uncountedUIDs(before);
  const out = new Set<string>();
  for (const uid of uncountedUIDs(after)) if (!had.has(uid)) out.add(uid);
  return out;
}

export interface CountingHoldInput {
  before: V1JobStatus | null | undefined;
  after: V1JobStatus | null | undefined;
  /** The Job's batch period (0: never hold). */
  periodMs: number;
  /** When this replica last wrote the Job's status (null: not yet: write at once). */
  lastWriteAtMs: number | null;
  nowMs: number;
  /** `--max-uncounted-pods`: with the lists half full, write at once. */
  maxUncountedPods: number;
}

/** How long the write may still wait (0: write now). A wait under a quarter period is not worth a second sync. */
export function countingHoldMs(input: CountingHoldInput): number {
  if (input.periodMs <= 0 || input.lastWriteAtMs === null) return 0;
  if (!onlyCountingChanged(input.before, input.after)) return 0;
  if (uncountedUIDs(input.after).size >= input.maxUncountedPods / 2) return 0;
  const wait = input.lastWriteAtMs + input.periodMs - input.nowMs;
  return wait > input.periodMs / 4 ? wait : 0;
}
