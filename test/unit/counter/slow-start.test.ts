/**
 * Rejected creations (403 quota, 422, a webhook) and the in-tree slow start: the pure state machine
 * (logic/slow-start.ts), `planManagePods` under a slow-start limit, and the JobSyncer carrying a
 * rejection reported by the finalizer-remover through to the next rounds. Ported from in-tree
 * TestControllerSyncJob "too few active pods, with controller error" and the slow-start loop of
 * `manageJob` (batches of 1, 2, 4, ...; a failed batch stops the sync; the Job retried through the
 * work queue's rate limiter, 1 s doubling to 1 min).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import {
  CREATION_RETRY_BACKOFF,
  DEFAULT_SYNC_OPTIONS,
  NO_SLOW_START,
  creationRetryDelayMs,
  onCreationRejected,
  onRoundPlanned,
  planJobSync,
  slowStartAllowance,
  type SlowStart,
} from "../../../services/counter/logic/index.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import type { CreatePodIntent, Intent } from "../../../shared/intents/intents.js";
import { T0, iso, makeJob, makeSnapshot, pod } from "./fixtures.js";

describe("slow start state machine (in-tree manageJob batches 1, 2, 4, ... after a failed creation)", () => {
  const MAX = 500;
  it("no rejection: no limit, never a wait", () => {
    const a = slowStartAllowance(NO_SLOW_START, T0, 0, MAX);
    assert.deepEqual([a.allowance, a.waitMs], [Number.POSITIVE_INFINITY, null]);
    assert.equal(onRoundPlanned(NO_SLOW_START, T0, 10), NO_SLOW_START);
  });

  it("the first rejection of a round: limit 1, retry after 1 s; the other rejections of that round change nothing", () => {
    const s1 = onCreationRejected(NO_SLOW_START, T0, T0 + 100);
    assert.deepEqual(s1, { limit: 1, failedRounds: 1, retryAtMs: T0 + 1100, openRoundAtMs: null, lastRejectedRoundAtMs: T0 });
    assert.equal(onCreationRejected(s1, T0, T0 + 150), s1, "same round");
    assert.equal(onCreationRejected(s1, T0 - 10, T0 + 150), s1, "an older round");
  });

  it("while the retry backoff runs nothing is created, and the sync is due when it ends", () => {
    const s = onCreationRejected(NO_SLOW_START, T0, T0);
    const a = slowStartAllowance(s, T0 + 400, 0, MAX);
    assert.deepEqual([a.allowance, a.waitMs], [0, 600]);
    assert.equal(slowStartAllowance(s, T0 + 1000, 0, MAX).allowance, 1);
  });

  it("a round in flight holds the next one (in-tree wait.Wait())", () => {
    const s = onRoundPlanned(onCreationRejected(NO_SLOW_START, T0, T0), T0 + 1000, 1);
    const a = slowStartAllowance(s, T0 + 5000, 1, MAX);
    assert.deepEqual([a.allowance, a.waitMs], [0, null]);
  });

  it("each round that settles without a rejection doubles the limit: 1, 2, 4, 8; past maxPodCreationsPerSync the limit is lifted", () => {
    let s: SlowStart = onCreationRejected(NO_SLOW_START, T0, T0);
    let now = T0 + 1000;
    const seen: number[] = [];
    for (let round = 0; round < 4; round++) {
      const a = slowStartAllowance(s, now, 0, 8);
      seen.push(a.allowance);
      s = onRoundPlanned(a.next, now, a.allowance);
      now += 100;
    }
    assert.deepEqual(seen, [1, 2, 4, 8]);
    const after = slowStartAllowance(s, now, 0, 8);
    assert.deepEqual([after.allowance, after.next], [Number.POSITIVE_INFINITY, NO_SLOW_START]);
  });

  it("a rejected round starts again at 1 with a doubled retry delay, capped at 1 min (DefaultJobApiBackOff, MaxJobApiBackOff)", () => {
    let s: SlowStart = onCreationRejected(NO_SLOW_START, T0, T0);
    s = onRoundPlanned(slowStartAllowance(s, T0 + 1000, 0, MAX).next, T0 + 1000, 1);
    s = onCreationRejected(s, T0 + 1000, T0 + 1200);
    assert.deepEqual([s.limit, s.failedRounds, s.retryAtMs], [1, 2, T0 + 1200 + 2000]);
    assert.deepEqual([1, 2, 3, 4, 7, 8, 20].map(creationRetryDelayMs), [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    assert.equal(CREATION_RETRY_BACKOFF.maxMs, 60_000);
  });
});

describe("planJobSync under a slow-start limit", () => {
  it("plans at most the limit; the cap flag (creations held by the cap on creations in flight) stays off", () => {
    const job = makeJob({ completions: 10, parallelism: 10 });
    const plan = planJobSync({ ...makeSnapshot({ job }), slowStartLimit: 2 });
    assert.equal(plan.creations.length, 2);
    assert.equal(plan.creationsCapped, false);
    assert.equal(plan.status?.active ?? 0, 0, "nothing the view does not show is reported active under slow start");
  });
  it("under slow start, creations in flight or planned are not reported active (they may be rejected too)", () => {
    const job = makeJob({ completions: 10, parallelism: 4 });
    const plan = planJobSync({ ...makeSnapshot({ job, pods: [pod("a"), pod("b")], creationsInFlight: [["pi-x", null]] }), slowStartLimit: 1 });
    assert.equal(plan.creations.length, 1);
    assert.equal(plan.status?.active, 2, "the two Pods the view shows");
  });
  it("limit 0 plans nothing, and asks for no capped-creations requeue", () => {
    const job = makeJob({ completions: 10, parallelism: 10 });
    const plan = planJobSync({ ...makeSnapshot({ job }), slowStartLimit: 0 });
    assert.equal(plan.creations.length, 0);
    assert.equal(plan.requeueAfterMs, null);
  });
});

function harness(job: V1Job) {
  let now = T0;
  const writes: V1JobStatus[] = [];
  const intents: Intent[] = [];
  const syncer = new JobSyncer(
    { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
    {
      writeStatus: async (j: V1Job) => {
        writes.push(structuredClone(j.status ?? {}));
        return { ...j, metadata: { ...j.metadata, resourceVersion: String(writes.length + 1) } };
      },
      readJob: async () => assert.fail("no conflicts here"),
      readPod: async () => assert.fail("no replayed Pod record to check"),
      publishIntents: async (list) => void intents.push(...list),
      purge: async () => undefined,
      recordEvents: () => undefined,
      now: () => now,
      random: Math.random,
      logger: silentLogger(),
      metrics: createCounterMetrics(new Registry()),
    },
  );
  const state = new JobState("job-uid", 0);
  state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "1", gone: false, job: jobToWire(job) }, "s", 1);
  let seq = 10;
  const creations = (): CreatePodIntent[] => intents.filter((i): i is CreatePodIntent => i.kind === "createPod");
  return {
    syncer,
    state,
    writes,
    creations,
    advance: (ms: number): number => (now += ms),
    now: (): number => now,
    /** The view now shows these created Pods (running). */
    observe(names: string[]): void {
      for (const name of names) state.applyPodRecord({ ...pod(`uid-${name}`), name }, `p.${name}`, seq++);
    },
    namesFrom: (from: number): string[] => creations().slice(from).map((c) => c.pod.metadata?.name ?? ""),
  };
}

const LEASE: SyncLease = { token: { epoch: 7, holder: "counter-a" }, canAct: () => true };

describe("JobSyncer: a rejected creation is not active, and the next rounds slow-start", () => {
  it("too few active pods, with controller error: 1 active + 1 succeeded of 5, the creation rejected → active stays 1", async () => {
    const job = makeJob({ completions: 5, parallelism: 2, status: { startTime: iso(T0 - 60_000) as unknown as Date, succeeded: 1 } });
    const h = harness(job);
    h.state.applyPodRecord(pod("a1"), "p.a1", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.creations().length, 1, "one creation asked for");
    assert.equal(h.writes.at(-1)?.active, 2);
    const name = h.creations()[0]!.pod.metadata?.name ?? "";
    h.advance(50);
    assert.equal(h.state.creationRejected(name, h.now()), true);
    assert.equal(h.state.creationRejected(name, h.now()), false, "a repeated report is a no-op");
    const out = await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.creations().length, 1, "no creation during the retry backoff");
    assert.equal(h.writes.at(-1)?.active, 1, "the rejected Pod is not active");
    assert.equal(out.kind === "done" && out.requeueAfterMs, 1000, "the sync is due when the retry backoff ends");
  });

  it("quota of 3 for 10 Pods: 7 rejected; then rounds of 1 rejected with growing delays; once room appears 1, 2, 4 creations", async () => {
    const h = harness(makeJob({ completions: 10, parallelism: 10 }));
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.creations().length, 10, "no slow start before any rejection (the happy path is not slowed down)");
    const names = h.namesFrom(0);
    h.observe(names.slice(0, 3));
    h.advance(100);
    for (const n of names.slice(3)) assert.equal(h.state.creationRejected(n, h.now()), true);
    assert.deepEqual([h.state.slowStart.limit, h.state.slowStart.failedRounds], [1, 1], "one failed round for 7 rejections");

    // Still full: each retry is 1 creation, rejected; the delays double (1 s, 2 s, 4 s).
    const rounds: number[] = [];
    const delays: (number | null)[] = [];
    for (let r = 0; r < 3; r++) {
      const before = h.creations().length;
      const out = await h.syncer.sync(h.state, 0, LEASE);
      assert.equal(h.creations().length, before, "nothing during the retry backoff");
      const wait = out.kind === "done" ? out.requeueAfterMs : null;
      delays.push(wait);
      h.advance(wait ?? 0);
      await h.syncer.sync(h.state, 0, LEASE);
      rounds.push(h.creations().length - before);
      for (const n of h.namesFrom(before)) h.state.creationRejected(n, h.now());
      h.advance(1);
    }
    assert.deepEqual(rounds, [1, 1, 1], "one creation per retry while the quota is full");
    assert.deepEqual(delays, [1000, 2000 - 1, 4000 - 1]);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.at(-1)?.active, 3, "rejected Pods are not active once reported");

    // Room now: rounds of 1, 2, 4 Pods, each once the previous one showed up.
    const grown: number[] = [];
    for (let r = 0; r < 3; r++) {
      const before = h.creations().length;
      const out = await h.syncer.sync(h.state, 0, LEASE);
      if (h.creations().length === before && out.kind === "done" && out.requeueAfterMs !== null) {
        h.advance(out.requeueAfterMs);
        await h.syncer.sync(h.state, 0, LEASE);
      }
      grown.push(h.creations().length - before);
      h.observe(h.namesFrom(before));
      h.advance(10);
    }
    assert.deepEqual(grown, [1, 2, 4]);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.at(-1)?.active, 10);
  });
});
