/**
 * Pods that leave their Job while they still exist (`PodView.departed`: the watcher saw their
 * controller ownerReference change or go, or their labels stop matching the Job's selector). As
 * in-tree (`ClaimPods` releases them, `syncOrphanPod` removes the finalizer of orphans; ported
 * cases of TestSyncOrphanPod named after them): never active, never counted unless already listed,
 * replaced, and their finalizer released once (again by a new owner of the partition).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { departedRecord } from "../../../shared/view/project.js";
import { DEFAULT_SYNC_OPTIONS, planJobSync, releaseRemovals } from "../../../services/counter/logic/index.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { Registry } from "prom-client";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import type { Intent } from "../../../shared/intents/intents.js";
import { makeJob, makeSnapshot, pod, seededRandom, T0 } from "./fixtures.js";
import { World } from "./simulation.js";

const departed = (p: PodView, releaseFinalizer = true): PodView => departedRecord({ ...p, resourceVersion: "99" }, p.jobUID, releaseFinalizer);

describe("departed Pods in a sync", () => {
  test("a running Pod whose labels and ownerReference a user removed: not active (no ghost), replaced, never counted, its finalizer released", () => {
    const job = makeJob({ parallelism: 1, completions: 1 });
    const running = pod("a", { phase: "Running", ready: true });
    const plan = planJobSync(makeSnapshot({ job, pods: [departed(running)] }));
    assert.equal(plan.creations.length, 1, "replaced");
    assert.equal(plan.status?.active, 1, "the replacement only");
    assert.equal(plan.status?.ready, 0);
    assert.deepStrictEqual(plan.status?.uncountedTerminatedPods, { succeeded: [], failed: [] });
    assert.deepStrictEqual(plan.removals.map((r) => `${r.podUID}:${r.reason}`), ["a:released"]);
    assert.deepStrictEqual(plan.counted, []);
  });

  test("published once per owner: a release this owner published is not planned again; a new owner (empty set) plans it again", () => {
    const job = makeJob({ parallelism: 1, completions: 1 });
    const pods = [departed(pod("a"))];
    assert.deepStrictEqual(planJobSync(makeSnapshot({ job, pods })).removals.length, 1);
    assert.deepStrictEqual(planJobSync({ ...makeSnapshot({ job, pods }), releasesPublished: new Set(["a"]) }).removals, []);
  });

  test("a Pod moved to another managed Job: gone to this one, nothing to release (the new Job tracks it)", () => {
    const job = makeJob({ parallelism: 1, completions: 1 });
    const plan = planJobSync(makeSnapshot({ job, pods: [departed(pod("a"), false)] }));
    assert.deepStrictEqual(plan.removals, []);
    assert.equal(plan.creations.length, 1);
  });

  test("a Pod already listed as failed, then departed, is counted as listed (in-tree counts a listed UID whose Pod it no longer sees)", () => {
    const job = makeJob({ parallelism: 1, completions: 1, status: { startTime: new Date(T0 - 60_000).toISOString() as unknown as Date, uncountedTerminatedPods: { failed: ["a"] } } });
    const plan = planJobSync(makeSnapshot({ job, pods: [departed(pod("a", { phase: "Failed" }))] }));
    assert.deepStrictEqual(plan.counted, ["a"]);
    assert.equal(plan.status?.failed, 1);
  });

  test("the whole story in the World: the Job completes with the replacement's success, the departed Pod counted nowhere", () => {
    const job: V1Job = makeJob({ parallelism: 1, completions: 1 });
    const world = new World(job, T0, seededRandom(1));
    world.sync();
    world.executeCreation(0);
    const first = [...world.pods.values()][0] as PodView;
    world.kubeletStep(first, true); // Running
    world.sync();
    // The user strips labels and ownerReference: the watcher files a departed record.
    world.setPod(departed(world.pods.get(first.uid) as PodView));
    const plan = world.sync();
    assert.ok(plan);
    assert.deepStrictEqual(plan.removals.map((r) => r.reason), ["released"]);
    assert.equal(plan.creations.length, 1);
    world.executeCreation(0);
    const second = [...world.pods.values()].find((p) => p.uid !== first.uid) as PodView;
    world.kubeletStep(second, true);
    world.kubeletStep(world.pods.get(second.uid) as PodView, true); // Succeeded
    for (let i = 0; i < 4; i++) {
      world.sync();
      while (world.removals.length > 0) world.executeRemoval(0);
    }
    const status = world.job.status ?? {};
    assert.ok((status.conditions ?? []).some((c) => c.type === "Complete" && c.status === "True"), JSON.stringify(status.conditions));
    assert.deepStrictEqual({ succeeded: status.succeeded, failed: status.failed ?? 0, active: status.active ?? 0 }, { succeeded: 1, failed: 0, active: 0 });
    assert.deepStrictEqual(world.countedLog, [second.uid]);
  });

  test("a finished Job releases its departed Pods too", () => {
    const job = makeJob({
      parallelism: 1,
      completions: 1,
      status: { conditions: [{ type: "Complete", status: "True" }] },
    });
    const plan = planJobSync(makeSnapshot({ job, pods: [departed(pod("a"))] }));
    assert.deepStrictEqual(plan.removals.map((r) => `${r.podUID}:${r.reason}`), ["a:released"]);
  });
});

describe("orphan Pods (in-tree TestSyncOrphanPod)", () => {
  // In-tree decides per orphan-queue Pod; jobtally decides in the watcher (routing, tested in
  // test/unit/watcher/ownership.test.ts) and in the sync of the Job a Pod was filed under.
  test("controlled_by_existing_running_job: the finalizer stays", () => {
    const plan = planJobSync(makeSnapshot({ job: makeJob({ parallelism: 1, completions: 1 }), pods: [pod("a")] }));
    assert.deepStrictEqual(plan.removals, []);
  });
  test("controlled_by_existing_finished_job: the finalizer goes, uncounted", () => {
    const job = makeJob({ parallelism: 1, completions: 1, status: { conditions: [{ type: "Failed", status: "True" }] } });
    const plan = planJobSync(makeSnapshot({ job, pods: [pod("a")] }));
    assert.deepStrictEqual(plan.removals.map((r) => `${r.podUID}:${r.reason}`), ["a:job-finished"]);
    assert.deepStrictEqual(plan.counted, []);
  });
  test("not_controlled: the Job it was filed under releases it", () => {
    assert.deepStrictEqual(releaseRemovals({ pods: [departed(pod("a"))] }).map((r) => r.reason), ["released"]);
  });
});

describe("JobSyncer: releasing departed Pods under faults", () => {
  function harness() {
    const intents: Intent[] = [];
    const purged: (string | null)[] = [];
    const syncer = new JobSyncer(
      { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
      {
        writeStatus: async (j: V1Job) => ({ ...j, metadata: { ...j.metadata, resourceVersion: String(Math.random()).slice(2, 8) } }),
        readJob: async () => assert.fail("no conflicts here"),
        readPod: async () => assert.fail("no replayed Pod record to check"),
        publishIntents: async (list) => void intents.push(...list),
        purge: async (subject) => void purged.push(subject),
        recordEvents: () => undefined,
        now: () => T0,
        random: () => 0.5,
        logger: silentLogger(),
        metrics: createCounterMetrics(new Registry()),
      },
    );
    return { syncer, intents, purged };
  }
  /** A fresh JobState as an owner builds it from the view (a replay). */
  function replayed(): JobState {
    const state = new JobState("job-uid", 0);
    const job = makeJob({ completions: 1, parallelism: 1 });
    state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "1", gone: false, job: jobToWire(job) }, "job-subject", 1);
    state.applyPodRecord(departed(pod("a")), "pod-subject-a", 2);
    return state;
  }
  const lease = (epoch: number, holder: string): SyncLease => ({ token: { epoch, holder }, canAct: () => true });
  const releases = (intents: Intent[]): string[] =>
    intents.flatMap((i) => (i.kind === "removeFinalizer" && i.reason === "released" ? [`${i.podUID}@${i.epoch}`] : []));

  test("released once per owner; the record stays in the view, so a new owner releases again when the first release was refused by fencing", async () => {
    const h = harness();
    const a = replayed();
    await h.syncer.sync(a, 0, lease(7, "counter-a"));
    await h.syncer.sync(a, 0, lease(7, "counter-a"));
    assert.deepStrictEqual(releases(h.intents), ["a@7"], "once by owner A");
    assert.deepStrictEqual(h.purged, [], "the departed record is not purged while the Job lives");
    // Owner A's intent is refused (its lease was superseded): owner B replays the view and syncs.
    const b = replayed();
    await h.syncer.sync(b, 0, lease(8, "counter-b"));
    assert.deepStrictEqual(releases(h.intents), ["a@7", "a@8"], "again by owner B, under its own epoch");
  });

  test("the Job is deleted: the release is published once more before its record is purged", async () => {
    const h = harness();
    const state = replayed();
    await h.syncer.sync(state, 0, lease(7, "counter-a"));
    state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "5", gone: true, job: null }, "job-subject", 3);
    await h.syncer.sync(state, 0, lease(7, "counter-a"));
    assert.deepStrictEqual(releases(h.intents), ["a@7", "a@7"]);
    assert.ok(h.purged.includes("pod-subject-a"), "purged only after the last release was published");
  });
});
