/**
 * Absurd but valid Job specs (issue 11, bad input): the plan stays small and quick. A Job of 10^7
 * completions must not make one sync plan 10^7 creations (or walk 10^7 indexes); parallelism 0
 * creates nothing; the largest backoffLimit the API accepts (2^31 - 1) is just a number.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planJobSync } from "../../../services/counter/logic/index.js";
import { makeJob, makeSnapshot, pod } from "./fixtures.js";

const TEN_MILLION = 10 ** 7;
const MAX_INT32 = 2 ** 31 - 1;

describe("absurd Job specs", () => {
  const cases = [
    { name: "NonIndexed, completions and parallelism 10^7: at most one sync's worth of creations", indexed: false },
    { name: "Indexed, completions and parallelism 10^7: at most one sync's worth of creations, quickly", indexed: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const started = performance.now();
      const plan = planJobSync(makeSnapshot({ job: makeJob({ completions: TEN_MILLION, parallelism: TEN_MILLION, indexed: c.indexed }) }));
      const ms = performance.now() - started;
      assert.ok(plan.creations.length > 0, "it does start the Job");
      assert.ok(plan.creations.length <= 500, `planned ${plan.creations.length} creations in one sync`);
      assert.ok(ms < 2_000, `one sync took ${Math.round(ms)} ms`);
    });
  }

  test("parallelism 0: no creation, no deletion, no crash", () => {
    const plan = planJobSync(makeSnapshot({ job: makeJob({ completions: 5, parallelism: 0 }) }));
    assert.equal(plan.creations.length, 0);
    assert.equal(plan.deletions.length, 0);
  });

  test("backoffLimit 2^31 - 1: failures are counted and the Job is not failed", () => {
    const job = makeJob({ completions: 3, parallelism: 1, backoffLimit: MAX_INT32, status: { failed: 1_000, startTime: new Date(0) } });
    const plan = planJobSync(makeSnapshot({ job, pods: [pod("f1", { phase: "Failed" })] }));
    const conditions = (plan.status?.conditions ?? []).map((x) => x.type);
    assert.ok(!conditions.includes("Failed") && !conditions.includes("FailureTarget"), JSON.stringify(conditions));
  });
});
