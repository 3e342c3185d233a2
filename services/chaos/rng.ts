/**
 * Seeded draws for the campaign's plans, over the repository's mulberry32 (`shared/random.ts`):
 * a run's whole plan is a function of its seed, so a violation replays from the seed alone.
 */
import { seededRandom } from "../../shared/random.js";

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  /** Uniform real in [lo, hi). */
  real(lo: number, hi: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One element, with the given weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** Integer in [lo, hi], log-uniform: small values as likely per decade as large ones. */
  logInt(lo: number, hi: number): number;
}

export function createRng(seed: number): Rng {
  const next = seededRandom(seed);
  const rng: Rng = {
    next,
    int: (lo, hi) => lo + Math.min(hi - lo, Math.floor(next() * (hi - lo + 1))),
    real: (lo, hi) => lo + next() * (hi - lo),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError("pick from an empty list");
      return items[rng.int(0, items.length - 1)] as (typeof items)[number];
    },
    weighted: (items) => {
      const total = items.reduce((s, [, w]) => s + w, 0);
      let x = next() * total;
      for (const [item, w] of items) {
        if (x < w) return item;
        x -= w;
      }
      return (items[items.length - 1] as readonly [(typeof items)[number][0], number])[0];
    },
    logInt: (lo, hi) => {
      if (hi <= lo) return lo;
      const v = Math.floor(Math.exp(Math.log(lo) + next() * (Math.log(hi + 1) - Math.log(lo))));
      return Math.max(lo, Math.min(hi, v));
    },
  };
  return rng;
}
