/**
 * Slow start of Pod creations after the API server rejected one (403 quota, 422, a webhook): the
 * in-tree `manageJob` creates in batches of 1, 2, 4, ... (`SlowStartInitialBatchSize`) and stops at
 * the first batch with a rejection; the Job is then synced again through the rate limiter of its
 * work queue (`DefaultJobApiBackOff` 1 s doubling to `MaxJobApiBackOff` 1 min).
 *
 * jobtally's creations are asynchronous (intents), so a "batch" is a round: the creations one sync
 * plans. With no rejection seen lately there is no limit (the happy path is not slowed down). A
 * rejection reported by the finalizer-remover starts slow start: the next round may plan 1
 * creation, after the retry backoff; a round whose Pods all showed up in the view (none in flight,
 * none rejected) doubles the limit; past `maxPodCreationsPerSync` the limit is lifted. A round
 * waits for the previous one to settle (in-tree `wait.Wait()`), so a quota that stays full costs
 * one creation per backoff period, never a loop.
 *
 * Pure: the counter keeps one `SlowStart` per Job (memory only: after a restart the first
 * rejection starts it again).
 */

/** In-tree `controller.SlowStartInitialBatchSize`. */
export const SLOW_START_INITIAL_BATCH = 1;
/** In-tree `DefaultJobApiBackOff` and `MaxJobApiBackOff`: the retry delay after a rejected round. */
export const CREATION_RETRY_BACKOFF = { baseMs: 1_000, maxMs: 60_000 } as const;

export interface SlowStart {
  /** Creations the next round may plan, or null: no limit (no rejection lately). */
  limit: number | null;
  /** Consecutive rounds with a rejection (sets the retry delay). */
  failedRounds: number;
  /** No creation before this epoch ms, or null. */
  retryAtMs: number | null;
  /** When the round whose outcome is not yet known was planned, or null. */
  openRoundAtMs: number | null;
  /** Planning time of the newest round known to have a rejection (older rejections are old news). */
  lastRejectedRoundAtMs: number | null;
}

export const NO_SLOW_START: SlowStart = { limit: null, failedRounds: 0, retryAtMs: null, openRoundAtMs: null, lastRejectedRoundAtMs: null };

export function creationRetryDelayMs(failedRounds: number): number {
  const exp = Math.max(0, failedRounds - 1);
  return Math.min(CREATION_RETRY_BACKOFF.maxMs, CREATION_RETRY_BACKOFF.baseMs * 2 ** Math.min(exp, 30));
}

/**
 * The API server rejected a creation planned at `plannedAtMs`. The first rejection of a round
 * (re)starts slow start and the retry backoff; the others of the same round change nothing.
 */
export function onCreationRejected(s: SlowStart, plannedAtMs: number, nowMs: number): SlowStart {
  if (s.lastRejectedRoundAtMs !== null && plannedAtMs <= s.lastRejectedRoundAtMs) return s;
  const failedRounds = s.failedRounds + 1;
  return {
    limit: SLOW_START_INITIAL_BATCH,
    failedRounds,
    retryAtMs: nowMs + creationRetryDelayMs(failedRounds),
    openRoundAtMs: null,
    lastRejectedRoundAtMs: plannedAtMs,
  };
}

export interface SlowStartAllowance {
  /** Creations this sync may plan (Infinity: no limit). */
  allowance: number;
  /** Sync again after this long (the retry backoff), or null. */
  waitMs: number | null;
  next: SlowStart;
}

/**
 * What the next round may plan. `inFlight`: this Job's creations published and neither seen nor
 * rejected yet; `maxPerSync`: past this the limit is lifted.
 */
export function slowStartAllowance(s: SlowStart, nowMs: number, inFlight: number, maxPerSync: number): SlowStartAllowance {
  if (s.limit === null) return { allowance: Number.POSITIVE_INFINITY, waitMs: null, next: s };
  // The round in progress settles first: every Pod seen or rejected.
  if (inFlight > 0) return { allowance: 0, waitMs: null, next: s };
  let next = s;
  if (s.openRoundAtMs !== null) {
    // Settled with no rejection: the next round may plan twice as many.
    const limit = s.limit * 2;
    if (limit > maxPerSync) return { allowance: Number.POSITIVE_INFINITY, waitMs: null, next: NO_SLOW_START };
    next = { ...s, limit, failedRounds: 0, openRoundAtMs: null };
  }
  if (next.retryAtMs !== null && nowMs < next.retryAtMs) return { allowance: 0, waitMs: next.retryAtMs - nowMs, next };
  return { allowance: next.limit ?? Number.POSITIVE_INFINITY, waitMs: null, next };
}

/** A sync planned `count` creations under slow start: that is the round whose outcome is awaited. */
export function onRoundPlanned(s: SlowStart, nowMs: number, count: number): SlowStart {
  if (s.limit === null || count === 0) return s;
  return { ...s, openRoundAtMs: nowMs };
}
