/**
 * End to end: backoffLimitPerIndex and maxFailedIndexes on the simulator. The kubelet simulator
 * fails every Pod of chosen indexes (annotation `exit-code-by-index`); each index is retried on its
 * own up to `backoffLimitPerIndex`, each replacement carrying its index's failure count, and the Job
 * fails with FailedIndexes (or MaxFailedIndexesExceeded) once the failed indexes are decided. Every
 * count is compared with the kubelet simulator's own record.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const A = "kubelet-sim.jobtally.io/";

describe("backoffLimitPerIndex", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    // A short replacement backoff, so the per-index retries do not take 10 s each.
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200, flags: { counter: ["--pod-failure-backoff", "200ms"] } });
  });
  after(async () => {
    await p?.stop();
  });

  test("index 1 fails every time: retried once (backoffLimitPerIndex 1), the other indexes succeed, the Job fails with FailedIndexes", async () => {
    const name = "per-index";
    const created = await p.createJob({
      name,
      indexed: true,
      completions: 4,
      parallelism: 2,
      podAnnotations: { [`${A}exit-code-by-index`]: "1=1" },
      extraSpec: { backoffLimit: undefined, backoffLimitPerIndex: 1 },
    });
    assert.equal(created.spec?.backoffLimit, 2_147_483_647, "the API server defaults backoffLimit to MaxInt32 with backoffLimitPerIndex");
    const job = await p.waitForJobFinished(name, 90_000);
    const summary = (type: string): string => {
      const c = job.status?.conditions?.find((x) => x.type === type);
      return `${c?.status}:${c?.reason}:${c?.message}`;
    };
    assert.deepStrictEqual(
      [summary("FailureTarget"), summary("Failed")],
      ["True:FailedIndexes:Job has failed indexes", "True:FailedIndexes:Job has failed indexes"],
    );
    assert.deepStrictEqual(
      { completedIndexes: job.status?.completedIndexes, failedIndexes: job.status?.failedIndexes, succeeded: job.status?.succeeded, failed: job.status?.failed },
      { completedIndexes: "0,2,3", failedIndexes: "1", succeeded: 3, failed: 2 },
    );
    const record = await p.kubeletRecord();
    const mine = record.pods.filter((r) => r.jobUID === created.metadata?.uid);
    const index1 = mine.filter((r) => r.name.startsWith(`${name}-1-`));
    assert.deepStrictEqual(index1.map((r) => [r.phase, r.exitCode]), [["Failed", 1], ["Failed", 1]], "index 1 ran twice: its first Pod and one retry");
    await assertCountsMatchKubelet(p, job);
  });

  test("maxFailedIndexes 0: the first failed index fails the Job with MaxFailedIndexesExceeded, no index after it runs", async () => {
    const name = "max-failed";
    const created = await p.createJob({
      name,
      indexed: true,
      completions: 3,
      parallelism: 1,
      podAnnotations: { [`${A}exit-code-by-index`]: "0=1" },
      extraSpec: { backoffLimit: undefined, backoffLimitPerIndex: 0, maxFailedIndexes: 0 },
    });
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Failed")?.reason, "MaxFailedIndexesExceeded", JSON.stringify(job.status?.conditions));
    assert.equal(job.status?.failedIndexes, "0");
    const record = await p.kubeletRecord();
    const mine = record.pods.filter((r) => r.jobUID === created.metadata?.uid);
    assert.deepStrictEqual(mine.map((r) => r.name.split("-").slice(0, -1).join("-")), [`${name}-0`], "only index 0 ran, once (backoffLimitPerIndex 0)");
    assert.deepStrictEqual({ failed: job.status?.failed, succeeded: job.status?.succeeded ?? 0 }, { failed: 1, succeeded: 0 });
    await assertCountsMatchKubelet(p, job);
  });
});
