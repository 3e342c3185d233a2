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
import {
  controllerJobUID,
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
}

interface KnownJob {
  managed: boolean;
  /** Last published record (managed Jobs only). */
  view: JobView | null;
}

interface KnownPod {
  subject: string;
  view: PodView;
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
        this.pods.set(r.uid, { subject, view: r });
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
      return this.podGone(uid, pod.metadata?.resourceVersion ?? "0");
    }
    return this.podSeen(pod);
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
      if (!present.has(uid)) out.push(...this.podGone(uid, resourceVersion));
    }
    return out;
  }

  /** Where a Pod's records go: its managed Job's partition, the orphan route, or nowhere. */
  private routeOf(pod: V1Pod): { jobUID: string | null } | "pending" | null {
    const jobUID = controllerJobUID(pod);
    if (jobUID !== null) {
      const job = this.jobs.get(jobUID);
      if (job) return job.managed ? { jobUID } : null;
      // Owner not seen (deleted before we saw it, or a race with its ADDED event).
      if (this.opts.manageAllJobs && hasTrackingFinalizer(pod)) return { jobUID };
      return this.opts.manageAllJobs ? null : "pending";
    }
    return this.opts.manageAllJobs && hasTrackingFinalizer(pod) ? { jobUID: null } : null;
  }

  private podSeen(pod: V1Pod): Publication[] {
    const uid = pod.metadata?.uid as string;
    const known = this.pods.get(uid);
    const view = podViewOf(pod);
    if (known) {
      if (!isNewerResourceVersion(view.resourceVersion, known.view.resourceVersion)) return [];
      if (samePodState(view, known.view)) {
        known.view = { ...known.view, resourceVersion: view.resourceVersion };
        return [];
      }
      known.view = view;
      return [{ subject: known.subject, record: view, dedupId: `${uid}@${view.resourceVersion}`, resourceVersion: view.resourceVersion }];
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
    this.pods.set(uid, { subject, view });
    return [{ subject, record: view, dedupId: `${uid}@${view.resourceVersion}`, resourceVersion: view.resourceVersion }];
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
      out.push({ subject: syncMarkerSubject(p), record: marker, dedupId: `sync:${p}:${this.opts.watcherId}:${this.epoch}:${resourceVersion}`, resourceVersion });
    }
    return out;
  }
}
