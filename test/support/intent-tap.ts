/**
 * Test-side observers of what the counters decide and own: a tap on the intent subjects (a plain
 * NATS subscription sees every intent as it is published to the work queue), and scraping of a
 * service's Prometheus metrics. Used to check that no two counter replicas ever act for one
 * partition: an intent of a partition published after an intent of a newer lease epoch is an
 * overlap, which the finalizer-remover must have refused.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { INTENT_SUBJECT_PREFIX } from "../../shared/constants.js";
import type { Intent } from "../../shared/intents/intents.js";
import { parseIntent } from "../../shared/intents/validate.js";
import { parsePrometheus, sumOf } from "../../services/bench/measure.js";

export interface TappedIntent {
  intent: Intent;
  /** Order of arrival at the tap (NATS delivers in publish order). */
  seq: number;
}

export interface IntentTap {
  readonly seen: TappedIntent[];
  /** Intents published after an intent of the same partition with a newer lease epoch. */
  overlaps(): TappedIntent[];
  /** (partition, epoch) pairs used by more than one holder: two replicas under one lease. */
  sharedLeases(): string[];
  close(): Promise<void>;
}

export async function tapIntents(natsUrls: string): Promise<IntentTap> {
  const nc: NatsConnection = await connect({ servers: natsUrls.split(","), maxReconnectAttempts: -1 });
  const seen: TappedIntent[] = [];
  const sub = nc.subscribe(`${INTENT_SUBJECT_PREFIX}.>`, {
    callback: (err, m) => {
      if (err) return;
      try {
        seen.push({ intent: parseIntent(m.data), seq: seen.length });
      } catch {
        // not an intent: the remover dead-letters it; nothing to check here
      }
    },
  });
  await nc.flush();
  return {
    seen,
    overlaps() {
      const newest = new Map<number, number>();
      const out: TappedIntent[] = [];
      for (const t of seen) {
        const top = newest.get(t.intent.partition) ?? 0;
        if (t.intent.epoch < top) out.push(t);
        else newest.set(t.intent.partition, t.intent.epoch);
      }
      return out;
    },
    sharedLeases() {
      const holders = new Map<string, Set<string>>();
      for (const t of seen) {
        const key = `${t.intent.partition}@${t.intent.epoch}`;
        const set = holders.get(key) ?? new Set<string>();
        set.add(t.intent.holder);
        holders.set(key, set);
      }
      return [...holders].filter(([, h]) => h.size > 1).map(([k, h]) => `${k}: ${[...h].join(", ")}`);
    },
    async close() {
      sub.unsubscribe();
      await nc.close();
    },
  };
}

/** Sum of a metric (optionally filtered by labels) from a service's /metrics; null if it does not answer. */
export async function scrapeMetric(port: number, name: string, where: Record<string, string> = {}): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!res.ok) return null;
    return sumOf(parsePrometheus(await res.text()), name, where);
  } catch {
    return null;
  }
}

/** HTTP status of a service's /readyz, or null if it does not answer. */
export async function readyz(port: number): Promise<number | null> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  } catch {
    return null;
  }
}
