/**
 * A view that went back (records lost with a killed NATS server, a diverged nats-server 2.9
 * replica, a lagging writer) may show a Pod counted and forgotten as finished and still holding
 * the finalizer: the counter first sees that Pod finished. Fault injected: such a record, the Pod
 * gone (or without the finalizer) in the API server. The counter must check before listing, and
 * not count it again; a Pod seen from its start needs no check.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus, V1Pod } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { checkFirstSeenFinished, DEFAULT_SYNC_OPTIONS } from "../../../services/counter/logic/index.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { Intent } from "../../../shared/intents/intents.js";
import { T0, makeJob, pod } from "./fixtures.js";

const livePod = (uid: string, finalizer = true): V1Pod => ({ metadata: { name: `pod-${uid}`, namespace: "ns", uid, finalizers: finalizer ? [JOB_TRACKING_FINALIZER] : [] } });

describe("checkFirstSeenFinished", () => {
  const replayed = pod("u1", { phase: "Succeeded", finishedAtMs: T0 });
  const cases: { name: string; live: V1Pod | null; want: string; gone?: boolean; finalizer?: boolean }[] = [
    { name: "the Pod exists and holds the finalizer: the record stands", live: livePod("u1"), want: "confirmed" },
    { name: "the Pod is gone (its finalizer came off, it was counted or released): gone, not listed", live: null, want: "gone", gone: true, finalizer: false },
    { name: "another Pod under the name (a new UID): the replayed one is gone", live: livePod("u9"), want: "gone", gone: true, finalizer: false },
    { name: "the Pod lost the finalizer: not listed on the replayed record's word", live: livePod("u1", false), want: "finalizer-off", gone: false, finalizer: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const check = checkFirstSeenFinished(replayed, c.live);
      assert.equal(check.outcome, c.want);
      if (check.outcome !== "confirmed") {
        assert.equal(check.record.gone, c.gone);
        assert.equal(check.record.hasFinalizer, c.finalizer);
        assert.equal(check.record.phase, "Succeeded", "what the Pod did is kept");
      }
    });
  }
});

function harness(pods: Map<string, V1Pod | Error>, completions = 3) {
  const writes: V1JobStatus[] = [];
  const intents: Intent[] = [];
  const reads: string[] = [];
  const metrics = createCounterMetrics(new Registry());
  const syncer = new JobSyncer(
    { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
    {
      writeStatus: async (job: V1Job) => {
        writes.push(structuredClone(job.status ?? {}));
        return { ...job, metadata: { ...job.metadata, resourceVersion: String(writes.length + 10) } };
      },
      readJob: async () => assert.fail("no conflicts here"),
      readPod: async (_ns, name) => {
        reads.push(name);
        const p = pods.get(name);
        if (p instanceof Error) throw p;
        return p ?? null;
      },
      publishIntents: async (list) => void intents.push(...list),
      purge: async () => undefined,
      recordEvents: () => undefined,
      now: () => T0 + 5_000,
      random: () => 0.5,
      logger: silentLogger(),
      metrics,
    },
  );
  // Two of three completions counted already: the Job's status says so.
  const job = makeJob({ completions, parallelism: 1, status: { succeeded: 2, active: 0 } });
  const state = new JobState("job-uid", 0);
  state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "5", gone: false, job: jobToWire(job) }, "s", 1);
  return { syncer, state, writes, intents, reads, metrics };
}

const LEASE: SyncLease = { token: { epoch: 3, holder: "counter-b" }, canAct: () => true };
const listedOf = (s: V1JobStatus | undefined): string[] => [...(s?.uncountedTerminatedPods?.succeeded ?? []), ...(s?.uncountedTerminatedPods?.failed ?? [])];

/** The first record the counter sees of the Pod shows it finished, with the finalizer, in the replay that rebuilds the partition. */
function firstSeenFinished(state: JobState, uid: string, seq: number): void {
  state.replaying = true;
  state.applyPodRecord(pod(uid, { phase: "Succeeded", finishedAtMs: T0 }), `view.pod.${uid}`, seq);
  state.replaying = false;
}

describe("JobSyncer checks Pods first seen finished before listing them", () => {
  it("a Pod first seen finished that is gone in the API server (counted before the view went back) is not listed, nor counted again", async () => {
    const h = harness(new Map());
    firstSeenFinished(h.state, "u1", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(h.reads, ["pod-u1"], "checked against the API server");
    assert.ok(h.writes.every((w) => !listedOf(w).includes("u1") && (w.succeeded ?? 0) === 2), `u1 neither listed nor counted: ${JSON.stringify(h.writes)}`);
    assert.ok(!h.intents.some((i) => i.kind === "removeFinalizer" && i.podUID === "u1"), "no finalizer removal for it either");
    assert.equal(h.state.unconfirmedFinished.size, 0);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(h.reads, ["pod-u1"], "checked once");
  });

  it("one the API server still shows with the finalizer is listed as usual", async () => {
    const h = harness(new Map([["pod-u3", livePod("u3")]]));
    firstSeenFinished(h.state, "u3", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(listedOf(h.writes[0]), ["u3"]);
  });

  it("the check fails (API error): nothing is written or published, the sync is retried", async () => {
    const h = harness(new Map([["pod-u3", new Error("503 ServiceUnavailable")]]));
    firstSeenFinished(h.state, "u3", 2);
    const out = await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(out.kind, "retry");
    assert.deepEqual(h.writes, []);
    assert.deepEqual(h.intents, []);
    assert.ok(h.state.unconfirmedFinished.has("u3"), "still to check");
  });

  it("a Pod seen from its start (Running, then Succeeded) needs no check; neither does a Pod already listed", async () => {
    const h = harness(new Map());
    h.state.applyPodRecord(pod("u4", { phase: "Running" }), "view.pod.u4", 2);
    h.state.applyPodRecord({ ...pod("u4", { phase: "Succeeded", finishedAtMs: T0 }), resourceVersion: "9" }, "view.pod.u4", 3);
    const listedJob = makeJob({ completions: 3, parallelism: 1, status: { succeeded: 1, uncountedTerminatedPods: { succeeded: ["u5"] } } });
    h.state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "6", gone: false, job: jobToWire(listedJob) }, "s", 4);
    firstSeenFinished(h.state, "u5", 5);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(h.reads, [], "no API read");
  });

  it("a lagging writer's several old states in a row: the Pod stays to be checked until the API server is asked", async () => {
    const h = harness(new Map());
    firstSeenFinished(h.state, "u6", 2);
    h.state.applyPodRecord({ ...pod("u6", { phase: "Succeeded", finishedAtMs: T0 }), resourceVersion: "3", deletionTimestamp: new Date(T0).toISOString() }, "view.pod.u6", 3);
    assert.ok(h.state.unconfirmedFinished.has("u6"), "a newer record showing it finished does not vouch for it");
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(h.reads, ["pod-u6"]);
    assert.ok(h.writes.every((w) => !listedOf(w).includes("u6")));
  });

  it("a Pod first seen finished on the live view (the consumer lagged past its earlier states) is listed without a check", async () => {
    const h = harness(new Map());
    h.state.applyPodRecord(pod("u7", { phase: "Succeeded", finishedAtMs: T0 }), "view.pod.u7", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(h.reads, [], "no API read: this counter never counted it");
    assert.deepEqual(listedOf(h.writes[0]), ["u7"]);
  });

  it("a Pod this counter counted and forgot, seen again finished with the finalizer (a stale record): checked, not counted again", async () => {
    const h = harness(new Map(), 10);
    h.state.applyPodRecord(pod("u8", { phase: "Succeeded", finishedAtMs: T0 }), "view.pod.u8", 2);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(listedOf(h.writes.at(-1)), ["u8"]);
    // The finalizer comes off and the Pod goes: counted, settled, forgotten.
    h.state.applyPodRecord({ ...pod("u8", { phase: "Succeeded", finishedAtMs: T0, gone: true }), resourceVersion: "7" }, "view.pod.u8", 3);
    await h.syncer.sync(h.state, 0, LEASE);
    assert.equal(h.writes.at(-1)?.succeeded, 3);
    assert.ok(!h.state.pods.has("u8"), "forgotten");
    // Its earlier state comes back.
    h.state.applyPodRecord(pod("u8", { phase: "Succeeded", finishedAtMs: T0 }), "view.pod.u8", 4);
    const writes = h.writes.length;
    await h.syncer.sync(h.state, 0, LEASE);
    assert.deepEqual(h.reads, ["pod-u8"]);
    assert.ok(h.writes.slice(writes).every((w) => !listedOf(w).includes("u8") && w.succeeded === 3), `not listed nor counted again: ${JSON.stringify(h.writes.slice(writes))}`);
  });
});
