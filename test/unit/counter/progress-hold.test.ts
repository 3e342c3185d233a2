/**
 * Progress-only status writes (active, ready, startTime) wait up to one batch period for a write
 * that matters, so a short Job costs two status writes (uncounted, then counted and finished), not
 * three; anything that touches counting is written at once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { onlyProgressChanged, DEFAULT_SYNC_OPTIONS } from "../../../services/counter/logic/index.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { budgetCreationCap } from "../../../services/counter/logic/creation-cap.js";
import { JobState } from "../../../services/counter/job-state.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import type { Intent } from "../../../shared/intents/intents.js";
import { T0, apiAgreesWithView, iso, makeJob, pod } from "./fixtures.js";

const start = iso(T0) as unknown as Date;

describe("onlyProgressChanged", () => {
  const cases: { name: string; before: V1JobStatus; after: V1JobStatus; want: boolean }[] = [
    { name: "startTime set", before: {}, after: { startTime: start }, want: true },
    { name: "active and ready move", before: { active: 3, startTime: start }, after: { active: 5, ready: 2, startTime: start }, want: true },
    { name: "nothing changed", before: { active: 3 }, after: { active: 3 }, want: false },
    { name: "a UID listed as uncounted", before: { active: 1 }, after: { active: 0, uncountedTerminatedPods: { succeeded: ["u1"] } }, want: false },
    { name: "a count", before: { active: 1 }, after: { active: 0, succeeded: 1 }, want: false },
    { name: "a condition", before: { active: 1 }, after: { active: 1, conditions: [{ type: "Suspended", status: "True" }] }, want: false },
    { name: "completedIndexes", before: { active: 1 }, after: { active: 1, completedIndexes: "0" }, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(onlyProgressChanged(c.before, c.after), c.want));
});

function harness(holdMs: number) {
  let now = T0;
  const writes: V1JobStatus[] = [];
  const intents: Intent[] = [];
  const syncer = new JobSyncer(
    { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: holdMs, creationIntentTtlMs: 60_000 },
    {
      writeStatus: async (job: V1Job) => {
        writes.push(structuredClone(job.status ?? {}));
        return { ...job, metadata: { ...job.metadata, resourceVersion: String(writes.length + 1) } };
      },
      readJob: async () => assert.fail("no conflicts here"),
      readPod: apiAgreesWithView(() => [state]),
      publishIntents: async (list) => void intents.push(...list),
      purge: async () => undefined,
      recordEvents: () => undefined,
      now: () => now,
      random: () => 0.5,
      logger: silentLogger(),
      metrics: createCounterMetrics(new Registry()),
    },
  );
  const state = new JobState("job-uid", 0);
  const job = makeJob({ completions: 1, parallelism: 1, status: {} });
  state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "1", gone: false, job: jobToWire(job) }, "s", 1);
  return { syncer, state, writes, intents, advance: (ms: number) => (now += ms) };
}

/** A lease this replica holds throughout. */
const LEASE: SyncLease = { token: { epoch: 7, holder: "counter-a" }, canAct: () => true };

describe("JobSyncer holds progress-only writes for one batch period", () => {
  it("a new Job: the Pod is created at once, startTime waits; a finished Pod in the meantime rides along", async () => {
    const h = harness(1000);
    const first = await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 0, "no write for startTime alone");
    assert.deepEqual(h.intents.map((i) => i.kind), ["createPod"], "the creation does not wait");
    assert.equal(first.kind === "done" && first.requeueAfterMs, 1000, "a sync is due when the hold ends");

    const created = h.intents[0]!;
    assert.equal(created.kind, "createPod");
    const name = created.kind === "createPod" ? (created.pod.metadata?.name ?? "") : "";
    h.advance(300);
    h.state.applyPodRecord({ ...pod("u1", { phase: "Succeeded", finishedAtMs: T0 + 200 }), name }, "p", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 1, "one write, at once: it lists a finished Pod");
    assert.ok(h.writes[0]!.startTime, "and carries the held startTime");
    assert.deepEqual(h.writes[0]!.uncountedTerminatedPods?.succeeded, ["u1"]);
  });

  it("a progress-only change is written once the hold is over, and never held past it", async () => {
    const h = harness(1000);
    await h.syncer.sync(h.state, 0, LEASE);
    const created = h.intents[0]!;
    const name = created.kind === "createPod" ? (created.pod.metadata?.name ?? "") : "";
    h.state.applyPodRecord({ ...pod("u1", { phase: "Running" }), name }, "p", 2);
    h.advance(600);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 0);
    h.advance(400);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 1, "written when the period since the first hold is over");
    assert.ok(h.writes[0]!.startTime);
  });

  it("hold 0 writes at once (the previous behaviour)", async () => {
    const h = harness(0);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.length, 1);
  });
});

describe("JobSyncer holds progress-only writes while its Pods are being created", () => {
  it("startTime waits for the creation (up to ten periods)", async () => {
    const { syncer, state, writes, intents, advance } = harness(1000);
    await syncer.sync(state, 0, LEASE);
    for (let i = 0; i < 5; i++) {
      advance(1000);
      await syncer.sync(state, 0, LEASE);
    }
    assert.equal(writes.length, 0, "5 s later the creation is still pending: nothing written");
    const name = intents[0]?.kind === "createPod" ? (intents[0].pod.metadata?.name ?? "") : "";
    state.applyPodRecord({ ...pod("u1", { phase: "Running" }), name }, "p", 2);
    advance(500);
    await syncer.sync(state, 0, LEASE);
    assert.equal(writes.length, 1, "the Pod is there and the hold is past one period: written");
    assert.equal(writes[0]!.active, 1);
  });

  it("a creation that never shows up holds the write ten periods at most", async () => {
    const { syncer, state, writes, advance } = harness(1000);
    const outcome = await syncer.sync(state, 0, LEASE);
    assert.equal(outcome.kind === "done" && outcome.requeueAfterMs, 1000);
    advance(9_999);
    await syncer.sync(state, 0, LEASE);
    assert.equal(writes.length, 0);
    advance(1);
    await syncer.sync(state, 0, LEASE);
    assert.equal(writes.length, 1);
  });
});

describe("JobSyncer holds progress-only writes while creations wait under the cap", () => {
  it("a Job with no room under the cap on creations in flight writes no progress until it has its Pods", async () => {
    const { syncer, state, writes, intents, advance } = harness(1000);
    const first = await syncer.sync(state, 0, LEASE, 0);
    assert.equal(intents.length, 0, "no room: nothing created");
    assert.equal(writes.length, 0);
    assert.equal(first.kind === "done" && first.requeueAfterMs, 1000, "looks again in a second");
    for (let i = 0; i < 5; i++) {
      advance(1000);
      await syncer.sync(state, 0, LEASE, 0);
    }
    assert.equal(writes.length, 0, "5 s capped: still no progress-only write");
    advance(1000);
    await syncer.sync(state, 0, LEASE, 10);
    assert.equal(intents.length, 1, "room again: the Pod is created");
  });
});

describe("the budget cap on creations in flight (before the throughput is measured)", () => {
  it("is 5 s of the shared budget (at least 500), 2000 without one, or the flag", () => {
    assert.equal(budgetCreationCap({ explicitMax: 0, sharedQps: 1000 }), 5000);
    assert.equal(budgetCreationCap({ explicitMax: 0, sharedQps: 200 }), 1000);
    assert.equal(budgetCreationCap({ explicitMax: 0, sharedQps: 50 }), 500);
    assert.equal(budgetCreationCap({ explicitMax: 0, sharedQps: 0 }), 2000);
    assert.equal(budgetCreationCap({ explicitMax: 123, sharedQps: 1000 }), 123);
  });
});

describe("JobSyncer under a lost partition lease (fencing)", () => {
  it("every intent carries the lease it was decided under", async () => {
    const h = harness(1000);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(h.intents.map((i) => [i.epoch, i.holder]), [[7, "counter-a"]]);
  });

  it("a replica that no longer holds the lease writes no status and publishes no intent", async () => {
    const h = harness(0);
    const lost: SyncLease = { token: LEASE.token, canAct: () => false };
    const out = await h.syncer.sync(h.state, 0, lost);
    assert.equal(out.kind, "fenced");
    assert.equal(h.writes.length, 0);
    assert.equal(h.intents.length, 0);
  });

  it("a lease lost between the status write and the publish: the write happened, no intent goes out", async () => {
    const h = harness(0);
    let acts = 0;
    // Allowed for the start of the sync and the status write; lost right after.
    const flaky: SyncLease = { token: LEASE.token, canAct: () => ++acts <= 2 };
    const out = await h.syncer.sync(h.state, 0, flaky);
    assert.equal(out.kind, "fenced");
    assert.equal(h.writes.length, 1);
    assert.equal(h.intents.length, 0);
  });
});
