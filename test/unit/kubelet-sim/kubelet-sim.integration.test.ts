/**
 * The kubelet simulator against an API server (the simulator by default, `$KUBECONFIG` if set):
 * Pods are bound, run and finished as their seed and annotations say, the record matches what the
 * API shows, a Pod deleted while Running ends Failed (exit 137) before it goes, and PodGC 0
 * deletes every Pod the moment it finishes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY } from "../../../shared/constants.js";
import { orNullIfNotFound } from "../../../shared/kube/errors.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { ANNOTATION_DURATION_MS, ANNOTATION_EXIT_CODE, startKubeletSimulator, type KubeletRecord, type KubeletSimulator } from "../../../services/kubelet-sim/index.js";
import { podBehaviour, type BehaviourDefaults } from "../../../services/kubelet-sim/logic/behaviour.js";
import { acquireKubeEnv, type KubeEnv } from "../../support/kube-env.js";
import { spawnJobtally, waitFor } from "../../support/processes.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const HOLD = "kubelet-sim-test.jobtally.io/hold";
const behaviour: BehaviourDefaults = { startDelayMs: 20, durationMs: 150, durationJitterMs: 100, failProbability: 0.3, seed: 42 };

function pod(name: string, labels: Record<string, string>, opts: { owner?: V1Job; annotations?: Record<string, string>; finalizers?: string[] } = {}): V1Pod {
  return {
    metadata: {
      name,
      labels,
      annotations: opts.annotations,
      finalizers: opts.finalizers,
      ownerReferences: opts.owner
        ? [{ apiVersion: "batch/v1", kind: "Job", name: opts.owner.metadata!.name!, uid: opts.owner.metadata!.uid!, controller: true, blockOwnerDeletion: true }]
        : undefined,
    },
    spec: { restartPolicy: "Never", schedulerName: "kubelet-sim-test", containers: [{ name: "main", image: "registry.k8s.io/pause:3.9" }] },
  };
}

describe("kubelet-sim against an API server", () => {
  let env: KubeEnv;
  const sims: KubeletSimulator[] = [];
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "kubelet-sim" });
  });
  after(async () => {
    for (const s of sims) await s.close();
    await env?.release();
  });

  const start = async (opts: Parameters<typeof startKubeletSimulator>[0]): Promise<KubeletSimulator> => {
    const sim = await startKubeletSimulator({ kubeconfig: env.kubeconfigPath, namespace: env.namespace, httpPort: 0, concurrency: 32, ...opts }, { logger: silentLogger() });
    sims.push(sim);
    await sim.synced;
    return sim;
  };
  const readPod = (name: string): Promise<V1Pod | null> => orNullIfNotFound(env.core.readNamespacedPod({ name, namespace: env.namespace }));

  test("50 Pods, with and without a Job owner, reach the terminal phase their seed and annotations say, and the record matches", async () => {
    const sim = await start({ labelSelector: "suite=run", nodeNamePrefix: "run-node-", nodes: 3, ...behaviour });
    const job = await env.batch.createNamespacedJob({
      namespace: env.namespace,
      body: { metadata: { name: "owner" }, spec: { managedBy: DEFAULT_MANAGED_BY, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "x" }] } } } },
    });
    const jobUID = job.metadata!.uid!;
    const expected = new Map<string, "Succeeded" | "Failed">();
    for (let i = 0; i < 50; i++) {
      const name = `p-${i}`;
      const annotations: Record<string, string> = {};
      if (i === 0) annotations[ANNOTATION_EXIT_CODE] = "3";
      if (i === 1) annotations[ANNOTATION_EXIT_CODE] = "0";
      if (i === 2) annotations[ANNOTATION_DURATION_MS] = "10";
      const body = pod(name, { suite: "run" }, { owner: i % 2 === 0 ? job : undefined, annotations });
      await env.core.createNamespacedPod({ namespace: env.namespace, body });
      const want = podBehaviour({ namespace: env.namespace, name, annotations }, behaviour).exitCode === 0 ? "Succeeded" : "Failed";
      expected.set(name, want);
    }
    assert.equal(expected.get("p-0"), "Failed");
    assert.equal(expected.get("p-1"), "Succeeded");
    const distinct = new Set(expected.values());
    assert.equal(distinct.size, 2, "the seed gives both outcomes among 50 Pods");

    const pods = await waitFor(
      async () => {
        const list = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: "suite=run" });
        return list.items.length === 50 && list.items.every((p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed") ? list.items : false;
      },
      { timeoutMs: 20_000, what: "all 50 Pods to reach a terminal phase" },
    );
    const nodes = new Set<string>();
    for (const p of pods) {
      const name = p.metadata!.name!;
      assert.equal(p.status?.phase, expected.get(name), `phase of ${name}`);
      nodes.add(p.spec?.nodeName ?? "");
      const exit = p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
      if (name === "p-0") assert.equal(exit, 3);
      assert.equal(exit === 0, p.status?.phase === "Succeeded", `${name}: exit code ${exit} vs phase`);
    }
    assert.deepEqual([...nodes].sort(), ["run-node-0", "run-node-1", "run-node-2"], "round-robin over the simulated nodes");

    const rec = sim.record();
    assert.equal(rec.pods.length, 50);
    for (const r of rec.pods) {
      assert.equal(r.phase, expected.get(r.name), `record of ${r.name}`);
      assert.equal(r.deletedBeforeFinish, false);
      assert.equal(r.jobUID, Number(r.name.slice(2)) % 2 === 0 ? jobUID : null);
    }
    const count = (owned: boolean, phase: string) => [...expected].filter(([n, ph]) => (Number(n.slice(2)) % 2 === 0) === owned && ph === phase).length;
    assert.deepEqual(rec.byJob[jobUID], { succeeded: count(true, "Succeeded"), failed: count(true, "Failed"), deletedBeforeFinish: 0 });
    assert.deepEqual(rec.byJob._none, { succeeded: count(false, "Succeeded"), failed: count(false, "Failed"), deletedBeforeFinish: 0 });

    const overHttp = (await (await fetch(`http://127.0.0.1:${sim.httpPort}/record`)).json()) as KubeletRecord;
    assert.deepEqual(overHttp.byJob, rec.byJob);
    const metrics = await (await fetch(`http://127.0.0.1:${sim.httpPort}/metrics`)).text();
    assert.match(metrics, /kubelet_sim_pods_started_total 50\b/);
    assert.match(metrics, new RegExp(`kubelet_sim_pods_finished_total\\{phase="Succeeded"\\} ${count(true, "Succeeded") + count(false, "Succeeded")}\\b`));
    assert.equal((await fetch(`http://127.0.0.1:${sim.httpPort}/healthz`)).status, 200);
  });

  test("a Pod deleted while Running ends Failed (exit 137) and is then deleted with grace 0", async () => {
    const sim = await start({ labelSelector: "suite=kill", nodeNamePrefix: "kill-node-", nodes: 1, ...behaviour });
    const name = "long-runner";
    await env.core.createNamespacedPod({ namespace: env.namespace, body: pod(name, { suite: "kill" }, { annotations: { [ANNOTATION_DURATION_MS]: "600000" }, finalizers: [HOLD] }) });
    await waitFor(async () => (await readPod(name))?.status?.phase === "Running", { timeoutMs: 10_000, what: `${name} to be Running` });
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace });
    const failed = await waitFor(
      async () => {
        const p = await readPod(name);
        return p?.status?.phase === "Failed" ? p : false;
      },
      { timeoutMs: 10_000, what: `${name} to be Failed after its deletion` },
    );
    assert.equal(failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
    assert.ok(failed.metadata?.deletionTimestamp);
    // The kubelet has asked for the grace-0 delete; the finalizer is all that holds the Pod now.
    await env.core.patchNamespacedPod({ name, namespace: env.namespace, body: { metadata: { finalizers: null } } }, mergePatch);
    await waitFor(async () => (await readPod(name)) === null, { timeoutMs: 10_000, what: `${name} to disappear` });
    const entry = sim.record().pods.find((p) => p.name === name);
    assert.equal(entry?.phase, "Failed");
    assert.equal(entry?.exitCode, 137);
    assert.equal(entry?.deletedBeforeFinish, true);
    assert.deepEqual(sim.record().byJob._none, { succeeded: 0, failed: 1, deletedBeforeFinish: 1 });
  });

  test("PodGC 0 deletes every Pod the moment it finishes, after the record has it", async () => {
    const sim = await start({ labelSelector: "suite=gc", nodeNamePrefix: "gc-node-", nodes: 2, podGcDelayMs: 0, ...behaviour });
    for (let i = 0; i < 20; i++) await env.core.createNamespacedPod({ namespace: env.namespace, body: pod(`gc-${i}`, { suite: "gc" }) });
    await waitFor(
      async () => {
        const list = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: "suite=gc" });
        return list.items.length === 0 && sim.record().pods.length === 20;
      },
      { timeoutMs: 20_000, what: "all 20 Pods to finish and be garbage-collected" },
    );
    const tally = sim.record().byJob._none;
    assert.equal((tally?.succeeded ?? 0) + (tally?.failed ?? 0), 20);
    assert.equal(tally?.deletedBeforeFinish, 0);
    const metrics = await (await fetch(`http://127.0.0.1:${sim.httpPort}/metrics`)).text();
    assert.match(metrics, /kubelet_sim_pods_gc_deleted_total 20\b/);
  });

  test("keeps running Pods through cut watches and a compaction (resume from the last resourceVersion, relist on 410)", async (t) => {
    if (!env.isSimulator) return t.skip("needs the simulator's /admin endpoints");
    const sim = await start({ labelSelector: "suite=churn", nodeNamePrefix: "churn-node-", nodes: 2, ...behaviour, durationMs: 300 });
    const admin = (path: string) => fetch(`${env.simulatorUrl}${path}`, { method: "POST" }).then((r) => assert.ok(r.ok, `${path} → ${r.status}`));
    for (let i = 0; i < 30; i++) {
      await env.core.createNamespacedPod({ namespace: env.namespace, body: pod(`churn-${i}`, { suite: "churn" }) });
      if (i === 10) await admin("/admin/cut-watches");
      if (i === 20) {
        await admin("/admin/compact");
        await admin("/admin/cut-watches");
      }
    }
    await waitFor(
      async () => {
        const list = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: "suite=churn" });
        return list.items.length === 30 && list.items.every((p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed");
      },
      { timeoutMs: 20_000, what: "all 30 churn Pods to finish" },
    );
    assert.equal(sim.record().pods.length, 30);
  });

  test("`jobtally kubelet-sim` serves /healthz once synced and exits 0 on SIGTERM", async () => {
    const child = spawnJobtally(["kubelet-sim", "--kubeconfig", env.kubeconfigPath, "--namespace", env.namespace, "--label-selector", "suite=cli", "--http-port", "0"], { name: "kubelet-sim" });
    try {
      const port = await waitFor(
        async () => {
          const line = child.logs().split("\n").find((l) => l.includes('"kubelet-sim started"'));
          return line ? (JSON.parse(line) as { httpPort: number }).httpPort : undefined;
        },
        { timeoutMs: 15_000, what: "the kubelet-sim start log line" },
      );
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, { timeoutMs: 10_000, what: "/healthz 200" });
      await child.kill("SIGTERM");
      assert.equal(await child.exited, 0, child.logs());
      assert.match(child.logs(), /kubelet-sim stopped/);
    } finally {
      await child.kill("SIGKILL");
    }
  });
});
