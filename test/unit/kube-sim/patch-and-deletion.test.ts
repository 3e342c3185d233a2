import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { openWatch, podBody, startSim, type Sim } from "./sim-helpers.js";

const FIN = "batch.kubernetes.io/job-tracking";
const SMP = "application/strategic-merge-patch+json";
const pods = "/api/v1/namespaces/default/pods";

describe("kube-sim patches", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  test("strategic merge: finalizers merge as a set and $deleteFromPrimitiveList removes one (no-op when absent)", async () => {
    await s.call("POST", pods, podBody("smp", { finalizers: [FIN] }));
    const added = await s.call("PATCH", `${pods}/smp`, { metadata: { finalizers: ["other", FIN] } }, SMP);
    assert.deepEqual(added.body.metadata.finalizers, [FIN, "other"]);
    const removed = await s.core.patchNamespacedPod(
      { name: "smp", namespace: "default", body: { metadata: { $deleteFromPrimitiveList: undefined, ["$deleteFromPrimitiveList/finalizers"]: [FIN] } } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(removed.metadata?.finalizers, ["other"]);
    const again = await s.call("PATCH", `${pods}/smp`, { metadata: { "$deleteFromPrimitiveList/finalizers": [FIN] } }, SMP);
    assert.equal(again.status, 200);
    assert.equal(again.body.metadata.resourceVersion, removed.metadata?.resourceVersion);
  });

  test("strategic merge: conditions merge by type, containers by name, other lists replace", async () => {
    await s.call("POST", pods, podBody("cond"));
    await s.call("PATCH", `${pods}/cond/status`, { status: { conditions: [{ type: "Ready", status: "False" }, { type: "PodScheduled", status: "True" }] } }, SMP);
    const p = await s.call("PATCH", `${pods}/cond/status`, { status: { conditions: [{ type: "Ready", status: "True" }] } }, SMP);
    assert.deepEqual(p.body.status.conditions, [{ type: "Ready", status: "True" }, { type: "PodScheduled", status: "True" }]);
    const c = await s.call("PATCH", `${pods}/cond`, { spec: { containers: [{ name: "c", image: "busybox:2" }] } }, SMP);
    assert.equal(c.status, 200);
    assert.equal(c.body.spec.containers.length, 1);
    assert.equal(c.body.spec.containers[0].image, "busybox:2");
    assert.equal(c.body.spec.containers[0].terminationMessagePolicy, "File");
  });

  test("a JSON patch whose test fails is a 422 with a generic message", async () => {
    await s.call("POST", pods, podBody("jp", { finalizers: [FIN] }));
    const bad = await s.call("PATCH", `${pods}/jp`, [{ op: "test", path: "/metadata/finalizers/0", value: "nope" }, { op: "remove", path: "/metadata/finalizers/0" }], "application/json-patch+json");
    assert.equal(bad.status, 422);
    assert.equal(bad.body.reason, "Invalid");
    assert.equal(bad.body.message, "the server rejected our request due to an error in our request");
    const good = await s.call("PATCH", `${pods}/jp`, [{ op: "test", path: "/metadata/finalizers/0", value: FIN }, { op: "remove", path: "/metadata/finalizers/0" }], "application/json-patch+json");
    assert.equal(good.status, 200);
    assert.equal(good.body.metadata.finalizers, undefined);
  });

  test("merge and strategic patches carrying a stale resourceVersion are 409", async () => {
    const p = await s.call("POST", pods, podBody("stale"));
    const rv = p.body.metadata.resourceVersion;
    await s.call("PATCH", `${pods}/stale`, { metadata: { labels: { a: "1" } } }, "application/merge-patch+json");
    for (const ct of ["application/merge-patch+json", SMP]) {
      const r = await s.call("PATCH", `${pods}/stale`, { metadata: { resourceVersion: rv, labels: { a: "2" } } }, ct);
      assert.equal(r.status, 409, ct);
      assert.equal(r.body.reason, "Conflict");
    }
  });
});

describe("kube-sim pod deletion and finalizers", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  test("an unbound Pod with a finalizer is held with grace 0, then gone when the finalizer goes", async () => {
    const created = await s.call("POST", pods, podBody("unbound", { finalizers: [FIN] }));
    const w = await openWatch(`${s.sim.url}${pods}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}&fieldSelector=metadata.name%3Dunbound`);
    const del = await s.call("DELETE", `${pods}/unbound`);
    assert.equal(del.status, 200);
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 0);
    assert.equal((await s.call("GET", `${pods}/unbound`)).status, 200);
    const added = await s.call("PATCH", `${pods}/unbound`, { metadata: { finalizers: ["new"] } }, SMP);
    assert.equal(added.status, 422);
    assert.match(added.body.message, /no new finalizers can be added if the object is being deleted/);
    const last = await s.call("PATCH", `${pods}/unbound`, { metadata: { "$deleteFromPrimitiveList/finalizers": [FIN] } }, SMP);
    assert.equal(last.status, 200);
    assert.equal(last.body.metadata.finalizers, undefined);
    assert.equal(last.body.metadata.resourceVersion, del.body.metadata.resourceVersion, "old resourceVersion in the answer");
    assert.equal((await s.call("GET", `${pods}/unbound`)).status, 404);
    const events = await w.next(2);
    w.close();
    assert.deepEqual(events.map((e) => e.type), ["MODIFIED", "DELETED"]);
    assert.deepEqual(events[1].object.metadata.finalizers, [FIN], "DELETED carries the last stored object");
  });

  test("an unbound Pod without finalizers is gone at once; the answer is the Pod", async () => {
    await s.call("POST", pods, podBody("plain"));
    const del = await s.call("DELETE", `${pods}/plain`);
    assert.equal(del.body.kind, "Pod");
    assert.equal((await s.call("GET", `${pods}/plain`)).status, 404);
  });

  test("a bound Pod gets a grace period and stays, even without finalizers, until a grace-0 delete", async () => {
    await s.call("POST", pods, podBody("bound"));
    const bind = await s.call("POST", `${pods}/bound/binding`, { apiVersion: "v1", kind: "Binding", metadata: { name: "bound" }, target: { kind: "Node", name: "node-1" } });
    assert.equal(bind.status, 201);
    const rebind = await s.call("POST", `${pods}/bound/binding`, { target: { kind: "Node", name: "node-2" } });
    assert.equal(rebind.status, 409);
    const del = await s.call("DELETE", `${pods}/bound`);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await s.call("GET", `${pods}/bound`)).status, 200);
    const kubelet = await s.call("DELETE", `${pods}/bound`, { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 });
    assert.equal(kubelet.status, 200);
    assert.equal((await s.call("GET", `${pods}/bound`)).status, 404);
  });

  test("a bound Pod with a finalizer: kubelet grace-0 delete leaves it until the finalizer goes", async () => {
    await s.call("POST", pods, podBody("boundfin", { nodeName: "node-1", finalizers: [FIN] }));
    await s.call("DELETE", `${pods}/boundfin?gracePeriodSeconds=5`);
    await s.call("DELETE", `${pods}/boundfin?gracePeriodSeconds=0`);
    const held = await s.call("GET", `${pods}/boundfin`);
    assert.equal(held.body.metadata.deletionGracePeriodSeconds, 0);
    await s.call("PATCH", `${pods}/boundfin`, { metadata: { "$deleteFromPrimitiveList/finalizers": [FIN] } }, SMP);
    assert.equal((await s.call("GET", `${pods}/boundfin`)).status, 404);
  });

  test("a terminal bound Pod is deleted with grace 0", async () => {
    await s.call("POST", pods, podBody("done", { nodeName: "node-1" }));
    await s.call("PATCH", `${pods}/done/status`, { status: { phase: "Succeeded" } }, "application/merge-patch+json");
    const del = await s.call("DELETE", `${pods}/done`);
    assert.equal(del.status, 200);
    assert.equal((await s.call("GET", `${pods}/done`)).status, 404);
  });

  test("delete preconditions: wrong uid or resourceVersion is 409", async () => {
    const p = await s.call("POST", pods, podBody("pre"));
    const uid = await s.call("DELETE", `${pods}/pre`, { preconditions: { uid: "other" } });
    assert.equal(uid.status, 409);
    const rv = await s.call("DELETE", `${pods}/pre`, { preconditions: { resourceVersion: "1" } });
    assert.equal(rv.status, 409);
    const ok = await s.call("DELETE", `${pods}/pre`, { preconditions: { uid: p.body.metadata.uid, resourceVersion: p.body.metadata.resourceVersion } });
    assert.equal(ok.status, 200);
  });
});
