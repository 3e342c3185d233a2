/**
 * End to end: podFailurePolicy and restartPolicy OnFailure, as the in-tree controller answers
 * them on a real cluster (/work/shared/KUBERNETES-BEHAVIOUR.md, last section): a FailJob rule
 * fails the Job with reason PodFailurePolicy; Pods disrupted under an Ignore rule are neither in
 * `status.failed` nor held against backoffLimit 0; an OnFailure Pod restarting up to backoffLimit
 * fails the Job with BackoffLimitExceeded, its running Pod deleted and counted failed. Counts are
 * compared with the kubelet simulator's own record.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const A = "kubelet-sim.jobtally.io/";

describe("podFailurePolicy and restartPolicy OnFailure", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200 });
  });
  after(async () => {
    await p?.stop();
  });

  const podsOf = async (jobName: string): Promise<V1Pod[]> =>
    (await p.env.core.listNamespacedPod({ namespace: p.namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;

  test("a FailJob rule on exit code 42 fails the Job: FailureTarget then Failed, reason PodFailurePolicy, the in-tree message", async () => {
    const name = "failjob";
    await p.createJob({
      name,
      completions: 3,
      parallelism: 2,
      backoffLimit: 6,
      podAnnotations: { [`${A}exit-code`]: "42" },
      podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { containerName: "work", operator: "In", values: [42] } }] },
    });
    const job = await p.waitForJobFinished(name, 60_000);
    const failed = conditionOf(job, "Failed") as { status: string; reason?: string; message?: string } | undefined;
    const target = job.status?.conditions?.find((c) => c.type === "FailureTarget");
    assert.equal(failed?.status, "True");
    assert.equal(failed?.reason, "PodFailurePolicy");
    assert.match(failed?.message ?? "", new RegExp(`^Container work for pod ${p.namespace}/${name}-[a-z0-9]+ failed with exit code 42 matching FailJob rule at index 0$`));
    assert.deepStrictEqual({ reason: target?.reason, message: target?.message }, { reason: "PodFailurePolicy", message: failed?.message }, "FailureTarget carries the same reason and message");
    assert.equal(job.status?.succeeded ?? 0, 0);
    const counts = await assertCountsMatchKubelet(p, job);
    assert.ok(counts.failed >= 1 && counts.failed <= 2, `the failed Pod and at most the one running beside it: ${counts.failed}`);
  });

  test("an Ignore rule on DisruptionTarget: two disrupted Pods, backoffLimit 0, the Job completes with status.failed 0", async () => {
    const name = "ignore-disruption";
    const created = await p.createJob({
      name,
      completions: 1,
      parallelism: 1,
      backoffLimit: 0,
      podAnnotations: { [`${A}duration-ms`]: "3000" },
      podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
    });
    // Preempt the first two Pods as they come: each ends Failed with DisruptionTarget=True.
    const disrupted: string[] = [];
    for (let n = 0; n < 2; n++) {
      const victim = await waitFor(
        async () => (await podsOf(name)).find((x) => !disrupted.includes(x.metadata?.name ?? "") && !x.metadata?.deletionTimestamp && x.status?.phase !== "Succeeded"),
        { timeoutMs: 30_000, intervalMs: 50, what: `Pod ${n + 1} of the Job` },
      );
      const podName = victim.metadata?.name as string;
      disrupted.push(podName);
      await p.env.core.patchNamespacedPod(
        { name: podName, namespace: p.namespace, body: { metadata: { annotations: { [`${A}failure-condition`]: "DisruptionTarget:PreemptionByScheduler", [`${A}duration-ms`]: "0" } } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    }
    const job: V1Job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True", JSON.stringify(job.status?.conditions));
    assert.equal(conditionOf(job, "FailureTarget"), undefined, "no failure was held against backoffLimit 0");
    assert.equal(job.status?.failed ?? 0, 0, "ignored failures are not in status.failed");
    assert.equal(job.status?.succeeded, 1);

    const record = await p.kubeletRecord();
    const mine = record.byJob[created.metadata?.uid as string];
    const disruptedByKubelet = record.pods.filter((r) => r.jobUID === created.metadata?.uid && r.failureCondition === "DisruptionTarget").map((r) => r.name);
    assert.deepStrictEqual(disruptedByKubelet.sort(), [...disrupted].sort(), "the kubelet failed exactly the two preempted Pods, with DisruptionTarget");
    assert.deepStrictEqual(
      { succeeded: mine?.succeeded, failed: mine?.failed, withCondition: mine?.failedWithCondition?.DisruptionTarget },
      { succeeded: job.status?.succeeded, failed: (job.status?.failed ?? 0) + 2, withCondition: 2 },
      "the Job's counts are the kubelet's minus the ignored failures",
    );
    await waitFor(async () => (await p.podsWithFinalizer()).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "the ignored Pods to lose the finalizer too" });
  });

  test("restartPolicy OnFailure: a Pod restarting up to backoffLimit fails the Job with BackoffLimitExceeded, deleted and counted failed", async () => {
    const name = "onfailure-restarts";
    const created = await p.createJob({
      name,
      completions: 1,
      parallelism: 1,
      backoffLimit: 2,
      restartPolicy: "OnFailure",
      podAnnotations: { [`${A}restarts`]: "5", [`${A}duration-ms`]: "400" },
    });
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Failed")?.reason, "BackoffLimitExceeded");
    assert.equal(conditionOf(job, "FailureTarget")?.reason, "BackoffLimitExceeded");
    assert.equal(job.status?.failed, 1, "the one running Pod, deleted and counted failed");
    await assertCountsMatchKubelet(p, job);
    const record = await p.kubeletRecord();
    const pods = record.pods.filter((r) => r.jobUID === created.metadata?.uid);
    assert.deepStrictEqual(
      pods.map((r) => ({ phase: r.phase, deletedBeforeFinish: r.deletedBeforeFinish })),
      [{ phase: "Failed", deletedBeforeFinish: true }],
      "the kubelet ran one Pod, killed by the deletion before its restarts ran out",
    );
  });
});
