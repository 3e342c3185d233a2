/**
 * End to end: adoption of orphan Pods by a `manualSelector` Job (in-tree `getPodsForJob` /
 * `ClaimPods` with the tracking finalizer, KEP-2307). Orphan Pods with the Job's labels exist
 * before the Job (some still running, some already finished, one failed); the watcher (run with
 * --watch-all-pods, since they carry no batch.kubernetes.io/controller-uid) files them under the
 * Job, the counter asks for their adoption, the finalizer-remover adds the controller
 * ownerReference and the finalizer in one patch. Each adopted Pod is then an ordinary Pod of the
 * Job: active while it runs, counted exactly once when it finishes (the finished ones at once),
 * and the Job creates only what completions still need. Every count is checked against the
 * kubelet simulator's record of those very Pods; an orphan the selector does not match is left
 * alone; no finalizer is left at the end.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { conditionOf } from "./support-assert.js";
import { JOB_TRACKING_FINALIZER } from "../../shared/constants.js";

const A = "kubelet-sim.jobtally.io/";

describe("adoption of orphan Pods by a manualSelector Job", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    // Finished Pods are not garbage-collected: the finished orphans wait for their adoption.
    p = await startPipeline({ failProbability: 0, podGcDelayMs: -1, durationMs: 200, flags: { watcher: ["--watch-all-pods"] } });
  });
  after(async () => {
    await p?.stop();
  });

  const orphan = (name: string, labels: Record<string, string>, annotations: Record<string, string>): V1Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels, annotations },
    spec: { restartPolicy: "Never", containers: [{ name: "work", image: "busybox:1.36", command: ["sh", "-c", "true"] }] },
  });
  const readPod = (name: string): Promise<V1Pod> => p.env.core.readNamespacedPod({ name, namespace: p.namespace });
  const controllerOf = (pod: V1Pod): string | undefined => pod.metadata?.ownerReferences?.find((r) => r.controller)?.uid;

  test("running and finished orphans are adopted (ownerReference and finalizer in one patch) and counted exactly once; the Job completes", async () => {
    const app = "adopt-me";
    const labels = { app };
    // Two orphans still running when the Job appears, two finished ones (one failed), and one
    // the Job's selector does not match.
    await p.env.core.createNamespacedPod({ namespace: p.namespace, body: orphan("run-1", labels, { [`${A}duration-ms`]: "15000" }) });
    await p.env.core.createNamespacedPod({ namespace: p.namespace, body: orphan("run-2", labels, { [`${A}duration-ms`]: "15000" }) });
    await p.env.core.createNamespacedPod({ namespace: p.namespace, body: orphan("done-ok", labels, { [`${A}duration-ms`]: "50" }) });
    await p.env.core.createNamespacedPod({ namespace: p.namespace, body: orphan("done-failed", labels, { [`${A}duration-ms`]: "50", [`${A}exit-code`]: "3" }) });
    await p.env.core.createNamespacedPod({ namespace: p.namespace, body: orphan("stranger", { app: "someone-else" }, { [`${A}duration-ms`]: "50" }) });
    await waitFor(
      async () => {
        const [ok, failed] = await Promise.all([readPod("done-ok"), readPod("done-failed")]);
        const [r1, r2] = await Promise.all([readPod("run-1"), readPod("run-2")]);
        return ok.status?.phase === "Succeeded" && failed.status?.phase === "Failed" && r1.status?.phase === "Running" && r2.status?.phase === "Running";
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "two orphans finished, two running" },
    );

    const name = "adopter";
    const created = await p.createJob({
      name,
      completions: 5,
      parallelism: 2,
      podLabels: labels,
      podAnnotations: { [`${A}duration-ms`]: "300" },
      extraSpec: { manualSelector: true, selector: { matchLabels: labels } },
    });
    const uid = created.metadata?.uid as string;
    assert.deepEqual({ ...created.spec?.selector?.matchLabels }, labels, "the simulator keeps a manual selector as given");

    // A running orphan is adopted while it runs: the controller ownerReference and the finalizer.
    const adopted = await waitFor(
      async () => {
        const x = await readPod("run-1");
        return controllerOf(x) === uid && (x.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER) ? x : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "run-1 adopted with the tracking finalizer" },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${p.logs()}`);
    });
    assert.equal(adopted.status?.phase, "Running", "adopted while it runs");
    assert.deepStrictEqual(
      adopted.metadata?.ownerReferences?.map((r) => ({ ...r })),
      [{ apiVersion: "batch/v1", kind: "Job", name, uid, controller: true, blockOwnerDeletion: true }],
    );

    const job = await p.waitForJobFinished(name, 120_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True", JSON.stringify(job.status?.conditions));

    // Every Pod the Job owns now, and only those, against the kubelet's own record of them.
    const pods = (await p.env.core.listNamespacedPod({ namespace: p.namespace })).items;
    const owned = pods.filter((x) => controllerOf(x) === uid);
    const ownedNames = owned.map((x) => x.metadata?.name as string);
    for (const o of ["run-1", "run-2", "done-ok", "done-failed"]) assert.ok(ownedNames.includes(o), `${o} adopted (the Job owns ${ownedNames.join(", ")})`);
    const record = await p.kubeletRecord();
    const byUid = new Map(record.pods.map((r) => [r.podUID, r]));
    let succeeded = 0;
    let failed = 0;
    for (const x of owned) {
      const r = byUid.get(x.metadata?.uid as string);
      assert.ok(r, `the kubelet ran ${x.metadata?.name}`);
      if (r.phase === "Succeeded") succeeded++;
      if (r.phase === "Failed") failed++;
    }
    const status = job.status ?? {};
    assert.deepStrictEqual(
      { succeeded: status.succeeded ?? 0, failed: status.failed ?? 0, uncounted: (status.uncountedTerminatedPods?.succeeded?.length ?? 0) + (status.uncountedTerminatedPods?.failed?.length ?? 0) },
      { succeeded, failed, uncounted: 0 },
      `the Job's counts are the kubelet's outcomes of the Pods it owns (${owned.map((x) => `${x.metadata?.name}:${byUid.get(x.metadata?.uid as string)?.phase}`).join(", ")})`,
    );
    assert.equal(failed, 1, "the failed orphan, counted once");
    assert.equal(succeeded, 5, "completions reached: the three adopted successes plus two the Job created");
    assert.equal(owned.length, 6, "the Job created only what completions still needed");

    const stranger = await readPod("stranger");
    assert.equal(controllerOf(stranger), undefined, "an orphan the selector does not match is left alone");
    assert.deepStrictEqual(stranger.metadata?.finalizers ?? [], []);
    await waitFor(async () => (await p.podsWithFinalizer()).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "no Pod to hold the tracking finalizer" });
  });
});
