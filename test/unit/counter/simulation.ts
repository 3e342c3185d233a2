/**
 * A tiny world for driving plans step by step: the API (Job with a resourceVersion, Pods), the
 * view (versioned copies, so a sync can read an older one), the work queue of intents and the
 * in-flight sets the I/O layer would keep. Applying a plan follows types.ts: status first
 * (compare-and-set on the resourceVersion the plan was based on), intents only after.
 */
import type { V1Job, V1JobStatus } from "@kubernetes/client-node";
import assert from "node:assert/strict";
import type { PodView } from "../../../shared/view/records.js";
import { planJobSync, type SyncPlan, type SyncSnapshot, DEFAULT_SYNC_OPTIONS, type SyncOptions, type BackoffRecord } from "../../../services/counter/logic/index.js";
import { iso } from "./fixtures.js";

export interface CapturedSnapshot {
  snapshot: SyncSnapshot;
  jobRV: number;
  viewVersion: number;
}

export class World {
  job: V1Job;
  jobRV = 1;
  /** The API's Pods (the truth); `views[n]` are the successive states the watcher published. */
  pods = new Map<string, PodView>();
  views: Map<string, PodView>[] = [new Map()];
  /** The view version the current Job status was computed from. */
  statusViewVersion = 0;
  nowMs: number;
  backoff: BackoffRecord = { failuresAfterLastSuccess: 0, lastFailureTimeMs: null };
  removals: { uid: string; reason: string }[] = [];
  removalsInFlight = new Set<string>();
  creations: { name: string; index: number | null }[] = [];
  creationsInFlight = new Map<string, { index: number | null }>();
  deletions: { uid: string; removeFinalizerFirst: boolean }[] = [];
  deletionsInFlight = new Set<string>();
  /** Every UID any applied plan counted, in order (duplicates would be double counts). */
  countedLog: string[] = [];
  /** UIDs whose finalizer went while the Job status listed them. */
  removedWhileListed = new Set<string>();
  /** UIDs jobtally deleted with removeFinalizerFirst (not failures). */
  ownDeletions = new Set<string>();
  plans: SyncPlan[] = [];
  options: SyncOptions;
  random: () => number;

  constructor(job: V1Job, nowMs: number, random: () => number, options: Partial<SyncOptions> = {}) {
    this.job = structuredClone(job);
    this.nowMs = nowMs;
    this.random = random;
    this.options = { ...DEFAULT_SYNC_OPTIONS, ...options };
  }

  /** Change a Pod in the API and publish the new state to the view. */
  setPod(pod: PodView): void {
    this.pods.set(pod.uid, pod);
    const next = new Map(this.views[this.views.length - 1]);
    next.set(pod.uid, { ...pod, resourceVersion: String(Number(pod.resourceVersion) + 1) });
    this.views.push(next);
  }

  /** The watcher forgets a tombstone. */
  purgeTombstone(uid: string): void {
    const next = new Map(this.views[this.views.length - 1]);
    next.delete(uid);
    this.views.push(next);
  }

  currentViewVersion(): number {
    return this.views.length - 1;
  }

  capture(viewVersion = this.currentViewVersion()): CapturedSnapshot {
    const view = this.views[viewVersion] ?? new Map();
    return {
      jobRV: this.jobRV,
      viewVersion,
      snapshot: {
        job: structuredClone(this.job),
        pods: [...view.values()].map((p) => ({ ...p })),
        nowMs: this.nowMs,
        removalsInFlight: new Set(this.removalsInFlight),
        creationsInFlight: new Map(this.creationsInFlight),
        deletionsInFlight: new Set(this.deletionsInFlight),
        backoff: { ...this.backoff },
        random: this.random,
        options: this.options,
      },
    };
  }

  /** Plan and apply; returns the plan, or null when the status write lost the compare-and-set. */
  sync(captured: CapturedSnapshot = this.capture()): SyncPlan | null {
    const plan = planJobSync(captured.snapshot);
    return this.apply(plan, captured) ? plan : null;
  }

  apply(plan: SyncPlan, captured: CapturedSnapshot): boolean {
    if (plan.status !== null) {
      if (captured.jobRV !== this.jobRV) return false; // 409: nothing else of the plan happens
      this.job.status = structuredClone(plan.status);
      this.jobRV++;
      this.statusViewVersion = Math.max(this.statusViewVersion, captured.viewVersion);
      this.countedLog.push(...plan.counted);
      this.backoff = { ...plan.backoff };
    }
    this.plans.push(plan);
    for (const r of plan.removals) {
      if (this.removalsInFlight.has(r.podUID)) continue;
      this.removalsInFlight.add(r.podUID);
      this.removals.push({ uid: r.podUID, reason: r.reason });
    }
    for (const c of plan.creations) {
      if (this.creationsInFlight.has(c.name) || this.pods.has(c.name)) continue;
      this.creationsInFlight.set(c.name, { index: c.index });
      this.creations.push({ name: c.name, index: c.index });
    }
    for (const d of plan.deletions) {
      if (this.deletionsInFlight.has(d.podUID)) continue;
      this.deletionsInFlight.add(d.podUID);
      this.deletions.push({ uid: d.podUID, removeFinalizerFirst: d.removeFinalizerFirst });
    }
    return true;
  }

  isListed(uid: string): boolean {
    const u = this.job.status?.uncountedTerminatedPods;
    return Boolean(u?.succeeded?.includes(uid) || u?.failed?.includes(uid));
  }

  /** The finalizer-remover: PATCH the finalizer away (404 = done). */
  executeRemoval(index: number): void {
    const [item] = this.removals.splice(index, 1);
    if (!item) return;
    this.removalsInFlight.delete(item.uid);
    const pod = this.pods.get(item.uid);
    if (!pod || !pod.hasFinalizer) return;
    this.dropFinalizer(pod);
  }

  /** An intent lost for good (the I/O layer's in-flight entry expires; the next sync re-plans). */
  loseRemoval(index: number): void {
    const [item] = this.removals.splice(index, 1);
    if (item) this.removalsInFlight.delete(item.uid);
  }

  executeCreation(index: number): void {
    const [item] = this.creations.splice(index, 1);
    if (!item) return;
    this.creationsInFlight.delete(item.name);
    this.setPod({
      v: 1,
      kind: "pod",
      uid: item.name,
      name: item.name,
      namespace: "ns",
      jobUID: "job-uid",
      resourceVersion: "1",
      phase: "Pending",
      hasFinalizer: true,
      deletionTimestamp: null,
      gone: false,
      ready: false,
      completionIndex: item.index,
      creationTimestamp: iso(this.nowMs),
      finishedAt: null,
    });
  }

  executeDeletion(index: number): void {
    const [item] = this.deletions.splice(index, 1);
    if (!item) return;
    this.deletionsInFlight.delete(item.uid);
    const pod = this.pods.get(item.uid);
    if (!pod || pod.gone) return;
    let next = pod;
    if (item.removeFinalizerFirst && pod.hasFinalizer) {
      this.ownDeletions.add(pod.uid);
      next = this.dropFinalizer(pod);
      if (next.gone) return;
    }
    this.deletePod(next);
  }

  /**
   * DELETE: the Pod gets a deletionTimestamp; it goes once it holds no finalizer and its
   * containers are done (a terminal phase; the kubelet ends a running one later, see `kubeletStep`).
   */
  deletePod(pod: PodView): void {
    const terminal = pod.phase === "Succeeded" || pod.phase === "Failed";
    this.setPod({ ...pod, deletionTimestamp: pod.deletionTimestamp ?? iso(this.nowMs), gone: !pod.hasFinalizer && terminal });
  }

  /** The kubelet moves one Pod on: start, finish, or end a terminating one. */
  kubeletStep(pod: PodView, succeed: boolean): void {
    if (pod.gone) return;
    if (pod.deletionTimestamp !== null) {
      if (!pod.hasFinalizer) this.setPod({ ...pod, gone: true });
      else if (pod.phase !== "Succeeded" && pod.phase !== "Failed") this.setPod({ ...pod, phase: "Failed", finishedAt: iso(this.nowMs) });
      return;
    }
    if (pod.phase === "Pending") this.setPod({ ...pod, phase: "Running", ready: true });
    else if (pod.phase === "Running") this.setPod({ ...pod, phase: succeed ? "Succeeded" : "Failed", ready: false, finishedAt: iso(this.nowMs) });
  }

  private dropFinalizer(pod: PodView): PodView {
    if (this.isListed(pod.uid)) this.removedWhileListed.add(pod.uid);
    const terminal = pod.phase === "Succeeded" || pod.phase === "Failed";
    const next: PodView = { ...pod, hasFinalizer: false, gone: pod.deletionTimestamp !== null && terminal };
    this.setPod(next);
    return next;
  }
}

/**
 * Runs syncs until nothing is left to do, carrying out what each plan asks (creations stay in
 * flight): deletions (the kubelet then kills those Pods) and finalizer removals. As the job-syncer
 * does, the backoff record is kept after a sync with nothing to write too.
 */
export function settle(world: World, maxRounds = 10): SyncPlan[] {
  const plans: SyncPlan[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const plan = world.sync();
    assert.ok(plan, "no concurrent writer: every status write succeeds");
    if (plan.status === null) world.backoff = { ...plan.backoff };
    plans.push(plan);
    const deleted = world.deletions.map((d) => d.uid);
    while (world.deletions.length > 0) world.executeDeletion(0);
    for (const uid of deleted) {
      const p = world.pods.get(uid);
      if (p) world.kubeletStep(p, false);
    }
    const removed = world.removals.length;
    while (world.removals.length > 0) world.executeRemoval(0);
    if (plan.finished || (plan.status === null && deleted.length === 0 && removed === 0)) break;
  }
  return plans;
}

/** The True conditions of a status as "type:reason:message", for table comparisons. */
export function conditionsOf(status: V1JobStatus | undefined | null): string[] {
  return (status?.conditions ?? []).filter((c) => c.status === "True").map((c) => `${c.type}:${c.reason ?? ""}:${c.message ?? ""}`);
}
