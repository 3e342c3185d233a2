/**
 * The watcher's routing when a Pod's ownership changes (in-tree `updatePod` enqueues the old and
 * the new controller; `ClaimPods` releases a Pod whose labels stop matching; orphans lose the
 * finalizer): the Job a Pod left gets a departed record, with the finalizer to release only when
 * nothing else will track the Pod, and the new owner (or the orphan route) gets the Pod's state.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { WatcherState, type Publication } from "../../../services/watcher/watcher-state.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER, LABEL_CONTROLLER_UID } from "../../../shared/constants.js";
import { parseLabelSelectorString, matchesLabelSelector } from "../../../shared/kube/label-selector.js";

function job(uid: string, rv: string, managedBy: string | undefined = DEFAULT_MANAGED_BY): V1Job {
  return {
    metadata: { uid, name: `job-${uid}`, namespace: "ns", resourceVersion: rv },
    spec: { managedBy, selector: { matchLabels: { [LABEL_CONTROLLER_UID]: uid } }, template: { spec: { containers: [] } } },
  } as V1Job;
}

function pod(uid: string, rv: string, o: { owner?: string | null; label?: string | null; finalizer?: boolean } = {}): V1Pod {
  const owner = o.owner === undefined ? "j1" : o.owner;
  const label = o.label === undefined ? owner : o.label;
  return {
    metadata: {
      uid,
      name: `pod-${uid}`,
      namespace: "ns",
      resourceVersion: rv,
      labels: label ? { [LABEL_CONTROLLER_UID]: label } : {},
      finalizers: o.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
      ownerReferences: owner ? [{ apiVersion: "batch/v1", kind: "Job", name: `job-${owner}`, uid: owner, controller: true }] : [],
    },
    status: { phase: "Running" },
  } as V1Pod;
}

function state(manageAllJobs = false): WatcherState {
  const inWatch = parseLabelSelectorString(manageAllJobs ? "" : LABEL_CONTROLLER_UID);
  const s = new WatcherState({
    partitions: 4,
    watcherId: "w",
    managedBy: DEFAULT_MANAGED_BY,
    manageAllJobs,
    inPodWatch: (p) => inWatch(p.metadata?.labels),
    podWatchSelective: !manageAllJobs,
  });
  s.applyJobEvent("ADDED", job("j1", "1"));
  s.applyJobEvent("ADDED", job("j2", "2"));
  s.applyJobEvent("ADDED", job("builtin", "3", "kubernetes.io/job-controller"));
  return s;
}

/** `<job of the subject>:<gone|live>[:departed(release|keep)]` per publication. */
function summary(pubs: Publication[]): string[] {
  return pubs.map((p) => {
    const r = p.record;
    if (r.kind !== "pod") return r.kind;
    const filedUnder = p.subject.split(".")[3];
    const departed = r.departed ? `:departed(${r.departed.releaseFinalizer ? "release" : "keep"})` : "";
    return `${filedUnder}:${r.gone ? "gone" : "live"}${departed}`;
  });
}

describe("WatcherState: ownership changes", () => {
  test("a user strips the Job labels and the ownerReference: the watch reports DELETED; the Job gets a departed record releasing the finalizer", () => {
    const s = state();
    assert.deepStrictEqual(summary(s.applyPodEvent("ADDED", pod("p", "10"))), ["j1:live"]);
    assert.deepStrictEqual(summary(s.applyPodEvent("DELETED", pod("p", "11", { owner: null, label: null }))), ["j1:gone:departed(release)"]);
    // Forgotten: it is not a Pod of ours any more.
    assert.equal(s.knownPods, 0);
  });

  test("a real deletion is still a tombstone, not a departure", () => {
    const s = state();
    s.applyPodEvent("ADDED", pod("p", "10"));
    const pubs = s.applyPodEvent("DELETED", pod("p", "11"));
    assert.deepStrictEqual(summary(pubs), ["j1:gone"]);
    assert.equal((pubs[0]?.record as { departed?: unknown }).departed, undefined);
  });

  test("only the ownerReference goes (the labels still match the Job's selector): an orphan the Job adopts again, as in-tree (TestUpdatePodRelease queues it for adoption)", () => {
    const s = state();
    s.applyPodEvent("ADDED", pod("p", "10"));
    const [pub] = s.applyPodEvent("MODIFIED", pod("p", "11", { owner: null, label: "j1" }));
    assert.deepStrictEqual(summary(pub ? [pub] : []), ["j1:live"]);
    assert.equal((pub?.record as { adoptionCandidate?: boolean }).adoptionCandidate, true, "filed under j1 as an adoption candidate, not released");
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "12", { owner: "j1", label: "j1" }))), ["j1:live"], "adopted again: j1's Pod");
  });

  test("its labels stop matching its Job's selector (the ownerReference stays): released as in-tree ClaimPods does; matching again, it is the Job's again", () => {
    const s = state();
    s.applyPodEvent("ADDED", pod("p", "10"));
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "11", { owner: "j1", label: "something-else" }))), ["j1:gone:departed(release)"]);
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "12", { owner: "j1", label: "something-else", finalizer: false }))), []);
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "13", { owner: "j1", label: "j1", finalizer: false }))), ["j1:live"]);
  });

  test("a Pod moves to another managed Job: the old Job gets a departed record keeping the finalizer, the new one the Pod", () => {
    const s = state();
    s.applyPodEvent("ADDED", pod("p", "10"));
    const pubs = s.applyPodEvent("MODIFIED", pod("p", "11", { owner: "j2" }));
    assert.deepStrictEqual(summary(pubs), ["j1:gone:departed(keep)", "j2:live"]);
    assert.equal((pubs[1]?.record as { jobUID: string }).jobUID, "j2");
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "12", { owner: "j2" }))), [], "routed to j2 from now on (same state)");
  });

  test("a Pod moves to a Job managed by someone else: departed, the finalizer left to that Job's controller", () => {
    const s = state();
    s.applyPodEvent("ADDED", pod("p", "10"));
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "11", { owner: "builtin" }))), ["j1:gone:departed(keep)"]);
  });

  test("labels stripped and another controller set (not a Job): the Pod leaves the watch, its finalizer is not ours to strip (in-tree syncOrphanPod: controlled_by_non_job)", () => {
    const s = state();
    s.applyPodEvent("ADDED", pod("p", "10"));
    const moved = pod("p", "11", { owner: null, label: null });
    (moved.metadata as { ownerReferences: unknown[] }).ownerReferences = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "rs-1", controller: true }];
    assert.deepStrictEqual(summary(s.applyPodEvent("DELETED", moved)), ["j1:gone:departed(keep)"]);
  });

  test("manage-all: the ownerReference goes, the finalizer stays: departed (kept) and the orphan route tracks it", () => {
    const s = state(true);
    s.applyPodEvent("ADDED", pod("p", "10"));
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "11", { owner: null, label: null }))), ["j1:gone:departed(keep)", "_none:live"]);
    // Once its finalizer is gone nothing routes it any more: it leaves the orphan route too.
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p", "12", { owner: null, label: null, finalizer: false }))), ["_none:gone:departed(keep)"]);
  });

  test("a relist misses a Pod last seen holding the finalizer: it may have left the watch while it was down, so it is released (a 404 if it was deleted)", () => {
    const s = state();
    s.applyPodEvent("ADDED", pod("p", "10"));
    s.applyPodEvent("ADDED", pod("q", "11", { finalizer: false }));
    assert.deepStrictEqual(summary(s.applyPodList([], "20")).sort(), ["j1:gone", "j1:gone:departed(release)"]);
  });

  test("manage-all (no selector): a Pod missing from a relist was deleted, a tombstone", () => {
    const s = state(true);
    s.applyPodEvent("ADDED", pod("p", "10"));
    assert.deepStrictEqual(summary(s.applyPodList([], "20")), ["j1:gone"]);
  });

  test("a new Pod controlled by a managed Job whose selector it does not match is released at once", () => {
    const s = state();
    assert.deepStrictEqual(summary(s.applyPodEvent("ADDED", pod("q", "10", { owner: "j1", label: "j2" }))), ["j1:gone:departed(release)"]);
  });
});

describe("label selectors", () => {
  test("matchLabels and every matchExpressions operator (metav1.LabelSelectorAsSelector)", () => {
    const labels = { a: "1", b: "2" };
    assert.equal(matchesLabelSelector({ matchLabels: { a: "1" } }, labels), true);
    assert.equal(matchesLabelSelector({ matchLabels: { a: "2" } }, labels), false);
    assert.equal(matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "In", values: ["1", "3"] }] }, labels), true);
    assert.equal(matchesLabelSelector({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, labels), false);
    assert.equal(matchesLabelSelector({ matchExpressions: [{ key: "c", operator: "DoesNotExist" }] }, labels), true);
    assert.equal(matchesLabelSelector({ matchExpressions: [{ key: "c", operator: "Exists" }] }, labels), false);
    assert.equal(matchesLabelSelector({}, labels), true, "an empty selector matches everything");
    assert.equal(matchesLabelSelector(undefined, labels), false, "a nil selector matches nothing");
  });

  test("the string form of a watch's labelSelector", () => {
    const labels = { a: "1", b: "2" };
    const yes = ["", "a", "!c", "a=1", "a==1", "a!=2", "a in (1,3)", "c notin (1)", "a=1,b in (2)"];
    const no = ["c", "!a", "a=2", "a!=1", "a in (3)", "a notin (1,2)", "a=1,b=3"];
    for (const s of yes) assert.equal(parseLabelSelectorString(s)(labels), true, s);
    for (const s of no) assert.equal(parseLabelSelectorString(s)(labels), false, s);
  });
});
