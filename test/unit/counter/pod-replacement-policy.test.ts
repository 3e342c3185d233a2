/**
 * podReplacementPolicy and status.terminating, ported from the in-tree table TestControllerSyncJob
 * (kubernetes/kubernetes pkg/controller/job/job_controller_test.go): the cases with the
 * JobPodReplacementPolicy gate on, each named after the in-tree one. One sync is compared with
 * in-tree's one sync: creations (and their indexes), deletions, active, terminating, conditions,
 * and failed (in-tree counts in the sync; jobtally lists the UIDs first, so failed here means
 * counted plus newly listed failures).
 */
import { describe, test } from "node:test";
import type { V1Job } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { planJobSync } from "../../../services/counter/logic/index.js";
import { expectFields, makeJob, makeSnapshot, pod, T0, type JobSetup } from "./fixtures.js";

let seq = 0;
/** in-tree `newPodList` / `setPodsStatuses`: Pods with no index unless given, finished long ago. */
function pods(count: number, phase: PodView["phase"], extra: { deleting?: boolean; index?: number } = {}): PodView[] {
  return Array.from({ length: count }, () => pod(`p${++seq}`, { phase, finishedAtMs: T0 - 3_600_000, ...extra }));
}

interface Case {
  name: string;
  job: JobSetup & { podFailurePolicy?: boolean };
  pods: PodView[];
  want: { creations: number; createdIndexes?: number[]; deletions: number; active: number; terminating: number; failed: number; succeeded?: number; conditions?: string[] };
}

const cases: Case[] = [
  {
    name: "WQ job: recreate pods when failed",
    job: { parallelism: 1, completions: null, backoffLimit: 6, podReplacementPolicy: "Failed" },
    pods: [...pods(1, "Running"), ...pods(1, "Failed"), ...pods(1, "Running", { deleting: true })],
    want: { creations: 0, deletions: 0, active: 1, terminating: 1, failed: 1 },
  },
  {
    name: "WQ job: turn on PodReplacementPolicy but not set PodReplacementPolicy",
    job: { parallelism: 1, completions: 1, backoffLimit: 6 },
    pods: [...pods(1, "Running"), ...pods(1, "Failed"), ...pods(1, "Running", { deleting: true })],
    want: { creations: 0, deletions: 0, active: 1, terminating: 1, failed: 2 },
  },
  {
    name: "WQ job: recreate pods when terminating or failed",
    job: { parallelism: 1, completions: null, backoffLimit: 6, podReplacementPolicy: "TerminatingOrFailed" },
    pods: [...pods(1, "Running"), ...pods(1, "Failed"), ...pods(1, "Running", { deleting: true })],
    want: { creations: 0, deletions: 0, active: 1, terminating: 1, failed: 2 },
  },
  {
    name: "more terminating pods than parallelism",
    job: { parallelism: 1, completions: 1, backoffLimit: 6, podReplacementPolicy: "Failed" },
    pods: [...pods(2, "Running"), ...pods(4, "Running", { deleting: true })],
    want: { creations: 0, deletions: 1, active: 1, terminating: 5, failed: 0 },
  },
  {
    name: "too many active pods; PodReplacementPolicy enabled",
    job: { parallelism: 2, completions: 5, backoffLimit: 6 },
    pods: pods(3, "Running"),
    want: { creations: 0, deletions: 1, active: 2, terminating: 1, failed: 0 },
  },
  {
    name: "indexed job with some pods deleted, podReplacementPolicy Failed",
    job: { parallelism: 2, completions: 5, backoffLimit: 6, indexed: true, podReplacementPolicy: "Failed" },
    pods: pods(1, "Running", { deleting: true }),
    want: { creations: 1, createdIndexes: [0], deletions: 0, active: 1, terminating: 1, failed: 0 },
  },
  {
    name: "indexed job with some pods deleted, podReplacementPolicy TerminatingOrFailed",
    job: { parallelism: 2, completions: 5, backoffLimit: 6, indexed: true, podReplacementPolicy: "TerminatingOrFailed" },
    pods: pods(1, "Running", { deleting: true }),
    want: { creations: 2, createdIndexes: [0, 1], deletions: 0, active: 2, terminating: 1, failed: 0 },
  },
  {
    name: "count terminating pods when indexed job fails and PodReplacementPolicy enabled",
    job: { parallelism: 2, completions: 3, backoffLimit: 0, indexed: true },
    pods: [...pods(1, "Succeeded", { index: 0 }), ...pods(1, "Failed", { index: 1 }), ...pods(1, "Running", { index: 2 })],
    want: {
      creations: 0,
      deletions: 1,
      active: 0,
      terminating: 1,
      failed: 2,
      succeeded: 1,
      conditions: ["FailureTarget:BackoffLimitExceeded:Job has reached the specified backoff limit"],
    },
  },
  {
    name: "suspending a job with satisfied expectations; PodReplacementPolicy enabled",
    job: { parallelism: 2, completions: 4, backoffLimit: 6, suspend: true },
    pods: pods(2, "Running"),
    want: { creations: 0, deletions: 2, active: 0, terminating: 2, failed: 0, conditions: ["Suspended:JobSuspended:Job suspended"] },
  },
];

describe("podReplacementPolicy and status.terminating (in-tree TestControllerSyncJob)", () => {
  for (const c of cases) {
    test(c.name, () => {
      const job: V1Job = makeJob(c.job);
      const plan = planJobSync(makeSnapshot({ job, pods: c.pods }));
      const status = plan.status ?? job.status ?? {};
      expectFields(
        c.name,
        {
          creations: plan.creations.length,
          createdIndexes: plan.creations.map((cr) => cr.index).sort(),
          deletions: plan.deletions.length,
          active: status.active ?? 0,
          terminating: status.terminating ?? 0,
          failed: (status.failed ?? 0) + (status.uncountedTerminatedPods?.failed?.length ?? 0),
          succeeded: status.succeeded ?? 0,
          conditions: (status.conditions ?? []).filter((x) => x.status === "True").map((x) => `${x.type}:${x.reason}:${x.message}`),
        },
        { createdIndexes: c.want.createdIndexes ?? [], succeeded: 0, conditions: [], ...c.want },
      );
    });
  }
});

describe("the finish time of a deleted Pod (in-tree getFinishTimeFromDeletionTimestamp)", () => {
  test("a Pod deleted with a 30 s grace period finished at its deletion, not at its deletionTimestamp: the replacement waits 10 s, not 40 s", () => {
    const job = makeJob({ parallelism: 1, completions: 1, backoffLimit: 6 });
    // Deleted 10 s ago with the default 30 s grace: deletionTimestamp is 20 s from now.
    const deleted: PodView = { ...pod("gone-soon", { phase: "Running" }), deletionTimestamp: new Date(T0 + 20_000).toISOString(), deletionGracePeriodSeconds: 30 };
    const first = planJobSync(makeSnapshot({ job, pods: [deleted] }));
    const listed = first.status?.uncountedTerminatedPods?.failed ?? [];
    expectFields("listed", { listed: [...listed] }, { listed: ["gone-soon"] });
    const backoff = first.backoff;
    expectFields("backoff record", { ...backoff }, { failuresAfterLastSuccess: 1, lastFailureTimeMs: T0 - 10_000 });
    const next = planJobSync(makeSnapshot({ job: { ...job, status: first.status ?? {} }, pods: [deleted], backoff, nowMs: T0 }));
    expectFields("replacement", { creations: next.creations.length }, { creations: 1 });
  });
});
