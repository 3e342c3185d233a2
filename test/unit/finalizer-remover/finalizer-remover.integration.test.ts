/**
 * The finalizer-remover in-process against a real nats-server and the Kubernetes API of
 * `acquireKubeEnv` (the jobtally simulator, or $KUBECONFIG's cluster).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Registry } from "prom-client";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { DLQ_STREAM, INTENT_STREAM, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { Intent } from "../../../shared/intents/intents.js";
import { createKubeClients } from "../../../shared/kube/client.js";
import { isNotFound } from "../../../shared/kube/errors.js";
import { ensureStreams } from "../../../shared/nats/streams.js";
import { IntentPublisher } from "../../../shared/nats/intent-queue.js";
import { createLogger, silentLogger } from "../../../shared/observability/logger.js";
import { runFinalizerRemover } from "../../../services/finalizer-remover/run.js";
import { INTENT_KINDS, removerDurable } from "../../../services/finalizer-remover/options.js";
import { openOwnershipBucket } from "../../../shared/ownership/bucket.js";
import { encodeRecord, leaseKey } from "../../../shared/ownership/records.js";
import { buildPodForCreation } from "../../../services/counter/logic/pod-template.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView, PodView } from "../../../shared/view/records.js";
import { jobViewSubject, podViewSubject } from "../../../shared/view/subjects.js";
import { acquireKubeEnv, type KubeEnv } from "../../support/kube-env.js";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.js";

const logger = process.env.TEST_LOG ? createLogger("test", "warn") : silentLogger();

async function eventually(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const PARTITIONS = 8;
const MANAGED_BY = "jobtally.io/controller";

function jobManifest(name: string, managedBy: string): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: { managedBy, completions: 3, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
  };
}

/** A Pod of `job` as the counter would build it (a controller ownerReference, the finalizer). */
function podOf(job: V1Job, name: string): V1Pod {
  return buildPodForCreation(job, name, null);
}

/** What the watcher would publish: the Job's record, and records of some of its Pods. */
async function publishView(nc: NatsConnection, job: V1Job, pods: V1Pod[]): Promise<void> {
  const js = jetstream(nc);
  const uid = job.metadata?.uid as string;
  const p = partitionOf(uid, PARTITIONS);
  const jobRec: JobView = { v: 1, kind: "job", uid, name: job.metadata?.name as string, namespace: job.metadata?.namespace as string, resourceVersion: "1", gone: false, job: JSON.parse(JSON.stringify(job)) as V1Job };
  await js.publish(jobViewSubject(p, uid), JSON.stringify(jobRec));
  for (const pod of pods) {
    const rec: PodView = {
      v: 1, kind: "pod", uid: pod.metadata?.uid as string, name: pod.metadata?.name as string, namespace: pod.metadata?.namespace as string, jobUID: uid, resourceVersion: "1",
      phase: "Pending", hasFinalizer: true, deletionTimestamp: null, gone: false, ready: false, completionIndex: null, creationTimestamp: null, finishedAt: null,
    };
    await js.publish(podViewSubject(p, uid, rec.uid), JSON.stringify(rec));
  }
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

  test("carries out removals, creations and deletions idempotently, refuses forged intents, dead-letters garbage, drains on abort", async () => {
    const ns = kube.namespace;
    const { core, batch } = kube;
    const job = await batch.createNamespacedJob({ namespace: ns, body: jobManifest("job", MANAGED_BY) });
    const foreignJob = await batch.createNamespacedJob({ namespace: ns, body: jobManifest("foreign", "someone.else/controller") });
    const jobUID = job.metadata?.uid as string;
    const foreignUID = foreignJob.metadata?.uid as string;
    const a = await core.createNamespacedPod({ namespace: ns, body: podOf(job, "a") });
    const d = await core.createNamespacedPod({ namespace: ns, body: podOf(job, "d") });
    const kept = await core.createNamespacedPod({ namespace: ns, body: podOf(job, "kept") });
    await core.createNamespacedPod({ namespace: ns, body: podOf(job, "exists") });
    // A Pod of a Job this installation does not manage: never touched.
    const foreignPod = await core.createNamespacedPod({ namespace: ns, body: podOf(foreignJob, "foreign-pod") });
    const uid = (p: V1Pod): string => p.metadata?.uid as string;
    await publishView(nc, job, [a, d, kept]);

    // Every partition is held by counter-a under epoch 1, except `fencedP`, passed from epoch 1 to 2.
    const jp = partitionOf(jobUID, PARTITIONS);
    const ghostUID = "00000000-0000-0000-0000-000000000000";
    const used = new Set([jp, partitionOf(foreignUID, PARTITIONS), partitionOf(ghostUID, PARTITIONS)]);
    const fencedP = [...Array(PARTITIONS).keys()].find((p) => !used.has(p)) as number;
    const bucket = await openOwnershipBucket(nc, 1);
    for (let p = 0; p < PARTITIONS; p++) {
      await bucket.put(leaseKey(p), encodeRecord(p === fencedP ? { v: 1, holder: "counter-b", epoch: 2, writtenAtMs: 0 } : { v: 1, holder: "counter-a", epoch: 1, writtenAtMs: 0 }));
    }
    const lease = { v: 2, epoch: 1, holder: "counter-a" } as const;
    const create = (pod: V1Pod, over: Partial<Intent> = {}): Intent => ({ ...lease, kind: "createPod", partition: jp, jobUID, jobName: "job", namespace: ns, pod, ...over }) as Intent;
    const foreignTemplate = podOf(job, "forged-image");
    foreignTemplate.spec!.containers[0]!.image = "evil:latest";
    const noOwner = podOf(job, "forged-no-owner");
    delete noOwner.metadata!.ownerReferences;
    const intents: Intent[] = [
      { ...lease, kind: "removeFinalizer", partition: jp, jobUID, namespace: ns, name: "a", podUID: uid(a), reason: "count" },
      { ...lease, kind: "removeFinalizer", partition: jp, jobUID, namespace: ns, name: "missing", podUID: "no-such-uid", reason: "count" },
      create(podOf(job, "created")),
      create(podOf(job, "exists")),
      // Decided under a superseded lease (fencing): refused, never executed.
      { ...lease, kind: "removeFinalizer", partition: fencedP, jobUID, namespace: ns, name: "kept", podUID: uid(kept), reason: "count" },
      create(podOf(job, "never"), { partition: fencedP }),
      { ...lease, kind: "deletePod", partition: jp, jobUID, jobName: "job", namespace: ns, name: "d", podUID: uid(d), reason: "excess-active", removeFinalizerFirst: true },
      // Forged: each dead-lettered with its reason, none executed.
      create({ ...podOf(job, "forged-ns"), metadata: { ...podOf(job, "forged-ns").metadata, namespace: "default" } }, { namespace: "default" }),
      create(foreignTemplate),
      create(noOwner),
      create(podOf(foreignJob, "forged-foreign"), { jobUID: foreignUID, jobName: "foreign", partition: partitionOf(foreignUID, PARTITIONS) }),
      create({ ...podOf(job, "forged-ghost") }, { jobUID: ghostUID, jobName: "ghost", partition: partitionOf(ghostUID, PARTITIONS) }),
      { ...lease, kind: "removeFinalizer", partition: jp, jobUID, namespace: ns, name: "foreign-pod", podUID: uid(foreignPod), reason: "count" },
      { ...lease, kind: "deletePod", partition: jp, jobUID, jobName: "job", namespace: ns, name: "foreign-pod", podUID: uid(foreignPod), reason: "excess-active", removeFinalizerFirst: true },
    ];
    const js = jetstream(nc);
    await new IntentPublisher(js, { logger }).publishAll(intents);
    await js.publish("jobtally.intent.0.removeFinalizer", "not an intent");

    const registry = new Registry();
    const ac = new AbortController();
    let ready = false;
    const kubeClients = createKubeClients({ kubeconfig: kube.kubeconfigPath });
    const run = runFinalizerRemover(
      { qps: 100, burst: 0, concurrency: 4, ackWaitMs: 10_000, streamReplicas: 1, sharedQps: 0, sharedBurst: 0, budgetGroup: "default", managedBy: MANAGED_BY, manageAllJobs: false, partitions: PARTITIONS },
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
      40_000,
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

    for (const name of ["never", "forged-image", "forged-no-owner", "forged-foreign", "forged-ghost"]) {
      await assert.rejects(core.readNamespacedPod({ namespace: ns, name }), (err: unknown) => isNotFound(err), `${name} was not created`);
    }
    await assert.rejects(core.readNamespacedPod({ namespace: "default", name: "forged-ns" }), (err: unknown) => isNotFound(err), "no Pod created in another namespace");
    const foreignAfter = await core.readNamespacedPod({ namespace: ns, name: "foreign-pod" });
    assert.ok((foreignAfter.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER), "a Pod of a Job managed by someone else keeps its finalizer");
    assert.equal(foreignAfter.metadata?.deletionTimestamp, undefined, "and is not deleted");

    const dlq = (await jsm.streams.info(DLQ_STREAM)).state;
    const letters: Array<{ body: string; reason: string }> = [];
    for (let seq = dlq.first_seq; seq <= dlq.last_seq; seq++) {
      const m = await jsm.streams.getMessage(DLQ_STREAM, { seq });
      if (m) letters.push({ body: m.string(), reason: m.header.get("Jobtally-Reason") ?? "" });
    }
    assert.equal(letters.length, 8, letters.map((l) => l.reason).join("\n"));
    assert.deepEqual(
      letters.map((l) => /^intent refused \(([a-z-]+)\)/.exec(l.reason)?.[1] ?? (l.body === "not an intent" && /not JSON/.test(l.reason) ? "garbage" : l.reason)).sort(),
      ["foreign-controller", "foreign-controller", "garbage", "job-unknown", "job-unknown", "namespace", "owner", "template"],
    );

    const metrics = await registry.metrics();
    assert.match(metrics, /jobtally_intents_total\{kind="removeFinalizer",outcome="done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="removeFinalizer",outcome="already-done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="createPod",outcome="done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="createPod",outcome="already-done"\} 1/);
    assert.match(metrics, /jobtally_intents_total\{kind="deletePod",outcome="done"\} 1/);
    assert.match(metrics, /jobtally_dead_letters_total\{source="finalizer-remover"\} 8/);
    assert.match(metrics, /jobtally_intents_refused_total\{kind="createPod",reason="template"\} 1/);
    assert.match(metrics, /jobtally_intents_refused_total\{kind="removeFinalizer",reason="foreign-controller"\} 1/);
    assert.match(metrics, /jobtally_intents_fenced_total\{kind="removeFinalizer"\} 1/);
    assert.match(metrics, /jobtally_intents_fenced_total\{kind="createPod"\} 1/);
    assert.match(metrics, /jobtally_work_queue_depth 0/);

    ac.abort();
    await run;
  });
});
