import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiException, PatchStrategy, setHeaderOptions, type V1Job } from "@kubernetes/client-node";
import { jobBody, podBody, startSim, type Sim } from "./sim-helpers.js";

describe("kube-sim storage and REST", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  test("a stale resourceVersion on a status PUT is a 409 Conflict with the real message", async () => {
    const job = await s.batch.createNamespacedJob({ namespace: "default", body: jobBody("conflict") as V1Job });
    const stale = structuredClone(job);
    job.status = { active: 1 };
    await s.batch.replaceNamespacedJobStatus({ name: "conflict", namespace: "default", body: job });
    stale.status = { active: 2 };
    await assert.rejects(s.batch.replaceNamespacedJobStatus({ name: "conflict", namespace: "default", body: stale }), (err: unknown) => {
      assert.ok(err instanceof ApiException);
      assert.equal(err.code, 409);
      const body = JSON.parse(err.body as string);
      assert.equal(body.reason, "Conflict");
      assert.equal(
        body.message,
        'Operation cannot be fulfilled on jobs.batch "conflict": the object has been modified; please apply your changes to the latest version and try again',
      );
      return true;
    });
    delete stale.metadata!.resourceVersion;
    const unconditional = await s.batch.replaceNamespacedJobStatus({ name: "conflict", namespace: "default", body: stale });
    assert.equal(unconditional.status?.active, 2);
  });

  test("resourceVersion increases across the cluster and is a decimal string", async () => {
    const a = await s.call("POST", "/api/v1/namespaces/default/pods", podBody("rv-a"));
    const b = await s.call("POST", "/api/v1/namespaces/default/pods", podBody("rv-b"));
    assert.match(a.body.metadata.resourceVersion, /^\d+$/);
    assert.ok(Number(b.body.metadata.resourceVersion) > Number(a.body.metadata.resourceVersion));
    assert.ok(a.body.metadata.uid && a.body.metadata.creationTimestamp);
    assert.equal(a.body.status.phase, "Pending");
  });

  test("generateName, AlreadyExists, missing namespace", async () => {
    const g = await s.call("POST", "/api/v1/namespaces/default/pods", { ...podBody(""), metadata: { generateName: "gen-" } });
    assert.equal(g.status, 201);
    assert.match(g.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    await s.call("POST", "/api/v1/namespaces/default/pods", podBody("dup"));
    const dup = await s.call("POST", "/api/v1/namespaces/default/pods", podBody("dup"));
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, "AlreadyExists");
    assert.equal(dup.body.message, 'pods "dup" already exists');
    const nons = await s.call("POST", "/api/v1/namespaces/nope/pods", podBody("x"));
    assert.equal(nons.status, 404);
    assert.equal(nons.body.message, 'namespaces "nope" not found');
    const missing = await s.call("GET", "/apis/batch/v1/namespaces/default/jobs/missing");
    assert.deepEqual(missing.body, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'jobs.batch "missing" not found', reason: "NotFound", details: { name: "missing", group: "batch", kind: "jobs" }, code: 404 });
  });

  test("status is discarded on create and ignored on the main resource; /status ignores spec and metadata", async () => {
    const created = await s.call("POST", "/apis/batch/v1/namespaces/default/jobs", { ...jobBody("st"), status: { succeeded: 3 } });
    assert.deepEqual(created.body.status, {});
    const upd = { ...created.body, status: { succeeded: 5 }, spec: { ...created.body.spec, parallelism: 3 } };
    const main = await s.call("PUT", "/apis/batch/v1/namespaces/default/jobs/st", upd);
    assert.equal(main.status, 200);
    assert.deepEqual(main.body.status, {});
    assert.equal(main.body.spec.parallelism, 3);
    assert.equal(main.body.metadata.generation, 2);
    const st = await s.call("PUT", "/apis/batch/v1/namespaces/default/jobs/st/status", {
      ...main.body,
      metadata: { ...main.body.metadata, labels: { x: "y" } },
      spec: { ...main.body.spec, parallelism: 9 },
      status: { succeeded: 1, ready: 0, active: 0, uncountedTerminatedPods: { succeeded: [], failed: [] } },
    });
    assert.equal(st.status, 200);
    assert.equal(st.body.spec.parallelism, 3);
    assert.equal(st.body.metadata.labels, undefined);
    assert.deepEqual(st.body.status, { succeeded: 1, ready: 0, uncountedTerminatedPods: {} });
    const cleared = await s.call("PATCH", "/apis/batch/v1/namespaces/default/jobs/st/status", { status: { uncountedTerminatedPods: null } }, "application/merge-patch+json");
    assert.deepEqual(cleared.body.status, { succeeded: 1, ready: 0 });
  });

  test("a no-op patch keeps the resourceVersion", async () => {
    const p = await s.call("POST", "/api/v1/namespaces/default/pods", podBody("noop"));
    const patched = await s.core.patchNamespacedPod(
      { name: "noop", namespace: "default", body: { metadata: { $deleteFromPrimitiveList: undefined, labels: {} } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    assert.equal(patched.metadata?.resourceVersion, p.body.metadata.resourceVersion);
  });

  test("namespace deletion removes its objects, then the namespace", async () => {
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "gone" } });
    // A finalizer holds the Pod, and so the namespace, in Terminating while the test looks at it.
    await s.call("POST", "/api/v1/namespaces/gone/pods", podBody("p", { finalizers: ["example.com/hold"] }));
    const del = await s.call("DELETE", "/api/v1/namespaces/gone");
    assert.equal(del.body.status.phase, "Terminating");
    const refused = await s.call("POST", "/api/v1/namespaces/gone/pods", podBody("q"));
    assert.equal(refused.status, 403);
    await s.sim.gcIdle();
    assert.equal((await s.call("GET", "/api/v1/namespaces/gone")).status, 200, "held by the Pod's finalizer");
    await s.call("PATCH", "/api/v1/namespaces/gone/pods/p", { metadata: { finalizers: null } }, "application/merge-patch+json");
    await s.sim.gcIdle();
    assert.equal((await s.call("GET", "/api/v1/namespaces/gone/pods/p")).status, 404);
    assert.equal((await s.call("GET", "/api/v1/namespaces/gone")).status, 404);
  });

  test("leases and events are served", async () => {
    const l = await s.call("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", { metadata: { name: "lock" }, spec: { holderIdentity: "a" } });
    assert.equal(l.status, 201);
    const e = await s.call("POST", "/api/v1/namespaces/default/events", { metadata: { name: "ev1" }, reason: "Test", involvedObject: { kind: "Pod", name: "x" } });
    assert.equal(e.status, 201);
    const d = await s.call("DELETE", "/apis/coordination.k8s.io/v1/namespaces/default/leases/lock");
    assert.equal(d.body.status, "Success");
  });
});
