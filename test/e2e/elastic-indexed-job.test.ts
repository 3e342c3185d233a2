/**
 * End to end: elastic Indexed Jobs (completions changed together with parallelism, 1.27+) on the
 * simulator. Scaled up, the new indexes run and the Job completes with all of them; scaled down
 * below running indexes, those Pods are deleted without being counted and the Job completes with
 * the indexes left. Every count is compared with the kubelet simulator's own record.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const A = "kubelet-sim.jobtally.io/";

describe("elastic Indexed Jobs", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200 });
  });
  after(async () => {
    await p?.stop();
  });

  const scale = (name: string, n: number) =>
    p.env.batch.patchNamespacedJob({ name, namespace: p.namespace, body: { spec: { completions: n, parallelism: n } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));

  test("scale up 3 → 5: indexes 3 and 4 run too, the Job completes with 0-4", async () => {
    const name = "elastic-up";
    await p.createJob({ name, indexed: true, completions: 3, parallelism: 3, podAnnotations: { [`${A}duration-ms`]: "2000" } });
    await scale(name, 5);
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    assert.deepStrictEqual({ completedIndexes: job.status?.completedIndexes, succeeded: job.status?.succeeded }, { completedIndexes: "0-4", succeeded: 5 });
    await assertCountsMatchKubelet(p, job, { indexed: true });
  });

  test("scale down 4 → 2 with indexes 2 and 3 running: they are deleted, not counted, the Job completes with 0,1", async () => {
    const name = "elastic-down";
    const created = await p.createJob({
      name,
      indexed: true,
      completions: 4,
      parallelism: 4,
      podAnnotations: { [`${A}duration-ms`]: "60000", [`${A}duration-ms-by-index`]: "0=200,1=200" },
    });
    await waitFor(async () => (await p.readJob(name)).status?.completedIndexes === "0,1", { timeoutMs: 30_000, intervalMs: 100, what: "indexes 0 and 1 to succeed" });
    await scale(name, 2);
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    assert.deepStrictEqual(
      { completedIndexes: job.status?.completedIndexes, succeeded: job.status?.succeeded, failed: job.status?.failed ?? 0 },
      { completedIndexes: "0,1", succeeded: 2, failed: 0 },
    );
    const record = await p.kubeletRecord();
    const mine = record.byJob[created.metadata?.uid as string];
    assert.deepStrictEqual(
      { succeeded: mine?.succeeded, failed: mine?.failed, deletedBeforeFinish: mine?.deletedBeforeFinish },
      { succeeded: 2, failed: 2, deletedBeforeFinish: 2 },
      "the kubelet ran 4 Pods: 2 succeeded, 2 killed by the scale-down",
    );
    await waitFor(async () => (await p.podsWithFinalizer()).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "no Pod to hold the tracking finalizer" });
  });
});
