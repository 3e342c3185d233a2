/**
 * Nothing silently ignored: the parts of a Job's spec jobtally does not honour (yet), each with
 * what it does instead. The counter records one Warning Event (reason `UnsupportedJobField`) and
 * one log line per Job generation that has any, so a Job never quietly runs another way than the
 * in-tree controller would run it.
 */
import type { V1Job } from "@kubernetes/client-node";

export const REASON_UNSUPPORTED_FIELD = "UnsupportedJobField";

/** `spec` fields of batch/v1 Job (1.33) that jobtally implements, or that other controllers act on. */
const KNOWN_SPEC_FIELDS: ReadonlySet<string> = new Set([
  "activeDeadlineSeconds",
  "backoffLimit",
  "backoffLimitPerIndex",
  "completionMode",
  "completions",
  "managedBy",
  "manualSelector",
  "maxFailedIndexes",
  "parallelism",
  "podFailurePolicy",
  "podReplacementPolicy",
  "selector",
  "successPolicy",
  "suspend",
  "template",
  // Acted on by the TTL-after-finished controller, whoever manages the Job.
  "ttlSecondsAfterFinished",
]);

const KNOWN_POD_FAILURE_POLICY_ACTIONS: ReadonlySet<string> = new Set(["FailJob", "FailIndex", "Ignore", "Count"]);

export interface UnsupportedField {
  /** Field path, e.g. `spec.manualSelector`. */
  field: string;
  /** What jobtally does instead. */
  detail: string;
}

/** What the view says about a Job besides the Job itself (`JobView`). */
export interface JobViewFacts {
  /** The watcher's Pod watch does not cover the Job's selector (`JobView.orphansOutsideWatch`). */
  orphansOutsideWatch?: boolean;
}

/** The fields of this Job that jobtally does not honour, with what it does instead; [] when none. */
export function unsupportedJobFields(job: V1Job, facts: JobViewFacts = {}): UnsupportedField[] {
  const spec = (job.spec ?? {}) as unknown as Record<string, unknown>;
  const out: UnsupportedField[] = [];
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined || value === null || KNOWN_SPEC_FIELDS.has(key)) continue;
    out.push({ field: `spec.${key}`, detail: "not implemented by jobtally: the Job runs as if it were unset" });
  }
  if (facts.orphansOutsideWatch === true) {
    out.push({
      field: job.spec?.manualSelector === true ? "spec.manualSelector" : "spec.selector",
      detail:
        "orphan Pods matching spec.selector are adopted only if the watcher sees them, and its Pod watch does not cover this selector (by default it sees only Pods with batch.kubernetes.io/controller-uid; run it with --watch-all-pods)",
    });
  }
  (job.spec?.podFailurePolicy?.rules ?? []).forEach((rule, i) => {
    if (!KNOWN_POD_FAILURE_POLICY_ACTIONS.has(rule.action)) {
      out.push({ field: `spec.podFailurePolicy.rules[${i}].action`, detail: `action "${rule.action}" is unknown to jobtally: the rule never matches (as in-tree skips it)` });
    }
  });
  return out;
}

/** The Warning Event for them, or null when there is nothing to say. */
export function unsupportedFieldsEvent(fields: readonly UnsupportedField[]): { type: "Warning"; reason: string; message: string } | null {
  if (fields.length === 0) return null;
  return { type: "Warning", reason: REASON_UNSUPPORTED_FIELD, message: fields.map((f) => `${f.field}: ${f.detail}`).join("; ") };
}
