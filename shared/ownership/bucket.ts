/**
 * The ownership bucket (NATS KV `jobtally_ownership`): partition leases and replica heartbeats.
 * Chosen over `coordination.k8s.io/v1` Leases because every replica already talks to JetStream,
 * which gives compare-and-set on a key's revision and a push watch, so 32 leases cost no API
 * budget and a change reaches every replica in milliseconds (docs/architecture.md).
 */
import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { backoffDelayMs, sleep } from "../backoff.js";
import type { Logger } from "../observability/logger.js";
import { isConnectionClosed } from "../nats/errors.js";

export const OWNERSHIP_BUCKET = "jobtally_ownership";

/** Creates the bucket (or opens it when it exists). Leases are never deleted, so no TTL. */
export async function openOwnershipBucket(nc: NatsConnection, replicas: number): Promise<KV> {
  return new Kvm(nc).create(OWNERSHIP_BUCKET, { replicas, history: 1 });
}

export interface BucketFollowerOptions {
  logger: Logger;
  signal: AbortSignal;
  /** Every entry, the current values first, then each change (deletions with `operation` DEL/PURGE). */
  onEntry(e: KvEntry): void;
  /** Once the current values have all been delivered (each time the watch is (re)started). */
  onCurrent?(): void;
}

const WATCH_BACKOFF = { baseMs: 200, maxMs: 5_000 };

/**
 * Follows the whole bucket until `signal` aborts. The client's watch is an ordered consumer that
 * survives reconnects; if its iterator still ends, the watch is started again (the current values
 * are delivered again, harmless: observations ignore revisions they have seen).
 */
export async function followOwnershipBucket(kv: KV, opts: BucketFollowerOptions): Promise<void> {
  for (let attempt = 1; !opts.signal.aborted; attempt++) {
    try {
      const empty = (await kv.status()).values === 0;
      const iter = await kv.watch({ key: ">" });
      const stop = (): void => iter.stop();
      opts.signal.addEventListener("abort", stop, { once: true });
      if (empty) opts.onCurrent?.();
      let current = empty;
      try {
        for await (const e of iter) {
          opts.onEntry(e);
          if (!current && e.isUpdate) {
            current = true;
            opts.onCurrent?.();
          }
          attempt = 0;
        }
      } finally {
        opts.signal.removeEventListener("abort", stop);
      }
      if (opts.signal.aborted) return;
      opts.logger.warn("ownership bucket watch ended; watching again");
    } catch (err) {
      if (opts.signal.aborted) return;
      if (isConnectionClosed(err)) return;
      opts.logger.warn({ attempt, err: (err as Error).message }, "ownership bucket watch failed; retrying");
    }
    await sleep(backoffDelayMs(Math.max(1, attempt), WATCH_BACKOFF), opts.signal);
  }
}
