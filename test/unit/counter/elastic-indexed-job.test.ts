/**
 * Elastic Indexed Jobs (KEP-3715): `completions` changed together with `parallelism`. Ported from
 * the in-tree TestElasticIndexedJob (kubernetes/kubernetes test/integration/job/job_test.go), each
 * case and step as in-tree: the Job starts with completions = parallelism = 3 and all its Pods
 * active; each step changes both (when given), succeeds and fails Pods of the given indexes, and
 * checks the status; the Job must complete in the end. The in-tree case runs against an API
 * server; here the plans run in the World (every intent carried out, the kubelet killing the Pods
 * jobtally deletes).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { isElasticIndexed } from "../../../services/counter/logic/index.js";
import { makeJob, seededRandom, T0 } from "./fixtures.js";
import { World } from "./simulation.js";

interface Step {
  completions?: number;
  succeedIndexes?: number[];
  failIndexes?: number[];
  wantSucceededIndexes?: string;
  wantFailed?: number;
  wantRemainingIndexes?: number[];
  wantActivePods?: number;
}

/** Syncs and carries out every intent until the World is quiet. */
function run(world: World): void {
  for (let round = 0; round < 20; round++) {
    const plan = world.sync();
    assert.ok(plan);
    let acted = plan.status !== null;
    while (world.creations.length > 0) {
      world.executeCreation(0);
      acted = true;
    }
    const deleted = world.deletions.map((d) => d.uid);
    while (world.deletions.length > 0) world.executeDeletion(0);
    for (const uid of deleted) {
      const p = world.pods.get(uid);
      if (p) world.kubeletStep(p, false);
    }
    while (world.removals.length > 0) {
      world.executeRemoval(0);
      acted = true;
    }
    if (!acted && deleted.length === 0) return;
  }
}

const activeOf = (world: World): PodView[] => [...world.pods.values()].filter((p) => !p.gone && p.deletionTimestamp === null && (p.phase === "Pending" || p.phase === "Running"));

function finishIndex(world: World, ix: number, succeed: boolean): void {
  const p = activeOf(world).find((x) => x.completionIndex === ix);
  assert.ok(p, `an active Pod for index ${ix}`);
  world.kubeletStep(p, succeed); // Pending → Running
  world.kubeletStep(world.pods.get(p.uid) as PodView, succeed);
}

const cases: Record<string, Step[]> = {
  "scale up": [{ completions: 4, succeedIndexes: [0, 1, 2, 3], wantSucceededIndexes: "0-3" }],
  "scale down": [
    // First succeed index 1 and fail index 2 while completions is still original value (3).
    { succeedIndexes: [1], failIndexes: [2], wantSucceededIndexes: "1", wantFailed: 1, wantRemainingIndexes: [0, 2], wantActivePods: 2 },
    // Scale down completions 3->1, verify prev failure out of range still counts but succeeded out of range does not.
    { completions: 1, succeedIndexes: [0], wantSucceededIndexes: "0", wantFailed: 1 },
  ],
  "index finishes successfully, scale down, scale up": [
    { succeedIndexes: [2], wantSucceededIndexes: "2", wantRemainingIndexes: [0, 1], wantActivePods: 2 },
    // Scale completions down 3->2 to exclude previously succeeded index.
    { completions: 2, wantRemainingIndexes: [0, 1], wantActivePods: 2 },
    // Scale completions back up to include previously succeeded index that was temporarily out of range.
    { completions: 3, succeedIndexes: [0, 1, 2], wantSucceededIndexes: "0-2" },
  ],
  "scale down to 0, verify that the job succeeds": [{ completions: 0 }],
};

describe("elastic Indexed Jobs (in-tree TestElasticIndexedJob)", () => {
  for (const [name, steps] of Object.entries(cases)) {
    test(name, () => {
      const job: V1Job = makeJob({ completions: 3, parallelism: 3, indexed: true, backoffLimit: 6 });
      assert.ok(isElasticIndexed(job));
      const world = new World(job, T0, seededRandom(1), { podFailureBackoffBaseMs: 0 });
      run(world);
      assert.equal(world.job.status?.active, 3, "the Job's Pods start up");
      for (const [i, step] of steps.entries()) {
        if (step.completions !== undefined) {
          const spec = world.job.spec as NonNullable<V1Job["spec"]>;
          spec.completions = step.completions;
          spec.parallelism = step.completions;
          run(world);
        }
        for (const ix of step.succeedIndexes ?? []) {
          finishIndex(world, ix, true);
          run(world);
        }
        for (const ix of step.failIndexes ?? []) {
          finishIndex(world, ix, false);
          run(world);
        }
        const status: V1JobStatus = world.job.status ?? {};
        const label = `${name}, step ${i + 1}`;
        assert.equal(status.active ?? 0, step.wantActivePods ?? 0, `${label}: active`);
        assert.equal(status.failed ?? 0, step.wantFailed ?? 0, `${label}: failed`);
        assert.equal(status.succeeded ?? 0, (step.succeedIndexes ?? []).length, `${label}: succeeded`);
        assert.equal(status.completedIndexes ?? "", step.wantSucceededIndexes ?? "", `${label}: completedIndexes`);
        assert.equal(status.terminating ?? 0, 0, `${label}: terminating`);
        assert.deepStrictEqual(activeOf(world).map((p) => p.completionIndex).sort(), step.wantRemainingIndexes ?? [], `${label}: remaining indexes`);
      }
      const conditions = (world.job.status?.conditions ?? []).filter((c) => c.status === "True").map((c) => c.type);
      assert.ok(conditions.includes("Complete"), `${name}: the Job completes (${conditions.join(",")})`);
      assert.equal(new Set(world.countedLog).size, world.countedLog.length, "no UID counted twice");
    });
  }
});
