/**
 * client-node's typed objects (Dates, camelCase classes) versus the wire JSON that watches deliver
 * and the view stores. The view holds wire JSON; the typed API needs typed objects.
 */
import type { V1Job } from "@kubernetes/client-node";
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";

/** Typed V1Job (as the API classes return and accept) → wire JSON. */
export function jobToWire(job: V1Job): V1Job {
  return ObjectSerializer.serialize(job, "V1Job", "") as V1Job;
}

/** Wire JSON (from a watch or the view) → typed V1Job. */
export function jobFromWire(raw: unknown): V1Job {
  return ObjectSerializer.deserialize(raw, "V1Job", "") as V1Job;
}
