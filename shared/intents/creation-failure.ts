/**
 * Creation failure reports: the finalizer-remover tells the counter that the API server rejected
 * a Pod creation (403 quota, 422, a webhook), so that the counter stops expecting the Pod at once
 * (it is not active) and slows its creations down (services/counter/logic/slow-start.ts), instead
 * of waiting for its expectations timeout. Core NATS, one subject per partition: a lost report only
 * delays the retry until that timeout; a repeated one finds no creation in flight and does nothing.
 */
import { INTENT_VERSION, type IntentLease } from "./intents.js";
import { MalformedIntentError } from "./validate.js";

/** Subject prefix: `jobtally.creation-failed.<partition>`. */
export const CREATION_FAILURE_SUBJECT_PREFIX = "jobtally.creation-failed";

export interface CreationFailureReport extends IntentLease {
  kind: "creationFailed";
  jobUID: string;
  namespace: string;
  jobName: string;
  /** The `metadata.name` of the Pod the rejected intent meant to create. */
  podName: string;
  /** HTTP code and metav1.Status reason and message of the rejection. */
  code: number | null;
  reason: string | null;
  message: string;
}

export function creationFailureSubject(partition: number): string {
  return `${CREATION_FAILURE_SUBJECT_PREFIX}.${partition}`;
}

export function parseCreationFailureReport(data: Uint8Array | string): CreationFailureReport {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
  } catch (err) {
    throw new MalformedIntentError(`not JSON: ${(err as Error).message}`);
  }
  const r = raw as Partial<CreationFailureReport> | null;
  if (typeof r !== "object" || r === null || r.kind !== "creationFailed" || r.v !== INTENT_VERSION) throw new MalformedIntentError("not a creation failure report");
  if (!Number.isInteger(r.partition) || (r.partition ?? -1) < 0 || !Number.isInteger(r.epoch)) throw new MalformedIntentError("partition and epoch must be integers");
  for (const k of ["jobUID", "namespace", "jobName", "podName", "holder"] as const) {
    if (typeof r[k] !== "string" || r[k] === "") throw new MalformedIntentError(`field "${k}" must be a non-empty string`);
  }
  return r as CreationFailureReport;
}
