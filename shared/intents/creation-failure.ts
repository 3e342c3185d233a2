/**
 * Creation failure reports: the finalizer-remover tells the counter that the API server rejected
 * a Pod creation (403 quota, 422, a webhook), so that the counter stops expecting the Pod at once
 * (it is not active) and slows its creations down (services/counter/logic/slow-start.ts), instead
 * of waiting for its expectations timeout. Core NATS, one subject per partition: a lost report only
 * delays the retry until that timeout; a repeated one finds no creation in flight and does nothing.
 */
import { INTENT_VERSION, type IntentLease } from "./intents.js";
import { MalformedIntentError } from "./validate.js";
import { parseJsonObject } from "../wire/json-object.js";

/** Subject prefix: `jobtally.creation-failed.<partition>`. */
export const CREATION_FAILURE_SUBJECT_PREFIX = "jobtally.creation-failed";

export interface CreationFailureReport extends IntentLease {
  kind: "creationFailed";
  /**
   * `rejected`: the API server refused the Pod (slow start follows); `expired`: the intent waited
   * past its `notAfterMs` and was dropped unsent (a backlog: the Pod is simply planned again);
   * `unconfirmed`: a redelivered intent, maybe sent before, found no such Pod and was not carried
   * out again (planned again only if the counter never saw the Pod).
   * @default "rejected" (reports of earlier versions)
   */
  outcome?: "rejected" | "expired" | "unconfirmed";
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
  const r = parseJsonObject(data, "creation failure report", (m) => new MalformedIntentError(m)) as Partial<CreationFailureReport>;
  if (r.kind !== "creationFailed" || r.v !== INTENT_VERSION) throw new MalformedIntentError("not a creation failure report");
  if (!Number.isInteger(r.partition) || (r.partition ?? -1) < 0 || !Number.isInteger(r.epoch)) throw new MalformedIntentError("partition and epoch must be integers");
  if (r.outcome !== undefined && r.outcome !== "rejected" && r.outcome !== "expired" && r.outcome !== "unconfirmed") throw new MalformedIntentError(`unknown outcome "${String(r.outcome)}"`);
  for (const k of ["jobUID", "namespace", "jobName", "podName", "holder"] as const) {
    if (typeof r[k] !== "string" || r[k] === "") throw new MalformedIntentError(`field "${k}" must be a non-empty string`);
  }
  return r as CreationFailureReport;
}
