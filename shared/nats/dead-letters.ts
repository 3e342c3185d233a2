/**
 * Dead letters: a record or intent that can never be processed (it does not parse) is kept with
 * its reason in `jobtally.dlq.<source>` for an operator, instead of being retried forever or
 * silently dropped. The DLQ stream keeps them 14 days.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { backoffDelayMs, sleep } from "../backoff.js";
import { DLQ_SUBJECT_PREFIX } from "../constants.js";
import type { Logger } from "../observability/logger.js";

export const DLQ_REASON_HEADER = "Jobtally-Reason";
/** Context headers are `Jobtally-Ctx-<key>`. */
export const DLQ_CONTEXT_HEADER_PREFIX = "Jobtally-Ctx-";

const SEND_ATTEMPTS = 5;
const SEND_BACKOFF = { baseMs: 100, maxMs: 2_000 };
const MAX_HEADER_VALUE = 1024;

/** A subject token from a free-form source name (`finalizer-remover` stays as is). */
export function dlqSubject(source: string): string {
  const token = source.replace(/[^A-Za-z0-9_-]/g, "_") || "unknown";
  return `${DLQ_SUBJECT_PREFIX}.${token}`;
}

/** Header values are one line; long reasons are cut. */
export function headerValue(v: string): string {
  return v.replace(/[\r\n]+/g, " ").slice(0, MAX_HEADER_VALUE);
}

function headerKey(k: string): string {
  return DLQ_CONTEXT_HEADER_PREFIX + (k.replace(/[^A-Za-z0-9-]/g, "-") || "x");
}

export class DeadLetters {
  private readonly logger: Logger;

  constructor(
    private readonly js: JetStreamClient,
    opts: { logger: Logger },
  ) {
    this.logger = opts.logger;
  }

  /**
   * Stores `payload` with its reason. Retries a few times, then throws, so that the caller can
   * leave the original message unacknowledged (nak) rather than lose it.
   */
  async send(source: string, reason: string, payload: Uint8Array, context: Record<string, string> = {}): Promise<void> {
    const subject = dlqSubject(source);
    const h = headers();
    h.set(DLQ_REASON_HEADER, headerValue(reason));
    for (const [k, v] of Object.entries(context)) h.set(headerKey(k), headerValue(v));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(subject, payload, { headers: h });
        this.logger.warn({ subject, reason, ...context }, "dead-lettered");
        return;
      } catch (err) {
        if (attempt >= SEND_ATTEMPTS) throw new Error(`dead letter to ${subject} failed: ${(err as Error).message}`, { cause: err });
        await sleep(backoffDelayMs(attempt, SEND_BACKOFF));
      }
    }
  }
}
