/** Every metric the kubelet simulator exports, on a registry of its own (several may run in one process). */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export interface KubeletMetrics {
  registry: Registry;
  podsStarted: Counter;
  podsFinished: Counter<"phase">;
  podsGcDeleted: Counter;
  apiErrors: Counter<"stage" | "code">;
  trackedPods: Gauge;
}

export function createKubeletMetrics(opts: { defaultMetrics: boolean }): KubeletMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    podsStarted: new Counter({ name: "kubelet_sim_pods_started_total", help: "Pods set Running", registers: [registry] }),
    podsFinished: new Counter({ name: "kubelet_sim_pods_finished_total", help: "Pods set to a terminal phase", labelNames: ["phase"], registers: [registry] }),
    podsGcDeleted: new Counter({ name: "kubelet_sim_pods_gc_deleted_total", help: "terminated Pods deleted by the simulated PodGC", registers: [registry] }),
    apiErrors: new Counter({ name: "kubelet_sim_api_errors_total", help: "failed API calls by stage and HTTP code (0 = network)", labelNames: ["stage", "code"], registers: [registry] }),
    trackedPods: new Gauge({ name: "kubelet_sim_tracked_pods", help: "Pods in the simulator's cache", registers: [registry] }),
  };
}
