/**
 * Seeded randomness (mulberry32), so fault injection, simulated outcomes and randomized tests can
 * be replayed from their seed.
 */
import { fnv1a32 } from "./partition.js";

/** One mulberry32 step: spreads the bits of a 32-bit state over [0, 1). */
export function mulberry32(state: number): number {
  let t = (state + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A generator of uniform draws in [0, 1) from `seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    return mulberry32((a - 0x6d2b79f5) >>> 0);
  };
}

/** A uniform draw in [0, 1) determined by `seed` and `key` alone (order-independent). */
export function uniformFor(seed: number, key: string): number {
  return mulberry32(fnv1a32(`${seed}\u0000${key}`));
}
