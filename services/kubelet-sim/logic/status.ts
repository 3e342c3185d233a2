/**
 * The status a kubelet reports at each step, as JSON merge patches of the status subresource.
 * A merge patch replaces the condition and container lists whole, so each patch states the full
 * truth and does not depend on what was there; `metadata.uid` makes it apply only to the Pod
 * it was computed for (a Pod recreated under the same name is another Pod).
 */
import type { PodFacts } from "./pod-facts.js";
import type { FailureCondition } from "./behaviour.js";
import { fnv1a32 } from "../../../shared/partition.js";

/** Exit code and reason of a container killed because its Pod was deleted (SIGKILL after grace). */
export const KILLED_EXIT_CODE = 137;
export const KILLED_REASON = "Error";

export interface StatusPatch {
  metadata: { uid: string };
  status: Record<string, unknown>;
}

/** RFC 3339 with second precision, as the API server stores metav1.Time. */
export function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A stable fake Pod IP in 10.244.0.0/16 derived from the Pod UID. */
export function podIPFor(uid: string): string {
  const h = fnv1a32(uid);
  return `10.244.${(h >>> 8) & 0xff}.${(h & 0xfe) + 1}`;
}

/** A stable fake node IP in 172.18.0.0/16 derived from the node name. */
export function hostIPFor(nodeName: string): string {
  const h = fnv1a32(nodeName);
  return `172.18.${(h >>> 8) & 0xff}.${(h & 0xfe) + 1}`;
}

function condition(type: string, status: "True" | "False", at: string, reason?: string): Record<string, unknown> {
  return reason ? { type, status, lastProbeTime: null, lastTransitionTime: at, reason } : { type, status, lastProbeTime: null, lastTransitionTime: at };
}

function containerIdFor(p: PodFacts, name: string): string {
  return `kubelet-sim://${p.uid}/${name}`;
}

/** A run that ended in a restart (restartPolicy OnFailure): what `lastState` reports. */
export interface PreviousRun {
  /** The restart count after it (1 for the first restart). */
  restartCount: number;
  exitCode: number;
  startedAtMs: number;
}

/**
 * Running and Ready. With `previous`, the container was restarted now: `restartCount` and
 * `lastState.terminated` say how the last run ended, and the Pod keeps its startTime.
 */
export function runningStatus(p: PodFacts, nowMs: number, previous?: PreviousRun): StatusPatch {
  const at = apiTime(nowMs);
  const ip = podIPFor(p.uid);
  const hostIP = p.nodeName ? hostIPFor(p.nodeName) : undefined;
  return {
    metadata: { uid: p.uid },
    status: {
      phase: "Running",
      conditions: [
        condition("PodScheduled", "True", at),
        condition("Initialized", "True", at),
        condition("ContainersReady", "True", at),
        condition("Ready", "True", at),
        ...p.foreignConditions,
      ],
      hostIP,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: previous ? apiTime(p.startTimeMs ?? nowMs) : at,
      containerStatuses: p.containerNames.map((name) => ({
        name,
        image: "kubelet-sim",
        imageID: "",
        containerID: containerIdFor(p, name),
        ready: true,
        started: true,
        restartCount: previous?.restartCount ?? 0,
        state: { running: { startedAt: at } },
        ...(previous
          ? {
              lastState: {
                terminated: { exitCode: previous.exitCode, reason: exitReason(previous.exitCode), startedAt: apiTime(previous.startedAtMs), finishedAt: at, containerID: containerIdFor(p, name) },
              },
            }
          : {}),
      })),
    },
  };
}

/** How a Pod ends beyond its exit code. */
export interface Termination {
  /** Restarts the containers report (they keep the count they had). @default 0 */
  restartCount?: number;
  /** A condition set with the failure (status True), as preemption or eviction would. */
  condition?: FailureCondition | null;
}

/**
 * Terminal status: Succeeded when the exit code is 0, Failed otherwise (restartPolicy Never /
 * OnFailure-exhausted semantics; the simulator never restarts containers).
 */
export function terminatedStatus(p: PodFacts, exitCode: number, reason: string, nowMs: number, startedAtMs: number | null, end: Termination = {}): StatusPatch {
  const at = apiTime(nowMs);
  const startedAt = apiTime(startedAtMs ?? p.startTimeMs ?? nowMs);
  const phase = exitCode === 0 && !end.condition ? "Succeeded" : "Failed";
  const extra: Record<string, unknown>[] = end.condition
    ? [{ ...condition(end.condition.type, "True", at, end.condition.reason), message: `kubelet-sim: ${end.condition.reason}` }]
    : [];
  return {
    metadata: { uid: p.uid },
    status: {
      phase,
      conditions: [
        condition("PodScheduled", "True", at),
        condition("Initialized", "True", at),
        condition("ContainersReady", "False", at, "PodCompleted"),
        condition("Ready", "False", at, "PodCompleted"),
        ...p.foreignConditions.filter((c) => !extra.some((e) => e.type === c.type)),
        ...extra,
      ],
      ...(p.nodeName ? { hostIP: hostIPFor(p.nodeName) } : {}),
      startTime: apiTime(p.startTimeMs ?? startedAtMs ?? nowMs),
      containerStatuses: p.containerNames.map((name) => ({
        name,
        image: "kubelet-sim",
        imageID: "",
        containerID: containerIdFor(p, name),
        ready: false,
        started: false,
        restartCount: end.restartCount ?? 0,
        state: { terminated: { exitCode, reason, startedAt, finishedAt: at, containerID: containerIdFor(p, name) } },
      })),
    },
  };
}

/** The reason a container that exits on its own reports. */
export const exitReason = (exitCode: number): string => (exitCode === 0 ? "Completed" : "Error");
