/**
 * The watcher's memory of what it published, and the pure decisions "which view records does this
 * API event produce". No I/O: the orchestrator feeds it list results and watch events and
 * publishes what it returns. Keeping this pure is what lets the relist/tombstone rules be
 * table-tested.
 */
import type { V1Job, V1LabelSelector, V1Pod } from "@kubernetes/client-node";
import { partitionOf } from "../../shared/partition.js";
import type { JobView, PodView, SyncMarker, ViewRecord } from "../../shared/view/records.js";
import { VIEW_RECORD_VERSION } from "../../shared/view/records.js";
import { jobViewSubject, podViewSubject, syncMarkerSubject } from "../../shared/view/subjects.js";
import { matchesLabelSelector } from "../../shared/kube/label-selector.js";
import {
  adoptionCandidateRecord,
  controllerJobUID,
  departedRecord,
  hasNoController,
  hasTrackingFinalizer,
  isManagedJob,
  jobTombstone,
  jobViewOf,
  podTombstone,
  podViewOf,
  samePodState,
  type ManagementPolicy,
} from "../../shared/view/project.js";
import { isNewerResourceVersion } from "../../shared/resource-version.js";

export interface Publication {
  subject: string;
  record: ViewRecord;
  dedupId: string;
  resourceVersion: string;
}

export interface WatcherStateOptions extends ManagementPolicy {
  partitions: number;
  watcherId: string;
  /** This watcher session's id, written into its sync markers (SyncMarker.session). */
  sessionId?: string;
  /** Pods whose owner Job has not been seen yet, held until it is (bounded). */
  maxPendingPods?: number;
  /**
   * Whether a Pod matches the label selector of the Pod watch (default: every Pod does). A DELETED
   * event for a Pod that does not is that Pod leaving the watch (a label removed), not its deletion.
   */
  inPodWatch?: (pod: V1Pod) => boolean;
  /** The Pod watch has a label selector (so Pods can leave it without being deleted). @default false */
  podWatchSelective?: boolean;
  /**
   * Whether the Pod watch sees every Pod a Job's selector matches (default: it does). A managed Job
   * whose selector it does not cover gets `orphansOutsideWatch` on its record.
   */
  podWatchCovers?: (selector: V1LabelSelector | undefined) => boolean;
  /** Orphan Pods no managed Job selects yet, kept for a Job created later to adopt (bounded). @default 10_000 */
  maxOrphanPods?: number;
  /** Deleted managed Jobs remembered after their last Pod went, the oldest forgotten first. @default 10_000 */
  maxDeletedJobs?: number;
}

/**
 * Whether the Job `jobUID` may release a Pod that left it (remove its finalizer): only when the
 * Pod has no controller at all (in-tree `syncOrphanPod`), or is still controlled by that Job but
 * no longer matches its selector (in-tree `ClaimPods` releases it). A Pod now controlled by another
 * Job (managed by someone else) or by anything else keeps its finalizer: not ours to strip.
 */
function releasableBy(pod: V1Pod, jobUID: string): boolean {
  const controllers = (pod.metadata?.ownerReferences ?? []).filter((r) => r.controller === true);
  return controllers.length === 0 || controllerJobUID(pod) === jobUID;
}

/**
 * Where a Pod's records go: `jobUID` (null: the orphan route), `departed` when it is filed under a
 * Job it no longer belongs to (its labels stop matching that Job's selector), `candidate` when it
 * has no controller and is filed under the managed Job that may adopt it.
 */
type Route = { jobUID: string | null; departed: boolean; candidate?: boolean };

/**
 * In-tree `ClaimPods` adopts only for a Job that is not being deleted, and `syncJob` does not look
 * at the Pods of a finished Job at all.
 */
function canAdopt(job: V1Job): boolean {
  if (job.metadata?.deletionTimestamp) return false;
  return !(job.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

function creationMs(job: V1Job): number {
  const t = job.metadata?.creationTimestamp;
  const ms = t === undefined ? NaN : Date.parse(String(t instanceof Date ? t.toISOString() : t));
  return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
}

/** An orphan a Job created later may adopt: no controller, not being deleted. */
function adoptableOrphan(pod: V1Pod): boolean {
  return hasNoController(pod) && !pod.metadata?.deletionTimestamp;
}

interface KnownJob {
  managed: boolean;
  /** Last published record (managed Jobs only). */
  view: JobView | null;
}

interface KnownPod {
  subject: string;
  view: PodView;
  /** The Job the subject files the Pod under (null: the orphan route). */
  jobUID: string | null;
  /** A departed record was published on `subject`: the Pod no longer belongs to that Job. */
  departed: boolean;
}

export class WatcherState {
  private readonly jobs = new Map<string, KnownJob>();
  private readonly pods = new Map<string, KnownPod>();
  /** namespace → UIDs of the managed Jobs live in it (where an orphan looks for its adopter). */
  private readonly jobsByNamespace = new Map<string, Set<string>>();
  /** namespace → orphan Pods no managed Job selects yet (a Job created later may adopt them). */
  private readonly orphans = new Map<string, Map<string, V1Pod>>();
  private orphanCount = 0;
  /** owner Job UID → pods waiting for it (managedBy mode only). */
  private readonly pending = new Map<string, Map<string, V1Pod>>();
  /** pending Pod UID → the owner it waits for (their number is what `maxPendingPods` bounds). */
  private readonly pendingOwner = new Map<string, string>();
  /** Job UID → known Pods filed under it: a deleted Job is forgotten once none is left. */
  private readonly filed = new Map<string, number>();
  /** Deleted managed Jobs whose Pods are all gone, oldest first (see forgetJobIfSettled). */
  private readonly deletedJobs = new Map<string, KnownJob>();
  private epoch = 0;

  constructor(private readonly opts: WatcherStateOptions) {}

  /** Loads what an earlier run published (the view replay), so a relist can tombstone what vanished since. */
  seed(records: ViewRecord[]): void {
    for (const r of records) {
      if (r.kind === "job") {
        // A deleted Job's record stays in the view until its Pods are settled; it is remembered
        // (for their routing) only while a Pod is filed under it.
        this.jobs.set(r.uid, { managed: true, view: r });
        if (!r.gone) this.indexJob(r.uid, r.namespace, true);
      } else if (r.kind === "pod" && !r.gone) {
        const subject = this.podSubject(r.jobUID, r.uid);
        this.filePod(r.uid, { subject, view: r, jobUID: r.jobUID, departed: false });
      } else if (r.kind === "sync") this.epoch = Math.max(this.epoch, r.epoch);
    }
    for (const [uid, j] of [...this.jobs]) if (j.view?.gone) this.forgetJobIfSettled(uid);
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  /** Markers of a new session continue the numbering of the last one. */
  raiseEpoch(atLeast: number): void {
    this.epoch = Math.max(this.epoch, atLeast);
  }

  get knownPods(): number {
    return this.pods.size;
  }
  get knownManagedJobs(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.managed && j.view && !j.view.gone) n++;
    return n;
  }

  jobPartition(jobUID: string): number {
    return partitionOf(jobUID, this.opts.partitions);
  }

  private podSubject(jobUID: string | null, podUID: string): string {
    const p = partitionOf(jobUID ?? podUID, this.opts.partitions);
    return podViewSubject(p, jobUID, podUID);
  }

  // ---- Jobs ---------------------------------------------------------------------------------

  applyJobEvent(type: "ADDED" | "MODIFIED" | "DELETED", job: V1Job): Publication[] {
    const uid = job.metadata?.uid;
    if (!uid) return [];
    if (type === "DELETED") return this.jobGone(uid, job.metadata?.resourceVersion ?? "0");
    return this.jobSeen(job);
  }

  /** A complete list of Jobs as of `resourceVersion`: publishes changes and tombstones for the vanished. */
  applyJobList(jobs: V1Job[], resourceVersion: string): Publication[] {
    const out: Publication[] = [];
    const present = new Set<string>();
    for (const job of jobs) {
      const uid = job.metadata?.uid;
      if (!uid) continue;
      present.add(uid);
      out.push(...this.jobSeen(job));
    }
    for (const [uid, known] of [...this.jobs]) {
      if (present.has(uid)) continue;
      if (!known.managed) this.jobs.delete(uid);
      else if (known.view && !known.view.gone) out.push(...this.jobGone(uid, resourceVersion));
    }
    return out;
  }

  private jobSeen(job: V1Job): Publication[] {
    const uid = job.metadata?.uid as string;
    const managed = isManagedJob(job, this.opts);
    const known = this.jobs.get(uid);
    if (!managed) {
      this.jobs.set(uid, { managed: false, view: null });
      this.dropPending(uid);
      return [];
    }
    const view = jobViewOf(job);
    if (this.opts.podWatchCovers && !this.opts.podWatchCovers(job.spec?.selector)) view.orphansOutsideWatch = true;
    const out: Publication[] = [];
    if (!known?.view || isNewerResourceVersion(view.resourceVersion, known.view.resourceVersion)) {
      this.jobs.set(uid, { managed: true, view });
      this.indexJob(uid, view.namespace, true);
      out.push({ subject: jobViewSubject(this.jobPartition(uid), uid), record: view, dedupId: `${uid}@${view.resourceVersion}`, resourceVersion: view.resourceVersion });
      // Orphans no Job selected so far: a new Job may adopt them (in-tree: its first sync claims
      // them). A Job already known never becomes an adopter later (deletion and finish are final).
      if (!known?.view && canAdopt(job)) out.push(...this.offerOrphans(view.namespace, job));
    }
    // Pods that arrived before their Job can be routed now.
    const waiting = this.pending.get(uid);
    if (waiting) {
      this.dropPending(uid);
      for (const pod of waiting.values()) out.push(...this.podSeen(pod));
    }
    return out;
  }

  private jobGone(uid: string, resourceVersion: string): Publication[] {
    const known = this.jobs.get(uid);
    this.dropPending(uid);
    if (known && !known.managed) this.jobs.delete(uid);
    if (!known?.managed || !known.view || known.view.gone) return [];
    this.indexJob(uid, known.view.namespace, false);
    const tomb = jobTombstone(known.view, resourceVersion);
    known.view = tomb;
    this.forgetJobIfSettled(uid);
    return [{ subject: jobViewSubject(this.jobPartition(uid), uid), record: tomb, dedupId: `${uid}@${resourceVersion}@gone`, resourceVersion }];
  }

  private indexJob(uid: string, namespace: string, live: boolean): void {
    let set = this.jobsByNamespace.get(namespace);
    if (live) {
      if (!set) this.jobsByNamespace.set(namespace, (set = new Set()));
      set.add(uid);
    } else if (set) {
      set.delete(uid);
      if (set.size === 0) this.jobsByNamespace.delete(namespace);
    }
  }

  /**
   * The managed Job that may adopt an orphan: in its namespace, not being deleted nor finished,
   * its selector matching the Pod's labels (in-tree `getPodJobs`). Several match only by user error
   * (in-tree syncs them all and the first adoption wins): the oldest, then the lowest UID, so that
   * every watcher files the Pod under the same one.
   */
  private adopterOf(pod: V1Pod): string | null {
    const uids = this.jobsByNamespace.get(pod.metadata?.namespace ?? "");
    if (!uids) return null;
    let best: { uid: string; ms: number } | null = null;
    for (const uid of uids) {
      const job = this.jobs.get(uid)?.view?.job;
      if (!job || !canAdopt(job) || !matchesLabelSelector(job.spec?.selector, pod.metadata?.labels)) continue;
      const ms = creationMs(job);
      if (best === null || ms < best.ms || (ms === best.ms && uid < best.uid)) best = { uid, ms };
    }
    return best?.uid ?? null;
  }

  /** Keeps (or forgets) an orphan Pod no managed Job selects yet, for a Job created later. */
  private keepOrphan(pod: V1Pod, keep: boolean): void {
    const uid = pod.metadata?.uid as string;
    const ns = pod.metadata?.namespace ?? "";
    let byUid = this.orphans.get(ns);
    if (byUid?.delete(uid)) this.orphanCount--;
    if (!keep || !adoptableOrphan(pod)) {
      if (byUid?.size === 0) this.orphans.delete(ns);
      return;
    }
    if (this.orphanCount >= (this.opts.maxOrphanPods ?? 10_000)) return;
    if (!byUid) this.orphans.set(ns, (byUid = new Map()));
    // What routing and the record need (metadata, status), not the spec.
    const { managedFields: _managedFields, ...metadata } = pod.metadata ?? {};
    byUid.set(uid, { metadata, status: pod.status });
    this.orphanCount++;
  }

  /** The kept orphans of `namespace` that `job` selects, routed again (to it, or to an older Job). */
  private offerOrphans(namespace: string, job: V1Job): Publication[] {
    const byUid = this.orphans.get(namespace);
    if (!byUid) return [];
    const out: Publication[] = [];
    for (const pod of [...byUid.values()]) {
      if (matchesLabelSelector(job.spec?.selector, pod.metadata?.labels)) out.push(...this.podSeen(pod));
    }
    return out;
  }

  private dropPending(jobUID: string): void {
    const waiting = this.pending.get(jobUID);
    if (!waiting) return;
    this.pending.delete(jobUID);
    for (const uid of waiting.keys()) this.pendingOwner.delete(uid);
  }

  /** The Pod no longer waits for an owner (gone, or routed some other way now). */
  private dropPendingPod(uid: string): void {
    const owner = this.pendingOwner.get(uid);
    if (owner === undefined) return;
    this.pendingOwner.delete(uid);
    const waiting = this.pending.get(owner);
    waiting?.delete(uid);
    if (waiting?.size === 0) this.pending.delete(owner);
  }

  /** Pods waiting for an owner not seen yet (bounded by `maxPendingPods`). */
  get pendingPods(): number {
    return this.pendingOwner.size;
  }

  /** Jobs remembered: the managed live ones, the deleted ones with Pods still filed, the unmanaged live ones. */
  get knownJobs(): number {
    return this.jobs.size;
  }

  private filePod(uid: string, known: KnownPod): void {
    const before = this.pods.get(uid);
    if (before) this.unfilePod(uid);
    this.pods.set(uid, known);
    if (known.jobUID !== null) this.filed.set(known.jobUID, (this.filed.get(known.jobUID) ?? 0) + 1);
  }

  private unfilePod(uid: string): void {
    const known = this.pods.get(uid);
    if (!known) return;
    this.pods.delete(uid);
    if (known.jobUID === null) return;
    const n = (this.filed.get(known.jobUID) ?? 1) - 1;
    if (n > 0) this.filed.set(known.jobUID, n);
    else {
      this.filed.delete(known.jobUID);
      this.forgetJobIfSettled(known.jobUID);
    }
  }

  /**
   * A deleted Job with no Pod filed under it any more leaves the Job map for the bounded memory of
   * deleted Jobs: a Pod of it that shows up later (created from an intent that raced the deletion,
   * or seen late) is still routed to its partition, so that its counter releases the finalizer,
   * instead of waiting forever for a Job that will never be seen again.
   */
  private forgetJobIfSettled(jobUID: string): void {
    const job = this.jobs.get(jobUID);
    if (!job?.view?.gone || this.filed.has(jobUID)) return;
    this.jobs.delete(jobUID);
    this.deletedJobs.delete(jobUID);
    this.deletedJobs.set(jobUID, job);
    const max = this.opts.maxDeletedJobs ?? 10_000;
    for (const oldest of this.deletedJobs.keys()) {
      if (this.deletedJobs.size <= max) break;
      this.deletedJobs.delete(oldest);
    }
  }

  /** A known Job, live or deleted (the deleted ones also from the bounded memory). */
  private knownJob(jobUID: string): KnownJob | undefined {
    return this.jobs.get(jobUID) ?? this.deletedJobs.get(jobUID);
  }

  /** Deleted Jobs remembered after their Pods went (bounded by `maxDeletedJobs`). */
  get deletedJobsRemembered(): number {
    return this.deletedJobs.size;
  }

  // ---- Pods ---------------------------------------------------------------------------------

  applyPodEvent(type: "ADDED" | "MODIFIED" | "DELETED", pod: V1Pod): Publication[] {
    const uid = pod.metadata?.uid;
    if (!uid) return [];
    if (type === "DELETED") {
      this.dropPendingPod(uid);
      this.keepOrphan(pod, false);
      // A label-selector watch reports a Pod whose labels stop matching as DELETED (with the new
      // object): it still exists, and the watcher will not see it again.
      if (this.opts.inPodWatch && !this.opts.inPodWatch(pod)) return this.podLeftWatch(pod);
      return this.podGone(uid, pod.metadata?.resourceVersion ?? "0");
    }
    return this.podSeen(pod);
  }

  /**
   * A Pod left the watch: filed as departed under the Job it was filed under, with its finalizer
   * to be released by that Job's counter (nothing else will ever see it again), and forgotten.
   */
  private podLeftWatch(pod: V1Pod): Publication[] {
    const uid = pod.metadata?.uid as string;
    const known = this.pods.get(uid);
    if (!known) return [];
    this.unfilePod(uid);
    if (known.departed || known.jobUID === null) return [];
    const view = podViewOf(pod);
    const rv = isNewerResourceVersion(view.resourceVersion, known.view.resourceVersion) ? view.resourceVersion : known.view.resourceVersion;
    const record = departedRecord({ ...view, resourceVersion: rv }, known.jobUID, hasTrackingFinalizer(pod) && releasableBy(pod, known.jobUID));
    return [{ subject: known.subject, record, dedupId: `${uid}@${rv}@departed`, resourceVersion: rv }];
  }

  applyPodList(pods: V1Pod[], resourceVersion: string): Publication[] {
    const out: Publication[] = [];
    const present = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata?.uid;
      if (!uid) continue;
      present.add(uid);
      out.push(...this.podSeen(pod));
    }
    for (const uid of [...this.pods.keys()]) {
      if (!present.has(uid)) out.push(...this.podVanished(uid, resourceVersion));
    }
    for (const uid of [...this.pendingOwner.keys()]) if (!present.has(uid)) this.dropPendingPod(uid);
    // Kept orphans missing from the list are gone (never published: nothing to tombstone).
    for (const [ns, byUid] of this.orphans) {
      for (const uid of [...byUid.keys()]) {
        if (present.has(uid)) continue;
        byUid.delete(uid);
        this.orphanCount--;
      }
      if (byUid.size === 0) this.orphans.delete(ns);
    }
    return out;
  }

  /**
   * A Pod missing from a relist. The API server keeps a Pod with the tracking finalizer until the
   * finalizer goes, so one last seen holding it was either released and deleted meanwhile (unseen),
   * or left a selective watch (its labels changed while the watch was down): filed as departed with
   * the finalizer to release, which costs a 404 in the first case and leaves nothing behind in the
   * second. Otherwise a tombstone.
   */
  private podVanished(uid: string, resourceVersion: string): Publication[] {
    const known = this.pods.get(uid);
    if (!known || !this.opts.podWatchSelective || !known.view.hasFinalizer || known.jobUID === null || known.departed) return this.podGone(uid, resourceVersion);
    this.unfilePod(uid);
    const rv = isNewerResourceVersion(resourceVersion, known.view.resourceVersion) ? resourceVersion : known.view.resourceVersion;
    const record = departedRecord({ ...known.view, resourceVersion: rv }, known.jobUID, true);
    return [{ subject: known.subject, record, dedupId: `${uid}@${rv}@departed`, resourceVersion: rv }];
  }

  /**
   * Where a Pod's records go: its managed Job's partition (departed when its labels no longer
   * match that Job's selector: in-tree `ClaimPods` releases such a Pod), the partition of the
   * managed Job that may adopt it (an orphan its selector matches), the orphan route, or nowhere.
   * A Pod controlled by anything but a Job (a CronJob, a custom resource) is not ours at all
   * (in-tree `syncOrphanPod` leaves its finalizer alone).
   */
  private routeOf(pod: V1Pod): Route | "pending" | null {
    const jobUID = controllerJobUID(pod);
    if (jobUID !== null) {
      const job = this.knownJob(jobUID);
      if (job) {
        if (!job.managed) return null;
        const selector = job.view?.job?.spec?.selector;
        return { jobUID, departed: selector !== undefined && !matchesLabelSelector(selector, pod.metadata?.labels) };
      }
      // Owner not seen (deleted before we saw it, or a race with its ADDED event).
      if (this.opts.manageAllJobs && hasTrackingFinalizer(pod)) return { jobUID, departed: false };
      return this.opts.manageAllJobs ? null : "pending";
    }
    if (!hasNoController(pod)) return null;
    // In-tree `ClaimPods` adopts an orphan its Job selects unless the Pod is being deleted.
    const adopter = pod.metadata?.deletionTimestamp ? null : this.adopterOf(pod);
    if (adopter !== null) return { jobUID: adopter, departed: false, candidate: true };
    return this.opts.manageAllJobs && hasTrackingFinalizer(pod) ? { jobUID: null, departed: false } : null;
  }

  /** The record of `pod` on `route`: an adoption candidate is marked so. */
  private recordOf(pod: V1Pod, route: Route | "pending" | null): PodView {
    const view = podViewOf(pod);
    return route !== null && route !== "pending" && route.candidate === true && route.jobUID !== null ? adoptionCandidateRecord(view, route.jobUID) : view;
  }

  private podSeen(pod: V1Pod): Publication[] {
    const uid = pod.metadata?.uid as string;
    const known = this.pods.get(uid);
    if (known) {
      if (!isNewerResourceVersion(pod.metadata?.resourceVersion ?? "0", known.view.resourceVersion)) return [];
      const route = this.routeOf(pod);
      const view = this.recordOf(pod, route);
      const stays = route !== null && route !== "pending" && route.jobUID === known.jobUID && route.departed === known.departed;
      if (stays) {
        if (samePodState(view, known.view)) {
          known.view = { ...known.view, resourceVersion: view.resourceVersion };
          return [];
        }
        known.view = view;
        // A departed Pod's later states do not concern the Job it left.
        if (known.departed) return [];
        return [{ subject: known.subject, record: view, dedupId: `${uid}@${view.resourceVersion}`, resourceVersion: view.resourceVersion }];
      }
      return this.podMoved(pod, known, view, route);
    }
    const route = this.routeOf(pod);
    this.dropPendingPod(uid);
    // Not routed: kept if a Job created later may adopt it; routed: not an unclaimed orphan any more.
    this.keepOrphan(pod, route === null);
    if (route === null) return [];
    const view = this.recordOf(pod, route);
    if (route === "pending") {
      const jobUID = controllerJobUID(pod) as string;
      if (this.pendingOwner.size >= (this.opts.maxPendingPods ?? 10_000)) return [];
      let waiting = this.pending.get(jobUID);
      if (!waiting) this.pending.set(jobUID, (waiting = new Map()));
      waiting.set(uid, pod);
      this.pendingOwner.set(uid, jobUID);
      return [];
    }
    const subject = this.podSubject(route.jobUID, uid);
    this.filePod(uid, { subject, view, jobUID: route.jobUID, departed: route.departed });
    if (route.departed) {
      // Controlled by a managed Job whose selector it does not match: released (never counted).
      const record = departedRecord(view, route.jobUID, hasTrackingFinalizer(pod));
      return [{ subject, record, dedupId: `${uid}@${view.resourceVersion}@departed`, resourceVersion: view.resourceVersion }];
    }
    return [{ subject, record: view, dedupId: `${uid}@${view.resourceVersion}`, resourceVersion: view.resourceVersion }];
  }

  /**
   * A known Pod whose route changed: its controller changed or went, or its labels stopped (or
   * started again) matching its Job's selector. The Job it was filed under gets a departed record
   * (its finalizer released by that Job's counter unless the new route tracks it), and the new
   * route the Pod's state.
   */
  private podMoved(pod: V1Pod, known: KnownPod, view: PodView, route: Route | "pending" | null): Publication[] {
    const uid = view.uid;
    const out: Publication[] = [];
    const tracked = route !== null && route !== "pending" && !route.departed;
    const sameFiling = route !== null && route !== "pending" && route.jobUID === known.jobUID;
    if (!known.departed && !(sameFiling && !route.departed)) {
      // Released by the Job it left only when nothing else will track it (the orphan route, another
      // managed Job, or an owner not seen yet all do or may).
      // An adoption candidate that stops being one is an orphan all the same: its finalizer goes
      // too (in-tree's orphan queue strips it from every orphan).
      const release = known.jobUID !== null && hasTrackingFinalizer(pod) && !tracked && route !== "pending" && releasableBy(pod, known.jobUID);
      const record = departedRecord(view, known.jobUID, release);
      out.push({ subject: known.subject, record, dedupId: `${uid}@${view.resourceVersion}@departed`, resourceVersion: view.resourceVersion });
    }
    this.unfilePod(uid);
    if (route === "pending" || route === null) {
      // The watcher's own memory of it goes; a pending owner picks it up once seen, a Job created
      // later may adopt an orphan.
      if (route === "pending") out.push(...this.podSeen(pod));
      else this.keepOrphan(pod, true);
      return out;
    }
    const subject = this.podSubject(route.jobUID, uid);
    this.filePod(uid, { subject, view, jobUID: route.jobUID, departed: route.departed });
    if (route.departed) {
      if (subject !== known.subject) {
        const record = departedRecord(view, route.jobUID, hasTrackingFinalizer(pod));
        out.push({ subject, record, dedupId: `${uid}@${view.resourceVersion}@departed`, resourceVersion: view.resourceVersion });
      }
      return out;
    }
    out.push({ subject, record: view, dedupId: `${uid}@${view.resourceVersion}`, resourceVersion: view.resourceVersion });
    return out;
  }

  private podGone(uid: string, resourceVersion: string): Publication[] {
    const known = this.pods.get(uid);
    if (!known) return [];
    this.unfilePod(uid);
    const rv = isNewerResourceVersion(resourceVersion, known.view.resourceVersion) ? resourceVersion : known.view.resourceVersion;
    const tomb = podTombstone(known.view, rv);
    return [{ subject: known.subject, record: tomb, dedupId: `${uid}@${rv}@gone`, resourceVersion: rv }];
  }

  // ---- Sync markers -------------------------------------------------------------------------

  /** Markers for every partition: the view is complete as of `resourceVersion`. */
  syncMarkers(resourceVersion: string, nowMs: number, newEpoch: boolean): Publication[] {
    if (newEpoch) this.epoch++;
    const out: Publication[] = [];
    for (let p = 0; p < this.opts.partitions; p++) {
      const marker: SyncMarker = {
        v: VIEW_RECORD_VERSION,
        kind: "sync",
        watcherId: this.opts.watcherId,
        epoch: this.epoch,
        listResourceVersion: resourceVersion,
        syncedAtMs: nowMs,
        ...(this.opts.sessionId ? { session: this.opts.sessionId } : {}),
      };
      // The time is part of the dedup id: on an idle cluster the resourceVersion does not move, and
      // a refresh deduplicated away would let every counter see its view go stale.
      out.push({ subject: syncMarkerSubject(p), record: marker, dedupId: `sync:${p}:${this.opts.watcherId}:${this.epoch}:${resourceVersion}:${nowMs}`, resourceVersion });
    }
    return out;
  }
}
