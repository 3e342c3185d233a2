/**
 * Replacement delay after Pod failures: in-tree `backoff_utils.go` (`newBackoffRecord`,
 * `getRemainingTimeForFailuresCount`), pure arithmetic over the record and the clock.
 */
import type { PodView } from "../../../shared/view/records.js";
import type { BackoffRecord } from "./types.js";
import { podFinishedAtMs } from "./pod-classification.js";

export const EMPTY_BACKOFF: BackoffRecord = { failuresAfterLastSuccess: 0, lastFailureTimeMs: null };

/**
 * In-tree `newBackoffRecord`: no new finishes keeps the record; only failures add to it; any
 * success resets it, then failures that finished after the last new success count again.
 * jobtally passes the Pods this sync lists (or records by index) for the first time, so a Pod is
 * observed exactly once even when the uncounted cap spreads a burst over several syncs.
 */
export function nextBackoffRecord(
  previous: BackoffRecord,
  newSucceeded: readonly PodView[],
  newFailed: readonly PodView[],
  nowMs: number,
): BackoffRecord {
  const failedTimes = newFailed.map((p) => podFinishedAtMs(p, nowMs)).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failedTimes.length === 0) return { ...previous };
    return {
      failuresAfterLastSuccess: previous.failuresAfterLastSuccess + failedTimes.length,
      lastFailureTimeMs: failedTimes[failedTimes.length - 1] as number,
    };
  }
  const lastSuccessMs = Math.max(...newSucceeded.map((p) => podFinishedAtMs(p, nowMs)));
  const after = failedTimes.filter((t) => t > lastSuccessMs);
  return {
    failuresAfterLastSuccess: after.length,
    lastFailureTimeMs: after.length > 0 ? (after[after.length - 1] as number) : null,
  };
}

/** In-tree `getRemainingTimeForFailuresCount`: base × 2^(failures−1), capped, minus time since the last failure. */
export function remainingBackoffMs(record: BackoffRecord, nowMs: number, baseMs: number, maxMs: number): number {
  if (record.failuresAfterLastSuccess <= 0 || record.lastFailureTimeMs === null) return 0;
  let delay = baseMs;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    delay *= 2;
    if (delay >= maxMs) {
      delay = maxMs;
      break;
    }
  }
  const elapsed = nowMs - record.lastFailureTimeMs;
  return delay < elapsed ? 0 : delay - elapsed;
}
