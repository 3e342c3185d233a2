/**
 * Publishes view records so that the stored state of a key never goes back to an older
 * resourceVersion, whatever the retries, relists or number of watchers.
 *
 * - Per subject one publish at a time, with `Nats-Expected-Last-Subject-Sequence` set to the
 *   sequence this publisher believes is stored (compare-and-set per key) and `Nats-Msg-Id` for
 *   dedup of retried publishes whose ack was lost.
 * - A state submitted while one is in flight waits; a newer one replaces the waiting one
 *   (coalescing: the watcher may see ten updates of a Pod in a second, the view needs the last).
 * - On "wrong last sequence" the stored message is read back: if it is at least as new as ours,
 *   ours is dropped (the view already shows that state or a newer one); otherwise we retry on the
 *   sequence just read.
 * - Any other failure (timeout, NATS down) is retried with backoff until `close()`.
 * - A subject whose last record (a tombstone: `gone`) is stored is forgotten, so that memory
 *   follows the live Pods and Jobs, not every one ever seen. Should the subject be published again
 *   (a Pod that left its Job and came back), its first publish expects no message, meets the
 *   stored tombstone, reads it back and goes on from there: one extra round trip, still safe.
 * Across subjects up to `maxInFlight` publishes are pipelined at once.
 */
import { setMaxListeners } from "node:events";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { backoffDelayMs, sleep } from "../backoff.js";
import { VIEW_STREAM } from "../constants.js";
import type { Logger } from "../observability/logger.js";
import { compareResourceVersions, isNewerResourceVersion } from "../resource-version.js";
import type { ViewRecord } from "../view/records.js";
import { isConnectionClosed, isWrongLastSequence, NatsClosedError } from "./errors.js";

export interface ViewPublisherOptions {
  logger: Logger;
  /** Publishes awaiting their ack at once, across subjects. @default 1024 */
  maxInFlight?: number;
  /** Backoff of failed publishes (not CAS conflicts). @default { baseMs: 100, maxMs: 5000 } */
  retryBackoff?: { baseMs: number; maxMs: number };
}

export interface ViewPublishOptions {
  dedupId: string;
  /** resourceVersion of the record (for a sync marker: its listResourceVersion). */
  resourceVersion: string;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface PendingState {
  data: Uint8Array;
  dedupId: string;
  rv: string;
  /** A tombstone: the last record of its subject. */
  final: boolean;
  /**
   * A sync marker: a heartbeat ordered by time, not by resourceVersion. It is always stored (the
   * CAS only serialises writers): an idle cluster's resourceVersion does not move, and a marker
   * judged "superseded" by an equal one of an earlier watcher session would never land, leaving
   * every counter waiting for a marker of the new session (found by the chaos campaign).
   */
  heartbeat: boolean;
  waiters: Waiter[];
}

interface SubjectState {
  subject: string;
  /** Sequence of the subject's last stored message as far as we know; 0 if none. */
  knownSeq: number;
  /** Newest resourceVersion known stored for this subject; only moves forward. */
  knownRV: string | undefined;
  inFlight: PendingState | null;
  queued: PendingState | null;
  ready: boolean;
}

/**
 * The resourceVersion a stored view message carries (`resourceVersion`, or `listResourceVersion`
 * for sync markers), or null when it has none we can read.
 */
export function storedResourceVersion(data: Uint8Array): string | null {
  try {
    const raw = JSON.parse(Buffer.from(data).toString("utf8")) as Record<string, unknown>;
    const rv = raw.resourceVersion ?? raw.listResourceVersion;
    return typeof rv === "string" && rv !== "" ? rv : null;
  } catch {
    return null;
  }
}

/** Keeps the newer of two resourceVersions; on equal or incomparable, the later (`b`). */
function newerOf(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  const c = compareResourceVersions(a, b);
  return c !== null && c > 0 ? a : b;
}

export class ViewPublisher {
  private readonly logger: Logger;
  private readonly maxInFlight: number;
  private readonly retryBackoff: { baseMs: number; maxMs: number };
  private readonly subjects = new Map<string, SubjectState>();
  private readonly readyQueue: SubjectState[] = [];
  private readonly outstanding = new Set<Promise<void>>();
  private readonly closing = ((): AbortController => {
    const c = new AbortController();
    // Every publish retrying at once (NATS away) waits on this signal: up to `maxInFlight`
    // listeners by design, not the leak Node's default limit of 10 warns about.
    setMaxListeners(0, c.signal);
    return c;
  })();
  private active = 0;
  private jsm: Promise<JetStreamManager> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    opts: ViewPublisherOptions,
  ) {
    this.logger = opts.logger;
    this.maxInFlight = opts.maxInFlight ?? 1024;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new Error(`ViewPublisher: maxInFlight must be a positive integer, got ${opts.maxInFlight}`);
    this.retryBackoff = opts.retryBackoff ?? { baseMs: 100, maxMs: 5_000 };
  }

  /** Records what a replay found stored for `subject`, so the first publish carries the right sequence. */
  seed(subject: string, lastSeq: number, resourceVersion: string): void {
    const s = this.state(subject);
    if (lastSeq > s.knownSeq) s.knownSeq = lastSeq;
    s.knownRV = s.knownRV === undefined ? resourceVersion : newerOf(s.knownRV, resourceVersion);
  }

  /** Resolves once this state, or a newer one for the same subject, is stored. */
  publish(subject: string, record: ViewRecord, opts: ViewPublishOptions): Promise<void> {
    if (this.closing.signal.aborted) return Promise.reject(new NatsClosedError("ViewPublisher is closed"));
    const data = new TextEncoder().encode(JSON.stringify(record));
    const final = record.kind !== "sync" && record.gone;
    const heartbeat = record.kind === "sync";
    const s = this.state(subject);
    const p = new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      const queued = s.queued;
      if (queued === null) {
        s.queued = { data, dedupId: opts.dedupId, rv: opts.resourceVersion, final, heartbeat, waiters: [waiter] };
      } else if (!heartbeat && isNewerResourceVersion(queued.rv, opts.resourceVersion)) {
        // The waiting state is newer than this one: keep it; this caller waits for it.
        queued.waiters.push(waiter);
      } else {
        s.queued = { data, dedupId: opts.dedupId, rv: opts.resourceVersion, final, heartbeat, waiters: [...queued.waiters, waiter] };
      }
    });
    this.track(p);
    this.schedule(s);
    this.pump();
    return p;
  }

  /** Waits until everything submitted so far is stored, superseded, or failed by close(). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.outstanding]);
  }

  /** Stops retrying; callers still waiting are rejected with NatsClosedError. */
  async close(): Promise<void> {
    this.closing.abort();
    const closed = new NatsClosedError("ViewPublisher closed before the record was stored");
    for (const s of this.subjects.values()) {
      // A publish awaiting its ack may still land; its callers are told it is not known to have.
      if (s.inFlight) this.settle(s.inFlight, closed);
      if (s.queued) this.settle(s.queued, closed);
      s.queued = null;
    }
    await this.flush();
  }

  /** Subjects whose state this publisher keeps (for tests: bounded by the live Pods and Jobs). */
  get subjectsTracked(): number {
    return this.subjects.size;
  }

  /** Number of subjects with a publish queued or in flight (for metrics). */
  get pending(): number {
    let n = 0;
    for (const s of this.subjects.values()) if (s.inFlight || s.queued) n++;
    return n;
  }

  private state(subject: string): SubjectState {
    let s = this.subjects.get(subject);
    if (!s) {
      s = { subject, knownSeq: 0, knownRV: undefined, inFlight: null, queued: null, ready: false };
      this.subjects.set(subject, s);
    }
    return s;
  }

  private track(p: Promise<void>): void {
    const t = p.then(
      () => undefined,
      () => undefined,
    );
    this.outstanding.add(t);
    void t.then(() => this.outstanding.delete(t));
  }

  private schedule(s: SubjectState): void {
    if (s.inFlight || s.ready || !s.queued) return;
    s.ready = true;
    this.readyQueue.push(s);
  }

  private pump(): void {
    while (this.active < this.maxInFlight && this.readyQueue.length > 0) {
      const s = this.readyQueue.shift() as SubjectState;
      s.ready = false;
      const p = s.queued;
      if (!p) continue;
      s.queued = null;
      s.inFlight = p;
      this.active++;
      void this.send(s, p).finally(() => {
        this.active--;
        s.inFlight = null;
        // The entry stays while the key lives: knownSeq / knownRV are what make its next CAS right.
        // Once its tombstone is stored nothing more is expected on it.
        if (p.final && s.queued === null && this.subjects.get(s.subject) === s) this.subjects.delete(s.subject);
        else this.schedule(s);
        this.pump();
      });
    }
  }

  private settle(p: PendingState, err?: Error): void {
    for (const w of p.waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
    p.waiters = [];
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= this.js.jetstreamManager(false);
    return this.jsm;
  }

  private async send(s: SubjectState, p: PendingState): Promise<void> {
    let failures = 0;
    let conflicts = 0;
    for (;;) {
      if (this.closing.signal.aborted) return this.settle(p, new NatsClosedError("ViewPublisher closed before the record was stored"));
      if (!p.heartbeat && s.knownRV !== undefined && isNewerResourceVersion(s.knownRV, p.rv)) {
        // A strictly newer state is already stored: nothing to do (equal goes through the CAS).
        return this.settle(p);
      }
      try {
        const ack = await this.js.publish(s.subject, p.data, { msgID: p.dedupId, expect: { lastSubjectSequence: s.knownSeq } });
        if (!ack.duplicate || ack.seq > s.knownSeq) {
          s.knownSeq = ack.seq;
          s.knownRV = newerOf(s.knownRV, p.rv);
        }
        return this.settle(p);
      } catch (publishErr) {
        let err = publishErr;
        if (isWrongLastSequence(err)) {
          conflicts++;
          try {
            const stored = await (await this.manager()).streams.getMessage(VIEW_STREAM, { last_by_subj: s.subject });
            s.knownSeq = stored?.seq ?? 0;
            const storedRV = stored ? storedResourceVersion(stored.data) : null;
            if (storedRV !== null) {
              s.knownRV = newerOf(s.knownRV, storedRV);
              if (!p.heartbeat && !isNewerResourceVersion(p.rv, storedRV)) {
                this.logger.debug({ subject: s.subject, ours: p.rv, stored: storedRV }, "view publish superseded by a stored state at least as new");
                return this.settle(p);
              }
            }
            // Two writers racing with ever newer states: give the other a moment after a few rounds.
            if (conflicts > 3) await sleep(backoffDelayMs(conflicts - 3, this.retryBackoff), this.closing.signal);
            continue;
          } catch (readErr) {
            err = readErr;
          }
        }
        if (isConnectionClosed(err)) return this.settle(p, new NatsClosedError("NATS connection closed before the record was stored", { cause: err }));
        failures++;
        const delay = backoffDelayMs(failures, this.retryBackoff);
        if (failures === 1 || failures % 10 === 0) {
          this.logger.warn({ subject: s.subject, attempt: failures, delayMs: delay, err: (err as Error).message }, "view publish failed; retrying");
        }
        await sleep(delay, this.closing.signal);
      }
    }
  }
}
