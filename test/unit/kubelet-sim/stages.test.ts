import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { podFacts, type PodFacts } from "../../../services/kubelet-sim/logic/pod-facts.js";
import { newLocalPodState, planPod, type LocalPodState, type StageContext } from "../../../services/kubelet-sim/logic/stages.js";
import { KILLED_EXIT_CODE, runningStatus, terminatedStatus } from "../../../services/kubelet-sim/logic/status.js";

const NOW = 1_700_000_000_000;
const OUR_NODE = "sim-0";

function facts(over: Partial<PodFacts> = {}): PodFacts {
  return {
    namespace: "ns",
    name: "p",
    uid: "u-1",
    resourceVersion: "10",
    nodeName: null,
    phase: "Pending",
    deleting: false,
    finalizers: [],
    startTimeMs: null,
    finishedAtMs: null,
    controllerUID: null,
    annotations: {},
    containerNames: ["main"],
    restartPolicy: "Never",
    restartCount: 0,
    foreignConditions: [],
    ...over,
  };
}

function ctx(over: Partial<StageContext> = {}): StageContext {
  return {
    nowMs: NOW,
    isOwnNode: (n) => n === OUR_NODE,
    behaviour: { startDelayMs: 100, durationMs: 1000, exitCode: 0, failureCondition: null, restarts: 0, terminationGraceMs: 0, problems: [] },
    podGcDelayMs: -1,
    ...over,
  };
}

describe("planPod", () => {
  const cases: { name: string; pod: Partial<PodFacts>; local?: Partial<LocalPodState>; ctx?: Partial<StageContext>; want: { stage: string; dueAtMs: number } | null }[] = [
    // progression
    { name: "an unscheduled Pod is bound at once", pod: {}, want: { stage: "bind", dueAtMs: NOW } },
    { name: "a Pending Pod on our node starts after the start delay from when it was seen bound", pod: { nodeName: OUR_NODE }, local: { boundSeenAtMs: NOW - 30 }, want: { stage: "start", dueAtMs: NOW + 70 } },
    { name: "a Running Pod finishes its duration after our start", pod: { nodeName: OUR_NODE, phase: "Running", startTimeMs: NOW - 5000 }, local: { startedAtMs: NOW - 200 }, want: { stage: "finish", dueAtMs: NOW + 800 } },
    { name: "after a restart the Pod's startTime anchors the finish (no second full run)", pod: { nodeName: OUR_NODE, phase: "Running", startTimeMs: NOW - 5000 }, want: { stage: "finish", dueAtMs: NOW - 4000 } },
    { name: "a Pod on another node is left alone", pod: { nodeName: "real-node", phase: "Running" }, want: null },
    { name: "a Pending Pod on another node is left alone", pod: { nodeName: "real-node" }, want: null },
    { name: "a terminal Pod with PodGC off is left alone", pod: { nodeName: OUR_NODE, phase: "Succeeded" }, want: null },
    // deletion
    { name: "a Running Pod of ours being deleted is killed at once", pod: { nodeName: OUR_NODE, phase: "Running", deleting: true }, want: { stage: "kill", dueAtMs: NOW } },
    {
      name: "with termination-grace-ms a deleted Running Pod stays terminating that long from when it was seen deleted",
      pod: { nodeName: OUR_NODE, phase: "Running", deleting: true },
      local: { deletionSeenAtMs: NOW - 500 },
      ctx: { behaviour: { startDelayMs: 100, durationMs: 1000, exitCode: 0, failureCondition: null, restarts: 0, terminationGraceMs: 2000, problems: [] } },
      want: { stage: "kill", dueAtMs: NOW + 1500 },
    },
    { name: "a Pending bound Pod being deleted is killed too", pod: { nodeName: OUR_NODE, deleting: true }, want: { stage: "kill", dueAtMs: NOW } },
    { name: "a terminal Pod of ours being deleted is removed with grace 0", pod: { nodeName: OUR_NODE, phase: "Failed", deleting: true }, want: { stage: "remove", dueAtMs: NOW } },
    { name: "no second DELETE once one was accepted (the finalizer holds the Pod)", pod: { nodeName: OUR_NODE, phase: "Succeeded", deleting: true, finalizers: ["x"] }, local: { deleteRequested: true }, want: null },
    { name: "an unbound Pod being deleted is the API server's business", pod: { deleting: true }, want: null },
    { name: "a deleting Pod on another node is left to its kubelet", pod: { nodeName: "real-node", phase: "Running", deleting: true }, want: null },
    { name: "deletion wins over a due finish", pod: { nodeName: OUR_NODE, phase: "Running", deleting: true, startTimeMs: NOW - 10_000 }, want: { stage: "kill", dueAtMs: NOW } },
    // PodGC
    { name: "PodGC 0 deletes a terminated Pod the moment it finished", pod: { nodeName: OUR_NODE, phase: "Succeeded", finishedAtMs: NOW - 1 }, ctx: { podGcDelayMs: 0 }, want: { stage: "gc", dueAtMs: NOW - 1 } },
    { name: "PodGC delay counts from our own finish time", pod: { nodeName: OUR_NODE, phase: "Failed", finishedAtMs: NOW - 3000 }, local: { finishedAtMs: NOW - 10 }, ctx: { podGcDelayMs: 500 }, want: { stage: "gc", dueAtMs: NOW + 490 } },
    { name: "PodGC also collects terminated Pods of other nodes", pod: { nodeName: "real-node", phase: "Failed", finishedAtMs: NOW }, ctx: { podGcDelayMs: 100 }, want: { stage: "gc", dueAtMs: NOW + 100 } },
    { name: "PodGC leaves running Pods alone", pod: { nodeName: OUR_NODE, phase: "Running", startTimeMs: NOW }, ctx: { podGcDelayMs: 0 }, want: { stage: "finish", dueAtMs: NOW + 1000 } },
    { name: "PodGC does not delete twice", pod: { nodeName: OUR_NODE, phase: "Succeeded" }, local: { deleteRequested: true }, ctx: { podGcDelayMs: 0 }, want: null },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = planPod(facts(c.pod), { ...newLocalPodState(), ...c.local }, ctx(c.ctx));
      assert.deepEqual(got, c.want);
    });
  }
});

describe("podFacts", () => {
  test("reads the controller owner, deletion, times and containers", () => {
    const pod: V1Pod = {
      metadata: {
        name: "p",
        namespace: "ns",
        uid: "u",
        resourceVersion: "5",
        deletionTimestamp: new Date(NOW),
        finalizers: ["batch.kubernetes.io/job-tracking"],
        ownerReferences: [
          { apiVersion: "v1", kind: "Thing", name: "t", uid: "not-controller" },
          { apiVersion: "batch/v1", kind: "Job", name: "j", uid: "job-uid", controller: true },
        ],
      },
      spec: { nodeName: OUR_NODE, containers: [{ name: "a" }, { name: "b" }] },
      status: {
        phase: "Failed",
        startTime: new Date(NOW - 2000),
        containerStatuses: [
          { name: "a", image: "i", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 1, finishedAt: new Date(NOW - 500) } } },
          { name: "b", image: "i", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, finishedAt: new Date(NOW - 100) } } },
        ],
      },
    };
    const f = podFacts(pod);
    assert.equal(f.controllerUID, "job-uid");
    assert.equal(f.deleting, true);
    assert.equal(f.phase, "Failed");
    assert.equal(f.startTimeMs, NOW - 2000);
    assert.equal(f.finishedAtMs, NOW - 100);
    assert.deepEqual(f.containerNames, ["a", "b"]);
  });

  test("a Pod with no status is Pending, unbound, not deleting", () => {
    const f = podFacts({ metadata: { name: "p", namespace: "ns", uid: "u" }, spec: { containers: [{ name: "c" }] } });
    assert.equal(f.phase, "Pending");
    assert.equal(f.nodeName, null);
    assert.equal(f.deleting, false);
    assert.equal(f.controllerUID, null);
  });
});

describe("status patches", () => {
  const f = facts({ nodeName: OUR_NODE, uid: "uid-9", containerNames: ["a", "b"] });
  test("Running: Ready True, every container running, a pod IP and start time, guarded by the UID", () => {
    const s = runningStatus(f, NOW) as { metadata: { uid: string }; status: Record<string, unknown> };
    assert.equal(s.metadata.uid, "uid-9");
    assert.equal(s.status.phase, "Running");
    const ready = (s.status.conditions as { type: string; status: string }[]).find((c) => c.type === "Ready");
    assert.equal(ready?.status, "True");
    assert.match(String(s.status.podIP), /^10\.244\.\d+\.\d+$/);
    assert.match(String(s.status.startTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const cs = s.status.containerStatuses as { name: string; state: { running?: unknown } }[];
    assert.deepEqual(cs.map((c) => c.name), ["a", "b"]);
    assert.ok(cs.every((c) => c.state.running));
  });
  const terminal: { name: string; exitCode: number; phase: string }[] = [
    { name: "exit 0 → Succeeded", exitCode: 0, phase: "Succeeded" },
    { name: "exit 1 → Failed", exitCode: 1, phase: "Failed" },
    { name: "killed (137) → Failed", exitCode: KILLED_EXIT_CODE, phase: "Failed" },
  ];
  for (const c of terminal) {
    test(`terminated: ${c.name}, containers terminated with the exit code and finishedAt`, () => {
      const s = terminatedStatus(f, c.exitCode, "Error", NOW, NOW - 1000) as { status: Record<string, unknown> };
      assert.equal(s.status.phase, c.phase);
      const cs = s.status.containerStatuses as { state: { terminated: { exitCode: number; finishedAt: string } } }[];
      assert.ok(cs.every((x) => x.state.terminated.exitCode === c.exitCode && x.state.terminated.finishedAt.endsWith("Z")));
      const ready = (s.status.conditions as { type: string; status: string }[]).find((x) => x.type === "Ready");
      assert.equal(ready?.status, "False");
    });
  }
});
