/** The soak's sample aggregation (services/bench/soak/samples.ts): lag per Pod and per window, rates, summary. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { lagPoints, sampleRows, summarize, type SoakPhase, type SoakSample } from "../../../services/bench/soak/samples.js";

function sample(atMs: number, phase: SoakPhase, counted: number, over: Partial<SoakSample> = {}): SoakSample {
  return { atMs, phase, counted, jobsFinished: 0, services: {}, intentsQueued: 0, removerQueueDepth: 0, viewMessages: 0, podsTracked: 0, jobsTracked: 0, loadAverage1m: 1, ...over };
}

describe("lagPoints", () => {
  test("per Job, the k-th Pod to finish is counted when the Job's total first reaches k", () => {
    const finishes = new Map([
      ["a", [1000, 1200, 3000]],
      ["b", [1500]],
    ]);
    const counts = new Map([
      ["a", [{ atMs: 0, counted: 0 }, { atMs: 2000, counted: 2 }, { atMs: 3500, counted: 3 }]],
      ["b", [{ atMs: 1600, counted: 1 }]],
    ]);
    assert.deepEqual(lagPoints(finishes, counts), [
      { finishedAtMs: 1000, lagMs: 1000 },
      { finishedAtMs: 1200, lagMs: 800 },
      { finishedAtMs: 1500, lagMs: 100 },
      { finishedAtMs: 3000, lagMs: 500 },
    ]);
  });

  test("finish times out of order are sorted; Pods never counted have no lag", () => {
    const points = lagPoints(new Map([["a", [3000, 1000]]]), new Map([["a", [{ atMs: 2000, counted: 1 }]]]));
    assert.deepEqual(points, [{ finishedAtMs: 1000, lagMs: 1000 }]);
  });
});

describe("sampleRows", () => {
  test("each window's rate and the lag of the Pods that finished in it", () => {
    const samples = [sample(10_000, "warm-up", 500), sample(20_000, "steady", 1500), sample(30_000, "steady", 2500)];
    const lags = [
      { finishedAtMs: 5_000, lagMs: 900 },
      { finishedAtMs: 15_000, lagMs: 1000 },
      { finishedAtMs: 16_000, lagMs: 3000 },
      { finishedAtMs: 35_000, lagMs: 7000 }, // after the last sample: in no row
    ];
    const rows = sampleRows(samples, lags);
    assert.deepEqual(
      rows.map((r) => r.podsPerSec),
      [50, 100, 100],
    );
    assert.deepEqual(
      rows.map((r) => r.lag.pods),
      [1, 2, 0],
    );
    assert.equal(rows[1]!.lag.p50, 3000);
    assert.equal(rows[1]!.lag.max, 3000);
    assert.equal(rows[2]!.lag.p99, 0);
  });
});

describe("summarize", () => {
  test("lag over the steady phase only; rate between its first and last sample; deepest queues, whole run and steady", () => {
    const samples = [
      sample(10_000, "warm-up", 400, { intentsQueued: 300, removerQueueDepth: 50, viewMessages: 700 }),
      sample(20_000, "steady", 1400, { intentsQueued: 40, removerQueueDepth: 12 }),
      sample(40_000, "steady", 3400, { intentsQueued: 60, removerQueueDepth: 8 }),
      sample(50_000, "drain", 4000, { intentsQueued: 5 }),
    ];
    const lags = [
      { finishedAtMs: 9_000, lagMs: 5000 }, // warm-up
      { finishedAtMs: 21_000, lagMs: 1000 },
      { finishedAtMs: 30_000, lagMs: 2000 },
      { finishedAtMs: 45_000, lagMs: 9000 }, // drain
    ];
    const s = summarize(samples, lags, { fromMs: 15_000, toMs: 42_000 });
    assert.equal(s.lagPods, 2);
    assert.deepEqual(s.lagMs, { p50: 2000, p99: 2000, max: 2000 });
    assert.equal(s.steadyPodsPerSec, 100);
    assert.equal(s.maxIntentsQueued, 300);
    assert.equal(s.maxRemoverQueueDepth, 50);
    assert.equal(s.maxViewMessages, 700);
    assert.deepEqual(s.steady, { maxIntentsQueued: 60, maxRemoverQueueDepth: 12 });
  });

  test("no steady sample: rate 0, no lag", () => {
    const s = summarize([sample(10_000, "warm-up", 10)], [], { fromMs: 60_000, toMs: 120_000 });
    assert.equal(s.steadyPodsPerSec, 0);
    assert.equal(s.lagPods, 0);
  });
});
