/**
 * What the checker keeps of a Job or a Pod as the API shows it: read once from the raw JSON of a
 * list or a watch event (pure).
 */
import { COMPLETION_INDEX_KEY, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";

export interface JobCondition {
  type: string;
  status: string;
  reason: string;
}

export interface JobState {
  uid: string;
  name: string;
  rv: number;
  managedBy: string | null;
  indexed: boolean;
  completions: number | null;
  parallelism: number | null;
  suspend: boolean;
  backoffLimit: number | null;
  activeDeadlineSeconds: number | null;
  hasPodFailurePolicy: boolean;
  deleting: boolean;
  succeeded: number;
  failed: number;
  uncountedSucceeded: string[];
  uncountedFailed: string[];
  completedIndexes: string;
  conditions: JobCondition[];
  /** Bytes of `status` as JSON. */
  statusBytes: number;
  /** `status` is absent or empty. */
  statusEmpty: boolean;
}

export interface PodState {
  uid: string;
  name: string;
  rv: number;
  /** UID of the controller ownerReference (its Job), or null. */
  jobUid: string | null;
  index: number | null;
  phase: string;
  deleting: boolean;
  hasFinalizer: boolean;
  nodeName: string | null;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : {});
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

export function parseRv(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

export function jobState(raw: unknown): JobState {
  const o = obj(raw);
  const md = obj(o.metadata);
  const spec = obj(o.spec);
  const status = obj(o.status);
  const uncounted = obj(status.uncountedTerminatedPods);
  const statusJson = JSON.stringify(o.status ?? {});
  return {
    uid: str(md.uid) ?? "",
    name: str(md.name) ?? "",
    rv: parseRv(md.resourceVersion),
    managedBy: str(spec.managedBy),
    indexed: spec.completionMode === "Indexed",
    completions: num(spec.completions),
    parallelism: num(spec.parallelism),
    suspend: spec.suspend === true,
    backoffLimit: num(spec.backoffLimit),
    activeDeadlineSeconds: num(spec.activeDeadlineSeconds),
    hasPodFailurePolicy: spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null,
    deleting: md.deletionTimestamp !== undefined && md.deletionTimestamp !== null,
    succeeded: num(status.succeeded) ?? 0,
    failed: num(status.failed) ?? 0,
    uncountedSucceeded: strings(uncounted.succeeded),
    uncountedFailed: strings(uncounted.failed),
    completedIndexes: str(status.completedIndexes) ?? "",
    conditions: (Array.isArray(status.conditions) ? status.conditions : []).map((c) => {
      const x = obj(c);
      return { type: str(x.type) ?? "", status: str(x.status) ?? "", reason: str(x.reason) ?? "" };
    }),
    statusBytes: Buffer.byteLength(statusJson, "utf8"),
    statusEmpty: statusJson === "{}",
  };
}

export function podState(raw: unknown): PodState {
  const o = obj(raw);
  const md = obj(o.metadata);
  const spec = obj(o.spec);
  const status = obj(o.status);
  const owners = Array.isArray(md.ownerReferences) ? md.ownerReferences.map(obj) : [];
  const controller = owners.find((r) => r.controller === true);
  const annotations = obj(md.annotations);
  const labels = obj(md.labels);
  const rawIndex = str(annotations[COMPLETION_INDEX_KEY]) ?? str(labels[COMPLETION_INDEX_KEY]);
  return {
    uid: str(md.uid) ?? "",
    name: str(md.name) ?? "",
    rv: parseRv(md.resourceVersion),
    jobUid: controller ? str(controller.uid) : null,
    index: rawIndex !== null && /^\d+$/.test(rawIndex) ? Number(rawIndex) : null,
    phase: str(status.phase) ?? "Pending",
    deleting: md.deletionTimestamp !== undefined && md.deletionTimestamp !== null,
    hasFinalizer: strings(md.finalizers).includes(JOB_TRACKING_FINALIZER),
    nodeName: str(spec.nodeName),
  };
}

export const isTerminalPhase = (phase: string): boolean => phase === "Succeeded" || phase === "Failed";

/** The Job's Complete or Failed condition (status True), if any. */
export function terminalCondition(s: JobState): JobCondition | null {
  return s.conditions.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True") ?? null;
}

export function hasCondition(s: JobState, type: string): boolean {
  return s.conditions.some((c) => c.type === type && c.status === "True");
}

/** Parses `status.completedIndexes` ("0-3,7"). */
export function parseIndexes(text: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}
