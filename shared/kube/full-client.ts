/**
 * client-node's full clients (every generated API, the object model): for the simulators, the
 * bench, the demo and the tests. jobtally's services use the light clients of client.ts instead.
 * A kubeconfig (file, or the in-cluster service account) and one shared keep-alive agent, so that
 * thousands of PATCHes reuse a few connections instead of opening one TLS connection each
 * (client-node 1.4 makes a new agent per request).
 */
import http from "node:http";
import https from "node:https";
import { BatchV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from "@kubernetes/client-node";
import type { RequestContext } from "@kubernetes/client-node";
import type { KubeClientOptions, KubeClients, KubeCoreApi } from "./client.js";

export interface FullKubeClients {
  kubeConfig: KubeConfig;
  core: CoreV1Api & Pick<KubeCoreApi, "patchNamespacedPodStrategic">;
  batch: BatchV1Api;
  coordination: CoordinationV1Api;
  /** Base URL of the API server. */
  server: string;
}

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig ${path || "(in-cluster)"} has no current cluster`);
  allowPlainHttp(kc);
  return kc;
}

/**
 * client-node 1.4 refuses an `http://` server unless the cluster says `insecure-skip-tls-verify`
 * ("HTTP protocol is not allowed when skipTLSVerify is not set"), although there is no TLS to
 * verify; kubectl has no such rule. Plain-HTTP clusters (the simulator, a local proxy) are marked
 * so here.
 */
export function allowPlainHttp(kc: KubeConfig): void {
  kc.clusters = kc.clusters.map((c) => (c.server.startsWith("http:") && !c.skipTLSVerify ? { ...c, skipTLSVerify: true } : c));
}

/** Makes every request of `kc` go through one keep-alive agent built from the kubeconfig's TLS settings. */
export function shareKeepAliveAgent(kc: KubeConfig, maxSockets = 64): void {
  const original = kc.applySecurityAuthentication.bind(kc);
  let shared: http.Agent | https.Agent | undefined;
  kc.applySecurityAuthentication = async (context: RequestContext): Promise<void> => {
    await original(context);
    if (!shared) {
      const perRequest = (context as unknown as { getAgent(): http.Agent | https.Agent | undefined }).getAgent();
      const isHttps = context.getUrl().startsWith("https:");
      const options = { ...((perRequest as unknown as { options?: object } | undefined)?.options ?? {}), keepAlive: true, maxSockets };
      shared = isHttps ? new https.Agent(options) : new http.Agent(options);
    }
    context.setAgent(shared);
  };
}

/** The full clients, also fitting the services' interface (client.ts `KubeClients`). */
export function createFullKubeClients(opts: KubeClientOptions): FullKubeClients & KubeClients {
  const kc = loadKubeConfig(opts.kubeconfig);
  shareKeepAliveAgent(kc, opts.maxSockets ?? 64);
  const smp = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
  const core = Object.assign(kc.makeApiClient(CoreV1Api), {
    patchNamespacedPodStrategic: (p: { namespace: string; name: string; body: object }) => core.patchNamespacedPod(p, smp),
  });
  return {
    kubeConfig: kc,
    core,
    batch: kc.makeApiClient(BatchV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    server: kc.getCurrentCluster()?.server ?? "",
    watch: async (path, query, onEvent, onDone) => new Watch(kc).watch(path, query, onEvent, onDone),
  };
}
