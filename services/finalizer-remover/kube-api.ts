/**
 * The real PodApi: client-node calls, each one through the shared API budget (p-queue) and
 * measured (`jobtally_api_requests_total`, `jobtally_api_request_duration_seconds`).
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { KubeCoreApi } from "../../shared/kube/client.js";
import type { ApiBudget } from "../../shared/kube/rate-limit.js";
import { JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import type { PodApi } from "./executor.js";
import type { RemoverMetrics } from "../../shared/observability/metrics.js";

/**
 * The finalizer removal patch (KEP-2307 step 3). `metadata.uid` makes it a precondition: if the
 * name now belongs to a newer Pod (deterministic names are reused), the API server answers 409
 * "Precondition failed: UID" instead of stripping the new Pod's finalizer.
 */
export function finalizerRemovalPatch(podUID: string): object {
  return { metadata: { uid: podUID, "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER] } };
}

/**
 * The adoption patch (in-tree `ownerRefControllerPatch` with the tracking finalizer, KEP-2307): a
 * strategic merge that adds the controller ownerReference (merged by uid) and the finalizer
 * (merged into the set) in one write. `metadata.uid` and `metadata.resourceVersion` are
 * preconditions: the API server answers 409 when the Pod changed since the remover read it (or
 * was replaced by another of the same name), and 422 when another controller took it meanwhile.
 */
export function adoptionPatch(pod: { uid: string; resourceVersion: string }, job: { name: string; uid: string }): object {
  return {
    metadata: {
      uid: pod.uid,
      resourceVersion: pod.resourceVersion,
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.name, uid: job.uid, controller: true, blockOwnerDeletion: true }],
      finalizers: [JOB_TRACKING_FINALIZER],
    },
  };
}

export function createPodApi(core: KubeCoreApi, budget: ApiBudget, metrics: RemoverMetrics): PodApi {
  /**
   * Finalizer removals go ahead of creations and deletions waiting for the budget: a removal is
   * what lets a finished Pod be counted (and frees room in the uncounted lists).
   */
  async function measured(verb: string, call: () => Promise<unknown>, priority = 0, stillWanted?: () => void): Promise<void> {
    await budget.run(async () => {
      const end = metrics.apiDuration.startTimer({ verb, resource: "pods" });
      try {
        await call();
        metrics.apiRequests.inc({ verb, resource: "pods", code: verb === "create" ? "201" : "200" });
      } catch (err) {
        metrics.apiRequests.inc({ verb, resource: "pods", code: String(apiErrorInfo(err).code ?? "error") });
        throw err;
      } finally {
        end();
      }
    }, priority, stillWanted);
  }
  return {
    removeFinalizer: (namespace, name, uid, guard) => measured("patch", () => core.patchNamespacedPodStrategic({ name, namespace, body: finalizerRemovalPatch(uid) }), 1, guard),
    createPod: (namespace, pod: V1Pod, guard) => measured("create", () => core.createNamespacedPod({ namespace, body: pod }), 0, guard),
    deletePod: (namespace, name, uid, guard) => measured("delete", () => core.deleteNamespacedPod({ name, namespace, body: { preconditions: { uid } } }), 0, guard),
    adoptPod: (namespace, name, patch, guard) => measured("patch", () => core.patchNamespacedPodStrategic({ name, namespace, body: patch }), 0, guard),
  };
}

