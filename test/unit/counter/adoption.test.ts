/**
 * Adoption of orphan Pods, the counter's half (logic/adoption.ts, planJobSync, JobSyncer), ported
 * from in-tree TestGetPodsForJob (pkg/controller/job/job_controller_test.go): which Pods a Job
 * ends up owning (`wantPods`) and which of them hold the tracking finalizer (`wantPodsFinalizer`),
 * run here through the watcher's routing (WatcherState), the counter's sync and the
 * finalizer-remover's checks and patch, as the pipeline runs them. Then the decisions themselves:
 * a candidate is not the Job's until the view shows it adopted (not active, not counted), the Job
 * creates, deletes and finishes nothing meanwhile, an adopted Pod is counted once (a terminal one
 * at once, as in-tree), and the in-tree `canAdopt` recheck (an uncached read of the Job) stops the
 * adoptions of a Job being deleted.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { WatcherState, type Publication } from "../../../services/watcher/watcher-state.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { DEFAULT_SYNC_OPTIONS, planJobSync } from "../../../services/counter/logic/index.js";
import { verifyAdoptionJob, verifyAdoptionPod } from "../../../services/finalizer-remover/verify.js";
import { adoptionPatch } from "../../../services/finalizer-remover/kube-api.js";
import { applyStrategicMergePatch } from "../../../services/kube-sim/patch/strategic-merge.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { AdoptPodIntent, Intent } from "../../../shared/intents/intents.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView, PodView } from "../../../shared/view/records.js";
import { conditionTypes, iso, makeJob, makeSnapshot, pod, seededRandom, T0 } from "./fixtures.js";
import { World } from "./simulation.js";

const PARTITIONS = 4;
const policy = { managedBy: DEFAULT_MANAGED_BY, manageAllJobs: false };

// ---- In-tree TestGetPodsForJob, through the pipeline's pieces ------------------------------------

/** In-tree `newJob` (selector foo=bar) named test_job; other_job has the same selector and is younger. */
function apiJob(name: string, uid: string, createdAt: string): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "default", uid, resourceVersion: "1", creationTimestamp: createdAt as unknown as Date },
    spec: {
      managedBy: DEFAULT_MANAGED_BY,
      manualSelector: true,
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      selector: { matchLabels: { foo: "bar" } },
      template: { metadata: { labels: { foo: "bar" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "foo/bar" }] } },
    },
    status: {},
  };
}

/** In-tree `buildPod()`: `.job(j)` sets the Job's labels, namespace and controller reference. */
function buildPod(name: string, o: { job?: V1Job; clearOwner?: boolean; clearLabels?: boolean; trackingFinalizer?: boolean; ns?: string } = {}): V1Pod {
  const j = o.job;
  return {
    metadata: {
      name,
      uid: name,
      namespace: j?.metadata?.namespace ?? o.ns ?? "default",
      resourceVersion: "1",
      labels: j && !o.clearLabels ? { ...(j.spec?.selector?.matchLabels ?? {}) } : {},
      finalizers: o.trackingFinalizer ? [JOB_TRACKING_FINALIZER] : [],
      ownerReferences: j && !o.clearOwner ? [{ apiVersion: "batch/v1", kind: "Job", name: j.metadata?.name ?? "", uid: j.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true }] : [],
    },
    status: { phase: "Running" },
  };
}

/**
 * The API (Pods, Jobs), the watcher's state, the counter's JobState and JobSyncer for one Job, and
 * a finalizer-remover that carries out adoptions with verify.ts and the real patch.
 */
class Pipeline {
  readonly pods = new Map<string, V1Pod>();
  readonly watcher = new WatcherState({ partitions: PARTITIONS, watcherId: "w", managedBy: DEFAULT_MANAGED_BY, manageAllJobs: false });
  readonly intents: Intent[] = [];
  readonly state: JobState;
  readonly syncer: JobSyncer;
  private seq = 0;
  private rv = 100;

  constructor(
    readonly job: V1Job,
    /** What an uncached read of the Job answers (in-tree `canAdopt` recheck). */
    readonly fresh: () => V1Job,
    others: V1Job[],
  ) {
    this.state = new JobState(job.metadata?.uid as string, partitionOf(job.metadata?.uid as string, PARTITIONS));
    this.syncer = new JobSyncer(
      { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
      {
        writeStatus: async (j: V1Job) => ({ ...j, metadata: { ...j.metadata, resourceVersion: String(++this.rv) } }),
        readJob: async () => this.fresh(),
        readPod: async () => assert.fail("no replayed Pod record to check"),
        publishIntents: async (list) => void this.intents.push(...list),
        purge: async () => undefined,
        recordEvents: () => undefined,
        now: () => T0,
        random: seededRandom(3),
        logger: silentLogger(),
        metrics: createCounterMetrics(new Registry()),
      },
    );
    this.feed(this.watcher.applyJobList([job, ...others], "1"));
  }

  /** The view records of this Job reach its counter. */
  private feed(pubs: Publication[]): void {
    for (const p of pubs) {
      if (p.record.kind === "job" && p.record.uid === this.state.uid) this.state.applyJobRecord(p.record, p.subject, ++this.seq);
      if (p.record.kind === "pod" && p.record.jobUID === this.state.uid) this.state.applyPodRecord(p.record, p.subject, ++this.seq);
    }
  }

  list(pods: V1Pod[]): void {
    for (const p of pods) this.pods.set(p.metadata?.uid as string, p);
    this.feed(this.watcher.applyPodList(pods, "2"));
  }

  async sync(): Promise<void> {
    const lease: SyncLease = { token: { epoch: 1, holder: "counter-a" }, canAct: () => true };
    await this.syncer.sync(this.state, 0, lease);
  }

  /** The finalizer-remover on every adoption intent: verify.ts, then the patch as the API applies it. */
  executeAdoptions(): void {
    const jobRecord: JobView = { v: 1, kind: "job", uid: this.state.uid, name: this.job.metadata?.name ?? "", namespace: this.job.metadata?.namespace ?? "", resourceVersion: "1", gone: false, job: this.fresh() };
    for (const i of this.intents.splice(0).filter((x): x is AdoptPodIntent => x.kind === "adoptPod")) {
      const jv = verifyAdoptionJob(i, jobRecord, policy, PARTITIONS);
      if (jv.kind !== "allow") continue;
      const live = this.pods.get(i.podUID) ?? null;
      const v = verifyAdoptionPod(i, jobRecord.job as V1Job, live);
      if (v.kind !== "allow" || !live) continue;
      const patched = applyStrategicMergePatch(live, adoptionPatch({ uid: i.podUID, resourceVersion: v.podResourceVersion as string }, { name: i.jobName, uid: i.jobUID })) as V1Pod;
      patched.metadata!.resourceVersion = String(++this.rv);
      this.pods.set(i.podUID, patched);
      this.feed(this.watcher.applyPodEvent("MODIFIED", patched));
    }
  }

  /** The Job's own Pods as its sync sees them (in-tree: what getPodsForJob returns). */
  ownPods(): PodView[] {
    return this.state.podViews().filter((p) => !p.gone && !p.adoptionCandidate);
  }
}

describe("in-tree TestGetPodsForJob, through the watcher, the counter and the finalizer-remover", () => {
  const job = apiJob("test_job", "job-uid-1", "2024-01-01T00:00:00Z");
  const otherJob = apiJob("other_job", "job-uid-2", "2024-01-02T00:00:00Z");
  const cases: { name: string; jobDeleted?: boolean; jobDeletedInCache?: boolean; pods: V1Pod[]; wantPods: string[]; wantPodsFinalizer: string[] }[] = [
    {
      name: "only matching",
      pods: [buildPod("pod1", { job, trackingFinalizer: true }), buildPod("pod2", { job: otherJob }), buildPod("pod3", { ns: "default" }), buildPod("pod4", { job })],
      wantPods: ["pod1", "pod4"],
      wantPodsFinalizer: ["pod1"],
    },
    {
      name: "adopt",
      pods: [buildPod("pod1", { job }), buildPod("pod2", { job, clearOwner: true }), buildPod("pod3", { job: otherJob })],
      wantPods: ["pod1", "pod2"],
      wantPodsFinalizer: ["pod2"],
    },
    {
      name: "no adopt when deleting",
      jobDeleted: true,
      jobDeletedInCache: true,
      pods: [buildPod("pod1", { job }), buildPod("pod2", { job, clearOwner: true })],
      wantPods: ["pod1"],
      wantPodsFinalizer: [],
    },
    {
      // The view (in-tree: the informer cache) does not show the deletion yet; the uncached read does.
      name: "no adopt when deleting race",
      jobDeleted: true,
      pods: [buildPod("pod1", { job }), buildPod("pod2", { job, clearOwner: true })],
      wantPods: ["pod1"],
      wantPodsFinalizer: [],
    },
    {
      name: "release",
      pods: [buildPod("pod1", { job }), buildPod("pod2", { job, clearLabels: true })],
      wantPods: ["pod1"],
      wantPodsFinalizer: [],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const deleted = (j: V1Job): V1Job => ({ ...j, metadata: { ...j.metadata, deletionTimestamp: iso(T0) as unknown as Date } });
      const fresh = c.jobDeleted ? deleted(job) : job;
      const p = new Pipeline(c.jobDeletedInCache ? deleted(job) : job, () => structuredClone(fresh), [otherJob]);
      p.list(c.pods.map((x) => structuredClone(x)));
      await p.sync();
      p.executeAdoptions();
      await p.sync();
      const got = p.ownPods();
      assert.deepStrictEqual(got.map((x) => x.name).sort(), c.wantPods, "the Job's Pods");
      assert.deepStrictEqual(got.filter((x) => x.hasFinalizer).map((x) => x.name).sort(), c.wantPodsFinalizer, "Pods with the tracking finalizer");
      // Nothing in the API was adopted that should not be.
      const controlledByJob = [...p.pods.values()].filter((x) => (x.metadata?.ownerReferences ?? []).some((r) => r.controller && r.uid === "job-uid-1")).map((x) => x.metadata?.name);
      assert.ok(c.wantPods.every((n) => controlledByJob.includes(n) || n === "pod2"), JSON.stringify(controlledByJob));
    });
  }
});

// ---- The decisions ---------------------------------------------------------------------------

const candidate = (uid: string, setup: Parameters<typeof pod>[1] = {}): PodView => {
  const p = pod(uid, { finalizer: false, ...setup });
  return { ...p, adoptionCandidate: true, resourceVersion: "7" };
};

describe("planJobSync with adoption candidates", () => {
  test("a running orphan is adopted; not active until adopted; the Job creates nothing meanwhile", () => {
    const job = makeJob({ parallelism: 2, completions: 4 });
    const plan = planJobSync(makeSnapshot({ job, pods: [pod("own", { phase: "Running" }), candidate("o1")] }));
    assert.deepStrictEqual(plan.adoptions, [{ podUID: "o1", name: "pod-o1", namespace: "ns", resourceVersion: "7" }]);
    assert.deepStrictEqual(plan.creations, [], "in-tree would count the adopted Pod active: nothing to create");
    assert.equal(plan.status?.active ?? 1, 1, "only the Job's own Pod is active");
  });

  test("an adoption in flight is not asked again, and still holds creations back", () => {
    const job = makeJob({ parallelism: 2, completions: 4 });
    const plan = planJobSync({ ...makeSnapshot({ job, pods: [candidate("o1")] }), adoptionsInFlight: new Set(["o1"]) });
    assert.deepStrictEqual(plan.adoptions, []);
    assert.deepStrictEqual(plan.creations, []);
  });

  test("too many orphans for the parallelism: all adopted (in-tree claims every match), the excess deleted once they are the Job's", () => {
    const job = makeJob({ parallelism: 1, completions: 4 });
    const plan = planJobSync(makeSnapshot({ job, pods: [candidate("o1"), candidate("o2")] }));
    assert.deepStrictEqual(plan.adoptions.map((a) => a.podUID).sort(), ["o1", "o2"]);
    assert.deepStrictEqual(plan.deletions, []);
    const adopted = planJobSync(makeSnapshot({ job, pods: [pod("o1", { phase: "Running" }), pod("o2", { phase: "Running" })] }));
    assert.equal(adopted.deletions.length, 1, "then an ordinary excess of active Pods");
  });

  test("a finished orphan: adopted, not counted before the view shows it adopted, and the Job does not complete without it", () => {
    const job = makeJob({ parallelism: 1, completions: 1 });
    const plan = planJobSync(makeSnapshot({ job, pods: [candidate("o1", { phase: "Succeeded" })] }));
    assert.deepStrictEqual(plan.adoptions.map((a) => a.podUID), ["o1"]);
    assert.deepStrictEqual(plan.counted, []);
    assert.deepStrictEqual(plan.status?.uncountedTerminatedPods ?? { succeeded: [], failed: [] }, { succeeded: [], failed: [] });
    assert.deepStrictEqual(conditionTypes(plan.status), []);
  });

  test("an orphan being deleted is not adopted and holds nothing back (in-tree ClaimObject ignores it)", () => {
    const job = makeJob({ parallelism: 1, completions: 1 });
    const plan = planJobSync(makeSnapshot({ job, pods: [candidate("o1", { deleting: true })] }));
    assert.deepStrictEqual(plan.adoptions, []);
    assert.equal(plan.creations.length, 1);
  });

  test("a suspended Job adopts too (in-tree getPodsForJob runs before manageJob)", () => {
    const job = makeJob({ parallelism: 1, completions: 1, suspend: true });
    const plan = planJobSync(makeSnapshot({ job, pods: [candidate("o1")] }));
    assert.deepStrictEqual(plan.adoptions.map((a) => a.podUID), ["o1"]);
  });

  test("a Job heading to Failed adopts, and takes Failed only once the adoption is seen", () => {
    const job = makeJob({ parallelism: 1, completions: 1, backoffLimit: 0, status: { startTime: iso(T0 - 60_000) as unknown as Date, failed: 1 } });
    const plan = planJobSync(makeSnapshot({ job, pods: [candidate("o1")] }));
    assert.deepStrictEqual(plan.adoptions.map((a) => a.podUID), ["o1"]);
    assert.deepStrictEqual(conditionTypes(plan.status), ["FailureTarget"]);
    assert.equal(plan.finished, false);
  });

  test("a finished Job adopts nothing; an orphan filed under it that holds the finalizer loses it, uncounted (in-tree orphan queue)", () => {
    const job = makeJob({ parallelism: 1, completions: 1, status: { conditions: [{ type: "Complete", status: "True" }] } });
    const plan = planJobSync(makeSnapshot({ job, pods: [candidate("o1", { finalizer: true }), candidate("o2")] }));
    assert.deepStrictEqual(plan.adoptions, []);
    assert.deepStrictEqual(plan.removals.map((r) => `${r.podUID}:${r.reason}`), ["o1:job-finished"]);
    assert.deepStrictEqual(plan.counted, []);
  });

  test("a listed Pod whose ownerReference a user removed (its labels still match): adopted again, and not counted before, so the adoption cannot make it count twice", () => {
    const job = makeJob({ parallelism: 1, completions: 2, status: { startTime: iso(T0 - 60_000) as unknown as Date, uncountedTerminatedPods: { succeeded: ["a"] } } });
    const orphaned = candidate("a", { phase: "Succeeded", finalizer: true });
    const plan = planJobSync(makeSnapshot({ job, pods: [orphaned] }));
    assert.deepStrictEqual(plan.counted, [], "held: its Pod still holds the finalizer");
    assert.deepStrictEqual(plan.removals, [], "and its finalizer is not removed before it is the Job's again");
    assert.deepStrictEqual(plan.adoptions.map((a) => a.podUID), ["a"]);
    const readopted = planJobSync(makeSnapshot({ job, pods: [pod("a", { phase: "Succeeded" })] }));
    assert.deepStrictEqual(readopted.removals.map((r) => `${r.podUID}:${r.reason}`), ["a:count"]);
    assert.deepStrictEqual(readopted.status?.uncountedTerminatedPods, { succeeded: ["a"], failed: [] }, "listed once");
    const gone = planJobSync(makeSnapshot({ job, pods: [{ ...orphaned, gone: true, hasFinalizer: false }] }));
    assert.deepStrictEqual(gone.counted, ["a"], "gone before being adopted again: counted as listed");
  });

  test("the whole story: a running and a finished orphan adopted, each counted once, the Job complete", () => {
    const job = makeJob({ parallelism: 2, completions: 2 });
    const world = new World(job, T0, seededRandom(2));
    world.setPod(candidate("run"));
    world.setPod(candidate("done", { phase: "Succeeded" }));
    const first = world.sync();
    assert.deepStrictEqual(first?.adoptions.map((a) => a.podUID).sort(), ["done", "run"]);
    assert.equal(first?.creations.length, 0);
    // The finalizer-remover adopts both: ownerReference and finalizer in one patch.
    for (const uid of ["run", "done"]) {
      const { adoptionCandidate: _c, ...rest } = world.pods.get(uid) as PodView;
      world.setPod({ ...rest, hasFinalizer: true });
    }
    world.nowMs += 1000;
    const second = world.sync();
    assert.deepStrictEqual(second?.adoptions, []);
    assert.equal(second?.creations.length, 0, "the adopted running Pod is active: one more would exceed the completions");
    assert.equal(world.job.status?.active, 1);
    while (world.removals.length > 0) world.executeRemoval(0);
    world.kubeletStep(world.pods.get("run") as PodView, true);
    for (let i = 0; i < 4; i++) {
      world.nowMs += 1000;
      world.sync();
      while (world.removals.length > 0) world.executeRemoval(0);
    }
    assert.deepStrictEqual([...world.countedLog].sort(), ["done", "run"], "each counted once");
    assert.equal(world.job.status?.succeeded, 2);
    assert.ok(conditionTypes(world.job.status).includes("Complete"), JSON.stringify(world.job.status?.conditions));
  });
});

describe("JobSyncer: adoption intents, the canAdopt recheck, expectations", () => {
  function harness(fresh: () => Promise<V1Job>) {
    const intents: Intent[] = [];
    const reads: string[] = [];
    let now = T0;
    const syncer = new JobSyncer(
      { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
      {
        writeStatus: async (j: V1Job) => ({ ...j, metadata: { ...j.metadata, resourceVersion: String(Math.floor(Math.random() * 1e6) + 10) } }),
        readJob: async (ns, name) => (reads.push(`${ns}/${name}`), fresh()),
        readPod: async () => assert.fail("no replayed Pod record to check"),
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
    const job = makeJob({ parallelism: 1, completions: 1 });
    state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "1", gone: false, job: jobToWire(job) }, "job-subject", 1);
    state.applyPodRecord(candidate("o1"), "pod-subject-o1", 2);
    return { syncer, state, intents, reads, job, advance: (ms: number) => (now += ms) };
  }
  const lease = (epoch: number): SyncLease => ({ token: { epoch, holder: `counter-${epoch}` }, canAct: () => true });
  const adoptions = (intents: Intent[]): string[] => intents.flatMap((i) => (i.kind === "adoptPod" ? [`${i.podUID}@${i.epoch}:${i.holder}:${i.podResourceVersion}`] : []));

  test("the uncached read says the Job is the same and not being deleted: one adoptPod intent under the sync's lease; not again while in flight", async () => {
    const h = harness(async () => makeJob({ parallelism: 1, completions: 1 }));
    await h.syncer.sync(h.state, 0, lease(3));
    await h.syncer.sync(h.state, 0, lease(3));
    assert.deepStrictEqual(adoptions(h.intents), ["o1@3:counter-3:7"]);
    assert.deepStrictEqual(h.reads, ["ns/pi"], "one recheck per sync that adopts");
    const intent = h.intents.find((i) => i.kind === "adoptPod") as AdoptPodIntent;
    assert.deepStrictEqual({ jobUID: intent.jobUID, jobName: intent.jobName, namespace: intent.namespace, name: intent.name }, { jobUID: "job-uid", jobName: "pi", namespace: "ns", name: "pod-o1" });
  });

  test("not seen adopted within the expectations timeout: asked again", async () => {
    const h = harness(async () => makeJob({ parallelism: 1, completions: 1 }));
    await h.syncer.sync(h.state, 0, lease(3));
    h.advance(121_000);
    await h.syncer.sync(h.state, 0, lease(3));
    assert.deepStrictEqual(adoptions(h.intents), ["o1@3:counter-3:7", "o1@3:counter-3:7"]);
  });

  test("seen adopted: no longer in flight, an ordinary Pod of the Job", async () => {
    const h = harness(async () => makeJob({ parallelism: 1, completions: 1 }));
    await h.syncer.sync(h.state, 0, lease(3));
    assert.equal(h.state.adoptionsInFlight.size, 1);
    h.state.applyPodRecord({ ...pod("o1"), resourceVersion: "8" }, "pod-subject-o1", 3);
    assert.equal(h.state.adoptionsInFlight.size, 0);
  });

  test("no adopt when deleting race: the uncached read shows a deletionTimestamp; nothing adopted, the ledger takes it, the next sync releases", async () => {
    const h = harness(async () => ({ ...makeJob({ parallelism: 1, completions: 1 }), metadata: { ...makeJob().metadata, resourceVersion: "50", deletionTimestamp: iso(T0) as unknown as Date } }));
    const out = await h.syncer.sync(h.state, 0, lease(3));
    assert.deepStrictEqual(adoptions(h.intents), []);
    assert.ok(h.state.ledger?.metadata?.deletionTimestamp, "the ledger knows the Job is being deleted");
    assert.equal(out.kind === "done" && out.requeueAfterMs, 0, "synced again at once");
  });

  test("the name now belongs to another Job (the UID differs): nothing adopted", async () => {
    const h = harness(async () => ({ ...makeJob(), metadata: { ...makeJob().metadata, uid: "someone-else" } }));
    await h.syncer.sync(h.state, 0, lease(3));
    assert.deepStrictEqual(adoptions(h.intents), []);
  });

  test("the recheck fails (API away): nothing adopted now, tried again a second later", async () => {
    const h = harness(async () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: undefined });
    });
    const out = await h.syncer.sync(h.state, 0, lease(3));
    assert.deepStrictEqual(adoptions(h.intents), []);
    assert.equal(h.state.adoptionsInFlight.size, 0);
    assert.ok(out.kind === "done" && out.requeueAfterMs !== null && out.requeueAfterMs <= 1000, JSON.stringify(out));
  });

  test("the Job is deleted (its view record a tombstone): a candidate without the finalizer is left alone, one with it loses it uncounted", async () => {
    const h = harness(async () => makeJob());
    h.state.applyPodRecord(candidate("o2", { finalizer: true }), "pod-subject-o2", 3);
    h.state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "9", gone: true, job: null }, "job-subject", 4);
    await h.syncer.sync(h.state, 0, lease(3));
    assert.deepStrictEqual(adoptions(h.intents), []);
    assert.deepStrictEqual(
      h.intents.map((i) => (i.kind === "removeFinalizer" ? `${i.podUID}:${i.reason}` : i.kind)),
      ["o2:job-deleted"],
    );
  });
});
