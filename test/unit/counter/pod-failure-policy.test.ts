/**
 * podFailurePolicy and restartPolicy OnFailure, ported from the in-tree tables (kubernetes/kubernetes
 * pkg/controller/job): TestMatchPodFailurePolicy (pod_failure_policy_test.go),
 * TestSyncJobWithJobPodFailurePolicy and TestJobBackoffForOnFailure (job_controller_test.go). Each
 * case names the in-tree case it comes from.
 *
 * In-tree removes finalizers inside the sync and writes Failed in the same sync; jobtally counts a
 * UID only once the view shows its finalizer gone, so the sync cases run the plans to rest in the
 * World (removals and jobtally's own deletions carried out, the kubelet killing the Pods jobtally
 * deleted) and compare the settled status with the in-tree one, plus what the first sync decided.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus, V1PodFailurePolicy, V1PodFailurePolicyRule } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { matchPodFailurePolicy, type PodFailurePolicyAction } from "../../../services/counter/logic/pod-failure-policy.js";
import { planJobSync, type SyncPlan } from "../../../services/counter/logic/index.js";
import { expectFields, iso, makeJob, makeSnapshot, pod, seededRandom, T0, type JobSetup, type PodSetup } from "./fixtures.js";
import { conditionsOf, settle, World } from "./simulation.js";

/** Long enough ago that the replacement backoff has passed (in-tree: a zero finish time). */
const LONG_AGO = T0 - 3_600_000;

interface PolicyPod extends PodSetup {
  exitCodes?: [string, number][];
  conditions?: [string, string][];
  restartCount?: number;
}

/** A Pod named like the in-tree builder's (`mypod-<i>` in namespace `default`). */
function mypod(i: number, setup: PolicyPod = {}): PodView {
  const base = pod(`uid-${i}`, { finishedAtMs: LONG_AGO, ...setup });
  const view: PodView = { ...base, name: `mypod-${i}`, namespace: "default" };
  if (setup.exitCodes) view.containerExitCodes = setup.exitCodes.map(([name, exitCode]) => ({ name, exitCode }));
  if (setup.conditions) view.conditions = setup.conditions.map(([type, status]) => ({ type, status }));
  if (setup.restartCount !== undefined) view.restartCount = setup.restartCount;
  return view;
}

const onExitCodes = (action: string, operator: string, values: number[], containerName?: string): V1PodFailurePolicyRule => ({
  action,
  onExitCodes: { operator, values, ...(containerName ? { containerName } : {}) },
});
const onCondition = (action: string, type: string, status = "True"): V1PodFailurePolicyRule => ({ action, onPodConditions: [{ type, status }] });

/** In-tree `onExitCodeRules` of TestSyncJobWithJobPodFailurePolicy. */
const ON_EXIT_CODE_RULES: V1PodFailurePolicyRule[] = [onExitCodes("Ignore", "In", [1, 2, 3]), onExitCodes("FailJob", "In", [5, 6, 7])];

function jobWith(setup: JobSetup, extra: { podFailurePolicy?: V1PodFailurePolicy; restartPolicy?: string }): V1Job {
  const job = makeJob(setup);
  const spec = job.spec as NonNullable<V1Job["spec"]>;
  if (extra.podFailurePolicy) {
    spec.podFailurePolicy = extra.podFailurePolicy;
    spec.podReplacementPolicy = "Failed"; // the API server's default with a podFailurePolicy
  }
  if (extra.restartPolicy) (spec.template.spec as { restartPolicy?: string }).restartPolicy = extra.restartPolicy;
  return job;
}

describe("matchPodFailurePolicy (in-tree TestMatchPodFailurePolicy)", () => {
  interface MatchCase {
    name: string;
    policy: V1PodFailurePolicy | null;
    pod: PodView;
    want: { action: PodFailurePolicyAction | null; countFailed: boolean; jobFailureMessage: string | null };
  }
  const failed = (setup: PolicyPod): PodView => mypod(0, { phase: "Failed", ...setup });
  const FAIL_JOB_2 = (index: number, code = 2): string => `Container main-container for pod default/mypod-0 failed with exit code ${code} matching FailJob rule at index ${index}`;
  const cases: MatchCase[] = [
    {
      name: "unknown action for rule matching by exit codes - skip rule with unknown action",
      policy: { rules: [onExitCodes("UnknownAction", "In", [1, 2]), onExitCodes("FailJob", "In", [2, 3])] },
      pod: failed({ exitCodes: [["main-container", 2]] }),
      want: { action: "FailJob", countFailed: true, jobFailureMessage: FAIL_JOB_2(1) },
    },
    {
      name: "unknown action for rule matching by pod conditions - skip rule with unknown action",
      policy: { rules: [onCondition("UnkonwnAction", "DisruptionTarget"), onCondition("Ignore", "DisruptionTarget")] },
      pod: failed({ conditions: [["DisruptionTarget", "True"]] }),
      want: { action: "Ignore", countFailed: false, jobFailureMessage: null },
    },
    {
      name: "unknown operator - rule with unknown action is skipped for onExitCodes",
      policy: { rules: [onExitCodes("Ignore", "UnknownOperator", [1, 2]), onExitCodes("FailJob", "In", [2, 3])] },
      pod: failed({ exitCodes: [["main-container", 2]] }),
      want: { action: "FailJob", countFailed: true, jobFailureMessage: FAIL_JOB_2(1) },
    },
    {
      name: "no policy rules",
      policy: null,
      pod: failed({ exitCodes: [["main-container", 2]] }),
      want: { action: null, countFailed: true, jobFailureMessage: null },
    },
    {
      name: "ignore rule matched for exit codes",
      policy: { rules: [onExitCodes("Ignore", "In", [1, 2, 3])] },
      pod: failed({ exitCodes: [["c", 2]] }),
      want: { action: "Ignore", countFailed: false, jobFailureMessage: null },
    },
    {
      name: "ignore rule matched on negative exit codes - needed for Windows support",
      policy: { rules: [onExitCodes("Ignore", "In", [-1073741676, -1073741510])] },
      pod: failed({ exitCodes: [["c", -1073741510]] }),
      want: { action: "Ignore", countFailed: false, jobFailureMessage: null },
    },
    {
      name: "FailJob rule matched for exit codes",
      policy: { rules: [onExitCodes("FailJob", "In", [1, 2, 3])] },
      pod: failed({ exitCodes: [["main-container", 2]] }),
      want: { action: "FailJob", countFailed: true, jobFailureMessage: FAIL_JOB_2(0) },
    },
    {
      name: "successful containers are skipped by the rules",
      policy: { rules: [onExitCodes("FailJob", "NotIn", [111])] },
      // Exit code 0 never matches, not even NotIn; the view drops it, the matcher skips it too.
      pod: failed({ exitCodes: [["main-container", 111], ["suppport-container", 0], ["init-container", 0]] }),
      want: { action: null, countFailed: true, jobFailureMessage: null },
    },
    {
      name: "FailIndex rule matched for exit codes",
      policy: { rules: [onExitCodes("FailIndex", "In", [1, 2, 3])] },
      pod: failed({ exitCodes: [["c", 2]] }),
      want: { action: "FailIndex", countFailed: true, jobFailureMessage: null },
    },
    {
      name: "pod failure policy with NotIn operator and value 0",
      policy: { rules: [onExitCodes("FailJob", "NotIn", [0])] },
      pod: failed({ exitCodes: [["main-container", 1], ["suppport-container", 0]] }),
      want: { action: "FailJob", countFailed: true, jobFailureMessage: FAIL_JOB_2(0, 1) },
    },
    {
      name: "second jobfail rule matched for exit codes",
      policy: { rules: [onExitCodes("Count", "In", [1, 2, 3]), onExitCodes("FailJob", "In", [4, 5, 6])] },
      pod: failed({ exitCodes: [["main-container", 6]] }),
      want: { action: "FailJob", countFailed: true, jobFailureMessage: FAIL_JOB_2(1, 6) },
    },
    {
      name: "count rule matched for exit codes",
      policy: { rules: [onExitCodes("Count", "In", [1, 2, 3])] },
      pod: failed({ exitCodes: [["bar", 2]] }),
      want: { action: "Count", countFailed: true, jobFailureMessage: null },
    },
    {
      name: "FailIndex rule matched for pod conditions",
      policy: { rules: [onCondition("FailIndex", "DisruptionTarget")] },
      pod: failed({ conditions: [["DisruptionTarget", "True"]] }),
      want: { action: "FailIndex", countFailed: true, jobFailureMessage: null },
    },
    {
      name: "ignore rule matched for pod conditions",
      policy: { rules: [onCondition("Ignore", "DisruptionTarget")] },
      pod: failed({ conditions: [["DisruptionTarget", "True"]] }),
      want: { action: "Ignore", countFailed: false, jobFailureMessage: null },
    },
    {
      name: "ignore rule matches by the status=False",
      policy: { rules: [onCondition("Ignore", "DisruptionTarget", "False")] },
      pod: failed({ conditions: [["DisruptionTarget", "False"]] }),
      want: { action: "Ignore", countFailed: false, jobFailureMessage: null },
    },
    {
      name: "ignore rule matches by the status=Unknown",
      policy: { rules: [onCondition("Ignore", "DisruptionTarget", "Unknown")] },
      pod: failed({ conditions: [["DisruptionTarget", "Unknown"]] }),
      want: { action: "Ignore", countFailed: false, jobFailureMessage: null },
    },
    {
      name: "ignore rule does not match when status for pattern is False, but actual True",
      policy: { rules: [onCondition("Ignore", "DisruptionTarget", "False")] },
      pod: failed({ conditions: [["DisruptionTarget", "True"]] }),
      want: { action: null, countFailed: true, jobFailureMessage: null },
    },
    {
      name: "ignore rule does not match when status for pattern is True, but actual False",
      policy: { rules: [onCondition("Ignore", "DisruptionTarget", "True")] },
      pod: failed({ conditions: [["DisruptionTarget", "False"]] }),
      want: { action: null, countFailed: true, jobFailureMessage: null },
    },
    {
      name: "job fail rule matched for pod conditions",
      policy: { rules: [onCondition("FailJob", "DisruptionTarget")] },
      pod: failed({ conditions: [["DisruptionTarget", "True"]] }),
      want: { action: "FailJob", countFailed: true, jobFailureMessage: "Pod default/mypod-0 has condition DisruptionTarget matching FailJob rule at index 0" },
    },
    {
      name: "count rule matched for pod conditions",
      policy: { rules: [onCondition("Count", "DisruptionTarget")] },
      pod: failed({ conditions: [["DisruptionTarget", "True"]] }),
      want: { action: "Count", countFailed: true, jobFailureMessage: null },
    },
    {
      name: "no rule matched",
      policy: {
        rules: [
          onExitCodes("Count", "NotIn", [8]),
          onExitCodes("Ignore", "In", [1, 2, 3]),
          onExitCodes("FailJob", "NotIn", [5, 6, 7]),
          onCondition("Count", "ResourceLimitExceeded"),
          onCondition("Ignore", "DisruptionTarget"),
        ],
      },
      // In-tree's "no rule matched" does match its first rule (32 is NotIn [8]): Count.
      pod: failed({ exitCodes: [["c", 32]] }),
      want: { action: "Count", countFailed: true, jobFailureMessage: null },
    },
    {
      name: "containerName restricts the match to that container (in-tree: default handling ... containerName restriction)",
      policy: { rules: [onExitCodes("Ignore", "In", [1, 2, 3], "main-container"), onExitCodes("FailJob", "In", [5, 6, 7], "main-container")] },
      pod: failed({ exitCodes: [["monitoring-container", 5], ["main-container", 42]] }),
      want: { action: null, countFailed: true, jobFailureMessage: null },
    },
    {
      name: "init containers are matched after the regular ones (in-tree: fail job based on OnExitCodes for InitContainer)",
      policy: { rules: ON_EXIT_CODE_RULES },
      // The view keeps regular containers first: main-container 143 matches nothing, init-container 5 matches FailJob.
      pod: failed({ exitCodes: [["main-container", 143], ["init-container", 5]] }),
      want: { action: "FailJob", countFailed: true, jobFailureMessage: "Container init-container for pod default/mypod-0 failed with exit code 5 matching FailJob rule at index 1" },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = matchPodFailurePolicy(c.policy, c.pod);
      expectFields(c.name, { ...got }, c.want);
    });
  }
});

function assertCountedOnce(world: World, label: string): void {
  assert.equal(new Set(world.countedLog).size, world.countedLog.length, `${label}: a UID was counted twice`);
  const status = world.job.status ?? {};
  assert.equal((status.succeeded ?? 0) + (status.failed ?? 0), world.countedLog.length, `${label}: counters != UIDs counted`);
  const holding = [...world.pods.values()].filter((p) => p.hasFinalizer && !p.gone && !(p.phase === "Running" || p.phase === "Pending"));
  assert.deepStrictEqual(
    holding.map((p) => p.uid),
    [],
    `${label}: finished Pods still hold the finalizer`,
  );
}

interface SyncCase {
  name: string;
  // job setup
  job: JobSetup;
  podFailurePolicy?: V1PodFailurePolicy;
  restartPolicy?: string;
  status?: V1JobStatus;
  // pod setup
  pods: PodView[];
  // expectations: the first sync, then the status once settled (in-tree's status after its one sync)
  wantFirst?: Record<string, unknown>;
  want: { conditions: string[]; active: number; failed: number; succeeded: number; terminating?: number };
}

const FT = "FailureTarget";
const PFP = "PodFailurePolicy";
const exit5 = (pod: number): string => `Container main-container for pod default/mypod-${pod} failed with exit code 5 matching FailJob rule at index 1`;
const BACKOFF = "BackoffLimitExceeded:Job has reached the specified backoff limit";

function firstSummary(plan: SyncPlan, job: V1Job): Record<string, unknown> {
  const status = plan.status ?? job.status ?? {};
  return {
    conditions: conditionsOf(status),
    uncountedFailed: [...(status.uncountedTerminatedPods?.failed ?? [])].sort(),
    deletions: plan.deletions.map((d) => `${d.podUID}:${d.reason}:${d.removeFinalizerFirst ? "rmFirst" : "keep"}`),
    removals: plan.removals.map((r) => `${r.podUID}:${r.reason}`).sort(),
    creations: plan.creations.length,
    events: plan.events.map((e) => `${e.type}/${e.reason}`),
  };
}

function runSyncCases(cases: SyncCase[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const job = jobWith(c.job, { podFailurePolicy: c.podFailurePolicy, restartPolicy: c.restartPolicy });
      if (c.status) job.status = { startTime: iso(T0 - 60_000) as unknown as Date, ...c.status };
      if (c.wantFirst) {
        const first = planJobSync(makeSnapshot({ job, pods: c.pods }));
        expectFields(`${c.name} (first sync)`, firstSummary(first, job), c.wantFirst);
      }
      const world = new World(job, T0, seededRandom(1));
      for (const p of c.pods) world.setPod(p);
      settle(world);
      const status = world.job.status ?? {};
      const got = {
        conditions: conditionsOf(status),
        active: status.active ?? 0,
        failed: status.failed ?? 0,
        succeeded: status.succeeded ?? 0,
        terminating: status.terminating ?? 0,
      };
      expectFields(c.name, got, { terminating: 0, ...c.want });
      assertCountedOnce(world, c.name);
    });
  }
}

describe("planJobSync with a podFailurePolicy (in-tree TestSyncJobWithJobPodFailurePolicy)", () => {
  runSyncCases([
    {
      name: "default handling for pod failure if the container matching the exit codes does not match the containerName restriction",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: [onExitCodes("Ignore", "In", [1, 2, 3], "main-container"), onExitCodes("FailJob", "In", [5, 6, 7], "main-container")] },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["monitoring-container", 5], ["main-container", 42]] })],
      want: { conditions: [], active: 1, failed: 1, succeeded: 0 },
    },
    {
      name: "running pod should not result in job fail based on OnExitCodes",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Running", exitCodes: [["main-container", 5]] })],
      want: { conditions: [], active: 1, failed: 0, succeeded: 0 },
    },
    {
      name: "fail job based on OnExitCodes",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["main-container", 5]] })],
      wantFirst: {
        conditions: [`${FT}:${PFP}:${exit5(0)}`],
        uncountedFailed: ["uid-0"],
        removals: ["uid-0:count"],
        creations: 0,
      },
      want: { conditions: [`${FT}:${PFP}:${exit5(0)}`, `Failed:${PFP}:${exit5(0)}`], active: 0, failed: 1, succeeded: 0 },
    },
    {
      name: "job marked already as failure target with failed pod",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      status: { conditions: [{ type: FT, status: "True", reason: PFP, message: exit5(0) }] },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["main-container", 5]] })],
      want: { conditions: [`${FT}:${PFP}:${exit5(0)}`, `Failed:${PFP}:${exit5(0)}`], active: 0, failed: 1, succeeded: 0 },
    },
    {
      name: "job marked already as failure target with failed pod, message based on already deleted pod",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      status: {
        conditions: [
          { type: FT, status: "True", reason: PFP, message: "Container main-container for pod default/already-deleted-pod failed with exit code 5 matching FailJob rule at index 1" },
        ],
      },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["main-container", 5]] })],
      want: {
        conditions: [
          `${FT}:${PFP}:Container main-container for pod default/already-deleted-pod failed with exit code 5 matching FailJob rule at index 1`,
          `Failed:${PFP}:Container main-container for pod default/already-deleted-pod failed with exit code 5 matching FailJob rule at index 1`,
        ],
        active: 0,
        failed: 1,
        succeeded: 0,
      },
    },
    {
      name: "fail job with multiple pods (and JobManagedBy enabled delays setting terminal condition): the running Pod is deleted and counted failed",
      job: { parallelism: 2, completions: 2, backoffLimit: 6 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Running" }), mypod(1, { phase: "Failed", exitCodes: [["main-container", 5]] })],
      wantFirst: {
        conditions: [`${FT}:${PFP}:${exit5(1)}`],
        deletions: ["uid-0:job-failed:keep"],
        uncountedFailed: ["uid-0", "uid-1"],
        removals: ["uid-0:count", "uid-1:count"],
        events: ["Normal/SuccessfulDelete"],
      },
      want: { conditions: [`${FT}:${PFP}:${exit5(1)}`, `Failed:${PFP}:${exit5(1)}`], active: 0, failed: 2, succeeded: 0 },
    },
    {
      name: "fail indexed job based on OnExitCodes",
      job: { parallelism: 1, completions: 1, backoffLimit: 6, indexed: true },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Failed", index: 0, exitCodes: [["main-container", 5]] })],
      want: { conditions: [`${FT}:${PFP}:${exit5(0)}`, `Failed:${PFP}:${exit5(0)}`], active: 0, failed: 1, succeeded: 0 },
    },
    {
      name: "fail job based on OnExitCodes with NotIn operator",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: [onExitCodes("FailJob", "NotIn", [5, 6, 7])] },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["main-container", 42]] })],
      want: {
        conditions: [
          `${FT}:${PFP}:Container main-container for pod default/mypod-0 failed with exit code 42 matching FailJob rule at index 0`,
          `Failed:${PFP}:Container main-container for pod default/mypod-0 failed with exit code 42 matching FailJob rule at index 0`,
        ],
        active: 0,
        failed: 1,
        succeeded: 0,
      },
    },
    {
      name: "default handling job based on OnExitCodes with NotIn operator",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: [onExitCodes("FailJob", "NotIn", [5, 6, 7])] },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["main-container", 5]] })],
      want: { conditions: [], active: 1, failed: 1, succeeded: 0 },
    },
    {
      name: "fail job based on OnExitCodes for InitContainer",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["main-container", 143], ["init-container", 5]] })],
      want: {
        conditions: [
          `${FT}:${PFP}:Container init-container for pod default/mypod-0 failed with exit code 5 matching FailJob rule at index 1`,
          `Failed:${PFP}:Container init-container for pod default/mypod-0 failed with exit code 5 matching FailJob rule at index 1`,
        ],
        active: 0,
        failed: 1,
        succeeded: 0,
      },
    },
    {
      name: "ignore pod failure; both rules are matching, the first is executed only",
      job: { parallelism: 1, completions: 1, backoffLimit: 0 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["container1", 2], ["container2", 6]] })],
      wantFirst: { conditions: [], uncountedFailed: [], removals: ["uid-0:count"], creations: 1 },
      want: { conditions: [], active: 1, failed: 0, succeeded: 0 },
    },
    {
      name: "ignore pod failure based on OnExitCodes",
      job: { parallelism: 1, completions: 1, backoffLimit: 0 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["c", 1]] })],
      want: { conditions: [], active: 1, failed: 0, succeeded: 0 },
    },
    {
      name: "default job based on OnExitCodes (JobManagedBy enabled triggers adding interim condition)",
      job: { parallelism: 1, completions: 1, backoffLimit: 0 },
      podFailurePolicy: { rules: ON_EXIT_CODE_RULES },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["c", 10]] })],
      want: { conditions: [`${FT}:${BACKOFF}`, `Failed:${BACKOFF}`], active: 0, failed: 1, succeeded: 0 },
    },
    {
      name: "count pod failure based on OnExitCodes; both rules are matching, the first is executed only",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: [onExitCodes("Count", "In", [1, 2]), onExitCodes("Ignore", "In", [2, 3])] },
      pods: [mypod(0, { phase: "Failed", exitCodes: [["c", 2]] })],
      want: { conditions: [], active: 1, failed: 1, succeeded: 0 },
    },
    {
      name: "count pod failure based on OnPodConditions; both rules are matching, the first is executed only",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: [onCondition("Count", "ResourceLimitExceeded"), onCondition("Ignore", "DisruptionTarget")] },
      pods: [mypod(0, { phase: "Failed", conditions: [["ResourceLimitExceeded", "True"], ["DisruptionTarget", "True"]] })],
      want: { conditions: [], active: 1, failed: 1, succeeded: 0 },
    },
    {
      name: "ignore pod failure based on OnPodConditions",
      job: { parallelism: 1, completions: 1, backoffLimit: 0 },
      podFailurePolicy: { rules: [onCondition("Ignore", "DisruptionTarget")] },
      pods: [mypod(0, { phase: "Failed", conditions: [["DisruptionTarget", "True"]] })],
      want: { conditions: [], active: 1, failed: 0, succeeded: 0 },
    },
    {
      name: "ignore pod failure based on OnPodConditions, ignored failures delays pod recreation",
      job: { parallelism: 1, completions: 1, backoffLimit: 0 },
      podFailurePolicy: { rules: [onCondition("Ignore", "DisruptionTarget")] },
      // Finished at its deletion, a second ago: the 10 s replacement backoff still runs.
      pods: [mypod(0, { phase: "Failed", deleting: true, finishedAtMs: null, conditions: [["DisruptionTarget", "True"]] })],
      wantFirst: { conditions: [], uncountedFailed: [], removals: ["uid-0:count"], creations: 0 },
      want: { conditions: [], active: 0, failed: 0, succeeded: 0 },
    },
    {
      name: "fail job based on OnPodConditions",
      job: { parallelism: 1, completions: 1, backoffLimit: 6 },
      podFailurePolicy: { rules: [onCondition("FailJob", "DisruptionTarget")] },
      pods: [mypod(0, { phase: "Failed", conditions: [["DisruptionTarget", "True"]] })],
      want: {
        conditions: [
          `${FT}:${PFP}:Pod default/mypod-0 has condition DisruptionTarget matching FailJob rule at index 0`,
          `Failed:${PFP}:Pod default/mypod-0 has condition DisruptionTarget matching FailJob rule at index 0`,
        ],
        active: 0,
        failed: 1,
        succeeded: 0,
      },
    },
    {
      name: "terminating Pod not considered failed when JobPodFailurePolicy is enabled and used",
      job: { parallelism: 1, completions: null, backoffLimit: 0 },
      podFailurePolicy: { rules: [onCondition("Count", "DisruptionTarget")] },
      // Deleted by someone else, not yet Failed: neither failed nor replaced (terminating counts it).
      pods: [mypod(0, { phase: "Running", deleting: true })],
      wantFirst: { conditions: [], uncountedFailed: [], removals: [], creations: 0 },
      want: { conditions: [], active: 0, failed: 0, succeeded: 0, terminating: 1 },
    },
  ]);

  test("FailureTarget is written before Failed, Failed only once no Pod holds the finalizer, and both carry the FailJob message", () => {
    const job = jobWith({ parallelism: 2, completions: 2, backoffLimit: 6 }, { podFailurePolicy: { rules: ON_EXIT_CODE_RULES } });
    const world = new World(job, T0, seededRandom(1));
    world.setPod(mypod(0, { phase: "Running" }));
    world.setPod(mypod(1, { phase: "Failed", exitCodes: [["main-container", 5]] }));
    const first = world.sync();
    assert.deepStrictEqual(conditionsOf(first?.status ?? undefined), [`${FT}:${PFP}:${exit5(1)}`]);
    // The removals have not run: a second sync may not finish the Job.
    const second = world.sync();
    assert.equal(second?.finished, false, "Failed waits for the finalizers");
    assert.deepStrictEqual(conditionsOf(world.job.status), [`${FT}:${PFP}:${exit5(1)}`]);
    settle(world);
    const events = world.plans.flatMap((p) => p.events).filter((e) => e.type === "Warning");
    assert.deepStrictEqual(events, [{ type: "Warning", reason: PFP, message: exit5(1) }], "one Warning event with the in-tree reason and message");
  });

  test("an ignored failure is never counted: its removal lost and re-planned, a stale view replayed, it stays out of the lists", () => {
    const job = jobWith({ parallelism: 1, completions: 2, backoffLimit: 0 }, { podFailurePolicy: { rules: [onCondition("Ignore", "DisruptionTarget")] } });
    const world = new World(job, T0, seededRandom(5));
    world.setPod(mypod(0, { phase: "Failed", conditions: [["DisruptionTarget", "True"]] }));
    world.setPod(mypod(1, { phase: "Succeeded" }));
    const stale = world.capture();
    world.sync();
    assert.deepStrictEqual(world.job.status?.uncountedTerminatedPods?.failed ?? [], [], "never listed");
    world.loseRemoval(world.removals.findIndex((r) => r.uid === "uid-0"));
    world.sync(); // re-plans the lost removal
    assert.ok(
      world.removals.some((r) => r.uid === "uid-0"),
      "the lost removal is planned again",
    );
    while (world.removals.length > 0) world.executeRemoval(0);
    world.sync(stale); // an old snapshot cannot write (compare-and-set) and lists nothing
    settle(world);
    assert.equal(world.job.status?.failed ?? 0, 0, "ignored: not in status.failed");
    assert.equal(world.pods.get("uid-0")?.hasFinalizer, false, "ignored: the finalizer is gone all the same");
    assert.ok(!world.countedLog.includes("uid-0"), "ignored: never counted");
    assertCountedOnce(world, "ignored");
  });

  test("a failure listed before it matched an Ignore rule stays counted as listed (never re-decided, never listed twice)", () => {
    const job = jobWith({ parallelism: 1, completions: 1, backoffLimit: 6 }, { podFailurePolicy: { rules: [onCondition("Ignore", "DisruptionTarget")] } });
    job.status = { startTime: iso(T0 - 60_000) as unknown as Date, uncountedTerminatedPods: { failed: ["uid-0"] } };
    const plan = planJobSync(makeSnapshot({ job, pods: [mypod(0, { phase: "Failed", conditions: [["DisruptionTarget", "True"]] }), mypod(1, { phase: "Running" })] }));
    expectFields("listed before", firstSummary(plan, job), { uncountedFailed: ["uid-0"], removals: ["uid-0:count"] });
    const counted = planJobSync(makeSnapshot({ job, pods: [mypod(0, { phase: "Failed", finalizer: false, conditions: [["DisruptionTarget", "True"]] }), mypod(1, { phase: "Running" })] }));
    assert.equal(counted.status?.failed, 1, "counted once its finalizer is gone");
    assert.deepStrictEqual(counted.counted, ["uid-0"]);
  });

  test("a SuccessCriteriaMet Job does not look at the podFailurePolicy any more (in-tree: evaluated only without SuccessCriteriaMet)", () => {
    const job = jobWith({ parallelism: 2, completions: 1, backoffLimit: 6 }, { podFailurePolicy: { rules: ON_EXIT_CODE_RULES } });
    job.status = {
      startTime: iso(T0 - 60_000) as unknown as Date,
      succeeded: 1,
      conditions: [{ type: "SuccessCriteriaMet", status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods" }],
    };
    const plan = planJobSync(makeSnapshot({ job, pods: [mypod(1, { phase: "Failed", exitCodes: [["main-container", 5]] })] }));
    expectFields("scm", firstSummary(plan, job), { conditions: ["SuccessCriteriaMet:CompletionsReached:Reached expected number of succeeded pods"] });
  });
});

describe("restartPolicy OnFailure: container restarts against backoffLimit (in-tree TestJobBackoffForOnFailure)", () => {
  const onFailure = (name: string, job: JobSetup, restartCounts: number[], phase: "Running" | "Pending" | "Succeeded", want: SyncCase["want"], wantFirst?: Record<string, unknown>): SyncCase => ({
    name,
    job,
    restartPolicy: "OnFailure",
    pods: restartCounts.map((n, i) => mypod(i, { phase, restartCount: n })),
    want,
    ...(wantFirst ? { wantFirst } : {}),
  });
  const FAILED_BACKOFF = [`${FT}:${BACKOFF}`, `Failed:${BACKOFF}`];
  runSyncCases([
    onFailure("backoffLimit 0 should have 1 pod active", { parallelism: 1, completions: 1, backoffLimit: 0 }, [0], "Running", { conditions: [], active: 1, failed: 0, succeeded: 0 }),
    onFailure("backoffLimit 1 with restartCount 0 should have 1 pod active", { parallelism: 1, completions: 1, backoffLimit: 1 }, [0], "Running", {
      conditions: [],
      active: 1,
      failed: 0,
      succeeded: 0,
    }),
    onFailure(
      "backoffLimit 1 with restartCount 1 and podRunning should have 0 pod active",
      { parallelism: 1, completions: 1, backoffLimit: 1 },
      [1],
      "Running",
      { conditions: FAILED_BACKOFF, active: 0, failed: 1, succeeded: 0 },
      { conditions: [`${FT}:${BACKOFF}`], deletions: ["uid-0:job-failed:keep"], uncountedFailed: ["uid-0"], removals: ["uid-0:count"], creations: 0 },
    ),
    onFailure("backoffLimit 1 with restartCount 1 and podPending should have 0 pod active", { parallelism: 1, completions: 1, backoffLimit: 1 }, [1], "Pending", {
      conditions: FAILED_BACKOFF,
      active: 0,
      failed: 1,
      succeeded: 0,
    }),
    onFailure("too many job failures with podRunning - single pod", { parallelism: 1, completions: 5, backoffLimit: 2 }, [2], "Running", {
      conditions: FAILED_BACKOFF,
      active: 0,
      failed: 1,
      succeeded: 0,
    }),
    onFailure("too many job failures with podPending - single pod", { parallelism: 1, completions: 5, backoffLimit: 2 }, [2], "Pending", {
      conditions: FAILED_BACKOFF,
      active: 0,
      failed: 1,
      succeeded: 0,
    }),
    onFailure(
      "too many job failures with podRunning - multiple pods (JobManagedBy / JobPodReplacementPolicy enabled)",
      { parallelism: 2, completions: 5, backoffLimit: 2 },
      [1, 1],
      "Running",
      { conditions: FAILED_BACKOFF, active: 0, failed: 2, succeeded: 0 },
      { conditions: [`${FT}:${BACKOFF}`], deletions: ["uid-0:job-failed:keep", "uid-1:job-failed:keep"], uncountedFailed: ["uid-0", "uid-1"] },
    ),
    onFailure("too many job failures with podPending - multiple pods", { parallelism: 2, completions: 5, backoffLimit: 2 }, [1, 1], "Pending", {
      conditions: FAILED_BACKOFF,
      active: 0,
      failed: 2,
      succeeded: 0,
    }),
    onFailure("not enough failures", { parallelism: 2, completions: 5, backoffLimit: 3 }, [1, 1], "Running", { conditions: [], active: 2, failed: 0, succeeded: 0 }),
    onFailure("suspending a job", { parallelism: 2, completions: 4, backoffLimit: 6, suspend: true }, [1, 1], "Running", {
      conditions: ["Suspended:JobSuspended:Job suspended"],
      active: 0,
      failed: 0,
      succeeded: 0,
    }),
    onFailure("finished job (JobPodReplacementPolicy / JobManagedBy enabled): restarts of finished Pods do not count", { parallelism: 2, completions: 4, backoffLimit: 6, suspend: true }, [1, 1, 2, 0], "Succeeded", {
      conditions: ["SuccessCriteriaMet:CompletionsReached:Reached expected number of succeeded pods", "Complete:CompletionsReached:Reached expected number of succeeded pods"],
      active: 0,
      failed: 0,
      succeeded: 4,
    }),
  ]);

  test("restartPolicy Never ignores restart counts (pastBackoffLimitOnFailure applies to OnFailure only)", () => {
    const job = jobWith({ parallelism: 1, completions: 1, backoffLimit: 1 }, {});
    const plan = planJobSync(makeSnapshot({ job, pods: [mypod(0, { phase: "Running", restartCount: 5 })] }));
    expectFields("never", firstSummary(plan, job), { conditions: [], deletions: [] });
  });

  test("gone Pods and Pods no longer Running or Pending add no restarts", () => {
    const job = jobWith({ parallelism: 2, completions: 5, backoffLimit: 2 }, { restartPolicy: "OnFailure" });
    const pods = [mypod(0, { phase: "Running", restartCount: 1 }), mypod(1, { phase: "Running", gone: true, restartCount: 5 }), mypod(2, { phase: "Succeeded", restartCount: 5 })];
    const plan = planJobSync(makeSnapshot({ job, pods }));
    expectFields("gone", firstSummary(plan, job), { conditions: [] });
  });
});
