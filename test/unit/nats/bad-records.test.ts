/**
 * Malformed and unknown-version records and intents (issue 11, bad input) are refused by the
 * parsers with a reason, which the consumers dead-letter (view-reader, intent-queue tests) instead
 * of crashing or retrying forever.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MalformedIntentError, parseIntent } from "../../../shared/intents/validate.js";
import { MalformedRecordError, parseViewRecord } from "../../../shared/view/validate.js";

const intent = { v: 2, epoch: 1, holder: "c", kind: "removeFinalizer", partition: 0, jobUID: "j", namespace: "ns", name: "p", podUID: "u", reason: "count" };
const pod = { v: 1, kind: "pod", uid: "u", name: "p", namespace: "ns", jobUID: "j", resourceVersion: "1", phase: "Running", hasFinalizer: true, deletionTimestamp: null, gone: false, ready: false, completionIndex: null, creationTimestamp: null, finishedAt: null };

const intentCases: { name: string; data: string; reason: RegExp }[] = [
  { name: "a newer intent version", data: JSON.stringify({ ...intent, v: 3 }), reason: /unsupported intent version 3/ },
  { name: "no version", data: JSON.stringify({ ...intent, v: undefined }), reason: /unsupported intent version/ },
  { name: "an unknown kind", data: JSON.stringify({ ...intent, kind: "deleteNamespace" }), reason: /unknown intent kind "deleteNamespace"/ },
  { name: "JSON cut short", data: JSON.stringify(intent).slice(0, 40), reason: /not JSON/ },
  { name: "a JSON array", data: "[1,2]", reason: /object/ },
  { name: "a negative partition", data: JSON.stringify({ ...intent, partition: -1 }), reason: /partition/ },
  { name: "an empty pod UID", data: JSON.stringify({ ...intent, podUID: "" }), reason: /podUID/ },
  { name: "a creation whose pod has no name", data: JSON.stringify({ ...intent, kind: "createPod", jobName: "j", pod: { metadata: {} } }), reason: /metadata\.name/ },
];
for (const c of intentCases) {
  test(`parseIntent refuses ${c.name}`, () => {
    assert.throws(() => parseIntent(c.data), (err: unknown) => err instanceof MalformedIntentError && c.reason.test(err.message));
  });
}

const recordCases: { name: string; data: string; reason: RegExp }[] = [
  { name: "a newer record version", data: JSON.stringify({ ...pod, v: 2 }), reason: /unsupported record version 2/ },
  { name: "an unknown phase", data: JSON.stringify({ ...pod, phase: "Exploded" }), reason: /unknown pod phase/ },
  { name: "JSON cut short", data: JSON.stringify(pod).slice(0, 50), reason: /not JSON/ },
  { name: "a non-integer completion index", data: JSON.stringify({ ...pod, completionIndex: 1.5 }), reason: /completionIndex/ },
  { name: "a string", data: '"pod"', reason: /object/ },
];
for (const c of recordCases) {
  test(`parseViewRecord refuses ${c.name}`, () => {
    assert.throws(() => parseViewRecord(c.data), (err: unknown) => err instanceof MalformedRecordError && c.reason.test(err.message));
  });
}
