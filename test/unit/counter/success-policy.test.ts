/**
 * successPolicy, ported from the in-tree tables (kubernetes/kubernetes pkg/controller/job):
 * TestMatchSuccessPolicy (success_policy_test.go, the cases with the gate on) and
 * TestSyncJobWithJobSuccessPolicy (job_controller_test.go, the cases with JobPodReplacementPolicy
 * or JobManagedBy on: jobtally always writes the interim conditions). Each case is named after the
 * in-tree one. In-tree's one sync is compared with jobtally's first plan; the settled status
 * (Pods the plan deleted gone, removals carried out) must then be Complete with the same reason.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus, V1PodFailurePolicy, V1SuccessPolicy } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { matchSuccessPolicy, OrderedIntervals, planJobSync, type IndexInterval } from "../../../services/counter/logic/index.js";
import { expectFields, iso, makeJob, makeSnapshot, pod, seededRandom, T0, type PodSetup } from "./fixtures.js";
import { conditionsOf, settle, World } from "./simulation.js";

const MAX_INT32 = 2_147_483_647;
const LONG_AGO = T0 - 3_600_000;

describe("matchSuccessPolicy (in-tree TestMatchSuccessPolicy)", () => {
  const rules = (...r: { succeededIndexes?: string; succeededCount?: number }[]): V1SuccessPolicy => ({ rules: r as V1SuccessPolicy["rules"] });
  const cases: { name: string; policy: V1SuccessPolicy | null; succeeded: [number, number][]; want: string | null }[] = [
    { name: "successPolicy is null", policy: null, succeeded: [[0, 0]], want: null },
    { name: "any rules are nothing", policy: { rules: [] }, succeeded: [[0, 0]], want: null },
    { name: "rules.succeededIndexes is invalid format", policy: rules({ succeededIndexes: "invalid-form" }), succeeded: [[0, 0]], want: null },
    { name: "rules.succeededIndexes is specified; succeededIndexes matched rules", policy: rules({ succeededIndexes: "0-2" }), succeeded: [[0, 2], [4, 7]], want: "Matched rules at index 0" },
    { name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules", policy: rules({ succeededIndexes: "3" }), succeeded: [[0, 2]], want: null },
    { name: "rules.succeededCount is specified; succeededIndexes matched rules", policy: rules({ succeededCount: 2 }), succeeded: [[0, 2]], want: "Matched rules at index 0" },
    { name: "rules.succeededCount is specified; succeededIndexes didn't match rules", policy: rules({ succeededCount: 4 }), succeeded: [[0, 2]], want: null },
    {
      name: "multiple rules; rules.succeededIndexes is specified; succeededIndexes met one of rules",
      policy: rules({ succeededIndexes: "9" }, { succeededIndexes: "4,6" }),
      succeeded: [[0, 2], [4, 7]],
      want: "Matched rules at index 1",
    },
    {
      name: "multiple rules; rules.succeededIndexes is specified; succeededIndexes met all rules",
      policy: rules({ succeededIndexes: "0,1" }, { succeededIndexes: "5" }),
      succeeded: [[0, 2], [4, 7]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes met all rules",
      policy: rules({ succeededIndexes: "3-6", succeededCount: 2 }),
      succeeded: [[0, 2], [4, 7]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes didn't match rules",
      policy: rules({ succeededIndexes: "3-6", succeededCount: 2 }),
      succeeded: [[0, 2], [6, 7]],
      want: null,
    },
    { name: "rules.succeededIndexes is specified; succeededIndexes are nothing", policy: rules({ succeededCount: 4 }), succeeded: [], want: null },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes matched rules; rules is proper subset of succeededIndexes",
      policy: rules({ succeededIndexes: "2-4,6-8" }),
      succeeded: [[1, 5], [6, 9]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes matched rules; rules equals succeededIndexes",
      policy: rules({ succeededIndexes: "2-4,6-9" }),
      succeeded: [[2, 4], [6, 9]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes matched rules; rules is subset of succeededIndexes",
      policy: rules({ succeededIndexes: "2-4,8-12" }),
      succeeded: [[2, 5], [7, 15]],
      want: "Matched rules at index 0",
    },
    { name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; rules is an empty set", policy: rules({ succeededIndexes: "" }), succeeded: [[1, 3]], want: null },
    { name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; succeededIndexes is an empty set", policy: rules({ succeededIndexes: "" }), succeeded: [], want: null },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; all elements of rules.succeededIndexes aren't included in succeededIndexes",
      policy: rules({ succeededIndexes: "10-12,14-16" }),
      succeeded: [[1, 3], [5, 7]],
      want: null,
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; rules overlaps succeededIndexes at first",
      policy: rules({ succeededIndexes: "1-3,5-7" }),
      succeeded: [[2, 4], [6, 8]],
      want: null,
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes matched rules; rules overlaps succeededIndexes at first",
      policy: rules({ succeededIndexes: "1-3,5-7", succeededCount: 4 }),
      succeeded: [[2, 4], [6, 8]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; rules overlaps succeededIndexes at last",
      policy: rules({ succeededIndexes: "2-4,6-9" }),
      succeeded: [[1, 3], [5, 7]],
      want: null,
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes matched rules; rules overlaps succeededIndexes at last",
      policy: rules({ succeededIndexes: "2-4,6-9", succeededCount: 4 }),
      succeeded: [[1, 3], [5, 7]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; rules completely overlaps succeededIndexes",
      policy: rules({ succeededIndexes: "0-4,6-9" }),
      succeeded: [[1, 3], [7, 8]],
      want: null,
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes matched rules; rules completely overlaps succeededIndexes",
      policy: rules({ succeededIndexes: "0-4,6-9", succeededCount: 5 }),
      succeeded: [[1, 3], [7, 8]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; rules overlaps multiple succeededIndexes at last",
      policy: rules({ succeededIndexes: "0-6,8-9" }),
      succeeded: [[1, 3], [5, 9]],
      want: null,
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes matched rules; rules overlaps multiple succeededIndexes at last",
      policy: rules({ succeededIndexes: "0-6,8-9", succeededCount: 7 }),
      succeeded: [[1, 3], [5, 9]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; rules overlaps succeededIndexes at first, and rules equals succeededIndexes at last",
      policy: rules({ succeededIndexes: "0-5,7-9" }),
      succeeded: [[1, 5], [7, 10]],
      want: null,
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes matched rules; rules overlaps succeededIndexes at first, and rules equals succeededIndexes at last",
      policy: rules({ succeededIndexes: "0-5,7-9", succeededCount: 8 }),
      succeeded: [[1, 5], [7, 10]],
      want: "Matched rules at index 0",
    },
    {
      name: "rules.succeededIndexes is specified; succeededIndexes didn't match rules; the first rules overlaps succeededIndexes at first",
      policy: rules({ succeededIndexes: "0-3,6-9" }),
      succeeded: [[1, 10]],
      want: null,
    },
    {
      name: "rules.succeededIndexes and rules.succeededCount are specified; succeededIndexes matched rules; the first rules overlaps succeededIndexes at first",
      policy: rules({ succeededIndexes: "0-3,6-9", succeededCount: 7 }),
      succeeded: [[1, 10]],
      want: "Matched rules at index 0",
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const succeeded = OrderedIntervals.empty().merge(c.succeeded.map(([first, last]): IndexInterval => ({ first, last })));
      assert.equal(matchSuccessPolicy(c.policy, 10, succeeded), c.want);
    });
  }
});

interface IxPod extends PodSetup {
  failureCount?: number;
  conditions?: [string, string][];
}
function mypod(i: number, uid: string, setup: IxPod): PodView {
  const view: PodView = { ...pod(uid, { finishedAtMs: LONG_AGO, ...setup }), name: `mypod-${i}`, namespace: "default" };
  if (setup.failureCount) view.indexFailureCount = setup.failureCount;
  if (setup.conditions) view.conditions = setup.conditions.map(([type, status]) => ({ type, status }));
  return view;
}

interface SpJob {
  parallelism: number;
  completions: number;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  successPolicy: V1SuccessPolicy;
  podFailurePolicy?: V1PodFailurePolicy;
  status?: V1JobStatus;
}
function spJob(setup: SpJob): V1Job {
  const job = makeJob({ parallelism: setup.parallelism, completions: setup.completions, backoffLimit: setup.backoffLimit ?? MAX_INT32, indexed: true });
  const spec = job.spec as NonNullable<V1Job["spec"]>;
  spec.successPolicy = setup.successPolicy;
  if (setup.backoffLimitPerIndex !== undefined) spec.backoffLimitPerIndex = setup.backoffLimitPerIndex;
  if (setup.podFailurePolicy) {
    spec.podFailurePolicy = setup.podFailurePolicy;
    spec.podReplacementPolicy = "Failed";
  }
  if (setup.status) job.status = { startTime: iso(T0 - 60_000) as unknown as Date, ...setup.status };
  return job;
}

const RULE_01_COUNT_1: V1SuccessPolicy = { rules: [{ succeededIndexes: "0,1", succeededCount: 1 }] };
const SCM_SP = "SuccessCriteriaMet:SuccessPolicy:Matched rules at index 0";
const COMPLETE_SP = "Complete:SuccessPolicy:Matched rules at index 0";
const FAIL_JOB_DISRUPTION: V1PodFailurePolicy = { rules: [{ action: "FailJob", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] };
const DISRUPTED = "Pod default/mypod-0 has condition DisruptionTarget matching FailJob rule at index 0";
const SCM_EXISTING: V1JobStatus = { conditions: [{ type: "SuccessCriteriaMet", status: "True", reason: "SuccessPolicy", message: "Matched rules at index 0" }] };

interface SyncCase {
  name: string;
  job: SpJob;
  pods: PodView[];
  /** In-tree's one sync. */
  wantFirst: { conditions: string[]; failed: number; succeeded: number; terminating: number; completedIndexes: string; deleted?: string[] };
  /** Once the deleted Pods are gone and every removal carried out. */
  wantSettled: { conditions: string[]; failed: number; succeeded: number };
}

describe("planJobSync with a successPolicy (in-tree TestSyncJobWithJobSuccessPolicy)", () => {
  const cases: SyncCase[] = [
    {
      name: "job with successPolicy; jobPodReplacementPolicy feature enabled; job has SuccessCriteriaMet condition if job meets to successPolicy and some indexes fail",
      job: { parallelism: 3, completions: 3, successPolicy: RULE_01_COUNT_1 },
      pods: [
        mypod(0, "a1", { index: 0, phase: "Failed" }),
        mypod(1, "a2", { index: 0, phase: "Running" }),
        mypod(2, "b", { index: 1, phase: "Succeeded" }),
        mypod(3, "c", { index: 2, phase: "Running" }),
      ],
      wantFirst: { conditions: [SCM_SP], failed: 0, succeeded: 1, terminating: 2, completedIndexes: "1", deleted: ["a2:rmFirst", "c:rmFirst"] },
      wantSettled: { conditions: [SCM_SP, COMPLETE_SP], failed: 1, succeeded: 1 },
    },
    {
      name: "job with podFailurePolicy and successPolicy; jobPodReplacementPolicy feature enabled; job has SuccessCriteriaMet condition if job meets to successPolicy and doesn't meet to podFailurePolicy",
      job: { parallelism: 2, completions: 2, successPolicy: RULE_01_COUNT_1, podFailurePolicy: FAIL_JOB_DISRUPTION },
      pods: [mypod(0, "a1", { index: 0, phase: "Failed" }), mypod(1, "a2", { index: 0, phase: "Running" }), mypod(2, "b", { index: 1, phase: "Succeeded" })],
      wantFirst: { conditions: [SCM_SP], failed: 0, succeeded: 1, terminating: 1, completedIndexes: "1", deleted: ["a2:rmFirst"] },
      wantSettled: { conditions: [SCM_SP, COMPLETE_SP], failed: 1, succeeded: 1 },
    },
    {
      name: "job with backoffLimitPerIndex and successPolicy; jobPodReplacementPolicy feature enabled; job has SuccessCriteriaMet condition if job meets to successPolicy and doesn't meet backoffLimitPerIndex",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 2, successPolicy: RULE_01_COUNT_1 },
      pods: [mypod(0, "a1", { index: 0, phase: "Failed" }), mypod(1, "a2", { index: 0, phase: "Running" }), mypod(2, "b", { index: 1, phase: "Succeeded" })],
      wantFirst: { conditions: [SCM_SP], failed: 0, succeeded: 1, terminating: 1, completedIndexes: "1", deleted: ["a2:rmFirst"] },
      wantSettled: { conditions: [SCM_SP, COMPLETE_SP], failed: 1, succeeded: 1 },
    },
    {
      name: "job with successPolicy; jobPodReplacementPolicy feature enabled; job has both Complete and SuccessCriteriaMet condition when job meets to successPolicy and all pods have been already removed",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 2, successPolicy: RULE_01_COUNT_1, status: SCM_EXISTING },
      pods: [mypod(0, "a", { index: 0, phase: "Failed" }), mypod(1, "b", { index: 1, phase: "Succeeded" })],
      wantFirst: { conditions: [SCM_SP], failed: 0, succeeded: 1, terminating: 0, completedIndexes: "1" },
      wantSettled: { conditions: [SCM_SP, COMPLETE_SP], failed: 1, succeeded: 1 },
    },
    {
      // REF: https://github.com/kubernetes/kubernetes/issues/123775
      name: "job with successPolicy; jobPodReplacementPolicy feature enabled; job has SuccessCriteriaMet condition when job meets to successPolicy and some pods still are running",
      job: { parallelism: 3, completions: 3, backoffLimitPerIndex: 3, successPolicy: RULE_01_COUNT_1, status: SCM_EXISTING },
      pods: [
        mypod(0, "a1", { index: 0, phase: "Failed" }),
        mypod(1, "a2", { index: 1, phase: "Running" }),
        mypod(2, "b", { index: 1, phase: "Succeeded" }),
        mypod(3, "c", { index: 2, phase: "Running" }),
      ],
      wantFirst: { conditions: [SCM_SP], failed: 0, succeeded: 1, terminating: 2, completedIndexes: "1", deleted: ["a2:rmFirst", "c:rmFirst"] },
      wantSettled: { conditions: [SCM_SP, COMPLETE_SP], failed: 1, succeeded: 1 },
    },
    {
      name: "job with successPolicy and podFailurePolicy; jobPodReplacementPolicy feature enabled; job has a failed condition when job meets to both successPolicy and podFailurePolicy",
      job: { parallelism: 2, completions: 2, successPolicy: RULE_01_COUNT_1, podFailurePolicy: FAIL_JOB_DISRUPTION },
      pods: [
        mypod(0, "a1", { index: 0, phase: "Failed", conditions: [["DisruptionTarget", "True"]] }),
        mypod(1, "a2", { index: 0, phase: "Running" }),
        mypod(2, "b", { index: 1, phase: "Succeeded" }),
      ],
      wantFirst: { conditions: [`FailureTarget:PodFailurePolicy:${DISRUPTED}`], failed: 0, succeeded: 1, terminating: 1, completedIndexes: "1", deleted: ["a2:keep"] },
      wantSettled: { conditions: [`FailureTarget:PodFailurePolicy:${DISRUPTED}`, `Failed:PodFailurePolicy:${DISRUPTED}`], failed: 2, succeeded: 1 },
    },
    {
      name: "job with successPolicy and backoffLimitPerIndex; jobPodReplacementPolicy feature enabled; job has a failed condition when job meets to both successPolicy and backoffLimitPerIndex",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 1, successPolicy: RULE_01_COUNT_1 },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 1 }), mypod(1, "b", { index: 1, phase: "Succeeded" })],
      wantFirst: { conditions: ["FailureTarget:FailedIndexes:Job has failed indexes"], failed: 0, succeeded: 1, terminating: 0, completedIndexes: "1" },
      wantSettled: { conditions: ["FailureTarget:FailedIndexes:Job has failed indexes", "Failed:FailedIndexes:Job has failed indexes"], failed: 1, succeeded: 1 },
    },
    {
      name: "job with successPolicy and backoffLimit; jobPodReplacementPolicy feature enabled; job has a failed condition when job meets to both successPolicy and backoffLimit",
      job: { parallelism: 2, completions: 2, backoffLimit: 1, successPolicy: RULE_01_COUNT_1 },
      pods: [mypod(0, "a1", { index: 0, phase: "Failed" }), mypod(1, "a2", { index: 0, phase: "Failed" }), mypod(2, "b", { index: 1, phase: "Succeeded" })],
      wantFirst: {
        conditions: ["FailureTarget:BackoffLimitExceeded:Job has reached the specified backoff limit"],
        failed: 0,
        succeeded: 1,
        terminating: 0,
        completedIndexes: "1",
      },
      wantSettled: {
        conditions: ["FailureTarget:BackoffLimitExceeded:Job has reached the specified backoff limit", "Failed:BackoffLimitExceeded:Job has reached the specified backoff limit"],
        failed: 2,
        succeeded: 1,
      },
    },
    {
      name: "job with successPolicy and podFailurePolicy; jobPodReplacementPolicy feature enabled; job with SuccessCriteriaMet has never been transitioned to FailureTarget and Failed even if job meets podFailurePolicy",
      job: {
        parallelism: 2,
        completions: 2,
        successPolicy: { rules: [{ succeededCount: 1 }] },
        podFailurePolicy: FAIL_JOB_DISRUPTION,
        status: { succeeded: 1, completedIndexes: "1", ...SCM_EXISTING },
      },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", conditions: [["DisruptionTarget", "True"]] }), mypod(1, "b", { index: 1, phase: "Succeeded" })],
      wantFirst: { conditions: [SCM_SP], failed: 0, succeeded: 1, terminating: 0, completedIndexes: "1" },
      wantSettled: { conditions: [SCM_SP, COMPLETE_SP], failed: 1, succeeded: 1 },
    },
    {
      name: "job with successPolicy and backoffLimitPerIndex; jobPodReplacementPolicy feature enabled; job with SuccessCriteriaMet has never been transitioned to FailureTarget and Failed even if job meet backoffLimitPerIndex",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 1, successPolicy: { rules: [{ succeededIndexes: "1" }] }, status: { succeeded: 1, completedIndexes: "1", ...SCM_EXISTING } },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 1 }), mypod(1, "b", { index: 1, phase: "Succeeded" })],
      wantFirst: { conditions: [SCM_SP], failed: 0, succeeded: 1, terminating: 0, completedIndexes: "1" },
      wantSettled: { conditions: [SCM_SP, COMPLETE_SP], failed: 1, succeeded: 1 },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const job = spJob(c.job);
      const plan = planJobSync(makeSnapshot({ job, pods: c.pods }));
      const status = plan.status ?? job.status ?? {};
      expectFields(
        `${c.name} (first sync)`,
        {
          conditions: conditionsOf(status),
          failed: status.failed ?? 0,
          succeeded: status.succeeded ?? 0,
          terminating: status.terminating ?? 0,
          completedIndexes: status.completedIndexes ?? "",
          deleted: plan.deletions.map((d) => `${d.podUID}:${d.removeFinalizerFirst ? "rmFirst" : "keep"}`).sort(),
        },
        { deleted: [], ...c.wantFirst },
      );
      assert.equal(plan.creations.length, 0, "no Pod is created once the Job is finishing");
      const world = new World(job, T0, seededRandom(1));
      for (const p of c.pods) world.setPod(p);
      settle(world);
      const settled = world.job.status ?? {};
      expectFields(c.name, { conditions: conditionsOf(settled), failed: settled.failed ?? 0, succeeded: settled.succeeded ?? 0 }, c.wantSettled);
      assert.equal(new Set(world.countedLog).size, world.countedLog.length, "a UID was counted twice");
      assert.equal(settled.active ?? 0, 0);
      assert.equal(settled.terminating ?? 0, 0);
    });
  }
});
