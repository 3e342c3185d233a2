/**
 * End to end: Pod creations rejected by a ResourceQuota (403, as a real API server answers, see
 * /work/shared/KUBERNETES-BEHAVIOUR.md). The in-tree controller records a `FailedCreate` Warning
 * Event per rejected creation ("Error creating: <message>"), never counts the Pod as active, and
 * retries with backoff and slow start. jobtally: the finalizer-remover records the Event and
 * reports the rejection to the counter, which stops expecting the Pod and slows down. Counts are
 * compared with the kubelet simulator's own record: exactly `completions` Pods ran.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions, type CoreV1Event, type V1Job } from "@kubernetes/client-node";
import { startPipeline, isFinished, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const A = "kubelet-sim.jobtally.io/";
const QUOTA = "pod-quota";

describe("rejected creations under a ResourceQuota", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200 });
    await p.env.core.createNamespacedResourceQuota({ namespace: p.namespace, body: { metadata: { name: QUOTA }, spec: { hard: { pods: "3" } } } });
    // A real server admits no create in the namespace before the quota controller filled status.hard.
    await waitFor(async () => (await p.env.core.readNamespacedResourceQuota({ name: QUOTA, namespace: p.namespace })).status?.hard?.pods === "3", {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: "the quota's status.hard",
    });
  });
  after(async () => {
    await p?.stop();
  });

  const setQuota = async (pods: string): Promise<void> => {
    await p.env.core.patchNamespacedResourceQuota(
      { name: QUOTA, namespace: p.namespace, body: { spec: { hard: { pods } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await waitFor(async () => (await p.env.core.readNamespacedResourceQuota({ name: QUOTA, namespace: p.namespace })).status?.hard?.pods === pods, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `quota pods=${pods}`,
    });
  };
  const failedCreates = async (job: V1Job): Promise<CoreV1Event[]> =>
    (await p.env.core.listNamespacedEvent({ namespace: p.namespace })).items.filter((e) => e.involvedObject?.uid === job.metadata?.uid && e.reason === "FailedCreate");
  /** Samples status.active until the Job finishes; returns the largest value seen. */
  const maxActiveUntilFinished = async (name: string, timeoutMs: number): Promise<{ job: V1Job; maxActive: number }> => {
    const deadline = Date.now() + timeoutMs;
    let maxActive = 0;
    for (;;) {
      const job = await p.readJob(name);
      maxActive = Math.max(maxActive, job.status?.active ?? 0);
      if (isFinished(job)) return { job, maxActive };
      if (Date.now() > deadline) assert.fail(`Job ${name} not finished within ${timeoutMs} ms: ${JSON.stringify(job.status)}\n${p.logs().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const QUOTA_MESSAGE = (used: number, limit: number): RegExp =>
    new RegExp(`^Error creating: pods "[a-z0-9-]+" is forbidden: exceeded quota: ${QUOTA}, requested: pods=1, used: pods=${used}, limited: pods=${limit}$`);

  test('pods: "3", 8 completions at parallelism 8: FailedCreate Events, status.active never above 3, Complete with exactly 8 Pods run', async () => {
    const name = "under-quota";
    const created = await p.createJob({ name, completions: 8, parallelism: 8, podAnnotations: { [`${A}duration-ms`]: "1500" } });
    const { job, maxActive } = await maxActiveUntilFinished(name, 120_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True", JSON.stringify(job.status?.conditions));
    assert.ok(maxActive <= 3, `status.active reached ${maxActive}, above the 3 Pods the quota lets exist`);
    assert.equal(job.status?.succeeded, 8);
    assert.equal(job.status?.failed ?? 0, 0, "a rejected creation is not a failure");
    await assertCountsMatchKubelet(p, job);
    const mine = (await p.kubeletRecord()).byJob[created.metadata?.uid as string];
    assert.deepStrictEqual({ succeeded: mine?.succeeded, failed: mine?.failed }, { succeeded: 8, failed: 0 }, "exactly 8 Pods ran: no rejected creation came back as an extra Pod");
    const events = await failedCreates(job);
    assert.ok(events.length >= 1, "at least one FailedCreate Event");
    for (const e of events) {
      assert.equal(e.type, "Warning");
      assert.match(e.message ?? "", QUOTA_MESSAGE(3, 3));
    }
  });

  test('pods: "0" then raised: rejected rounds of 1 with backoff (no loop), nothing active, then Complete once the quota allows', async () => {
    await setQuota("0");
    const name = "quota-raised";
    const created = await p.createJob({ name, completions: 4, parallelism: 4, podAnnotations: { [`${A}duration-ms`]: "300" } });
    await waitFor(async () => (await failedCreates(created)).length >= 1, { timeoutMs: 30_000, intervalMs: 200, what: "a FailedCreate Event" });
    // Let it retry for a while: 4 rejected at once, then one creation per retry (1 s, 2 s, 4 s, ...).
    const watchedMs = 6000;
    const start = Date.now();
    let maxActive = 0;
    while (Date.now() - start < watchedMs) {
      maxActive = Math.max(maxActive, (await p.readJob(name)).status?.active ?? 0);
      await new Promise((r) => setTimeout(r, 100));
    }
    const rejected = await failedCreates(created);
    assert.equal(maxActive, 0, "no rejected Pod is ever reported active");
    assert.ok(rejected.length <= 4 + 5, `${rejected.length} rejected creations in ${watchedMs} ms: the retries back off instead of looping`);
    for (const e of rejected) assert.match(e.message ?? "", QUOTA_MESSAGE(0, 0));
    await setQuota("4");
    const { job, maxActive: after } = await maxActiveUntilFinished(name, 120_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True", JSON.stringify(job.status?.conditions));
    assert.ok(after <= 4);
    await assertCountsMatchKubelet(p, job);
    const mine = (await p.kubeletRecord()).byJob[created.metadata?.uid as string];
    assert.deepStrictEqual({ succeeded: mine?.succeeded, failed: mine?.failed }, { succeeded: 4, failed: 0 }, "exactly 4 Pods ran");
  });
});
