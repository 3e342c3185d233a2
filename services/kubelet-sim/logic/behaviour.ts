/**
 * What a Pod does once it runs: how long, and with which exit code; whether it is disrupted (a
 * Pod condition such as DisruptionTarget set with its failure, as preemption or eviction would);
 * how often its container restarts first (restartPolicy OnFailure). Defaults come from the flags;
 * annotations on the Pod override them, so one Pod can be steered (KWOK style) without changing
 * the simulator, also while it runs (the annotations are read again on every change). Outcomes
 * are drawn from the seed and the Pod's namespace/name only.
 */
import { uniformFor } from "../../../shared/random.js";

export const ANNOTATION_PREFIX = "kubelet-sim.jobtally.io/";
export const ANNOTATION_DURATION_MS = `${ANNOTATION_PREFIX}duration-ms`;
export const ANNOTATION_EXIT_CODE = `${ANNOTATION_PREFIX}exit-code`;
export const ANNOTATION_FAIL_PROBABILITY = `${ANNOTATION_PREFIX}fail-probability`;
/**
 * `<index>=<code>,...`, e.g. `1=3,4=42`: an Indexed Job Pod whose completion index is listed exits
 * with that code (before `exit-code`), so one template can fail some indexes and not others.
 */
export const ANNOTATION_EXIT_CODE_BY_INDEX = `${ANNOTATION_PREFIX}exit-code-by-index`;
/**
 * Milliseconds a running Pod takes to shut down once deleted (its containers' graceful
 * termination): it stays Running with a deletionTimestamp (terminating) that long before it is
 * killed. Absent: 0 (killed at once).
 */
export const ANNOTATION_TERMINATION_GRACE_MS = `${ANNOTATION_PREFIX}termination-grace-ms`;
/** `<index>=<ms>,...`: how long an Indexed Job Pod of a listed index runs (before `duration-ms`). */
export const ANNOTATION_DURATION_MS_BY_INDEX = `${ANNOTATION_PREFIX}duration-ms-by-index`;
const COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";
/**
 * `<Type>[:<Reason>]`, e.g. `DisruptionTarget:PreemptionByScheduler`: the Pod ends Failed with
 * this condition (status True), its container killed (exit code 137 unless `exit-code` names
 * another non-zero one).
 */
export const ANNOTATION_FAILURE_CONDITION = `${ANNOTATION_PREFIX}failure-condition`;
/**
 * N: with restartPolicy OnFailure (or Always) the container fails and restarts N times, each run
 * lasting the Pod's duration, reporting restartCount 1..N while Running, before its last run ends
 * with the Pod's exit code. Ignored for restartPolicy Never.
 */
export const ANNOTATION_RESTARTS = `${ANNOTATION_PREFIX}restarts`;

/** Exit code of a container that fails on its own (a fail-probability draw). */
export const RANDOM_FAILURE_EXIT_CODE = 1;
/** Exit code of a disrupted Pod's container (SIGKILL), unless the exit-code annotation names another. */
export const DISRUPTED_EXIT_CODE = 137;
/** Exit code of each failed run before a restart. */
export const RESTARTED_RUN_EXIT_CODE = 1;
/** The condition's reason when the annotation names only its type. */
export const DEFAULT_CONDITION_REASON = "TerminationByKubelet";

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

export interface FailureCondition {
  type: string;
  reason: string;
}

export interface PodBehaviour {
  startDelayMs: number;
  durationMs: number;
  exitCode: number;
  /** Set with the Pod's failure (it then fails, whatever its exit code would have been), or null. */
  failureCondition: FailureCondition | null;
  /** Container restarts before the last run (restartPolicy OnFailure / Always only). */
  restarts: number;
  /** How long a deleted running Pod stays terminating before it is killed. */
  terminationGraceMs: number;
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

  let durationMs = valueForIndex(a, ANNOTATION_DURATION_MS_BY_INDEX, Number.MAX_SAFE_INTEGER, problems) ?? parseNonNegativeInt(a[ANNOTATION_DURATION_MS], Number.MAX_SAFE_INTEGER);
  if (durationMs === null) {
    if (a[ANNOTATION_DURATION_MS] !== undefined) problems.push(`${ANNOTATION_DURATION_MS}="${a[ANNOTATION_DURATION_MS]}" is not a non-negative integer`);
    durationMs = d.durationMs + Math.floor(uniformFor(d.seed, `${key}#duration`) * d.durationJitterMs);
  }

  let exitCode = valueForIndex(a, ANNOTATION_EXIT_CODE_BY_INDEX, 255, problems) ?? parseNonNegativeInt(a[ANNOTATION_EXIT_CODE], 255);
  if (exitCode === null) {
    if (a[ANNOTATION_EXIT_CODE] !== undefined) problems.push(`${ANNOTATION_EXIT_CODE}="${a[ANNOTATION_EXIT_CODE]}" is not an exit code 0-255`);
    let p = parseProbability(a[ANNOTATION_FAIL_PROBABILITY]);
    if (p === null) {
      if (a[ANNOTATION_FAIL_PROBABILITY] !== undefined) problems.push(`${ANNOTATION_FAIL_PROBABILITY}="${a[ANNOTATION_FAIL_PROBABILITY]}" is not a probability in [0, 1]`);
      p = d.failProbability;
    }
    exitCode = uniformFor(d.seed, `${key}#fail`) < p ? RANDOM_FAILURE_EXIT_CODE : 0;
  }

  let failureCondition: FailureCondition | null = null;
  const rawCondition = a[ANNOTATION_FAILURE_CONDITION];
  if (rawCondition !== undefined) {
    failureCondition = parseFailureCondition(rawCondition);
    if (failureCondition === null) problems.push(`${ANNOTATION_FAILURE_CONDITION}="${rawCondition}" is not <Type>[:<Reason>]`);
    else if (exitCode === 0) exitCode = DISRUPTED_EXIT_CODE;
  }

  let restarts = parseNonNegativeInt(a[ANNOTATION_RESTARTS], 10_000);
  if (restarts === null) {
    if (a[ANNOTATION_RESTARTS] !== undefined) problems.push(`${ANNOTATION_RESTARTS}="${a[ANNOTATION_RESTARTS]}" is not an integer 0-10000`);
    restarts = 0;
  }

  let terminationGraceMs = parseNonNegativeInt(a[ANNOTATION_TERMINATION_GRACE_MS], Number.MAX_SAFE_INTEGER);
  if (terminationGraceMs === null) {
    if (a[ANNOTATION_TERMINATION_GRACE_MS] !== undefined) problems.push(`${ANNOTATION_TERMINATION_GRACE_MS}="${a[ANNOTATION_TERMINATION_GRACE_MS]}" is not a non-negative integer`);
    terminationGraceMs = 0;
  }

  return { startDelayMs: d.startDelayMs, durationMs, exitCode, failureCondition, restarts, terminationGraceMs, problems };
}

/** The `<index>=<value>,...` entry (annotation `key`) of this Pod's completion index, or null. */
function valueForIndex(a: Readonly<Record<string, string>>, key: string, max: number, problems: string[]): number | null {
  const raw = a[key];
  const index = a[COMPLETION_INDEX_ANNOTATION];
  if (raw === undefined || index === undefined) return null;
  for (const entry of raw.split(",")) {
    const [ix, value] = entry.split("=").map((x) => x.trim());
    const parsed = parseNonNegativeInt(value, max);
    if (ix === undefined || !/^\d+$/.test(ix) || parsed === null) {
      problems.push(`${key}="${raw}" is not <index>=<value 0-${max}>,...`);
      return null;
    }
    if (Number(ix) === Number(index)) return parsed;
  }
  return null;
}

const CONDITION_TYPE = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

function parseFailureCondition(raw: string): FailureCondition | null {
  const text = raw.trim();
  const colon = text.indexOf(":");
  const type = colon < 0 ? text : text.slice(0, colon);
  const reason = colon < 0 ? DEFAULT_CONDITION_REASON : text.slice(colon + 1);
  return CONDITION_TYPE.test(type) && CONDITION_REASON.test(reason) ? { type, reason } : null;
}
