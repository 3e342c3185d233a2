/**
 * restartPolicy OnFailure: a failing container restarts in place instead of failing its Pod, so
 * its restarts stand for the failures (in-tree `pastBackoffLimitOnFailure`).
 */
import type { V1Job } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";

/**
 * In-tree `pastBackoffLimitOnFailure`: the container restarts of the Pods still Pending or Running
 * reach `backoffLimit`, or are above 0 when the limit is 0. Checked beside `failed > backoffLimit`,
 * not added to it, as in-tree does. Always false unless restartPolicy is OnFailure.
 */
export function pastBackoffLimitOnFailure(job: V1Job, pods: readonly PodView[], backoffLimit: number): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== "OnFailure") return false;
  let restarts = 0;
  for (const pod of pods) {
    if (!pod.gone && (pod.phase === "Running" || pod.phase === "Pending")) restarts += pod.restartCount ?? 0;
  }
  return backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
}
