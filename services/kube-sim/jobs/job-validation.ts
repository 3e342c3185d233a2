/**
 * batch/v1 Job validation (pkg/apis/batch/validation): create, spec update and status update.
 * Returns field errors; the caller turns them into one 422 Invalid.
 */
import type { FieldError } from "../errors.js";
import { jsonEqual, type KubeObject } from "../object.js";
import { parseIndexIntervals } from "./completed-indexes.js";

interface Condition {
  type?: string;
  status?: string;
}

const specOf = (j: KubeObject): Record<string, unknown> => j.spec ?? {};
const statusOf = (j: KubeObject): Record<string, unknown> => j.status ?? {};

function conditions(j: KubeObject): Condition[] {
  const c = statusOf(j).conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

function hasTrue(j: KubeObject, type: string): boolean {
  return conditions(j).some((c) => c.type === type && c.status === "True");
}

function hasAny(j: KubeObject, type: string): boolean {
  return conditions(j).some((c) => c.type === type);
}

function nonNegative(errs: FieldError[], v: unknown, field: string): void {
  if (typeof v === "number" && v < 0) errs.push({ type: "FieldValueInvalid", field, value: v, detail: "must be greater than or equal to 0" });
}

export function validateJobCreate(job: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = specOf(job);
  for (const f of ["parallelism", "completions", "backoffLimit"]) nonNegative(errs, spec[f], `spec.${f}`);
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === "number" && ads <= 0) errs.push({ type: "FieldValueInvalid", field: "spec.activeDeadlineSeconds", value: ads, detail: "must be greater than 0" });
  if (spec.completionMode !== "NonIndexed" && spec.completionMode !== "Indexed") {
    errs.push({ type: "FieldValueNotSupported", field: "spec.completionMode", value: spec.completionMode, detail: 'supported values: "NonIndexed", "Indexed"' });
  }
  if (spec.completionMode === "Indexed" && spec.completions === undefined) {
    errs.push({ type: "FieldValueRequired", field: "spec.completions", detail: "when completion mode is Indexed" });
  }
  const managedBy = spec.managedBy;
  if (managedBy !== undefined && (typeof managedBy !== "string" || managedBy === "" || managedBy.length > 63)) {
    errs.push({ type: "FieldValueInvalid", field: "spec.managedBy", value: managedBy, detail: "must be a domain-prefixed path of at most 63 characters" });
  }
  const template = spec.template as { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } | undefined;
  const podSpec = template?.spec ?? {};
  const rp = podSpec.restartPolicy;
  if (rp !== "Never" && rp !== "OnFailure") {
    errs.push({ type: "FieldValueNotSupported", field: "spec.template.spec.restartPolicy", value: rp, detail: 'supported values: "OnFailure", "Never"' });
  }
  const containers = podSpec.containers;
  if (!Array.isArray(containers) || containers.length === 0) errs.push({ type: "FieldValueRequired", field: "spec.template.spec.containers", detail: "" });
  else
    containers.forEach((c: { name?: string; image?: string }, i) => {
      if (!c.name) errs.push({ type: "FieldValueRequired", field: `spec.template.spec.containers[${i}].name`, detail: "" });
      if (!c.image) errs.push({ type: "FieldValueRequired", field: `spec.template.spec.containers[${i}].image`, detail: "" });
    });
  if (spec.manualSelector === true) {
    const sel = (spec.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
    if (!sel || Object.keys(sel).length === 0) errs.push({ type: "FieldValueRequired", field: "spec.selector", detail: "" });
    else {
      const labels = template?.metadata?.labels ?? {};
      if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) {
        errs.push({ type: "FieldValueInvalid", field: "spec.template.metadata.labels", value: labels, detail: "`selector` does not match template `labels`" });
      }
    }
  }
  return errs;
}

/** Main-resource update: immutable fields. */
export function validateJobUpdate(next: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const a = specOf(next);
  const b = specOf(old);
  for (const f of ["managedBy", "completions", "selector", "completionMode", "template", "podFailurePolicy", "backoffLimitPerIndex"]) {
    if (!jsonEqual(a[f], b[f])) errs.push({ type: "FieldValueInvalid", field: `spec.${f}`, value: a[f], detail: "field is immutable", omitValue: f === "template" || f === "selector" || f === "podFailurePolicy" });
  }
  for (const f of ["parallelism", "backoffLimit"]) nonNegative(errs, a[f], `spec.${f}`);
  return errs;
}

/** Status update rules (1.26 base plus the 1.32 rules, leniently for the interim conditions). */
export function validateJobStatusUpdate(next: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = statusOf(next);
  const o = statusOf(old);
  for (const f of ["active", "succeeded", "failed", "ready", "terminating"]) nonNegative(errs, s[f], `status.${f}`);
  for (const f of ["succeeded", "failed"]) {
    if (((s[f] as number | undefined) ?? 0) < ((o[f] as number | undefined) ?? 0)) {
      errs.push({ type: "FieldValueInvalid", field: `status.${f}`, value: s[f] ?? 0, detail: `cannot decrease the ${f} counter` });
    }
  }
  const uncounted = (s.uncountedTerminatedPods ?? {}) as { succeeded?: unknown[]; failed?: unknown[] };
  const seen = new Set<string>();
  for (const list of ["succeeded", "failed"] as const) {
    (uncounted[list] ?? []).forEach((uid, i) => {
      const field = `status.uncountedTerminatedPods.${list}[${i}]`;
      if (uid === "" || typeof uid !== "string") errs.push({ type: "FieldValueInvalid", field, value: uid, detail: "must not be empty" });
      else if (seen.has(uid)) errs.push({ type: "FieldValueDuplicate", field, value: uid, detail: "" });
      else seen.add(uid);
    });
  }
  for (const type of ["Complete", "Failed", "FailureTarget", "SuccessCriteriaMet"]) {
    if (hasTrue(old, type) && !hasTrue(next, type)) {
      errs.push({ type: "FieldValueInvalid", field: "status.conditions", omitValue: true, detail: `cannot disable the ${type}=True condition` });
    }
  }
  const complete = hasTrue(next, "Complete");
  const failed = hasTrue(next, "Failed");
  if (complete && failed) {
    errs.push({ type: "FieldValueInvalid", field: "status.conditions", omitValue: true, detail: "cannot set Complete=True and Failed=true conditions" });
  }
  if (complete || failed) {
    if (((s.active as number | undefined) ?? 0) > 0) errs.push({ type: "FieldValueInvalid", field: "status.active", value: s.active, detail: "active>0 is invalid for finished job" });
    if (seen.size > 0) errs.push({ type: "FieldValueInvalid", field: "status.uncountedTerminatedPods", omitValue: true, detail: "cannot set uncountedTerminatedPods for finished job" });
  }
  if (complete && (hasAny(old, "SuccessCriteriaMet") || hasAny(next, "SuccessCriteriaMet")) && !hasTrue(next, "SuccessCriteriaMet")) {
    errs.push({ type: "FieldValueInvalid", field: "status.conditions", omitValue: true, detail: "cannot set Complete=True condition without the SuccessCriteriaMet=True condition" });
  }
  if (failed && (hasAny(old, "FailureTarget") || hasAny(next, "FailureTarget")) && !hasTrue(next, "FailureTarget")) {
    errs.push({ type: "FieldValueInvalid", field: "status.conditions", omitValue: true, detail: "cannot set Failed=True condition without the FailureTarget=True condition" });
  }
  const ct = s.completionTime as string | undefined;
  if (ct !== undefined) {
    if (!complete) errs.push({ type: "FieldValueInvalid", field: "status.completionTime", value: ct, detail: "completionTime can only be set when Job is completed" });
    const oldCt = o.completionTime as string | undefined;
    if (oldCt !== undefined && oldCt !== ct) errs.push({ type: "FieldValueInvalid", field: "status.completionTime", value: ct, detail: "completionTime cannot be mutated" });
    const st = s.startTime as string | undefined;
    if (st !== undefined && Date.parse(ct) < Date.parse(st)) errs.push({ type: "FieldValueInvalid", field: "status.completionTime", value: ct, detail: "completionTime cannot be set before startTime" });
  } else if (o.completionTime !== undefined) {
    errs.push({ type: "FieldValueInvalid", field: "status.completionTime", value: null, detail: "completionTime cannot be mutated" });
  }
  const ci = s.completedIndexes;
  if (ci !== undefined && ci !== "") {
    const spec = specOf(next);
    if (spec.completionMode !== "Indexed") {
      errs.push({ type: "FieldValueInvalid", field: "status.completedIndexes", value: ci, detail: "cannot set non-empty completedIndexes when non-indexed completion mode" });
    } else {
      const parsed = parseIndexIntervals(String(ci));
      if (typeof parsed === "string") errs.push({ type: "FieldValueInvalid", field: "status.completedIndexes", value: ci, detail: parsed });
      else {
        const last = parsed[parsed.length - 1];
        if (last && last.last >= ((spec.completions as number | undefined) ?? 0)) {
          errs.push({ type: "FieldValueInvalid", field: "status.completedIndexes", value: ci, detail: "too large: index must be less than completions" });
        }
      }
    }
  }
  return errs;
}
