/** Table tests for the watcher's pure routing and relist rules. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { WatcherState, type Publication } from "../../../services/watcher/watcher-state.js";
import { JOB_TRACKING_FINALIZER, DEFAULT_MANAGED_BY } from "../../../shared/constants.js";
import type { PodView } from "../../../shared/view/records.js";

function job(uid: string, rv: string, managedBy?: string): V1Job {
  return { metadata: { uid, name: `job-${uid}`, namespace: "ns", resourceVersion: rv }, spec: { managedBy, template: { spec: { containers: [] } } } } as V1Job;
}

function pod(uid: string, rv: string, o: { owner?: string | null; phase?: string; finalizer?: boolean; deleting?: boolean } = {}): V1Pod {
  const owner = o.owner === undefined ? "j1" : o.owner;
  return {
    metadata: {
      uid,
      name: `pod-${uid}`,
      namespace: "ns",
      resourceVersion: rv,
      finalizers: o.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
      deletionTimestamp: o.deleting ? (new Date("2026-01-01T00:00:00Z") as unknown as Date) : undefined,
      ownerReferences: owner ? [{ apiVersion: "batch/v1", kind: "Job", name: "j", uid: owner, controller: true }] : [],
    },
    status: { phase: o.phase ?? "Running" },
  } as V1Pod;
}

function state(manageAllJobs = false): WatcherState {
  return new WatcherState({ partitions: 4, watcherId: "w", managedBy: DEFAULT_MANAGED_BY, manageAllJobs });
}

const podRecords = (pubs: Publication[]): PodView[] => pubs.map((p) => p.record).filter((r): r is PodView => r.kind === "pod");

describe("WatcherState", () => {
  test("a managed Job is published; a Job managed by someone else is not, nor its Pods", () => {
    const s = state();
    assert.equal(s.applyJobEvent("ADDED", job("j1", "1", DEFAULT_MANAGED_BY)).length, 1);
    assert.equal(s.applyJobEvent("ADDED", job("j2", "2", "kubernetes.io/job-controller")).length, 0);
    assert.equal(s.applyPodEvent("ADDED", pod("p2", "3", { owner: "j2" })).length, 0);
    const pubs = s.applyPodEvent("ADDED", pod("p1", "4"));
    assert.equal(pubs.length, 1);
    assert.match(pubs[0]!.subject, /^jobtally\.view\.\d\.j1\.pod\.p1$/);
  });

  test("manage-all takes Jobs with no managedBy or the built-in value, but not another controller's", () => {
    const s = state(true);
    assert.equal(s.applyJobEvent("ADDED", job("a", "1")).length, 1);
    assert.equal(s.applyJobEvent("ADDED", job("b", "2", "kubernetes.io/job-controller")).length, 1);
    assert.equal(s.applyJobEvent("ADDED", job("c", "3", "example.com/other")).length, 0);
  });

  test("a Pod seen before its Job is held, then published when the Job appears", () => {
    const s = state();
    assert.equal(s.applyPodEvent("ADDED", pod("p1", "2")).length, 0);
    const pubs = s.applyJobEvent("ADDED", job("j1", "1", DEFAULT_MANAGED_BY));
    assert.deepEqual(pubs.map((p) => p.record.kind), ["job", "pod"]);
  });

  test("status noise that changes nothing tracked is not published again", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1", DEFAULT_MANAGED_BY));
    assert.equal(s.applyPodEvent("ADDED", pod("p1", "2")).length, 1);
    assert.equal(s.applyPodEvent("MODIFIED", pod("p1", "3")).length, 0);
    assert.equal(s.applyPodEvent("MODIFIED", pod("p1", "4", { phase: "Succeeded" })).length, 1);
  });

  test("an older resourceVersion never replaces a newer state", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1", DEFAULT_MANAGED_BY));
    s.applyPodEvent("ADDED", pod("p1", "5", { phase: "Succeeded" }));
    assert.equal(s.applyPodEvent("MODIFIED", pod("p1", "4", { phase: "Running" })).length, 0);
  });

  test("DELETED publishes a tombstone without the finalizer even though the object still lists it", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1", DEFAULT_MANAGED_BY));
    s.applyPodEvent("ADDED", pod("p1", "2"));
    const [t] = podRecords(s.applyPodEvent("DELETED", pod("p1", "9", { phase: "Succeeded" })));
    assert.ok(t);
    assert.equal(t.gone, true);
    assert.equal(t.hasFinalizer, false);
    assert.equal(t.resourceVersion, "9");
  });

  test("a relist tombstones Pods and Jobs that vanished while the watch was down", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1", DEFAULT_MANAGED_BY));
    s.applyPodEvent("ADDED", pod("p1", "2"));
    s.applyPodEvent("ADDED", pod("p2", "3"));
    const pubs = podRecords(s.applyPodList([pod("p2", "3")], "50"));
    assert.deepEqual(pubs.map((r) => [r.uid, r.gone, r.resourceVersion]), [["p1", true, "50"]]);
    const jobs = s.applyJobList([], "51");
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.record.kind === "job" && jobs[0]!.record.gone, true);
  });

  test("after a restart, the seeded view lets a relist find what vanished meanwhile", () => {
    const first = state();
    const pubs = [...first.applyJobEvent("ADDED", job("j1", "1", DEFAULT_MANAGED_BY)), ...first.applyPodEvent("ADDED", pod("p1", "2"))];
    const restarted = state();
    restarted.seed(pubs.map((p) => p.record));
    restarted.applyJobList([job("j1", "1", DEFAULT_MANAGED_BY)], "10");
    const gone = podRecords(restarted.applyPodList([], "10"));
    assert.deepEqual(gone.map((r) => [r.uid, r.gone]), [["p1", true]]);
  });

  test("manage-all: a Pod with the finalizer and no controller goes to the orphan route", () => {
    const s = state(true);
    const [p] = s.applyPodEvent("ADDED", pod("p9", "2", { owner: null }));
    assert.ok(p);
    assert.match(p.subject, /\._none\.pod\.p9$/);
    assert.equal(state(false).applyPodEvent("ADDED", pod("p9", "2", { owner: null })).length, 0);
  });

  test("sync markers cover every partition and bump the epoch on a new list", () => {
    const s = state();
    const a = s.syncMarkers("10", 1, true);
    const b = s.syncMarkers("11", 2, false);
    assert.equal(a.length, 4);
    assert.equal(a[0]!.record.kind === "sync" && a[0]!.record.epoch, 1);
    assert.equal(b[0]!.record.kind === "sync" && b[0]!.record.epoch, 1);
  });

  test("periodic markers on an idle cluster (the resourceVersion unchanged) are new messages, not deduplicated away", () => {
    // A real API server sends a bookmark about once a minute: without the time in the dedup id,
    // JetStream dropped every refresh as a duplicate and counters saw their view go stale.
    const s = state();
    const first = s.syncMarkers("10", 1_000, false);
    const refresh = s.syncMarkers("10", 6_000, false);
    assert.notEqual(first[0]!.dedupId, refresh[0]!.dedupId);
    assert.equal(refresh[0]!.record.kind === "sync" && refresh[0]!.record.syncedAtMs, 6_000);
  });
});
