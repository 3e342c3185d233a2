/**
 * Per-resource behaviour on create and update (the registry "strategies" of kube-apiserver):
 * defaulting, which fields the main resource and the status subresource may change, validation.
 */
import type { FieldError } from "./errors.js";
import { defaultJobCompletions, normalizeJobStatus, prepareJobForCreate } from "./jobs/job-defaults.js";
import { validateJobCreate, validateJobStatusUpdate, validateJobUpdate } from "./jobs/job-validation.js";
import { assertJobDecodes } from "./jobs/job-decode.js";
import { jsonEqual, type KubeObject } from "./object.js";
import { defaultPodSpec } from "./pods/pod-spec-defaults.js";
import { resourceQuotaStrategy } from "./quota.js";

export interface Strategy {
  /** The resource has a status subresource: the main resource ignores status changes. */
  hasStatus: boolean;
  /** metadata.generation is kept and bumped on spec changes. */
  tracksGeneration: boolean;
  prepareForCreate(obj: KubeObject): void;
  validateCreate(obj: KubeObject): FieldError[];
  validateUpdate(next: KubeObject, old: KubeObject): FieldError[];
  validateStatusUpdate(next: KubeObject, old: KubeObject): FieldError[];
  /** Canonical stored form (omitempty fields). */
  normalize(obj: KubeObject): void;
}

const none = (): FieldError[] => [];

function validateContainers(spec: Record<string, unknown> | undefined, base: string): FieldError[] {
  const errs: FieldError[] = [];
  const cs = spec?.containers;
  if (!Array.isArray(cs) || cs.length === 0) return [{ type: "FieldValueRequired", field: `${base}.containers`, detail: "" }];
  cs.forEach((c: { name?: string; image?: string }, i) => {
    if (!c.name) errs.push({ type: "FieldValueRequired", field: `${base}.containers[${i}].name`, detail: "" });
    if (!c.image) errs.push({ type: "FieldValueRequired", field: `${base}.containers[${i}].image`, detail: "" });
  });
  return errs;
}

/** Pod spec fields an update may change (besides container images). */
function podSpecMutableView(spec: Record<string, unknown> | undefined): unknown {
  const s = { ...(spec ?? {}) };
  delete s.activeDeadlineSeconds;
  delete s.tolerations;
  delete s.schedulingGates;
  for (const k of ["containers", "initContainers"]) {
    if (Array.isArray(s[k])) s[k] = (s[k] as Record<string, unknown>[]).map((c) => ({ ...c, image: undefined }));
  }
  return s;
}

const pods: Strategy = {
  hasStatus: true,
  tracksGeneration: false,
  prepareForCreate(obj) {
    defaultPodSpec((obj.spec ??= {}));
    obj.status = { phase: "Pending", qosClass: "BestEffort" };
  },
  validateCreate: (obj) => validateContainers(obj.spec, "spec"),
  validateUpdate(next, old) {
    if (jsonEqual(podSpecMutableView(next.spec), podSpecMutableView(old.spec))) return [];
    return [
      {
        type: "FieldValueForbidden",
        field: "spec",
        detail:
          "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
      },
    ];
  },
  validateStatusUpdate: none,
  normalize() {},
};

const jobs: Strategy = {
  hasStatus: true,
  tracksGeneration: true,
  prepareForCreate(obj) {
    defaultJobCompletions((obj.spec ??= {}));
    prepareJobForCreate(obj);
  },
  // An int32 that does not fit fails decoding (400) before any validation (422).
  validateCreate: (obj) => (assertJobDecodes(obj), validateJobCreate(obj)),
  validateUpdate: (next, old) => (assertJobDecodes(next), validateJobUpdate(next, old)),
  validateStatusUpdate: validateJobStatusUpdate,
  normalize(obj) {
    if (obj.status) normalizeJobStatus(obj.status);
  },
};

const namespaces: Strategy = {
  hasStatus: true,
  tracksGeneration: false,
  prepareForCreate(obj) {
    obj.spec = { finalizers: ["kubernetes"] };
    obj.status = { phase: "Active" };
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), "kubernetes.io/metadata.name": obj.metadata.name as string };
  },
  validateCreate: none,
  validateUpdate: none,
  validateStatusUpdate: none,
  normalize() {},
};

const plain: Strategy = {
  hasStatus: false,
  tracksGeneration: false,
  prepareForCreate() {},
  validateCreate: none,
  validateUpdate: none,
  validateStatusUpdate: none,
  normalize() {},
};

export const STRATEGIES: Record<string, Strategy> = {
  pods,
  "jobs.batch": jobs,
  namespaces,
  events: plain,
  "leases.coordination.k8s.io": plain,
  resourcequotas: resourceQuotaStrategy,
};
