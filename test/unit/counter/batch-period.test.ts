/**
 * The adaptive batch period (logic/batch-period.ts): the lag target decides at QPS ≥ 200, the
 * number of Pods per write below it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { batchPeriodMs, DecayingRate, FINISH_RATE_TAU_MS, MAX_PERIOD_FACTOR, PODS_PER_WRITE } from "../../../services/counter/logic/batch-period.js";

describe("batchPeriodMs", () => {
  const cases: { name: string; base: number; qps: number; rate: number; want: number }[] = [
    { name: "QPS 200, ~95 Pods/s: the base period (lag ≈ 2 × 0.8 s)", base: 800, qps: 200, rate: 95, want: 800 },
    { name: "QPS 1,000, 470 Pods/s: the base period", base: 800, qps: 1000, rate: 470, want: 800 },
    { name: "no shared budget known: the base period", base: 800, qps: 0, rate: 24, want: 800 },
    { name: "QPS 50, 24 Pods/s: ~180 Pods per write", base: 800, qps: 50, rate: 24, want: 7500 },
    { name: "QPS 50, 1 Pod/s: at most 10 periods", base: 800, qps: 50, rate: 1, want: 800 * MAX_PERIOD_FACTOR },
    { name: "QPS 100, 400 Pods/s (a burst): never under the base period", base: 800, qps: 100, rate: 400, want: 800 },
    { name: "QPS 50, nothing finishing lately: the base period", base: 800, qps: 50, rate: 0, want: 800 },
    { name: "--batch-period 0: no batching, whatever the budget", base: 0, qps: 50, rate: 24, want: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(batchPeriodMs({ basePeriodMs: c.base, budgetQps: c.qps, finishRatePerSec: c.rate }), c.want));
  }

  it("below QPS 200 each write carries about PODS_PER_WRITE finished Pods while the period is within its bounds", () => {
    for (const rate of [24, 30, 60, 100]) {
      const t = batchPeriodMs({ basePeriodMs: 800, budgetQps: 50, finishRatePerSec: rate });
      assert.ok(Math.abs((rate * t) / 1000 - PODS_PER_WRITE) < 1, `rate ${rate}: ${t} ms`);
    }
  });
});

describe("DecayingRate", () => {
  it("a steady stream converges to its rate", () => {
    const r = new DecayingRate();
    for (let ms = 0; ms <= 60_000; ms += 10) r.add(ms); // 100/s
    const v = r.perSec(60_000);
    assert.ok(v > 95 && v < 105, `rate ${v}`);
  });
  it("decays when the stream stops", () => {
    const r = new DecayingRate();
    for (let ms = 0; ms <= 60_000; ms += 10) r.add(ms);
    const v = r.perSec(60_000 + FINISH_RATE_TAU_MS);
    assert.ok(v > 30 && v < 45, `rate ${v}`);
    assert.equal(new DecayingRate().perSec(1000), 0);
  });
});
