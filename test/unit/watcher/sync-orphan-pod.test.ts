/**
 * In-tree TestSyncOrphanPod (pkg/controller/job/job_controller_test.go), ported: a Pod being
 * deleted that still holds the tracking finalizer loses it without being counted when it has no
 * living controller Job (an orphan, a Job that does not exist, a finished Job), and keeps it when
 * a running Job controls it (that Job counts it) or when something else controls it (a CronJob, a
 * custom resource: not ours). In-tree decides in `syncOrphanPod`; jobtally decides in the watcher
 * (where the Pod is filed) and in the sync of the Job it is filed under, so each case runs through
 * WatcherState and JobSyncer, with --manage-all-jobs (in-tree manages every Job).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { WatcherState } from "../../../services/watcher/watcher-state.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { DEFAULT_SYNC_OPTIONS } from "../../../services/counter/logic/index.js";
import { JOB_TRACKING_FINALIZER, NO_OWNER_TOKEN } from "../../../shared/constants.js";
import type { Intent } from "../../../shared/intents/intents.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { apiAgreesWithView } from "../counter/fixtures.js";

const T0 = Date.UTC(2024, 0, 1);

/** In-tree `newJob(2, 2, 6, NonIndexed)` with UID 111 and name j; `finished` adds Complete. */
function job(finished: boolean): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j", namespace: "default", uid: "111", resourceVersion: "1", creationTimestamp: new Date(T0).toISOString() as unknown as Date },
    spec: {
      parallelism: 2,
      completions: 2,
      backoffLimit: 6,
      completionMode: "NonIndexed",
      selector: { matchLabels: { foo: "bar" } },
      template: { metadata: { labels: { foo: "bar" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "foo/bar" }] } },
    },
    status: finished ? { conditions: [{ type: "Complete", status: "True" }] } : { startTime: new Date(T0 - 60_000).toISOString() as unknown as Date },
  };
}

const ref = (apiVersion: string, kind: string, name: string, controller: boolean): V1OwnerReference => ({ apiVersion, kind, name, uid: "111", ...(controller ? { controller: true, blockOwnerDeletion: true } : {}) });

/** In-tree `buildPod().name(name).deletionTimestamp().trackingFinalizer()`, its owner and labels. */
function orphanPod(name: string, owner: V1OwnerReference | null, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      resourceVersion: "10",
      labels,
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: owner ? [owner] : [],
      deletionTimestamp: new Date(T0 - 1000).toISOString() as unknown as Date,
    },
    status: { phase: "Running" },
  };
}

/** What happens to the Pod's finalizer: removed uncounted, kept for the Job to count, or left alone. */
type Outcome = "removed" | "counted-by-job" | "left-alone";

async function outcomeFor(pod: V1Pod, inCache: V1Job | null): Promise<Outcome> {
  const watcher = new WatcherState({ partitions: 4, watcherId: "w", managedBy: "jobtally.io/controller", manageAllJobs: true });
  const states = new Map<string, JobState>();
  const stateOf = (uid: string): JobState => {
    let s = states.get(uid);
    if (!s) {
      s = new JobState(uid, 0);
      // As the counter does: the orphan route has no Job, so it is "gone" from the start.
      if (uid === NO_OWNER_TOKEN) s.gone = true;
      states.set(uid, s);
    }
    return s;
  };
  let seq = 0;
  const pubs = [...(inCache ? watcher.applyJobList([inCache], "1") : watcher.applyJobList([], "1")), ...watcher.applyPodList([pod], "2")];
  for (const p of pubs) {
    const r = p.record;
    if (r.kind === "job") stateOf(r.uid).applyJobRecord(r, p.subject, ++seq);
    else if (r.kind === "pod") stateOf(r.jobUID ?? NO_OWNER_TOKEN).applyPodRecord(r, p.subject, ++seq);
  }
  const intents: Intent[] = [];
  const syncer = new JobSyncer(
    { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
    {
      writeStatus: async (j: V1Job) => ({ ...j, metadata: { ...j.metadata, resourceVersion: "99" } }),
      readJob: async () => assert.fail("no conflicts here"),
      readPod: apiAgreesWithView(() => states.values()),
      publishIntents: async (list) => void intents.push(...list),
      purge: async () => undefined,
      recordEvents: () => undefined,
      now: () => T0,
      random: () => 0.5,
      logger: silentLogger(),
      metrics: createCounterMetrics(new Registry()),
    },
  );
  const lease: SyncLease = { token: { epoch: 1, holder: "counter-a" }, canAct: () => true };
  for (const s of states.values()) if (s.pods.size > 0) await syncer.sync(s, 0, lease);
  const removal = intents.find((i) => i.kind === "removeFinalizer" && i.podUID === pod.metadata?.uid);
  if (!removal || removal.kind !== "removeFinalizer") return "left-alone";
  return removal.reason === "count" ? "counted-by-job" : "removed";
}

describe("in-tree TestSyncOrphanPod: Pods being deleted with the tracking finalizer", () => {
  const cases: { name: string; owner: V1OwnerReference | null; job?: V1Job; labels?: Record<string, string>; want: Outcome }[] = [
    // wantFinalizerRemoved: false (the running Job's own sync counts it, then removes it). The
    // in-tree Pod has no labels, which its Job's ClaimPods would release next; here it matches.
    { name: "controlled_by_existing_running_job", owner: ref("batch/v1", "Job", "j", true), labels: { foo: "bar" }, job: job(false), want: "counted-by-job" },
    { name: "controlled_by_existing_running_job, its labels not matching: released (ClaimPods), uncounted", owner: ref("batch/v1", "Job", "j", true), job: job(false), want: "removed" },
    { name: "controlled_by_existing_finished_job", owner: ref("batch/v1", "Job", "j", true), job: job(true), want: "removed" },
    { name: "controlled_by_non_existing_job", owner: ref("batch/v1", "Job", "j", true), want: "removed" },
    { name: "controlled_by_cronjob", owner: ref("batch/v1", "CronJob", "cj", true), want: "left-alone" },
    { name: "not_controlled", owner: null, want: "removed" },
    { name: "controlled_by_custom_crd", owner: ref("example/v1", "Job", "job", true), want: "left-alone" },
    { name: "owned_by_existing_running_job", owner: ref("batch/v1", "Job", "j", false), job: job(false), want: "removed" },
    { name: "owned_by_custom_crd", owner: ref("example/v1", "Job", "job", false), want: "removed" },
    // Labels a Job could select, but the Pod is being deleted: not adopted (in-tree ClaimObject), an orphan.
    { name: "orphan_pods_by_label_selector", owner: null, labels: { app: "test" }, want: "removed" },
    { name: "orphan_pods_by_label_selector, the running Job selecting them", owner: null, labels: { foo: "bar" }, job: job(false), want: "removed" },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      assert.equal(await outcomeFor(orphanPod(c.name.replace(/[^a-z_]/g, "").replace(/_/g, "-"), c.owner, c.labels), c.job ?? null), c.want);
    });
  }
});
