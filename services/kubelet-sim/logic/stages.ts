/**
 * The Pod lifecycle as data (KWOK's "stages"): each stage says when it applies to an observed Pod
 * and when it is due. `planPod` picks the first stage that applies, so the list order is the
 * priority: deletion handling first (a kubelet stops whatever it was doing when a Pod is
 * deleted), then garbage collection, then the normal bind → start → finish progression.
 */
import type { PodBehaviour } from "./behaviour.js";
import { isTerminalPhase, type PodFacts } from "./pod-facts.js";

export type StageName = "bind" | "start" | "restart" | "finish" | "kill" | "remove" | "gc";

/** What the kubelet itself remembers about a Pod (lost on restart; everything else is re-read). */
export interface LocalPodState {
  /** When the Pod was first seen bound to one of our nodes. */
  boundSeenAtMs: number | null;
  /** When this kubelet set it Running. */
  startedAtMs: number | null;
  /** When the current run of its container began (the last restart, else `startedAtMs`). */
  runStartedAtMs: number | null;
  /** When this kubelet set it terminal. */
  finishedAtMs: number | null;
  /** A grace-0 DELETE was accepted; do not send another. */
  deleteRequested: boolean;
  /** When this kubelet first saw the Pod with a deletionTimestamp (its graceful shutdown starts). @default null */
  deletionSeenAtMs?: number | null;
}

export const newLocalPodState = (): LocalPodState => ({ boundSeenAtMs: null, startedAtMs: null, runStartedAtMs: null, finishedAtMs: null, deleteRequested: false });

export interface StageContext {
  nowMs: number;
  isOwnNode(nodeName: string): boolean;
  behaviour: PodBehaviour;
  /** -1 = PodGC off. */
  podGcDelayMs: number;
}

export interface Stage {
  name: StageName;
  /** Why this stage exists, for `--help`-style listings and logs. */
  description: string;
  applies(p: PodFacts, s: LocalPodState, ctx: StageContext): boolean;
  dueAtMs(p: PodFacts, s: LocalPodState, ctx: StageContext): number;
}

const ownsPod = (p: PodFacts, ctx: StageContext): boolean => p.nodeName !== null && ctx.isOwnNode(p.nodeName);

/** When the container's current run ends: its start (the last restart, else the Pod's) plus the duration. */
const runEndsAtMs = (p: PodFacts, s: LocalPodState, ctx: StageContext): number => (s.runStartedAtMs ?? s.startedAtMs ?? p.startTimeMs ?? ctx.nowMs) + ctx.behaviour.durationMs;

/** The container still has restarts to do before its last run (never with restartPolicy Never). */
const restartsLeft = (p: PodFacts, ctx: StageContext): boolean => p.restartPolicy !== "Never" && p.restartCount < ctx.behaviour.restarts;

export const DEFAULT_STAGES: readonly Stage[] = [
  {
    name: "remove",
    description: "a terminal Pod of ours being deleted: delete it with grace 0, as the kubelet does once its containers are gone",
    applies: (p, s, ctx) => p.deleting && isTerminalPhase(p.phase) && ownsPod(p, ctx) && !s.deleteRequested,
    dueAtMs: (_p, _s, ctx) => ctx.nowMs,
  },
  {
    name: "kill",
    description:
      "a non-terminal Pod of ours being deleted: kill the containers (Failed, exit 137) once its graceful shutdown is over (annotation termination-grace-ms, 0 by default), then delete with grace 0",
    applies: (p, s, ctx) => p.deleting && !isTerminalPhase(p.phase) && ownsPod(p, ctx) && !s.deleteRequested,
    dueAtMs: (_p, s, ctx) => (s.deletionSeenAtMs ?? ctx.nowMs) + ctx.behaviour.terminationGraceMs,
  },
  {
    name: "gc",
    description: "PodGC: delete a terminated Pod a while after it finished",
    applies: (p, s, ctx) => ctx.podGcDelayMs >= 0 && isTerminalPhase(p.phase) && !p.deleting && !s.deleteRequested,
    dueAtMs: (p, s, ctx) => (s.finishedAtMs ?? p.finishedAtMs ?? ctx.nowMs) + ctx.podGcDelayMs,
  },
  {
    name: "bind",
    description: "an unscheduled Pod: bind it to one of the simulated nodes (round-robin)",
    applies: (p) => p.nodeName === null && !p.deleting && !isTerminalPhase(p.phase),
    dueAtMs: (_p, _s, ctx) => ctx.nowMs,
  },
  {
    name: "start",
    description: "a Pending Pod on one of our nodes: Running and Ready after the start delay",
    applies: (p, _s, ctx) => !p.deleting && p.phase === "Pending" && ownsPod(p, ctx),
    dueAtMs: (_p, s, ctx) => (s.boundSeenAtMs ?? ctx.nowMs) + ctx.behaviour.startDelayMs,
  },
  {
    name: "restart",
    description: "a Running Pod of ours with restarts to do (restartPolicy OnFailure): its container fails and restarts after each run",
    applies: (p, _s, ctx) => !p.deleting && p.phase === "Running" && ownsPod(p, ctx) && restartsLeft(p, ctx),
    dueAtMs: runEndsAtMs,
  },
  {
    name: "finish",
    description: "a Running Pod of ours: Succeeded or Failed (by its exit code and failure condition) after its (last) run",
    applies: (p, _s, ctx) => !p.deleting && p.phase === "Running" && ownsPod(p, ctx),
    dueAtMs: runEndsAtMs,
  },
];

export interface PodPlan {
  stage: StageName;
  dueAtMs: number;
}

/** The next thing to do to this Pod and when, or null when there is nothing to do. */
export function planPod(p: PodFacts, s: LocalPodState, ctx: StageContext, stages: readonly Stage[] = DEFAULT_STAGES): PodPlan | null {
  for (const stage of stages) {
    if (stage.applies(p, s, ctx)) return { stage: stage.name, dueAtMs: stage.dueAtMs(p, s, ctx) };
  }
  return null;
}
