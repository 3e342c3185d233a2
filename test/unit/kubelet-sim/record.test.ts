import { test } from "node:test";
import assert from "node:assert/strict";
import { OutcomeRecord, type RecordedPod } from "../../../services/kubelet-sim/record.js";

const entry = (over: Partial<RecordedPod>): RecordedPod => ({
  namespace: "ns",
  name: "p",
  podUID: "u",
  jobUID: "job-1",
  nodeName: "n0",
  phase: "Succeeded",
  exitCode: 0,
  deletedBeforeFinish: false,
  recordedAt: "2025-01-01T00:00:00.000Z",
  ...over,
});

test("the record counts each Pod UID once, per Job, with deletions counted as failed and as deleted-before-finish", () => {
  const r = new OutcomeRecord();
  assert.equal(r.add(entry({ podUID: "a" })), true);
  assert.equal(r.add(entry({ podUID: "a", phase: "Failed" })), false, "a second outcome for the same UID is ignored");
  r.add(entry({ podUID: "b", phase: "Failed", exitCode: 1 }));
  r.add(entry({ podUID: "c", phase: "Failed", exitCode: 137, deletedBeforeFinish: true }));
  r.add(entry({ podUID: "d", phase: null, exitCode: null, deletedBeforeFinish: true }));
  r.add(entry({ podUID: "e", jobUID: null }));
  const snap = r.snapshot();
  assert.equal(snap.pods.length, 5);
  assert.deepEqual(snap.byJob, {
    "job-1": { succeeded: 1, failed: 2, deletedBeforeFinish: 2 },
    _none: { succeeded: 1, failed: 0, deletedBeforeFinish: 0 },
  });
  assert.equal(snap.pods.find((p) => p.podUID === "a")?.phase, "Succeeded");
});
