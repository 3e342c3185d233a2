/**
 * Adoption through the whole finalizer-remover (its consumers, the lease fence, the verification,
 * the API budget) against a real nats-server and the Kubernetes API of `acquireKubeEnv`: two
 * counters' epochs for one partition, the newer one's adoption carried out, the stale one's fenced
 * (never executed, the Pod left an orphan); a forged adoption for a Job this installation does not
 * manage refused and dead-lettered; an adoption for a Pod that got another controller before the
 * remover reached it left alone.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Registry } from "prom-client";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY, DLQ_STREAM, INTENT_STREAM, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { AdoptPodIntent } from "../../../shared/intents/intents.js";
import { createKubeClients } from "../../../shared/kube/client.js";
import { ensureStreams } from "../../../shared/nats/streams.js";
import { IntentPublisher } from "../../../shared/nats/intent-queue.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { runFinalizerRemover } from "../../../services/finalizer-remover/run.js";
import { INTENT_KINDS, removerDurable } from "../../../services/finalizer-remover/options.js";
import { openOwnershipBucket } from "../../../shared/ownership/bucket.js";
import { encodeRecord, leaseKey } from "../../../shared/ownership/records.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView } from "../../../shared/view/records.js";
import { jobViewSubject } from "../../../shared/view/subjects.js";
import { acquireKubeEnv, type KubeEnv } from "../../support/kube-env.js";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.js";
import { waitFor } from "../../support/processes.js";

const PARTITIONS = 8;

describe("adoption intents through the finalizer-remover: fencing, forgery, a Pod taken meanwhile", () => {
  let kube: KubeEnv;
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  before(async () => {
    nats = await startNatsServer();
    kube = await acquireKubeEnv({ namespacePrefix: "jt-adopt-fence" });
    nc = await connect({ servers: nats.url });
    await ensureStreams(nc, { replicas: 1 });
  });
  after(async () => {
    await nc?.close();
    await kube?.release();
    await nats?.stop();
  });

  test("the newer epoch's adoption is carried out, the stale epoch's is fenced, the forged one refused, the taken Pod left alone", async () => {
    const ns = kube.namespace;
    const manifest = (name: string, managedBy: string): V1Job => ({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name },
      spec: {
        managedBy,
        manualSelector: true,
        suspend: true,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] } },
      },
    });
    const job = await kube.batch.createNamespacedJob({ namespace: ns, body: manifest("adopter", DEFAULT_MANAGED_BY) });
    const foreign = await kube.batch.createNamespacedJob({ namespace: ns, body: manifest("foreign", "someone.else/controller") });
    const jobUID = job.metadata?.uid as string;
    const jp = partitionOf(jobUID, PARTITIONS);
    const js = jetstream(nc);
    const record = (j: V1Job): JobView => ({ v: 1, kind: "job", uid: j.metadata?.uid as string, name: j.metadata?.name as string, namespace: ns, resourceVersion: "1", gone: false, job: JSON.parse(JSON.stringify(j)) as V1Job });
    // The watcher publishes managed Jobs only: the foreign one has no record.
    await js.publish(jobViewSubject(jp, jobUID), JSON.stringify(record(job)));

    const orphan = (name: string, app: string): V1Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] } });
    const fresh = await kube.core.createNamespacedPod({ namespace: ns, body: orphan("fresh", "adopter") });
    const stale = await kube.core.createNamespacedPod({ namespace: ns, body: orphan("stale", "adopter") });
    const forged = await kube.core.createNamespacedPod({ namespace: ns, body: orphan("forged", "foreign") });
    const taken = await kube.core.createNamespacedPod({ namespace: ns, body: orphan("taken", "adopter") });
    // Someone else's controller takes `taken` before the remover gets to its adoption.
    await createKubeClients({ kubeconfig: kube.kubeconfigPath }).core.patchNamespacedPodStrategic({
      namespace: ns,
      name: "taken",
      body: { metadata: { ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "foreign", uid: foreign.metadata?.uid as string, controller: true }] } },
    });

    // counter-a held the partition under epoch 1; counter-b took it over (epoch 2).
    const bucket = await openOwnershipBucket(nc, 1);
    for (let p = 0; p < PARTITIONS; p++) await bucket.put(leaseKey(p), encodeRecord({ v: 1, holder: "counter-b", epoch: 2, writtenAtMs: 0 }));
    const adopt = (pod: V1Pod, lease: { epoch: number; holder: string }, over: Partial<AdoptPodIntent> = {}): AdoptPodIntent => ({
      v: 2,
      kind: "adoptPod",
      partition: jp,
      ...lease,
      jobUID,
      jobName: "adopter",
      namespace: ns,
      name: pod.metadata?.name as string,
      podUID: pod.metadata?.uid as string,
      podResourceVersion: pod.metadata?.resourceVersion as string,
      ...over,
    });
    const current = { epoch: 2, holder: "counter-b" };
    const foreignUID = foreign.metadata?.uid as string;
    await new IntentPublisher(js, { logger: silentLogger() }).publishAll([
      adopt(fresh, current),
      adopt(stale, { epoch: 1, holder: "counter-a" }),
      adopt(forged, current, { jobUID: foreignUID, jobName: "foreign", partition: partitionOf(foreignUID, PARTITIONS) }),
      adopt(taken, current),
    ]);

    const registry = new Registry();
    const ac = new AbortController();
    let ready = false;
    const run = runFinalizerRemover(
      { qps: 100, burst: 0, concurrency: 4, ackWaitMs: 10_000, streamReplicas: 1, sharedQps: 0, sharedBurst: 0, budgetGroup: "default", managedBy: DEFAULT_MANAGED_BY, manageAllJobs: false, partitions: PARTITIONS },
      { kube: createKubeClients({ kubeconfig: kube.kubeconfigPath }), nc, logger: silentLogger(), signal: ac.signal, registry, onReady: () => (ready = true) },
    );
    const jsm = await jetstreamManager(nc);
    await waitFor(
      async () => {
        if (!ready) return false;
        for (const kind of INTENT_KINDS) {
          const info = await jsm.consumers.info(INTENT_STREAM, removerDurable(kind)).catch(() => null);
          if (info === null || info.num_pending !== 0 || info.num_ack_pending !== 0) return false;
        }
        return true;
      },
      { timeoutMs: 40_000, intervalMs: 100, what: "every intent acked or terminated" },
    );

    const read = (name: string): Promise<V1Pod> => kube.core.readNamespacedPod({ namespace: ns, name });
    const controllers = (p: V1Pod): string[] => (p.metadata?.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);
    const freshNow = await read("fresh");
    assert.deepStrictEqual(controllers(freshNow), [jobUID], "the current epoch's adoption is carried out");
    assert.deepStrictEqual(freshNow.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
    const staleNow = await read("stale");
    assert.deepStrictEqual(controllers(staleNow), [], "a stale epoch's adoption is fenced, never executed");
    assert.deepStrictEqual(staleNow.metadata?.finalizers ?? [], []);
    assert.deepStrictEqual(controllers(await read("forged")), [], "a forged adoption for a Job not managed here is refused");
    assert.deepStrictEqual(controllers(await read("taken")), [foreignUID], "a Pod taken meanwhile keeps its one controller");

    const dlq = (await jsm.streams.info(DLQ_STREAM)).state;
    const reasons: string[] = [];
    for (let seq = dlq.first_seq; seq <= dlq.last_seq && dlq.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(DLQ_STREAM, { seq });
      if (m) reasons.push(m.header.get("Jobtally-Reason") ?? "");
    }
    assert.deepStrictEqual(reasons.map((r) => /^intent refused \(([a-z-]+)\)/.exec(r)?.[1] ?? r), ["job-unknown"]);
    const metrics = await registry.metrics();
    assert.match(metrics, /jobtally_intents_total\{kind="adoptPod",outcome="done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="adoptPod",outcome="already-done"\} 1/);
    assert.match(metrics, /jobtally_intents_fenced_total\{kind="adoptPod"\} 1/);
    assert.match(metrics, /jobtally_intents_refused_total\{kind="adoptPod",reason="job-unknown"\} 1/);

    ac.abort();
    await run;
  });
});
