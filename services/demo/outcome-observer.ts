/**
 * An independent witness for real clusters, where there is no kubelet simulator record: it watches
 * the demo namespace's Pods and records each Pod's outcome the first time it is seen finished
 * (Succeeded / Failed, or deleted before succeeding = failed, as the Job controller counts it). The
 * tracking finalizer guarantees every Pod is seen finished before it can disappear.
 */
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import type { CoreV1Api } from "@kubernetes/client-node";
import { runListWatch } from "../../shared/kube/list-watch.js";
import { controllerJobUID } from "../../shared/view/project.js";
import type { Logger } from "../../shared/observability/logger.js";

export interface ObservedTally {
  succeeded: number;
  failed: number;
}

export class OutcomeObserver {
  private readonly outcomes = new Map<string, { job: string; phase: "Succeeded" | "Failed" }>();

  observe(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    const job = controllerJobUID(pod);
    if (!uid || !job || this.outcomes.has(uid)) return;
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") this.outcomes.set(uid, { job, phase });
    else if (pod.metadata?.deletionTimestamp) this.outcomes.set(uid, { job, phase: "Failed" });
  }

  tally(jobUID: string): ObservedTally {
    const t = { succeeded: 0, failed: 0 };
    for (const o of this.outcomes.values()) {
      if (o.job !== jobUID) continue;
      if (o.phase === "Succeeded") t.succeeded++;
      else t.failed++;
    }
    return t;
  }

  run(kubeConfig: KubeConfig, core: CoreV1Api, namespace: string, logger: Logger, signal: AbortSignal): Promise<void> {
    return runListWatch<V1Pod>({
      resource: "pods",
      kubeConfig,
      watchPath: `/api/v1/namespaces/${namespace}/pods`,
      listPage: async (token, limit) => {
        const l = await core.listNamespacedPod({ namespace, _continue: token, limit });
        return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? "0", continueToken: l.metadata?._continue };
      },
      handler: {
        onListed: async (items) => items.forEach((p) => this.observe(p)),
        onEvent: (type, pod) => {
          if (type !== "DELETED") this.observe(pod);
          else if (pod.status?.phase !== "Succeeded") this.observe({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: pod.metadata?.deletionTimestamp ?? new Date() } });
        },
        onProgress: () => undefined,
      },
      logger,
      signal,
    });
  }
}
