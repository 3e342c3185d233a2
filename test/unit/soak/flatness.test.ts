/** The soak's memory verdict (services/bench/soak/flatness.ts): flat, growing, noisy, too short. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { defaultWarmupMs, median, memoryFlatness, slopePerMinute, type MemoryPoint } from "../../../services/bench/soak/flatness.js";

const MiB = 2 ** 20;
const MIN = 60_000;

/** A sample every 10 s for `minutes`, `bytes(tMs)` each. */
function series(minutes: number, bytes: (tMs: number) => number): MemoryPoint[] {
  const out: MemoryPoint[] = [];
  for (let t = 10_000; t <= minutes * MIN; t += 10_000) out.push({ atMs: t, bytes: bytes(t) });
  return out;
}

const OPTS = { warmupMs: 5 * MIN, tolerance: 0.1, toleranceBytes: 16 * MiB };

describe("memoryFlatness", () => {
  const cases: { name: string; points: MemoryPoint[]; opts?: Partial<typeof OPTS>; flat: boolean | null }[] = [
    { name: "steady at 100 MiB after a warm-up climb: flat", points: series(30, (t) => (t < 3 * MIN ? (60 + (40 * t) / (3 * MIN)) * MiB : 100 * MiB)), flat: true },
    { name: "a leak of 2 MiB a minute over 30 minutes: growing", points: series(30, (t) => 100 * MiB + (2 * MiB * t) / MIN), flat: false },
    {
      name: "a leak of 1 MiB a minute is caught by a tighter tolerance (4 %, 4 MiB)",
      points: series(30, (t) => 100 * MiB + (1 * MiB * t) / MIN),
      opts: { tolerance: 0.04, toleranceBytes: 4 * MiB },
      flat: false,
    },
    { name: "a sawtooth of garbage collections (±8 MiB) around a flat line: flat", points: series(30, (t) => (100 + ((t / 10_000) % 6) * 3 - 8) * MiB), flat: true },
    { name: "memory going down (a cache trimmed): flat", points: series(30, (t) => (150 - t / MIN) * MiB), flat: true },
    { name: "the warm-up's growth alone does not count", points: series(30, (t) => (t < 5 * MIN ? (t / MIN) * 20 * MiB : 100 * MiB)), flat: true },
    { name: "three samples after the warm-up: not judged", points: series(5.35, () => 100 * MiB), flat: null },
    { name: "a small process (40 MiB) growing 10 MiB stays within the 16 MiB floor", points: series(30, (t) => (40 + (10 * t) / (30 * MIN)) * MiB), flat: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = memoryFlatness(c.points, { ...OPTS, ...c.opts });
      assert.equal(v.flat, c.flat, `growth ${(v.growthBytes / MiB).toFixed(1)} MiB, allowed ${(v.allowedBytes / MiB).toFixed(1)} MiB`);
    });
  }

  test("figures: halves' medians, growth, allowance and trend", () => {
    const v = memoryFlatness(series(25, (t) => 100 * MiB + (2 * MiB * (t - 5 * MIN)) / MIN), OPTS);
    assert.equal(v.samples, 121);
    // 60 samples each side of the middle one (at 15 min): medians at 10 and 20 min (20 and 40 MiB above 100).
    assert.ok(Math.abs(v.firstHalfMedianBytes - 110 * MiB) < MiB / 2, `${v.firstHalfMedianBytes / MiB}`);
    assert.ok(Math.abs(v.secondHalfMedianBytes - 130 * MiB) < MiB / 2, `${v.secondHalfMedianBytes / MiB}`);
    assert.ok(Math.abs(v.slopeBytesPerMinute - 2 * MiB) < 1024, `${v.slopeBytesPerMinute / MiB} MiB/min`);
    assert.equal(v.allowedBytes, Math.max(0.1 * v.firstHalfMedianBytes, 16 * MiB));
    assert.ok(Math.abs(v.growthRatio - 20 / 110) < 0.01);
  });

  test("samples out of order are sorted by time first", () => {
    const points = series(30, (t) => 100 * MiB + (2 * MiB * t) / MIN).reverse();
    assert.equal(memoryFlatness(points, OPTS).flat, false);
  });
});

describe("pieces", () => {
  test("median of odd, even and empty lists", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), 0);
  });

  test("slope: per minute, 0 for a single point", () => {
    assert.equal(slopePerMinute([{ atMs: 0, bytes: 0 }, { atMs: MIN, bytes: 5 }]), 5);
    assert.equal(slopePerMinute([{ atMs: 0, bytes: 7 }]), 0);
  });

  test("the default warm-up: a third of the run, at most 5 minutes", () => {
    assert.equal(defaultWarmupMs(3), MIN);
    assert.equal(defaultWarmupMs(30), 5 * MIN);
    assert.equal(defaultWarmupMs(9), 3 * MIN);
  });
});
