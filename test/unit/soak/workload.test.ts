/** The soak's workload (services/bench/soak/workload.ts): Pod run time from the rate, spread completions. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { jobCompletions, podTiming, soakJob } from "../../../services/bench/soak/workload.js";
import { DEFAULT_MANAGED_BY } from "../../../shared/constants.js";

describe("podTiming", () => {
  const cases: { name: string; input: Parameters<typeof podTiming>[0]; want: ReturnType<typeof podTiming> }[] = [
    {
      name: "100 Pods/s over 100 Jobs × 5: each slot turns over every 5 s; minus 1 s of turnaround and half the jitter",
      input: { ratePerSec: 100, jobs: 100, parallelism: 5, turnaroundMs: 1000 },
      want: { slotPeriodMs: 5000, jitterMs: 1000, durationMs: 3500 },
    },
    {
      name: "a rate the turnaround alone exceeds: the Pods finish at once",
      input: { ratePerSec: 1000, jobs: 10, parallelism: 1, turnaroundMs: 1000 },
      want: { slotPeriodMs: 10, jitterMs: 2, durationMs: 0 },
    },
    {
      name: "10 Pods/s over 20 Jobs × 2: slots of 4 s",
      input: { ratePerSec: 10, jobs: 20, parallelism: 2, turnaroundMs: 0 },
      want: { slotPeriodMs: 4000, jitterMs: 800, durationMs: 3600 },
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(podTiming(c.input), c.want));

  test("a rate of 0 or no Jobs is refused", () => {
    assert.throws(() => podTiming({ ratePerSec: 0, jobs: 1, parallelism: 1, turnaroundMs: 0 }), /rate/);
    assert.throws(() => podTiming({ ratePerSec: 1, jobs: 0, parallelism: 1, turnaroundMs: 0 }), /at least 1/);
  });
});

describe("jobCompletions", () => {
  test("spread over [base/2, 3·base/2), never below 1, with a mean near base", () => {
    const values = Array.from({ length: 1000 }, (_, i) => jobCompletions(i, 50));
    assert.ok(values.every((v) => v >= 25 && v < 75));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean - 49.5) < 1, `mean ${mean}`);
    // Consecutive Jobs differ: started together, they do not finish together.
    assert.ok(new Set(values.slice(0, 10)).size >= 9);
    assert.equal(jobCompletions(0, 1), 1);
  });
});

describe("soakJob", () => {
  test("a NonIndexed Job managed by jobtally, whose Pod failures never fail it", () => {
    const j = soakJob("soak-7", "soak", 40, 5);
    assert.equal(j.spec?.managedBy, DEFAULT_MANAGED_BY);
    assert.equal(j.spec?.completions, 40);
    assert.equal(j.spec?.parallelism, 5);
    assert.equal(j.spec?.completionMode, "NonIndexed");
    assert.equal(j.spec?.backoffLimit, 2_147_483_647);
    assert.equal(j.spec?.template.spec?.restartPolicy, "Never");
  });
});
