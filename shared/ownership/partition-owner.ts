/**
 * Partition ownership for identical counter replicas: a heartbeat per replica and a lease per
 * partition in the ownership bucket, each write a compare-and-set on the key's revision.
 *
 * - Every `retryPeriodMs` a replica renews its heartbeat and its leases, computes its fair share
 *   over the live replicas (assignment.ts) and takes free or expired leases up to it, or hands
 *   the excess over (drain first, then release) when replicas joined.
 * - Expiry is judged on local observation (observations.ts): a lease not renewed for
 *   `leaseDurationMs` as seen here is expired; so is a replica's heartbeat.
 * - A holder stops acting on a partition once `renewDeadlineMs` has passed since the start of its
 *   last successful renewal (`canAct` turns false, `lost` is called): before anyone else may take
 *   it, since others wait `leaseDurationMs` > `renewDeadlineMs` from a later moment. A holder
 *   that was paused (GC, SIGSTOP) and wakes up finds its deadline passed before it acts again,
 *   and its intents carry a superseded epoch that the finalizer-remover refuses (fence.ts).
 * - An acquisition is two compare-and-sets: the take, and a moment later (`CONFIRM_DELAY_MS`) a
 *   write on the revision it got. Only if both land is the lease owned. nats-server 2.9 can accept
 *   two writes that expect the same revision right after a stream leader election (seen twice in
 *   the chaos stores: seeds 1781442099, 3539228987; two counters held one partition under one
 *   epoch and counted Pods twice); of two such takers, the one whose write was not the last fails
 *   the confirmation and never acts.
 * - `stop()` drains and releases every lease at once, so a SIGTERM hands partitions over without
 *   waiting for expiry, and deletes the heartbeat.
 */
import type { KV, KvEntry } from "@nats-io/kv";
import type { Logger } from "../observability/logger.js";
import { isWrongLastSequence } from "../nats/errors.js";
import { LogLimiter } from "../observability/log-limiter.js";
import { fairShare, planOwnership } from "./assignment.js";
import { followOwnershipBucket } from "./bucket.js";
import { OwnershipObservations } from "./observations.js";
import {
  OWNERSHIP_RECORD_VERSION,
  encodeRecord,
  leaseKey,
  memberKey,
  parseLeaseRecord,
  parseMemberRecord,
  partitionOfLeaseKey,
  replicaOfMemberKey,
  type LeaseRecord,
  type LeaseToken,
} from "./records.js";

export type LeaseLossReason = "expired" | "taken";
export type LeaseReleaseReason = "rebalance" | "shutdown";

/** Pause between taking a lease and confirming it (see the header). */
export const CONFIRM_DELAY_MS = 100;

export interface OwnershipListener {
  /** The partition is ours under `lease`: start rebuilding it (act only once `canAct`). */
  acquired(partition: number, lease: LeaseToken): void;
  /** Stop acting on the partition now (synchronously): the lease is gone or about to be taken. */
  lost(partition: number, reason: LeaseLossReason): void;
  /** Finish what is in flight for the partition and stop acting; the lease is released after. */
  release(partition: number, reason: LeaseReleaseReason): Promise<void>;
}

export interface PartitionOwnerOptions {
  replicaId: string;
  partitions: number;
  /** "auto": a fair share of every partition; a list: exactly these (an expert override). */
  partitionSet: "auto" | number[];
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
  /** Monotonic ms (performance.now by default): deadlines must not move with the wall clock. */
  now?: () => number;
  wallNow?: () => number;
  onMetrics?: OwnershipMetricsSink;
}

export interface OwnershipMetricsSink {
  owned(n: number): void;
  liveReplicas(n: number): void;
  acquired(): void;
  lost(reason: LeaseLossReason): void;
  released(reason: LeaseReleaseReason): void;
  rebalanced(seconds: number): void;
}

interface OwnedLease {
  epoch: number;
  revision: number;
  /** Monotonic ms at the start of the last successful write of this lease. */
  renewedAtMs: number;
  renewing: boolean;
}

/** A member heartbeat older than this many lease durations is deleted from the bucket (hygiene). */
const STALE_MEMBER_LEASES = 8;

export class PartitionOwner {
  private readonly observations = new OwnershipObservations();
  private readonly owned = new Map<number, OwnedLease>();
  private readonly releasing = new Set<number>();
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private tickAgain = false;
  private beat = 0;
  private lastBeatAtMs = -Infinity;
  private startedAtMs = 0;
  private bucketCurrent = false;
  private follower: Promise<void> | undefined;
  /** Since when the live replica set differs from the last balanced one (for the rebalance metric). */
  private rebalanceSinceMs: number | null = null;
  private lastLive = "";
  private stopped = false;
  /** While NATS is away every tick fails the same way: one line per kind every 10 s. */
  private readonly failureLogs = new LogLimiter(10_000);

  constructor(
    private readonly kv: KV,
    private readonly listener: OwnershipListener,
    private readonly opts: PartitionOwnerOptions,
  ) {
    if (!(opts.renewDeadlineMs < opts.leaseDurationMs)) throw new Error(`lease renew deadline (${opts.renewDeadlineMs} ms) must be shorter than the lease duration (${opts.leaseDurationMs} ms)`);
    if (!(opts.retryPeriodMs < opts.renewDeadlineMs)) throw new Error(`lease retry period (${opts.retryPeriodMs} ms) must be shorter than the renew deadline (${opts.renewDeadlineMs} ms)`);
    this.now = opts.now ?? (() => performance.now());
    this.wallNow = opts.wallNow ?? Date.now;
  }

  /** Registers the heartbeat and starts following the bucket and ticking. */
  async start(): Promise<void> {
    this.startedAtMs = this.now();
    await this.heartbeat();
    this.follower = followOwnershipBucket(this.kv, {
      logger: this.opts.logger,
      signal: this.stopping.signal,
      onEntry: (e) => this.onEntry(e),
      onCurrent: () => {
        this.bucketCurrent = true;
        this.kick();
      },
    });
    const period = Math.max(50, Math.min(500, Math.floor(this.opts.retryPeriodMs / 4)));
    this.timer = setInterval(() => this.kick(), period);
  }

  /** True while this replica holds `partition` under `epoch` and is within its renew deadline. */
  canAct(partition: number, epoch: number): boolean {
    const l = this.owned.get(partition);
    return l !== undefined && l.epoch === epoch && this.now() - l.renewedAtMs < this.opts.renewDeadlineMs && !this.stopped;
  }

  get replicaId(): string {
    return this.opts.replicaId;
  }

  ownedPartitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** Drains and releases every lease, deletes the heartbeat, stops. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    // Let a tick in progress finish its writes first, so no acquisition lands after the releases.
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.owned.keys()].map((p) => this.releaseOne(p, "shutdown")));
    this.stopping.abort();
    await this.kv.delete(memberKey(this.opts.replicaId)).catch((err: unknown) => this.opts.logger.warn({ err: String(err) }, "could not delete this replica's heartbeat"));
    await this.follower;
  }

  private onEntry(e: KvEntry): void {
    const now = this.now();
    const deleted = e.operation !== "PUT";
    const p = partitionOfLeaseKey(e.key);
    try {
      if (p !== null) {
        if (this.observations.observeLease(p, deleted ? null : parseLeaseRecord(e.value), e.revision, now)) this.kick();
        return;
      }
      const id = replicaOfMemberKey(e.key);
      if (id !== null && this.observations.observeMember(id, deleted ? null : parseMemberRecord(e.value), e.revision, now)) this.kick();
    } catch (err) {
      this.opts.logger.warn({ key: e.key, err: (err as Error).message }, "malformed ownership record ignored");
    }
  }

  /** Runs a tick now, or right after the one in progress. */
  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    void this.tick()
      .catch((err: unknown) => this.opts.logger.error({ err: err instanceof Error ? err.stack : String(err) }, "ownership tick failed"))
      .finally(() => {
        this.ticking = false;
        if (this.tickAgain) {
          this.tickAgain = false;
          this.kick();
        }
      });
  }

  private async tick(): Promise<void> {
    const o = this.opts;
    let now = this.now();
    // Stop acting on what could not be renewed in time: before anyone else may take it.
    for (const [p, l] of this.owned) {
      if (now - l.renewedAtMs >= o.renewDeadlineMs) this.lose(p, "expired");
    }
    const renewals: Promise<void>[] = [];
    if (now - this.lastBeatAtMs >= o.retryPeriodMs) renewals.push(this.heartbeat());
    for (const [p, l] of this.owned) {
      if (!l.renewing && now - l.renewedAtMs >= o.retryPeriodMs) renewals.push(this.renew(p, l));
    }
    await Promise.all(renewals);
    if (this.stopped) return;
    now = this.now();
    this.cleanStaleMembers(now);

    const live = this.observations.liveMembers(o.replicaId, now, o.leaseDurationMs);
    o.onMetrics?.liveReplicas(live.length);
    const liveKey = live.join(",");
    if (liveKey !== this.lastLive) {
      if (this.lastLive !== "") this.opts.logger.info({ replicas: live.length, live }, "live counter replicas changed: rebalancing");
      this.lastLive = liveKey;
      this.rebalanceSinceMs ??= now;
    }
    // Until the bucket's current values are known, and for one retry period after start (so that
    // replicas starting together see each other), take nothing: avoids a storm of hand-overs.
    if (!this.bucketCurrent || now - this.startedAtMs < o.retryPeriodMs) return;

    const eligible = o.partitionSet === "auto" ? range(o.partitions) : o.partitionSet;
    const target = o.partitionSet === "auto" ? fairShare(o.replicaId, live, o.partitions) : eligible.length;
    const ownedNow = [...this.owned.keys()].filter((p) => !this.releasing.has(p));
    const plan = planOwnership({
      eligible,
      target,
      owned: ownedNow,
      leaseState: (p) => {
        const seen = this.observations.leases.get(p);
        // Our own lease that we no longer act on (lost, or rebuilt after a reconnect): take it back.
        if (seen?.value?.holder === o.replicaId && !this.owned.has(p)) return "free";
        return this.observations.leaseState(p, now, o.leaseDurationMs);
      },
    });
    for (const p of plan.release) void this.releaseOne(p, "rebalance");
    await Promise.all(plan.acquire.map((p) => this.acquire(p)));
    const settled = this.owned.size - this.releasing.size;
    if (this.rebalanceSinceMs !== null && settled === target && this.releasing.size === 0) {
      o.onMetrics?.rebalanced((this.now() - this.rebalanceSinceMs) / 1000);
      this.rebalanceSinceMs = null;
    }
    o.onMetrics?.owned(this.owned.size);
  }

  private async heartbeat(): Promise<void> {
    const started = this.now();
    try {
      this.beat++;
      await this.kv.put(memberKey(this.opts.replicaId), encodeRecord({ v: OWNERSHIP_RECORD_VERSION, id: this.opts.replicaId, beat: this.beat }));
      this.lastBeatAtMs = started;
    } catch (err) {
      const log = this.failureLogs.take("heartbeat");
      if (log) this.opts.logger.warn({ err: (err as Error).message, suppressed: log.suppressed }, "could not renew this replica's heartbeat");
    }
  }

  private async renew(p: number, l: OwnedLease): Promise<void> {
    const started = this.now();
    l.renewing = true;
    try {
      l.revision = await this.kv.update(leaseKey(p), this.leaseRecord(l.epoch), l.revision);
      l.renewedAtMs = started;
    } catch (err) {
      if (isWrongLastSequence(err)) {
        // Maybe our own earlier renewal landed and only its answer was lost: read it back.
        const stored = await this.kv.get(leaseKey(p)).catch(() => null);
        const rec = stored && stored.operation === "PUT" ? safeLease(stored.value) : null;
        if (stored && rec && rec.holder === this.opts.replicaId && rec.epoch === l.epoch) {
          l.revision = stored.revision;
          return;
        }
        if (this.owned.get(p) === l) this.lose(p, "taken");
        return;
      }
      const log = this.failureLogs.take("renew");
      if (log) this.opts.logger.warn({ partition: p, err: (err as Error).message, suppressed: log.suppressed }, "lease renewal failed; retrying");
    } finally {
      l.renewing = false;
    }
  }

  private async acquire(p: number): Promise<void> {
    if (this.stopped) return;
    const seen = this.observations.leases.get(p);
    const epoch = (seen?.value?.epoch ?? 0) + 1;
    const started = this.now();
    try {
      const taken = seen && seen.revision > 0 ? await this.kv.update(leaseKey(p), this.leaseRecord(epoch), seen.revision) : await this.kv.create(leaseKey(p), this.leaseRecord(epoch));
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, CONFIRM_DELAY_MS));
      if (this.stopped) return;
      const revision = await this.kv.update(leaseKey(p), this.leaseRecord(epoch), taken).catch((err: unknown) => {
        if (isWrongLastSequence(err)) this.opts.logger.warn({ partition: p, epoch }, "partition lease taken by another replica on the same revision (a write NATS should have refused): not acting on it");
        throw err;
      });
      if (this.stopped || this.now() - started >= this.opts.renewDeadlineMs) return;
      const l: OwnedLease = { epoch, revision, renewedAtMs: started, renewing: false };
      this.owned.set(p, l);
      this.observations.observeLease(p, { v: OWNERSHIP_RECORD_VERSION, holder: this.opts.replicaId, epoch, writtenAtMs: 0 }, revision, this.now());
      this.opts.onMetrics?.acquired();
      this.opts.logger.info({ partition: p, epoch, previous: seen?.value?.holder || null }, "partition lease acquired");
      this.listener.acquired(p, { epoch, holder: this.opts.replicaId });
    } catch (err) {
      // Someone else was faster (or our picture of the key is old): the watch brings the truth.
      if (isWrongLastSequence(err)) await this.refresh(p);
      else {
        const log = this.failureLogs.take("acquire");
        if (log) this.opts.logger.warn({ partition: p, err: (err as Error).message, suppressed: log.suppressed }, "lease acquisition failed");
      }
    }
  }

  private async refresh(p: number): Promise<void> {
    const e = await this.kv.get(leaseKey(p)).catch(() => null);
    if (e) this.observations.observeLease(p, e.operation === "PUT" ? safeLease(e.value) : null, e.revision, this.now());
  }

  private async releaseOne(p: number, reason: LeaseReleaseReason): Promise<void> {
    const l = this.owned.get(p);
    if (!l || this.releasing.has(p)) return;
    this.releasing.add(p);
    try {
      await this.listener.release(p, reason);
    } catch (err) {
      this.opts.logger.warn({ partition: p, err: String(err) }, "draining a partition before its release failed");
    }
    // Wait for a renewal in flight, so the release carries the newest revision.
    while (l.renewing) await new Promise((r) => setTimeout(r, 5));
    if (this.owned.get(p) === l) {
      this.owned.delete(p);
      try {
        await this.kv.update(leaseKey(p), encodeRecord({ v: OWNERSHIP_RECORD_VERSION, holder: "", epoch: l.epoch, writtenAtMs: 0 }), l.revision);
        this.opts.onMetrics?.released(reason);
        this.opts.logger.info({ partition: p, epoch: l.epoch, reason }, "partition lease released");
      } catch (err) {
        this.opts.logger.warn({ partition: p, err: (err as Error).message }, "lease release failed (it expires instead)");
      }
    }
    this.releasing.delete(p);
    this.opts.onMetrics?.owned(this.owned.size);
  }

  private lose(p: number, reason: LeaseLossReason): void {
    this.owned.delete(p);
    this.opts.onMetrics?.lost(reason);
    this.opts.onMetrics?.owned(this.owned.size);
    this.opts.logger.warn({ partition: p, reason }, reason === "taken" ? "partition lease taken by another replica: stopped acting on it" : "partition lease not renewed in time: stopped acting on it");
    this.listener.lost(p, reason);
  }

  private cleanStaleMembers(now: number): void {
    for (const [id, o] of this.observations.members) {
      if (id === this.opts.replicaId || now - o.observedAtMs < STALE_MEMBER_LEASES * this.opts.leaseDurationMs) continue;
      this.observations.members.delete(id);
      void this.kv.delete(memberKey(id), { previousSeq: o.revision }).catch(() => undefined);
    }
  }

  private leaseRecord(epoch: number): Uint8Array {
    const rec: LeaseRecord = { v: OWNERSHIP_RECORD_VERSION, holder: this.opts.replicaId, epoch, writtenAtMs: this.wallNow() };
    return encodeRecord(rec);
  }
}

function safeLease(data: Uint8Array): LeaseRecord | null {
  try {
    return parseLeaseRecord(data);
  } catch {
    return null;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
