/**
 * One sync of one Job: snapshot → plan (pure, ./logic) → status write → intents → clean-up.
 * The order is the exactly-once argument: intents that act on listed UIDs are published only after
 * the status write that lists them succeeded; a failed or conflicting write publishes nothing and
 * the Job is planned again from a fresh read.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../../shared/observability/logger.js";
import type { Intent } from "../../shared/intents/intents.js";
import type { LeaseToken } from "../../shared/ownership/records.js";
import { INTENT_VERSION } from "../../shared/intents/intents.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import type { CounterMetrics } from "../../shared/observability/metrics.js";
import { checkFirstSeenFinished, earliest, onlyProgressChanged, onRoundPlanned, planJobSync, slowStartAllowance, unsupportedFieldsEvent, unsupportedJobFields } from "./logic/index.js";
import type { PlannedEvent, SyncOptions, SyncPlan } from "./logic/types.js";
import type { JobState, PodEntry } from "./job-state.js";
import { isJobFinished } from "./logic/conditions.js";
import { countingHoldMs, newlyListed, uncountedUIDs } from "./logic/counting-hold.js";

/** Thrown by `writeStatus` when the lease was lost while the write waited for the API budget. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

export interface JobSyncerDeps {
  /** Writes the status; `canAct` is asked again right before the request leaves (LeaseLostError if not). */
  writeStatus(job: V1Job, canAct: () => boolean): Promise<V1Job>;
  readJob(namespace: string, name: string): Promise<V1Job>;
  /** The Pod as the API server has it, null when not found (logic/first-seen-finished.ts). */
  readPod(namespace: string, name: string): Promise<V1Pod | null>;
  publishIntents(intents: Intent[]): Promise<void>;
  /** Deletes the view message `seq` (`subject` for logs: null for a tombstone remembered by sequence only). */
  purge(subject: string | null, seq: number): Promise<void>;
  recordEvents(job: V1Job, events: PlannedEvent[]): void;
  now(): number;
  random(): number;
  logger: Logger;
  metrics: CounterMetrics;
}

export interface JobSyncerOptions {
  syncOptions: SyncOptions;
  expectationsTimeoutMs: number;
  removalRepublishMs: number;
  /**
   * How long a status write that changes only progress figures (active, ready, terminating,
   * startTime) may be held back, to ride along with the next write that matters (0 = never).
   */
  progressWriteDelayMs: number;
  /**
   * A creation intent not carried out within this long is dropped by the finalizer-remover
   * (its `notAfterMs`). Kept well under `expectationsTimeoutMs`, so that by the time the counter
   * gives up on a creation and plans it again, the first intent can no longer create a Pod.
   */
  creationIntentTtlMs: number;
}

export type SyncOutcome =
  | { kind: "done"; requeueAfterMs: number | null; finished: boolean }
  /** Retry soon: a conflict (re-read done) or a transient failure. */
  | { kind: "retry"; delayMs: number; reason: string }
  /** Nothing left to do for this Job: forget it. */
  | { kind: "forget" }
  /** This replica no longer holds the partition's lease: it wrote and published nothing more. */
  | { kind: "fenced" };

/**
 * The partition lease a sync acts under: its token goes into every intent, and `canAct` is asked
 * right before each act (status write, intent publish), so a replica that lost the lease while
 * the sync ran (or was paused in it) stops there.
 */
export interface SyncLease {
  token: LeaseToken;
  canAct(): boolean;
}

export class JobSyncer {
  constructor(
    private readonly opts: JobSyncerOptions,
    private readonly deps: JobSyncerDeps,
  ) {}

  /** `creationAllowance`: creations this sync may plan (what is left of the counter's cap on creations in flight). */
  async sync(state: JobState, attempt: number, lease: SyncLease, creationAllowance = Number.POSITIVE_INFINITY): Promise<SyncOutcome> {
    if (!lease.canAct()) return { kind: "fenced" };
    const now = this.deps.now();
    state.expireInFlight(now, this.opts.expectationsTimeoutMs, this.opts.removalRepublishMs);
    const job = state.ledger;
    if (state.gone || job === null || job.metadata?.deletionTimestamp) {
      return this.releaseWithoutCounting(state, lease, state.gone || job === null ? (state.uid === "_none" || job === null ? "orphan" : "job-deleted") : "job-deleted");
    }
    if (state.unconfirmedFinished.size > 0) {
      if (!(await this.checkFirstSeenFinishedPods(state))) return { kind: "retry", delayMs: 1000, reason: "Pods first seen finished not checked (API error)" };
      if (!lease.canAct()) return { kind: "fenced" };
    }
    const slowStart = slowStartAllowance(state.slowStart, now, state.creationsInFlight.size, this.opts.syncOptions.maxPodCreationsPerSync);
    state.slowStart = slowStart.next;
    const plan = planJobSync({
      job,
      pods: state.podViews(),
      nowMs: now,
      removalsInFlight: new Set(state.removalsInFlight.keys()),
      creationsInFlight: new Map([...state.creationsInFlight].map(([name, e]) => [name, { index: e.index }])),
      deletionsInFlight: new Set(state.deletionsInFlight.keys()),
      releasesPublished: state.releasesPublished,
      adoptionsInFlight: new Set(state.adoptionsInFlight.keys()),
      backoff: state.backoff,
      creationAllowance,
      slowStartLimit: slowStart.allowance,
      random: this.deps.random,
      options: this.opts.syncOptions,
    });
    state.finishedSinceSync = 0;
    this.deps.logger.debug(
      {
        job: state.key,
        partition: state.partition,
        pods: state.pods.size,
        write: plan.status !== null,
        counted: plan.counted.length,
        removals: plan.removals.length,
        creations: plan.creations.length,
        deletions: plan.deletions.length,
        adoptions: plan.adoptions.length,
        inFlight: { removals: state.removalsInFlight.size, creations: state.creationsInFlight.size, deletions: state.deletionsInFlight.size, adoptions: state.adoptionsInFlight.size },
        requeueAfterMs: plan.requeueAfterMs,
      },
      "job sync planned",
    );

    if (plan.status === null) state.progressHeldSince = null;
    let holdMs = plan.status !== null ? this.progressHoldMs(state, job, plan, now) : 0;
    // A write that only lists or counts Pods waits for the Job's batch period since its last write
    // (logic/counting-hold.ts); what depends on it is left for the sync that writes.
    const countingHold =
      plan.status !== null && holdMs === 0
        ? countingHoldMs({ before: job.status, after: plan.status, periodMs: state.batchPeriodMs ?? this.opts.progressWriteDelayMs, lastWriteAtMs: state.lastWriteAtMs, nowMs: now, maxUncountedPods: this.opts.syncOptions.maxUncountedPods })
        : 0;
    let published = plan;
    let heldListed: Set<string> | null = null;
    if (countingHold > 0) {
      holdMs = countingHold;
      heldListed = uncountedUIDs(plan.status);
      const unwritten = newlyListed(job.status, plan.status);
      // Nothing whose safety rests on the held write: a UID it would list, nor an Indexed Pod whose
      // success it would record in completedIndexes (its Pod, gone with the finalizer, would leave
      // the index unrecorded and be created again).
      published = { ...plan, removals: plan.removals.filter((r) => !unwritten.has(r.podUID) && r.reason !== "index-recorded") };
    } else if (plan.status !== null && holdMs === 0) {
      if (!lease.canAct()) return { kind: "fenced" };
      const written = await this.writeStatus(state, job, plan, attempt, lease);
      if (written.kind !== "done") return written;
      state.progressHeldSince = null;
      state.lastWriteAtMs = now;
    }
    // The failure backoff follows the written status: a held write leaves it for the sync that writes.
    if (heldListed === null) state.backoff = plan.backoff;
    let adoptionRetryMs: number | null = null;
    if (published.adoptions.length > 0) {
      const recheck = await this.recheckBeforeAdopting(state);
      if (!recheck.ok) {
        this.deps.logger.info({ job: state.key, partition: state.partition, orphans: published.adoptions.length, why: recheck.why }, "not adopting orphan Pods");
        published = { ...published, adoptions: [] };
        adoptionRetryMs = recheck.retryMs;
      }
    }
    if (!lease.canAct()) return { kind: "fenced" };
    await this.publish(state, published, lease.token, now);
    state.slowStart = onRoundPlanned(state.slowStart, now, plan.creations.length);
    if (plan.events.length > 0 && state.ledger) this.deps.recordEvents(state.ledger, plan.events);
    this.warnUnsupportedFields(state);
    await this.purgeSettled(state, false, heldListed);
    const expiry = state.msUntilInFlightExpiry(this.deps.now(), this.opts.expectationsTimeoutMs, this.opts.removalRepublishMs);
    const requeueAfterMs = earliest(earliest(earliest(earliest(plan.requeueAfterMs, expiry), holdMs > 0 ? holdMs : null), plan.finished ? null : slowStart.waitMs), adoptionRetryMs);
    return { kind: "done", requeueAfterMs, finished: plan.finished };
  }

  /**
   * How much longer a progress-only write is held back (0 = write now): one batch period, or while
   * Pods this Job asked for are still being created or wait for room under the cap on creations
   * in flight (as the in-tree controller writes status after its creations), up to ten periods.
   */
  private progressHoldMs(state: JobState, job: V1Job, plan: SyncPlan, now: number): number {
    const period = state.batchPeriodMs ?? this.opts.progressWriteDelayMs;
    if (period <= 0 || !onlyProgressChanged(job.status, plan.status)) return 0;
    state.progressHeldSince ??= now;
    const held = now - state.progressHeldSince;
    const creating = state.creationsInFlight.size > 0 || plan.creations.length > 0 || plan.creationsCapped === true;
    if (creating && held < 10 * period) return Math.min(period, 10 * period - held);
    return Math.max(0, period - held);
  }

  /**
   * Nothing silently ignored: a Job with fields jobtally does not honour gets one Warning Event
   * (UnsupportedJobField) and one log line per generation.
   */
  private warnUnsupportedFields(state: JobState): void {
    const job = state.ledger;
    if (!job) return;
    const generation = job.metadata?.generation ?? 0;
    if (state.unsupportedWarnedGeneration === generation) return;
    state.unsupportedWarnedGeneration = generation;
    const fields = unsupportedJobFields(job, { orphansOutsideWatch: state.orphansOutsideWatch });
    const event = unsupportedFieldsEvent(fields);
    if (!event) return;
    this.deps.logger.warn({ job: state.key, partition: state.partition, fields: fields.map((f) => f.field) }, `the Job has fields jobtally does not honour: ${event.message}`);
    this.deps.recordEvents(job, [event]);
  }

  /**
   * In-tree `RecheckDeletionTimestamp`, the `canAdopt` of `ClaimPods`: before the first adoption of
   * a sync, an uncached read of the Job, which must still be the same Job (UID) and not being
   * deleted (a view that lags must not make a Job being deleted adopt, kubernetes#42639). A Job
   * being deleted takes the read as its ledger, so the next sync releases instead.
   */
  private async recheckBeforeAdopting(state: JobState): Promise<{ ok: true } | { ok: false; why: string; retryMs: number | null }> {
    let fresh: V1Job;
    try {
      fresh = await this.deps.readJob(state.namespace, state.name);
    } catch (err) {
      const info = apiErrorInfo(err);
      if (info.code === 404) return { ok: false, why: "the Job is gone", retryMs: null };
      return { ok: false, why: `can't recheck the Job: ${info.message}`, retryMs: ADOPTION_RECHECK_RETRY_MS };
    }
    if (fresh.metadata?.uid !== state.uid) return { ok: false, why: `the Job is gone: its name now belongs to Job ${fresh.metadata?.uid ?? "?"}`, retryMs: null };
    if (fresh.metadata?.deletionTimestamp) {
      state.adoptLedger(fresh);
      return { ok: false, why: `the Job has just been deleted at ${String(fresh.metadata.deletionTimestamp)}`, retryMs: 0 };
    }
    return { ok: true };
  }

  private async writeStatus(state: JobState, job: V1Job, plan: SyncPlan, attempt: number, lease: SyncLease): Promise<SyncOutcome> {
    const log = this.deps.logger.child({ job: state.key, partition: state.partition });
    try {
      const written = await this.deps.writeStatus({ ...job, status: plan.status ?? undefined }, () => lease.canAct());
      state.adoptLedger(written);
      this.deps.metrics.statusWrites.inc({ outcome: "ok" });
      this.recordCountingMetrics(job, plan);
      return { kind: "done", requeueAfterMs: null, finished: plan.finished };
    } catch (err) {
      if (err instanceof LeaseLostError) return { kind: "fenced" };
      const info = apiErrorInfo(err);
      this.deps.metrics.statusWrites.inc({ outcome: String(info.code ?? "error") });
      if (info.code === 409) {
        // Someone (or our own earlier write) moved the Job on: re-read and plan again.
        log.debug({ attempt }, "status write conflict; re-reading the Job");
        try {
          state.replaceLedger(await this.deps.readJob(state.namespace, state.name));
        } catch (readErr) {
          const r = apiErrorInfo(readErr);
          if (r.code === 404) {
            state.gone = true;
            return { kind: "retry", delayMs: 0, reason: "job gone" };
          }
          return { kind: "retry", delayMs: retryDelay(attempt), reason: `re-read failed: ${r.message}` };
        }
        return { kind: "retry", delayMs: 0, reason: "conflict" };
      }
      if (info.code === 404) {
        state.gone = true;
        return { kind: "retry", delayMs: 0, reason: "job gone" };
      }
      if (info.code === 422) {
        log.error({ err: info.message, attempt }, "the API server rejected the Job status jobtally computed (a bug): retrying with backoff");
        return { kind: "retry", delayMs: retryDelay(attempt + 4), reason: "invalid status" };
      }
      log.warn({ code: info.code, err: info.message, attempt }, "status write failed; retrying");
      return { kind: "retry", delayMs: info.retryAfterMs ?? retryDelay(attempt), reason: info.message };
    }
  }

  private recordCountingMetrics(before: V1Job, plan: SyncPlan): void {
    const status = plan.status;
    if (!status) return;
    const mode = before.spec?.completionMode ?? "NonIndexed";
    const dS = (status.succeeded ?? 0) - (before.status?.succeeded ?? 0);
    const dF = (status.failed ?? 0) - (before.status?.failed ?? 0);
    if (dS > 0) this.deps.metrics.podsFinished.inc({ completion_mode: mode, result: "succeeded" }, dS);
    if (dF > 0) this.deps.metrics.podsFinished.inc({ completion_mode: mode, result: "failed" }, dF);
    const oldU = (before.status?.uncountedTerminatedPods?.succeeded?.length ?? 0) + (before.status?.uncountedTerminatedPods?.failed?.length ?? 0);
    const newU = (status.uncountedTerminatedPods?.succeeded?.length ?? 0) + (status.uncountedTerminatedPods?.failed?.length ?? 0);
    const removed = plan.counted.length;
    const added = newU - oldU + removed;
    if (added > 0) this.deps.metrics.trackingFinalizer.inc({ event: "add" }, added);
    if (removed > 0) this.deps.metrics.trackingFinalizer.inc({ event: "delete" }, removed);
    const wasFinished = (before.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
    const term = (status.conditions ?? []).find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
    if (term && !wasFinished) {
      this.deps.metrics.jobsFinished.inc({ completion_mode: mode, result: term.type === "Complete" ? "succeeded" : "failed", reason: term.reason ?? "" });
    }
  }

  private async publish(state: JobState, plan: SyncPlan, lease: LeaseToken, now: number): Promise<void> {
    const intents: Intent[] = [];
    const base = { v: INTENT_VERSION, partition: state.partition, epoch: lease.epoch, holder: lease.holder } as const;
    for (const r of plan.removals) {
      intents.push({ ...base, kind: "removeFinalizer", jobUID: state.uid, namespace: r.namespace, name: r.name, podUID: r.podUID, reason: r.reason });
    }
    for (const c of plan.creations) {
      intents.push({ ...base, kind: "createPod", jobUID: state.uid, jobName: state.name, namespace: state.namespace, pod: c.pod, notAfterMs: now + this.opts.creationIntentTtlMs });
    }
    for (const a of plan.adoptions) {
      intents.push({ ...base, kind: "adoptPod", jobUID: state.uid, jobName: state.name, namespace: a.namespace, name: a.name, podUID: a.podUID, podResourceVersion: a.resourceVersion });
    }
    for (const d of plan.deletions) {
      intents.push({
        ...base,
        kind: "deletePod",
        jobUID: state.uid,
        jobName: state.name,
        namespace: d.namespace,
        name: d.name,
        podUID: d.podUID,
        reason: d.reason,
        removeFinalizerFirst: d.removeFinalizerFirst,
      });
    }
    if (intents.length === 0) return;
    // Expectations first: a fast watcher may report the Pod before publish() returns. A release
    // is never confirmed by the view (the Pod left it): published once per owner instead.
    for (const r of plan.removals) {
      if (r.reason === "released") state.releasesPublished.add(r.podUID);
      else state.removalsInFlight.set(r.podUID, now);
    }
    for (const c of plan.creations) state.creationsInFlight.set(c.name, { index: c.index, atMs: now });
    for (const d of plan.deletions) state.deletionsInFlight.set(d.podUID, now);
    for (const a of plan.adoptions) state.adoptionsInFlight.set(a.podUID, now);
    await this.deps.publishIntents(intents);
    for (const i of intents) this.deps.metrics.intentsPublished.inc({ kind: i.kind });
  }

  /**
   * Pods first seen finished with the finalizer are checked against the API server before they are
   * listed (logic/first-seen-finished.ts); false when a read failed (the sync is retried, nothing listed).
   */
  private async checkFirstSeenFinishedPods(state: JobState): Promise<boolean> {
    const listed = state.uncountedUIDs();
    const toCheck: PodEntry[] = [];
    for (const uid of [...state.unconfirmedFinished]) {
      const entry = state.pods.get(uid);
      if (entry && !listed.has(uid)) toCheck.push(entry);
      else state.unconfirmedFinished.delete(uid);
    }
    let ok = true;
    for (let i = 0; i < toCheck.length; i += FIRST_SEEN_CHECK_CONCURRENCY) {
      await Promise.all(
        toCheck.slice(i, i + FIRST_SEEN_CHECK_CONCURRENCY).map(async (entry) => {
          const { record } = entry;
          let live: V1Pod | null;
          try {
            live = await this.deps.readPod(record.namespace, record.name);
          } catch (err) {
            ok = false;
            this.deps.logger.warn({ job: state.key, partition: state.partition, pod: record.name, err: apiErrorInfo(err).message }, "could not check a Pod first seen finished against the API server; retrying");
            return;
          }
          // A newer record arrived meanwhile: the next sync decides on it.
          if (state.pods.get(record.uid) !== entry || !state.unconfirmedFinished.has(record.uid)) return;
          const check = checkFirstSeenFinished(record, live);
          state.unconfirmedFinished.delete(record.uid);
          this.deps.metrics.firstSeenFinishedChecked.inc({ outcome: check.outcome });
          if (check.outcome === "confirmed") return;
          this.deps.logger.warn({ job: state.key, partition: state.partition, pod: record.name, outcome: check.outcome }, "a Pod record first seen finished was older than the Pod: not listing it (counted or released before)");
          state.correctPodRecord(record.uid, check.record);
        }),
      );
    }
    return ok;
  }

  /**
   * Job deleted (or being deleted), or a Pod without a living controller: the finalizer comes off
   * every Pod without counting it (in-tree: the orphan queue). Nothing is written to the Job.
   */
  private async releaseWithoutCounting(state: JobState, lease: SyncLease, reason: "job-deleted" | "orphan"): Promise<SyncOutcome> {
    const now = this.deps.now();
    const intents: Intent[] = [];
    for (const { record } of state.pods.values()) {
      // A departed Pod to release goes once more: its record is purged below, for good.
      const release = record.departed?.releaseFinalizer === true;
      if (!release && (record.gone || !record.hasFinalizer || state.removalsInFlight.has(record.uid))) continue;
      intents.push({
        v: INTENT_VERSION,
        kind: "removeFinalizer",
        partition: state.partition,
        epoch: lease.token.epoch,
        holder: lease.token.holder,
        jobUID: record.jobUID,
        namespace: record.namespace,
        name: record.name,
        podUID: record.uid,
        reason: release ? "released" : reason,
      });
      if (release) state.releasesPublished.add(record.uid);
      else state.removalsInFlight.set(record.uid, now);
    }
    if (intents.length > 0) {
      if (!lease.canAct()) {
        for (const i of intents) if (i.kind === "removeFinalizer") state.removalsInFlight.delete(i.podUID);
        return { kind: "fenced" };
      }
      this.deps.logger.info({ job: state.key, partition: state.partition, pods: intents.length, reason }, "removing finalizers without counting");
      await this.deps.publishIntents(intents);
      for (const i of intents) this.deps.metrics.intentsPublished.inc({ kind: i.kind });
    }
    await this.purgeSettled(state, true);
    if (state.pods.size === 0 && (state.gone || state.ledger === null)) {
      if (state.jobSubject) await this.deps.purge(state.jobSubject, state.jobSeq);
      return { kind: "forget" };
    }
    return { kind: "done", requeueAfterMs: state.msUntilInFlightExpiry(now, this.opts.expectationsTimeoutMs, this.opts.removalRepublishMs), finished: true };
  }

  /**
   * Tombstones of Pods the ledger no longer needs (gone, and not in the uncounted lists) leave
   * memory at once: that keeps memory independent of Job size. They leave the stream only once the
   * Job is finished or gone. While it runs, a counted Pod's tombstone must stay: deleting it frees
   * the key, and a late writer (a watcher session that lagged behind, retrying a state it saw
   * before the Pod was deleted) would store that older state unopposed (its compare-and-set
   * expects no message, or reads back none); the counter would then see the Pod finished with its
   * finalizer and count it a second time (chaos seed 2783410143). A finished Job counts nothing
   * more, so then the tombstones may go.
   */
  private async purgeSettled(state: JobState, all = false, alsoListed: Set<string> | null = null): Promise<void> {
    const listed = all ? new Set<string>() : state.uncountedUIDs();
    // A gone Pod a held write lists is still to be counted: not purged.
    if (alsoListed) for (const uid of alsoListed) listed.add(uid);
    const deleteNow = all || state.gone || (state.ledger !== null && isJobFinished(state.ledger.status));
    const purges: Promise<void>[] = [];
    for (const [uid, entry] of state.pods) {
      if (!entry.record.gone || listed.has(uid)) continue;
      // Kept while the Job lives: a new owner of the partition replays it and releases it again
      // (the release of an owner that lost its lease may have been refused by fencing).
      if (!all && entry.record.departed?.releaseFinalizer === true) continue;
      state.pods.delete(uid);
      state.forgotten.add(uid);
      if (deleteNow) purges.push(this.deps.purge(entry.subject, entry.seq));
      else state.settledTombstoneSeqs.push(entry.seq);
    }
    if (deleteNow && state.settledTombstoneSeqs.length > 0) {
      for (const seq of state.settledTombstoneSeqs) purges.push(this.deps.purge(null, seq));
      state.settledTombstoneSeqs = [];
    }
    await Promise.all(purges);
  }
}

/** API reads at once when checking Pods first seen finished. */
const FIRST_SEEN_CHECK_CONCURRENCY = 16;

/** A failed canAdopt recheck (the API away) is tried again after this long. */
const ADOPTION_RECHECK_RETRY_MS = 1000;

function retryDelay(attempt: number): number {
  return Math.min(30_000, 100 * 2 ** Math.min(attempt, 9));
}
