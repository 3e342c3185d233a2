/**
 * Is a process's memory flat after warm-up? Pure. The samples after the warm-up are split into a
 * first and a second half; the memory is flat when the second half's median exceeds the first
 * half's by no more than the tolerance: a fraction of the first half's median, or a number of
 * bytes, whichever is larger (V8 grows its heap in steps of a few MiB, so a small process needs
 * the floor). Medians, not means: one sample taken during a garbage collection does not decide.
 * The least-squares slope is reported beside it, to show a trend the halves hide.
 */

export interface MemoryPoint {
  /** ms since the start of the run. */
  atMs: number;
  bytes: number;
}

export interface FlatnessOptions {
  /** Samples before this (ms since the start) are warm-up and ignored. */
  warmupMs: number;
  /** Allowed growth as a fraction of the first half's median (0.1 = 10 %). */
  tolerance: number;
  /** Allowed growth in bytes, when larger than the fraction. */
  toleranceBytes: number;
}

export interface FlatnessVerdict {
  /** null: too few samples after the warm-up to judge (fewer than MIN_SAMPLES). */
  flat: boolean | null;
  samples: number;
  firstHalfMedianBytes: number;
  secondHalfMedianBytes: number;
  /** second − first (negative when the memory went down). */
  growthBytes: number;
  /** growthBytes / first half's median. */
  growthRatio: number;
  /** max(tolerance × first half's median, toleranceBytes). */
  allowedBytes: number;
  /** Least-squares slope over the samples after the warm-up, bytes per minute. */
  slopeBytesPerMinute: number;
}

/** At least two samples in each half. */
export const MIN_SAMPLES = 4;

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Least-squares slope of bytes over time, per minute (0 with fewer than two distinct times). */
export function slopePerMinute(points: readonly MemoryPoint[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.atMs, 0) / n;
  const my = points.reduce((a, p) => a + p.bytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.atMs - mx) * (p.bytes - my);
    den += (p.atMs - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

export function memoryFlatness(points: readonly MemoryPoint[], opts: FlatnessOptions): FlatnessVerdict {
  const steady = points.filter((p) => p.atMs >= opts.warmupMs).sort((a, b) => a.atMs - b.atMs);
  // With an odd count the middle sample belongs to neither half.
  const half = Math.floor(steady.length / 2);
  const first = median(steady.slice(0, half).map((p) => p.bytes));
  const second = median(steady.slice(steady.length - half).map((p) => p.bytes));
  const growth = second - first;
  const allowed = Math.max(opts.tolerance * first, opts.toleranceBytes);
  return {
    flat: steady.length < MIN_SAMPLES ? null : growth <= allowed,
    samples: steady.length,
    firstHalfMedianBytes: first,
    secondHalfMedianBytes: second,
    growthBytes: growth,
    growthRatio: first > 0 ? growth / first : 0,
    allowedBytes: allowed,
    slopeBytesPerMinute: slopePerMinute(steady),
  };
}

/** The warm-up of a run of `minutes`: a third of it, at most 5 minutes (1 minute of a 3-minute run). */
export function defaultWarmupMs(minutes: number): number {
  return Math.min(5 * 60_000, Math.round((minutes * 60_000) / 3));
}
