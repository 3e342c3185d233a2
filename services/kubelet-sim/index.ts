/**
 * `startKubeletSimulator`: the in-process entry point (tests, `jobtally demo`). It talks to the
 * API server over HTTP only, like any kubelet, so it runs against the simulator or a real cluster.
 */
import { createFullKubeClients as createKubeClients, type FullKubeClients as KubeClients } from "../../shared/kube/full-client.js";
import { createLogger, type Logger } from "../../shared/observability/logger.js";
import { KubeletController } from "./controller.js";
import { startKubeletHttpServer, type KubeletHttpServer } from "./http.js";
import { createKubeletMetrics } from "./metrics.js";
import { resolveKubeletSimOptions, type KubeletSimOptions } from "./options.js";
import { startPodSource } from "./pod-source.js";
import type { KubeletRecord } from "./record.js";
import { systemTimerClock, type TimerClock } from "./timer-queue.js";

export type { KubeletSimOptions } from "./options.js";
export type { KubeletRecord, RecordedPod, JobTally } from "./record.js";
export { ANNOTATION_DURATION_MS, ANNOTATION_DURATION_MS_BY_INDEX, ANNOTATION_EXIT_CODE, ANNOTATION_EXIT_CODE_BY_INDEX, ANNOTATION_FAIL_PROBABILITY, ANNOTATION_TERMINATION_GRACE_MS } from "./logic/behaviour.js";

export interface KubeletSimulatorDeps {
  /** Clients to use; default: built from `opts.kubeconfig` with a shared keep-alive agent. */
  kube?: KubeClients;
  logger?: Logger;
  clock?: TimerClock;
  /** Register Node.js default metrics (process CPU, heap); off for in-process use. */
  defaultMetrics?: boolean;
}

export interface KubeletSimulator {
  record(): KubeletRecord;
  /** Resolves once the first list of Pods has been taken in. */
  synced: Promise<void>;
  /** Port of /record, /metrics, /healthz; -1 when the server is off. */
  httpPort: number;
  close(): Promise<void>;
}

export function simulatedNodeNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

export async function startKubeletSimulator(opts: Partial<KubeletSimOptions>, deps: KubeletSimulatorDeps = {}): Promise<KubeletSimulator> {
  const o = resolveKubeletSimOptions(opts);
  const logger = deps.logger ?? createLogger("kubelet-sim", o.logLevel);
  const kube = deps.kube ?? createKubeClients({ kubeconfig: o.kubeconfig, maxSockets: Math.max(8, Math.min(256, o.concurrency)) });
  const metrics = createKubeletMetrics({ defaultMetrics: deps.defaultMetrics ?? false });
  const controller = new KubeletController(
    {
      nodeNames: simulatedNodeNames(o.nodeNamePrefix, o.nodes),
      behaviour: { startDelayMs: o.startDelayMs, durationMs: o.durationMs, durationJitterMs: o.durationJitterMs, failProbability: o.failProbability, seed: o.seed },
      podGcDelayMs: o.podGcDelayMs,
      concurrency: o.concurrency,
    },
    { core: kube.core, logger, metrics, clock: deps.clock ?? systemTimerClock },
  );
  const source = startPodSource(
    { kubeConfig: kube.kubeConfig, core: kube.core, namespace: o.namespace || null, labelSelector: o.labelSelector, logger },
    { upsert: (pod) => controller.observe(pod), remove: (pod) => controller.forget(pod) },
  );
  let synced = false;
  void source.synced.then(() => {
    synced = true;
    logger.info({ nodes: o.nodes, namespace: o.namespace || "(all)", labelSelector: o.labelSelector }, "kubelet-sim synced");
  });

  let server: KubeletHttpServer | null = null;
  if (o.httpPort >= 0) {
    try {
      server = await startKubeletHttpServer(o.httpPort, { record: () => controller.record.snapshot(), registry: metrics.registry, healthy: () => synced });
    } catch (err) {
      await source.stop();
      await controller.close();
      throw err;
    }
  }

  let closing: Promise<void> | null = null;
  return {
    record: () => controller.record.snapshot(),
    synced: source.synced,
    httpPort: server?.port ?? -1,
    close() {
      closing ??= (async () => {
        await source.stop();
        await controller.close();
        await server?.close();
      })();
      return closing;
    },
  };
}
