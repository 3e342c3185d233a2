/**
 * End to end: the Job controller's lifecycle for jobtally-managed Jobs — activeDeadlineSeconds,
 * suspend and resume, parallelism lowered mid-run, a Pod deleted by a user, and the Job deleted
 * mid-run with each propagation policy.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";
import { JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

const LONG = { "kubelet-sim.jobtally.io/duration-ms": "4000" };

describe("Job lifecycle", { timeout: 600_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200 });
  });
  after(async () => {
    await p?.stop();
  });

  const activePods = async (jobName: string) =>
    (await p.env.core.listNamespacedPod({ namespace: p.namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items.filter(
      (x) => !x.metadata?.deletionTimestamp && x.status?.phase !== "Succeeded" && x.status?.phase !== "Failed",
    );

  test("activeDeadlineSeconds: the Job fails with DeadlineExceeded and its running Pods are counted failed", async () => {
    const name = "deadline";
    await p.createJob({ name, completions: 4, parallelism: 2, activeDeadlineSeconds: 2, podAnnotations: { "kubelet-sim.jobtally.io/duration-ms": "60000" } });
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Failed")?.reason, "DeadlineExceeded");
    assert.equal(job.status?.succeeded ?? 0, 0);
    assert.equal(job.status?.failed, 2, "the two running Pods were deleted and counted failed");
    await assertCountsMatchKubelet(p, job);
  });

  test("suspend deletes active Pods without counting them; resume runs the Job to completion", async () => {
    const name = "suspend";
    await p.createJob({ name, completions: 6, parallelism: 3, podAnnotations: LONG });
    await waitFor(async () => (await activePods(name)).length === 3, { timeoutMs: 30_000, what: "3 active Pods" });
    await p.env.batch.patchNamespacedJob(
      { name, namespace: p.namespace, body: { spec: { suspend: true } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const suspended = await waitFor(
      async () => {
        const j = await p.readJob(name);
        return conditionOf(j, "Suspended")?.status === "True" && (await activePods(name)).length === 0 ? j : undefined;
      },
      { timeoutMs: 30_000, what: "the Job to be suspended with no active Pod" },
    );
    assert.equal(suspended.status?.failed ?? 0, 0, "Pods deleted by suspension are not failures");
    await p.env.batch.patchNamespacedJob(
      { name, namespace: p.namespace, body: { spec: { suspend: false } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const job = await p.waitForJobFinished(name, 120_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    assert.equal(job.status?.succeeded, 6);
    assert.equal(job.status?.failed ?? 0, 0);
  });

  test("parallelism lowered mid-run: excess Pods are removed (not failures) and the Job completes", async () => {
    const name = "parallelism";
    await p.createJob({ name, completions: 8, parallelism: 4, podAnnotations: LONG });
    await waitFor(async () => (await activePods(name)).length === 4, { timeoutMs: 30_000, what: "4 active Pods" });
    await p.env.batch.patchNamespacedJob(
      { name, namespace: p.namespace, body: { spec: { parallelism: 1 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await waitFor(async () => (await activePods(name)).length <= 1, { timeoutMs: 30_000, what: "at most 1 active Pod" });
    const job = await p.waitForJobFinished(name, 180_000);
    assert.equal(job.status?.succeeded, 8);
    assert.equal(job.status?.failed ?? 0, 0, "Pods removed for parallelism are not failures");
  });

  test("a Pod deleted by a user before it finishes is counted failed and replaced", async () => {
    const name = "user-delete";
    await p.createJob({ name, completions: 2, parallelism: 2, podAnnotations: LONG });
    const [victim] = await waitFor(async () => {
      const a = await activePods(name);
      return a.length === 2 && a.every((x) => x.status?.phase === "Running") ? a : undefined;
    }, { timeoutMs: 30_000, what: "2 running Pods" });
    await p.env.core.deleteNamespacedPod({ name: victim!.metadata!.name!, namespace: p.namespace });
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    assert.equal(job.status?.failed, 1);
    assert.equal(job.status?.succeeded, 2);
    await assertCountsMatchKubelet(p, job);
  });

  for (const policy of ["Orphan", "Background", "Foreground", undefined] as const) {
    test(`the Job deleted mid-run (propagationPolicy ${policy ?? "unset (Orphan)"}) leaves no finalizer behind`, async () => {
      const name = `delete-${(policy ?? "default").toLowerCase()}`;
      const created = await p.createJob({ name, completions: 10, parallelism: 3, podAnnotations: LONG });
      await waitFor(async () => (await activePods(name)).length === 3, { timeoutMs: 30_000, what: "3 active Pods" });
      await p.env.batch.deleteNamespacedJob({ name, namespace: p.namespace, ...(policy ? { propagationPolicy: policy } : {}) });
      await waitFor(
        async () => {
          const pods = (await p.env.core.listNamespacedPod({ namespace: p.namespace })).items.filter((x) =>
            (x.metadata?.ownerReferences ?? []).some((r) => r.uid === created.metadata?.uid) || x.metadata?.labels?.["batch.kubernetes.io/job-name"] === name,
          );
          return pods.every((x) => !(x.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER));
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `no Pod of ${name} holding the finalizer` },
      );
      await waitFor(
        async () => {
          try {
            await p.readJob(name);
            return false;
          } catch {
            return true;
          }
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `Job ${name} to be gone` },
      );
    });
  }
});
