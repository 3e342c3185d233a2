/**
 * When each Job is synced: a deduplicating, delaying work queue like the in-tree controller's
 * (`enqueueSyncJobImmediately`, `enqueueSyncJobBatched`, `enqueueSyncJobWithDelay`). A Job is
 * never synced twice at once; events during a sync schedule another one after it.
 */
import PQueue from "p-queue";

export interface SyncSchedulerOptions {
  concurrency: number;
  batchPeriodMs: number;
  run(key: string): Promise<void>;
  onError(key: string, err: unknown): void;
  /** @default Date.now */
  now?: () => number;
}

interface Entry {
  timer: NodeJS.Timeout | null;
  dueAt: number;
  queued: boolean;
  running: boolean;
  /** Earliest delay requested while running, re-applied after the sync (null = none). */
  rerunDelayMs: number | null;
  /** When the last sync of this key started (undefined: never). */
  lastStartedAt?: number;
  /** forget() was called while the key's sync ran: the entry goes when it ends, unless enqueued again. */
  forgotten: boolean;
}

export class SyncScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: PQueue;
  private stopped = false;

  private readonly now: () => number;

  constructor(private readonly opts: SyncSchedulerOptions) {
    this.queue = new PQueue({ concurrency: opts.concurrency });
    this.now = opts.now ?? Date.now;
  }

  enqueueSyncJobImmediately(key: string): void {
    this.enqueueAfter(key, 0);
  }

  /**
   * Coalesces Pod events: at most one sync per batch period (the Job's own, logic/batch-period.ts,
   * or the configured one), counted from the start of the Job's last sync rather than from this
   * event, so a Job finishing Pods steadily is synced every period, not every period plus the gap
   * before the first event after a sync (that gap was lag on every Pod, for no fewer writes).
   */
  enqueueSyncJobBatched(key: string, periodMs = this.opts.batchPeriodMs): void {
    const last = this.entries.get(key)?.lastStartedAt;
    this.enqueueAfter(key, last === undefined ? periodMs : Math.min(periodMs, Math.max(0, last + periodMs - this.now())));
  }

  enqueueAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const e = this.entry(key);
    e.forgotten = false;
    if (e.running) {
      e.rerunDelayMs = e.rerunDelayMs === null ? delayMs : Math.min(e.rerunDelayMs, delayMs);
      return;
    }
    if (e.queued) return;
    const due = this.now() + delayMs;
    if (e.timer && e.dueAt <= due) return;
    if (e.timer) clearTimeout(e.timer);
    if (delayMs <= 0) {
      e.timer = null;
      this.dispatch(key, e);
      return;
    }
    e.dueAt = due;
    e.timer = setTimeout(() => {
      e.timer = null;
      this.dispatch(key, e);
    }, delayMs);
  }

  get pending(): number {
    return this.queue.size + this.queue.pending;
  }

  /**
   * Nothing more to do for this key (its Job is forgotten): its timer and entry go. Called from the
   * key's own sync (the usual case: the sync found the Job deleted and settled), the entry goes
   * when that sync ends, with any re-run asked for meanwhile, unless the key is enqueued again.
   */
  forget(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    if (e.running) {
      e.forgotten = true;
      e.rerunDelayMs = null;
      return;
    }
    if (!e.queued) {
      if (e.timer) clearTimeout(e.timer);
      this.entries.delete(key);
    }
  }

  /** Keys with an entry (scheduled, queued, running, or kept for the batch period's anchor). */
  get size(): number {
    return this.entries.size;
  }

  /** Stops timers and waits for the syncs already running or queued. */
  async drain(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    await this.queue.onIdle();
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { timer: null, dueAt: 0, queued: false, running: false, rerunDelayMs: null, forgotten: false };
      this.entries.set(key, e);
    }
    return e;
  }

  private dispatch(key: string, e: Entry): void {
    e.queued = true;
    void this.queue.add(async () => {
      e.queued = false;
      e.running = true;
      e.lastStartedAt = this.now();
      try {
        await this.opts.run(key);
      } catch (err) {
        this.opts.onError(key, err);
      } finally {
        e.running = false;
        const again = e.rerunDelayMs;
        e.rerunDelayMs = null;
        if (e.forgotten) {
          if (this.entries.get(key) === e) this.entries.delete(key);
        } else if (again !== null) this.enqueueAfter(key, again);
      }
    });
  }
}
