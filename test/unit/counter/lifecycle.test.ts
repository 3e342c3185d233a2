/**
 * Conditions, terminal states and Pod management, in the spirit of in-tree TestSyncJobPastDeadline,
 * TestSyncJobComplete, TestSyncJobPastBackoffLimit and the suspend cases of TestSyncJob.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { planJobSync, type SyncPlan } from "../../../services/counter/logic/index.js";
import { conditionTypes, expectFields, iso, makeJob, makeSnapshot, pod, T0, type JobSetup } from "./fixtures.js";

const started = { startTime: iso(T0 - 60_000) as unknown as Date };
const cond = (type: string, reason: string, message: string) => ({
  type,
  status: "True",
  reason,
  message,
  lastProbeTime: iso(T0 - 5000) as unknown as Date,
  lastTransitionTime: iso(T0 - 5000) as unknown as Date,
});
const FT_BACKOFF = cond("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
const SCM = cond("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods");

function summarize(plan: SyncPlan, job: V1Job): Record<string, unknown> {
  const status: V1JobStatus = plan.status ?? job.status ?? {};
  return {
    conditions: conditionTypes(status),
    reasons: (status.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason ?? ""}`),
    active: status.active ?? 0,
    ready: status.ready ?? 0,
    terminating: status.terminating ?? 0,
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
    uncountedFailed: status.uncountedTerminatedPods?.failed ?? [],
    uncountedSucceeded: status.uncountedTerminatedPods?.succeeded ?? [],
    startTime: status.startTime ?? null,
    completionTime: status.completionTime ?? null,
    deletions: plan.deletions.map((d) => `${d.podUID}:${d.reason}:${d.removeFinalizerFirst ? "rmFirst" : "keep"}`),
    creations: plan.creations.length,
    creationIndexes: plan.creations.map((c) => c.index),
    removals: plan.removals.map((r) => `${r.podUID}:${r.reason}`).sort(),
    events: plan.events.map((e) => `${e.type}/${e.reason}`),
    finished: plan.finished,
    requeueAfterMs: plan.requeueAfterMs,
    writesStatus: plan.status !== null,
    backoff: plan.backoff,
  };
}

interface Case {
  name: string;
  // job setup
  job?: JobSetup;
  status?: V1JobStatus;
  nowMs?: number;
  backoff?: { failuresAfterLastSuccess: number; lastFailureTimeMs: number | null };
  // pod setup
  pods?: PodView[];
  deletionsInFlight?: string[];
  creationsInFlight?: [string, number | null][];
  removalsInFlight?: string[];
  // expectations
  want: Record<string, unknown>;
}

const cases: Case[] = [
  // Failure.
  {
    name: "failed > backoffLimit: FailureTarget, active Pods deleted keeping their finalizer and listed as failed, no Failed yet",
    job: { backoffLimit: 1, parallelism: 1 },
    status: { ...started, failed: 1, active: 1 },
    pods: [pod("b", { phase: "Failed" }), pod("c", { ready: true })],
    want: {
      conditions: ["FailureTarget"],
      deletions: ["c:job-failed:keep"],
      uncountedFailed: ["c", "b"],
      removals: ["b:count", "c:count"],
      active: 0,
      ready: 0,
      terminating: 1,
      finished: false,
      events: ["Normal/SuccessfulDelete"],
    },
  },
  {
    name: "FailureTarget set and the lists drained: Failed with the same reason, counted, finished",
    status: { ...started, failed: 2, conditions: [FT_BACKOFF], uncountedTerminatedPods: { succeeded: [], failed: ["b", "c"] } },
    pods: [pod("b", { phase: "Failed", finalizer: false }), pod("c", { phase: "Running", gone: true })],
    want: {
      reasons: ["FailureTarget=True:BackoffLimitExceeded", "Failed=True:BackoffLimitExceeded"],
      failed: 4,
      uncountedFailed: [],
      active: 0,
      terminating: 0,
      finished: true,
      events: ["Warning/BackoffLimitExceeded"],
      completionTime: null,
    },
  },
  {
    name: "FailureTarget set but a Pod is still terminating (finalizer gone, grace period running): no Failed yet (kubernetes#123775)",
    status: { ...started, failed: 3, conditions: [FT_BACKOFF] },
    pods: [pod("c", { phase: "Running", deleting: true, finalizer: false })],
    want: { conditions: ["FailureTarget"], terminating: 1, finished: false, events: [] },
  },
  {
    name: "FailureTarget set, lists empty but a listed Pod still shows the finalizer: Failed waits for the removal",
    status: { ...started, failed: 3, conditions: [FT_BACKOFF], uncountedTerminatedPods: { succeeded: [], failed: ["b"] } },
    pods: [pod("b", { phase: "Failed" })],
    removalsInFlight: ["b"],
    want: { conditions: ["FailureTarget"], uncountedFailed: ["b"], finished: false, removals: [] },
  },
  {
    name: "activeDeadlineSeconds exceeded since startTime: FailureTarget DeadlineExceeded and deletions",
    job: { activeDeadlineSeconds: 10, parallelism: 1 },
    status: { startTime: iso(T0 - 11_000) as unknown as Date, active: 1 },
    pods: [pod("a")],
    want: {
      reasons: ["FailureTarget=True:DeadlineExceeded"],
      deletions: ["a:deadline-exceeded:keep"],
      uncountedFailed: ["a"],
      finished: false,
      requeueAfterMs: null,
    },
  },
  {
    name: "activeDeadlineSeconds not reached: sync again when it would be",
    job: { activeDeadlineSeconds: 10, parallelism: 1 },
    status: { startTime: iso(T0 - 4000) as unknown as Date, active: 1, ready: 0 },
    pods: [pod("a")],
    want: { conditions: [], requeueAfterMs: 6000, writesStatus: false },
  },
  {
    name: "first sync of a Job: startTime set, Pods created up to parallelism",
    job: { parallelism: 3, completions: 5 },
    status: {},
    want: { startTime: iso(T0), creations: 3, active: 3, events: ["Normal/SuccessfulCreate"] },
  },
  // Success.
  {
    name: "the last success: SuccessCriteriaMet, the Pod listed, Complete waits for the count",
    job: { completions: 1, parallelism: 1 },
    status: { ...started, active: 1 },
    pods: [pod("a", { phase: "Succeeded" })],
    want: { reasons: ["SuccessCriteriaMet=True:CompletionsReached"], uncountedSucceeded: ["a"], completionTime: null, finished: false, active: 0 },
  },
  {
    name: "SuccessCriteriaMet and everything counted: Complete with completionTime in the same write as the count",
    job: { completions: 1, parallelism: 1 },
    status: { ...started, conditions: [SCM], uncountedTerminatedPods: { succeeded: ["a"], failed: [] } },
    pods: [pod("a", { phase: "Succeeded", finalizer: false })],
    want: {
      reasons: ["SuccessCriteriaMet=True:CompletionsReached", "Complete=True:CompletionsReached"],
      succeeded: 1,
      completionTime: iso(T0),
      finished: true,
      events: ["Normal/Completed"],
    },
  },
  {
    name: "a Complete Job writes nothing more and removes remaining finalizers without counting",
    job: { completions: 1 },
    status: {
      ...started,
      succeeded: 1,
      completionTime: iso(T0 - 1000) as unknown as Date,
      conditions: [SCM, cond("Complete", "CompletionsReached", "Reached expected number of succeeded pods")],
    },
    pods: [pod("x", { phase: "Failed" }), pod("y", { phase: "Succeeded", finalizer: false })],
    want: { writesStatus: false, removals: ["x:job-finished"], finished: true, succeeded: 1, failed: 0, creations: 0 },
  },
  {
    name: "Indexed: all indexes complete but a Pod still holds the finalizer: SuccessCriteriaMet, Complete waits",
    job: { indexed: true, completions: 2, parallelism: 2 },
    status: { ...started, active: 0 },
    pods: [pod("a", { phase: "Succeeded", index: 0 }), pod("b", { phase: "Succeeded", index: 1 })],
    want: { conditions: ["SuccessCriteriaMet"], succeeded: 2, finished: false, removals: ["a:index-recorded", "b:index-recorded"] },
  },
  {
    name: "completions reached while extra Pods run: they are deleted as excess (finalizer first) and the Job meets its criteria",
    job: { completions: 2, parallelism: 3 },
    status: { ...started, succeeded: 2, active: 1 },
    pods: [pod("x")],
    want: { conditions: ["SuccessCriteriaMet"], deletions: ["x:excess-active:rmFirst"], active: 0, terminating: 1, finished: false },
  },
  {
    name: "completions unset: after the first success no new Pods, no success while others run",
    job: { completions: null, parallelism: 3 },
    status: { ...started, active: 3 },
    pods: [pod("a", { phase: "Succeeded" }), pod("b"), pod("c")],
    want: { conditions: [], creations: 0, uncountedSucceeded: ["a"], active: 2 },
  },
  {
    name: "completions unset: a success and nothing active is success",
    job: { completions: null, parallelism: 3 },
    status: { ...started, succeeded: 1, active: 1 },
    pods: [pod("b", { phase: "Failed" })],
    want: { conditions: ["SuccessCriteriaMet"], uncountedFailed: ["b"], creations: 0 },
  },
  // Suspend / resume.
  {
    name: "suspend: every active Pod deleted with its finalizer removed first, Suspended=True, startTime cleared",
    job: { suspend: true, parallelism: 2 },
    status: { ...started, active: 2 },
    pods: [pod("a", { ready: true }), pod("b")],
    want: {
      reasons: ["Suspended=True:JobSuspended"],
      deletions: ["b:suspended:rmFirst", "a:suspended:rmFirst"],
      active: 0,
      ready: 0,
      terminating: 2,
      startTime: null,
      events: ["Normal/SuccessfulDelete", "Normal/Suspended"],
      uncountedFailed: [],
    },
  },
  {
    name: "a Job created suspended gets no startTime and no Pods",
    job: { suspend: true },
    status: {},
    want: { reasons: ["Suspended=True:JobSuspended"], startTime: null, creations: 0 },
  },
  {
    name: "resume: Suspended=False (JobResumed), startTime reset to now, Pods created",
    job: { suspend: false, parallelism: 2 },
    status: { conditions: [cond("Suspended", "JobSuspended", "Job suspended")] },
    want: { reasons: ["Suspended=False:JobResumed"], startTime: iso(T0), creations: 2, events: ["Normal/SuccessfulCreate", "Normal/Resumed"] },
  },
  // Pod management.
  {
    name: "parallelism lowered: the excess is deleted, not-ready and newest first",
    job: { parallelism: 1, completions: 10 },
    status: { ...started, active: 3 },
    pods: [
      pod("old-ready", { ready: true, createdAtMs: T0 - 90_000 }),
      pod("new-ready", { ready: true, createdAtMs: T0 - 10_000 }),
      pod("pending", { phase: "Pending", createdAtMs: T0 - 95_000 }),
    ],
    want: { deletions: ["pending:excess-active:rmFirst", "new-ready:excess-active:rmFirst"], active: 1, ready: 1, terminating: 2, creations: 0 },
  },
  {
    name: "deletions in flight are not planned again and count as terminating",
    job: { parallelism: 1, completions: 10 },
    status: { ...started, active: 1, ready: 1, terminating: 2 },
    pods: [pod("old-ready", { ready: true }), pod("x"), pod("y")],
    deletionsInFlight: ["x", "y"],
    want: { deletions: [], creations: 0, active: 1, terminating: 2, writesStatus: false },
  },
  {
    name: "creations in flight count as active: no duplicate creations",
    job: { parallelism: 3, completions: 10 },
    status: { ...started, active: 3 },
    pods: [pod("a")],
    creationsInFlight: [["pi-aaaaa", null], ["pi-bbbbb", null]],
    want: { creations: 0, deletions: [], active: 3 },
  },
  {
    name: "a failure waits for the backoff before its replacement, and asks to be synced when it expires",
    job: { parallelism: 2, completions: 10 },
    status: { ...started, active: 2 },
    pods: [pod("a"), pod("f", { phase: "Failed", finishedAtMs: T0 - 3000 })],
    want: { creations: 0, requeueAfterMs: 7000, backoff: { failuresAfterLastSuccess: 1, lastFailureTimeMs: T0 - 3000 }, uncountedFailed: ["f"] },
  },
  {
    name: "the replacement is created once the backoff (10 s x 2^(n-1)) has passed",
    job: { parallelism: 2, completions: 10 },
    status: { ...started, failed: 2, active: 1 },
    backoff: { failuresAfterLastSuccess: 2, lastFailureTimeMs: T0 - 20_000 },
    pods: [pod("a")],
    want: { creations: 1, requeueAfterMs: null },
  },
  {
    name: "a success resets the backoff",
    job: { parallelism: 2, completions: 10 },
    status: { ...started, failed: 2, active: 1 },
    backoff: { failuresAfterLastSuccess: 2, lastFailureTimeMs: T0 - 1000 },
    pods: [pod("a"), pod("s", { phase: "Succeeded", finishedAtMs: T0 - 500 })],
    want: { creations: 1, backoff: { failuresAfterLastSuccess: 0, lastFailureTimeMs: null } },
  },
  {
    name: "Indexed: Pods for the lowest indexes neither completed, active nor in flight",
    job: { indexed: true, completions: 6, parallelism: 4 },
    status: { ...started, succeeded: 1, completedIndexes: "0", active: 1 },
    pods: [pod("a", { index: 2 })],
    creationsInFlight: [["pi-1-zzzzz", 1]],
    want: { creationIndexes: [3, 4] },
  },
  {
    name: "Indexed: a repeated index keeps one Pod; an out-of-range index is deleted",
    job: { indexed: true, completions: 3, parallelism: 3 },
    status: { ...started, active: 4 },
    pods: [pod("a", { index: 0, ready: true }), pod("b", { index: 0 }), pod("c", { index: 1 }), pod("d", { index: 7 })],
    want: { deletions: ["d:excess-active:rmFirst", "b:excess-active:rmFirst"], creations: 0 },
  },
];

describe("planJobSync conditions and Pod management", () => {
  for (const c of cases) {
    test(c.name, () => {
      const job = makeJob({ ...c.job, status: c.status ?? { ...started } });
      const plan = planJobSync(
        makeSnapshot({
          job,
          pods: c.pods,
          nowMs: c.nowMs,
          backoff: c.backoff,
          deletionsInFlight: c.deletionsInFlight,
          creationsInFlight: c.creationsInFlight,
          removalsInFlight: c.removalsInFlight,
        }),
      );
      expectFields(c.name, summarize(plan, job), c.want);
    });
  }
});

describe("the cap on creations in flight (creationAllowance)", () => {
  const cases: { name: string; allowance: number | undefined; active: number; want: { creations: number; requeue: boolean } }[] = [
    { name: "no cap: parallelism 10 from nothing creates 10", allowance: undefined, active: 0, want: { creations: 10, requeue: false } },
    { name: "allowance 4 for a want of 10: no room for the whole want, nothing now, looks again shortly", allowance: 4, active: 0, want: { creations: 0, requeue: true } },
    { name: "allowance 10 for a want of 10: creates 10", allowance: 10, active: 0, want: { creations: 10, requeue: false } },
    { name: "allowance 0: creates nothing and looks again shortly", allowance: 0, active: 0, want: { creations: 0, requeue: true } },
    { name: "allowance above the need: creates the need only", allowance: 100, active: 7, want: { creations: 3, requeue: false } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pods = Array.from({ length: c.active }, (_, i) => pod(`r${i}`, { phase: "Running" }));
      const plan = planJobSync({ ...makeSnapshot({ job: makeJob({ completions: 100, parallelism: 10 }), pods }), creationAllowance: c.allowance });
      assert.equal(plan.creations.length, c.want.creations);
      assert.equal(plan.requeueAfterMs !== null, c.want.requeue, `requeueAfterMs ${plan.requeueAfterMs}`);
    });
  }
  test("a big want takes room in chunks of at least 100", () => {
    const job = makeJob({ completions: 1000, parallelism: 500 });
    assert.equal(planJobSync({ ...makeSnapshot({ job }), creationAllowance: 99 }).creations.length, 0);
    assert.equal(planJobSync({ ...makeSnapshot({ job }), creationAllowance: 150 }).creations.length, 150);
  });
  test("deletions of excess Pods are not limited by it", () => {
    const pods = Array.from({ length: 8 }, (_, i) => pod(`r${i}`, { phase: "Running" }));
    const plan = planJobSync({ ...makeSnapshot({ job: makeJob({ completions: 100, parallelism: 3 }), pods }), creationAllowance: 0 });
    assert.equal(plan.deletions.length, 5);
  });
});
