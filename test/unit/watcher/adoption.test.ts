/**
 * The watcher's half of adoption (in-tree `getPodJobs` + `ClaimPods`): an orphan Pod (no
 * controller of any kind) that a managed Job's selector matches, in its namespace, is filed under
 * that Job as an adoption candidate, unless the Pod is being deleted or the Job is being deleted
 * or finished; an orphan seen before its Job is kept and filed once the Job appears; once adopted
 * it is an ordinary Pod of the Job. A candidate that stops being one is gone to the Job; if it is
 * an orphan holding the tracking finalizer, the Job releases it (in-tree's orphan queue strips it
 * from every orphan), unless something else takes it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { WatcherState, type Publication } from "../../../services/watcher/watcher-state.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER, LABEL_CONTROLLER_UID } from "../../../shared/constants.js";
import { labelSelectorWithinWatch, parseLabelSelectorString } from "../../../shared/kube/label-selector.js";
import type { JobView, PodView } from "../../../shared/view/records.js";

interface JobSetup {
  selector?: Record<string, string>;
  namespace?: string;
  createdAt?: string;
  deleting?: boolean;
  finished?: boolean;
  managedBy?: string;
  manualSelector?: boolean;
}

function job(uid: string, rv: string, o: JobSetup = {}): V1Job {
  return {
    metadata: {
      uid,
      name: `job-${uid}`,
      namespace: o.namespace ?? "ns",
      resourceVersion: rv,
      creationTimestamp: (o.createdAt ?? "2024-01-01T00:00:00Z") as unknown as Date,
      ...(o.deleting ? { deletionTimestamp: "2024-01-01T00:10:00Z" as unknown as Date } : {}),
    },
    spec: {
      managedBy: o.managedBy ?? DEFAULT_MANAGED_BY,
      ...(o.manualSelector ? { manualSelector: true } : {}),
      selector: { matchLabels: o.selector ?? { app: "work" } },
      template: { metadata: { labels: o.selector ?? { app: "work" } }, spec: { containers: [] } },
    },
    status: o.finished ? { conditions: [{ type: "Complete", status: "True" }] } : {},
  } as V1Job;
}

interface PodSetup {
  labels?: Record<string, string>;
  namespace?: string;
  controller?: { uid: string; kind?: string; apiVersion?: string } | null;
  /** An ownerReference that is not the controller. */
  owner?: { uid: string; kind: string };
  finalizer?: boolean;
  deleting?: boolean;
  phase?: string;
}

function pod(uid: string, rv: string, o: PodSetup = {}): V1Pod {
  const refs = [];
  if (o.controller) refs.push({ apiVersion: o.controller.apiVersion ?? "batch/v1", kind: o.controller.kind ?? "Job", name: `owner-${o.controller.uid}`, uid: o.controller.uid, controller: true });
  if (o.owner) refs.push({ apiVersion: "batch/v1", kind: o.owner.kind, name: `owner-${o.owner.uid}`, uid: o.owner.uid });
  return {
    metadata: {
      uid,
      name: `pod-${uid}`,
      namespace: o.namespace ?? "ns",
      resourceVersion: rv,
      labels: o.labels ?? { app: "work" },
      finalizers: o.finalizer ? [JOB_TRACKING_FINALIZER] : [],
      ownerReferences: refs,
      ...(o.deleting ? { deletionTimestamp: "2024-01-01T00:05:00Z" as unknown as Date } : {}),
    },
    status: { phase: o.phase ?? "Running" },
  } as V1Pod;
}

function state(o: { manageAllJobs?: boolean; podSelector?: string } = {}): WatcherState {
  const selector = o.podSelector ?? (o.manageAllJobs ? "" : "");
  const inWatch = parseLabelSelectorString(selector);
  return new WatcherState({
    partitions: 4,
    watcherId: "w",
    managedBy: DEFAULT_MANAGED_BY,
    manageAllJobs: o.manageAllJobs ?? false,
    inPodWatch: (p) => inWatch(p.metadata?.labels),
    podWatchSelective: selector !== "",
    podWatchCovers: (s) => labelSelectorWithinWatch(s, selector),
  });
}

/** `<Job the subject files it under>:<candidate|pod|gone|departed(release|keep)>` per Pod publication. */
function summary(pubs: Publication[]): string[] {
  return pubs.flatMap((p) => {
    const r = p.record;
    if (r.kind !== "pod") return [];
    const filedUnder = p.subject.split(".")[3];
    if (r.departed) return [`${filedUnder}:departed(${r.departed.releaseFinalizer ? "release" : "keep"})`];
    if (r.gone) return [`${filedUnder}:gone`];
    return [`${filedUnder}:${r.adoptionCandidate ? "candidate" : "pod"}`];
  });
}

describe("WatcherState: orphans a managed Job may adopt", () => {
  // In-tree TestGetPodsForJob, the watcher's half: which Pods reach the Job's sync at all.
  const cases: { name: string; jobs: V1Job[]; pods: V1Pod[]; want: string[] }[] = [
    {
      name: "only matching: the Job's Pods go to it, another Job's to that one, a Pod its selector does not match nowhere",
      jobs: [job("j1", "1"), job("j2", "2", { selector: { app: "other" } })],
      pods: [pod("p1", "10", { controller: { uid: "j1" }, finalizer: true }), pod("p2", "11", { controller: { uid: "j2" }, labels: { app: "other" } }), pod("p3", "12", { labels: {} }), pod("p4", "13", { controller: { uid: "j1" } })],
      want: ["j1:pod", "j2:pod", "j1:pod"],
    },
    {
      name: "adopt: an orphan the selector matches is filed under the Job as a candidate",
      jobs: [job("j1", "1")],
      pods: [pod("p1", "10", { controller: { uid: "j1" } }), pod("p2", "11")],
      want: ["j1:pod", "j1:candidate"],
    },
    {
      name: "no adopt when deleting: a Job being deleted adopts nothing",
      jobs: [job("j1", "1", { deleting: true })],
      pods: [pod("p1", "10", { controller: { uid: "j1" } }), pod("p2", "11")],
      want: ["j1:pod"],
    },
    {
      name: "a finished Job adopts nothing (in-tree does not sync it)",
      jobs: [job("j1", "1", { finished: true })],
      pods: [pod("p2", "11")],
      want: [],
    },
    {
      name: "release: a Pod of the Job whose labels no longer match is departed, not a candidate",
      jobs: [job("j1", "1")],
      pods: [pod("p1", "10", { controller: { uid: "j1" } }), pod("p2", "11", { controller: { uid: "j1" }, labels: {} })],
      want: ["j1:pod", "j1:departed(keep)"],
    },
    {
      name: "an orphan being deleted is not adopted (in-tree ClaimObject)",
      jobs: [job("j1", "1")],
      pods: [pod("p2", "11", { deleting: true })],
      want: [],
    },
    {
      name: "an orphan in another namespace is not adopted",
      jobs: [job("j1", "1")],
      pods: [pod("p2", "11", { namespace: "elsewhere" })],
      want: [],
    },
    {
      name: "a Pod with a non-controller ownerReference is an orphan all the same",
      jobs: [job("j1", "1")],
      pods: [pod("p2", "11", { owner: { uid: "j1", kind: "Job" } })],
      want: ["j1:candidate"],
    },
    {
      name: "a Pod controlled by something else (a ReplicaSet) is not an orphan",
      jobs: [job("j1", "1")],
      pods: [pod("p2", "11", { controller: { uid: "rs", kind: "ReplicaSet", apiVersion: "apps/v1" } })],
      want: [],
    },
    {
      name: "a Job managed by someone else adopts nothing here",
      jobs: [job("j1", "1", { managedBy: "kueue.x-k8s.io/multikueue" })],
      pods: [pod("p2", "11")],
      want: [],
    },
    {
      name: "two Jobs select the orphan (a user error): the oldest, so that every watcher files it alike",
      jobs: [job("young", "1", { createdAt: "2024-01-02T00:00:00Z" }), job("old", "2", { createdAt: "2024-01-01T00:00:00Z" })],
      pods: [pod("p2", "11")],
      want: ["old:candidate"],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = state();
      for (const j of c.jobs) s.applyJobEvent("ADDED", j);
      const pubs = c.pods.flatMap((p) => s.applyPodEvent("ADDED", p));
      assert.deepStrictEqual(summary(pubs), c.want);
    });
  }

  test("the candidate's record names the adopting Job and otherwise is the Pod's state", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1"));
    const [pub] = s.applyPodEvent("ADDED", pod("p2", "11", { phase: "Succeeded" }));
    const r = pub?.record as PodView;
    assert.equal(r.jobUID, "j1");
    assert.equal(r.adoptionCandidate, true);
    assert.equal(r.phase, "Succeeded");
    assert.equal(r.hasFinalizer, false);
  });

  test("orphans seen before their Job: kept, and filed under the Job once it appears (its first sync claims them)", () => {
    const s = state();
    assert.deepStrictEqual(summary(s.applyPodList([pod("p1", "10"), pod("p2", "11", { labels: { app: "else" } }), pod("p3", "12", { phase: "Succeeded" })], "20")), []);
    assert.deepStrictEqual(summary(s.applyJobEvent("ADDED", job("j1", "21"))), ["j1:candidate", "j1:candidate"]);
    // Filed once: a later Job selecting them too does not move them.
    assert.deepStrictEqual(summary(s.applyJobEvent("ADDED", job("j2", "22", { createdAt: "2024-01-03T00:00:00Z" }))), []);
  });

  test("an orphan that vanished before its Job appeared is forgotten (a relist, or its deletion)", () => {
    const s = state();
    s.applyPodList([pod("p1", "10"), pod("p2", "11")], "20");
    s.applyPodEvent("DELETED", pod("p1", "12"));
    s.applyPodList([], "30");
    assert.deepStrictEqual(summary(s.applyJobEvent("ADDED", job("j1", "31"))), []);
  });

  test("adopted: the same Job's ordinary Pod from then on, on the same subject", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1"));
    const [candidate] = s.applyPodEvent("ADDED", pod("p2", "11"));
    const [adopted] = s.applyPodEvent("MODIFIED", pod("p2", "12", { controller: { uid: "j1" }, finalizer: true }));
    assert.equal(adopted?.subject, candidate?.subject);
    assert.equal((adopted?.record as PodView).adoptionCandidate, undefined);
    assert.equal((adopted?.record as PodView).hasFinalizer, true);
    assert.equal((adopted?.record as PodView).jobUID, "j1");
  });

  test("taken by another controller first: gone to the Job, its finalizer not released", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1"));
    s.applyPodEvent("ADDED", pod("p2", "11", { finalizer: true }));
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p2", "12", { finalizer: true, controller: { uid: "rs", kind: "ReplicaSet", apiVersion: "apps/v1" } }))), ["j1:departed(keep)"]);
  });

  test("its labels changed: gone to the Job (an orphan holding the finalizer: released, as in-tree's orphan queue does); kept for a Job created later", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1"));
    s.applyPodEvent("ADDED", pod("p2", "11", { finalizer: true }));
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p2", "12", { finalizer: true, labels: { app: "other" } }))), ["j1:departed(release)"]);
    assert.deepStrictEqual(summary(s.applyJobEvent("ADDED", job("j2", "13", { selector: { app: "other" } }))), ["j2:candidate"]);
    const t = state();
    t.applyJobEvent("ADDED", job("j1", "1"));
    t.applyPodEvent("ADDED", pod("p2", "11"));
    assert.deepStrictEqual(summary(t.applyPodEvent("MODIFIED", pod("p2", "12", { labels: { app: "other" } }))), ["j1:departed(keep)"], "no finalizer: nothing to release");
  });

  test("being deleted before adoption: gone to the Job; deleted for good: a tombstone", () => {
    const s = state();
    s.applyJobEvent("ADDED", job("j1", "1"));
    s.applyPodEvent("ADDED", pod("p2", "11"));
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p2", "12", { deleting: true }))), ["j1:departed(keep)"]);
    const t = state();
    t.applyJobEvent("ADDED", job("j1", "1"));
    t.applyPodEvent("ADDED", pod("p2", "11"));
    assert.deepStrictEqual(summary(t.applyPodEvent("DELETED", pod("p2", "12"))), ["j1:gone"]);
  });

  test("manage-all: an orphan holding the finalizer that a Job selects is adopted, not released; being deleted, it takes the orphan route", () => {
    const s = state({ manageAllJobs: true });
    s.applyJobEvent("ADDED", job("j1", "1", { managedBy: undefined }));
    assert.deepStrictEqual(summary(s.applyPodEvent("ADDED", pod("p2", "11", { finalizer: true }))), ["j1:candidate"]);
    assert.deepStrictEqual(summary(s.applyPodEvent("MODIFIED", pod("p2", "12", { finalizer: true, deleting: true }))), ["j1:departed(keep)", "_none:pod"]);
  });

  test("the Job's record says when the Pod watch does not cover its selector (a manualSelector Job, the default watch)", () => {
    const jobRecord = (s: WatcherState, j: V1Job): JobView => s.applyJobEvent("ADDED", j)[0]?.record as JobView;
    const selective = state({ podSelector: LABEL_CONTROLLER_UID });
    assert.equal(jobRecord(selective, job("manual", "1", { manualSelector: true })).orphansOutsideWatch, true);
    const generated = job("gen", "2", { selector: { [LABEL_CONTROLLER_UID]: "gen" } });
    assert.equal(jobRecord(selective, generated).orphansOutsideWatch, undefined);
    assert.equal(jobRecord(state(), job("manual", "1", { manualSelector: true })).orphansOutsideWatch, undefined, "watching every Pod covers every selector");
  });
});

describe("labelSelectorWithinWatch", () => {
  const cases: { name: string; selector: Parameters<typeof labelSelectorWithinWatch>[0]; watch: string; want: boolean }[] = [
    { name: "an empty watch sees everything", selector: { matchLabels: { app: "x" } }, watch: "", want: true },
    { name: "the generated selector is within the default watch", selector: { matchLabels: { [LABEL_CONTROLLER_UID]: "u" } }, watch: LABEL_CONTROLLER_UID, want: true },
    { name: "a manual selector without the label is not", selector: { matchLabels: { app: "x" } }, watch: LABEL_CONTROLLER_UID, want: false },
    { name: "an Exists expression on the label is", selector: { matchExpressions: [{ key: LABEL_CONTROLLER_UID, operator: "Exists" }] }, watch: LABEL_CONTROLLER_UID, want: true },
    { name: "a key=value watch needs that value", selector: { matchLabels: { team: "a" } }, watch: "team=a", want: true },
    { name: "a key=value watch, another value", selector: { matchLabels: { team: "b" } }, watch: "team=a", want: false },
    { name: "a negative watch requirement is never shown to hold", selector: { matchLabels: { team: "a" } }, watch: "!legacy", want: false },
    { name: "no selector at all", selector: undefined, watch: LABEL_CONTROLLER_UID, want: false },
  ];
  for (const c of cases) test(c.name, () => assert.equal(labelSelectorWithinWatch(c.selector, c.watch), c.want));
});
