/**
 * Conformance: ResourceQuota admission of Pod creations, as jobtally's finalizer-remover meets it
 * (a `FailedCreate` Event with the API's message; services/finalizer-remover/failed-create.ts).
 * Observed on a real kube-apiserver: the Pod over `pods: "N"` → 403 Forbidden, reason Forbidden,
 * `pods "<name>" is forbidden: exceeded quota: <quota>, requested: pods=1, used: pods=N, limited: pods=N`.
 */
import { after, before, describe, test } from "node:test";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
import { waitFor } from "../support/processes.js";
import { expectApiError, podManifest, uniqueName } from "./helpers.js";

describe("conformance: ResourceQuota on Pod creation", () => {
  let env: KubeEnv;
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-quota" });
  });
  after(async () => {
    await env?.release();
  });

  test('pods: "2": the third Pod → 403 Forbidden naming the quota; admission runs before storage (a taken name → 403 too, not 409)', async () => {
    const quota = uniqueName("q");
    await env.core.createNamespacedResourceQuota({ namespace: env.namespace, body: { metadata: { name: quota }, spec: { hard: { pods: "2" } } } });
    // No create is admitted before the quota controller filled status.hard.
    await waitFor(async () => (await env.core.readNamespacedResourceQuota({ name: quota, namespace: env.namespace })).status?.hard?.pods === "2", {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: "the quota's status.hard",
    });
    const first = uniqueName("a");
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(first) });
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(uniqueName("b")) });
    const third = uniqueName("c");
    await expectApiError(env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(third) }), {
      code: 403,
      reason: "Forbidden",
      message: new RegExp(`^pods "${third}" is forbidden: exceeded quota: ${quota}, requested: pods=1, used: pods=2, limited: pods=2$`),
    });
    await expectApiError(env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(first) }), { code: 403, reason: "Forbidden", message: /exceeded quota/ });
  });
});
