/**
 * What an API answer means for an intent, as a pure function of the step, the error and the
 * attempt number (table-tested). The rules:
 * - 404 on a finalizer removal or a delete: the Pod is gone, which is what we wanted.
 * - 409 AlreadyExists on a creation: the deterministic name makes it idempotent.
 * - 409 "Precondition failed: UID ...": the name now belongs to another Pod (deterministic names
 *   get reused), so the Pod we meant is gone.
 * - 5xx, 429 (honouring Retry-After), other 409s and network errors: retry with exponential backoff.
 * - Any other 4xx (a webhook rejecting the patch, 403, 422): a finalizer must never be abandoned,
 *   so removals and deletions keep retrying on a long backoff, loudly; a rejected creation or
 *   adoption is dropped (the counter re-plans from the view). An adoption's 409 (the Pod changed
 *   since the remover read it: its resourceVersion precondition) is retried, and the retry reads
 *   and judges the Pod again; a 422 (another controller took it meanwhile, or it is being deleted
 *   and takes no new finalizer) is dropped, as in-tree `ClaimPods` gives up on such a Pod.
 */
import { backoffDelayMs } from "../../shared/backoff.js";
import type { ApiErrorInfo } from "../../shared/kube/errors.js";

export type ApiStep = "removeFinalizer" | "createPod" | "deletePod" | "adoptPod";

export type ErrorDecision =
  | { kind: "done"; why: string }
  | { kind: "retry"; delayMs: number }
  | { kind: "rejected-retry"; delayMs: number }
  | { kind: "rejected-drop" };

export const TRANSIENT_BACKOFF = { baseMs: 1_000, maxMs: 60_000 };
export const REJECTED_BACKOFF = { baseMs: 30_000, maxMs: 600_000 };

export function isUidPreconditionFailure(info: ApiErrorInfo): boolean {
  // A DELETE with preconditions answers 409 "Precondition failed: UID ..."; a PATCH carrying
  // metadata.uid of a replaced Pod is refused as an immutable-field change (422) by a real server.
  if (info.code === 409 && /precondition failed: uid/i.test(info.message)) return true;
  return info.code === 422 && /metadata\.uid/i.test(info.message) && /immutable/i.test(info.message);
}

export function decideOnApiError(step: ApiStep, info: ApiErrorInfo, attempt: number, random: () => number = Math.random): ErrorDecision {
  const { code } = info;
  if (code === 404 && step !== "createPod") return { kind: "done", why: "not found" };
  if (code === 409 && step === "createPod" && info.reason === "AlreadyExists") return { kind: "done", why: "already exists" };
  if (step !== "createPod" && isUidPreconditionFailure(info)) return { kind: "done", why: "pod replaced by another with the same name" };
  if (code === null || code === 429 || code >= 500 || code === 409) {
    const backoff = backoffDelayMs(attempt, TRANSIENT_BACKOFF, random);
    return { kind: "retry", delayMs: info.retryAfterMs !== null ? Math.max(info.retryAfterMs, 0) : backoff };
  }
  if (step === "createPod" || step === "adoptPod") return { kind: "rejected-drop" };
  return { kind: "rejected-retry", delayMs: backoffDelayMs(attempt, REJECTED_BACKOFF, random) };
}
