/**
 * The watcher's memory of what it published, and the pure decisions "which view records does this
 * API event produce". No I/O: the orchestrator feeds it list results and watch events and
 * publishes what it returns. Keeping this pure is what lets the relist/tombstone rules be
 * table-tested.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { partitionOf } from "../../shared/partition.js";
import type { JobView, PodView, SyncMarker, ViewRecord } from "../../shared/view/records.js";
import { VIEW_RECORD_VERSION } from "../../shared/view/records.js";
import { jobViewSubject, podViewSubject, syncMarkerSubject } from "../../shared/view/subjects.js";
import { matchesLabelSelector } from "../../shared/kube/label-selector.js";
import {
  controllerJobUID,
  departedRecord,
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
  /** Pods whose owner Job has not been seen yet, held until it is (bounded). */
  maxPendingPods?: number;
  /**
   * Whether a Pod matches the label selector of the Pod watch (default: every Pod does). A DELETED
   * event for a Pod that does not is that Pod leaving the watch (a label removed), not its deletion.
   */
  inPodWatch?: (pod: V1Pod) => boolean;
  /** The Pod watch has a label selector (so Pods can leave it without being deleted). @default false */
  podWatchSelective?: boolean;
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
 * Job it no longer belongs to (its labels stop matching that Job's selector).
 */
type Route = { jobUID: string | null; departed: boolean };

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
  /** owner Job UID → pods waiting for it (managedBy mode only). */
  private readonly pending = new Map<string, Map<string, V1Pod>>();
  private pendingCount = 0;
  private epoch = 0;

  constructor(private readonly opts: WatcherStateOptions) {}

  /** Loads what an earlier run published (the view replay), so a relist can tombstone what vanished since. */
  seed(records: ViewRecord[]): void {
    for (const r of records) {
      if (r.kind === "job") this.jobs.set(r.uid, { managed: true, view: r });
      else if (r.kind === "pod" && !r.gone) {
        const subject = this.podSubject(r.jobUID, r.uid);
        this.pods.set(r.uid, { subject, view: r, jobUID: r.jobUID, departed: false });
      } else if (r.kind === "sync") this.epoch = Math.max(this.epoch, r.epoch);
    }
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
    for (const [uid, known] of this.jobs) {
      if (!present.has(uid) && known.managed && known.view && !known.view.gone) out.push(...this.jobGone(uid, resourceVersion));
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
    const out: Publication[] = [];
    if (!known?.view || isNewerResourceVersion(view.resourceVersion, known.view.resourceVersion)) {
      this.jobs.set(uid, { managed: true, view });
      out.push({ subject: jobViewSubject(this.jobPartition(uid), uid), record: view, dedupId: `${uid}@${view.resourceVersion}`, resourceVersion: view.resourceVersion });
    }
    // Pods that arrived before their Job can be routed now.
    const waiting = this.pending.get(uid);
    if (waiting) {
      this.pending.delete(uid);
      this.pendingCount -= waiting.size;
      for (const pod of waiting.values()) out.push(...this.podSeen(pod));
    }
    return out;
  }

  private jobGone(uid: string, resourceVersion: string): Publication[] {
    const known = this.jobs.get(uid);
    this.dropPending(uid);
    if (!known?.managed || !known.view || known.view.gone) return [];
    const tomb = jobTombstone(known.view, resourceVersion);
    known.view = tomb;
    return [{ subject: jobViewSubject(this.jobPartition(uid), uid), record: tomb, dedupId: `${uid}@${resourceVersion}@gone`, resourceVersion }];
  }

  private dropPending(jobUID: string): void {
    const waiting = this.pending.get(jobUID);
    if (waiting) {
      this.pending.delete(jobUID);
      this.pendingCount -= waiting.size;
    }
  }

  // ---- Pods ---------------------------------------------------------------------------------

  applyPodEvent(type: "ADDED" | "MODIFIED" | "DELETED", pod: V1Pod): Publication[] {
    const uid = pod.metadata?.uid;
    if (!uid) return [];
    if (type === "DELETED") {
      const jobUID = controllerJobUID(pod);
      if (jobUID) this.pending.get(jobUID)?.delete(uid);
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
    this.pods.delete(uid);
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
    this.pods.delete(uid);
    const rv = isNewerResourceVersion(resourceVersion, known.view.resourceVersion) ? resourceVersion : known.view.resourceVersion;
    const record = departedRecord({ ...known.view, resourceVersion: rv }, known.jobUID, true);
    return [{ subject: known.subject, record, dedupId: `${uid}@${rv}@departed`, resourceVersion: rv }];
  }

  /**
   * Where a Pod's records go: its managed Job's partition (departed when its labels no longer
   * match that Job's selector: in-tree `ClaimPods` releases such a Pod), the orphan route, or nowhere.
   */
  private routeOf(pod: V1Pod): Route | "pending" | null {
    const jobUID = controllerJobUID(pod);
    if (jobUID !== null) {
      const job = this.jobs.get(jobUID);
      if (job) {
        if (!job.managed) return null;
        const selector = job.view?.job?.spec?.selector;
        return { jobUID, departed: selector !== undefined && !matchesLabelSelector(selector, pod.metadata?.labels) };
      }
      // Owner not seen (deleted before we saw it, or a race with its ADDED event).
      if (this.opts.manageAllJobs && hasTrackingFinalizer(pod)) return { jobUID, departed: false };
      return this.opts.manageAllJobs ? null : "pending";
    }
    return this.opts.manageAllJobs && hasTrackingFinalizer(pod) ? { jobUID: null, departed: false } : null;
  }

  private podSeen(pod: V1Pod): Publication[] {
    const uid = pod.metadata?.uid as string;
    const known = this.pods.get(uid);
    const view = podViewOf(pod);
    if (known) {
      if (!isNewerResourceVersion(view.resourceVersion, known.view.resourceVersion)) return [];
      const route = this.routeOf(pod);
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
    if (route === null) return [];
    if (route === "pending") {
      const jobUID = controllerJobUID(pod) as string;
      let waiting = this.pending.get(jobUID);
      if (!waiting) {
        if (this.pendingCount >= (this.opts.maxPendingPods ?? 10_000)) return [];
        waiting = new Map();
        this.pending.set(jobUID, waiting);
      }
      if (!waiting.has(uid)) this.pendingCount++;
      waiting.set(uid, pod);
      return [];
    }
    const subject = this.podSubject(route.jobUID, uid);
    this.pods.set(uid, { subject, view, jobUID: route.jobUID, departed: route.departed });
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
      const release = known.jobUID !== null && hasTrackingFinalizer(pod) && !tracked && route !== "pending" && releasableBy(pod, known.jobUID);
      const record = departedRecord(view, known.jobUID, release);
      out.push({ subject: known.subject, record, dedupId: `${uid}@${view.resourceVersion}@departed`, resourceVersion: view.resourceVersion });
    }
    this.pods.delete(uid);
    if (route === "pending" || route === null) {
      // The watcher's own memory of it goes; a pending owner picks it up once seen.
      if (route === "pending") out.push(...this.podSeen(pod));
      return out;
    }
    const subject = this.podSubject(route.jobUID, uid);
    this.pods.set(uid, { subject, view, jobUID: route.jobUID, departed: route.departed });
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
    this.pods.delete(uid);
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
      };
      // The time is part of the dedup id: on an idle cluster the resourceVersion does not move, and
      // a refresh deduplicated away would let every counter see its view go stale.
      out.push({ subject: syncMarkerSubject(p), record: marker, dedupId: `sync:${p}:${this.opts.watcherId}:${this.epoch}:${resourceVersion}:${nowMs}`, resourceVersion });
    }
    return out;
  }
}
