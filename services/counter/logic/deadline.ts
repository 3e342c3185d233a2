/** `spec.activeDeadlineSeconds`, counted from `status.startTime` while the Job is not suspended (in-tree `pastActiveDeadline`). */
import type { V1Job } from "@kubernetes/client-node";
import { isJobSuspended } from "./job-spec.js";
import { toMs } from "./time.js";

/** ms left before the deadline (≤ 0 when past), or null when no deadline runs. */
export function remainingDeadlineMs(job: V1Job, nowMs: number): number | null {
  const seconds = job.spec?.activeDeadlineSeconds;
  const startMs = toMs(job.status?.startTime);
  if (seconds === undefined || seconds === null || startMs === null || isJobSuspended(job)) return null;
  return seconds * 1000 - (nowMs - startMs);
}

export function isPastActiveDeadline(job: V1Job, nowMs: number): boolean {
  const remaining = remainingDeadlineMs(job, nowMs);
  return remaining !== null && remaining <= 0;
}
