/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary API JSON */
/** Shared helpers for the kube-sim tests: a simulator per test file, raw HTTP, client-node clients. */
import { BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { startApiSimulator, type RunningSimulator, type SimulatorOptions } from "../../../services/kube-sim/index.js";
import { renderKubeconfig } from "../../../services/kube-sim/kubeconfig.js";

export interface Sim {
  sim: RunningSimulator;
  core: CoreV1Api;
  batch: BatchV1Api;
  kc: KubeConfig;
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: Record<string, any>; headers: Headers }>;
}

export async function startSim(opts: Partial<SimulatorOptions> = {}): Promise<Sim> {
  const sim = await startApiSimulator({ resourceVersionWaitMs: 50, ...opts });
  const kc = new KubeConfig();
  kc.loadFromString(renderKubeconfig(sim.url));
  return {
    sim,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    async call(method, path, body, contentType = "application/json") {
      const res = await fetch(`${sim.url}${path}`, {
        method,
        headers: body === undefined ? {} : { "Content-Type": contentType },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: Record<string, any> = {};
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = { raw: text };
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}

export function podBody(name: string, extra: { labels?: Record<string, string>; finalizers?: string[]; nodeName?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: extra.labels, finalizers: extra.finalizers },
    spec: { containers: [{ name: "c", image: "busybox" }], nodeName: extra.nodeName, restartPolicy: "Never" },
  };
}

export function jobBody(name: string, spec: Record<string, unknown> = {}): Record<string, any> {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } }, ...spec },
  };
}

/** Reads a watch stream until `count` events arrived or the stream ended. */
export async function readWatch(url: string, count: number, init: RequestInit = {}): Promise<any[]> {
  const controller = new AbortController();
  const res = await fetch(url, { ...init, signal: controller.signal });
  const events: any[] = [];
  const decoder = new TextDecoder();
  let buf = "";
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  try {
    while (events.length < count) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    }
  } finally {
    controller.abort();
  }
  return events.slice(0, count);
}

/** Opens a watch and returns a function that collects the next `count` events (stream kept open). */
export async function openWatch(url: string): Promise<{ next(count: number): Promise<any[]>; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const queue: any[] = [];
  let ended = false;
  return {
    async next(count) {
      while (queue.length < count && !ended) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          break;
        }
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          queue.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
      }
      return queue.splice(0, count);
    },
    close() {
      controller.abort();
    },
  };
}
