/**
 * Projection of API objects into view records: what the watcher publishes. Pure functions.
 * Only tracking-relevant fields are kept, so status noise (probe timestamps, IPs) never becomes a
 * message, and `samePodState` lets the watcher skip publishing when nothing that matters changed.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { BUILTIN_JOB_CONTROLLER, COMPLETION_INDEX_KEY, INDEX_FAILURE_COUNT_KEY, INDEX_IGNORED_FAILURE_COUNT_KEY, JOB_TRACKING_FINALIZER } from "../constants.js";
import type { ContainerExitCode, JobView, PodConditionView, PodPhase, PodView } from "./records.js";
import { VIEW_RECORD_VERSION } from "./records.js";

const PHASES: ReadonlySet<string> = new Set(["Pending", "Running", "Succeeded", "Failed", "Unknown"]);

function iso(t: Date | string | undefined | null): string | null {
  if (t === undefined || t === null) return null;
  return t instanceof Date ? t.toISOString() : String(t);
}

/** UID of the controlling Job (ownerReference with controller=true and kind Job), or null. */
export function controllerJobUID(pod: V1Pod): string | null {
  for (const ref of pod.metadata?.ownerReferences ?? []) {
    if (ref.controller && ref.kind === "Job" && ref.apiVersion.startsWith("batch/")) return ref.uid;
  }
  return null;
}

/** The Pod has no controller at all: no ownerReference with `controller: true`, of any kind. */
export function hasNoController(pod: V1Pod): boolean {
  return !(pod.metadata?.ownerReferences ?? []).some((r) => r.controller === true);
}

export function hasTrackingFinalizer(pod: V1Pod): boolean {
  return (pod.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

/** Completion index from the annotation (the label is a copy), or null when absent/invalid. */
export function completionIndexOf(pod: V1Pod): number | null {
  const raw = pod.metadata?.annotations?.[COMPLETION_INDEX_KEY] ?? pod.metadata?.labels?.[COMPLETION_INDEX_KEY];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** Latest container finishedAt of a terminal Pod (in-tree `getFinishedTime` falls back the same way). */
function finishedAtOf(pod: V1Pod): string | null {
  const phase = pod.status?.phase;
  if (phase !== "Succeeded" && phase !== "Failed") return null;
  let latest: string | null = null;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const t = iso(cs.state?.terminated?.finishedAt);
    if (t !== null && (latest === null || t > latest)) latest = t;
  }
  return latest;
}

/**
 * Non-zero exit codes of terminated containers, regular before init containers: the order in-tree
 * `matchOnExitCodes` looks at them, so the first match is the same container.
 */
export function containerExitCodesOf(pod: V1Pod): ContainerExitCode[] {
  const result: ContainerExitCode[] = [];
  for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const code = cs.state?.terminated?.exitCode;
    if (typeof code === "number" && code !== 0) result.push({ name: cs.name, exitCode: code });
  }
  return result;
}

/** The kubelet's lifecycle conditions: they change with every Pod start, and matter only once it failed. */
const LIFECYCLE_CONDITIONS: ReadonlySet<string> = new Set(["PodScheduled", "Initialized", "ContainersReady", "Ready", "PodReadyToStartContainers"]);

/** Conditions `onPodConditions` rules can match (see `PodView.conditions`). */
export function policyConditionsOf(pod: V1Pod): PodConditionView[] {
  // A rule is matched only against a Pod counted as failed: Failed, or deleted while the Job fails.
  const phase = pod.status?.phase;
  const settled = phase === "Failed" || (phase !== "Succeeded" && Boolean(pod.metadata?.deletionTimestamp));
  return (pod.status?.conditions ?? [])
    .filter((c) => settled || !LIFECYCLE_CONDITIONS.has(c.type))
    .map((c) => ({ type: c.type, status: c.status }));
}

/** Sum of container restart counts, init containers included (in-tree `pastBackoffLimitOnFailure`). */
export function restartCountOf(pod: V1Pod): number {
  let total = 0;
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) total += cs.restartCount ?? 0;
  return total;
}

/** In-tree `parseInt32` of the index failure count annotations: anything unusable reads as 0. */
export function indexFailureCountOf(pod: V1Pod, key: string): number {
  const raw = pod.metadata?.annotations?.[key];
  if (raw === undefined || !/^[+-]?\d+$/.test(raw)) return 0;
  const n = Number(raw);
  return n < 0 || n > 2_147_483_647 ? 0 : n;
}

export function podViewOf(pod: V1Pod): PodView {
  const md = pod.metadata ?? {};
  const phase = pod.status?.phase ?? "Pending";
  const exitCodes = containerExitCodesOf(pod);
  const conditions = policyConditionsOf(pod);
  const restarts = restartCountOf(pod);
  const indexFailures = indexFailureCountOf(pod, INDEX_FAILURE_COUNT_KEY);
  const indexIgnored = indexFailureCountOf(pod, INDEX_IGNORED_FAILURE_COUNT_KEY);
  const grace = md.deletionTimestamp ? (md.deletionGracePeriodSeconds ?? 0) : 0;
  return {
    v: VIEW_RECORD_VERSION,
    kind: "pod",
    uid: md.uid ?? "",
    name: md.name ?? "",
    namespace: md.namespace ?? "",
    jobUID: controllerJobUID(pod),
    resourceVersion: md.resourceVersion ?? "0",
    phase: (PHASES.has(phase) ? phase : "Unknown") as PodPhase,
    hasFinalizer: hasTrackingFinalizer(pod),
    deletionTimestamp: iso(md.deletionTimestamp),
    gone: false,
    ready: isReady(pod),
    completionIndex: completionIndexOf(pod),
    creationTimestamp: iso(md.creationTimestamp),
    finishedAt: finishedAtOf(pod),
    // Left out when empty, so the records of ordinary Pods stay as small as they were.
    ...(exitCodes.length > 0 ? { containerExitCodes: exitCodes } : {}),
    ...(conditions.length > 0 ? { conditions } : {}),
    ...(restarts > 0 ? { restartCount: restarts } : {}),
    ...(grace > 0 ? { deletionGracePeriodSeconds: grace } : {}),
    ...(indexFailures > 0 ? { indexFailureCount: indexFailures } : {}),
    ...(indexIgnored > 0 ? { indexIgnoredFailureCount: indexIgnored } : {}),
  };
}

/**
 * The tombstone of a Pod that no longer exists. A DELETED event carries the last stored object,
 * finalizers and all, so its finalizer list must not be read as "still held": gone means gone.
 */
export function podTombstone(last: PodView, resourceVersion: string): PodView {
  return { ...last, resourceVersion, gone: true, hasFinalizer: false };
}

/**
 * The record filed under `jobUID` for a Pod that left that Job but still exists (see
 * `PodView.departed`): gone to that Job, with the Pod's current state otherwise.
 */
export function departedRecord(current: PodView, jobUID: string | null, releaseFinalizer: boolean): PodView {
  const { adoptionCandidate: _candidate, ...rest } = current;
  return { ...rest, jobUID, gone: true, hasFinalizer: false, departed: { releaseFinalizer } };
}

/** The record of an orphan filed under `jobUID`, the managed Job that may adopt it (see `PodView.adoptionCandidate`). */
export function adoptionCandidateRecord(current: PodView, jobUID: string): PodView {
  return { ...current, jobUID, adoptionCandidate: true };
}

/** Equal in everything that matters for tracking (resourceVersion aside). */
export function samePodState(a: PodView, b: PodView): boolean {
  return (
    a.phase === b.phase &&
    a.hasFinalizer === b.hasFinalizer &&
    a.deletionTimestamp === b.deletionTimestamp &&
    (a.deletionGracePeriodSeconds ?? 0) === (b.deletionGracePeriodSeconds ?? 0) &&
    a.gone === b.gone &&
    a.ready === b.ready &&
    a.jobUID === b.jobUID &&
    (a.adoptionCandidate ?? false) === (b.adoptionCandidate ?? false) &&
    a.completionIndex === b.completionIndex &&
    a.finishedAt === b.finishedAt &&
    (a.restartCount ?? 0) === (b.restartCount ?? 0) &&
    (a.indexFailureCount ?? 0) === (b.indexFailureCount ?? 0) &&
    (a.indexIgnoredFailureCount ?? 0) === (b.indexIgnoredFailureCount ?? 0) &&
    samePairs(a.containerExitCodes, b.containerExitCodes, (x, y) => x.name === y.name && x.exitCode === y.exitCode) &&
    samePairs(a.conditions, b.conditions, (x, y) => x.type === y.type && x.status === y.status)
  );
}

function samePairs<T>(a: readonly T[] | undefined, b: readonly T[] | undefined, same: (x: T, y: T) => boolean): boolean {
  const xs = a ?? [];
  const ys = b ?? [];
  return xs.length === ys.length && xs.every((x, i) => same(x, ys[i] as T));
}

export function jobViewOf(job: V1Job): JobView {
  const md = job.metadata ?? {};
  return {
    v: VIEW_RECORD_VERSION,
    kind: "job",
    uid: md.uid ?? "",
    name: md.name ?? "",
    namespace: md.namespace ?? "",
    resourceVersion: md.resourceVersion ?? "0",
    gone: false,
    job,
  };
}

export function jobTombstone(last: Pick<JobView, "uid" | "name" | "namespace">, resourceVersion: string): JobView {
  return { v: VIEW_RECORD_VERSION, kind: "job", uid: last.uid, name: last.name, namespace: last.namespace, resourceVersion, gone: true, job: null };
}

export interface ManagementPolicy {
  managedBy: string;
  manageAllJobs: boolean;
}

/**
 * Does jobtally manage this Job? `spec.managedBy` equal to ours; or, with manage-all, every Job
 * not claimed by another external controller (unset or the built-in value).
 */
export function isManagedJob(job: V1Job, policy: ManagementPolicy): boolean {
  const mb = job.spec?.managedBy;
  if (mb === policy.managedBy) return true;
  if (!policy.manageAllJobs) return false;
  return mb === undefined || mb === null || mb === "" || mb === BUILTIN_JOB_CONTROLLER;
}
