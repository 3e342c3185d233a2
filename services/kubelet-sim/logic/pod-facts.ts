/** The few facts about a Pod that the simulated kubelet decides on, read once from a V1Pod. */
import type { V1Pod } from "@kubernetes/client-node";

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

export interface PodFacts {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  nodeName: string | null;
  phase: PodPhase;
  /** metadata.deletionTimestamp is set. */
  deleting: boolean;
  finalizers: string[];
  /** status.startTime, ms since the epoch. */
  startTimeMs: number | null;
  /** Latest container `terminated.finishedAt`, ms since the epoch. */
  finishedAtMs: number | null;
  /** UID of the controller ownerReference (the Job), if any. */
  controllerUID: string | null;
  annotations: Record<string, string>;
  containerNames: string[];
  /** spec.restartPolicy ("Always" when unset, as the API server defaults it). */
  restartPolicy: string;
  /** Sum of the containers' restartCount as last reported. */
  restartCount: number;
  /**
   * Conditions someone else set (DisruptionTarget from preemption or eviction, readiness gates):
   * a kubelet keeps them when it writes its own, so every status it reports carries them.
   */
  foreignConditions: Record<string, unknown>[];
}

/** The conditions this kubelet owns and writes itself. */
export const KUBELET_CONDITIONS: ReadonlySet<string> = new Set(["PodScheduled", "Initialized", "ContainersReady", "Ready", "PodReadyToStartContainers"]);

export const isTerminalPhase = (phase: PodPhase): boolean => phase === "Succeeded" || phase === "Failed";

function timeMs(value: Date | string | undefined | null): number | null {
  if (value === undefined || value === null) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function phaseOf(raw: string | undefined): PodPhase {
  switch (raw) {
    case "Running":
    case "Succeeded":
    case "Failed":
    case "Unknown":
      return raw;
    default:
      return "Pending";
  }
}

export function podFacts(pod: V1Pod): PodFacts {
  const md = pod.metadata ?? {};
  let finishedAtMs: number | null = null;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const t = timeMs(cs.state?.terminated?.finishedAt as Date | string | undefined);
    if (t !== null && (finishedAtMs === null || t > finishedAtMs)) finishedAtMs = t;
  }
  const controller = (md.ownerReferences ?? []).find((o) => o.controller === true);
  return {
    namespace: md.namespace ?? "",
    name: md.name ?? "",
    uid: md.uid ?? "",
    resourceVersion: md.resourceVersion ?? "",
    nodeName: pod.spec?.nodeName ? pod.spec.nodeName : null,
    phase: phaseOf(pod.status?.phase),
    deleting: md.deletionTimestamp !== undefined && md.deletionTimestamp !== null,
    finalizers: [...(md.finalizers ?? [])],
    startTimeMs: timeMs(pod.status?.startTime as Date | string | undefined),
    finishedAtMs,
    controllerUID: controller?.uid ?? null,
    annotations: { ...(md.annotations ?? {}) },
    containerNames: (pod.spec?.containers ?? []).map((c) => c.name),
    restartPolicy: pod.spec?.restartPolicy ?? "Always",
    restartCount: (pod.status?.containerStatuses ?? []).reduce((sum, cs) => sum + (cs.restartCount ?? 0), 0),
    foreignConditions: (pod.status?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type)).map((c) => ({ ...c }) as Record<string, unknown>),
  };
}
