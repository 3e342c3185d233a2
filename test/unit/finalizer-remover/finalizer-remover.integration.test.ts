/**
 * The finalizer-remover in-process against a real nats-server and the Kubernetes API of
 * `acquireKubeEnv` (the jobtally simulator, or $KUBECONFIG's cluster).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Registry } from "prom-client";
import type { V1Pod } from "@kubernetes/client-node";
import { DLQ_STREAM, INTENT_STREAM, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { Intent } from "../../../shared/intents/intents.js";
import { createKubeClients } from "../../../shared/kube/client.js";
import { isNotFound } from "../../../shared/kube/errors.js";
import { ensureStreams } from "../../../shared/nats/streams.js";
import { IntentPublisher } from "../../../shared/nats/intent-queue.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { runFinalizerRemover } from "../../../services/finalizer-remover/run.js";
import { INTENT_KINDS, removerDurable } from "../../../services/finalizer-remover/options.js";
import { openOwnershipBucket } from "../../../shared/ownership/bucket.js";
import { encodeRecord, leaseKey } from "../../../shared/ownership/records.js";
import { acquireKubeEnv, type KubeEnv } from "../../support/kube-env.js";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.js";

const logger = silentLogger();

async function eventually(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function podManifest(name: string): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, finalizers: [JOB_TRACKING_FINALIZER], labels: { app: "jt-remover-test" } },
    spec: { containers: [{ name: "c", image: "busybox" }] },
  };
}

describe("finalizer-remover against NATS and the Kubernetes API", () => {
  let kube: KubeEnv;
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  before(async () => {
    nats = await startNatsServer();
    kube = await acquireKubeEnv({ namespacePrefix: "jt-remover" });
    nc = await connect({ servers: nats.url });
    await ensureStreams(nc, { replicas: 1 });
  });
  after(async () => {
    await nc?.close();
    await kube?.release();
    await nats?.stop();
  });

  test("carries out removals, creations and deletions idempotently, dead-letters garbage, drains on abort", async () => {
    const ns = kube.namespace;
    const { core } = kube;
    const a = await core.createNamespacedPod({ namespace: ns, body: podManifest("a") });
    const d = await core.createNamespacedPod({ namespace: ns, body: podManifest("d") });
    const kept = await core.createNamespacedPod({ namespace: ns, body: podManifest("kept") });
    await core.createNamespacedPod({ namespace: ns, body: podManifest("exists") });
    const uid = (p: V1Pod): string => p.metadata?.uid as string;

    // Partitions 0-3 are held by counter-a under epoch 1; partition 4 passed from epoch 1 to 2.
    const bucket = await openOwnershipBucket(nc, 1);
    for (const p of [0, 1, 2, 3]) await bucket.put(leaseKey(p), encodeRecord({ v: 1, holder: "counter-a", epoch: 1, writtenAtMs: 0 }));
    await bucket.put(leaseKey(4), encodeRecord({ v: 1, holder: "counter-b", epoch: 2, writtenAtMs: 0 }));
    const intents: Intent[] = [
      { v: 2, epoch: 1, holder: "counter-a", kind: "removeFinalizer", partition: 0, jobUID: "j", namespace: ns, name: "a", podUID: uid(a), reason: "count" },
      { v: 2, epoch: 1, holder: "counter-a", kind: "removeFinalizer", partition: 1, jobUID: "j", namespace: ns, name: "missing", podUID: "no-such-uid", reason: "count" },
      { v: 2, epoch: 1, holder: "counter-a", kind: "createPod", partition: 2, jobUID: "j", jobName: "job", namespace: ns, pod: podManifest("created") },
      { v: 2, epoch: 1, holder: "counter-a", kind: "createPod", partition: 2, jobUID: "j", jobName: "job", namespace: ns, pod: podManifest("exists") },
      // Decided under a superseded lease (fencing): refused, never executed.
      { v: 2, epoch: 1, holder: "counter-a", kind: "removeFinalizer", partition: 4, jobUID: "j", namespace: ns, name: "kept", podUID: uid(kept), reason: "count" },
      { v: 2, epoch: 1, holder: "counter-a", kind: "createPod", partition: 4, jobUID: "j", jobName: "job", namespace: ns, pod: podManifest("never") },
      { v: 2, epoch: 1, holder: "counter-a", kind: "deletePod", partition: 3, jobUID: "j", jobName: "job", namespace: ns, name: "d", podUID: uid(d), reason: "excess-active", removeFinalizerFirst: true },
    ];
    const js = jetstream(nc);
    await new IntentPublisher(js, { logger }).publishAll(intents);
    await js.publish("jobtally.intent.0.removeFinalizer", "not an intent");

    const registry = new Registry();
    const ac = new AbortController();
    let ready = false;
    const kubeClients = createKubeClients({ kubeconfig: kube.kubeconfigPath });
    const run = runFinalizerRemover(
      { qps: 100, burst: 0, concurrency: 4, ackWaitMs: 10_000, streamReplicas: 1, sharedQps: 0, sharedBurst: 0, budgetGroup: "default" },
      { kube: kubeClients, nc, logger, signal: ac.signal, registry, onReady: () => (ready = true) },
    );

    const jsm = await jetstreamManager(nc);
    await eventually(
      async () => {
        if (!ready) return false;
        for (const kind of INTENT_KINDS) {
          const info = await jsm.consumers.info(INTENT_STREAM, removerDurable(kind)).catch(() => null);
          if (info === null || info.num_pending !== 0 || info.num_ack_pending !== 0) return false;
        }
        return true;
      },
      20_000,
      "every intent acked or terminated",
    );

    const podA = await core.readNamespacedPod({ namespace: ns, name: "a" });
    assert.ok(!(podA.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER), "a lost its finalizer");
    const created = await core.readNamespacedPod({ namespace: ns, name: "created" });
    assert.equal(created.metadata?.name, "created");
    const stillHeld = await core.readNamespacedPod({ namespace: ns, name: "kept" });
    assert.ok((stillHeld.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER), "a removal of a superseded epoch was not executed");
    await assert.rejects(core.readNamespacedPod({ namespace: ns, name: "never" }), (err: unknown) => isNotFound(err), "a creation of a superseded epoch was not executed");
    // d had no node: removing its finalizer then deleting it makes it vanish.
    await eventually(
      async () => {
        try {
          const p = await core.readNamespacedPod({ namespace: ns, name: "d" });
          return p.metadata?.deletionTimestamp !== undefined && !(p.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
        } catch (err) {
          return isNotFound(err);
        }
      },
      10_000,
      "d deleted",
    );

    const dead = await jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: "jobtally.dlq.finalizer-remover" });
    assert.equal(dead?.string(), "not an intent");
    assert.match(dead?.header.get("Jobtally-Reason") ?? "", /not JSON/);

    const metrics = await registry.metrics();
    assert.match(metrics, /jobtally_intents_total\{kind="removeFinalizer",outcome="done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="removeFinalizer",outcome="already-done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="createPod",outcome="done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="createPod",outcome="already-done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="deletePod",outcome="done"\} 1/);
    assert.match(metrics, /jobtally_dead_letters_total\{source="finalizer-remover"\} 1/);
    assert.match(metrics, /jobtally_intents_fenced_total\{kind="removeFinalizer"\} 1/);
    assert.match(metrics, /jobtally_intents_fenced_total\{kind="createPod"\} 1/);
    assert.match(metrics, /jobtally_api_requests_total\{verb="patch",resource="pods",code="404"\} 1/);
    assert.match(metrics, /jobtally_work_queue_depth 0/);

    ac.abort();
    await run;
  });
});
