/**
 * End to end: NonIndexed and Indexed Jobs of 1, 5 and 1,000 Pods with random failures and PodGC
 * deleting every Pod the moment it finishes (the case KEP-2307 exists for). Counts must equal the
 * kubelet simulator's own record; no Pod keeps the finalizer.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const UNLIMITED = 2_147_483_647;

describe("counting with immediate PodGC and random failures", { timeout: 240_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0.1, podGcDelayMs: 0, durationMs: 100 });
  });
  after(async () => {
    await p?.stop();
  });

  for (const [completions, parallelism] of [
    [1, 1],
    [5, 2],
    [1000, 100],
  ] as const) {
    test(`NonIndexed Job of ${completions} Pods (parallelism ${parallelism}) counts exactly what the kubelet did`, async () => {
      const name = `nonindexed-${completions}`;
      await p.createJob({ name, completions, parallelism, backoffLimit: UNLIMITED });
      const job = await p.waitForJobFinished(name, 180_000);
      assert.equal(conditionOf(job, "Complete")?.status, "True");
      assert.equal(conditionOf(job, "SuccessCriteriaMet")?.status, "True");
      assert.ok(job.status?.completionTime, "completionTime set with Complete");
      const counts = await assertCountsMatchKubelet(p, job);
      assert.equal(counts.succeeded, completions);
    });

    test(`Indexed Job of ${completions} Pods (parallelism ${parallelism}) completes every index once`, async () => {
      const name = `indexed-${completions}`;
      await p.createJob({ name, completions, parallelism, indexed: true, backoffLimit: UNLIMITED });
      const job = await p.waitForJobFinished(name, 180_000);
      assert.equal(conditionOf(job, "Complete")?.status, "True");
      assert.equal(job.status?.completedIndexes, completions === 1 ? "0" : `0-${completions - 1}`);
      await assertCountsMatchKubelet(p, job, { indexed: true });
    });
  }

  test("a Job over its backoffLimit fails with BackoffLimitExceeded after counting every failure", async () => {
    const name = "always-fails";
    await p.createJob({ name, completions: 3, parallelism: 2, backoffLimit: 2, podAnnotations: { "kubelet-sim.jobtally.io/exit-code": "1" } });
    const job = await p.waitForJobFinished(name, 120_000);
    assert.equal(conditionOf(job, "Failed")?.status, "True");
    assert.equal(conditionOf(job, "Failed")?.reason, "BackoffLimitExceeded");
    assert.equal(conditionOf(job, "FailureTarget")?.status, "True");
    assert.ok((job.status?.failed ?? 0) > 2, `failed ${job.status?.failed} must exceed backoffLimit 2`);
    await assertCountsMatchKubelet(p, job);
  });
});
