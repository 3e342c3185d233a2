/**
 * batch/v1 Job defaulting and create-time preparation (pkg/apis/batch/v1/defaults.go and
 * pkg/registry/batch/job/strategy.go): generated selector and template labels, counters' defaults,
 * status discarded.
 */
import type { KubeObject } from "../object.js";
import { defaultPodSpec } from "../pods/pod-spec-defaults.js";

export const LABEL_CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
export const LABEL_JOB_NAME = "batch.kubernetes.io/job-name";
export const LEGACY_CONTROLLER_UID = "controller-uid";
export const LEGACY_JOB_NAME = "job-name";

/** Applies defaults to a Job being created; `uid` and `name` are already assigned. */
export function prepareJobForCreate(job: KubeObject): void {
  const spec = (job.spec ??= {});
  const uid = job.metadata.uid as string;
  const name = job.metadata.name as string;
  job.status = {};
  job.metadata.generation = 1;
  defaultJobCompletions(spec);
  spec.parallelism ??= 1;
  // pkg/apis/batch/v1/defaults.go: with backoffLimitPerIndex the Job-wide limit is effectively off.
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2_147_483_647 : 6;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? "Failed" : "TerminatingOrFailed";
  const template = (spec.template ??= {}) as { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> };
  template.metadata ??= {};
  if (spec.manualSelector !== true) generateSelector(spec, template.metadata, uid, name);
  defaultPodSpec((template.spec ??= {}));
}

/**
 * pkg/registry/batch/job/strategy.go `generateSelector` (unless `manualSelector: true`): the
 * template gets the job-name and controller-uid labels (legacy and `batch.kubernetes.io/` forms)
 * where the user did not set them, and the selector gets `batch.kubernetes.io/controller-uid` added
 * to what the user gave. A conflicting user label or a user selector that selects more than the
 * generated labels is then rejected by validation (job-validation.ts `validateJobSelector`), not
 * overwritten.
 */
function generateSelector(spec: Record<string, unknown>, templateMeta: { labels?: Record<string, string> }, uid: string, name: string): void {
  const labels = (templateMeta.labels ??= {});
  for (const key of [LEGACY_JOB_NAME, LABEL_JOB_NAME]) if (!(key in labels)) labels[key] = name;
  for (const key of [LEGACY_CONTROLLER_UID, LABEL_CONTROLLER_UID]) if (!(key in labels)) labels[key] = uid;
  const selector = (spec.selector ??= {}) as { matchLabels?: Record<string, string> };
  const matchLabels = (selector.matchLabels ??= {});
  if (!(LABEL_CONTROLLER_UID in matchLabels)) matchLabels[LABEL_CONTROLLER_UID] = uid;
}

/** `spec.completions` defaults to 1 only when neither completions nor parallelism was given. */
export function defaultJobCompletions(spec: Record<string, unknown>): void {
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
}

/**
 * Job status as the server stores and returns it: zero `active`/`succeeded`/`failed` omitted
 * (omitempty ints), `ready: 0` kept (a pointer), empty uncounted lists dropped (`{}` remains).
 */
export function normalizeJobStatus(status: Record<string, unknown>): void {
  for (const k of ["active", "succeeded", "failed"]) if (status[k] === 0) delete status[k];
  const u = status.uncountedTerminatedPods as Record<string, unknown> | undefined;
  if (u && typeof u === "object") {
    for (const k of ["succeeded", "failed"]) if (Array.isArray(u[k]) && (u[k] as unknown[]).length === 0) delete u[k];
  }
  if (Array.isArray(status.conditions) && status.conditions.length === 0) delete status.conditions;
}
