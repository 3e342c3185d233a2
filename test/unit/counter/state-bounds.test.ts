/**
 * Bounded memory (issue 11): the counter keeps no per-Pod state once a Pod is gone and settled
 * (counted, or released), and nothing of a Job once it is deleted and its Pods are gone. Many Jobs
 * run their Pods through their whole life in a small simulated world (the remover carries out the
 * intents, the kubelet runs the Pods, PodGC deletes them the moment their finalizer is off), then
 * are deleted; the JobState maps, the sync outcome and the SyncScheduler's entries are checked.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { DEFAULT_SYNC_OPTIONS } from "../../../services/counter/logic/index.js";
import { JobSyncer, type SyncLease, type SyncOutcome } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { SyncScheduler } from "../../../services/counter/sync-scheduler.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import type { Intent } from "../../../shared/intents/intents.js";
import type { PodView } from "../../../shared/view/records.js";
import { T0, iso, makeJob, seededRandom } from "./fixtures.js";

const LEASE: SyncLease = { token: { epoch: 1, holder: "counter-a" }, canAct: () => true };

/** The API, the remover, the kubelet and the watcher around one counter, all in memory. */
function world() {
  let now = T0;
  let rv = 100;
  const nextRV = (): string => String(++rv);
  const intents: Intent[] = [];
  /** Every view message deleted: its subject (null when remembered by sequence only) and sequence. */
  const purged: { subject: string | null; seq: number }[] = [];
  /** Sequences of the Pods' tombstones. */
  const tombstoneSeqs = new Set<number>();
  const syncer = new JobSyncer(
    { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
    {
      writeStatus: async (job: V1Job) => ({ ...job, metadata: { ...job.metadata, resourceVersion: nextRV() } }),
      readJob: async () => assert.fail("no conflicts in this world"),
      readPod: async () => assert.fail("no replayed Pod record to check"),
      publishIntents: async (list) => void intents.push(...list),
      purge: async (subject, seq) => void purged.push({ subject, seq }),
      recordEvents: () => undefined,
      now: () => now,
      random: seededRandom(7),
      logger: silentLogger(),
      metrics: createCounterMetrics(new Registry()),
    },
  );
  /** The Pods as the API has them (the view shows each change as a record). */
  const pods = new Map<string, PodView>();
  const publish = (state: JobState, p: PodView): void => {
    const rec = { ...p, resourceVersion: nextRV() };
    pods.set(p.uid, rec);
    if (rec.gone) tombstoneSeqs.add(rv);
    state.applyPodRecord(rec, `view.${state.uid}.pod.${p.uid}`, rv);
  };

  /** The finalizer-remover carries out every intent queued. */
  function remover(state: JobState): void {
    for (const i of intents.splice(0)) {
      if (i.kind === "createPod") {
        const name = i.pod.metadata?.name ?? "";
        publish(state, {
          v: 1,
          kind: "pod",
          uid: name,
          name,
          namespace: "ns",
          jobUID: state.uid,
          resourceVersion: "0",
          phase: "Pending",
          hasFinalizer: true,
          deletionTimestamp: null,
          gone: false,
          ready: false,
          completionIndex: null,
          creationTimestamp: iso(now),
          finishedAt: null,
        });
      } else {
        const p = pods.get(i.podUID);
        if (!p || p.gone) continue;
        // PodGC deletes a finished Pod the moment its finalizer is off: the watcher sees it gone.
        const finished = p.phase === "Succeeded" || p.phase === "Failed";
        if (i.kind === "deletePod" || finished) publish(state, { ...p, hasFinalizer: false, gone: true });
        else publish(state, { ...p, hasFinalizer: false });
      }
    }
  }

  /** The kubelet: Pending → Running → Succeeded (every 9th Pod Failed). */
  function kubelet(state: JobState, tick: number): void {
    for (const p of [...pods.values()]) {
      if (p.gone || p.jobUID !== state.uid) continue;
      if (p.phase === "Pending") publish(state, { ...p, phase: "Running", ready: true });
      else if (p.phase === "Running") publish(state, { ...p, phase: (p.uid.length + tick) % 9 === 0 ? "Failed" : "Succeeded", ready: false, finishedAt: iso(now) });
    }
  }

  async function sync(state: JobState): Promise<SyncOutcome> {
    const out = await syncer.sync(state, 0, LEASE);
    remover(state);
    return out;
  }

  function jobRecord(job: V1Job, gone = false) {
    return { v: 1 as const, kind: "job" as const, uid: job.metadata?.uid ?? "", name: job.metadata?.name ?? "", namespace: "ns", resourceVersion: nextRV(), gone, job: gone ? null : jobToWire(job) };
  }

  return {
    pods,
    purged,
    tombstoneSeqs,
    sync,
    kubelet,
    jobRecord,
    advance: (ms: number) => (now += ms),
  };
}

function isComplete(state: JobState): boolean {
  return (state.ledger?.status?.conditions ?? []).some((c) => c.type === "Complete" && c.status === "True");
}

function inFlight(state: JobState): Record<string, number> {
  return { pods: state.pods.size, removals: state.removalsInFlight.size, creations: state.creationsInFlight.size, deletions: state.deletionsInFlight.size, releases: state.releasesPublished.size };
}

const NOTHING = { pods: 0, removals: 0, creations: 0, deletions: 0, releases: 0 };

describe("the counter's per-Job state is bounded by what exists", () => {
  test("40 Jobs of 25 Pods each, run to completion then deleted: no Pod kept once settled, every Job forgotten", async () => {
    const w = world();
    let podsSeen = 0;
    for (let j = 0; j < 40; j++) {
      const uid = `job-${j}`;
      const job = makeJob({ name: `soak-${j}`, completions: 25, parallelism: 5, status: {} });
      job.metadata = { ...job.metadata, uid, name: `soak-${j}` };
      const state = new JobState(uid, 0);
      state.applyJobRecord(w.jobRecord(job), `view.${uid}.job`, 1);
      const purgedBefore = w.purged.filter((x) => w.tombstoneSeqs.has(x.seq)).length;
      for (let tick = 0; tick < 400 && !(isComplete(state) && state.quiescent()); tick++) {
        if (!isComplete(state)) assert.equal(w.purged.filter((x) => w.tombstoneSeqs.has(x.seq)).length, purgedBefore, `${uid}: no counted Pod's tombstone leaves the view while the Job runs`);
        await w.sync(state);
        w.kubelet(state, tick);
        // Past the failure backoff of a Job whose Pods failed in a row (10 s, 20 s, ...).
        w.advance(5_000);
        await w.sync(state);
      }
      await w.sync(state);
      assert.ok(isComplete(state), `${uid} completed`);
      podsSeen += [...w.pods.values()].filter((p) => p.jobUID === uid).length;
      // Finished, not deleted yet: every Pod is counted and gone, so none is kept.
      assert.deepEqual(inFlight(state), NOTHING, `${uid}: nothing of its Pods is kept once they are settled`);
      assert.equal((state.ledger?.status?.succeeded ?? 0) + (state.ledger?.status?.failed ?? 0), [...w.pods.values()].filter((p) => p.jobUID === uid).length, `${uid}: every Pod counted`);

      // The Job is deleted: the next sync forgets it (the counter drops its JobState then).
      state.applyJobRecord(w.jobRecord(job, true), `view.${uid}.job`, 2);
      const out = await w.sync(state);
      assert.equal(out.kind, "forget", `${uid} forgotten once deleted`);
      assert.ok(w.purged.some((x) => x.subject === `view.${uid}.job`), `${uid}: its tombstone purged from the view`);
    }
    assert.ok(podsSeen >= 1000, `${podsSeen} Pods went through their life`);
    assert.ok([...w.pods.values()].some((p) => p.phase === "Failed"), "failed Pods (and their replacements) among them");
    const purgedTombstones = w.purged.map((x) => x.seq).filter((seq) => w.tombstoneSeqs.has(seq));
    assert.deepEqual(new Set(purgedTombstones), w.tombstoneSeqs, "every Pod's tombstone deleted from the view once its Job finished");
    assert.equal(purgedTombstones.length, w.tombstoneSeqs.size, "each deleted once");
  });

  test("a Job deleted while its Pods run: the Pods are released, and once gone the Job is forgotten", async () => {
    const w = world();
    const job = makeJob({ name: "early", completions: 50, parallelism: 10, status: {} });
    job.metadata = { ...job.metadata, uid: "job-early", name: "early" };
    const state = new JobState("job-early", 0);
    state.applyJobRecord(w.jobRecord(job), "view.job-early.job", 1);
    await w.sync(state);
    w.kubelet(state, 1); // Pending → Running
    state.applyJobRecord(w.jobRecord(job, true), "view.job-early.job", 2);
    const first = await w.sync(state); // releases the finalizers of the running Pods (the remover drops them)
    assert.equal(first.kind, "done");
    // The garbage collector deletes them: the view shows them gone.
    for (const p of [...w.pods.values()]) if (!p.gone) state.applyPodRecord({ ...p, gone: true, hasFinalizer: false, resourceVersion: "999999" }, `view.job-early.pod.${p.uid}`, 3);
    const out = await w.sync(state);
    assert.equal(out.kind, "forget");
    assert.deepEqual(inFlight(state), NOTHING);
  });
});

describe("SyncScheduler entries are bounded by the Jobs not forgotten", () => {
  test("1,000 Jobs forgotten from their own sync (deleted and settled): no entry is left", async () => {
    const s: SyncScheduler = new SyncScheduler({ concurrency: 4, batchPeriodMs: 0, run: async (key: string): Promise<void> => s.forget(key), onError: (_k, err) => assert.fail(String(err)) });
    for (let i = 0; i < 1000; i++) s.enqueueSyncJobImmediately(`0/job-${i}`);
    await s.drain();
    assert.equal(s.size, 0);
  });

  test("a re-run asked for during the sync that forgets the Job is dropped with the entry", async () => {
    let runs = 0;
    const s = new SyncScheduler({
      concurrency: 1,
      batchPeriodMs: 0,
      run: async (key) => {
        runs++;
        if (runs > 1) return; // (a regression re-runs it: counted, not looped)
        s.enqueueSyncJobImmediately(key); // a Pod event arrived meanwhile
        s.forget(key);
      },
      onError: (_k, err) => assert.fail(String(err)),
    });
    s.enqueueSyncJobImmediately("0/job");
    await new Promise((r) => setImmediate(r));
    await s.drain();
    assert.equal(runs, 1);
    assert.equal(s.size, 0);
  });

  test("a Job enqueued again after it was forgotten from its sync is synced again", async () => {
    const runs: string[] = [];
    let first = true;
    const s = new SyncScheduler({
      concurrency: 1,
      batchPeriodMs: 0,
      run: async (key) => {
        runs.push(key);
        if (first) {
          first = false;
          s.forget(key);
          s.enqueueSyncJobImmediately(key); // a new record for it (a new owner's replay)
        }
      },
      onError: (_k, err) => assert.fail(String(err)),
    });
    s.enqueueSyncJobImmediately("0/job");
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    await s.drain();
    assert.deepEqual(runs, ["0/job", "0/job"]);
  });

  test("Jobs that still exist keep their entry (the batch period is anchored on their last sync)", async () => {
    const s = new SyncScheduler({ concurrency: 2, batchPeriodMs: 0, run: async () => undefined, onError: (_k, err) => assert.fail(String(err)) });
    for (let i = 0; i < 10; i++) s.enqueueSyncJobImmediately(`0/job-${i}`);
    await s.drain();
    assert.equal(s.size, 10);
  });
});
