/**
 * What the counter holds about one Job: the ledger (the newest Job it knows, from the view or from
 * its own status write), the view of the Job's Pods, and in-flight expectations. Everything here
 * can be rebuilt from the view stream and the Job status; the in-flight maps only rate-limit
 * re-publishing and creation, they are never a reason to count.
 */
import type { V1Job } from "@kubernetes/client-node";
import type { JobView, PodView } from "../../shared/view/records.js";
import { isNewerResourceVersion } from "../../shared/resource-version.js";
import { jobFromWire } from "../../shared/kube/serialization.js";
import type { BackoffRecord } from "./logic/types.js";
import { NO_SLOW_START, onCreationRejected, type SlowStart } from "./logic/slow-start.js";
import { DecayingRate } from "./logic/batch-period.js";
import { ForgottenPods } from "./forgotten-pods.js";
import { couldBeListed } from "./logic/first-seen-finished.js";
import { isPodActive, isPodFinished } from "./logic/pod-classification.js";

export interface PodEntry {
  record: PodView;
  subject: string;
  seq: number;
}

export type ViewChange = "none" | "pod" | "pod-finished" | "job-spec" | "job-gone";

export class JobState {
  /** Newest Job known: status is the ledger. Null until a live record was seen. */
  ledger: V1Job | null = null;
  ledgerResourceVersion = "0";
  /** The view has a tombstone for the Job (it no longer exists). */
  gone = false;
  /** The watcher's Pod watch does not cover the Job's selector (`JobView.orphansOutsideWatch`). */
  orphansOutsideWatch = false;
  jobSubject: string | null = null;
  jobSeq = 0;
  readonly pods = new Map<string, PodEntry>();
  /**
   * Stream sequences of the tombstones of Pods counted and forgotten while the Job runs: they stay
   * in the view until the Job is finished or gone (see JobSyncer.purgeSettled), then are deleted.
   */
  settledTombstoneSeqs: number[] = [];
  /**
   * Pods to check against the API server before they are listed (logic/first-seen-finished.ts):
   * first seen already finished with the finalizer while the partition was being rebuilt from a
   * replay, or seen again so after this counter counted and forgot them. Stays while later records
   * still show them so (a lagging writer may replay several old states).
   */
  readonly unconfirmedFinished = new Set<string>();
  /** Pods this counter settled (counted or released) and forgot (forgotten-pods.ts). */
  readonly forgotten = new ForgottenPods();
  /** Records are being replayed (the partition is rebuilding): a Pod first seen finished is checked. */
  replaying = false;
  readonly removalsInFlight = new Map<string, number>();
  readonly creationsInFlight = new Map<string, { index: number | null; atMs: number }>();
  readonly deletionsInFlight = new Map<string, number>();
  /** Adoption candidates whose adoption was published and is not yet seen (logic/adoption.ts). */
  readonly adoptionsInFlight = new Map<string, number>();
  /** The Job generation whose unsupported fields were reported (memory only: a new owner reports again). */
  unsupportedWarnedGeneration: number | null = null;
  /** Departed Pods whose finalizer release this owner published (memory only: a new owner publishes again). */
  readonly releasesPublished = new Set<string>();
  backoff: BackoffRecord = { failuresAfterLastSuccess: 0, lastFailureTimeMs: null };
  /** Finished Pods with the finalizer seen since the last sync (for the count cap). */
  finishedSinceSync = 0;
  /** Pods not gone, not finished and not being deleted (kept up to date by applyPodRecord). */
  unfinishedPods = 0;
  /** Since when a write of progress figures only (active, ready, startTime) has been held back. */
  progressHeldSince: number | null = null;
  /** Pods of this Job finishing per second, recently (logic/batch-period.ts); memory only. */
  readonly finishRate = new DecayingRate();
  /** This Job's current batch period (logic/batch-period.ts; null: the configured one). */
  batchPeriodMs: number | null = null;
  /** When this replica last wrote the Job's status (logic/counting-hold.ts; null: not yet). */
  lastWriteAtMs: number | null = null;
  /** Slow start of creations after a rejected one (logic/slow-start.ts); memory only. */
  slowStart: SlowStart = NO_SLOW_START;

  constructor(
    readonly uid: string,
    readonly partition: number,
  ) {}

  get name(): string {
    return this.ledger?.metadata?.name ?? "";
  }
  get namespace(): string {
    return this.ledger?.metadata?.namespace ?? "";
  }
  /** `namespace/name` for logs. */
  get key(): string {
    return this.ledger ? `${this.namespace}/${this.name}` : this.uid;
  }

  applyJobRecord(rec: JobView, subject: string, seq: number): ViewChange {
    this.jobSubject = subject;
    this.jobSeq = seq;
    if (rec.gone) {
      if (this.gone) return "none";
      this.gone = true;
      return "job-gone";
    }
    if (!rec.job || !isNewerResourceVersion(rec.resourceVersion, this.ledger ? this.ledgerResourceVersion : undefined)) return "none";
    this.ledger = jobFromWire(rec.job);
    this.ledgerResourceVersion = rec.resourceVersion;
    this.orphansOutsideWatch = rec.orphansOutsideWatch === true;
    return "job-spec";
  }

  /** Our own status write (or a fresh GET) is newer than any view record so far. */
  adoptLedger(job: V1Job): void {
    const rv = job.metadata?.resourceVersion ?? "0";
    if (!this.ledger || isNewerResourceVersion(rv, this.ledgerResourceVersion) || rv === this.ledgerResourceVersion) {
      this.ledger = job;
      this.ledgerResourceVersion = rv;
    }
  }

  /** A re-read after a conflict replaces the ledger whatever its version. */
  replaceLedger(job: V1Job): void {
    this.ledger = job;
    this.ledgerResourceVersion = job.metadata?.resourceVersion ?? "0";
  }

  applyPodRecord(rec: PodView, subject: string, seq: number): ViewChange {
    const prev = this.pods.get(rec.uid);
    if (prev && !isNewerResourceVersion(rec.resourceVersion, prev.record.resourceVersion) && !(rec.gone && !prev.record.gone)) return "none";
    this.unfinishedPods += (isPodActive(rec) ? 1 : 0) - (prev && isPodActive(prev.record) ? 1 : 0);
    this.pods.set(rec.uid, { record: rec, subject, seq });
    const suspect = this.unconfirmedFinished.has(rec.uid) || (!prev && (this.replaying || this.forgotten.mightContain(rec.uid)));
    if (suspect && couldBeListed(rec)) this.unconfirmedFinished.add(rec.uid);
    else this.unconfirmedFinished.delete(rec.uid);
    this.creationsInFlight.delete(rec.name);
    if (rec.gone || rec.deletionTimestamp !== null) this.deletionsInFlight.delete(rec.uid);
    if (rec.gone || !rec.hasFinalizer) this.removalsInFlight.delete(rec.uid);
    if (rec.gone || rec.adoptionCandidate !== true) this.adoptionsInFlight.delete(rec.uid);
    if (isPodFinished(rec) && !(prev && isPodFinished(prev.record)) && rec.hasFinalizer) {
      this.finishedSinceSync++;
      return "pod-finished";
    }
    return "pod";
  }

  /**
   * Nothing more is on its way for this Job: no Pod still running and nothing the counter asked
   * for still outstanding. A Pod event now is the last for a while, so batching it only adds lag
   * (the last Pods of a Job, a single-Pod Job).
   */
  quiescent(): boolean {
    return this.unfinishedPods === 0 && this.creationsInFlight.size === 0 && this.deletionsInFlight.size === 0 && this.removalsInFlight.size === 0 && this.adoptionsInFlight.size === 0;
  }

  /**
   * The finalizer-remover reports that the API server rejected the creation of `podName`: the Pod
   * is no longer expected (not active) and creations slow down. False when it was not in flight
   * (seen already, expired, reported twice, or planned by another owner of the partition).
   */
  creationRejected(podName: string, nowMs: number): boolean {
    const entry = this.creationsInFlight.get(podName);
    if (!entry) return false;
    this.creationsInFlight.delete(podName);
    this.slowStart = onCreationRejected(this.slowStart, entry.atMs, nowMs);
    return true;
  }

  /**
   * The finalizer-remover dropped the creation of `podName` unsent (it waited past its deadline):
   * the Pod will not exist, plan it again now. False when it was not in flight.
   */
  creationExpired(podName: string): boolean {
    return this.creationsInFlight.delete(podName);
  }

  /** Drops in-flight entries older than their timeouts so that the next plan issues them again. */
  expireInFlight(nowMs: number, expectationsTimeoutMs: number, removalRepublishMs: number): void {
    for (const [uid, at] of this.removalsInFlight) if (nowMs - at > removalRepublishMs) this.removalsInFlight.delete(uid);
    for (const [name, e] of this.creationsInFlight) if (nowMs - e.atMs > expectationsTimeoutMs) this.creationsInFlight.delete(name);
    for (const [uid, at] of this.deletionsInFlight) if (nowMs - at > expectationsTimeoutMs) this.deletionsInFlight.delete(uid);
    for (const [uid, at] of this.adoptionsInFlight) if (nowMs - at > expectationsTimeoutMs) this.adoptionsInFlight.delete(uid);
  }

  /** ms until the oldest in-flight entry expires (so a sync re-plans it even if no event comes), or null. */
  msUntilInFlightExpiry(nowMs: number, expectationsTimeoutMs: number, removalRepublishMs: number): number | null {
    let soonest: number | null = null;
    const consider = (atMs: number, timeoutMs: number): void => {
      const due = atMs + timeoutMs - nowMs;
      if (soonest === null || due < soonest) soonest = due;
    };
    for (const at of this.removalsInFlight.values()) consider(at, removalRepublishMs);
    for (const e of this.creationsInFlight.values()) consider(e.atMs, expectationsTimeoutMs);
    for (const at of this.deletionsInFlight.values()) consider(at, expectationsTimeoutMs);
    for (const at of this.adoptionsInFlight.values()) consider(at, expectationsTimeoutMs);
    return soonest === null ? null : Math.max(0, soonest) + 1;
  }

  /** Replaces a Pod's record by what the API server showed (logic/first-seen-finished.ts: gone, or the finalizer off). */
  correctPodRecord(uid: string, record: PodView): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    this.unfinishedPods += (isPodActive(record) ? 1 : 0) - (isPodActive(entry.record) ? 1 : 0);
    entry.record = record;
    if (record.gone || !record.hasFinalizer) this.removalsInFlight.delete(uid);
  }

  /** UIDs in the ledger's uncounted lists. */
  uncountedUIDs(): Set<string> {
    const u = this.ledger?.status?.uncountedTerminatedPods;
    return new Set([...(u?.succeeded ?? []), ...(u?.failed ?? [])]);
  }

  podViews(): PodView[] {
    return [...this.pods.values()].map((p) => p.record);
  }
}

