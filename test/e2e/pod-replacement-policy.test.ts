/**
 * End to end: podReplacementPolicy and status.terminating on the simulator. A user deletes a
 * running Pod that takes 3 s to shut down (kubelet simulator annotation termination-grace-ms):
 * with `Failed` the replacement waits until the Pod is Failed, with `TerminatingOrFailed` (the
 * default) it is created at once; `status.terminating` shows the Pod meanwhile. Every count is
 * compared with the kubelet simulator's own record.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const A = "kubelet-sim.jobtally.io/";

describe("podReplacementPolicy", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200, flags: { counter: ["--pod-failure-backoff", "200ms"] } });
  });
  after(async () => {
    await p?.stop();
  });

  const podsOf = async (jobName: string): Promise<V1Pod[]> =>
    (await p.env.core.listNamespacedPod({ namespace: p.namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;

  /** Creates the Job, deletes its first Pod once Running, and returns that Pod's name. */
  async function deleteFirstPod(name: string, podReplacementPolicy: "Failed" | "TerminatingOrFailed"): Promise<string> {
    await p.createJob({
      name,
      completions: 1,
      parallelism: 1,
      podAnnotations: { [`${A}duration-ms`]: "4000", [`${A}termination-grace-ms`]: "3000" },
      extraSpec: { podReplacementPolicy },
    });
    const first = await waitFor(async () => (await podsOf(name)).find((x) => x.status?.phase === "Running"), { timeoutMs: 30_000, intervalMs: 50, what: "the first Pod to run" });
    const podName = first.metadata?.name as string;
    await p.env.core.deleteNamespacedPod({ name: podName, namespace: p.namespace });
    return podName;
  }

  test("Failed: no replacement while the deleted Pod is terminating (status.terminating 1), one once it failed", async () => {
    const name = "prp-failed";
    const first = await deleteFirstPod(name, "Failed");
    const terminating = await waitFor(async () => {
      const job = await p.readJob(name);
      return job.status?.terminating === 1 ? job : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50, what: "status.terminating 1" });
    assert.equal(terminating.status?.active ?? 0, 0, "the terminating Pod is not active");
    // During the 3 s shutdown: still only the first Pod.
    await new Promise((r) => setTimeout(r, 1500));
    const during = await podsOf(name);
    assert.deepStrictEqual(during.map((x) => x.metadata?.name), [first], "no replacement while the Pod terminates");
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    assert.deepStrictEqual({ succeeded: job.status?.succeeded, failed: job.status?.failed, terminating: job.status?.terminating ?? 0 }, { succeeded: 1, failed: 1, terminating: 0 });
    await assertCountsMatchKubelet(p, job);
  });

  test("TerminatingOrFailed: the replacement is created while the deleted Pod is still terminating", async () => {
    const name = "prp-terminating";
    const first = await deleteFirstPod(name, "TerminatingOrFailed");
    const both = await waitFor(async () => {
      const list = await podsOf(name);
      const old = list.find((x) => x.metadata?.name === first);
      return old?.metadata?.deletionTimestamp && old.status?.phase === "Running" && list.length === 2 ? list : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50, what: "a replacement beside the terminating Pod" });
    assert.equal(both.length, 2);
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    assert.deepStrictEqual({ succeeded: job.status?.succeeded, failed: job.status?.failed }, { succeeded: 1, failed: 1 });
    await assertCountsMatchKubelet(p, job);
  });
});
