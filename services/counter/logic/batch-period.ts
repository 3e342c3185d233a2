/**
 * How long a Job's Pod events are batched before its next sync (and status write): a period that
 * adapts to the Job's finish rate and to the API budget instead of a fixed 1 s. Pure.
 *
 * A Pod is counted after two status writes (its UID listed, then moved into the counts), with the
 * finalizer removal in between, so with one write every T seconds its lag (finished → counted) is
 * between T and 2T, and a Job finishing R Pods a second costs 1,000 / (R × T) writes per 1,000 Pods.
 * Both cannot be small at once; the budget decides which matters:
 * - at QPS ≥ LAG_BOUND_QPS (200) the lag target holds: T = the base period (`--batch-period`,
 *   0.8 s: p99 lag about 2T plus the removal), whatever the finish rate (more Pods per write as
 *   it rises: at 470 Pods/s that is 2.7 writes per 1,000 Pods);
 * - below it the budget is scarce and each write should carry many Pods, as the in-tree controller
 *   does when its own rate limiter slows its syncs (QPS 50: one write every ~7 s):
 *   T = PODS_PER_WRITE / R, at least the base period, at most MAX_PERIOD_FACTOR × it.
 * A budget the counter does not know (no `--shared-qps`) is treated as large: the lag target holds.
 * A Job with nothing more on its way is synced at once anyway (`JobState.quiescent`), so short Jobs
 * and the end of a big one do not wait for the period.
 */

/** From this budget up the lag target (p99 ≤ 2 s) decides the period. */
export const LAG_BOUND_QPS = 200;
/** Below LAG_BOUND_QPS a write should carry this many finished Pods (in-tree at QPS 50: ~180). */
export const PODS_PER_WRITE = 180;
/** Below LAG_BOUND_QPS the period grows to at most this many base periods. */
export const MAX_PERIOD_FACTOR = 10;

export interface BatchPeriodInput {
  /** `--batch-period` (0 = no batching). */
  basePeriodMs: number;
  /** The shared API budget, requests per second (0 = not known / unlimited). */
  budgetQps: number;
  /** The Job's Pods finishing per second, recently (0 = none lately). */
  finishRatePerSec: number;
}

export function batchPeriodMs(input: BatchPeriodInput): number {
  const base = input.basePeriodMs;
  if (base <= 0) return 0;
  if (input.budgetQps <= 0 || input.budgetQps >= LAG_BOUND_QPS) return base;
  const max = base * MAX_PERIOD_FACTOR;
  if (input.finishRatePerSec <= 0) return base;
  const period = (PODS_PER_WRITE / input.finishRatePerSec) * 1000;
  return Math.round(Math.min(max, Math.max(base, period)));
}

/** Time constant of the finish rate's exponential decay. */
export const FINISH_RATE_TAU_MS = 5_000;

/** Events per second, exponentially decayed (time constant FINISH_RATE_TAU_MS). */
export class DecayingRate {
  private value = 0;
  private atMs = 0;

  add(nowMs: number, n = 1): void {
    this.value = this.decayed(nowMs) + n;
    this.atMs = nowMs;
  }

  perSec(nowMs: number): number {
    return (this.decayed(nowMs) / FINISH_RATE_TAU_MS) * 1000;
  }

  private decayed(nowMs: number): number {
    if (this.value === 0) return 0;
    return this.value * Math.exp(-Math.max(0, nowMs - this.atMs) / FINISH_RATE_TAU_MS);
  }
}
