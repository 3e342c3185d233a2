/**
 * ResourceQuota admission of Pod creations, as observed on a real API server
 * (/work/shared/KUBERNETES-BEHAVIOUR.md): `pods` counts Pods not in a terminal phase, `count/pods`
 * every Pod in storage; the Pod over the limit gets a 403 Forbidden naming the quota. A namespace
 * being terminated refuses creations with the `NamespaceTerminating` cause.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiException } from "@kubernetes/client-node";
import { apiErrorInfo } from "../../../shared/kube/errors.js";
import { podBody, startSim, type Sim } from "./sim-helpers.js";

describe("kube-sim ResourceQuota (pods, count/pods)", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
    for (const ns of ["q1", "q2", "q3"]) await s.call("POST", "/api/v1/namespaces", { metadata: { name: ns } });
  });
  after(() => s.sim.close());

  test('pods: "3": the fourth Pod → 403 Forbidden with the real message; a finished Pod frees its room', async () => {
    const q = await s.call("POST", "/api/v1/namespaces/q1/resourcequotas", { metadata: { name: "pod-quota" }, spec: { hard: { pods: "3" } } });
    assert.equal(q.status, 201);
    assert.deepEqual(q.body.status.hard, { pods: "3" }, "status.hard filled at once (the simulator is its own quota controller)");
    for (const n of ["a", "b", "c"]) assert.equal((await s.call("POST", "/api/v1/namespaces/q1/pods", podBody(n))).status, 201);
    const refused = await s.call("POST", "/api/v1/namespaces/q1/pods", podBody("d"));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.reason, "Forbidden");
    assert.equal(refused.body.message, 'pods "d" is forbidden: exceeded quota: pod-quota, requested: pods=1, used: pods=3, limited: pods=3');
    await assert.rejects(s.core.createNamespacedPod({ namespace: "q1", body: podBody("d") as never }), (err: unknown) => {
      assert.ok(err instanceof ApiException);
      assert.deepEqual([apiErrorInfo(err).code, apiErrorInfo(err).reason], [403, "Forbidden"]);
      return true;
    });
    await s.call("PATCH", "/api/v1/namespaces/q1/pods/a/status", { status: { phase: "Succeeded" } }, "application/merge-patch+json");
    assert.equal((await s.call("POST", "/api/v1/namespaces/q1/pods", podBody("d"))).status, 201, "a Succeeded Pod no longer uses `pods`");
  });

  test("admission before storage: creating a Pod whose name exists under a full quota → 403, not 409 AlreadyExists", async () => {
    const refused = await s.call("POST", "/api/v1/namespaces/q1/pods", podBody("b"));
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /exceeded quota: pod-quota/);
  });

  test('count/pods: "2" counts every Pod in storage, terminal or not; raising the quota admits more', async () => {
    await s.call("POST", "/api/v1/namespaces/q2/resourcequotas", { metadata: { name: "objects" }, spec: { hard: { "count/pods": "2" } } });
    await s.call("POST", "/api/v1/namespaces/q2/pods", podBody("a"));
    await s.call("POST", "/api/v1/namespaces/q2/pods", podBody("b"));
    await s.call("PATCH", "/api/v1/namespaces/q2/pods/a/status", { status: { phase: "Failed" } }, "application/merge-patch+json");
    const refused = await s.call("POST", "/api/v1/namespaces/q2/pods", podBody("c"));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.message, 'pods "c" is forbidden: exceeded quota: objects, requested: count/pods=1, used: count/pods=2, limited: count/pods=2');
    const raised = await s.call("PATCH", "/api/v1/namespaces/q2/resourcequotas/objects", { spec: { hard: { "count/pods": "3" } } }, "application/merge-patch+json");
    assert.deepEqual(raised.body.status.hard, { "count/pods": "3" });
    assert.equal((await s.call("POST", "/api/v1/namespaces/q2/pods", podBody("c"))).status, 201);
  });

  test("a namespace being terminated refuses creations with the NamespaceTerminating cause", async () => {
    await s.call("POST", "/api/v1/namespaces/q3/pods", podBody("hold", { finalizers: ["example.com/hold"] }));
    await s.call("DELETE", "/api/v1/namespaces/q3");
    await assert.rejects(s.core.createNamespacedPod({ namespace: "q3", body: podBody("x") as never }), (err: unknown) => {
      const info = apiErrorInfo(err);
      assert.equal(info.code, 403);
      assert.deepEqual(info.causes, ["NamespaceTerminating"]);
      assert.equal(info.message, 'pods "x" is forbidden: unable to create new content in namespace q3 because it is being terminated');
      return true;
    });
  });
});
