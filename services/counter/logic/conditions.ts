/**
 * Job conditions as the in-tree controller writes them (`newCondition`, `ensureJobConditionStatus`,
 * `findConditionByType`), with the interim conditions of 1.31+ (`FailureTarget`,
 * `SuccessCriteriaMet`) that the API server requires before `Failed` / `Complete`.
 */
import type { V1JobCondition, V1JobStatus } from "@kubernetes/client-node";
import { wireTime } from "./time.js";

export const CONDITION = {
  complete: "Complete",
  failed: "Failed",
  failureTarget: "FailureTarget",
  successCriteriaMet: "SuccessCriteriaMet",
  suspended: "Suspended",
} as const;

export const REASON = {
  backoffLimitExceeded: "BackoffLimitExceeded",
  deadlineExceeded: "DeadlineExceeded",
  completionsReached: "CompletionsReached",
  jobSuspended: "JobSuspended",
  jobResumed: "JobResumed",
} as const;

export const MESSAGE = {
  backoffLimitExceeded: "Job has reached the specified backoff limit",
  deadlineExceeded: "Job was active longer than specified deadline",
  completionsReached: "Reached expected number of succeeded pods",
  jobSuspended: "Job suspended",
  jobResumed: "Job resumed",
} as const;

export function newCondition(type: string, status: "True" | "False", reason: string, message: string, nowMs: number): V1JobCondition {
  return { type, status, reason, message, lastProbeTime: wireTime(nowMs), lastTransitionTime: wireTime(nowMs) };
}

export function findCondition(conditions: readonly V1JobCondition[] | undefined, type: string): V1JobCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly V1JobCondition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === "True";
}

/** In-tree `IsJobFinished`: Complete=True or Failed=True. */
export function isJobFinished(status: V1JobStatus | undefined): boolean {
  return isConditionTrue(status?.conditions, CONDITION.complete) || isConditionTrue(status?.conditions, CONDITION.failed);
}

/**
 * In-tree `ensureJobConditionStatus`: replace the condition of that type when status, reason or
 * message differ; append it when missing, unless it would be appended as False ("going from
 * nothing to false is meaningless"). Returns a new list and whether it changed.
 */
export function ensureConditionStatus(
  conditions: readonly V1JobCondition[],
  type: string,
  status: "True" | "False",
  reason: string,
  message: string,
  nowMs: number,
): { conditions: V1JobCondition[]; changed: boolean } {
  const index = conditions.findIndex((c) => c.type === type);
  if (index >= 0) {
    const existing = conditions[index] as V1JobCondition;
    if (existing.status === status && (existing.reason ?? "") === reason && (existing.message ?? "") === message) {
      return { conditions: [...conditions], changed: false };
    }
    const next = [...conditions];
    next[index] = newCondition(type, status, reason, message, nowMs);
    return { conditions: next, changed: true };
  }
  if (status === "False") return { conditions: [...conditions], changed: false };
  return { conditions: [...conditions, newCondition(type, status, reason, message, nowMs)], changed: true };
}
