/**
 * Reading the view: replay the latest record of every key under a filter, then follow new ones,
 * in stream order. Uses an ordered consumer (client-side, no acks, recreated by the client from
 * the last seen sequence after a gap, a deleted consumer or a server restart; verified on
 * nats-server 2.9.10 with a single filter subject). If its iterator still ends (it should not),
 * the follower recreates it from the last seen sequence with backoff.
 */
import { DeliverPolicy } from "@nats-io/jetstream";
import type { ConsumerMessages, JetStreamClient, JetStreamManager, OrderedConsumerOptions } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { backoffDelayMs, sleep } from "../backoff.js";
import { VIEW_STREAM, VIEW_SUBJECT_PREFIX } from "../constants.js";
import type { Logger } from "../observability/logger.js";
import { silentLogger } from "../observability/logger.js";
import type { ViewRecord } from "../view/records.js";
import { parseViewRecord } from "../view/validate.js";
import { CONSUME_EXPIRES_MS } from "./consume-options.js";
import { isConnectionClosed } from "./errors.js";

export interface ViewEntry {
  subject: string;
  seq: number;
  record: ViewRecord;
}

export interface FollowViewOptions {
  /** Subject filter, e.g. `jobtally.view.3.>` (one filter: 2.9 has no multi-filter consumers). */
  filter: string;
  /** Called for every record, in stream order, synchronously from the read loop. */
  onEntry(e: ViewEntry): void;
  /** Called once, when the replay has reached what the stream held for the filter at start. */
  onCaughtUp(): void;
  /** A record that does not parse (the caller dead-letters it); the follower goes on. */
  onMalformed(subject: string, data: Uint8Array, err: Error): void;
  logger: Logger;
}

export interface ViewFollower {
  /** Stops following; resolves when the read loop has exited. */
  stop(): Promise<void>;
  /** Resolves when caught up (also after stop(), so awaiting it cannot hang). */
  readonly caughtUp: Promise<void>;
}

const RESTART_BACKOFF = { baseMs: 200, maxMs: 5_000 };
/** How long a follower may sit idle behind the stream before it is recreated. */
const STALL_CHECK_MS = 2_000;

/**
 * When the replay counts as complete: the last sequence stored under the filter at start (0 if
 * none). A delivered message at or past it, a message with nothing pending behind it, or a
 * heartbeat showing the consumer scanned past it (the target was since purged) all mean caught up.
 */
async function replayTarget(jsm: JetStreamManager, filter: string): Promise<number> {
  const last = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: filter });
  return last?.seq ?? 0;
}

export function followView(js: JetStreamClient, opts: FollowViewOptions): ViewFollower {
  const stopping = new AbortController();
  let messages: ConsumerMessages | undefined;
  let lastSeq = 0;
  let caughtUp = false;
  let resolveCaughtUp!: () => void;
  const caughtUpPromise = new Promise<void>((r) => (resolveCaughtUp = r));
  let target = 0;

  const markCaughtUp = (): void => {
    if (caughtUp) return;
    caughtUp = true;
    resolveCaughtUp();
    opts.onCaughtUp();
  };

  const runOnce = async (): Promise<void> => {
    const jsm = await js.jetstreamManager(false);
    if (!caughtUp && target === 0) {
      target = await replayTarget(jsm, opts.filter);
      if (target === 0) markCaughtUp();
    }
    // A filter equal to the whole stream is sent as no filter at all (the server's cheaper path).
    const filter = opts.filter === `${VIEW_SUBJECT_PREFIX}.>` ? {} : { filter_subjects: opts.filter };
    const cfg: Partial<OrderedConsumerOptions> =
      lastSeq === 0
        ? { ...filter, deliver_policy: DeliverPolicy.All }
        : { ...filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 };
    const consumer = await js.consumers.get(VIEW_STREAM, cfg);
    const iter = await consumer.consume({ expires: CONSUME_EXPIRES_MS });
    messages = iter;
    // stop(), not close(): close() resolves only once the loop below has drained the iterator.
    if (stopping.signal.aborted) iter.stop();
    void (async () => {
      for await (const s of iter.status()) {
        if (s.type === "heartbeat" && !caughtUp && target > 0 && s.lastStreamSequence >= target) markCaughtUp();
        else if (s.type === "ordered_consumer_recreated" || s.type === "reset") opts.logger.info({ filter: opts.filter, status: s.type, lastSeq }, "view consumer recreated");
        else if (s.type === "heartbeats_missed") {
          if (s.count % 5 === 2) opts.logger.warn({ filter: opts.filter, count: s.count }, "view consumer missed heartbeats");
        } else if (s.type !== "heartbeat" && s.type !== "next") opts.logger.debug({ filter: opts.filter, status: s }, "view consumer status");
      }
    })().catch(() => undefined);
    // Watchdog: a consumer moved past the end of the stream (as a purge-by-sequence does on
    // nats-server 2.9) or otherwise wedged stops delivering while the stream holds newer records.
    // When idle and the stream has a newer message for the filter, recreate from the last seq read.
    let lastDeliveryAt = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastDeliveryAt < STALL_CHECK_MS) return;
      void replayTarget(jsm, opts.filter)
        .then((newest) => {
          if (newest > lastSeq && Date.now() - lastDeliveryAt >= STALL_CHECK_MS) {
            opts.logger.warn({ filter: opts.filter, lastSeq, newest }, "view consumer stalled behind the stream; recreating");
            iter.stop();
          }
        })
        .catch(() => undefined);
    }, STALL_CHECK_MS);
    watchdog.unref();
    try {
      for await (const m of iter) {
        lastDeliveryAt = Date.now();
        lastSeq = m.seq;
        try {
          const record = parseViewRecord(m.data);
          opts.onEntry({ subject: m.subject, seq: m.seq, record });
        } catch (err) {
          opts.onMalformed(m.subject, m.data, err as Error);
        }
        if (!caughtUp && (m.seq >= target || m.info.pending === 0)) markCaughtUp();
        if (stopping.signal.aborted) break;
      }
    } finally {
      clearInterval(watchdog);
    }
  };

  const loop = (async () => {
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      try {
        const before = lastSeq;
        await runOnce();
        if (stopping.signal.aborted) break;
        if (lastSeq > before) attempt = 0; // it delivered: the next recreation starts without backoff
        opts.logger.warn({ filter: opts.filter, lastSeq }, "view consumer ended; recreating");
      } catch (err) {
        if (stopping.signal.aborted) break;
        if (isConnectionClosed(err)) {
          opts.logger.error({ filter: opts.filter, err: (err as Error).message }, "view follower stopped: NATS connection closed");
          break;
        }
        opts.logger.warn({ filter: opts.filter, lastSeq, attempt, err: (err as Error).message }, "view consumer failed; recreating");
      }
      await sleep(backoffDelayMs(attempt, RESTART_BACKOFF), stopping.signal);
    }
  })();

  return {
    caughtUp: caughtUpPromise,
    async stop() {
      stopping.abort();
      messages?.stop();
      await loop;
      resolveCaughtUp();
    },
  };
}

export interface ReadViewSnapshotOptions {
  /** Malformed records are not returned; they are reported here (default: ignored). */
  onMalformed?(subject: string, data: Uint8Array, err: Error): void;
  logger?: Logger;
}

/**
 * The latest record of every subject matching `filter`, as the stream holds them now (one
 * replay, stopped when caught up). Malformed records are left out and reported to `onMalformed`.
 */
export async function readViewSnapshot(js: JetStreamClient, filter: string, opts: ReadViewSnapshotOptions = {}): Promise<ViewEntry[]> {
  const latest = new Map<string, ViewEntry>();
  const follower = followView(js, {
    filter,
    logger: opts.logger ?? silentLogger(),
    onEntry: (e) => latest.set(e.subject, e),
    onCaughtUp: () => undefined,
    onMalformed: (subject, data, err) => {
      latest.delete(subject);
      opts.onMalformed?.(subject, data, err);
    },
  });
  await follower.caughtUp;
  await follower.stop();
  return [...latest.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Purges the messages of `subject` with sequence <= `seq`; a newer message on the subject
 * survives (used to drop a tombstone only if nothing replaced it).
 * nats-server 2.9.10 pitfall: a filtered purge with `seq: 1` purges the whole subject (the
 * sequence is ignored when <= 1), so `seq` 0 is a no-op here and never sent.
 */
export async function deleteViewRecord(nc: NatsConnection, seq: number): Promise<void> {
  if (!Number.isInteger(seq) || seq < 1) return;
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  // Deletes exactly that message (if a newer record replaced it, it is gone already). Not a
  // filtered purge: on nats-server 2.9 a purge with a sequence moves every consumer of the stream
  // forward to that sequence, so live readers skip other subjects' records (reproduced in
  // test/unit/nats/view-reader.test.ts, "settled records are deleted without making readers skip").
  await jsm.streams.deleteMessage(VIEW_STREAM, seq, false).catch((err: unknown) => {
    if (!/no message found|not found/i.test(String((err as Error)?.message))) throw err;
  });
}
