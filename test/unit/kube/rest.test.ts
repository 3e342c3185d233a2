/**
 * The services' light Kubernetes clients (shared/kube/rest.ts, client.ts): kubeconfig reading,
 * request shapes, API errors read as client-node's were, watches.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readKubeconfigTarget } from "../../../shared/kube/rest.js";
import { createKubeClients } from "../../../shared/kube/client.js";
import { apiErrorInfo, isAlreadyExists, isRetryable } from "../../../shared/kube/errors.js";

function kubeconfig(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jt-rest-"));
  const file = path.join(dir, "kubeconfig");
  const yaml = [
    "apiVersion: v1",
    "kind: Config",
    "current-context: c",
    "contexts: [{ name: c, context: { cluster: k, user: u } }]",
    `clusters: [{ name: k, cluster: ${JSON.stringify({ server, ...cluster })} }]`,
    `users: [{ name: u, user: ${JSON.stringify(user)} }]`,
  ].join("\n");
  fs.writeFileSync(file, yaml);
  return file;
}

describe("readKubeconfigTarget", () => {
  it("bearer token, CA data, insecure-skip-tls-verify", async () => {
    const t = readKubeconfigTarget(kubeconfig("https://k:6443/", { token: "abc" }, { "certificate-authority-data": Buffer.from("CA").toString("base64"), "insecure-skip-tls-verify": true }));
    assert.ok(!("clientNode" in t));
    if ("clientNode" in t) return;
    assert.equal(t.server, "https://k:6443");
    assert.equal(String(t.tls.ca), "CA");
    assert.equal(t.tls.rejectUnauthorized, false);
    assert.deepEqual(await t.authHeaders(), { authorization: "Bearer abc" });
  });

  it("token file relative to the kubeconfig; client certificate files", async () => {
    const file = kubeconfig("https://k", { tokenFile: "tok", "client-certificate": "c.crt", "client-key": "c.key" });
    const dir = path.dirname(file);
    fs.writeFileSync(path.join(dir, "tok"), "from-file\n");
    fs.writeFileSync(path.join(dir, "c.crt"), "CERT");
    fs.writeFileSync(path.join(dir, "c.key"), "KEY");
    const t = readKubeconfigTarget(file);
    if ("clientNode" in t) return assert.fail("no exec user here");
    assert.deepEqual(await t.authHeaders(), { authorization: "Bearer from-file" });
    assert.equal(String(t.tls.cert), "CERT");
    assert.equal(String(t.tls.key), "KEY");
  });

  it("basic auth", async () => {
    const t = readKubeconfigTarget(kubeconfig("https://k", { username: "a", password: "b" }));
    if ("clientNode" in t) return assert.fail("no exec user here");
    assert.deepEqual(await t.authHeaders(), { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` });
  });

  it("proxy-url is refused, not silently bypassed", () => {
    assert.throws(() => readKubeconfigTarget(kubeconfig("https://k", { token: "t" }, { "proxy-url": "http://proxy:3128" })), /proxy-url is not supported/);
  });

  it("an exec user is left to client-node", () => {
    const t = readKubeconfigTarget(kubeconfig("https://k", { exec: { command: "x", apiVersion: "client.authentication.k8s.io/v1" } }));
    assert.deepEqual(t, { server: "https://k", clientNode: true });
  });
});

describe("light clients against an HTTP server", () => {
  let server: http.Server;
  let url = "";
  const seen: { method: string; url: string; type: string | undefined; auth: string | undefined; body: string }[] = [];
  let watchLines: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", type: req.headers["content-type"], auth: req.headers.authorization, body });
        if (req.url?.includes("watch=true")) {
          res.writeHead(200, { "content-type": "application/json" });
          // Split across writes, one event cut in the middle.
          const all = watchLines.join("\n") + "\n";
          res.write(all.slice(0, 17));
          setTimeout(() => res.end(all.slice(17)), 20);
          return;
        }
        if (req.method === "POST" && req.url?.endsWith("/pods")) {
          res.writeHead(409, { "content-type": "application/json" });
          res.end(JSON.stringify({ kind: "Status", reason: "AlreadyExists", message: "pods \"p\" already exists", code: 409 }));
          return;
        }
        if (req.method === "PUT") {
          res.writeHead(429, { "content-type": "application/json", "retry-after": "3" });
          res.end(JSON.stringify({ kind: "Status", reason: "TooManyRequests", message: "slow down", code: 429 }));
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "PodList", metadata: { resourceVersion: "42", continue: "next" }, items: [{ metadata: { name: "a", creationTimestamp: "2026-01-01T00:00:00Z" } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("requests: paths, query, strategic-merge patch, bearer token; wire JSON back", async () => {
    const kube = createKubeClients({ kubeconfig: kubeconfig(url, { token: "t0k" }) });
    const list = await kube.core.listNamespacedPod({ namespace: "ns", limit: 5, _continue: "c1", labelSelector: "a=b" });
    assert.equal(list.items[0]?.metadata?.creationTimestamp as unknown, "2026-01-01T00:00:00Z", "times stay strings");
    await kube.core.patchNamespacedPodStrategic({ namespace: "ns", name: "p", body: { metadata: { uid: "u" } } });
    const [l, p] = seen.slice(-2);
    assert.equal(l?.url, "/api/v1/namespaces/ns/pods?continue=c1&limit=5&labelSelector=a%3Db");
    assert.equal(l?.auth, "Bearer t0k");
    assert.deepEqual([p?.method, p?.url, p?.type, p?.body], ["PATCH", "/api/v1/namespaces/ns/pods/p", "application/strategic-merge-patch+json", '{"metadata":{"uid":"u"}}']);
  });

  it("errors read as client-node's ApiException: code, reason, Retry-After", async () => {
    const kube = createKubeClients({ kubeconfig: kubeconfig(url, {}) });
    const created = await kube.core.createNamespacedPod({ namespace: "ns", body: { metadata: { name: "p" } } }).catch((e: unknown) => e);
    assert.ok(isAlreadyExists(created));
    const put = await kube.batch.replaceNamespacedJobStatus({ namespace: "ns", name: "j", body: {} }).catch((e: unknown) => e);
    const info = apiErrorInfo(put);
    assert.deepEqual([info.code, info.reason, info.retryAfterMs], [429, "TooManyRequests", 3000]);
    assert.ok(isRetryable(put));
    const refused = await createKubeClients({ kubeconfig: kubeconfig("http://127.0.0.1:1", {}) })
      .core.getAPIResources()
      .catch((e: unknown) => e);
    assert.equal(apiErrorInfo(refused).code, null, "a network error has no HTTP code");
    assert.ok(isRetryable(refused));
  });

  it("watch: events in order across chunk boundaries, then the end of the stream", async () => {
    watchLines = [JSON.stringify({ type: "ADDED", object: { metadata: { name: "a", resourceVersion: "1" } } }), JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "2" } } })];
    const kube = createKubeClients({ kubeconfig: kubeconfig(url, {}) });
    const events: string[] = [];
    const done = new Promise<unknown>((resolve) => {
      void kube.watch("/api/v1/pods", { resourceVersion: "0", allowWatchBookmarks: true }, (type, obj) => events.push(`${type}:${(obj as { metadata: { resourceVersion: string } }).metadata.resourceVersion}`), resolve);
    });
    assert.equal(await done, null);
    assert.deepEqual(events, ["ADDED:1", "BOOKMARK:2"]);
    assert.match(seen[seen.length - 1]?.url ?? "", /^\/api\/v1\/pods\?resourceVersion=0&allowWatchBookmarks=true&watch=true$/);
  });
});
