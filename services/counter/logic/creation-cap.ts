/**
 * The cap on a counter's creations in flight (published, not yet seen in the view), and the
 * throughput it is sized from. Pure: the counter feeds it the creations it sees and asks for the
 * allowance at each sync.
 *
 * Why a cap at all: a creation intent lives `ttlMs` (half the expectations timeout); one that
 * waits longer in the work queue is dropped unsent and planned again (wasted work). How many may
 * wait is therefore bounded by how fast creations are carried out, whatever bounds that (the API
 * budget, the removers' request slots and latency, a busy machine).
 *
 * The cap follows the measured throughput, not only the budget: `rate × horizon`, where the
 * horizon is a third of the time to live, so a rate that halves after it was measured (the removals
 * start to share the budget with the creations) still keeps the queue within two thirds of it.
 * With parallelism 2,000 at QPS 200 (about 100 creations a second once removals run) that is
 * 2,000 in flight, so the cap no longer holds a big Job under its parallelism; with one remover
 * bound by latency at 50 creations a second it is 1,000, however big the budget.
 *
 * Until the throughput is measured (the first seconds a counter has creations in flight) the cap
 * is the budget's: a few seconds of `--shared-qps`, as before. And whatever the rate says, no
 * creation is added while the oldest one in flight has already waited half its time to live.
 */

export interface CreationCapConfig {
  /** `--max-creations-in-flight` (0 = automatic): a hard ceiling when set. */
  explicitMax: number;
  /** `--shared-qps` (0 = no shared budget known to the counter). */
  sharedQps: number;
  /** A creation intent's time to live (`notAfterMs - publishedAt`). */
  ttlMs: number;
}

/** The floor of the cap: a Job takes room in chunks of at least this (manage-pods MIN_CREATION_CHUNK). */
export const MIN_CREATION_CAP = 20;
/** Creations seen over this window make the rate. */
export const RATE_WINDOW_MS = 10_000;
/** The rate is trusted once creations have been in flight for this long. */
export const MIN_MEASURE_MS = 2_000;

/** Today's budget-only cap: 5 s of the shared budget (at least 500), 2,000 without one. */
export function budgetCreationCap(config: Pick<CreationCapConfig, "explicitMax" | "sharedQps">): number {
  if (config.explicitMax > 0) return config.explicitMax;
  return config.sharedQps > 0 ? Math.max(500, Math.round(config.sharedQps * 5)) : 2000;
}

export interface CreationCapInput {
  config: CreationCapConfig;
  /** Creations seen per second (null: not measured yet). */
  ratePerSec: number | null;
  /** Creations in flight now. */
  inFlight: number;
  /** Age of the oldest creation in flight (null: none). */
  oldestAgeMs: number | null;
}

export interface CreationCap {
  cap: number;
  /** Creations the counter may still plan: `cap - inFlight`, 0 while the oldest waited too long. */
  allowance: number;
  /** Why the cap is what it is (metrics, logs). */
  bound: "explicit" | "budget" | "throughput" | "queue-age";
}

export function creationCap(input: CreationCapInput): CreationCap {
  const { config } = input;
  const horizonS = config.ttlMs / 3 / 1000;
  let cap: number;
  let bound: CreationCap["bound"];
  if (input.ratePerSec === null) {
    cap = budgetCreationCap(config);
    bound = config.explicitMax > 0 ? "explicit" : "budget";
  } else {
    cap = Math.max(MIN_CREATION_CAP, Math.round(input.ratePerSec * horizonS));
    bound = "throughput";
    if (config.explicitMax > 0 && config.explicitMax < cap) {
      cap = config.explicitMax;
      bound = "explicit";
    }
  }
  if (input.oldestAgeMs !== null && input.oldestAgeMs >= config.ttlMs / 2) return { cap, allowance: 0, bound: "queue-age" };
  return { cap, allowance: Math.max(0, cap - input.inFlight), bound };
}

/**
 * Creations seen per second over the last RATE_WINDOW_MS, counted only over time with creations
 * in flight (an idle counter has no throughput to measure, and starts again from the budget's cap).
 */
export class CreationThroughput {
  /** [atMs, count] per 1 s bucket, oldest first. */
  private readonly buckets: [number, number][] = [];
  /** Since when creations have been in flight without a gap (null: none in flight). */
  private busySinceMs: number | null = null;

  /** `seen`: creations just seen in the view; `inFlight`: creations in flight after the change. Call on every publish and every sighting. */
  observe(nowMs: number, seen: number, inFlight: number): void {
    if (seen > 0) {
      const slot = Math.floor(nowMs / 1000) * 1000;
      const last = this.buckets[this.buckets.length - 1];
      if (last && last[0] === slot) last[1] += seen;
      else this.buckets.push([slot, seen]);
    }
    this.trim(nowMs);
    if (inFlight > 0) this.busySinceMs ??= nowMs;
    else {
      // Nothing in flight: idle; the next burst is measured afresh.
      this.busySinceMs = null;
      this.buckets.length = 0;
    }
  }

  /** Creations per second, or null until creations have been in flight for MIN_MEASURE_MS. */
  ratePerSec(nowMs: number): number | null {
    if (this.busySinceMs === null) return null;
    const span = Math.min(RATE_WINDOW_MS, nowMs - this.busySinceMs);
    if (span < MIN_MEASURE_MS) return null;
    const from = nowMs - span;
    let n = 0;
    let firstSlot = from;
    for (const [at, c] of this.buckets) {
      if (at + 1000 <= from) continue;
      n += c;
      firstSlot = Math.min(firstSlot, at);
    }
    // A bucket straddling the window's start counts whole, over the time it covers.
    return n / ((nowMs - firstSlot) / 1000);
  }

  private trim(nowMs: number): void {
    while (this.buckets.length > 0 && (this.buckets[0] as [number, number])[0] < nowMs - RATE_WINDOW_MS - 1000) this.buckets.shift();
  }
}
