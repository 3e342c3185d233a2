/**
 * Adoption against the Kubernetes API of `acquireKubeEnv` (the jobtally simulator, or $KUBECONFIG's
 * cluster), with the finalizer-remover's real verification, client and patch: the Pod changes
 * between the verification that read it and the patch (the resourceVersion precondition answers
 * 409, the retry reads and judges it again), another controller takes it in that window (the API
 * server refuses a second controller: 422, dropped), its labels change before the verification
 * (left alone), and a redelivered adoption finds it adopted already. Nothing is ever adopted
 * blindly: every Pod ends with at most one controller.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import pino from "pino";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { executeIntent, type VerifiedFacts } from "../../../services/finalizer-remover/executor.js";
import { IntentVerifier, type Verdict } from "../../../services/finalizer-remover/verify.js";
import { createPodApi } from "../../../services/finalizer-remover/kube-api.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { AdoptPodIntent } from "../../../shared/intents/intents.js";
import { createKubeClients, type KubeClients } from "../../../shared/kube/client.js";
import { orNullIfNotFound } from "../../../shared/kube/errors.js";
import { ApiBudget } from "../../../shared/kube/rate-limit.js";
import { createRemoverMetrics } from "../../../shared/observability/metrics.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView } from "../../../shared/view/records.js";
import { acquireKubeEnv, type KubeEnv } from "../../support/kube-env.js";

const P = 8;

describe("adoption against the Kubernetes API: a Pod that changes is never adopted blindly", () => {
  let env: KubeEnv;
  let kube: KubeClients;
  let job: V1Job;
  let other: V1Job;
  let verifier: IntentVerifier;
  const logger = pino({ level: "silent" });

  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "jt-adopt" });
    kube = createKubeClients({ kubeconfig: env.kubeconfigPath });
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
    job = await env.batch.createNamespacedJob({ namespace: env.namespace, body: manifest("adopter", DEFAULT_MANAGED_BY) });
    other = await env.batch.createNamespacedJob({ namespace: env.namespace, body: manifest("other", "someone.else/controller") });
    const record: JobView = { v: 1, kind: "job", uid: job.metadata?.uid as string, name: "adopter", namespace: env.namespace, resourceVersion: "1", gone: false, job: JSON.parse(JSON.stringify(job)) as V1Job };
    verifier = new IntentVerifier({
      readView: async () => record,
      readPod: (namespace, name) => orNullIfNotFound(kube.core.readNamespacedPod({ namespace, name })),
      policy: { managedBy: DEFAULT_MANAGED_BY, manageAllJobs: false },
      partitions: P,
      now: () => Date.now(),
    });
  });
  after(async () => {
    await env?.release();
  });

  const orphan = (name: string): V1Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "adopter" } },
    spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] },
  });
  const intentFor = (pod: V1Pod): AdoptPodIntent => {
    const uid = job.metadata?.uid as string;
    return { v: 2, kind: "adoptPod", partition: partitionOf(uid, P), epoch: 1, holder: "counter-a", jobUID: uid, jobName: "adopter", namespace: env.namespace, name: pod.metadata?.name as string, podUID: pod.metadata?.uid as string, podResourceVersion: pod.metadata?.resourceVersion as string };
  };
  const deps = () => ({ api: createPodApi(kube.core, new ApiBudget({ qps: 0, burst: 0, concurrency: 4 }), createRemoverMetrics(new Registry(), () => 0)), logger, random: () => 0.5 });
  const verifiedFacts = (v: Verdict): VerifiedFacts => {
    assert.equal(v.kind, "allow", JSON.stringify(v));
    return { podResourceVersion: v.kind === "allow" ? v.podResourceVersion : undefined };
  };
  const controllersOf = async (name: string): Promise<string[]> => {
    const p = await kube.core.readNamespacedPod({ namespace: env.namespace, name });
    return (p.metadata?.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);
  };
  const finalizersOf = async (name: string): Promise<string[]> => (await kube.core.readNamespacedPod({ namespace: env.namespace, name })).metadata?.finalizers ?? [];

  test("an orphan the Job selects: one patch adds the controller ownerReference and the tracking finalizer; a redelivery finds it adopted", async () => {
    const pod = await env.core.createNamespacedPod({ namespace: env.namespace, body: orphan("plain") });
    const intent = intentFor(pod);
    assert.deepStrictEqual(await executeIntent(intent, 1, deps(), verifiedFacts(await verifier.verify(intent))), { kind: "ack" });
    assert.deepStrictEqual(await controllersOf("plain"), [job.metadata?.uid]);
    assert.deepStrictEqual(await finalizersOf("plain"), [JOB_TRACKING_FINALIZER]);
    const again = await verifier.verify(intent);
    assert.equal(again.kind === "done" && again.why, "the Pod is adopted already");
  });

  test("the Pod changes between the verification and the patch: 409, retried; the retry reads it again and adopts the new version", async () => {
    const pod = await env.core.createNamespacedPod({ namespace: env.namespace, body: orphan("changes") });
    const intent = intentFor(pod);
    const facts = verifiedFacts(await verifier.verify(intent));
    // Someone writes the Pod in between (a label the selector does not look at).
    await kube.core.patchNamespacedPodStrategic({ namespace: env.namespace, name: "changes", body: { metadata: { labels: { touched: "yes" } } } });
    const first = await executeIntent(intent, 1, deps(), facts);
    assert.equal(first.kind, "retry", JSON.stringify(first));
    assert.deepStrictEqual(await controllersOf("changes"), [], "not adopted blindly");
    const second = await executeIntent(intent, 2, deps(), verifiedFacts(await verifier.verify(intent)));
    assert.deepStrictEqual(second, { kind: "ack" });
    assert.deepStrictEqual(await controllersOf("changes"), [job.metadata?.uid]);
  });

  test("another controller takes the Pod between the verification and the patch: the API server refuses a second controller; dropped, the Pod keeps its one controller", async () => {
    const pod = await env.core.createNamespacedPod({ namespace: env.namespace, body: orphan("taken") });
    const intent = intentFor(pod);
    const facts = verifiedFacts(await verifier.verify(intent));
    const taken = await kube.core.patchNamespacedPodStrategic({
      namespace: env.namespace,
      name: "taken",
      body: { metadata: { ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "other", uid: other.metadata?.uid as string, controller: true }] } },
    });
    // Whichever check catches it first (the precondition, or the one-controller rule), nothing is patched.
    const out = await executeIntent(intent, 1, deps(), { podResourceVersion: facts.podResourceVersion });
    assert.notDeepStrictEqual(out, { kind: "ack" });
    // Even with the current version, the API server refuses a second controller.
    const forced = await executeIntent(intent, 1, deps(), { podResourceVersion: taken.metadata?.resourceVersion });
    assert.equal(forced.kind, "drop", JSON.stringify(forced));
    assert.deepStrictEqual(await controllersOf("taken"), [other.metadata?.uid]);
    assert.deepStrictEqual(await finalizersOf("taken"), []);
    const again = await verifier.verify(intent);
    assert.equal(again.kind === "done" && again.why, "the Pod has a controller now");
  });

  test("its labels change before the verification: left alone", async () => {
    const pod = await env.core.createNamespacedPod({ namespace: env.namespace, body: orphan("relabelled") });
    await kube.core.patchNamespacedPodStrategic({ namespace: env.namespace, name: "relabelled", body: { metadata: { labels: { app: "elsewhere" } } } });
    const v = await verifier.verify(intentFor(pod));
    assert.equal(v.kind, "done");
    assert.deepStrictEqual(await controllersOf("relabelled"), []);
  });
});
