/** Conformance: Job deletion under each propagation policy, with the garbage collector in the loop. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { orNullIfNotFound } from "../../shared/kube/errors.js";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
import { waitFor } from "../support/processes.js";
import { createInertJob } from "./capabilities.js";
import { clearPodFinalizers, expectApiError, HOLD_FINALIZER, jobManifest, podManifest, rawRequest, uniqueName } from "./helpers.js";

const GC_TIMEOUT_MS = 20_000;

describe("conformance: Job delete propagation", () => {
  let env: KubeEnv;
  const held: string[] = [];
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-gc" });
  });
  after(async () => {
    for (const name of held) await clearPodFinalizers(env, name).catch(() => undefined);
    await env?.release();
  });

  const jobPath = (name: string) => `/apis/batch/v1/namespaces/${env.namespace}/jobs/${name}`;
  const readJob = (name: string): Promise<V1Job | null> => orNullIfNotFound(env.batch.readNamespacedJob({ name, namespace: env.namespace }));
  const readPod = (name: string): Promise<V1Pod | null> => orNullIfNotFound(env.core.readNamespacedPod({ name, namespace: env.namespace }));
  // The Pods are the test's own (ownerReference, no selector labels): where a Job controller runs
  // the suite's Jobs, the Job is finished first, or that controller would release them.
  const jobWithPods = async (prefix: string, podCount: number, finalizers: string[] = []): Promise<{ job: V1Job; pods: string[] }> => {
    const job = await createInertJob(env, jobManifest(uniqueName(prefix)), { finished: true });
    const pods: string[] = [];
    for (let i = 0; i < podCount; i++) {
      const name = uniqueName(`${prefix}-pod`);
      pods.push(name);
      if (finalizers.length) held.push(name);
      await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(name, { owner: job, finalizers }) });
    }
    return { job, pods };
  };

  test("no propagation policy (batch/v1 default Orphan): the Job gets the orphan finalizer then goes; its Pods stay with their ownerReferences removed", async () => {
    const { job, pods } = await jobWithPods("orphan", 2);
    const name = job.metadata!.name!;
    const res = await rawRequest(env, "DELETE", jobPath(name));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.kind, "Job", "the answer is the Job, still there");
    assert.ok(res.body.metadata.finalizers?.includes("orphan"), `finalizers ${JSON.stringify(res.body.metadata.finalizers)}`);
    assert.ok(res.body.metadata.deletionTimestamp);
    await waitFor(async () => (await readJob(name)) === null, { timeoutMs: GC_TIMEOUT_MS, what: `Job ${name} to be gone after orphaning` });
    for (const p of pods) {
      const pod = await waitFor(
        async () => {
          const got = await readPod(p);
          return got && (got.metadata?.ownerReferences ?? []).length === 0 ? got : false;
        },
        { timeoutMs: GC_TIMEOUT_MS, what: `Pod ${p} to lose its ownerReference` },
      );
      assert.equal(pod.metadata?.deletionTimestamp, undefined, "orphaned Pods are not deleted");
    }
  });

  test("Background: the Job is gone at once; the garbage collector deletes its Pods, which their finalizers hold", async () => {
    const { job, pods } = await jobWithPods("bg", 2, [HOLD_FINALIZER]);
    const name = job.metadata!.name!;
    await env.batch.deleteNamespacedJob({ name, namespace: env.namespace, propagationPolicy: "Background" });
    assert.equal(await readJob(name), null, "the Job is gone at once");
    for (const p of pods) {
      await waitFor(async () => (await readPod(p))?.metadata?.deletionTimestamp !== undefined, { timeoutMs: GC_TIMEOUT_MS, what: `Pod ${p} to be deleted by the garbage collector` });
    }
    for (const p of pods) await clearPodFinalizers(env, p);
    for (const p of pods) await waitFor(async () => (await readPod(p)) === null, { timeoutMs: GC_TIMEOUT_MS, what: `Pod ${p} to be gone` });
  });

  test("Foreground: the Job is held with foregroundDeletion until its dependents are gone", async () => {
    const { job, pods } = await jobWithPods("fg", 2, [HOLD_FINALIZER]);
    const name = job.metadata!.name!;
    const res = await rawRequest(env, "DELETE", jobPath(name), { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Foreground" });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.metadata.finalizers?.includes("foregroundDeletion"), `finalizers ${JSON.stringify(res.body.metadata.finalizers)}`);
    for (const p of pods) {
      await waitFor(async () => (await readPod(p))?.metadata?.deletionTimestamp !== undefined, { timeoutMs: GC_TIMEOUT_MS, what: `dependent Pod ${p} to be deleted` });
    }
    const holding = await readJob(name);
    assert.ok(holding?.metadata?.deletionTimestamp, "the Job is still there while its Pods are");
    assert.ok(holding?.metadata?.finalizers?.includes("foregroundDeletion"));
    for (const p of pods) await clearPodFinalizers(env, p);
    await waitFor(async () => (await readJob(name)) === null, { timeoutMs: GC_TIMEOUT_MS, what: `Job ${name} to be gone once its Pods are` });
  });

  test("DELETE of a Job with a uid precondition that does not match → 409", async () => {
    const job = await createInertJob(env, jobManifest(uniqueName("pre")));
    await expectApiError(
      env.batch.deleteNamespacedJob({ name: job.metadata!.name!, namespace: env.namespace, body: { preconditions: { uid: "00000000-0000-0000-0000-000000000000" }, propagationPolicy: "Background" } }),
      { code: 409, reason: "Conflict" },
    );
    assert.ok(await readJob(job.metadata!.name!));
  });
});
