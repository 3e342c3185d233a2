/**
 * After a (re)start the counter knows nothing of the creation intents it published before: some
 * may still wait in the work queue. Planning the same Pods again at once would create them twice,
 * so a partition's creations are held until its queue of creation intents is empty (JetStream
 * keeps an intent until a remover acks it, after the Pod is created), plus a grace for the view to
 * show the last Pods, or at most `maxWaitMs` (the intents' time to live: older ones are dropped).
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { INTENT_STREAM, INTENT_SUBJECT_PREFIX } from "../../shared/constants.js";
import { sleep } from "../../shared/backoff.js";

export interface DrainWaitOptions {
  maxWaitMs: number;
  pollMs?: number;
  graceMs?: number;
  signal: AbortSignal;
}

/** Resolves with how many creation intents were still queued at the start. */
export async function waitForCreationQueueToDrain(nc: NatsConnection, partition: number, opts: DrainWaitOptions): Promise<number> {
  const subject = `${INTENT_SUBJECT_PREFIX}.${partition}.createPod`;
  const deadline = Date.now() + opts.maxWaitMs;
  let first: number | null = null;
  let jsm: Awaited<ReturnType<typeof jetstreamManager>> | null = null;
  for (;;) {
    let pending: number | null = null;
    try {
      jsm ??= await jetstreamManager(nc);
      const info = await jsm.streams.info(INTENT_STREAM, { subjects_filter: subject });
      pending = info.state.subjects?.[subject] ?? 0;
    } catch {
      pending = null; // NATS busy or away: ask again
    }
    first ??= pending;
    if (pending === 0) {
      // Always: a creation carried out just before (its intent acked, so not queued any more) may
      // not be in the view yet, above all while the watcher's publishes are slowed (a NATS leader
      // election): creating before it shows would create that Pod twice.
      await sleep(opts.graceMs ?? 1000, opts.signal).catch(() => undefined);
      return first ?? 0;
    }
    if (Date.now() >= deadline || opts.signal.aborted) return first ?? -1;
    await sleep(opts.pollMs ?? 500, opts.signal).catch(() => undefined);
  }
}
