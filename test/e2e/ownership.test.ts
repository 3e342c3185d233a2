/**
 * End to end: a Pod leaving its Job (/work/shared/KUBERNETES-BEHAVIOUR.md, last section: "a running
 * Pod whose Job labels and ownerReference a user removes loses the tracking finalizer (not counted)
 * and is replaced"). The Pod watch stops seeing the Pod (it reports DELETED), the watcher files it
 * as departed under its Job, the Job's counter releases its finalizer, the Job replaces it and
 * completes; the departed Pod is counted nowhere though the kubelet runs it to success. A Pod
 * moved to another managed Job is re-routed: counted by its new Job only, replaced in the old one.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";
import { JOB_TRACKING_FINALIZER } from "../../shared/constants.js";

const A = "kubelet-sim.jobtally.io/";

const tallyOf = (record: { byJob: Record<string, { succeeded: number; failed: number; deletedBeforeFinish: number }> }, uid: string) =>
  record.byJob[uid] ?? { succeeded: 0, failed: 0, deletedBeforeFinish: 0 };

describe("ownership: a Pod leaving its Job", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: -1, durationMs: 200 });
  });
  after(async () => {
    await p?.stop();
  });

  test("a user strips the Job labels and the ownerReference from a running Pod: it loses the finalizer, is not counted, is replaced, and the Job completes", async () => {
    const name = "strip";
    const created = await p.createJob({ name, completions: 1, parallelism: 1, podAnnotations: { [`${A}duration-ms`]: "3000" } });
    const running = await waitFor(
      async () => (await p.env.core.listNamespacedPod({ namespace: p.namespace, labelSelector: `batch.kubernetes.io/job-name=${name}` })).items.find((x) => x.status?.phase === "Running"),
      { timeoutMs: 30_000, intervalMs: 50, what: "the Job's Pod to run" },
    ).catch(async (err: unknown) => {
      const pods = (await p.env.core.listNamespacedPod({ namespace: p.namespace })).items.map((x) => [x.metadata?.name, x.status?.phase, x.metadata?.labels]);
      throw new Error(`${(err as Error).message}\n${JSON.stringify(pods)}\n${JSON.stringify((await p.readJob(name)).status)}\n${p.logs()}`);
    });
    const podName = running.metadata?.name as string;
    await p.env.core.patchNamespacedPod(
      { name: podName, namespace: p.namespace, body: { metadata: { labels: null, ownerReferences: null } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const released: V1Pod = await waitFor(
      async () => {
        const x = await p.env.core.readNamespacedPod({ name: podName, namespace: p.namespace });
        return (x.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER) ? undefined : x;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "the stripped Pod to lose the tracking finalizer" },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${p.logs()}`);
    });
    assert.equal(released.metadata?.ownerReferences?.length ?? 0, 0);

    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True", JSON.stringify(job.status?.conditions));
    assert.deepStrictEqual({ succeeded: job.status?.succeeded, failed: job.status?.failed ?? 0, active: job.status?.active ?? 0 }, { succeeded: 1, failed: 0, active: 0 });

    // The kubelet ran both Pods to success; the stripped one is no Pod of the Job any more.
    await waitFor(async () => (await p.kubeletRecord()).pods.some((r) => r.name === podName), { timeoutMs: 30_000, intervalMs: 200, what: "the stripped Pod to finish" });
    const record = await p.kubeletRecord();
    const stripped = record.pods.find((r) => r.name === podName);
    assert.deepStrictEqual({ phase: stripped?.phase, jobUID: stripped?.jobUID }, { phase: "Succeeded", jobUID: null }, "the stripped Pod ran on, as an orphan");
    assert.equal(record.pods.filter((r) => r.jobUID === created.metadata?.uid).length, 1, "the replacement is the Job's one Pod the kubelet finished");
    await assertCountsMatchKubelet(p, job);
  });

  test("a running Pod moved to another managed Job (labels and ownerReference): re-routed, counted by its new Job only, replaced in the old one", async () => {
    const podsOf = async (jobName: string): Promise<V1Pod[]> =>
      (await p.env.core.listNamespacedPod({ namespace: p.namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;
    const a = await p.createJob({ name: "mover-a", completions: 1, parallelism: 1, podAnnotations: { [`${A}duration-ms`]: "4000" } });
    const moving = await waitFor(async () => (await podsOf("mover-a")).find((x) => x.status?.phase === "Running"), { timeoutMs: 30_000, intervalMs: 50, what: "mover-a's Pod to run" });
    const b = await p.createJob({ name: "mover-b", completions: 2, parallelism: 2, podAnnotations: { [`${A}duration-ms`]: "6000" } });
    await waitFor(async () => ((await podsOf("mover-b")).filter((x) => x.status?.phase === "Running").length === 2 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: "mover-b's Pods to run",
    });
    const bUID = b.metadata?.uid as string;
    const podName = moving.metadata?.name as string;
    await p.env.core.patchNamespacedPod(
      {
        name: podName,
        namespace: p.namespace,
        body: {
          metadata: {
            labels: { "batch.kubernetes.io/controller-uid": bUID, "controller-uid": bUID, "batch.kubernetes.io/job-name": "mover-b", "job-name": "mover-b" },
            ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "mover-b", uid: bUID, controller: true, blockOwnerDeletion: true }],
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const [jobA, jobB] = [await p.waitForJobFinished("mover-a", 60_000), await p.waitForJobFinished("mover-b", 60_000)];
    assert.equal(conditionOf(jobA, "Complete")?.status, "True");
    assert.equal(conditionOf(jobB, "Complete")?.status, "True");
    const record = await p.kubeletRecord();
    const moved = record.pods.find((r) => r.name === podName);
    // mover-b then has three Pods for parallelism 2: one of them (whichever the in-tree order picks)
    // is deleted without being counted, as in-tree; the moved Pod ends as mover-b's either way.
    assert.equal(moved?.jobUID, bUID, "the moved Pod finished as mover-b's");
    assert.equal(tallyOf(record, bUID).deletedBeforeFinish, 1, "one Pod too many for mover-b, deleted");
    const tally = (uid: string) => tallyOf(record, uid);
    assert.deepStrictEqual(
      { succeeded: jobA.status?.succeeded, failed: jobA.status?.failed ?? 0 },
      { succeeded: tally(a.metadata?.uid as string).succeeded, failed: tally(a.metadata?.uid as string).failed },
      "mover-a's counts are the kubelet's",
    );
    assert.deepStrictEqual(
      { succeeded: jobB.status?.succeeded, failed: jobB.status?.failed ?? 0 },
      { succeeded: tally(bUID).succeeded, failed: tally(bUID).failed - tally(bUID).deletedBeforeFinish },
      "mover-b's counts are the kubelet's, minus the excess Pod it deleted",
    );
    assert.deepStrictEqual([jobA.status?.succeeded, jobB.status?.succeeded], [1, 2]);
    await waitFor(async () => (await p.podsWithFinalizer()).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "no Pod to hold the tracking finalizer" });
  });
});
