/** Conformance: Job creation defaults and the split between the main resource and /status. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions, type V1Job } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY } from "../../shared/constants.js";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
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

  test("create defaults the selector, template labels, backoffLimit 6, NonIndexed, suspend false, completions and parallelism 1", async () => {
    const name = uniqueName("defaults");
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: jobManifest(name) });
    const uid = job.metadata?.uid ?? "";
    assert.ok(uid, "uid assigned");
    const sel = job.spec?.selector?.matchLabels ?? {};
    const selUid = sel["batch.kubernetes.io/controller-uid"] ?? sel["controller-uid"];
    assert.equal(selUid, uid, `generated selector ${JSON.stringify(sel)}`);
    const labels = job.spec?.template.metadata?.labels ?? {};
    assert.equal(labels["controller-uid"], uid);
    assert.equal(labels["job-name"], name);
    if (sel["batch.kubernetes.io/controller-uid"]) {
      assert.equal(labels["batch.kubernetes.io/controller-uid"], uid);
      assert.equal(labels["batch.kubernetes.io/job-name"], name);
    }
    assert.equal(job.spec?.backoffLimit, 6);
    assert.equal(job.spec?.completionMode, "NonIndexed");
    assert.equal(job.spec?.suspend, false);
    assert.equal(job.spec?.completions, 1);
    assert.equal(job.spec?.parallelism, 1);
  });

  test("create with only parallelism leaves completions unset", async () => {
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: jobManifest(uniqueName("par"), { parallelism: 3 }) });
    assert.equal(job.spec?.parallelism, 3);
    assert.equal(job.spec?.completions, undefined);
  });

  test("status sent with a create is discarded", async () => {
    const body: V1Job = { ...jobManifest(uniqueName("status")), status: { succeeded: 5, failed: 2, active: 3 } };
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body });
    assert.equal(job.status?.succeeded ?? 0, 0);
    assert.equal(job.status?.failed ?? 0, 0);
    assert.equal(job.status?.active ?? 0, 0);
  });

  test("spec.managedBy is kept and is immutable", async () => {
    const name = uniqueName("managed");
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: jobManifest(name) });
    assert.equal(job.spec?.managedBy, DEFAULT_MANAGED_BY);
    await expectApiError(env.batch.patchNamespacedJob({ name, namespace: env.namespace, body: { spec: { managedBy: "someone.else/controller" } } }, mergePatch), { code: 422, reason: "Invalid" });
    const again = await env.batch.readNamespacedJob({ name, namespace: env.namespace });
    assert.equal(again.spec?.managedBy, DEFAULT_MANAGED_BY);
  });

  test("the status subresource ignores spec changes", async () => {
    const name = uniqueName("sub");
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: jobManifest(name, { parallelism: 2, completions: 4 }) });
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
    const job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: jobManifest(name, { parallelism: 2, completions: 4 }) });
    const updated = await env.batch.replaceNamespacedJob({
      name,
      namespace: env.namespace,
      body: { ...job, spec: { ...job.spec!, parallelism: 3 }, status: { succeeded: 3 } },
    });
    assert.equal(updated.spec?.parallelism, 3, "spec sent to the main resource is applied");
    assert.equal(updated.status?.succeeded ?? 0, 0, "status sent to the main resource is ignored");
  });
});
