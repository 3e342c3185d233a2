/**
 * Bounded memory (issue 11): the watcher keeps nothing of a Pod once it is deleted, nor of a Job
 * once it is deleted and its Pods are gone. Many Pods and Jobs are fed through their whole life
 * (created → running → finished → finalizer removed → deleted; Job deleted) and the sizes of
 * WatcherState's maps must come back to zero.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { WatcherState } from "../../../services/watcher/watcher-state.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";

/** What the watcher remembers (pendingJobs read through a cast: the per-Job map of waiting Pods). */
function sizes(s: WatcherState): { jobs: number; pods: number; pendingJobs: number; pendingPods: number } {
  const pending = (s as unknown as { pending: Map<string, unknown> }).pending;
  return { jobs: s.knownJobs, pods: s.knownPods, pendingJobs: pending.size, pendingPods: s.pendingPods };
}

const ZERO = { jobs: 0, pods: 0, pendingJobs: 0, pendingPods: 0 };

/** resourceVersions only go up, as the API server's do. */
function clock(): () => string {
  let rv = 0;
  return () => String(++rv);
}

function job(uid: string, rv: string, managedBy: string = DEFAULT_MANAGED_BY): V1Job {
  return { metadata: { uid, name: `job-${uid}`, namespace: "ns", resourceVersion: rv }, spec: { managedBy, template: { spec: { containers: [] } } } } as V1Job;
}

function pod(uid: string, jobUID: string, rv: string, o: { phase?: string; finalizer?: boolean; deleting?: boolean } = {}): V1Pod {
  return {
    metadata: {
      uid,
      name: `pod-${uid}`,
      namespace: "ns",
      resourceVersion: rv,
      labels: { "batch.kubernetes.io/controller-uid": jobUID },
      finalizers: o.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
      deletionTimestamp: o.deleting ? (new Date("2026-01-01T00:00:00Z") as unknown as Date) : undefined,
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: `job-${jobUID}`, uid: jobUID, controller: true }],
    },
    status: { phase: o.phase ?? "Pending" },
  } as V1Pod;
}

/** A Pod's whole life as the watch reports it, PodGC deleting it the moment it finished. */
function podLife(s: WatcherState, uid: string, jobUID: string, rv: () => string, phase: "Succeeded" | "Failed"): void {
  s.applyPodEvent("ADDED", pod(uid, jobUID, rv()));
  s.applyPodEvent("MODIFIED", pod(uid, jobUID, rv(), { phase: "Running" }));
  s.applyPodEvent("MODIFIED", pod(uid, jobUID, rv(), { phase }));
  s.applyPodEvent("MODIFIED", pod(uid, jobUID, rv(), { phase, deleting: true }));
  s.applyPodEvent("MODIFIED", pod(uid, jobUID, rv(), { phase, deleting: true, finalizer: false }));
  s.applyPodEvent("DELETED", pod(uid, jobUID, rv(), { phase, deleting: true, finalizer: false }));
}

function state(maxDeletedJobs?: number): WatcherState {
  return new WatcherState({ partitions: 8, watcherId: "w", managedBy: DEFAULT_MANAGED_BY, manageAllJobs: false, maxPendingPods: 100, maxDeletedJobs });
}

const JOBS = 200;
const PODS_PER_JOB = 25;

describe("WatcherState memory is bounded by what exists", () => {
  test("5,000 Pods created, run, finished, released and deleted: no Pod is remembered", () => {
    const s = state();
    const rv = clock();
    for (let j = 0; j < JOBS; j++) s.applyJobEvent("ADDED", job(`j${j}`, rv()));
    for (let j = 0; j < JOBS; j++) for (let i = 0; i < PODS_PER_JOB; i++) podLife(s, `j${j}-p${i}`, `j${j}`, rv, i % 10 === 0 ? "Failed" : "Succeeded");
    assert.equal(s.knownPods, 0);
    assert.equal(sizes(s).pods, 0);
  });

  test("a relist without the deleted Pods remembers none of them either", () => {
    const s = state();
    const rv = clock();
    s.applyJobEvent("ADDED", job("j", rv()));
    for (let i = 0; i < 1000; i++) s.applyPodEvent("ADDED", pod(`p${i}`, "j", rv(), { phase: "Succeeded" }));
    assert.equal(sizes(s).pods, 1000);
    // Every Pod was released and deleted while the watch was down.
    s.applyPodList([], rv());
    assert.equal(sizes(s).pods, 0);
  });

  test(
    "200 Jobs, their Pods through their whole life, then the Jobs deleted: nothing is remembered",
    () => {
      const s = state();
      const rv = clock();
      for (let j = 0; j < JOBS; j++) {
        s.applyJobEvent("ADDED", job(`j${j}`, rv()));
        for (let i = 0; i < PODS_PER_JOB; i++) podLife(s, `j${j}-p${i}`, `j${j}`, rv, "Succeeded");
        s.applyJobEvent("MODIFIED", job(`j${j}`, rv()));
        s.applyJobEvent("DELETED", job(`j${j}`, rv()));
      }
      assert.equal(s.knownManagedJobs, 0);
      assert.deepEqual(sizes(s), ZERO);
    },
  );

  test(
    "Jobs deleted before their Pods are: once the last Pod is deleted, nothing is remembered",
    () => {
      const s = state();
      const rv = clock();
      for (let j = 0; j < JOBS; j++) {
        s.applyJobEvent("ADDED", job(`j${j}`, rv()));
        for (let i = 0; i < 3; i++) s.applyPodEvent("ADDED", pod(`j${j}-p${i}`, `j${j}`, rv(), { phase: "Running" }));
        s.applyJobEvent("DELETED", job(`j${j}`, rv()));
        // The garbage collector deletes the Pods; the counter releases their finalizers.
        for (let i = 0; i < 3; i++) {
          s.applyPodEvent("MODIFIED", pod(`j${j}-p${i}`, `j${j}`, rv(), { phase: "Failed", deleting: true }));
          s.applyPodEvent("MODIFIED", pod(`j${j}-p${i}`, `j${j}`, rv(), { phase: "Failed", deleting: true, finalizer: false }));
          s.applyPodEvent("DELETED", pod(`j${j}-p${i}`, `j${j}`, rv(), { phase: "Failed", deleting: true, finalizer: false }));
        }
      }
      assert.deepEqual(sizes(s), ZERO);
    },
  );

  test("Jobs managed by another controller, created and deleted: nothing is remembered", () => {
    const s = state();
    const rv = clock();
    for (let j = 0; j < JOBS; j++) {
      s.applyJobEvent("ADDED", job(`other${j}`, rv(), "kubernetes.io/job-controller"));
      s.applyJobEvent("DELETED", job(`other${j}`, rv(), "kubernetes.io/job-controller"));
    }
    assert.deepEqual(sizes(s), ZERO);
  });

  test(
    "Pods that waited for a Job never seen and were deleted: not held, and a later Pod still waits for its Job",
    () => {
      const s = state(); // maxPendingPods: 100
      const rv = clock();
      for (let i = 0; i < 150; i++) {
        s.applyPodEvent("ADDED", pod(`early${i}`, `unseen${i}`, rv()));
        s.applyPodEvent("DELETED", pod(`early${i}`, `unseen${i}`, rv()));
      }
      assert.deepEqual(sizes(s), ZERO);
      // With the count stuck at the cap, this Pod would be dropped silently and never published.
      s.applyPodEvent("ADDED", pod("late", "j-late", rv()));
      const pubs = s.applyJobEvent("ADDED", job("j-late", rv()));
      assert.deepEqual(
        pubs.map((p) => p.record.kind),
        ["job", "pod"],
      );
    },
  );

  test("deleted Jobs are remembered after their last Pod went only up to the bound, the oldest forgotten first", () => {
    const s = state(3);
    const rv = clock();
    for (let j = 0; j < 5; j++) {
      s.applyJobEvent("ADDED", job(`d${j}`, rv()));
      s.applyJobEvent("DELETED", job(`d${j}`, rv()));
    }
    assert.equal(s.knownJobs, 0);
    assert.equal(s.deletedJobsRemembered, 3);
  });

  test("a Pod of a deleted Job seen after the Job's last Pod went is filed under that Job (its counter releases the finalizer), not held waiting for it", () => {
    const s = state();
    const rv = clock();
    s.applyJobEvent("ADDED", job("gone", rv()));
    s.applyJobEvent("DELETED", job("gone", rv()));
    // Created from an intent that raced the deletion: ownerReference to the deleted Job, finalizer held.
    const pubs = s.applyPodEvent("ADDED", pod("late", "gone", rv(), { phase: "Pending", deleting: true }));
    assert.deepEqual(
      pubs.map((p) => [p.record.kind, p.record.kind === "pod" ? p.record.jobUID : null]),
      [["pod", "gone"]],
    );
    assert.equal(sizes(s).pendingPods, 0);
  });
});
