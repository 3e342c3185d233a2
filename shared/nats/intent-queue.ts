/**
 * The intent work queue. Publishing: deduplicated by `Nats-Msg-Id` (`intentDedupId`), retried
 * until the stream has it, so that when `publish` resolves the intent is durable. Consuming: one
 * durable pull consumer shared by every replica (work-queue retention: each intent goes to one
 * of them), explicit ack, read with `consume()` (a slow `fetch` loop body trips the v3 client's
 * heartbeat check), handlers run concurrently up to `maxAckPending`.
 */
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import type { ConsumerConfig, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { backoffDelayMs, sleep } from "../backoff.js";
import { INTENT_STREAM, INTENT_SUBJECT_PREFIX } from "../constants.js";
import type { Intent } from "../intents/intents.js";
import { intentDedupId, intentSubject } from "../intents/intents.js";
import { parseIntent } from "../intents/validate.js";
import type { Logger } from "../observability/logger.js";
import { CONSUME_EXPIRES_MS } from "./consume-options.js";
import { isConnectionClosed, JS_CODES, jsApiCode, NatsClosedError } from "./errors.js";

const PUBLISH_BACKOFF = { baseMs: 100, maxMs: 5_000 };
const CONSUMER_BACKOFF = { baseMs: 250, maxMs: 5_000 };

export class IntentPublisher {
  private readonly logger: Logger;
  private readonly closing = new AbortController();

  constructor(
    private readonly js: JetStreamClient,
    opts: { logger: Logger },
  ) {
    this.logger = opts.logger;
  }

  /** Resolves once the stream holds the intent (`duplicate` when it already did). */
  async publish(intent: Intent): Promise<{ duplicate: boolean }> {
    const subject = intentSubject(intent);
    const data = new TextEncoder().encode(JSON.stringify(intent));
    const msgID = intentDedupId(intent);
    for (let attempt = 1; ; attempt++) {
      if (this.closing.signal.aborted) throw new NatsClosedError("IntentPublisher is closed");
      try {
        const ack = await this.js.publish(subject, data, { msgID });
        return { duplicate: ack.duplicate };
      } catch (err) {
        if (isConnectionClosed(err)) throw new NatsClosedError("NATS connection closed before the intent was stored", { cause: err });
        const delay = backoffDelayMs(attempt, PUBLISH_BACKOFF);
        if (attempt === 1 || attempt % 10 === 0) {
          this.logger.warn({ subject, msgID, attempt, delayMs: delay, err: (err as Error).message }, "intent publish failed; retrying");
        }
        await sleep(delay, this.closing.signal);
      }
    }
  }

  /** Publishes all at once (pipelined); resolves when every one is durable. */
  async publishAll(intents: Intent[]): Promise<void> {
    await Promise.all(intents.map((i) => this.publish(i)));
  }

  /** Stops retrying; publishes still retrying reject with NatsClosedError. */
  close(): void {
    this.closing.abort();
  }
}

export type IntentOutcome = { kind: "ack" } | { kind: "retry"; delayMs: number } | { kind: "drop"; reason: string };

export interface IntentContext {
  /** How many times this intent has been delivered, this one included (1 the first time). */
  deliveryCount: number;
  /** When the intent was stored in the stream (the server's clock), ms. */
  storedAtMs: number;
  /** Resets the ack-wait timer (a handler waiting on a rate limiter calls it). */
  working(): void;
}

export interface ConsumeIntentsOptions {
  /** Durable consumer name, shared by every replica. */
  durable: string;
  /** @default `jobtally.intent.>` (all partitions) */
  filterSubject?: string;
  ackWaitMs: number;
  maxAckPending: number;
  logger: Logger;
  /** Abort to stop pulling; the promise resolves once in-flight handlers have finished. */
  signal: AbortSignal;
  handle(intent: Intent, ctx: IntentContext): Promise<IntentOutcome>;
  /** The payload did not parse; after this resolves the message is terminated (a throw naks it). */
  onMalformed(data: Uint8Array, err: Error): Promise<void>;
}

function wantedConsumer(opts: ConsumeIntentsOptions): Partial<ConsumerConfig> {
  return {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(opts.ackWaitMs),
    max_ack_pending: opts.maxAckPending,
    filter_subject: opts.filterSubject ?? `${INTENT_SUBJECT_PREFIX}.>`,
  };
}

/** Creates the durable consumer, or brings ack_wait / max_ack_pending of an existing one up to date. */
export async function ensureIntentConsumer(jsm: JetStreamManager, opts: ConsumeIntentsOptions): Promise<void> {
  const wanted = wantedConsumer(opts);
  let info;
  try {
    info = await jsm.consumers.info(INTENT_STREAM, opts.durable);
  } catch (err) {
    if (jsApiCode(err) !== JS_CODES.consumerNotFound) throw err;
    try {
      await jsm.consumers.add(INTENT_STREAM, wanted);
      return;
    } catch (addErr) {
      // Another replica may have created it meanwhile; anything else is real.
      info = await jsm.consumers.info(INTENT_STREAM, opts.durable).catch(() => {
        throw addErr;
      });
    }
  }
  const c = info.config;
  if (c.filter_subject !== wanted.filter_subject) {
    opts.logger.warn({ durable: opts.durable, has: c.filter_subject, wanted: wanted.filter_subject }, "intent consumer exists with another filter; using it as is");
  }
  if (c.ack_wait !== wanted.ack_wait || c.max_ack_pending !== wanted.max_ack_pending) {
    await jsm.consumers.update(INTENT_STREAM, opts.durable, { ack_wait: wanted.ack_wait, max_ack_pending: wanted.max_ack_pending });
  }
}

/** Runs one handler and settles its message; never throws. */
async function settle(m: JsMsg, opts: ConsumeIntentsOptions): Promise<void> {
  const log = opts.logger;
  let intent: Intent;
  try {
    intent = parseIntent(m.data);
  } catch (err) {
    try {
      await opts.onMalformed(m.data, err as Error);
      m.term();
    } catch (dlqErr) {
      log.error({ seq: m.seq, err: (dlqErr as Error).message }, "could not dead-letter a malformed intent; will retry");
      m.nak(backoffDelayMs(m.info.deliveryCount, { baseMs: 1_000, maxMs: 60_000 }));
    }
    return;
  }
  let outcome: IntentOutcome;
  try {
    outcome = await opts.handle(intent, { deliveryCount: m.info.deliveryCount, storedAtMs: Math.floor(m.info.timestampNanos / 1e6), working: () => m.working() });
  } catch (err) {
    const delayMs = backoffDelayMs(m.info.deliveryCount, { baseMs: 1_000, maxMs: 60_000 });
    log.error({ seq: m.seq, subject: m.subject, delayMs, err: (err as Error).message }, "intent handler threw; will retry");
    outcome = { kind: "retry", delayMs };
  }
  try {
    switch (outcome.kind) {
      case "ack":
        m.ack();
        break;
      case "retry":
        m.nak(Math.max(0, Math.round(outcome.delayMs)));
        break;
      case "drop":
        // No reason string: nats-server 2.9 may not understand `+TERM <reason>`. The handler logs it.
        m.term();
        break;
    }
  } catch (err) {
    // The connection is gone: the server redelivers after ack_wait, and every handler is idempotent.
    log.warn({ seq: m.seq, outcome: outcome.kind, err: (err as Error).message }, "could not settle an intent; it will be redelivered");
  }
}

/**
 * Consumes intents until `signal` aborts, then stops pulling, lets in-flight handlers finish
 * (their acks sent) and resolves. Messages buffered but not yet handed to a handler are nak'ed
 * so another replica gets them at once instead of after ack_wait.
 */
export async function consumeIntents(js: JetStreamClient, opts: ConsumeIntentsOptions): Promise<void> {
  if (!Number.isInteger(opts.maxAckPending) || opts.maxAckPending < 1) throw new Error(`consumeIntents: maxAckPending must be a positive integer`);
  if (!(opts.ackWaitMs >= 1000)) throw new Error(`consumeIntents: ackWaitMs must be at least 1000`);
  const inFlight = new Set<Promise<void>>();
  let messages: ConsumerMessages | undefined;
  // stop(), never an awaited close(): close() resolves only once the iterator has been drained.
  const onAbort = (): void => messages?.stop();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (let attempt = 1; !opts.signal.aborted; attempt++) {
      try {
        const jsm = await js.jetstreamManager(false);
        await ensureIntentConsumer(jsm, opts);
        const consumer = await js.consumers.get(INTENT_STREAM, opts.durable);
        messages = await consumer.consume({ max_messages: Math.min(opts.maxAckPending, 256), expires: CONSUME_EXPIRES_MS });
        if (opts.signal.aborted) messages.stop();
        attempt = 0;
        void (async () => {
          for await (const s of (messages as ConsumerMessages).status()) {
            if (s.type === "heartbeats_missed" && s.count % 5 === 2) opts.logger.warn({ durable: opts.durable, count: s.count }, "intent consumer missed heartbeats");
            else if (s.type === "consumer_not_found" || s.type === "consumer_deleted") opts.logger.warn({ durable: opts.durable, status: s.type }, "intent consumer missing; the client keeps retrying");
          }
        })().catch(() => undefined);
        for await (const m of messages) {
          if (opts.signal.aborted) {
            m.nak();
            continue;
          }
          while (inFlight.size >= opts.maxAckPending) await Promise.race(inFlight);
          const p = settle(m, opts).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        if (opts.signal.aborted) break;
        opts.logger.warn({ durable: opts.durable }, "intent consumer ended; recreating");
      } catch (err) {
        if (opts.signal.aborted) break;
        if (isConnectionClosed(err)) throw err;
        opts.logger.warn({ durable: opts.durable, attempt, err: (err as Error).message }, "intent consumer failed; retrying");
      }
      await sleep(backoffDelayMs(Math.max(1, attempt), CONSUMER_BACKOFF), opts.signal);
    }
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
    messages?.stop();
    await Promise.allSettled([...inFlight]);
  }
}
