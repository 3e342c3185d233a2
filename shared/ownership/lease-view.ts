/**
 * A read-only, live picture of every partition's lease, for the executor of intents (the
 * finalizer-remover): fed by a watch of the ownership bucket and re-read every `refreshMs`, so a
 * lease it knows is never older than that. An entry not verified for `maxAgeMs` (the process was
 * paused, or NATS is away) is not trusted: `decide` reads it first, `decideNow` says
 * "unverified". Without this, an executor paused with intents in hand would wake up and act on
 * the lease it knew before the pause, the very failure fencing exists for.
 */
import type { KV } from "@nats-io/kv";
import type { Logger } from "../observability/logger.js";
import { followOwnershipBucket } from "./bucket.js";
import { fenceDecision, type FenceDecision } from "./fence.js";
import { leaseKey, parseLeaseRecord, partitionOfLeaseKey, type LeaseToken } from "./records.js";

export interface LeaseViewOptions {
  /** How often every known lease is read again. @default 1000 */
  refreshMs?: number;
  /** A lease not verified for this long is read again before it is trusted. @default 2500 */
  maxAgeMs?: number;
  /** Monotonic ms. @default performance.now */
  now?: () => number;
}

export type LeaseDecision = FenceDecision | { kind: "unverified" };

export class LeaseView {
  private readonly current = new Map<number, { token: LeaseToken; revision: number; verifiedAtMs: number }>();
  private readonly refreshMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private follower: Promise<void> | undefined;
  private resolveCurrent!: () => void;
  /** Resolves once the bucket's current values are known. */
  readonly ready = new Promise<void>((r) => (this.resolveCurrent = r));

  constructor(
    private readonly kv: KV,
    private readonly logger: Logger,
    opts: LeaseViewOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 1000;
    this.maxAgeMs = opts.maxAgeMs ?? 2500;
    this.now = opts.now ?? (() => performance.now());
  }

  start(): void {
    let refreshing = false;
    this.refreshTimer = setInterval(() => {
      if (refreshing) return;
      refreshing = true;
      void Promise.all([...this.current.keys()].map((p) => this.read(p))).finally(() => (refreshing = false));
    }, this.refreshMs);
    this.follower = followOwnershipBucket(this.kv, {
      logger: this.logger,
      signal: this.stopping.signal,
      onEntry: (e) => {
        const p = partitionOfLeaseKey(e.key);
        if (p === null || e.operation !== "PUT") return;
        try {
          const rec = parseLeaseRecord(e.value);
          this.note(p, { epoch: rec.epoch, holder: rec.holder }, e.revision);
        } catch (err) {
          this.logger.warn({ key: e.key, err: (err as Error).message }, "malformed lease record ignored");
        }
      },
      onCurrent: () => this.resolveCurrent(),
    });
  }

  /** The fencing decision for an intent of `partition` decided under `token`, reading the lease first unless it is fresh. */
  async decide(partition: number, token: LeaseToken): Promise<LeaseDecision> {
    const cur = this.current.get(partition);
    // Unknown, not verified lately, or apparently newer than what we know: read the key first.
    if (!cur || !this.isFresh(cur) || token.epoch > cur.token.epoch) await this.read(partition);
    return this.decideNow(partition, token);
  }

  /** The same from what is known now, without a read (a last check right before an API call). */
  decideNow(partition: number, token: LeaseToken): LeaseDecision {
    const cur = this.current.get(partition);
    if (cur && !this.isFresh(cur)) return { kind: "unverified" };
    return fenceDecision(token, cur?.token ?? null);
  }

  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    this.stopping.abort();
    await this.follower;
  }

  private isFresh(entry: { verifiedAtMs: number }): boolean {
    return this.now() - entry.verifiedAtMs <= this.maxAgeMs;
  }

  private async read(partition: number): Promise<void> {
    const started = this.now();
    try {
      const e = await this.kv.get(leaseKey(partition));
      if (e && e.operation === "PUT") {
        const rec = parseLeaseRecord(e.value);
        this.note(partition, { epoch: rec.epoch, holder: rec.holder }, e.revision, started);
      }
    } catch (err) {
      this.logger.warn({ partition, err: (err as Error).message }, "could not read a partition lease");
    }
  }

  /**
   * `readStartedAtMs`: a direct read started then, so the value was current at that moment. A watch
   * entry (no read) may have waited in a buffer: it verifies only a revision newer than known,
   * which can only make fencing stricter.
   */
  private note(p: number, token: LeaseToken, revision: number, readStartedAtMs?: number): void {
    const cur = this.current.get(p);
    if (!cur || revision > cur.revision) this.current.set(p, { token, revision, verifiedAtMs: readStartedAtMs ?? this.now() });
    else if (revision === cur.revision && readStartedAtMs !== undefined) cur.verifiedAtMs = Math.max(cur.verifiedAtMs, readStartedAtMs);
  }
}
