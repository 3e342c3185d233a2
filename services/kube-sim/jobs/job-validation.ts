/**
 * batch/v1 Job validation (pkg/apis/batch/validation): create, spec update and status update.
 * Returns field errors; the caller turns them into one 422 Invalid.
 */
import type { V1LabelSelector } from "@kubernetes/client-node";
import type { FieldError } from "../errors.js";
import { jsonEqual, type KubeObject } from "../object.js";
import { parseIndexIntervals, validateIndexesFormat } from "./completed-indexes.js";
import { LABEL_CONTROLLER_UID, LABEL_JOB_NAME, LEGACY_CONTROLLER_UID, LEGACY_JOB_NAME } from "./job-defaults.js";
import { matchesLabelSelector } from "../../../shared/kube/label-selector.js";

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
  errs.push(...validateBackoffLimitPerIndex(spec));
  if (present(spec.successPolicy)) {
    if (spec.completionMode !== "Indexed") {
      errs.push({ type: "FieldValueInvalid", field: "spec.successPolicy", value: spec.successPolicy, detail: "requires indexed completion mode" });
    } else {
      errs.push(...validateSuccessPolicy(spec));
    }
  }
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
  if (spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null && rp === "OnFailure") {
    errs.push({ type: "FieldValueInvalid", field: "spec.template.spec.restartPolicy", value: rp, detail: 'only "Never" is supported when podFailurePolicy is specified' });
  }
  errs.push(...validatePodReplacementPolicy(spec));
  if (spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null) errs.push(...validatePodFailurePolicy(spec, podSpec));
  const containers = podSpec.containers;
  if (!Array.isArray(containers) || containers.length === 0) errs.push({ type: "FieldValueRequired", field: "spec.template.spec.containers", detail: "" });
  else
    containers.forEach((c: { name?: string; image?: string }, i) => {
      if (!c.name) errs.push({ type: "FieldValueRequired", field: `spec.template.spec.containers[${i}].name`, detail: "" });
      if (!c.image) errs.push({ type: "FieldValueRequired", field: `spec.template.spec.containers[${i}].image`, detail: "" });
    });
  errs.push(...validateJobSelector(job));
  return errs;
}

/**
 * `ValidateGeneratedSelector` (unless `manualSelector: true`: the template carries the generated
 * labels with the Job's values, and the selector selects nothing the generated labels do not
 * carry) and the selector part of `ValidateJobSpec` (a selector is required and must match the
 * template's labels, manual or not; matchExpressions included).
 */
function validateJobSelector(job: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = specOf(job);
  const labels = (spec.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels ?? {};
  const selector = spec.selector as V1LabelSelector | undefined | null;
  if (spec.manualSelector !== true && selector) {
    const uid = String(job.metadata.uid ?? "");
    const name = String(job.metadata.name ?? "");
    const expected: Record<string, string> = { [LEGACY_CONTROLLER_UID]: uid, [LEGACY_JOB_NAME]: name, [LABEL_CONTROLLER_UID]: uid, [LABEL_JOB_NAME]: name };
    for (const [key, value] of Object.entries(expected)) {
      const field = `spec.template.metadata.labels[${key}]`;
      if (!(key in labels)) errs.push({ type: "FieldValueRequired", field, detail: value });
      else if (labels[key] !== value) errs.push({ type: "FieldValueInvalid", field, value: labels, detail: `must be '${value}'` });
    }
    if (!matchesLabelSelector(selector, expected)) errs.push({ type: "FieldValueInvalid", field: "spec.selector", value: selector, detail: "`selector` not auto-generated" });
  }
  if (!selector) errs.push({ type: "FieldValueRequired", field: "spec.selector", detail: "" });
  else if (!matchesLabelSelector(selector, labels)) {
    errs.push({ type: "FieldValueInvalid", field: "spec.template.metadata.labels", value: labels, detail: "`selector` does not match template `labels`" });
  }
  return errs;
}

/** `validateJobSpec` (1.33): backoffLimitPerIndex and maxFailedIndexes. */
const MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;

const present = (v: unknown): boolean => v !== undefined && v !== null;

function validateBackoffLimitPerIndex(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const perIndex = spec.backoffLimitPerIndex;
  const maxFailed = spec.maxFailedIndexes;
  const completions = spec.completions;
  const parallelism = spec.parallelism;
  nonNegative(errs, perIndex, "spec.backoffLimitPerIndex");
  if (present(maxFailed)) {
    nonNegative(errs, maxFailed, "spec.maxFailedIndexes");
    if (!present(perIndex)) errs.push({ type: "FieldValueRequired", field: "spec.backoffLimitPerIndex", detail: "when maxFailedIndexes is specified" });
  }
  if (spec.completionMode === "Indexed") {
    if (typeof completions === "number" && typeof maxFailed === "number" && maxFailed > completions) {
      errs.push({ type: "FieldValueInvalid", field: "spec.maxFailedIndexes", value: maxFailed, detail: "must be less than or equal to completions" });
    }
    if (typeof maxFailed === "number" && maxFailed > MAX_FAILED_INDEXES_FOR_INDEXED_JOB) {
      errs.push({ type: "FieldValueInvalid", field: "spec.maxFailedIndexes", value: maxFailed, detail: `must be less than or equal to ${MAX_FAILED_INDEXES_FOR_INDEXED_JOB}` });
    }
    if (typeof completions === "number" && completions > COMPLETIONS_SOFT_LIMIT && present(perIndex)) {
      if (!present(maxFailed)) errs.push({ type: "FieldValueRequired", field: "spec.maxFailedIndexes", detail: `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}` });
      if (typeof parallelism === "number" && parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS) {
        errs.push({
          type: "FieldValueInvalid",
          field: "spec.parallelism",
          value: parallelism,
          detail: `must be less than or equal to ${PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`,
        });
      }
      if (typeof maxFailed === "number" && maxFailed > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS) {
        errs.push({
          type: "FieldValueInvalid",
          field: "spec.maxFailedIndexes",
          value: maxFailed,
          detail: `must be less than or equal to ${MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`,
        });
      }
    }
  } else {
    if (present(perIndex)) errs.push({ type: "FieldValueInvalid", field: "spec.backoffLimitPerIndex", value: perIndex, detail: "requires indexed completion mode" });
    if (present(maxFailed)) errs.push({ type: "FieldValueInvalid", field: "spec.maxFailedIndexes", value: maxFailed, detail: "requires indexed completion mode" });
  }
  return errs;
}

const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;

/** `validateSuccessPolicy` / `validateSuccessPolicyRule` (1.33). */
function validateSuccessPolicy(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const policy = isObject(spec.successPolicy) ? spec.successPolicy : {};
  const rules = Array.isArray(policy.rules) ? (policy.rules as unknown[]) : [];
  const rulesPath = "spec.successPolicy.rules";
  if (rules.length === 0) errs.push({ type: "FieldValueRequired", field: rulesPath, detail: "at least one rules must be specified when the successPolicy is specified" });
  if (rules.length > MAX_SUCCESS_POLICY_RULES) errs.push(tooMany(rulesPath, rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = typeof spec.completions === "number" ? spec.completions : 0;
  rules.forEach((raw, i) => {
    const path = `${rulesPath}[${i}]`;
    const rule = isObject(raw) ? raw : {};
    const indexes = rule.succeededIndexes;
    const count = rule.succeededCount;
    if (!present(indexes) && !present(count)) errs.push({ type: "FieldValueRequired", field: path, detail: "at least one of succeededCount or succeededIndexes must be specified" });
    let total = 0;
    if (present(indexes)) {
      const text = String(indexes);
      if (text.length > MAX_SUCCEEDED_INDEXES_LENGTH) {
        errs.push({ type: "FieldValueInvalid", field: `${path}.succeededIndexes`, omitValue: true, detail: `may not be more than ${MAX_SUCCEEDED_INDEXES_LENGTH} bytes` });
      }
      const parsed = validateIndexesFormat(text, completions);
      if ("error" in parsed) errs.push({ type: "FieldValueInvalid", field: `${path}.succeededIndexes`, value: text, detail: `error parsing succeededIndexes: ${parsed.error}` });
      else total = parsed.total;
    }
    if (typeof count === "number") {
      nonNegative(errs, count, `${path}.succeededCount`);
      if (count > completions) {
        errs.push({ type: "FieldValueInvalid", field: `${path}.succeededCount`, value: count, detail: `must be less than or equal to ${completions} (the number of specified completions)` });
      }
      if (present(indexes) && count > total) {
        errs.push({
          type: "FieldValueInvalid",
          field: `${path}.succeededCount`,
          value: count,
          detail: `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`,
        });
      }
    }
  });
  return errs;
}

const POD_FAILURE_POLICY_ACTIONS = ["Count", "FailIndex", "FailJob", "Ignore"];
const ON_EXIT_CODES_OPERATORS = ["In", "NotIn"];
const ON_POD_CONDITIONS_STATUSES = ["False", "True", "Unknown"];
const MAX_RULES = 20;
const MAX_EXIT_CODE_VALUES = 255;
const MAX_CONDITION_PATTERNS = 20;

/** Go's `%q` of a string list: `["a" "b"]`. */
const quotedList = (values: readonly string[]): string => `[${values.map((v) => JSON.stringify(v)).join(" ")}]`;
/** `field.NotSupported`'s detail: `supported values: "a", "b"`. */
const supported = (values: readonly string[]): string => `supported values: ${values.map((v) => JSON.stringify(v)).join(", ")}`;
/** `field.TooMany` has no FieldError type of its own here: reported as Invalid with its detail. */
const tooMany = (field: string, actual: number, max: number): FieldError => ({ type: "FieldValueInvalid", field, value: actual, detail: `must have at most ${max} items` });

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** `validatePodReplacementPolicy`: with a podFailurePolicy only "Failed" is allowed. */
function validatePodReplacementPolicy(spec: Record<string, unknown>): FieldError[] {
  const prp = spec.podReplacementPolicy;
  if (prp === undefined || prp === null) return [];
  const field = "spec.podReplacementPolicy";
  if (spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null) {
    return prp === "Failed" ? [] : [{ type: "FieldValueNotSupported", field, value: prp, detail: supported(["Failed"]) }];
  }
  return prp === "Failed" || prp === "TerminatingOrFailed" ? [] : [{ type: "FieldValueNotSupported", field, value: prp, detail: supported(["Failed", "TerminatingOrFailed"]) }];
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery `IsQualifiedName`: `[prefix/]name`, the messages of the first problem found. */
function qualifiedNameProblems(value: string): string[] {
  const parts = value.split("/");
  let name = value;
  const problems: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (prefix.length === 0) problems.push("prefix part must be non-empty");
    else if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      problems.push(
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      );
    }
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) problems.push("name part must be non-empty");
  else if (name.length > 63) problems.push("name part must be no more than 63 characters");
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) {
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return problems;
}

/** `validatePodFailurePolicy` and its rules (pkg/apis/batch/validation, 1.33). */
function validatePodFailurePolicy(spec: Record<string, unknown>, podSpec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const policy = spec.podFailurePolicy;
  const rulesPath = "spec.podFailurePolicy.rules";
  const rules = isObject(policy) && Array.isArray(policy.rules) ? (policy.rules as unknown[]) : [];
  if (rules.length > MAX_RULES) errs.push(tooMany(rulesPath, rules.length, MAX_RULES));
  const names = new Set<string>();
  for (const list of [podSpec.containers, podSpec.initContainers]) {
    if (Array.isArray(list)) for (const c of list as { name?: unknown }[]) if (typeof c?.name === "string") names.add(c.name);
  }
  rules.forEach((raw, i) => {
    const path = `${rulesPath}[${i}]`;
    const rule = isObject(raw) ? raw : {};
    const action = rule.action;
    if (action === undefined || action === "") {
      errs.push({ type: "FieldValueRequired", field: `${path}.action`, detail: `valid values: ${quotedList(POD_FAILURE_POLICY_ACTIONS)}` });
    } else if (action === "FailIndex") {
      if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) {
        errs.push({ type: "FieldValueInvalid", field: `${path}.action`, value: action, detail: "requires the backoffLimitPerIndex to be set" });
      }
    } else if (typeof action !== "string" || !POD_FAILURE_POLICY_ACTIONS.includes(action)) {
      errs.push({ type: "FieldValueNotSupported", field: `${path}.action`, value: action, detail: supported(POD_FAILURE_POLICY_ACTIONS) });
    }
    const onExitCodes = rule.onExitCodes;
    const hasExitCodes = onExitCodes !== undefined && onExitCodes !== null;
    const patterns = Array.isArray(rule.onPodConditions) ? (rule.onPodConditions as unknown[]) : [];
    if (hasExitCodes) errs.push(...validateOnExitCodes(isObject(onExitCodes) ? onExitCodes : {}, `${path}.onExitCodes`, names));
    if (patterns.length > 0) errs.push(...validateOnPodConditions(patterns, `${path}.onPodConditions`));
    if (hasExitCodes && patterns.length > 0) {
      errs.push({ type: "FieldValueInvalid", field: path, omitValue: true, detail: "specifying both OnExitCodes and OnPodConditions is not supported" });
    }
    if (!hasExitCodes && patterns.length === 0) {
      errs.push({ type: "FieldValueInvalid", field: path, omitValue: true, detail: "specifying one of OnExitCodes and OnPodConditions is required" });
    }
  });
  return errs;
}

function validateOnExitCodes(req: Record<string, unknown>, path: string, containerNames: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  const operator = req.operator;
  if (operator === undefined || operator === "") {
    errs.push({ type: "FieldValueRequired", field: `${path}.operator`, detail: `valid values: ${quotedList(ON_EXIT_CODES_OPERATORS)}` });
  } else if (typeof operator !== "string" || !ON_EXIT_CODES_OPERATORS.includes(operator)) {
    errs.push({ type: "FieldValueNotSupported", field: `${path}.operator`, value: operator, detail: supported(ON_EXIT_CODES_OPERATORS) });
  }
  const containerName = req.containerName;
  if (containerName !== undefined && containerName !== null && (typeof containerName !== "string" || !containerNames.has(containerName))) {
    errs.push({ type: "FieldValueInvalid", field: `${path}.containerName`, value: containerName, detail: "must be one of the container or initContainer names in the pod template" });
  }
  const valuesPath = `${path}.values`;
  const values = Array.isArray(req.values) ? (req.values as unknown[]) : [];
  if (values.length === 0) errs.push({ type: "FieldValueInvalid", field: valuesPath, value: values, detail: "at least one value is required" });
  else if (values.length > MAX_EXIT_CODE_VALUES) errs.push(tooMany(valuesPath, values.length, MAX_EXIT_CODE_VALUES));
  let ordered = true;
  const seen = new Set<unknown>();
  values.forEach((v, j) => {
    if (operator === "In" && v === 0) errs.push({ type: "FieldValueInvalid", field: `${valuesPath}[${j}]`, value: v, detail: "must not be 0 for the In operator" });
    if (seen.has(v)) errs.push({ type: "FieldValueDuplicate", field: `${valuesPath}[${j}]`, value: v, detail: "" });
    else seen.add(v);
    const prev = values[j - 1];
    if (j > 0 && typeof prev === "number" && typeof v === "number" && prev > v) ordered = false;
  });
  if (!ordered) errs.push({ type: "FieldValueInvalid", field: valuesPath, value: values, detail: "must be ordered" });
  return errs;
}

function validateOnPodConditions(patterns: readonly unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (patterns.length > MAX_CONDITION_PATTERNS) errs.push(tooMany(path, patterns.length, MAX_CONDITION_PATTERNS));
  patterns.forEach((raw, j) => {
    const pattern = isObject(raw) ? raw : {};
    const type = typeof pattern.type === "string" ? pattern.type : "";
    for (const problem of qualifiedNameProblems(type)) errs.push({ type: "FieldValueInvalid", field: `${path}[${j}].type`, value: type, detail: problem });
    const status = pattern.status;
    if (status === undefined || status === "") {
      errs.push({ type: "FieldValueRequired", field: `${path}[${j}].status`, detail: `valid values: ${quotedList(ON_POD_CONDITIONS_STATUSES)}` });
    } else if (typeof status !== "string" || !ON_POD_CONDITIONS_STATUSES.includes(status)) {
      errs.push({ type: "FieldValueNotSupported", field: `${path}[${j}].status`, value: status, detail: supported(ON_POD_CONDITIONS_STATUSES) });
    }
  });
  return errs;
}

/**
 * `validateCompletions` (1.27+, ElasticIndexedJob): `completions` is immutable, except on an
 * Indexed Job where it may change together with `parallelism` (to the same value).
 */
function validateCompletionsUpdate(next: Record<string, unknown>, old: Record<string, unknown>): FieldError[] {
  if (jsonEqual(next.completions, old.completions)) return [];
  if (next.completionMode !== "Indexed") return [{ type: "FieldValueInvalid", field: "spec.completions", value: next.completions, detail: "field is immutable" }];
  // Indexed Jobs cannot set completions to nil (reported by the spec validation).
  if (next.completions === undefined || next.completions === null) return [];
  if (next.completions !== next.parallelism) {
    return [{ type: "FieldValueInvalid", field: "spec.completions", value: next.completions, detail: "can only be modified in tandem with spec.parallelism" }];
  }
  return [];
}

/** Main-resource update: immutable fields. */
export function validateJobUpdate(next: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const a = specOf(next);
  const b = specOf(old);
  errs.push(...validateCompletionsUpdate(a, b));
  for (const f of ["managedBy", "selector", "completionMode", "template", "podFailurePolicy", "backoffLimitPerIndex", "successPolicy"]) {
    if (!jsonEqual(a[f], b[f])) errs.push({ type: "FieldValueInvalid", field: `spec.${f}`, value: a[f], detail: "field is immutable", omitValue: f === "template" || f === "selector" || f === "podFailurePolicy" || f === "successPolicy" });
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
  // strategy.go: "We allow to decrease the counter for succeeded pods for jobs which have equal
  // parallelism and completions, as they can be scaled-down" (Indexed only).
  const nextSpec = specOf(next);
  const scalable = nextSpec.completionMode === "Indexed" && nextSpec.completions === nextSpec.parallelism;
  for (const f of scalable ? ["failed"] : ["succeeded", "failed"]) {
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
  const scm = hasTrue(next, "SuccessCriteriaMet");
  if (scm && failed) errs.push({ type: "FieldValueInvalid", field: "status.conditions", omitValue: true, detail: "cannot set SuccessCriteriaMet=True and Failed=true conditions" });
  if (scm && hasTrue(next, "FailureTarget")) {
    errs.push({ type: "FieldValueInvalid", field: "status.conditions", omitValue: true, detail: "cannot set SuccessCriteriaMet=True and FailureTarget=true conditions" });
  }
  const fi = s.failedIndexes;
  if (fi !== undefined && fi !== null) {
    const spec = specOf(next);
    if (!present(spec.backoffLimitPerIndex)) {
      errs.push({ type: "FieldValueInvalid", field: "status.failedIndexes", value: fi, detail: "cannot set non-null failedIndexes when backoffLimitPerIndex is null" });
    } else {
      const parsed = validateIndexesFormat(String(fi), (spec.completions as number | undefined) ?? 0);
      if ("error" in parsed) errs.push({ type: "FieldValueInvalid", field: "status.failedIndexes", value: fi, detail: `error parsing failedIndexes: ${parsed.error}` });
    }
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
