/**
 * Counting, in the spirit of in-tree TestTrackJobStatusAndRemoveFinalizers: which UIDs a sync
 * lists, which it counts, which finalizers it removes, all in one status write.
 */
import { describe, test } from "node:test";
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { planJobSync, type SyncPlan } from "../../../services/counter/logic/index.js";
import { expectFields, iso, makeJob, makeSnapshot, pod, T0, type JobSetup } from "./fixtures.js";

function summarize(plan: SyncPlan, job: V1Job): Record<string, unknown> {
  const status: V1JobStatus = plan.status ?? job.status ?? {};
  return {
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
    uncountedSucceeded: status.uncountedTerminatedPods?.succeeded ?? [],
    uncountedFailed: status.uncountedTerminatedPods?.failed ?? [],
    completedIndexes: status.completedIndexes ?? "",
    removals: plan.removals.map((r) => `${r.podUID}:${r.reason}`).sort(),
    counted: [...plan.counted].sort(),
    writesStatus: plan.status !== null,
  };
}

const started = { startTime: iso(T0 - 60_000) as unknown as Date };

interface Case {
  name: string;
  // job setup
  job?: JobSetup;
  status?: V1JobStatus;
  // pod setup
  pods: PodView[];
  removalsInFlight?: string[];
  deletionsInFlight?: string[];
  maxUncountedPods?: number;
  // expectations
  want: Record<string, unknown>;
}

const cases: Case[] = [
  {
    name: "new finished Pods are listed and get their removals; nothing is counted yet",
    pods: [pod("a", { phase: "Succeeded" }), pod("b", { phase: "Failed" }), pod("c")],
    want: { succeeded: 0, failed: 0, uncountedSucceeded: ["a"], uncountedFailed: ["b"], removals: ["a:count", "b:count"], counted: [], writesStatus: true },
  },
  {
    name: "past listed Pods without the finalizer are counted and new ones fill the lists in the same write",
    status: { ...started, succeeded: 2, failed: 1, uncountedTerminatedPods: { succeeded: ["a"], failed: ["b"] } },
    pods: [
      pod("a", { phase: "Succeeded", finalizer: false }),
      pod("b", { phase: "Failed", finalizer: false }),
      pod("c", { phase: "Succeeded" }),
      pod("d", { phase: "Failed" }),
    ],
    want: { succeeded: 3, failed: 2, uncountedSucceeded: ["c"], uncountedFailed: ["d"], removals: ["c:count", "d:count"], counted: ["a", "b"] },
  },
  {
    name: "a removal in flight is not planned again and its Pod is not counted while the view shows the finalizer",
    status: { ...started, active: 0, ready: 0, uncountedTerminatedPods: { succeeded: ["a"], failed: [] } },
    job: { parallelism: 0 },
    pods: [pod("a", { phase: "Succeeded" })],
    removalsInFlight: ["a"],
    want: { succeeded: 0, uncountedSucceeded: ["a"], removals: [], counted: [], writesStatus: false },
  },
  {
    name: "listed Pods whose removal is not in flight get it (again) without a status write",
    status: { ...started, active: 0, ready: 0, uncountedTerminatedPods: { succeeded: ["a"], failed: [] } },
    job: { parallelism: 0 },
    pods: [pod("a", { phase: "Succeeded" })],
    want: { uncountedSucceeded: ["a"], removals: ["a:count"], writesStatus: false },
  },
  {
    name: "partial removal success: Pods without the finalizer are counted, the others stay listed",
    status: { ...started, uncountedTerminatedPods: { succeeded: ["a", "b"], failed: ["c", "d"] } },
    pods: [
      pod("a", { phase: "Succeeded", finalizer: false }),
      pod("b", { phase: "Succeeded" }),
      pod("c", { phase: "Failed", finalizer: false }),
      pod("d", { phase: "Failed" }),
    ],
    removalsInFlight: ["d"],
    want: { succeeded: 1, failed: 1, uncountedSucceeded: ["b"], uncountedFailed: ["d"], removals: ["b:count"], counted: ["a", "c"] },
  },
  {
    name: "a Pod that flips from Failed to Succeeded stays listed as failed and is never added to succeeded (kubernetes#125410)",
    status: { ...started, uncountedTerminatedPods: { succeeded: [], failed: ["a"] } },
    pods: [pod("a", { phase: "Succeeded" })],
    want: { uncountedSucceeded: [], uncountedFailed: ["a"], removals: ["a:count"] },
  },
  {
    name: "a listed succeeded Pod later shown as Failed is not added to the failed list",
    status: { ...started, uncountedTerminatedPods: { succeeded: ["a"], failed: [] } },
    pods: [pod("a", { phase: "Failed" })],
    want: { uncountedSucceeded: ["a"], uncountedFailed: [], removals: ["a:count"] },
  },
  {
    name: "a listed Pod that is gone before its removal was observed is counted",
    status: { ...started, uncountedTerminatedPods: { succeeded: [], failed: ["a"] } },
    pods: [pod("a", { phase: "Running", deleting: true, gone: true })],
    removalsInFlight: ["a"],
    want: { failed: 1, uncountedFailed: [], counted: ["a"], removals: [] },
  },
  {
    name: "a listed UID the view does not know at all (tombstone purged) is counted",
    status: { ...started, succeeded: 4, uncountedTerminatedPods: { succeeded: ["x"], failed: [] } },
    pods: [],
    want: { succeeded: 5, uncountedSucceeded: [], counted: ["x"] },
  },
  {
    name: "finished Pods without the finalizer that were never listed are never counted",
    pods: [pod("a", { phase: "Succeeded", finalizer: false }), pod("b", { phase: "Failed", finalizer: false })],
    want: { succeeded: 0, failed: 0, uncountedSucceeded: [], uncountedFailed: [], removals: [], counted: [] },
  },
  {
    name: "a deleted Pod that did not succeed is listed as failed; a deleted Succeeded Pod as succeeded",
    pods: [pod("a", { phase: "Running", deleting: true }), pod("b", { phase: "Succeeded", deleting: true })],
    want: { uncountedSucceeded: ["b"], uncountedFailed: ["a"], removals: ["a:count", "b:count"] },
  },
  {
    name: "a Pod jobtally is deleting itself (finalizer removed first) is not a failure",
    pods: [pod("a", { phase: "Running", deleting: true })],
    deletionsInFlight: ["a"],
    want: { uncountedFailed: [], removals: [] },
  },
  {
    name: "with podReplacementPolicy Failed a terminating Pod is not failed until its phase says so",
    job: { podReplacementPolicy: "Failed" },
    pods: [pod("a", { phase: "Running", deleting: true }), pod("b", { phase: "Failed", deleting: true })],
    want: { uncountedFailed: ["b"], removals: ["b:count"] },
  },
  {
    name: "the cap counts the old first and fills only the freed room",
    status: { ...started, uncountedTerminatedPods: { succeeded: ["a", "b"], failed: [] } },
    pods: [
      pod("a", { phase: "Succeeded", finalizer: false }),
      pod("b", { phase: "Succeeded" }),
      pod("c", { phase: "Succeeded", finishedAtMs: T0 - 4000 }),
      pod("d", { phase: "Failed", finishedAtMs: T0 - 3000 }),
      pod("e", { phase: "Succeeded", finishedAtMs: T0 - 2000 }),
    ],
    maxUncountedPods: 3,
    want: { succeeded: 1, uncountedSucceeded: ["b", "c"], uncountedFailed: ["d"], removals: ["b:count", "c:count", "d:count"], counted: ["a"] },
  },
  {
    name: "Indexed: succeeded indexes go to completedIndexes, duplicates once, indexes >= completions ignored, failures listed",
    job: { indexed: true, completions: 4 },
    pods: [
      pod("a", { phase: "Succeeded", index: 0 }),
      pod("b1", { phase: "Succeeded", index: 1 }),
      pod("b2", { phase: "Succeeded", index: 1 }),
      pod("z", { phase: "Succeeded", index: 5 }),
      pod("f", { phase: "Failed", index: 2 }),
      pod("g", { phase: "Failed", index: 9 }),
    ],
    want: {
      succeeded: 2,
      completedIndexes: "0,1",
      uncountedSucceeded: [],
      uncountedFailed: ["f"],
      removals: ["a:index-recorded", "b1:index-recorded", "b2:index-recorded", "f:count", "g:index-recorded", "z:index-recorded"],
    },
  },
  {
    name: "Indexed: new indexes merge into the recorded intervals",
    job: { indexed: true, completions: 10 },
    status: { ...started, succeeded: 3, completedIndexes: "0-2" },
    pods: [pod("d", { phase: "Succeeded", index: 3 }), pod("e", { phase: "Succeeded", index: 7 })],
    want: { succeeded: 5, completedIndexes: "0-3,7", removals: ["d:index-recorded", "e:index-recorded"] },
  },
  {
    name: "Indexed: a Pod listed as failed that flips to Succeeded does not complete its index",
    job: { indexed: true, completions: 4 },
    status: { ...started, uncountedTerminatedPods: { succeeded: [], failed: ["a"] } },
    pods: [pod("a", { phase: "Succeeded", index: 0 })],
    want: { succeeded: 0, completedIndexes: "", uncountedFailed: ["a"], removals: ["a:count"] },
  },
  {
    name: "counters never decrease, even when completedIndexes holds fewer indexes than succeeded",
    job: { indexed: true, completions: 4 },
    status: { ...started, succeeded: 3, completedIndexes: "0" },
    pods: [],
    want: { succeeded: 3, completedIndexes: "0" },
  },
];

describe("planJobSync counting", () => {
  for (const c of cases) {
    test(c.name, () => {
      const job = makeJob({ parallelism: c.pods.filter((p) => p.phase === "Running" && !p.deletionTimestamp).length, ...c.job, status: c.status ?? { ...started } });
      const plan = planJobSync(
        makeSnapshot({
          job,
          pods: c.pods,
          removalsInFlight: c.removalsInFlight,
          deletionsInFlight: c.deletionsInFlight,
          options: c.maxUncountedPods === undefined ? {} : { maxUncountedPods: c.maxUncountedPods },
        }),
      );
      expectFields(c.name, summarize(plan, job), c.want);
    });
  }

  test("a plan whose status lists new UIDs carries exactly those removals, never for a UID it does not list", () => {
    const pods = [pod("a", { phase: "Succeeded" }), pod("b", { phase: "Failed" }), pod("c", { phase: "Failed" })];
    const plan = planJobSync(makeSnapshot({ job: makeJob(), pods, options: { maxUncountedPods: 2 } }));
    const listed = [...(plan.status?.uncountedTerminatedPods?.succeeded ?? []), ...(plan.status?.uncountedTerminatedPods?.failed ?? [])];
    expectFields("removals match listings", { listed: listed.sort(), removed: plan.removals.map((r) => r.podUID).sort() }, { listed: ["a", "b"], removed: ["a", "b"] });
  });

  test("the snapshot is not mutated", () => {
    const job = makeJob({ status: { ...started, uncountedTerminatedPods: { succeeded: ["a"], failed: [] } } });
    const before = JSON.stringify(job);
    planJobSync(makeSnapshot({ job, pods: [pod("a", { phase: "Succeeded", finalizer: false }), pod("b", { phase: "Failed" })] }));
    expectFields("job unchanged", { job: JSON.stringify(job) }, { job: before });
  });
});
