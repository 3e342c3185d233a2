/**
 * The cap on creations in flight (logic/creation-cap.ts): it follows the measured throughput, so a
 * big Job reaches its parallelism when the budget allows (parallelism 2,000 at QPS 200 was held at
 * 1,000 by a budget-only cap), and a latency-bound pipeline (one remover, 2 request slots at
 * 20 ms) never queues creations past their time to live, whatever the budget says.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { budgetCreationCap, creationCap, CreationThroughput, MIN_CREATION_CAP, MIN_MEASURE_MS } from "../../../services/counter/logic/creation-cap.js";

const TTL = 60_000; // half the default 120 s expectations timeout

describe("creationCap", () => {
  const cases: {
    name: string;
    explicitMax: number;
    sharedQps: number;
    rate: number | null;
    inFlight: number;
    oldestAgeMs: number | null;
    cap: number;
    allowance: number;
    bound: string;
  }[] = [
    { name: "not measured yet: 5 s of the shared budget", explicitMax: 0, sharedQps: 200, rate: null, inFlight: 0, oldestAgeMs: null, cap: 1000, allowance: 1000, bound: "budget" },
    { name: "not measured yet, no shared budget: 2,000", explicitMax: 0, sharedQps: 0, rate: null, inFlight: 300, oldestAgeMs: 1000, cap: 2000, allowance: 1700, bound: "budget" },
    { name: "not measured yet, explicit max", explicitMax: 123, sharedQps: 1000, rate: null, inFlight: 0, oldestAgeMs: null, cap: 123, allowance: 123, bound: "explicit" },
    // QPS 200, removals running: ~100 creations/s → 100 × 20 s = 2,000 ≥ parallelism 2,000.
    { name: "QPS 200 steady state: the cap follows the throughput past the budget's 1,000", explicitMax: 0, sharedQps: 200, rate: 100, inFlight: 1500, oldestAgeMs: 15_000, cap: 2000, allowance: 500, bound: "throughput" },
    { name: "QPS 1,000 steady state: parallelism 5,000 fits", explicitMax: 0, sharedQps: 1000, rate: 470, inFlight: 5000, oldestAgeMs: 10_000, cap: 9400, allowance: 4400, bound: "throughput" },
    // One remover with 2 slots at 20 ms: 50 creations/s although the budget is 1,000/s.
    { name: "latency-bound: far below the budget's 5,000", explicitMax: 0, sharedQps: 1000, rate: 50, inFlight: 900, oldestAgeMs: 18_000, cap: 1000, allowance: 100, bound: "throughput" },
    { name: "explicit max is a ceiling on the throughput cap", explicitMax: 800, sharedQps: 1000, rate: 470, inFlight: 100, oldestAgeMs: 1000, cap: 800, allowance: 700, bound: "explicit" },
    { name: "nothing gets created (rate 0): only the floor", explicitMax: 0, sharedQps: 200, rate: 0, inFlight: 0, oldestAgeMs: null, cap: MIN_CREATION_CAP, allowance: MIN_CREATION_CAP, bound: "throughput" },
    { name: "in flight above the cap (the rate dropped): no allowance, never negative", explicitMax: 0, sharedQps: 200, rate: 10, inFlight: 1000, oldestAgeMs: 20_000, cap: 200, allowance: 0, bound: "throughput" },
    { name: "the oldest waited half its time to live: nothing more, whatever the cap", explicitMax: 0, sharedQps: 1000, rate: 1000, inFlight: 10, oldestAgeMs: TTL / 2, cap: 20_000, allowance: 0, bound: "queue-age" },
    { name: "...also before the rate is measured", explicitMax: 0, sharedQps: 1000, rate: null, inFlight: 10, oldestAgeMs: TTL, cap: 5000, allowance: 0, bound: "queue-age" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = creationCap({ config: { explicitMax: c.explicitMax, sharedQps: c.sharedQps, ttlMs: TTL }, ratePerSec: c.rate, inFlight: c.inFlight, oldestAgeMs: c.oldestAgeMs });
      assert.deepEqual(out, { cap: c.cap, allowance: c.allowance, bound: c.bound });
    });
  }

  it("the queue a throughput cap allows drains within the time to live even if the rate then halves", () => {
    for (const rate of [1, 15, 50, 100, 470, 2000]) {
      const { cap } = creationCap({ config: { explicitMax: 0, sharedQps: 0, ttlMs: TTL }, ratePerSec: rate, inFlight: 0, oldestAgeMs: null });
      if (cap > MIN_CREATION_CAP) assert.ok(cap / (rate / 2) <= (TTL / 1000) * (2 / 3) + 0.01, `rate ${rate}: ${cap} in flight drain in ${cap / (rate / 2)} s`);
    }
  });

  it("budgetCreationCap is the former budget-only cap", () => {
    assert.equal(budgetCreationCap({ explicitMax: 0, sharedQps: 1000 }), 5000);
    assert.equal(budgetCreationCap({ explicitMax: 0, sharedQps: 50 }), 500);
    assert.equal(budgetCreationCap({ explicitMax: 7, sharedQps: 50 }), 7);
  });
});

describe("CreationThroughput", () => {
  it("no rate until creations have been in flight for the minimum time", () => {
    const t = new CreationThroughput();
    assert.equal(t.ratePerSec(0), null);
    t.observe(0, 0, 100);
    t.observe(500, 10, 90);
    assert.equal(t.ratePerSec(MIN_MEASURE_MS - 1), null);
    assert.notEqual(t.ratePerSec(MIN_MEASURE_MS), null);
  });

  it("creations seen per second over the window", () => {
    const t = new CreationThroughput();
    t.observe(0, 0, 1000);
    for (let ms = 100; ms <= 20_000; ms += 100) t.observe(ms, 10, 1000); // 100/s
    const rate = t.ratePerSec(20_000) ?? -1;
    assert.ok(rate <= 102 && rate >= 90, `rate ${rate}`);
  });

  it("a rate that drops shows within the window", () => {
    const t = new CreationThroughput();
    t.observe(0, 0, 1000);
    for (let ms = 100; ms <= 10_000; ms += 100) t.observe(ms, 10, 1000); // 100/s
    for (let ms = 10_100; ms <= 20_000; ms += 100) t.observe(ms, 1, 1000); // 10/s
    const rate = t.ratePerSec(20_000) ?? -1;
    assert.ok(rate <= 11 && rate >= 9, `rate ${rate}`);
  });

  it("idle (nothing in flight) forgets the rate: the next burst starts from the budget's cap", () => {
    const t = new CreationThroughput();
    t.observe(0, 0, 10);
    t.observe(5000, 10, 0);
    assert.equal(t.ratePerSec(5000), null);
    t.observe(6000, 0, 50);
    assert.equal(t.ratePerSec(7000), null);
    assert.equal(t.ratePerSec(6000 + MIN_MEASURE_MS), 0);
  });

  it("a stall (creations in flight, none seen) measures 0: the cap falls to its floor", () => {
    const t = new CreationThroughput();
    t.observe(0, 0, 500);
    assert.equal(t.ratePerSec(30_000), 0);
  });
});
