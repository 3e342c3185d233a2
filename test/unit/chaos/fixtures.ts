/** Raw API objects for the chaos checker's table tests: what a list or a watch event carries. */
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";

export const MANAGED_BY = "jobtally.io/controller";

export interface JobFixture {
  uid?: string;
  name?: string;
  rv: number;
  managedBy?: string;
  indexed?: boolean;
  completions?: number;
  backoffLimit?: number;
  podFailurePolicy?: boolean;
  deleting?: boolean;
  succeeded?: number;
  failed?: number;
  uncounted?: { succeeded?: string[]; failed?: string[] };
  completedIndexes?: string;
  conditions?: [type: string, reason?: string][];
  /** Extra status bytes (a status that grew). */
  padding?: number;
  noStatus?: boolean;
}

export function rawJob(f: JobFixture): Record<string, unknown> {
  const status = f.noStatus
    ? undefined
    : {
        succeeded: f.succeeded ?? 0,
        failed: f.failed ?? 0,
        uncountedTerminatedPods: { succeeded: f.uncounted?.succeeded ?? [], failed: f.uncounted?.failed ?? [] },
        ...(f.completedIndexes !== undefined ? { completedIndexes: f.completedIndexes } : {}),
        conditions: (f.conditions ?? []).map(([type, reason]) => ({ type, status: "True", reason: reason ?? "" })),
        ...(f.padding ? { padding: "x".repeat(f.padding) } : {}),
      };
  return {
    metadata: { uid: f.uid ?? "job-uid", name: f.name ?? "job-0", resourceVersion: String(f.rv), ...(f.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: {
      managedBy: f.managedBy ?? MANAGED_BY,
      completions: f.completions ?? 3,
      parallelism: 1,
      completionMode: f.indexed ? "Indexed" : "NonIndexed",
      backoffLimit: f.backoffLimit ?? 6,
      ...(f.podFailurePolicy ? { podFailurePolicy: { rules: [] } } : {}),
    },
    ...(status ? { status } : {}),
  };
}

export interface PodFixture {
  uid: string;
  name?: string;
  rv: number;
  jobUid?: string | null;
  index?: number;
  phase?: string;
  deleting?: boolean;
  finalizer?: boolean;
}

export function rawPod(f: PodFixture): Record<string, unknown> {
  return {
    metadata: {
      uid: f.uid,
      name: f.name ?? `pod-${f.uid}`,
      resourceVersion: String(f.rv),
      finalizers: f.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
      ...(f.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
      ...(f.jobUid === null ? {} : { ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "job-0", uid: f.jobUid ?? "job-uid", controller: true }] }),
      ...(f.index !== undefined ? { annotations: { "batch.kubernetes.io/job-completion-index": String(f.index) } } : {}),
    },
    spec: { nodeName: "node-0" },
    status: { phase: f.phase ?? "Running" },
  };
}
