/**
 * Seeded randomness keyed by name: a Pod's random draws are a pure function of (seed, key), not of
 * the order Pods were seen in, so a restarted kubelet simulator gives every Pod the same outcome.
 */

/** FNV-1a 32-bit hash of a string (UTF-16 code units; enough for names). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** One mulberry32 step: spreads the bits of a 32-bit state over [0, 1). */
function mulberry32(state: number): number {
  let t = (state + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A uniform draw in [0, 1) determined by `seed` and `key` alone. */
export function uniformFor(seed: number, key: string): number {
  return mulberry32(fnv1a32(`${seed}\u0000${key}`));
}
