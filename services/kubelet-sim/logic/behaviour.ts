/**
 * What a Pod does once it runs: how long, and with which exit code. Defaults come from the flags;
 * annotations on the Pod override them, so one Pod can be steered (KWOK style) without changing
 * the simulator. Outcomes are drawn from the seed and the Pod's namespace/name only.
 */
import { uniformFor } from "../../../shared/random.js";

export const ANNOTATION_PREFIX = "kubelet-sim.jobtally.io/";
export const ANNOTATION_DURATION_MS = `${ANNOTATION_PREFIX}duration-ms`;
export const ANNOTATION_EXIT_CODE = `${ANNOTATION_PREFIX}exit-code`;
export const ANNOTATION_FAIL_PROBABILITY = `${ANNOTATION_PREFIX}fail-probability`;

/** Exit code of a container that fails on its own (a fail-probability draw). */
export const RANDOM_FAILURE_EXIT_CODE = 1;

export interface BehaviourDefaults {
  /** Pending (bound) → Running after this long. */
  startDelayMs: number;
  /** Running → terminal after this long, plus a jitter in [0, durationJitterMs). */
  durationMs: number;
  durationJitterMs: number;
  /** Chance in [0, 1] that a Pod exits with RANDOM_FAILURE_EXIT_CODE instead of 0. */
  failProbability: number;
  seed: number;
}

export interface PodBehaviour {
  startDelayMs: number;
  durationMs: number;
  exitCode: number;
  /** Annotations that were present but unusable (ignored, defaults used instead). */
  problems: string[];
}

export interface PodIdentity {
  namespace: string;
  name: string;
  annotations: Readonly<Record<string, string>>;
}

function parseNonNegativeInt(raw: string | undefined, max: number): number | null {
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return null;
  const n = Number(raw.trim());
  return n <= max ? n : null;
}

function parseProbability(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  const n = Number(raw.trim());
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

export function podBehaviour(pod: PodIdentity, d: BehaviourDefaults): PodBehaviour {
  const key = `${pod.namespace}/${pod.name}`;
  const problems: string[] = [];
  const a = pod.annotations;

  let durationMs = parseNonNegativeInt(a[ANNOTATION_DURATION_MS], Number.MAX_SAFE_INTEGER);
  if (durationMs === null) {
    if (a[ANNOTATION_DURATION_MS] !== undefined) problems.push(`${ANNOTATION_DURATION_MS}="${a[ANNOTATION_DURATION_MS]}" is not a non-negative integer`);
    durationMs = d.durationMs + Math.floor(uniformFor(d.seed, `${key}#duration`) * d.durationJitterMs);
  }

  let exitCode = parseNonNegativeInt(a[ANNOTATION_EXIT_CODE], 255);
  if (exitCode === null) {
    if (a[ANNOTATION_EXIT_CODE] !== undefined) problems.push(`${ANNOTATION_EXIT_CODE}="${a[ANNOTATION_EXIT_CODE]}" is not an exit code 0-255`);
    let p = parseProbability(a[ANNOTATION_FAIL_PROBABILITY]);
    if (p === null) {
      if (a[ANNOTATION_FAIL_PROBABILITY] !== undefined) problems.push(`${ANNOTATION_FAIL_PROBABILITY}="${a[ANNOTATION_FAIL_PROBABILITY]}" is not a probability in [0, 1]`);
      p = d.failProbability;
    }
    exitCode = uniformFor(d.seed, `${key}#fail`) < p ? RANDOM_FAILURE_EXIT_CODE : 0;
  }

  return { startDelayMs: d.startDelayMs, durationMs, exitCode, problems };
}
