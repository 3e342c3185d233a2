/**
 * The Kubernetes clients of jobtally's services: the few requests they send, as plain JSON over
 * one keep-alive agent (rest.ts), without loading `@kubernetes/client-node` (about 75 MiB of RSS
 * per process; its types only are used). The method names and parameters are client-node's, so
 * its full clients (full-client.ts: simulators, bench, tests) fit the same interface.
 */
import type { CoreV1Event, V1APIResourceList, V1DeleteOptions, V1Job, V1JobList, V1Pod, V1PodList, V1Status } from "@kubernetes/client-node";
import { KubeRest, type WatchHandle } from "./rest.js";

export interface KubeClientOptions {
  /** kubeconfig path; empty → in-cluster service account. */
  kubeconfig: string;
  /** Max sockets of the shared agent. */
  maxSockets?: number;
}

interface ListParams {
  _continue?: string;
  limit?: number;
  labelSelector?: string;
}

export interface KubeCoreApi {
  getAPIResources(): Promise<V1APIResourceList>;
  createNamespacedEvent(p: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event>;
  readNamespacedPod(p: { namespace: string; name: string }): Promise<V1Pod>;
  createNamespacedPod(p: { namespace: string; body: V1Pod }): Promise<V1Pod>;
  deleteNamespacedPod(p: { namespace: string; name: string; body?: V1DeleteOptions }): Promise<V1Pod | V1Status>;
  listNamespacedPod(p: ListParams & { namespace: string }): Promise<V1PodList>;
  listPodForAllNamespaces(p: ListParams): Promise<V1PodList>;
  /** A strategic-merge patch of a Pod (the finalizer removal). */
  patchNamespacedPodStrategic(p: { namespace: string; name: string; body: object }): Promise<V1Pod>;
}

export interface KubeBatchApi {
  readNamespacedJobStatus(p: { namespace: string; name: string }): Promise<V1Job>;
  replaceNamespacedJobStatus(p: { namespace: string; name: string; body: V1Job }): Promise<V1Job>;
  listNamespacedJob(p: ListParams & { namespace: string }): Promise<V1JobList>;
  listJobForAllNamespaces(p: ListParams): Promise<V1JobList>;
}

/** Opens a watch (`?watch=true` on `path`); resolves once the server answered. */
export type WatchOpener = (path: string, query: Record<string, string | number | boolean | undefined>, onEvent: (type: string, obj: unknown) => void, onDone: (err: unknown) => void) => Promise<WatchHandle>;

export interface KubeClients {
  core: KubeCoreApi;
  batch: KubeBatchApi;
  watch: WatchOpener;
  /** Base URL of the API server. */
  server: string;
}

const ns = (n: string): string => encodeURIComponent(n);

/** The services' clients: plain JSON requests, objects as the API server sends them (times as strings). */
export function createKubeClients(opts: KubeClientOptions): KubeClients {
  const rest = new KubeRest(opts.kubeconfig, opts.maxSockets ?? 64);
  const list = (p: ListParams) => ({ continue: p._continue, limit: p.limit, labelSelector: p.labelSelector });
  return {
    server: rest.server,
    core: {
      getAPIResources: () => rest.request("GET", "/api/v1"),
      createNamespacedEvent: ({ namespace, body }) => rest.request("POST", `/api/v1/namespaces/${ns(namespace)}/events`, { body }),
      readNamespacedPod: ({ namespace, name }) => rest.request("GET", `/api/v1/namespaces/${ns(namespace)}/pods/${ns(name)}`),
      createNamespacedPod: ({ namespace, body }) => rest.request("POST", `/api/v1/namespaces/${ns(namespace)}/pods`, { body }),
      deleteNamespacedPod: ({ namespace, name, body }) => rest.request("DELETE", `/api/v1/namespaces/${ns(namespace)}/pods/${ns(name)}`, { body }),
      listNamespacedPod: (p) => rest.request("GET", `/api/v1/namespaces/${ns(p.namespace)}/pods`, { query: list(p) }),
      listPodForAllNamespaces: (p) => rest.request("GET", "/api/v1/pods", { query: list(p) }),
      patchNamespacedPodStrategic: ({ namespace, name, body }) => rest.request("PATCH", `/api/v1/namespaces/${ns(namespace)}/pods/${ns(name)}`, { body, contentType: "application/strategic-merge-patch+json" }),
    },
    batch: {
      readNamespacedJobStatus: ({ namespace, name }) => rest.request("GET", `/apis/batch/v1/namespaces/${ns(namespace)}/jobs/${ns(name)}/status`),
      replaceNamespacedJobStatus: ({ namespace, name, body }) => rest.request("PUT", `/apis/batch/v1/namespaces/${ns(namespace)}/jobs/${ns(name)}/status`, { body }),
      listNamespacedJob: (p) => rest.request("GET", `/apis/batch/v1/namespaces/${ns(p.namespace)}/jobs`, { query: list(p) }),
      listJobForAllNamespaces: (p) => rest.request("GET", "/apis/batch/v1/jobs", { query: list(p) }),
    },
    watch: (path, query, onEvent, onDone) => rest.watch(path, query, onEvent, onDone),
  };
}
