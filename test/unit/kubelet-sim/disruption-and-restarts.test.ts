/**
 * Steering single Pods for podFailurePolicy and restartPolicy OnFailure: the failure-condition
 * annotation (a Pod disrupted as preemption would: Failed, with DisruptionTarget), the restarts
 * annotation (restartCount 1..N while Running, then the last run), and conditions set by others
 * surviving the kubelet's own status writes.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import {
  ANNOTATION_EXIT_CODE,
  ANNOTATION_FAILURE_CONDITION,
  ANNOTATION_RESTARTS,
  DEFAULT_CONDITION_REASON,
  DISRUPTED_EXIT_CODE,
  podBehaviour,
  type BehaviourDefaults,
} from "../../../services/kubelet-sim/logic/behaviour.js";
import { podFacts, type PodFacts } from "../../../services/kubelet-sim/logic/pod-facts.js";
import { newLocalPodState, planPod, type StageContext } from "../../../services/kubelet-sim/logic/stages.js";
import { runningStatus, terminatedStatus } from "../../../services/kubelet-sim/logic/status.js";
import { OutcomeRecord } from "../../../services/kubelet-sim/record.js";

const NOW = 1_700_000_000_000;
const NODE = "sim-0";
const defaults: BehaviourDefaults = { startDelayMs: 50, durationMs: 1000, durationJitterMs: 0, failProbability: 0, seed: 7 };

describe("podBehaviour: failure-condition and restarts annotations", () => {
  const cases: { name: string; annotations: Record<string, string>; want: Record<string, unknown> }[] = [
    { name: "no annotations: no condition, no restarts", annotations: {}, want: { failureCondition: null, restarts: 0, exitCode: 0, problems: 0 } },
    {
      name: "Type:Reason sets the condition and kills the container (137)",
      annotations: { [ANNOTATION_FAILURE_CONDITION]: "DisruptionTarget:PreemptionByScheduler" },
      want: { failureCondition: { type: "DisruptionTarget", reason: "PreemptionByScheduler" }, exitCode: DISRUPTED_EXIT_CODE, problems: 0 },
    },
    {
      name: "a type alone gets the default reason",
      annotations: { [ANNOTATION_FAILURE_CONDITION]: "DisruptionTarget" },
      want: { failureCondition: { type: "DisruptionTarget", reason: DEFAULT_CONDITION_REASON }, problems: 0 },
    },
    {
      name: "a non-zero exit-code annotation is kept with a condition",
      annotations: { [ANNOTATION_FAILURE_CONDITION]: "ResourceLimitExceeded", [ANNOTATION_EXIT_CODE]: "42" },
      want: { failureCondition: { type: "ResourceLimitExceeded", reason: DEFAULT_CONDITION_REASON }, exitCode: 42 },
    },
    { name: "an unusable condition is ignored and reported", annotations: { [ANNOTATION_FAILURE_CONDITION]: "not a type!" }, want: { failureCondition: null, exitCode: 0, problems: 1 } },
    { name: "restarts N", annotations: { [ANNOTATION_RESTARTS]: "3" }, want: { restarts: 3, problems: 0 } },
    { name: "unusable restarts are ignored and reported", annotations: { [ANNOTATION_RESTARTS]: "-1" }, want: { restarts: 0, problems: 1 } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const b = podBehaviour({ namespace: "ns", name: "p", annotations: c.annotations }, defaults);
      const got: Record<string, unknown> = { failureCondition: b.failureCondition, restarts: b.restarts, exitCode: b.exitCode, problems: b.problems.length };
      for (const key of Object.keys(got)) if (!(key in c.want)) delete got[key];
      assert.deepStrictEqual(got, c.want, b.problems.join("; "));
    });
  }
});

function facts(over: Partial<PodFacts>): PodFacts {
  return {
    namespace: "ns",
    name: "p",
    uid: "u-1",
    resourceVersion: "10",
    nodeName: NODE,
    phase: "Running",
    deleting: false,
    finalizers: [],
    startTimeMs: NOW - 5000,
    finishedAtMs: null,
    controllerUID: null,
    annotations: {},
    containerNames: ["main"],
    restartPolicy: "OnFailure",
    restartCount: 0,
    foreignConditions: [],
    ...over,
  };
}

function ctx(restarts: number): StageContext {
  return {
    nowMs: NOW,
    isOwnNode: (n) => n === NODE,
    behaviour: { startDelayMs: 50, durationMs: 1000, exitCode: 0, failureCondition: null, restarts, terminationGraceMs: 0, problems: [] },
    podGcDelayMs: -1,
  };
}

describe("planPod: restarts before the last run", () => {
  const cases: { name: string; pod: Partial<PodFacts>; runStartedAtMs: number | null; restarts: number; want: { stage: string; dueAtMs: number } | null }[] = [
    { name: "OnFailure with restarts left: a restart when the run ends", pod: { restartCount: 1 }, runStartedAtMs: NOW - 200, restarts: 3, want: { stage: "restart", dueAtMs: NOW + 800 } },
    { name: "all restarts done: the last run finishes", pod: { restartCount: 3 }, runStartedAtMs: NOW - 200, restarts: 3, want: { stage: "finish", dueAtMs: NOW + 800 } },
    { name: "restartPolicy Never never restarts", pod: { restartPolicy: "Never" }, runStartedAtMs: NOW - 200, restarts: 3, want: { stage: "finish", dueAtMs: NOW + 800 } },
    { name: "a deleted Pod is killed, restarts or not", pod: { deleting: true, restartCount: 1 }, runStartedAtMs: NOW - 200, restarts: 3, want: { stage: "kill", dueAtMs: NOW } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepStrictEqual(planPod(facts(c.pod), { ...newLocalPodState(), startedAtMs: NOW - 3000, runStartedAtMs: c.runStartedAtMs }, ctx(c.restarts)), c.want);
    });
  }
});

type Status = { status: { phase: string; startTime: string; conditions: Record<string, unknown>[]; containerStatuses: Record<string, any>[] } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading patch JSON

describe("status patches for restarts and disruptions", () => {
  test("a restart reports restartCount, the failed run in lastState, and keeps the Pod's startTime", () => {
    const s = runningStatus(facts({}), NOW, { restartCount: 2, exitCode: 1, startedAtMs: NOW - 1000 }) as unknown as Status;
    const cs = s.status.containerStatuses[0];
    assert.deepStrictEqual(
      { phase: s.status.phase, restartCount: cs?.restartCount, last: cs?.lastState?.terminated?.exitCode, running: Boolean(cs?.state?.running), startTime: s.status.startTime },
      { phase: "Running", restartCount: 2, last: 1, running: true, startTime: new Date(NOW - 5000).toISOString().replace(".000Z", "Z") },
    );
  });

  test("a disrupted Pod ends Failed with the condition True, its reason and a message", () => {
    const s = terminatedStatus(facts({}), 137, "Error", NOW, NOW - 1000, { condition: { type: "DisruptionTarget", reason: "PreemptionByScheduler" } }) as unknown as Status;
    const c = s.status.conditions.find((x) => x.type === "DisruptionTarget");
    assert.deepStrictEqual({ phase: s.status.phase, status: c?.status, reason: c?.reason, message: c?.message }, { phase: "Failed", status: "True", reason: "PreemptionByScheduler", message: "kubelet-sim: PreemptionByScheduler" });
  });

  test("a condition set with exit code 0 still fails the Pod (a disruption is never a success)", () => {
    const s = terminatedStatus(facts({}), 0, "Completed", NOW, NOW - 1000, { condition: { type: "DisruptionTarget", reason: "EvictionByEvictionAPI" } }) as unknown as Status;
    assert.equal(s.status.phase, "Failed");
  });

  test("conditions someone else set survive the kubelet's writes (as a kubelet keeps DisruptionTarget after preemption)", () => {
    const pod: V1Pod = {
      metadata: { name: "p", namespace: "ns", uid: "u" },
      spec: { containers: [{ name: "main", image: "i" }], restartPolicy: "OnFailure" },
      status: {
        phase: "Running",
        conditions: [
          { type: "Ready", status: "True" },
          { type: "DisruptionTarget", status: "True", reason: "PreemptionByScheduler" },
        ],
        containerStatuses: [{ name: "main", image: "i", imageID: "", ready: true, restartCount: 2, state: { running: {} } }],
      },
    };
    const f = podFacts(pod);
    assert.deepStrictEqual({ restartPolicy: f.restartPolicy, restartCount: f.restartCount, foreign: f.foreignConditions.map((c) => c.type) }, { restartPolicy: "OnFailure", restartCount: 2, foreign: ["DisruptionTarget"] });
    const killed = terminatedStatus(f, 137, "Error", NOW, null, { restartCount: f.restartCount }) as unknown as Status;
    assert.deepStrictEqual(
      killed.status.conditions.map((c) => `${String(c.type)}=${String(c.status)}`),
      ["PodScheduled=True", "Initialized=True", "ContainersReady=False", "Ready=False", "DisruptionTarget=True"],
    );
    assert.equal(killed.status.containerStatuses[0]?.restartCount, 2, "the restart count is kept at the end");
  });
});

describe("the kubelet's record of failures with a condition", () => {
  test("failedWithCondition counts Failed Pods per condition type; other Pods leave it out", () => {
    const r = new OutcomeRecord();
    const base = { namespace: "ns", jobUID: "j", nodeName: NODE, deletedBeforeFinish: false, recordedAt: "t" };
    r.add({ ...base, name: "a", podUID: "a", phase: "Failed", exitCode: 137, failureCondition: "DisruptionTarget" });
    r.add({ ...base, name: "b", podUID: "b", phase: "Failed", exitCode: 137, failureCondition: "DisruptionTarget" });
    r.add({ ...base, name: "c", podUID: "c", phase: "Failed", exitCode: 1, failureCondition: null });
    r.add({ ...base, name: "d", podUID: "d", phase: "Succeeded", exitCode: 0 });
    r.add({ ...base, jobUID: "k", name: "e", podUID: "e", phase: "Succeeded", exitCode: 0 });
    const byJob = r.snapshot().byJob;
    assert.deepStrictEqual(byJob.j, { succeeded: 1, failed: 3, deletedBeforeFinish: 0, failedWithCondition: { DisruptionTarget: 2 } });
    assert.deepStrictEqual(byJob.k, { succeeded: 1, failed: 0, deletedBeforeFinish: 0 });
  });
});
