/**
 * The watcher's /readyz tells the truth: not ready while its lists cannot complete (the API
 * answers 500 to every Pod list), ready once they are published, and not ready again while its
 * watches cannot be re-opened for longer than the grace period; /healthz stays 200 throughout (an
 * API outage must not get every replica restarted).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { acquireKubeEnv, SIMULATOR_ONLY, type KubeEnv } from "../support/kube-env.js";
import { startNatsServer, type NatsServerHandle } from "../support/nats-server.js";
import { spawnJobtally, waitFor, type ChildHandle } from "../support/processes.js";
import { freeLoopbackPort } from "../../shared/process/child.js";

describe("watcher readiness", { timeout: 120_000 }, () => {
  let env: KubeEnv;
  let nats: NatsServerHandle;
  let watcher: ChildHandle | undefined;
  let port = 0;
  const status = async (path: string): Promise<number> => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
  const faults = async (errors: unknown[]): Promise<void> => {
    const res = await fetch(`${env.simulatorUrl}/admin/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ errors }) });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    nats = await startNatsServer();
    env = await acquireKubeEnv({ namespacePrefix: "jt-ready" });
    port = await freeLoopbackPort();
  });
  after(async () => {
    await watcher?.kill("SIGTERM");
    if (env?.isSimulator) await faults([]).catch(() => undefined);
    await env?.release();
    await nats?.stop();
  });

  test("not ready until the lists are published; not ready while the watches stay closed", async (t) => {
    if (!env.isSimulator) return t.skip(SIMULATOR_ONLY);
    await faults([{ code: 500, probability: 1, verbs: ["list"], resources: ["pods"] }]);
    watcher = spawnJobtally(["watcher", "--kubeconfig", env.kubeconfigPath, "--nats-url", nats.url, "--namespace", env.namespace, "--http-port", String(port)], { name: "watcher" });
    await waitFor(async () => (await status("/healthz")) === 200, { timeoutMs: 30_000, intervalMs: 200, what: "the watcher to serve /healthz" });
    await waitFor(async () => /"resource":"pods"|list.*fail|retry/i.test(watcher?.logs() ?? ""), { timeoutMs: 30_000, intervalMs: 200, what: "the Pod list to fail" }).catch(() => undefined);
    for (let i = 0; i < 10; i++) {
      assert.equal(await status("/readyz"), 503, `ready although no Pod list succeeded\n${watcher.logs()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(await status("/healthz"), 200, "an API outage is not a liveness failure");
    await faults([]);
    await waitFor(async () => (await status("/readyz")) === 200, { timeoutMs: 30_000, intervalMs: 200, what: "the watcher to be ready once the lists go through" });

    // Watches cut and refused: ready for the grace period, then not ready.
    await faults([{ code: 500, probability: 1, verbs: ["watch", "list"] }]);
    await fetch(`${env.simulatorUrl}/admin/cut-watches`, { method: "POST" });
    await waitFor(async () => (await status("/readyz")) === 503, { timeoutMs: 30_000, intervalMs: 250, what: "the watcher to report not ready with its watches closed" });
    assert.equal(await status("/healthz"), 200);
    await faults([]);
    await waitFor(async () => (await status("/readyz")) === 200, { timeoutMs: 30_000, intervalMs: 250, what: "the watcher to be ready again once its watches are open" });
  });
});
