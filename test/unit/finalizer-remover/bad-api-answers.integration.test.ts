/**
 * The finalizer-remover against a misbehaving API (the simulator's fault modes): answers that are
 * not JSON or cut short, and an admission webhook rejecting every finalizer patch. Each intent is
 * retried, never acked unexecuted, the finalizer stays until it really goes, errors are counted
 * and logged rate-limited, and the service keeps running.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Registry } from "prom-client";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { buildPodForCreation } from "../../../services/counter/logic/pod-template.js";
import { runFinalizerRemover } from "../../../services/finalizer-remover/run.js";
import { INTENT_STREAM, JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { RemoveFinalizerIntent } from "../../../shared/intents/intents.js";
import { createKubeClients } from "../../../shared/kube/client.js";
import { IntentPublisher } from "../../../shared/nats/intent-queue.js";
import { ensureStreams } from "../../../shared/nats/streams.js";
import { createLogger, silentLogger } from "../../../shared/observability/logger.js";
import { openOwnershipBucket } from "../../../shared/ownership/bucket.js";
import { encodeRecord, leaseKey } from "../../../shared/ownership/records.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView, PodView } from "../../../shared/view/records.js";
import { jobViewSubject, podViewSubject } from "../../../shared/view/subjects.js";
import { acquireKubeEnv, SIMULATOR_ONLY, type KubeEnv } from "../../support/kube-env.js";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.js";

const PARTITIONS = 4;

async function eventually(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("finalizer-remover against bad API answers", () => {
  let kube: KubeEnv;
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let job: V1Job;
  const logLines: Array<Record<string, unknown>> = [];
  let run: Promise<void>;
  const ac = new AbortController();
  const registry = new Registry();

  const faults = async (body: unknown): Promise<void> => {
    const r = await fetch(`${kube.simulatorUrl}/admin/faults`, { method: "PUT", body: JSON.stringify(body) });
    assert.equal(r.status, 200, await r.text());
  };
  const hasFinalizer = async (name: string): Promise<boolean> => ((await kube.core.readNamespacedPod({ namespace: kube.namespace, name })).metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
  const metric = async (re: RegExp): Promise<number> => Number(re.exec(await registry.metrics())?.[1] ?? 0);

  /** Pods of the managed Job, known to the view, and a removal intent for each. */
  async function podsWithRemovals(names: string[]): Promise<RemoveFinalizerIntent[]> {
    const uid = job.metadata?.uid as string;
    const p = partitionOf(uid, PARTITIONS);
    const js = jetstream(nc);
    const out: RemoveFinalizerIntent[] = [];
    for (const name of names) {
      const pod: V1Pod = await kube.core.createNamespacedPod({ namespace: kube.namespace, body: buildPodForCreation(job, name, null) });
      const rec: PodView = {
        v: 1, kind: "pod", uid: pod.metadata?.uid as string, name, namespace: kube.namespace, jobUID: uid, resourceVersion: "1",
        phase: "Succeeded", hasFinalizer: true, deletionTimestamp: null, gone: false, ready: false, completionIndex: null, creationTimestamp: null, finishedAt: null,
      };
      await js.publish(podViewSubject(p, uid, rec.uid), JSON.stringify(rec));
      out.push({ v: 2, epoch: 1, holder: "counter-a", kind: "removeFinalizer", partition: p, jobUID: uid, namespace: kube.namespace, name, podUID: rec.uid, reason: "count" });
    }
    return out;
  }

  before(async () => {
    nats = await startNatsServer();
    kube = await acquireKubeEnv({ namespacePrefix: "jt-badapi" });
    nc = await connect({ servers: nats.url });
    await ensureStreams(nc, { replicas: 1 });
    if (!kube.isSimulator) return;
    job = await kube.batch.createNamespacedJob({
      namespace: kube.namespace,
      body: { metadata: { name: "job" }, spec: { managedBy: "jobtally.io/controller", completions: 10, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } },
    });
    const uid = job.metadata?.uid as string;
    const rec: JobView = { v: 1, kind: "job", uid, name: "job", namespace: kube.namespace, resourceVersion: "1", gone: false, job: JSON.parse(JSON.stringify(job)) as V1Job };
    await jetstream(nc).publish(jobViewSubject(partitionOf(uid, PARTITIONS), uid), JSON.stringify(rec));
    const bucket = await openOwnershipBucket(nc, 1);
    for (let p = 0; p < PARTITIONS; p++) await bucket.put(leaseKey(p), encodeRecord({ v: 1, holder: "counter-a", epoch: 1, writtenAtMs: 0 }));
    const logger = createLogger("finalizer-remover", "info", { write: (s: string) => void logLines.push(JSON.parse(s) as Record<string, unknown>) });
    run = runFinalizerRemover(
      { qps: 100, burst: 0, concurrency: 4, ackWaitMs: 10_000, streamReplicas: 1, sharedQps: 0, sharedBurst: 0, budgetGroup: "default", managedBy: "jobtally.io/controller", manageAllJobs: false, partitions: PARTITIONS },
      { kube: createKubeClients({ kubeconfig: kube.kubeconfigPath }), nc, logger, signal: ac.signal, registry },
    );
  });
  after(async () => {
    ac.abort();
    await run?.catch(() => undefined);
    if (kube?.isSimulator) await faults({ errors: [], malformed: [] }).catch(() => undefined);
    await nc?.close();
    await kube?.release();
    await nats?.stop();
  });

  test("answers that are not JSON, or cut short, are retried; the finalizer goes once the API answers properly", async (t) => {
    if (!kube.isSimulator) return t.skip(SIMULATOR_ONLY);
    const retries = (): Promise<number> => metric(/jobtally_intents_total\{kind="removeFinalizer",outcome="retry"\} (\d+)/);
    const intents = await podsWithRemovals(["garbled-1", "garbled-2"]);
    await faults({ malformed: [{ mode: "not-json", probability: 1, verbs: ["patch"], resources: ["pods"] }] });
    await new IntentPublisher(jetstream(nc), { logger: silentLogger() }).publishAll(intents);
    await eventually(async () => (await retries()) >= 2, 20_000, "both removals retried after an HTML answer");
    assert.ok(await hasFinalizer("garbled-1"), "an unreadable answer is not taken for a success");
    assert.ok(await hasFinalizer("garbled-2"));
    const after = await retries();
    await faults({ malformed: [{ mode: "truncated", probability: 1, verbs: ["patch"], resources: ["pods"] }] });
    await eventually(async () => (await retries()) >= after + 2, 20_000, "both removals retried after a truncated answer");
    assert.ok(await hasFinalizer("garbled-1"));
    await faults({ malformed: [] });
    await eventually(async () => !(await hasFinalizer("garbled-1")) && !(await hasFinalizer("garbled-2")), 30_000, "the finalizers removed after the API recovered");
  });

  test("a webhook rejecting every finalizer patch: counted, one error line per 10 s, retried, the finalizer never abandoned", async (t) => {
    if (!kube.isSimulator) return t.skip(SIMULATOR_ONLY);
    await faults({ errors: [{ code: 400, probability: 1, verbs: ["patch"], resources: ["pods"] }] });
    const names = ["held-1", "held-2", "held-3", "held-4", "held-5"];
    const before = logLines.length;
    await new IntentPublisher(jetstream(nc), { logger: silentLogger() }).publishAll(await podsWithRemovals(names));
    await eventually(async () => (await metric(/jobtally_intent_rejections_total\{kind="removeFinalizer",code="400"\} (\d+)/)) >= names.length, 20_000, "every removal rejected");
    for (const n of names) assert.ok(await hasFinalizer(n), `${n} keeps its finalizer`);
    const errors = logLines.slice(before).filter((l) => l.level === 50 && /rejected it/.test(String(l.msg)));
    assert.equal(errors.length, 1, "one error line for five rejections within 10 s");
    assert.match(String(errors[0]!.err), /admission webhook .* denied the request/);
    // Not acked, not terminated: every intent is still in the work queue, waiting for its retry.
    const jsm = await jetstreamManager(nc);
    assert.equal((await jsm.streams.info(INTENT_STREAM)).state.messages, names.length);
    assert.ok(!ac.signal.aborted, "the service keeps running");
  });
});
