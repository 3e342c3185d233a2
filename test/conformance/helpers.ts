/**
 * Helpers of the conformance suite: manifests that stay inert on a real cluster (Pods that no
 * scheduler picks up, Jobs managed by jobtally so the built-in controller leaves them alone where
 * the server keeps `spec.managedBy`; capabilities.ts `createInertJob` where it does not), an
 * assertion on API errors, raw HTTP for wire-level checks, and a watch collector.
 */
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import { randomBytes } from "node:crypto";
import { Watch, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY } from "../../shared/constants.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import type { KubeEnv } from "../support/kube-env.js";
import { waitFor } from "../support/processes.js";

/** A scheduler name no cluster runs: unbound Pods stay unbound on a real cluster too. */
export const NO_SCHEDULER = "jobtally-conformance-no-scheduler";
/** A node that does not exist: bound Pods stay Pending (no kubelet) for the length of a test. */
export const FAKE_NODE = "jobtally-conformance-node";
/** A finalizer nobody else acts on (the job-tracking one is removed by the in-tree controller). */
export const HOLD_FINALIZER = "conformance.jobtally.io/hold";

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(3).toString("hex")}`;

export function podManifest(name: string, opts: { labels?: Record<string, string>; finalizers?: string[]; nodeName?: string; owner?: V1Job } = {}): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      labels: opts.labels,
      finalizers: opts.finalizers,
      ownerReferences: opts.owner
        ? [{ apiVersion: "batch/v1", kind: "Job", name: opts.owner.metadata?.name ?? "", uid: opts.owner.metadata?.uid ?? "", controller: true, blockOwnerDeletion: true }]
        : undefined,
    },
    spec: {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 30,
      ...(opts.nodeName ? { nodeName: opts.nodeName } : { schedulerName: NO_SCHEDULER }),
      containers: [{ name: "main", image: "registry.k8s.io/pause:3.9" }],
    },
  };
}

export function jobManifest(name: string, spec: Partial<NonNullable<V1Job["spec"]>> = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      managedBy: DEFAULT_MANAGED_BY,
      template: {
        spec: { restartPolicy: "Never", schedulerName: NO_SCHEDULER, containers: [{ name: "main", image: "registry.k8s.io/pause:3.9" }] },
      },
      ...spec,
    },
  };
}

/** Awaits `p`, expecting an ApiException with `code` (and `reason`, and a message matching `message`). */
export async function expectApiError(p: Promise<unknown>, want: { code: number; reason?: string; message?: RegExp }): Promise<void> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    const info = apiErrorInfo(err);
    assert.equal(info.code, want.code, `expected HTTP ${want.code}, got ${info.code}: ${info.reason} ${info.message}`);
    if (want.reason) assert.equal(info.reason, want.reason, `reason (message: ${info.message})`);
    if (want.message) assert.match(info.message, want.message);
    return;
  }
  assert.fail(`expected HTTP ${want.code}${want.reason ? ` ${want.reason}` : ""}, but the call succeeded: ${JSON.stringify(value).slice(0, 500)}`);
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire-level checks read arbitrary JSON
  body: any;
  text: string;
}

/** A request with the kubeconfig's credentials, answering the status and the JSON body as sent. */
export async function rawRequest(env: KubeEnv, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<RawResponse> {
  const server = env.kubeConfig.getCurrentCluster()?.server ?? "";
  const url = new URL(path, server);
  const options: https.RequestOptions = { method, headers: { accept: "application/json" } };
  await env.kubeConfig.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  if (payload) options.headers = { ...options.headers, "content-type": contentType, "content-length": String(payload.length) };
  const mod = url.protocol === "https:" ? https : http;
  return new Promise<RawResponse>((resolve, reject) => {
    const req = mod.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = undefined;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw watch objects
  object: any;
}

/**
 * Watches `path` and collects events until `until(events)` is true, the server closes the stream,
 * or `timeoutMs` passes. Always aborts the watch before returning.
 */
export async function collectWatch(
  env: KubeEnv,
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  until: (events: WatchEvent[]) => boolean,
  timeoutMs: number,
): Promise<{ events: WatchEvent[]; closedByServer: boolean; error: unknown }> {
  const events: WatchEvent[] = [];
  let closedByServer = false;
  let error: unknown = null;
  let finished = false;
  let ctrl: AbortController | null = null;
  let wake: () => void = () => {};
  const settled = new Promise<void>((r) => (wake = r));
  const finish = (): void => {
    finished = true;
    wake();
  };
  const w = new Watch(env.kubeConfig);
  ctrl = await w.watch(
    path,
    params,
    (type, object) => {
      events.push({ type, object });
      if (until(events)) finish();
    },
    (err) => {
      if (!finished) {
        closedByServer = true;
        error = err;
      }
      finish();
    },
  );
  if (until(events)) finish();
  const timer = setTimeout(finish, timeoutMs);
  await settled;
  clearTimeout(timer);
  ctrl.abort();
  return { events, closedByServer, error };
}

export const podsPath = (ns: string): string => `/api/v1/namespaces/${ns}/pods`;

/** Waits until GET of the Pod answers 404. */
export async function waitPodGone(env: KubeEnv, name: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      try {
        await env.core.readNamespacedPod({ name, namespace: env.namespace });
        return false;
      } catch (err) {
        if (apiErrorInfo(err).code === 404) return true;
        throw err;
      }
    },
    { timeoutMs, what: `Pod ${env.namespace}/${name} to be gone (404)` },
  );
}

/** Removes every finalizer of a Pod (cleanup); a missing Pod is fine. */
export async function clearPodFinalizers(env: KubeEnv, name: string): Promise<void> {
  const res = await rawRequest(env, "PATCH", `${podsPath(env.namespace)}/${name}`, { metadata: { finalizers: null } }, "application/merge-patch+json");
  if (res.status !== 200 && res.status !== 404) throw new Error(`clearing finalizers of ${name}: ${res.status} ${res.text}`);
}
