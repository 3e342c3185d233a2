/**
 * Counting-only status writes wait for the Job's batch period since its last write
 * (logic/counting-hold.ts), and a held write publishes nothing that depends on it: no finalizer
 * removal for a UID the stored status does not list yet. Fault injected: a sync between two writes
 * (a requeue) with newly finished Pods and a removal seen.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { DEFAULT_SYNC_OPTIONS } from "../../../services/counter/logic/index.js";
import { countingHoldMs, newlyListed, onlyCountingChanged } from "../../../services/counter/logic/counting-hold.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import type { Intent } from "../../../shared/intents/intents.js";
import { T0, apiAgreesWithView, makeJob, pod } from "./fixtures.js";

describe("onlyCountingChanged", () => {
  const cases: { name: string; before: V1JobStatus; after: V1JobStatus; want: boolean }[] = [
    { name: "a UID listed", before: { active: 2 }, after: { active: 1, uncountedTerminatedPods: { succeeded: ["u1"] } }, want: true },
    { name: "UIDs counted", before: { uncountedTerminatedPods: { succeeded: ["u1"], failed: ["u2"] } }, after: { succeeded: 1, failed: 1 }, want: true },
    { name: "an index completed", before: { active: 1 }, after: { succeeded: 1, completedIndexes: "0" }, want: true },
    { name: "nothing changed", before: { active: 1 }, after: { active: 1 }, want: false },
    { name: "a condition (terminal or not) is written at once", before: { succeeded: 1 }, after: { succeeded: 2, conditions: [{ type: "SuccessCriteriaMet", status: "True" }] }, want: false },
    { name: "completionTime", before: { succeeded: 1 }, after: { succeeded: 2, completionTime: "2026-01-01T00:00:00Z" as unknown as Date }, want: false },
    { name: "failedIndexes (backoffLimitPerIndex) is written at once", before: {}, after: { failed: 1, failedIndexes: "0" }, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(onlyCountingChanged(c.before, c.after), c.want));

  it("newlyListed: UIDs the new status lists and the old one does not", () => {
    assert.deepEqual([...newlyListed({ uncountedTerminatedPods: { succeeded: ["a"] } }, { uncountedTerminatedPods: { succeeded: ["a", "b"], failed: ["c"] } })], ["b", "c"]);
  });
});

describe("countingHoldMs", () => {
  const listed = { uncountedTerminatedPods: { succeeded: ["u1"] } };
  const base = { before: {}, after: listed, periodMs: 1000, nowMs: T0 + 300, maxUncountedPods: 500 };
  const cases: { name: string; input: Parameters<typeof countingHoldMs>[0]; want: number }[] = [
    { name: "within the period since the last write: wait for the rest of it", input: { ...base, lastWriteAtMs: T0 }, want: 700 },
    { name: "no write yet: at once (a Job's first Pods are listed without waiting)", input: { ...base, lastWriteAtMs: null }, want: 0 },
    { name: "the period is over: at once", input: { ...base, lastWriteAtMs: T0 - 800 }, want: 0 },
    { name: "less than a quarter period left: at once (not worth a second sync)", input: { ...base, lastWriteAtMs: T0 - 550 }, want: 0 },
    { name: "period 0 (--batch-period 0): never", input: { ...base, lastWriteAtMs: T0, periodMs: 0 }, want: 0 },
    { name: "a condition changes: at once", input: { ...base, lastWriteAtMs: T0, after: { ...listed, conditions: [{ type: "Complete", status: "True" }] } }, want: 0 },
    { name: "the uncounted lists half full: at once", input: { ...base, lastWriteAtMs: T0, maxUncountedPods: 2 }, want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(countingHoldMs(c.input), c.want));
});

function harness(periodMs: number, indexed = false) {
  let now = T0;
  const writes: V1JobStatus[] = [];
  const intents: Intent[] = [];
  const purged: (string | null)[] = [];
  const syncer = new JobSyncer(
    { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: periodMs, creationIntentTtlMs: 60_000 },
    {
      writeStatus: async (job: V1Job) => {
        writes.push(structuredClone(job.status ?? {}));
        return { ...job, metadata: { ...job.metadata, resourceVersion: String(writes.length + 1) } };
      },
      readJob: async () => assert.fail("no conflicts here"),
      readPod: apiAgreesWithView(() => [state]),
      publishIntents: async (list) => void intents.push(...list),
      purge: async (subject) => void purged.push(subject),
      recordEvents: () => undefined,
      now: () => now,
      random: () => 0.5,
      logger: silentLogger(),
      metrics: createCounterMetrics(new Registry()),
    },
  );
  const state = new JobState("job-uid", 0);
  const job = makeJob({ completions: 10, parallelism: 4, indexed, status: {} });
  state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "1", gone: false, job: jobToWire(job) }, "s", 1);
  return { syncer, state, writes, intents, purged, advance: (ms: number) => (now += ms) };
}

const LEASE: SyncLease = { token: { epoch: 7, holder: "counter-a" }, canAct: () => true };
const removalsOf = (intents: Intent[]): string[] => intents.flatMap((i) => (i.kind === "removeFinalizer" ? [i.podUID] : []));

describe("JobSyncer holds counting-only writes until the batch period since the last write", () => {
  it("a sync between two writes lists nothing and removes no finalizer of an unlisted Pod; the next write does it all", async () => {
    const h = harness(1000);
    h.state.applyPodRecord(pod("u1", { phase: "Succeeded", finishedAtMs: T0 }), "p/u1", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 1, "the first write goes at once");
    assert.deepEqual(h.writes[0]!.uncountedTerminatedPods?.succeeded, ["u1"]);
    assert.deepEqual(removalsOf(h.intents), ["u1"], "removal after the write that lists it");

    // 200 ms later a requeue syncs the Job: u2 succeeded, u3 failed, u1's removal is seen and u1 is gone.
    h.advance(200);
    h.state.applyPodRecord({ ...pod("u1", { phase: "Succeeded", finishedAtMs: T0, gone: true }), resourceVersion: "20" }, "p/u1", 3);
    h.state.applyPodRecord(pod("u2", { phase: "Succeeded", finishedAtMs: T0 + 100 }), "p/u2", 4);
    h.state.applyPodRecord(pod("u3", { phase: "Failed", finishedAtMs: T0 + 150 }), "p/u3", 5);
    const held = await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 1, "held: no second write within the period");
    assert.deepEqual(removalsOf(h.intents), ["u1"], "no removal for u2 or u3: the stored status does not list them");
    assert.ok(h.state.pods.has("u1"), "u1 is gone but the stored status still lists it: kept until counted");
    assert.equal(held.kind === "done" && held.requeueAfterMs, 800, "a sync is due when the period is over");

    h.advance(800);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 2);
    const w = h.writes[1]!;
    assert.equal(w.succeeded, 1, "u1 counted");
    assert.deepEqual([...(w.uncountedTerminatedPods?.succeeded ?? []), ...(w.uncountedTerminatedPods?.failed ?? [])].sort(), ["u2", "u3"], "u2 and u3 listed");
    assert.deepEqual(removalsOf(h.intents).sort(), ["u1", "u2", "u3"], "u2's and u3's removals only now, after the write that lists them");
    assert.ok(!h.state.pods.has("u1"), "u1 counted and gone: out of memory");
    assert.deepEqual(h.purged, [], "and its tombstone kept in the view while the Job runs (a late writer cannot bring back an older state)");
    assert.deepEqual(h.state.settledTombstoneSeqs, [3], "remembered by its sequence only, to be deleted once the Job is finished");
  });
});

describe("JobSyncer holding a counting-only write of an Indexed Job", () => {
  // Regression: the held sync published the finalizer removal of a succeeded Pod whose index only
  // the held write recorded; the Pod went (PodGC), the stored completedIndexes lacked the index,
  // and the next sync created a second Pod for it (test/e2e/backoff-limit-per-index.test.ts).
  it("removes no finalizer of a Pod whose index only the held write would record", async () => {
    const h = harness(1000, true);
    h.state.applyPodRecord(pod("u0", { phase: "Succeeded", finishedAtMs: T0, index: 0 }), "p/u0", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 1, "the first write goes at once");
    assert.equal(h.writes[0]!.completedIndexes, "0");

    h.advance(200);
    h.state.applyPodRecord(pod("u1", { phase: "Succeeded", finishedAtMs: T0 + 100, index: 1 }), "p/u1", 3);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 1, "held: no second write within the period");
    assert.ok(!removalsOf(h.intents).includes("u1"), "u1 keeps its finalizer until its index is written");

    h.advance(800);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 2);
    assert.equal(h.writes[1]!.completedIndexes, "0,1");
    assert.ok(removalsOf(h.intents).includes("u1"), "and loses it after the write that records index 1");
  });
});
