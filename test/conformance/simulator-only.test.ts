/**
 * Conformance for behaviours that need the simulator's admin endpoints to provoke (compaction,
 * injected faults). The behaviours are those of a real API server; only the trigger is simulated.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { acquireKubeEnv, SIMULATOR_ONLY, type KubeEnv } from "../support/kube-env.js";
import { collectWatch, expectApiError, podManifest, podsPath, rawRequest, uniqueName } from "./helpers.js";

describe("conformance: simulator-triggered behaviours", () => {
  let env: KubeEnv;
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-sim" });
  });
  after(async () => {
    if (env?.isSimulator) await admin("PUT", "/admin/faults", { errors: [], qps: 0 }).catch(() => undefined);
    await env?.release();
  });

  async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${env.simulatorUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  test("the kubeconfig the simulator writes works with client-node as written (plain HTTP needs insecure-skip-tls-verify)", async (t) => {
    if (!env.isSimulator) return t.skip(SIMULATOR_ONLY);
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfigPath);
    const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name: env.namespace });
    assert.equal(ns.metadata?.name, env.namespace);
  });

  test("a watch from a compacted resourceVersion → one ERROR event, code 410 Expired, then the stream closes", async (t) => {
    if (!env.isSimulator) return t.skip(SIMULATOR_ONLY);
    const name = uniqueName("old");
    const created = await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(name) });
    const old = created.metadata!.resourceVersion!;
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(uniqueName("newer")) });
    await admin("POST", "/admin/compact");
    const { events, closedByServer } = await collectWatch(env, podsPath(env.namespace), { resourceVersion: old }, () => false, 5_000);
    assert.equal(events.length, 1, JSON.stringify(events));
    const [ev] = events;
    assert.equal(ev?.type, "ERROR");
    assert.equal(ev?.object.kind, "Status");
    assert.equal(ev?.object.code, 410);
    assert.equal(ev?.object.reason, "Expired");
    assert.match(String(ev?.object.message), /too old resource version/);
    assert.ok(closedByServer, "the server closes the stream after the ERROR event");
  });

  test("a list with an expired continue token → 410 Expired", async (t) => {
    if (!env.isSimulator) return t.skip(SIMULATOR_ONLY);
    const set = uniqueName("set");
    for (let i = 0; i < 3; i++) await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(uniqueName("c"), { labels: { set } }) });
    const first = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `set=${set}`, limit: 1 });
    const cont = first.metadata?._continue;
    assert.ok(cont, "a continue token");
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(uniqueName("after")) });
    await admin("POST", "/admin/compact");
    await expectApiError(env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `set=${set}`, limit: 1, _continue: cont }), { code: 410, reason: "Expired" });
  });

  test("an injected 429 carries Retry-After, as API Priority and Fairness does", async (t) => {
    if (!env.isSimulator) return t.skip(SIMULATOR_ONLY);
    await admin("PUT", "/admin/faults", { errors: [{ code: 429, probability: 1, verbs: ["list"], resources: ["pods"], retryAfterSeconds: 3 }] });
    try {
      const res = await rawRequest(env, "GET", podsPath(env.namespace));
      assert.equal(res.status, 429, res.text);
      assert.equal(res.headers["retry-after"], "3");
      assert.equal(res.body?.kind, "Status");
      assert.equal(res.body?.reason, "TooManyRequests");
      assert.equal(res.body?.code, 429);
      // Other verbs are unaffected.
      const pod = await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(uniqueName("ok")) });
      assert.ok(pod.metadata?.uid);
    } finally {
      await admin("PUT", "/admin/faults", { errors: [] });
    }
    const after = await rawRequest(env, "GET", podsPath(env.namespace));
    assert.equal(after.status, 200, "faults cleared");
  });
});
