/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary API JSON */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jobBody, podBody, startSim, type Sim } from "./sim-helpers.js";

const jobs = "/apis/batch/v1/namespaces/default/jobs";
const pods = "/api/v1/namespaces/default/pods";
const MERGE = "application/merge-patch+json";

describe("kube-sim Job defaulting and spec validation", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  test("create defaults selector, template labels and counters", async () => {
    const j = (await s.call("POST", jobs, jobBody("d1"))).body;
    const uid = j.metadata.uid;
    assert.deepEqual(j.spec.selector, { matchLabels: { "batch.kubernetes.io/controller-uid": uid } });
    assert.deepEqual(j.spec.template.metadata.labels, { "controller-uid": uid, "job-name": "d1", "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "d1" });
    assert.equal(j.spec.backoffLimit, 6);
    assert.equal(j.spec.completionMode, "NonIndexed");
    assert.equal(j.spec.suspend, false);
    assert.equal(j.spec.parallelism, 1);
    assert.equal(j.spec.completions, 1);
    assert.equal(j.spec.podReplacementPolicy, "TerminatingOrFailed");
    const wq = (await s.call("POST", jobs, jobBody("d2", { parallelism: 3 }))).body;
    assert.equal(wq.spec.completions, undefined, "completions stays unset when only parallelism is given");
  });

  test("restartPolicy must be Never or OnFailure", async () => {
    const b = jobBody("rp");
    b.spec.template.spec.restartPolicy = "Always";
    const r = await s.call("POST", jobs, b);
    assert.equal(r.status, 422);
    assert.equal(r.body.details.causes[0].field, "spec.template.spec.restartPolicy");
  });

  test("managedBy, completions and template are immutable; parallelism is not", async () => {
    const j = (await s.call("POST", jobs, jobBody("imm", { managedBy: "jobtally.io/controller", completions: 2 }))).body;
    for (const patch of [{ spec: { managedBy: "other.io/x" } }, { spec: { completions: 3 } }, { spec: { template: { metadata: { labels: { a: "b" } } } } }]) {
      const r = await s.call("PATCH", `${jobs}/imm`, patch, MERGE);
      assert.equal(r.status, 422, JSON.stringify(patch));
      assert.match(r.body.message, /field is immutable/);
    }
    const ok = await s.call("PATCH", `${jobs}/imm`, { spec: { parallelism: 4 } }, MERGE);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.metadata.generation, j.metadata.generation + 1);
  });
});

interface StatusCase {
  name: string;
  spec?: Record<string, unknown>;
  /** Written first (must be accepted). */
  before?: Record<string, unknown>;
  /** Then this status. */
  status: Record<string, unknown>;
  field: string;
}

const now = "2024-01-01T00:10:00Z";
const earlier = "2024-01-01T00:00:00Z";
const cond = (type: string, status = "True") => ({ type, status, lastProbeTime: now, lastTransitionTime: now });

const cases: StatusCase[] = [
  { name: "a negative counter is rejected", status: { active: -1 }, field: "status.active" },
  { name: "succeeded cannot decrease", before: { succeeded: 2 }, status: { succeeded: 1 }, field: "status.succeeded" },
  { name: "failed cannot decrease", before: { failed: 2 }, status: { failed: 1 }, field: "status.failed" },
  { name: "an empty uncounted UID is rejected", status: { uncountedTerminatedPods: { succeeded: [""] } }, field: "status.uncountedTerminatedPods.succeeded[0]" },
  { name: "a UID twice in one list is a Duplicate value", status: { uncountedTerminatedPods: { failed: ["a", "a"] } }, field: "status.uncountedTerminatedPods.failed[1]" },
  { name: "a UID in both lists is a Duplicate value", status: { uncountedTerminatedPods: { succeeded: ["a"], failed: ["a"] } }, field: "status.uncountedTerminatedPods.failed[0]" },
  { name: "Complete=True cannot be removed", before: { conditions: [cond("Complete")], completionTime: now, startTime: earlier }, status: { completionTime: now, startTime: earlier }, field: "status.conditions" },
  { name: "FailureTarget=True cannot be removed", before: { conditions: [cond("FailureTarget")] }, status: {}, field: "status.conditions" },
  { name: "a finished Job cannot have active Pods", status: { conditions: [cond("Failed")], active: 1 }, field: "status.active" },
  { name: "a finished Job cannot have uncounted UIDs", status: { conditions: [cond("Failed")], uncountedTerminatedPods: { failed: ["x"] } }, field: "status.uncountedTerminatedPods" },
  { name: "Complete and Failed cannot both be True", status: { conditions: [cond("Complete"), cond("Failed")], completionTime: now }, field: "status.conditions" },
  { name: "completionTime needs Complete", status: { completionTime: now }, field: "status.completionTime" },
  { name: "completionTime cannot be changed", before: { conditions: [cond("Complete")], completionTime: now }, status: { conditions: [cond("Complete")], completionTime: "2024-01-01T00:20:00Z" }, field: "status.completionTime" },
  { name: "completionTime not before startTime", status: { conditions: [cond("Complete")], completionTime: earlier, startTime: now }, field: "status.completionTime" },
  { name: "Complete needs SuccessCriteriaMet once interim conditions are in use", before: { conditions: [cond("SuccessCriteriaMet", "False")] }, status: { conditions: [cond("SuccessCriteriaMet", "False"), cond("Complete")], completionTime: now }, field: "status.conditions" },
  { name: "Failed needs FailureTarget once interim conditions are in use", status: { conditions: [cond("FailureTarget", "False"), cond("Failed")] }, field: "status.conditions" },
  { name: "completedIndexes only for Indexed Jobs", status: { completedIndexes: "0" }, field: "status.completedIndexes" },
  { name: "completedIndexes must parse and be ordered", spec: { completionMode: "Indexed", completions: 5 }, status: { completedIndexes: "3,1" }, field: "status.completedIndexes" },
  { name: "completedIndexes must be below completions", spec: { completionMode: "Indexed", completions: 5 }, status: { completedIndexes: "0-5" }, field: "status.completedIndexes" },
];

describe("kube-sim Job status validation", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  cases.forEach((c, i) => {
    test(c.name, async () => {
      const name = `v${i}`;
      const created = await s.call("POST", jobs, jobBody(name, c.spec ?? {}));
      assert.equal(created.status, 201);
      if (c.before) {
        const ok = await s.call("PUT", `${jobs}/${name}/status`, { ...created.body, status: c.before });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
      }
      const cur = await s.call("GET", `${jobs}/${name}`);
      const r = await s.call("PUT", `${jobs}/${name}/status`, { ...cur.body, status: c.status });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.reason, "Invalid");
      assert.ok(r.body.details.causes.some((x: any) => x.field === c.field), JSON.stringify(r.body.details.causes));
    });
  });

  test("a Job that never used interim conditions may go straight to Complete (1.26 behaviour)", async () => {
    const created = await s.call("POST", jobs, jobBody("plain-complete"));
    const r = await s.call("PUT", `${jobs}/plain-complete/status`, { ...created.body, status: { succeeded: 1, startTime: earlier, completionTime: now, conditions: [cond("Complete")] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  test("Job status bytes are exported as metrics", async () => {
    const text = await (await fetch(`${s.sim.url}/metrics`)).text();
    assert.match(text, /kube_sim_job_status_bytes_count [1-9]/);
    assert.match(text, /kube_sim_job_status_bytes_max [1-9]/);
    assert.match(text, /kube_sim_objects\{resource="jobs"\} [1-9]/);
  });
});

describe("kube-sim Job deletion propagation", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  async function jobWithPod(name: string, podExtra: { finalizers?: string[]; nodeName?: string } = {}): Promise<{ uid: string }> {
    const j = (await s.call("POST", jobs, jobBody(name))).body;
    const pod = podBody(`${name}-pod`, podExtra) as any;
    pod.metadata.ownerReferences = [{ apiVersion: "batch/v1", kind: "Job", name, uid: j.metadata.uid, controller: true, blockOwnerDeletion: true }];
    assert.equal((await s.call("POST", pods, pod)).status, 201);
    return { uid: j.metadata.uid };
  }

  test("no policy on a Job means Orphan: orphan finalizer, then ownerReferences removed and the Job gone", async () => {
    await jobWithPod("orphan");
    const del = await s.call("DELETE", `${jobs}/orphan`);
    assert.equal(del.status, 200);
    assert.deepEqual(del.body.metadata.finalizers, ["orphan"]);
    assert.ok(del.body.metadata.deletionTimestamp);
    await s.sim.gcIdle();
    assert.equal((await s.call("GET", `${jobs}/orphan`)).status, 404);
    const pod = await s.call("GET", `${pods}/orphan-pod`);
    assert.equal(pod.status, 200);
    assert.equal(pod.body.metadata.ownerReferences, undefined);
  });

  test("Background deletes the Job at once; the collector then deletes its Pods (held by their finalizers)", async () => {
    await jobWithPod("bg", { finalizers: ["batch.kubernetes.io/job-tracking"] });
    const del = await s.call("DELETE", `${jobs}/bg`, { propagationPolicy: "Background" });
    assert.equal(del.body.kind, "Status");
    assert.equal(del.body.status, "Success");
    assert.equal((await s.call("GET", `${jobs}/bg`)).status, 404);
    await s.sim.gcIdle();
    const pod = await s.call("GET", `${pods}/bg-pod`);
    assert.ok(pod.body.metadata.deletionTimestamp, "the Pod is terminating, held by its finalizer");
    await s.call("PATCH", `${pods}/bg-pod`, { metadata: { "$deleteFromPrimitiveList/finalizers": ["batch.kubernetes.io/job-tracking"] } }, "application/strategic-merge-patch+json");
    assert.equal((await s.call("GET", `${pods}/bg-pod`)).status, 404);
  });

  test("Foreground holds the Job with foregroundDeletion until its blocking Pods are gone", async () => {
    await jobWithPod("fg", { nodeName: "node-1" });
    const del = await s.call("DELETE", `${jobs}/fg?propagationPolicy=Foreground`);
    assert.deepEqual(del.body.metadata.finalizers, ["foregroundDeletion"]);
    await s.sim.gcIdle();
    const pod = await s.call("GET", `${pods}/fg-pod`);
    assert.equal(pod.body.metadata.deletionGracePeriodSeconds, 30, "bound Pod waits for its kubelet");
    assert.equal((await s.call("GET", `${jobs}/fg`)).status, 200);
    await s.call("DELETE", `${pods}/fg-pod?gracePeriodSeconds=0`);
    await s.sim.gcIdle();
    assert.equal((await s.call("GET", `${jobs}/fg`)).status, 404);
  });

  test("a Pod whose owner UID does not exist is collected", async () => {
    const pod = podBody("stray") as any;
    pod.metadata.ownerReferences = [{ apiVersion: "batch/v1", kind: "Job", name: "ghost", uid: "00000000-0000-0000-0000-000000000000", controller: true }];
    await s.call("POST", pods, pod);
    await s.sim.gcIdle();
    assert.equal((await s.call("GET", `${pods}/stray`)).status, 404);
  });
});
