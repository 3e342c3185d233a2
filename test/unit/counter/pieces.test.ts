/** The small pieces: completed-index intervals, backoff arithmetic, Pod manifests and names. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  OrderedIntervals,
  buildPodForCreation,
  newPodName,
  podNamePrefixWithIndex,
  remainingBackoffMs,
  nextBackoffRecord,
} from "../../../services/counter/logic/index.js";
import { expectFields, makeJob, pod, seededRandom, T0 } from "./fixtures.js";

describe("OrderedIntervals (completedIndexes)", () => {
  const cases: { name: string; text: string; completions: number; add?: number[]; want: { format: string; total: number } }[] = [
    { name: "empty text is no index", text: "", completions: 5, want: { format: "", total: 0 } },
    { name: "two adjacent indexes are written with a comma, longer runs with a dash", text: "0,1,3-5", completions: 10, want: { format: "0,1,3-5", total: 5 } },
    { name: "adding indexes merges adjacent intervals", text: "0-2,5", completions: 10, add: [3, 4, 9, 9], want: { format: "0-5,9", total: 7 } },
    { name: "indexes at or above completions are dropped when parsing", text: "1-3,7,9", completions: 5, want: { format: "1-3", total: 3 } },
    { name: "an interval crossing completions is clipped", text: "2-8", completions: 5, want: { format: "2-4", total: 3 } },
    { name: "corrupt fragments are ignored", text: "x,1,3-a,4", completions: 5, want: { format: "1,4", total: 2 } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const iv = OrderedIntervals.parse(c.text, c.completions).withIndexes(c.add ?? []);
      expectFields(c.name, { format: iv.format(), total: iv.total() }, c.want);
    });
  }
  test("has() answers membership across intervals", () => {
    const iv = OrderedIntervals.parse("0-2,5,7-9", 10);
    expectFields("has", { hits: [0, 2, 3, 5, 6, 8, 10].map((ix) => iv.has(ix)) }, { hits: [true, true, false, true, false, true, false] });
  });
});

describe("failure backoff", () => {
  const cases: { name: string; failures: number; lastFailureAgoMs: number; want: number }[] = [
    { name: "no failures: no wait", failures: 0, lastFailureAgoMs: 0, want: 0 },
    { name: "one failure: 10 s from the failure", failures: 1, lastFailureAgoMs: 4000, want: 6000 },
    { name: "three failures: 40 s", failures: 3, lastFailureAgoMs: 0, want: 40_000 },
    { name: "many failures: capped at 10 minutes", failures: 20, lastFailureAgoMs: 0, want: 600_000 },
    { name: "long enough ago: no wait", failures: 2, lastFailureAgoMs: 21_000, want: 0 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = remainingBackoffMs({ failuresAfterLastSuccess: c.failures, lastFailureTimeMs: T0 - c.lastFailureAgoMs }, T0, 10_000, 600_000);
      expectFields(c.name, { remaining: got }, { remaining: c.want });
    });
  }
  test("failures that finished after the last new success still count", () => {
    const record = nextBackoffRecord(
      { failuresAfterLastSuccess: 4, lastFailureTimeMs: T0 - 90_000 },
      [pod("s", { phase: "Succeeded", finishedAtMs: T0 - 5000 })],
      [pod("f1", { phase: "Failed", finishedAtMs: T0 - 6000 }), pod("f2", { phase: "Failed", finishedAtMs: T0 - 1000 })],
      T0,
    );
    expectFields("record", { ...record }, { failuresAfterLastSuccess: 1, lastFailureTimeMs: T0 - 1000 });
  });
});

describe("Pod manifests", () => {
  test("a NonIndexed Pod: template labels plus the Job's, the tracking finalizer, a controller ownerReference", () => {
    const job = makeJob();
    const p = buildPodForCreation(job, "pi-abcde", null);
    expectFields("nonindexed", { metadata: p.metadata, hostname: p.spec?.hostname ?? null, env: p.spec?.containers[0]?.env ?? null }, {
      metadata: {
        name: "pi-abcde",
        namespace: "ns",
        labels: {
          app: "pi",
          "batch.kubernetes.io/controller-uid": "job-uid",
          "batch.kubernetes.io/job-name": "pi",
          "controller-uid": "job-uid",
          "job-name": "pi",
        },
        finalizers: ["batch.kubernetes.io/job-tracking"],
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "pi", uid: "job-uid", controller: true, blockOwnerDeletion: true }],
      },
      hostname: null,
      env: null,
    });
  });

  test("an Indexed Pod: index label and annotation, JOB_COMPLETION_INDEX in every container, hostname <job>-<index>", () => {
    const job = makeJob({ indexed: true });
    const p = buildPodForCreation(job, "pi-3-abcde", 3);
    expectFields("indexed", {
      label: p.metadata?.labels?.["batch.kubernetes.io/job-completion-index"],
      annotation: p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"],
      env: p.spec?.containers[0]?.env,
      hostname: p.spec?.hostname,
      templateUntouched: job.spec?.template.spec?.containers[0]?.env ?? null,
    }, {
      label: "3",
      annotation: "3",
      env: [{ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } }],
      hostname: "pi-3",
      templateUntouched: null,
    });
  });

  test("names stay within 63 characters, keeping the index whole", () => {
    const long = "x".repeat(70);
    const random = seededRandom(5);
    const plain = newPodName(long, null, random, new Set());
    const indexed = newPodName(long, 1234, random, new Set());
    expectFields("names", { plain: plain.length, indexedLength: indexed.length, indexedPrefix: podNamePrefixWithIndex(long, 1234).endsWith("-1234-"), shape: /^[a-z0-9-]+$/.test(plain + indexed) }, {
      plain: 63,
      indexedLength: 63,
      indexedPrefix: true,
      shape: true,
    });
  });
});

// Regression: with generateName's 5-character suffix, a 2,000-Pod Job reused a name often enough
// that the second creation was taken for a redelivery of the first and the Job stalled.
test("100,000 Pod names of one Job are all distinct", () => {
  const random = seededRandom(42);
  const names = new Set<string>();
  for (let i = 0; i < 100_000; i++) names.add(newPodName("a-job", null, random, new Set()));
  assert.equal(names.size, 100_000);
});
