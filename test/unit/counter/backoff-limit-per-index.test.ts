/**
 * backoffLimitPerIndex, maxFailedIndexes and the FailIndex action, ported from the in-tree tables
 * (kubernetes/kubernetes pkg/controller/job): TestSyncJobWithJobBackoffLimitPerIndex
 * (job_controller_test.go, the cases with the JobPodReplacementPolicy or JobManagedBy gate on, as
 * jobtally always writes the interim conditions), TestGetPodsWithDelayedDeletionPerIndex,
 * TestGetNewIndexFailureCountValue, TestFirstPendingIndexes ("with failed indexes") and
 * TestGetIndexFailureCount (indexed_job_utils_test.go). Each case is named after the in-tree one.
 *
 * In-tree removes finalizers inside its sync; jobtally counts a UID only once the view shows its
 * finalizer gone, so the sync cases run the plans to rest (removals carried out, creations left in
 * flight as in-tree's expectations would) and compare the settled status with in-tree's.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus, V1PodFailurePolicy } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { indexFailureCountOf, podViewOf } from "../../../shared/view/project.js";
import {
  calculateFailedIndexes,
  firstPendingIndexes,
  newIndexFailureCounts,
  OrderedIntervals,
  planJobSync,
  podsWithDelayedDeletionPerIndex,
} from "../../../services/counter/logic/index.js";
import { INDEX_FAILURE_COUNT_KEY, INDEX_IGNORED_FAILURE_COUNT_KEY } from "../../../shared/constants.js";
import { expectFields, iso, makeJob, makeSnapshot, pod, seededRandom, T0, type PodSetup } from "./fixtures.js";
import { conditionsOf, settle, World } from "./simulation.js";

/** in-tree `testFinishedAt`: long ago, so no replacement backoff is left. */
const LONG_AGO = T0 - 3_600_000;
const MAX_INT32 = 2_147_483_647;

interface IndexPod extends PodSetup {
  failureCount?: number;
  ignoredCount?: number;
  exitCodes?: [string, number][];
  conditions?: [string, string][];
}

/** A Pod named like the in-tree builder's (`mypod-<i>` in namespace `default`). */
function mypod(i: number, uid: string, setup: IndexPod): PodView {
  const view: PodView = { ...pod(uid, { finishedAtMs: LONG_AGO, ...setup }), name: `mypod-${i}`, namespace: "default" };
  if (setup.failureCount) view.indexFailureCount = setup.failureCount;
  if (setup.ignoredCount) view.indexIgnoredFailureCount = setup.ignoredCount;
  if (setup.exitCodes) view.containerExitCodes = setup.exitCodes.map(([name, exitCode]) => ({ name, exitCode }));
  if (setup.conditions) view.conditions = setup.conditions.map(([type, status]) => ({ type, status }));
  return view;
}

interface PerIndexJob {
  parallelism: number;
  completions: number;
  backoffLimit?: number;
  backoffLimitPerIndex: number;
  maxFailedIndexes?: number;
  podFailurePolicy?: V1PodFailurePolicy;
  status?: V1JobStatus;
}

function perIndexJob(setup: PerIndexJob): V1Job {
  const job = makeJob({ parallelism: setup.parallelism, completions: setup.completions, backoffLimit: setup.backoffLimit ?? MAX_INT32, indexed: true });
  const spec = job.spec as NonNullable<V1Job["spec"]>;
  spec.backoffLimitPerIndex = setup.backoffLimitPerIndex;
  if (setup.maxFailedIndexes !== undefined) spec.maxFailedIndexes = setup.maxFailedIndexes;
  if (setup.podFailurePolicy) {
    spec.podFailurePolicy = setup.podFailurePolicy;
    spec.podReplacementPolicy = "Failed";
  }
  if (setup.status) job.status = { startTime: iso(T0 - 60_000) as unknown as Date, ...setup.status };
  return job;
}

interface SyncCase {
  name: string;
  job: PerIndexJob;
  pods: PodView[];
  /** The first sync (what in-tree's one sync writes when a Pod stays terminating). */
  wantFirst?: Record<string, unknown>;
  want: { conditions: string[]; active: number; failed: number; succeeded: number; failedIndexes: string; completedIndexes: string };
}

const SCM_COMPLETIONS = [
  "SuccessCriteriaMet:CompletionsReached:Reached expected number of succeeded pods",
  "Complete:CompletionsReached:Reached expected number of succeeded pods",
];
const FAILED_INDEXES = ["FailureTarget:FailedIndexes:Job has failed indexes", "Failed:FailedIndexes:Job has failed indexes"];
const MAX_FAILED = "MaxFailedIndexesExceeded:Job has exceeded the specified maximal number of failed indexes";
const exit3 = "Container x for pod default/mypod-0 failed with exit code 3 matching FailJob rule at index 0";

describe("planJobSync with backoffLimitPerIndex (in-tree TestSyncJobWithJobBackoffLimitPerIndex)", () => {
  const cases: SyncCase[] = [
    {
      name: "successful job after a single failure within index",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 1 },
      pods: [
        mypod(0, "a1", { index: 0, phase: "Failed", failureCount: 0 }),
        mypod(1, "a2", { index: 0, phase: "Succeeded", failureCount: 1 }),
        mypod(2, "b", { index: 1, phase: "Succeeded", failureCount: 0 }),
      ],
      want: { conditions: SCM_COMPLETIONS, active: 0, failed: 1, succeeded: 2, failedIndexes: "", completedIndexes: "0,1" },
    },
    {
      name: "single failed pod, not counted as the replacement pod creation is delayed",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 1 },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0 })],
      wantFirst: { uncountedFailed: [], removals: [], creations: ["0:count=1", "1:count=0"] },
      want: { conditions: [], active: 2, failed: 0, succeeded: 0, failedIndexes: "", completedIndexes: "" },
    },
    {
      name: "single failed pod replaced already",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 1 },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0 }), mypod(1, "b", { index: 0, phase: "Pending", failureCount: 1 })],
      want: { conditions: [], active: 2, failed: 1, succeeded: 0, failedIndexes: "", completedIndexes: "" },
    },
    {
      name: "single failed index due to exceeding the backoff limit per index, the job continues",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 1 },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 1 })],
      wantFirst: { uncountedFailed: ["a"], removals: ["a:count"], creations: ["1:count=0"] },
      want: { conditions: [], active: 1, failed: 1, succeeded: 0, failedIndexes: "0", completedIndexes: "" },
    },
    {
      name: "single failed index due to FailIndex action, the job continues",
      job: {
        parallelism: 2,
        completions: 2,
        backoffLimitPerIndex: 1,
        podFailurePolicy: { rules: [{ action: "FailIndex", onExitCodes: { operator: "In", values: [3] } }] },
      },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0, exitCodes: [["x", 3]] })],
      want: { conditions: [], active: 1, failed: 1, succeeded: 0, failedIndexes: "0", completedIndexes: "" },
    },
    {
      name: "job failed index due to FailJob action",
      job: {
        parallelism: 2,
        completions: 2,
        backoffLimit: 6,
        backoffLimitPerIndex: 1,
        podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [3] } }] },
      },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0, exitCodes: [["x", 3]] })],
      want: { conditions: [`FailureTarget:PodFailurePolicy:${exit3}`, `Failed:PodFailurePolicy:${exit3}`], active: 0, failed: 1, succeeded: 0, failedIndexes: "", completedIndexes: "" },
    },
    {
      name: "job pod failure ignored due to matching Ignore action",
      job: {
        parallelism: 2,
        completions: 2,
        backoffLimit: 6,
        backoffLimitPerIndex: 1,
        podFailurePolicy: { rules: [{ action: "Ignore", onExitCodes: { operator: "In", values: [3] } }] },
      },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0, exitCodes: [["x", 3]] })],
      // The replacement of index 0 carries the ignored failure, not a counted one.
      wantFirst: { uncountedFailed: [], removals: [], creations: ["0:count=0,ignored=1", "1:count=0"] },
      want: { conditions: [], active: 2, failed: 0, succeeded: 0, failedIndexes: "", completedIndexes: "" },
    },
    {
      name: "job failed due to exceeding backoffLimit before backoffLimitPerIndex",
      job: { parallelism: 2, completions: 2, backoffLimit: 1, backoffLimitPerIndex: 1 },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0 }), mypod(1, "b", { index: 1, phase: "Failed", failureCount: 0 })],
      want: {
        conditions: ["FailureTarget:BackoffLimitExceeded:Job has reached the specified backoff limit", "Failed:BackoffLimitExceeded:Job has reached the specified backoff limit"],
        active: 0,
        failed: 2,
        succeeded: 0,
        failedIndexes: "",
        completedIndexes: "",
      },
    },
    {
      name: "job failed due to failed indexes; JobManagedBy enabled",
      job: { parallelism: 2, completions: 2, backoffLimitPerIndex: 1 },
      pods: [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 1 }), mypod(1, "b", { index: 1, phase: "Succeeded", failureCount: 0 })],
      want: { conditions: FAILED_INDEXES, active: 0, failed: 1, succeeded: 1, failedIndexes: "0", completedIndexes: "1" },
    },
    {
      name: "job failed due to exceeding max failed indexes",
      job: { parallelism: 4, completions: 4, backoffLimitPerIndex: 1, maxFailedIndexes: 1 },
      pods: [
        mypod(0, "a", { index: 0, phase: "Failed", failureCount: 1 }),
        mypod(1, "b", { index: 1, phase: "Succeeded", failureCount: 0 }),
        mypod(2, "c", { index: 2, phase: "Failed", failureCount: 1 }),
        mypod(3, "d", { index: 3, phase: "Running", failureCount: 0 }),
      ],
      // In-tree's one sync: FailureTarget only, the running Pod deleted and terminating, every Pod listed failed.
      wantFirst: { conditions: [`FailureTarget:${MAX_FAILED}`], uncountedFailed: ["a", "c", "d"], deletions: ["d:job-failed:keep"], terminating: 1, failedIndexes: "0,2" },
      want: { conditions: [`FailureTarget:${MAX_FAILED}`, `Failed:${MAX_FAILED}`], active: 0, failed: 3, succeeded: 1, failedIndexes: "0,2", completedIndexes: "1" },
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const job = perIndexJob(c.job);
      if (c.wantFirst) {
        const plan = planJobSync(makeSnapshot({ job, pods: c.pods }));
        const status = plan.status ?? job.status ?? {};
        const got = {
          conditions: conditionsOf(status),
          uncountedFailed: [...(status.uncountedTerminatedPods?.failed ?? [])].sort(),
          removals: plan.removals.map((r) => `${r.podUID}:${r.reason}`).sort(),
          deletions: plan.deletions.map((d) => `${d.podUID}:${d.reason}:${d.removeFinalizerFirst ? "rmFirst" : "keep"}`),
          terminating: status.terminating ?? 0,
          failedIndexes: status.failedIndexes,
          creations: plan.creations.map((cr) => {
            const a = cr.pod.metadata?.annotations ?? {};
            const ignored = a[INDEX_IGNORED_FAILURE_COUNT_KEY];
            return `${cr.index}:count=${a[INDEX_FAILURE_COUNT_KEY]}${ignored ? `,ignored=${ignored}` : ""}`;
          }),
        };
        expectFields(`${c.name} (first sync)`, got, c.wantFirst);
      }
      const world = new World(job, T0, seededRandom(1));
      for (const p of c.pods) world.setPod(p);
      settle(world);
      const status = world.job.status ?? {};
      expectFields(
        c.name,
        {
          conditions: conditionsOf(status),
          active: status.active ?? 0,
          failed: status.failed ?? 0,
          succeeded: status.succeeded ?? 0,
          failedIndexes: status.failedIndexes,
          completedIndexes: status.completedIndexes ?? "",
        },
        c.want,
      );
      assert.equal(new Set(world.countedLog).size, world.countedLog.length, "a UID was counted twice");
    });
  }

  test("a retried index waits its own backoff: 10 s after its first failure, 20 s after its second (in-tree getRemainingTimePerIndex)", () => {
    const job = perIndexJob({ parallelism: 2, completions: 2, backoffLimitPerIndex: 3 });
    const pods = [mypod(0, "a", { index: 0, phase: "Failed", failureCount: 1, finishedAtMs: T0 - 5000 }), mypod(1, "b", { index: 1, phase: "Running" })];
    const plan = planJobSync(makeSnapshot({ job, pods }));
    assert.deepStrictEqual(plan.creations, [], "index 0 failed twice, 5 s ago: 15 s left");
    assert.equal(plan.requeueAfterMs, 15_000);
    const later = planJobSync(makeSnapshot({ job, pods, nowMs: T0 + 15_000 }));
    assert.deepStrictEqual(
      later.creations.map((c) => [c.index, c.pod.metadata?.annotations?.[INDEX_FAILURE_COUNT_KEY]]),
      [[0, "2"]],
    );
    assert.deepStrictEqual(later.removals, [], "the failed Pod keeps its finalizer until its replacement shows");
  });

  test("the delayed Pod is listed and counted once its replacement shows in the view, never before", () => {
    const job = perIndexJob({ parallelism: 1, completions: 1, backoffLimitPerIndex: 2 });
    const world = new World(job, T0, seededRandom(1));
    world.setPod(mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0 }));
    let plan = world.sync();
    assert.ok(plan);
    assert.equal(plan.creations.length, 1);
    assert.deepStrictEqual(plan.removals, []);
    // The creation is in flight: still held.
    plan = world.sync();
    assert.deepStrictEqual(plan?.removals, []);
    world.executeCreation(0);
    plan = world.sync();
    assert.deepStrictEqual(plan?.removals.map((r) => r.podUID), ["a"]);
    assert.deepStrictEqual(world.job.status?.uncountedTerminatedPods?.failed, ["a"]);
    world.executeRemoval(0);
    world.sync();
    assert.equal(world.job.status?.failed, 1);
    assert.deepStrictEqual(world.countedLog, ["a"]);
  });
});

describe("podsWithDelayedDeletionPerIndex (in-tree TestGetPodsWithDelayedDeletionPerIndex)", () => {
  const cases: { name: string; completions: number; backoffLimitPerIndex: number; pods: PodView[]; excluded?: string[]; want: string[] }[] = [
    {
      name: "failed pods are kept corresponding to non-failed indexes are kept",
      completions: 3,
      backoffLimitPerIndex: 1,
      pods: [
        mypod(0, "a", { failureCount: 0, phase: "Failed", index: 0 }),
        mypod(1, "b", { failureCount: 1, phase: "Failed", index: 1 }),
        mypod(2, "c", { failureCount: 0, phase: "Failed", index: 2 }),
      ],
      want: ["a", "c"],
    },
    {
      name: "failed pod without finalizer; the pod's deletion is not delayed as it already started",
      completions: 2,
      backoffLimitPerIndex: 0,
      pods: [mypod(0, "a", { failureCount: 0, phase: "Failed", index: 0, finalizer: false })],
      want: [],
    },
    {
      name: "failed pod with expected finalizer removal; the pod's deletion is not delayed as it already started",
      completions: 2,
      backoffLimitPerIndex: 0,
      pods: [mypod(0, "a", { failureCount: 0, phase: "Failed", index: 0 })],
      excluded: ["a"],
      want: [],
    },
    {
      name: "failed pod with index outside of completions; the pod's deletion is not delayed",
      completions: 2,
      backoffLimitPerIndex: 0,
      pods: [mypod(0, "a", { failureCount: 0, phase: "Failed", index: 4 })],
      want: [],
    },
    {
      name: "failed pod for active index; the pod's deletion is not delayed as it is already replaced",
      completions: 2,
      backoffLimitPerIndex: 1,
      pods: [mypod(0, "a1", { failureCount: 0, phase: "Failed", index: 0 }), mypod(1, "a2", { failureCount: 1, phase: "Running", index: 0 })],
      want: [],
    },
    {
      name: "failed pod for succeeded index; the pod's deletion is not delayed as it is already replaced",
      completions: 2,
      backoffLimitPerIndex: 1,
      pods: [mypod(0, "a1", { failureCount: 0, phase: "Failed", index: 0 }), mypod(1, "a2", { failureCount: 1, phase: "Succeeded", index: 0 })],
      want: [],
    },
    {
      name: "multiple failed pods for index with different failure count; only the pod with highest failure count is kept",
      completions: 2,
      backoffLimitPerIndex: 4,
      pods: [
        mypod(0, "a1", { failureCount: 0, phase: "Failed", index: 0 }),
        mypod(1, "a3", { failureCount: 2, phase: "Failed", index: 0 }),
        mypod(2, "a2", { failureCount: 1, phase: "Failed", index: 0 }),
      ],
      want: ["a3"],
    },
    {
      name: "multiple failed pods for index with different finish times; only the last failed pod is kept",
      completions: 2,
      backoffLimitPerIndex: 4,
      pods: [
        mypod(0, "a1", { failureCount: 1, phase: "Failed", index: 0, finishedAtMs: T0 - 1000 }),
        mypod(1, "a3", { failureCount: 1, phase: "Failed", index: 0, finishedAtMs: T0 }),
        mypod(2, "a2", { failureCount: 1, phase: "Failed", index: 0, finishedAtMs: T0 - 2000 }),
      ],
      want: ["a3"],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const job = perIndexJob({ parallelism: 1, completions: c.completions, backoffLimitPerIndex: c.backoffLimitPerIndex });
      const succeededIndexes = OrderedIntervals.fromIndexes(c.pods.filter((p) => p.phase === "Succeeded" && p.hasFinalizer && p.completionIndex !== null).map((p) => p.completionIndex as number));
      const got = podsWithDelayedDeletionPerIndex({
        job,
        pods: c.pods,
        succeededIndexes,
        failedIndexes: calculateFailedIndexes(job, c.pods, false),
        activeIndexes: new Set(c.pods.filter((p) => p.phase === "Running" || p.phase === "Pending").map((p) => p.completionIndex as number)),
        onlyReplaceFailed: false,
        excluded: new Set(c.excluded ?? []),
        nowMs: T0,
      });
      assert.deepStrictEqual([...got.values()].map((p) => p.uid).sort(), c.want, c.name);
    });
  }
});

describe("newIndexFailureCounts (in-tree TestGetNewIndexFailureCountValue)", () => {
  const ignoreDisruption: V1PodFailurePolicy = { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] };
  const cases: { name: string; policy?: V1PodFailurePolicy; pod?: PodView; want: [number, number] }[] = [
    { name: "first pod created", want: [0, 0] },
    { name: "failed pod being replaced with 0 index failure count", pod: mypod(0, "a", { failureCount: 0, phase: "Failed", index: 0 }), want: [1, 0] },
    { name: "failed pod being replaced with >0 index failure count", pod: mypod(0, "a", { failureCount: 3, phase: "Failed", index: 0 }), want: [4, 0] },
    {
      name: "failed pod being replaced, matching the ignore rule",
      policy: ignoreDisruption,
      pod: mypod(0, "a", { failureCount: 3, phase: "Failed", index: 3, conditions: [["DisruptionTarget", "True"]] }),
      want: [3, 1],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const job = perIndexJob({ parallelism: 1, completions: 4, backoffLimitPerIndex: 1, podFailurePolicy: c.policy });
      const got = newIndexFailureCounts(job, c.pod);
      assert.deepStrictEqual([got.failureCount, got.ignoredFailureCount], c.want);
    });
  }
});

describe("firstPendingIndexes (in-tree TestFirstPendingIndexes)", () => {
  test("with failed indexes", () => {
    const nonPending = OrderedIntervals.fromIndexes([1, 5, 9, 3, 9]).merge(OrderedIntervals.fromIndexes([2, 6, 7]));
    assert.deepStrictEqual(firstPendingIndexes(nonPending, 5, 20), [0, 4, 8, 10, 11]);
  });
});

describe("the index failure count annotation (in-tree TestGetIndexFailureCount)", () => {
  const cases: [string, string | undefined, number][] = [
    ["no annotation", undefined, 0],
    ["valid value", "2", 2],
    ["valid maxint32 value", String(MAX_INT32), MAX_INT32],
    ["too large value", String(MAX_INT32 + 1), 0],
    ["negative value", "-1", 0],
    ["invalid int value", "xyz", 0],
  ];
  for (const [name, value, want] of cases) {
    test(name, () => {
      const annotations: Record<string, string> = value === undefined ? {} : { [INDEX_FAILURE_COUNT_KEY]: value };
      const p = { metadata: { uid: "u", annotations } };
      assert.equal(indexFailureCountOf(p, INDEX_FAILURE_COUNT_KEY), want);
      assert.equal(podViewOf(p).indexFailureCount ?? 0, want);
    });
  }
});

describe("backoffLimitPerIndex under faults", () => {
  test("a lost removal of a delayed Pod already listed is planned again, even once its index has no active Pod any more", () => {
    const job = perIndexJob({ parallelism: 1, completions: 1, backoffLimitPerIndex: 3 });
    const world = new World(job, T0, seededRandom(1));
    world.setPod(mypod(0, "a", { index: 0, phase: "Failed", failureCount: 0 }));
    world.sync();
    world.executeCreation(0);
    const replacement = [...world.pods.values()].find((p) => p.uid !== "a") as PodView;
    world.sync();
    assert.deepStrictEqual(world.job.status?.uncountedTerminatedPods?.failed, ["a"]);
    world.loseRemoval(0); // the intent is lost: "a" still holds the finalizer, listed
    // The replacement vanishes (force-deleted, its finalizer stripped by hand): index 0 has no
    // active Pod again, and "a" is again the index's last failed Pod.
    world.setPod({ ...replacement, deletionTimestamp: iso(T0), hasFinalizer: false, gone: true });
    world.nowMs = T0 + 3_600_000;
    const plan = world.sync();
    assert.ok(plan?.removals.some((r) => r.podUID === "a" && r.reason === "count"), `the listed Pod's removal is re-planned: ${JSON.stringify(plan?.removals)}`);
    settle(world);
    assert.equal(new Set(world.countedLog).size, world.countedLog.length, "counted once");
    assert.ok(world.countedLog.includes("a"));
  });
});
