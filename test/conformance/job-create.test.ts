/** Conformance: Job creation defaults, the split between the main resource and /status, and spec updates. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions, type V1Job } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY } from "../../shared/constants.js";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
import { capabilitiesOf, createInertJob, inertJobManifest, lacks } from "./capabilities.js";
import { expectApiError, jobManifest, uniqueName } from "./helpers.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe("conformance: Job create and subresources", () => {
  let env: KubeEnv;
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-job" });
  });
  after(async () => {
    await env?.release();
  });

  const patchSpec = (job: V1Job, spec: Partial<NonNullable<V1Job["spec"]>>): Promise<V1Job> =>
    env.batch.patchNamespacedJob({ name: job.metadata!.name!, namespace: env.namespace, body: { spec } }, mergePatch);

  test("create defaults the selector, template labels (batch.kubernetes.io/ ones where the server generates them), backoffLimit 6, NonIndexed, suspend false, completions and parallelism 1", async () => {
    const prefixed = await capabilitiesOf(env).prefixedJobLabels();
    const name = uniqueName("defaults");
    // Created as it is (the test checks `suspend: false`): where the built-in controller runs the
    // suite's Jobs, it may create a Pod for this one, which no scheduler binds and which goes with
    // the namespace.
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: jobManifest(name) });
    const uid = job.metadata?.uid ?? "";
    assert.ok(uid, "uid assigned");
    const sel = job.spec?.selector?.matchLabels ?? {};
    const labels = job.spec?.template.metadata?.labels ?? {};
    assert.equal(labels["controller-uid"], uid);
    assert.equal(labels["job-name"], name);
    if (prefixed.present) {
      // 1.27+: both label forms, and the selector on the prefixed one.
      assert.equal(labels["batch.kubernetes.io/controller-uid"], uid);
      assert.equal(labels["batch.kubernetes.io/job-name"], name);
      assert.deepEqual(sel, { "batch.kubernetes.io/controller-uid": uid }, "generated selector");
    } else {
      // 1.26: the legacy labels only, and the selector on `controller-uid`.
      assert.equal(labels["batch.kubernetes.io/controller-uid"], undefined, prefixed.observed);
      assert.equal(labels["batch.kubernetes.io/job-name"], undefined, prefixed.observed);
      assert.deepEqual(sel, { "controller-uid": uid }, "generated selector");
    }
    assert.equal(job.spec?.backoffLimit, 6);
    assert.equal(job.spec?.completionMode, "NonIndexed");
    assert.equal(job.spec?.suspend, false);
    assert.equal(job.spec?.completions, 1);
    assert.equal(job.spec?.parallelism, 1);
  });

  test("create with only parallelism leaves completions unset", async () => {
    const body = await inertJobManifest(env, jobManifest(uniqueName("par"), { parallelism: 3 }));
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body });
    assert.equal(job.spec?.parallelism, 3);
    assert.equal(job.spec?.completions, undefined);
  });

  test("status sent with a create is discarded", async () => {
    const body: V1Job = { ...(await inertJobManifest(env, jobManifest(uniqueName("status")))), status: { succeeded: 5, failed: 2, active: 3 } };
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body });
    assert.equal(job.status?.succeeded ?? 0, 0);
    assert.equal(job.status?.failed ?? 0, 0);
    assert.equal(job.status?.active ?? 0, 0);
  });

  test("spec.managedBy is kept and is immutable", async (t) => {
    const kept = await capabilitiesOf(env).keepsManagedBy();
    if (!kept.present) return t.skip(lacks(kept));
    const name = uniqueName("managed");
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: jobManifest(name) });
    assert.equal(job.spec?.managedBy, DEFAULT_MANAGED_BY);
    assert.equal((await env.batch.readNamespacedJob({ name, namespace: env.namespace })).spec?.managedBy, DEFAULT_MANAGED_BY, "read back");
    await expectApiError(patchSpec(job, { managedBy: "someone.else/controller" }), { code: 422, reason: "Invalid" });
    const again = await env.batch.readNamespacedJob({ name, namespace: env.namespace });
    assert.equal(again.spec?.managedBy, DEFAULT_MANAGED_BY);
  });

  test("the status subresource ignores spec changes", async () => {
    const name = uniqueName("sub");
    const job = await createInertJob(env, jobManifest(name, { parallelism: 2, completions: 4 }));
    const updated = await env.batch.replaceNamespacedJobStatus({
      name,
      namespace: env.namespace,
      body: { ...job, spec: { ...job.spec!, parallelism: 7 }, status: { succeeded: 1 } },
    });
    assert.equal(updated.spec?.parallelism, 2, "spec sent to /status is ignored");
    assert.equal(updated.status?.succeeded, 1, "status sent to /status is applied");
  });

  test("the main resource ignores status changes", async () => {
    const name = uniqueName("main");
    const job = await createInertJob(env, jobManifest(name, { parallelism: 2, completions: 4 }));
    const updated = await env.batch.replaceNamespacedJob({
      name,
      namespace: env.namespace,
      body: { ...job, spec: { ...job.spec!, parallelism: 3 }, status: { succeeded: 3 } },
    });
    assert.equal(updated.spec?.parallelism, 3, "spec sent to the main resource is applied");
    assert.equal(updated.status?.succeeded ?? 0, 0, "status sent to the main resource is ignored");
  });

  test("spec.completions: immutable on a NonIndexed Job and alone; with parallelism on an Indexed Job, changeable where the server has elastic Indexed Jobs, immutable where it does not", async () => {
    const elastic = await capabilitiesOf(env).elasticIndexedJobs();
    const nonIndexed = await createInertJob(env, jobManifest(uniqueName("ni"), { completions: 2, parallelism: 2 }));
    await expectApiError(patchSpec(nonIndexed, { completions: 3, parallelism: 3 }), { code: 422, reason: "Invalid", message: /spec\.completions/ });
    const indexed = await createInertJob(env, jobManifest(uniqueName("idx"), { completionMode: "Indexed", completions: 2, parallelism: 2 }));
    await expectApiError(patchSpec(indexed, { completions: 3 }), { code: 422, reason: "Invalid", message: /spec\.completions/ });
    const together = patchSpec(indexed, { completions: 3, parallelism: 3 });
    if (elastic.present) {
      const scaled = await together;
      assert.equal(scaled.spec?.completions, 3, elastic.observed);
      assert.equal(scaled.spec?.parallelism, 3);
    } else {
      await expectApiError(together, { code: 422, reason: "Invalid", message: /spec\.completions/ });
      const kept = await env.batch.readNamespacedJob({ name: indexed.metadata!.name!, namespace: env.namespace });
      assert.equal(kept.spec?.completions, 2, elastic.observed);
    }
  });
});
