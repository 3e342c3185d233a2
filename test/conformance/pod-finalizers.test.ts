/** Conformance: finalizer patches and Pod deletion (graceful or not), as the finalizer-remover and kubelet see them. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
import { capabilitiesOf } from "./capabilities.js";
import { clearPodFinalizers, expectApiError, FAKE_NODE, HOLD_FINALIZER, podManifest, podsPath, rawRequest, uniqueName, waitPodGone } from "./helpers.js";

const strategicPatch = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const removeJobTracking = { metadata: { "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER] } };

describe("conformance: Pod finalizers and deletion", () => {
  let env: KubeEnv;
  const held: string[] = [];
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-pod" });
  });
  after(async () => {
    for (const name of held) await clearPodFinalizers(env, name).catch(() => undefined);
    await env?.release();
  });

  const createPod = async (name: string, opts: Parameters<typeof podManifest>[1] = {}) => {
    if (opts.finalizers?.length) held.push(name);
    return env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(name, opts) });
  };

  test("strategic merge $deleteFromPrimitiveList/finalizers removes the finalizer (200), and is a 200 no-op when it is absent", async () => {
    const name = uniqueName("dfpl");
    await createPod(name, { finalizers: [JOB_TRACKING_FINALIZER, HOLD_FINALIZER] });
    const once = await env.core.patchNamespacedPod({ name, namespace: env.namespace, body: removeJobTracking }, strategicPatch);
    assert.deepEqual(once.metadata?.finalizers, [HOLD_FINALIZER]);
    const twice = await env.core.patchNamespacedPod({ name, namespace: env.namespace, body: removeJobTracking }, strategicPatch);
    assert.deepEqual(twice.metadata?.finalizers, [HOLD_FINALIZER]);
  });

  test("JSON patch whose test op fails → 422", async () => {
    const name = uniqueName("jtest");
    await createPod(name, { finalizers: [HOLD_FINALIZER] });
    await expectApiError(
      env.core.patchNamespacedPod(
        { name, namespace: env.namespace, body: [{ op: "test", path: "/metadata/finalizers/0", value: "something-else" }, { op: "remove", path: "/metadata/finalizers/0" }] },
        jsonPatch,
      ),
      { code: 422 },
    );
    const pod = await env.core.readNamespacedPod({ name, namespace: env.namespace });
    assert.deepEqual(pod.metadata?.finalizers, [HOLD_FINALIZER], "nothing applied");
  });

  test("DELETE of an unbound Pod with a finalizer → deletionTimestamp, stays readable, 404 once its finalizer is removed", async () => {
    const name = uniqueName("unbound");
    await createPod(name, { finalizers: [HOLD_FINALIZER] });
    const res = await rawRequest(env, "DELETE", `${podsPath(env.namespace)}/${name}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.kind, "Pod", "the answer is the object");
    assert.ok(res.body.metadata.deletionTimestamp);
    assert.equal(res.body.metadata.deletionGracePeriodSeconds, 0);
    const still = await env.core.readNamespacedPod({ name, namespace: env.namespace });
    assert.ok(still.metadata?.deletionTimestamp, "readable while the finalizer holds it");
    const patched = await rawRequest(env, "PATCH", `${podsPath(env.namespace)}/${name}`, { metadata: { finalizers: null } }, "application/merge-patch+json");
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.metadata.finalizers, undefined, "the PATCH answer shows no finalizers");
    await expectApiError(env.core.readNamespacedPod({ name, namespace: env.namespace }), { code: 404, reason: "NotFound" });
  });

  test("adding a finalizer to a terminating object → 422", async () => {
    const name = uniqueName("term");
    await createPod(name, { finalizers: [HOLD_FINALIZER] });
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace });
    await expectApiError(
      env.core.patchNamespacedPod({ name, namespace: env.namespace, body: { metadata: { finalizers: [HOLD_FINALIZER, "conformance.jobtally.io/late"] } } }, mergePatch),
      { code: 422, message: /no new finalizers can be added if the object is being deleted/ },
    );
  });

  test("DELETE of a Pod bound through the binding subresource, without finalizers → stays with a 30 s grace deletionTimestamp until a DELETE with gracePeriodSeconds 0", async () => {
    const name = uniqueName("bound");
    await createPod(name);
    await env.core.createNamespacedPodBinding({
      name,
      namespace: env.namespace,
      body: { apiVersion: "v1", kind: "Binding", metadata: { name }, target: { apiVersion: "v1", kind: "Node", name: FAKE_NODE } },
    });
    const bound = await env.core.readNamespacedPod({ name, namespace: env.namespace });
    assert.equal(bound.spec?.nodeName, FAKE_NODE);
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace });
    const graceful = await env.core.readNamespacedPod({ name, namespace: env.namespace });
    assert.ok(graceful.metadata?.deletionTimestamp, "deletionTimestamp set");
    assert.equal(graceful.metadata?.deletionGracePeriodSeconds, 30);
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace, gracePeriodSeconds: 0 });
    await waitPodGone(env, name, 5000);
  });

  test("DELETE of a Pod created with spec.nodeName is graceful too", async () => {
    const name = uniqueName("nodename");
    await createPod(name, { nodeName: FAKE_NODE });
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace });
    const graceful = await env.core.readNamespacedPod({ name, namespace: env.namespace });
    assert.equal(graceful.metadata?.deletionGracePeriodSeconds, 30);
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace, body: { gracePeriodSeconds: 0 } });
    await waitPodGone(env, name, 5000);
  });

  test("DELETE of a bound Pod in a terminal phase is immediate", async () => {
    const name = uniqueName("terminal");
    await createPod(name, { nodeName: FAKE_NODE });
    await env.core.patchNamespacedPodStatus({ name, namespace: env.namespace, body: { status: { phase: "Succeeded" } } }, mergePatch);
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace });
    await expectApiError(env.core.readNamespacedPod({ name, namespace: env.namespace }), { code: 404 });
  });

  test("a Pod's phase set through /status: Pending → Succeeded on every server; back to Running refused (422) where the server validates phase transitions, accepted where it does not (1.26)", async () => {
    const validated = await capabilitiesOf(env).refusesTerminalPodPhaseChange();
    const name = uniqueName("phase");
    await createPod(name, { nodeName: FAKE_NODE });
    const phase = (p: string) => env.core.patchNamespacedPodStatus({ name, namespace: env.namespace, body: { status: { phase: p } } }, mergePatch);
    assert.equal((await phase("Succeeded")).status?.phase, "Succeeded", "what the suite's fixtures and the kubelet simulator do");
    if (validated.present) {
      await expectApiError(phase("Running"), { code: 422, reason: "Invalid" });
      assert.equal((await env.core.readNamespacedPod({ name, namespace: env.namespace })).status?.phase, "Succeeded", validated.observed);
    } else {
      assert.equal((await phase("Running")).status?.phase, "Running", validated.observed);
    }
  });

  test("DELETE with a uid precondition that does not match → 409", async () => {
    const name = uniqueName("precond");
    await createPod(name);
    await expectApiError(env.core.deleteNamespacedPod({ name, namespace: env.namespace, body: { preconditions: { uid: "00000000-0000-0000-0000-000000000000" } } }), { code: 409, reason: "Conflict" });
    const pod = await env.core.readNamespacedPod({ name, namespace: env.namespace });
    assert.equal(pod.metadata?.deletionTimestamp, undefined, "not deleted");
  });
});
