/**
 * What the view keeps of a Pod for podFailurePolicy and restartPolicy OnFailure: exit codes in
 * the order in-tree matches them, the conditions rules can name, the restart count; records of
 * ordinary Pods stay as they were, and records written before these fields still parse.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { podViewOf, samePodState } from "../../../shared/view/project.js";
import { MalformedRecordError, parseViewRecord } from "../../../shared/view/validate.js";

function apiPod(status: V1Pod["status"], deleting = false): V1Pod {
  return {
    metadata: {
      name: "p",
      namespace: "ns",
      uid: "u",
      resourceVersion: "7",
      finalizers: ["batch.kubernetes.io/job-tracking"],
      ...(deleting ? { deletionTimestamp: new Date("2024-01-01T00:00:00Z") } : {}),
    },
    status,
  };
}

const terminated = (name: string, exitCode: number, restartCount = 0) => ({
  name,
  image: "i",
  imageID: "",
  ready: false,
  restartCount,
  state: { terminated: { exitCode, finishedAt: new Date("2024-01-01T00:00:00Z") } },
});
const running = (name: string, restartCount: number) => ({ name, image: "i", imageID: "", ready: true, restartCount, state: { running: {} } });
const cond = (type: string, status: string) => ({ type, status });

describe("PodView fields for podFailurePolicy and OnFailure", () => {
  test("a failed Pod: non-zero exit codes, regular containers before init containers; every condition as type and status", () => {
    const view = podViewOf(
      apiPod({
        phase: "Failed",
        initContainerStatuses: [terminated("init", 5)],
        containerStatuses: [terminated("main", 143), terminated("sidecar", 0)],
        conditions: [cond("Ready", "False"), cond("DisruptionTarget", "True")],
      }),
    );
    assert.deepStrictEqual(
      { exitCodes: view.containerExitCodes, conditions: view.conditions, restartCount: view.restartCount },
      {
        exitCodes: [
          { name: "main", exitCode: 143 },
          { name: "init", exitCode: 5 },
        ],
        conditions: [
          { type: "Ready", status: "False" },
          { type: "DisruptionTarget", status: "True" },
        ],
        restartCount: undefined,
      },
    );
  });

  test("a running Pod keeps no lifecycle conditions (they change with every start) but keeps others, and sums restarts", () => {
    const view = podViewOf(
      apiPod({
        phase: "Running",
        initContainerStatuses: [terminated("init", 0, 1)],
        containerStatuses: [running("main", 2)],
        conditions: [cond("PodScheduled", "True"), cond("Ready", "True"), cond("DisruptionTarget", "True")],
      }),
    );
    assert.deepStrictEqual(
      { exitCodes: view.containerExitCodes, conditions: view.conditions, restartCount: view.restartCount },
      { exitCodes: undefined, conditions: [{ type: "DisruptionTarget", status: "True" }], restartCount: 3 },
    );
  });

  test("an ordinary running Pod's record has none of the new fields", () => {
    const view = podViewOf(apiPod({ phase: "Running", containerStatuses: [running("main", 0)], conditions: [cond("Ready", "True")] }));
    const json = JSON.parse(JSON.stringify(view)) as Record<string, unknown>;
    assert.deepStrictEqual(
      ["containerExitCodes", "conditions", "restartCount"].filter((k) => k in json),
      [],
    );
  });

  test("a deleted Pod keeps its lifecycle conditions (a rule may be matched while the Job fails)", () => {
    const view = podViewOf(apiPod({ phase: "Running", conditions: [cond("Ready", "False")] }, true));
    assert.deepStrictEqual(view.conditions, [{ type: "Ready", status: "False" }]);
  });

  test("a succeeded Pod, deleted or not, keeps no lifecycle conditions (no rule ever looks at it)", () => {
    const view = podViewOf(apiPod({ phase: "Succeeded", conditions: [cond("Ready", "False"), cond("Initialized", "True")] }, true));
    assert.equal(view.conditions, undefined);
  });

  test("samePodState sees a new restart, exit code or condition, and nothing else new", () => {
    const base = podViewOf(apiPod({ phase: "Running", containerStatuses: [running("main", 1)] }));
    assert.equal(samePodState(base, { ...base, resourceVersion: "8" }), true);
    assert.equal(samePodState(base, { ...base, restartCount: 2 }), false);
    assert.equal(samePodState(base, { ...base, containerExitCodes: [{ name: "main", exitCode: 1 }] }), false);
    assert.equal(samePodState(base, { ...base, conditions: [{ type: "DisruptionTarget", status: "True" }] }), false);
    assert.equal(samePodState({ ...base, conditions: [] }, { ...base, conditions: undefined }), true, "empty and absent are the same");
  });

  test("records round-trip, older records without the fields parse, malformed fields are rejected", () => {
    const view = podViewOf(apiPod({ phase: "Failed", containerStatuses: [terminated("main", 42, 1)], conditions: [cond("DisruptionTarget", "True")] }));
    assert.deepStrictEqual(parseViewRecord(JSON.stringify(view)), view);
    const old = { ...view } as Record<string, unknown>;
    delete old.containerExitCodes;
    delete old.conditions;
    delete old.restartCount;
    const parsed = parseViewRecord(JSON.stringify(old));
    assert.ok(parsed.kind === "pod" && parsed.containerExitCodes === undefined && parsed.conditions === undefined && parsed.restartCount === undefined);
    for (const bad of [{ containerExitCodes: [{ name: "main", exitCode: "42" }] }, { conditions: "DisruptionTarget" }, { restartCount: -1 }]) {
      assert.throws(() => parseViewRecord(JSON.stringify({ ...view, ...bad })), MalformedRecordError, JSON.stringify(bad));
    }
  });
});
