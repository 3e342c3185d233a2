/**
 * Exactly-once counting over many syncs: a burst above the uncounted cap, and a randomized
 * property test with Pods finishing, removals executing (or getting lost) in random order,
 * deletions, stale and duplicated snapshots, applying plans step by step.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PodView } from "../../../shared/view/records.js";
import { makeJob, pod, seededRandom, T0, iso } from "./fixtures.js";
import { World, type CapturedSnapshot } from "./simulation.js";
import { OrderedIntervals } from "../../../services/counter/logic/index.js";

/** Indexed Jobs count successes by index, not by UID: only failures go through the lists. */
function assertCountedOnce(world: World, label: string, indexed = false): void {
  const unique = new Set(world.countedLog);
  assert.equal(unique.size, world.countedLog.length, `${label}: a UID was counted twice`);
  const status = world.job.status ?? {};
  if (indexed) {
    const completions = world.job.spec?.completions ?? 0;
    assert.equal(status.succeeded ?? 0, OrderedIntervals.parse(status.completedIndexes, completions).total(), `${label}: succeeded = completed indexes`);
  }
  const total = (indexed ? 0 : (status.succeeded ?? 0)) + (status.failed ?? 0);
  assert.equal(total, world.countedLog.length, `${label}: succeeded+failed (${total}) != UIDs counted (${world.countedLog.length})`);
}

describe("exactly-once counting over successive syncs", () => {
  test("1,200 Pods finished at once: at most 500 listed per write, counted first then refilled, all counted once", () => {
    const job = makeJob({ completions: 5000, parallelism: 0 });
    const world = new World(job, T0, seededRandom(7));
    for (let i = 0; i < 1200; i++) {
      world.setPod(pod(`p${String(i).padStart(4, "0")}`, { phase: i % 3 === 0 ? "Failed" : "Succeeded", finishedAtMs: T0 - 100_000 + i }));
    }
    const listedPerSync: number[] = [];
    const countedPerSync: number[] = [];
    for (let round = 0; round < 10; round++) {
      const plan = world.sync();
      assert.ok(plan, "no concurrent writer: the write succeeds");
      const u = world.job.status?.uncountedTerminatedPods;
      const listed = (u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0);
      assert.ok(listed <= 500, `round ${round}: ${listed} UIDs listed`);
      listedPerSync.push(listed);
      countedPerSync.push(plan.counted.length);
      // Every planned removal executes before the next sync.
      while (world.removals.length > 0) world.executeRemoval(0);
      if (listed === 0 && plan.counted.length === 0) break;
    }
    assert.deepStrictEqual(
      { listedPerSync, countedPerSync },
      { listedPerSync: [500, 500, 200, 0, 0], countedPerSync: [0, 500, 500, 200, 0] },
      "want/got: each write counts the previous batch and lists the next one",
    );
    assertCountedOnce(world, "burst");
    assert.equal(world.job.status?.succeeded, 800);
    assert.equal(world.job.status?.failed, 400);
  });

  test("a stale duplicate of an applied snapshot cannot write (compare-and-set) and re-publishes only idempotent intents", () => {
    const world = new World(makeJob({ completions: 10, parallelism: 0 }), T0, seededRandom(3));
    world.setPod(pod("a", { phase: "Succeeded" }));
    const captured = world.capture();
    assert.ok(world.sync(captured));
    world.executeRemoval(0);
    world.sync();
    const duplicate = world.sync(captured);
    assert.equal(duplicate, null, "the stale plan writes a status and loses the compare-and-set");
    assertCountedOnce(world, "duplicate");
    assert.equal(world.job.status?.succeeded, 1);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]) {
    test(`randomized: Pods finish, get deleted, removals run late, lost or out of order, snapshots go stale (seed ${seed})`, () => {
      runRandomized(seed);
    });
  }
});

function runRandomized(seed: number): void {
  const rnd = seededRandom(seed * 7919);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(rnd() * items.length)];
  const indexed = seed % 3 === 0;
  const completions = 12 + Math.floor(rnd() * 20);
  const job = makeJob({
    completions,
    parallelism: 2 + Math.floor(rnd() * 6),
    backoffLimit: seed % 4 === 0 ? 2 : 1000,
    indexed,
    status: {},
  });
  const world = new World(job, T0, seededRandom(seed), {
    maxUncountedPods: 1 + Math.floor(rnd() * 5),
    podFailureBackoffBaseMs: 50,
    podFailureBackoffMaxMs: 400,
  });
  const stale: CapturedSnapshot[] = [];
  const finishedWithFinalizer = new Set<string>();
  const livePods = (): PodView[] => [...world.pods.values()].filter((p) => !p.gone);

  const noteFinished = (before: PodView | undefined, uid: string): void => {
    const after = world.pods.get(uid);
    if (!before || !after || !before.hasFinalizer) return;
    const wasFinished = before.phase === "Succeeded" || before.phase === "Failed" || before.deletionTimestamp !== null;
    const isFinished = after.phase === "Succeeded" || after.phase === "Failed" || after.deletionTimestamp !== null;
    if (!wasFinished && isFinished) finishedWithFinalizer.add(uid);
  };

  let steps = 0;
  for (; steps < 6000; steps++) {
    world.nowMs += Math.floor(rnd() * 300);
    const draining = steps > 3000;
    const roll = rnd();
    if (roll < 0.25) {
      // Sync on the current view, or on an older one that is still newer than what the status was computed from.
      const from = world.statusViewVersion + Math.floor(rnd() * (world.currentViewVersion() - world.statusViewVersion + 1));
      const captured = world.capture(from);
      if (rnd() < 0.2) stale.push(captured);
      world.sync(captured);
    } else if (roll < 0.3 && stale.length > 0) {
      world.sync(stale.splice(Math.floor(rnd() * stale.length), 1)[0]);
    } else if (roll < 0.5 && world.removals.length > 0) {
      const i = Math.floor(rnd() * world.removals.length);
      if (!draining && rnd() < 0.15) world.loseRemoval(i);
      else world.executeRemoval(i);
    } else if (roll < 0.6 && world.creations.length > 0) {
      world.executeCreation(Math.floor(rnd() * world.creations.length));
    } else if (roll < 0.68 && world.deletions.length > 0) {
      const i = Math.floor(rnd() * world.deletions.length);
      const uid = world.deletions[i]?.uid ?? "";
      const before = world.pods.get(uid);
      world.executeDeletion(i);
      noteFinished(before, uid);
    } else if (roll >= 0.68 && roll < 0.7 && !draining) {
      // Someone else deletes a Pod (eviction, user): it keeps the finalizer and will count as failed.
      const victim = pick(livePods().filter((p) => p.deletionTimestamp === null && p.phase !== "Succeeded"));
      if (victim) {
        world.deletePod(victim);
        noteFinished(victim, victim.uid);
      }
    } else if (roll >= 0.7 && roll < 0.72) {
      const tombstone = pick([...world.views[world.views.length - 1]!.values()].filter((p) => p.gone));
      if (tombstone) world.purgeTombstone(tombstone.uid);
    } else {
      const p = pick(livePods());
      if (p) {
        world.kubeletStep(p, rnd() < (draining ? 0.95 : 0.7));
        noteFinished(p, p.uid);
      }
    }
    if (world.plans.at(-1)?.finished && world.removals.length === 0 && world.creations.length === 0 && world.deletions.length === 0) break;
  }
  // Drain: run every intent and the kubelet until the Job is finished and quiet.
  for (let round = 0; round < 400; round++) {
    world.nowMs += 500;
    world.sync();
    while (world.creations.length > 0) world.executeCreation(0);
    while (world.deletions.length > 0) {
      const uid = world.deletions[0]?.uid ?? "";
      const before = world.pods.get(uid);
      world.executeDeletion(0);
      noteFinished(before, uid);
    }
    while (world.removals.length > 0) world.executeRemoval(0);
    for (const p of livePods()) {
      world.kubeletStep(p, true);
      noteFinished(p, p.uid);
    }
    if (world.plans.at(-1)?.finished && livePods().every((p) => !p.hasFinalizer)) break;
  }
  world.sync();

  const label = `seed ${seed}`;
  assert.ok(world.plans.at(-1)?.finished, `${label}: the Job finished`);
  assertCountedOnce(world, label, indexed);
  const status = world.job.status ?? {};
  assert.deepStrictEqual(
    { succeededList: status.uncountedTerminatedPods?.succeeded ?? [], failedList: status.uncountedTerminatedPods?.failed ?? [] },
    { succeededList: [], failedList: [] },
    `${label}: the lists drained`,
  );
  // Nothing whose finalizer went while listed is lost; nothing counted that did not finish.
  const lost = [...world.removedWhileListed].filter((uid) => !world.countedLog.includes(uid));
  assert.deepStrictEqual(lost, [], `${label}: removed while listed but never counted`);
  const notFinished = world.countedLog.filter((uid) => {
    const p = world.pods.get(uid);
    return !p || !(p.phase === "Succeeded" || p.phase === "Failed" || p.deletionTimestamp !== null);
  });
  assert.deepStrictEqual(notFinished, [], `${label}: counted Pods that never finished`);
  // Every Pod that finished while tracked is counted, unless jobtally deleted it itself (not a failure)
  // or it finished after its Job did.
  const completedIndexes = OrderedIntervals.parse(status.completedIndexes, completions);
  const finishedAtMs = Date.parse(String(status.completionTime ?? iso(world.nowMs)));
  const missing = [...finishedWithFinalizer].filter(
    (uid) =>
      !world.countedLog.includes(uid) &&
      !world.ownDeletions.has(uid) &&
      !(indexed && world.pods.get(uid)?.phase === "Succeeded" && completedIndexes.has(world.pods.get(uid)?.completionIndex ?? -1)) &&
      Date.parse(world.pods.get(uid)?.finishedAt ?? iso(0)) < finishedAtMs - 1000,
  );
  const failedCondition = (status.conditions ?? []).some((c) => c.type === "Failed" && c.status === "True");
  if (!failedCondition) assert.deepStrictEqual(missing, [], `${label}: finished tracked Pods never counted`);
  if (!indexed && !failedCondition) assert.ok((status.succeeded ?? 0) >= completions, `${label}: complete with ${status.succeeded} < ${completions}`);
}
