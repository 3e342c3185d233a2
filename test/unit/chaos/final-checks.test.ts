/**
 * The chaos checker's end-of-run checks, fed whole runs as the observer and the kubelet simulator
 * would report them: a correct run passes, and each deliberately broken invariant (a miscount, a
 * Pod created twice, a finalizer left behind, a Job that never finished, another controller's Job
 * written) is reported.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Checker } from "../../../services/chaos/checker/checker.js";
import { finalChecks, type FinalInput, type RecordedPod } from "../../../services/chaos/checker/final-checks.js";
import { jobState, podState } from "../../../services/chaos/checker/objects.js";
import type { JobPlan, UnmanagedJobPlan } from "../../../services/chaos/plan.js";
import { MANAGED_BY, rawJob, rawPod, type JobFixture, type PodFixture } from "./fixtures.js";

const PLAN: JobPlan = { name: "job-0", indexed: false, completions: 2, parallelism: 2, backoffLimit: 6, activeDeadlineSeconds: null, podFailurePolicy: false, podAnnotations: {} };

interface Run {
  /** Observed in this order: Job states and Pod states (each a watch event). */
  events: ({ job: JobFixture } | { pod: PodFixture } | { podGone: PodFixture })[];
  record: Partial<RecordedPod>[];
  finalPods?: PodFixture[];
  plan?: JobPlan;
  unmanaged?: UnmanagedJobPlan[];
  deletedJobs?: string[];
}

function check(run: Run): { violations: string[]; checker: Checker } {
  const checker = new Checker(MANAGED_BY);
  let t = 0;
  for (const e of run.events) {
    t += 100;
    if ("job" in e) checker.onJob(rawJob(e.job), t, true);
    else if ("pod" in e) checker.onPod(rawPod(e.pod), t, true);
    else checker.onPodDeleted(rawPod(e.podGone), t, true);
  }
  const lastJobs = new Map<string, JobFixture>();
  for (const e of run.events) if ("job" in e) lastJobs.set(e.job.name ?? "job-0", e.job);
  const input: FinalInput = {
    jobs: [...checker.jobs.values()],
    pods: [...checker.pods.values()],
    record: run.record.map((r) => ({ podUID: "?", name: "?", jobUID: "job-uid", phase: null, exitCode: null, deletedBeforeFinish: false, recordedAt: "2026-01-01T00:00:00Z", ...r })),
    plannedJobs: [run.plan ?? PLAN],
    unmanaged: run.unmanaged ?? [],
    user: { deletedJobs: new Set(run.deletedJobs ?? []), releasesByJob: new Map() },
    finalJobs: [...lastJobs.values()].map((j) => jobState(rawJob(j))),
    finalPods: (run.finalPods ?? []).map((p) => podState(rawPod(p))),
    podGc: false,
  };
  return { violations: [...checker.violations, ...finalChecks(input).violations], checker };
}

/** Two Pods that succeed, counted the KEP-2307 way. */
const CLEAN: Run = {
  events: [
    { job: { rv: 1, completions: 2 } },
    { pod: { uid: "a", rv: 2 } },
    { pod: { uid: "b", rv: 3 } },
    { pod: { uid: "a", rv: 4, phase: "Succeeded" } },
    { pod: { uid: "b", rv: 5, phase: "Succeeded" } },
    { job: { rv: 6, completions: 2, uncounted: { succeeded: ["a", "b"] } } },
    { pod: { uid: "a", rv: 7, phase: "Succeeded", finalizer: false } },
    { pod: { uid: "b", rv: 8, phase: "Succeeded", finalizer: false } },
    { job: { rv: 9, completions: 2, succeeded: 2, conditions: [["SuccessCriteriaMet"], ["Complete", "CompletionsReached"]] } },
  ],
  record: [
    { podUID: "a", name: "pod-a", phase: "Succeeded", exitCode: 0 },
    { podUID: "b", name: "pod-b", phase: "Succeeded", exitCode: 0 },
  ],
};

function withLastJob(run: Run, job: Partial<JobFixture>): Run {
  const events = [...run.events];
  const last = events.pop() as { job: JobFixture };
  return { ...run, events: [...events, { job: { ...last.job, ...job } }] };
}

describe("chaos final checks", () => {
  test("a correct run has no violation", () => {
    assert.deepEqual(check(CLEAN).violations, []);
  });

  test("a Pod counted twice (succeeded 3 for two Pods) is caught", () => {
    const v = check(withLastJob(CLEAN, { succeeded: 3 })).violations;
    assert.ok(v.some((x) => x.includes("succeeded grew by 3 while 2 UIDs left")), v.join("\n"));
    assert.ok(v.some((x) => x.includes("counts succeeded 3, failed 0; the Pods allow succeeded 2..2")), v.join("\n"));
  });

  test("a success counted as a failure is caught UID by UID", () => {
    const run: Run = {
      ...CLEAN,
      events: CLEAN.events.map((e) => ("job" in e && e.job.rv === 6 ? { job: { ...e.job, uncounted: { succeeded: ["a"], failed: ["b"] } } } : "job" in e && e.job.rv === 9 ? { job: { ...e.job, succeeded: 1, failed: 1 } } : e)),
    };
    const v = check(run).violations;
    assert.ok(v.some((x) => x.includes("Pod pod-b counted failed, but {S}")), v.join("\n"));
  });

  test("a Pod created twice is caught: three certain successes for two completions", () => {
    const run: Run = {
      events: [
        { job: { rv: 1, completions: 2 } },
        { pod: { uid: "a", rv: 2, phase: "Succeeded" } },
        { pod: { uid: "b", rv: 3, phase: "Succeeded" } },
        { pod: { uid: "c", rv: 4, phase: "Succeeded" } },
        { job: { rv: 5, completions: 2, uncounted: { succeeded: ["a", "b", "c"] } } },
        { pod: { uid: "a", rv: 6, phase: "Succeeded", finalizer: false } },
        { pod: { uid: "b", rv: 7, phase: "Succeeded", finalizer: false } },
        { pod: { uid: "c", rv: 8, phase: "Succeeded", finalizer: false } },
        { job: { rv: 9, completions: 2, succeeded: 3, conditions: [["Complete"]] } },
      ],
      record: [],
    };
    const v = check(run).violations;
    assert.ok(v.some((x) => x.includes("3 Pods succeeded for 2 completions")), v.join("\n"));
  });

  test("Indexed: two Pods of one index succeeding is caught", () => {
    const run: Run = {
      plan: { ...PLAN, indexed: true },
      events: [
        { job: { rv: 1, indexed: true, completions: 2 } },
        { pod: { uid: "a", rv: 2, index: 0, phase: "Succeeded" } },
        { pod: { uid: "b", rv: 3, index: 0, phase: "Succeeded" } },
        { pod: { uid: "c", rv: 4, index: 1, phase: "Succeeded" } },
        { job: { rv: 5, indexed: true, completions: 2, succeeded: 2, completedIndexes: "0-1", conditions: [["Complete"]] } },
        { pod: { uid: "a", rv: 6, index: 0, phase: "Succeeded", finalizer: false } },
        { pod: { uid: "b", rv: 7, index: 0, phase: "Succeeded", finalizer: false } },
        { pod: { uid: "c", rv: 8, index: 1, phase: "Succeeded", finalizer: false } },
      ],
      record: [],
    };
    const v = check(run).violations;
    assert.ok(v.some((x) => x.includes("2 Pods of index 0 succeeded")), v.join("\n"));
  });

  test("Indexed: an index recorded that no Pod completed is caught", () => {
    const run: Run = {
      plan: { ...PLAN, indexed: true },
      events: [
        { job: { rv: 1, indexed: true, completions: 2 } },
        { pod: { uid: "a", rv: 2, index: 0, phase: "Succeeded" } },
        { pod: { uid: "b", rv: 3, index: 1, phase: "Failed" } },
        { job: { rv: 4, indexed: true, completions: 2, succeeded: 2, completedIndexes: "0-1", conditions: [["Complete"]] } },
      ],
      record: [],
    };
    const v = check(run).violations;
    assert.ok(v.some((x) => x.includes("completedIndexes has 1, which no Pod succeeded for")), v.join("\n"));
  });

  test("a Pod left holding the finalizer after its Job finished is caught", () => {
    const v = check({ ...CLEAN, finalPods: [{ uid: "a", rv: 7, phase: "Succeeded" }] }).violations;
    assert.ok(v.some((x) => x.includes("Pod pod-a still holds the finalizer (its Job is finished or deleted")), v.join("\n"));
  });

  test("a managed Job that never finished is caught", () => {
    const run: Run = { events: CLEAN.events.slice(0, -1), record: CLEAN.record };
    const v = check(run).violations;
    assert.ok(v.some((x) => x.includes("Job job-0: never finished")), v.join("\n"));
  });

  test("a Job the user deleted is not counted, but its Pods must lose the finalizer", () => {
    const run: Run = { events: [{ job: { rv: 1 } }, { pod: { uid: "a", rv: 2 } }, { job: { rv: 3, deleting: true } }], record: [], deletedJobs: ["job-0"], finalPods: [{ uid: "a", rv: 2 }] };
    const v = check(run).violations;
    assert.deepEqual(v, ["Pod pod-a still holds the finalizer (its Job is finished or deleted; phase Running)"]);
  });

  test("another controller's Job written is caught at the end too", () => {
    const other: JobFixture = { uid: "o", name: "other-0", rv: 1, managedBy: "other.example.com/x", noStatus: true };
    const run: Run = { ...CLEAN, events: [{ job: other }, ...CLEAN.events, { job: { ...other, rv: 20 } }], unmanaged: [{ name: "other-0", managedBy: "other.example.com/x", completions: 1 }] };
    const v = check(run).violations;
    assert.ok(v.some((x) => x.includes("a Job managed by other.example.com/x was written (resourceVersion 1 → 20)")), v.join("\n"));
    assert.ok(v.some((x) => x.includes("Job other-0 (managed by other.example.com/x): written")), v.join("\n"));
  });

  test("a failed Pod the Job never counted (a lost count) is caught", () => {
    const run: Run = {
      events: [
        { job: { rv: 1, completions: 1 } },
        { pod: { uid: "a", rv: 2, phase: "Failed" } },
        { pod: { uid: "a", rv: 3, phase: "Failed", finalizer: false } },
        { pod: { uid: "b", rv: 4, phase: "Succeeded" } },
        { job: { rv: 5, completions: 1, uncounted: { succeeded: ["b"] } } },
        { pod: { uid: "b", rv: 6, phase: "Succeeded", finalizer: false } },
        { job: { rv: 7, completions: 1, succeeded: 1, conditions: [["Complete"]] } },
      ],
      record: [{ podUID: "a", phase: "Failed", exitCode: 1 }, { podUID: "b", phase: "Succeeded", exitCode: 0 }],
      plan: { ...PLAN, completions: 1 },
    };
    const v = check(run).violations;
    assert.ok(v.some((x) => x.includes("counts succeeded 1, failed 0; the Pods allow succeeded 1..1, failed 1..1")), v.join("\n"));
  });

  test("BackoffLimitExceeded with too few failures is caught", () => {
    const run: Run = {
      events: [
        { job: { rv: 1, completions: 1, backoffLimit: 2 } },
        { pod: { uid: "a", rv: 2, phase: "Failed" } },
        { job: { rv: 3, completions: 1, backoffLimit: 2, uncounted: { failed: ["a"] } } },
        { pod: { uid: "a", rv: 4, phase: "Failed", finalizer: false } },
        { job: { rv: 5, completions: 1, backoffLimit: 2, failed: 1, conditions: [["FailureTarget"], ["Failed", "BackoffLimitExceeded"]] } },
      ],
      record: [{ podUID: "a", phase: "Failed", exitCode: 1 }],
      plan: { ...PLAN, completions: 1, backoffLimit: 2 },
    };
    const v = check(run).violations;
    assert.deepEqual(v, ["Job job-0: BackoffLimitExceeded with failed 1 ≤ backoffLimit 2"]);
  });
});
