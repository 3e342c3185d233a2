/**
 * Jobs as the counter holds them: the wire JSON the view stores and the API server sends (times as
 * RFC 3339 strings, although client-node's types say `Date`; services/counter/logic reads both).
 * client-node's ObjectSerializer is not used: it costs ~30 MiB to load and walks every object.
 */
import type { V1Job } from "@kubernetes/client-node";

/** A V1Job that may hold `Date`s (built in code, or from client-node's typed API) → wire JSON. */
export function jobToWire(job: V1Job): V1Job {
  return JSON.parse(JSON.stringify(job)) as V1Job;
}

/** Wire JSON (from a watch, the view or a light client) → V1Job: the same object, typed. */
export function jobFromWire(raw: unknown): V1Job {
  return raw as V1Job;
}
