/**
 * Intent verification (services/finalizer-remover/verify.ts): forged intents are refused, the
 * counter's own are allowed. Genuine Pods come from the counter's real builder, so a change there
 * that the verifier does not follow fails here first.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { buildPodForCreation } from "../../../services/counter/logic/pod-template.js";
import { IntentVerifier, podTemplateMismatch, verifyCreation, verifyLivePod, verifyPodRecord, type Verdict } from "../../../services/finalizer-remover/verify.js";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { CreatePodIntent, DeletePodIntent, RemoveFinalizerIntent } from "../../../shared/intents/intents.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView, PodView, ViewRecord } from "../../../shared/view/records.js";
import { jobViewSubject, podViewSubject } from "../../../shared/view/subjects.js";

const P = 8;
const policy = { managedBy: "jobtally.io/controller", manageAllJobs: false };
const JOB_UID = "job-uid-1";
const part = partitionOf(JOB_UID, P);

function job(over: { uid?: string; managedBy?: string; namespace?: string; indexed?: boolean; perIndex?: boolean } = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "work", namespace: over.namespace ?? "ns", uid: over.uid ?? JOB_UID },
    spec: {
      managedBy: over.managedBy ?? "jobtally.io/controller",
      completions: 4,
      parallelism: 2,
      ...(over.indexed ? { completionMode: "Indexed" } : {}),
      ...(over.perIndex ? { backoffLimitPerIndex: 1 } : {}),
      template: {
        metadata: { labels: { app: "w" }, annotations: { note: "x" } },
        spec: {
          restartPolicy: "Never",
          initContainers: [{ name: "init", image: "busybox:1.36" }],
          containers: [{ name: "c", image: "busybox:1.36", command: ["sh", "-c", "true"], resources: { limits: { cpu: "100m" } } }],
        },
      },
    },
  };
}
const jobRecord = (j: V1Job, gone = false): JobView => ({ v: 1, kind: "job", uid: j.metadata!.uid!, name: j.metadata!.name!, namespace: j.metadata!.namespace!, resourceVersion: "5", gone, job: gone ? null : j });
const creation = (pod: V1Pod, over: Partial<CreatePodIntent> = {}): CreatePodIntent => ({ v: 2, epoch: 1, holder: "c", kind: "createPod", partition: part, jobUID: JOB_UID, jobName: "work", namespace: "ns", pod, ...over });
const genuine = (j = job()): V1Pod => buildPodForCreation(j, "work-bcdfghjklm", null);
const mutate = (f: (p: V1Pod) => void, base = genuine()): V1Pod => {
  const p = structuredClone(base);
  f(p);
  return p;
};

describe("verifyCreation", () => {
  const cases: { name: string; intent: CreatePodIntent; record: JobView | null; policy?: typeof policy; want: Verdict["kind"]; code?: string }[] = [
    { name: "the counter's own Pod for a managed Job is allowed", intent: creation(genuine()), record: jobRecord(job()), want: "allow" },
    {
      name: "an Indexed Job's Pod with its index, env, hostname and failure counts is allowed",
      intent: creation(buildPodForCreation(job({ indexed: true, perIndex: true }), "work-2-bcdfghjklm", 2, { failureCount: 1, ignoredFailureCount: 2 })),
      record: jobRecord(job({ indexed: true, perIndex: true })),
      want: "allow",
    },
    { name: "a Job that does not exist (no record in the view) is refused", intent: creation(genuine()), record: null, want: "refuse", code: "job-unknown" },
    { name: "a deleted Job: nothing to create, acked", intent: creation(genuine()), record: jobRecord(job(), true), want: "done" },
    {
      name: "a Job being deleted: nothing to create (an intent that waited in the queue), acked",
      intent: creation(genuine()),
      record: jobRecord({ ...job(), metadata: { ...job().metadata, deletionTimestamp: new Date() } }),
      want: "done",
    },
    ...(["Complete", "Failed"] as const).map((type) => ({
      name: `a ${type} Job: no Pod created after its end (it would run uncounted), acked`,
      intent: creation(genuine()),
      record: jobRecord({ ...job(), status: { conditions: [{ type, status: "True" }] } }),
      want: "done" as const,
    })),
    {
      name: "a Job with a False terminal condition still gets its Pods",
      intent: creation(genuine()),
      record: jobRecord({ ...job(), status: { conditions: [{ type: "Failed", status: "False" }] } }),
      want: "allow",
    },
    { name: "a Job managed by someone else is refused", intent: creation(genuine()), record: jobRecord(job({ managedBy: "kueue.x-k8s.io/multikueue" })), want: "refuse", code: "job-not-managed" },
    { name: "manage-all: a Job without managedBy is managed", intent: creation(genuine()), record: jobRecord({ ...job(), spec: { ...job().spec!, managedBy: undefined } }), policy: { ...policy, manageAllJobs: true }, want: "allow" },
    { name: "a Pod in another namespace than its Job is refused", intent: creation(mutate((p) => (p.metadata!.namespace = "kube-system")), { namespace: "kube-system" }), record: jobRecord(job()), want: "refuse", code: "namespace" },
    { name: "a Pod manifest naming another namespace is refused", intent: creation(mutate((p) => (p.metadata!.namespace = "kube-system"))), record: jobRecord(job()), want: "refuse", code: "namespace" },
    { name: "a foreign template (another image) is refused", intent: creation(mutate((p) => (p.spec!.containers[0]!.image = "evil:latest"))), record: jobRecord(job()), want: "refuse", code: "template" },
    { name: "a privileged addition (hostNetwork) is refused", intent: creation(mutate((p) => (p.spec!.hostNetwork = true))), record: jobRecord(job()), want: "refuse", code: "template" },
    { name: "an extra label is refused", intent: creation(mutate((p) => (p.metadata!.labels!["np-allow"] = "all"))), record: jobRecord(job()), want: "refuse", code: "template" },
    { name: "a Pod without the tracking finalizer is refused", intent: creation(mutate((p) => (p.metadata!.finalizers = []))), record: jobRecord(job()), want: "refuse", code: "template" },
    { name: "no ownerReference is refused", intent: creation(mutate((p) => delete p.metadata!.ownerReferences)), record: jobRecord(job()), want: "refuse", code: "owner" },
    { name: "an ownerReference to another Job is refused", intent: creation(mutate((p) => (p.metadata!.ownerReferences![0]!.uid = "other"))), record: jobRecord(job()), want: "refuse", code: "owner" },
    { name: "a second ownerReference is refused", intent: creation(mutate((p) => p.metadata!.ownerReferences!.push({ apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "y" }))), record: jobRecord(job()), want: "refuse", code: "owner" },
    { name: "an intent filed under another partition is refused", intent: creation(genuine(), { partition: (part + 1) % P }), record: jobRecord(job()), want: "refuse", code: "partition" },
    { name: "an intent naming the Job wrongly is refused", intent: creation(genuine(), { jobName: "other" }), record: jobRecord(job()), want: "refuse", code: "job-mismatch" },
    { name: "an Indexed Job's Pod without its index is refused", intent: creation(genuine(job({ indexed: true }))), record: jobRecord(job({ indexed: true })), want: "refuse", code: "template" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = verifyCreation(c.intent, c.record, c.policy ?? policy, P);
      assert.equal(v.kind, c.want, JSON.stringify(v));
      if (c.code) assert.equal(v.kind === "refuse" && v.code, c.code);
    });
  }

  test("podTemplateMismatch says what differs", () => {
    assert.equal(podTemplateMismatch(job(), genuine()), null);
    assert.match(podTemplateMismatch(job(), mutate((p) => (p.spec!.serviceAccountName = "admin"))) ?? "", /spec differs/);
    assert.match(podTemplateMismatch(job(), mutate((p) => ((p as Record<string, unknown>).status = {}))) ?? "", /unexpected Pod fields status/);
  });
});

const removal = (over: Partial<RemoveFinalizerIntent> = {}): RemoveFinalizerIntent => ({ v: 2, epoch: 1, holder: "c", kind: "removeFinalizer", partition: part, jobUID: JOB_UID, namespace: "ns", name: "p1", podUID: "pu1", reason: "count", ...over });
const deletion = (over: Partial<DeletePodIntent> = {}): DeletePodIntent => ({ v: 2, epoch: 1, holder: "c", kind: "deletePod", partition: part, jobUID: JOB_UID, jobName: "work", namespace: "ns", name: "p1", podUID: "pu1", reason: "excess-active", removeFinalizerFirst: true, ...over });
const podRecord = (over: Partial<PodView> = {}): PodView => ({
  v: 1, kind: "pod", uid: "pu1", name: "p1", namespace: "ns", jobUID: JOB_UID, resourceVersion: "7", phase: "Succeeded", hasFinalizer: true, deletionTimestamp: null, gone: false, ready: false, completionIndex: null, creationTimestamp: null, finishedAt: null, ...over,
});
const livePod = (controller: { uid: string; kind?: string } | null, over: { uid?: string; finalizer?: boolean } = {}): V1Pod => ({
  metadata: {
    name: "p1",
    namespace: "ns",
    uid: over.uid ?? "pu1",
    finalizers: over.finalizer === false ? [] : [JOB_TRACKING_FINALIZER],
    ownerReferences: controller ? [{ apiVersion: controller.kind === "ReplicaSet" ? "apps/v1" : "batch/v1", kind: controller.kind ?? "Job", name: "owner", uid: controller.uid, controller: true }] : [],
  },
});

describe("removals and deletions", () => {
  test("the Pod's record under that Job in the view allows it; a record of another Pod refuses it", () => {
    assert.deepEqual(verifyPodRecord(removal(), podRecord()), { kind: "allow" });
    assert.equal(verifyPodRecord(removal(), null), "unknown");
    const v = verifyPodRecord(removal({ namespace: "kube-system" }), podRecord());
    assert.equal(v !== "unknown" && v.kind === "refuse" && v.code, "pod-mismatch");
  });

  const cases: { name: string; intent: RemoveFinalizerIntent | DeletePodIntent; pod: V1Pod | null; jobRecord: JobView | null; want: Verdict["kind"]; code?: string }[] = [
    { name: "a Pod that does not exist: done, nothing sent", intent: removal(), pod: null, jobRecord: null, want: "done" },
    { name: "a name now taken by another Pod: done", intent: removal(), pod: livePod({ uid: JOB_UID }, { uid: "newer" }), jobRecord: null, want: "done" },
    { name: "a Pod of a managed Job: allowed", intent: removal(), pod: livePod({ uid: JOB_UID }), jobRecord: jobRecord(job()), want: "allow" },
    { name: "an orphan (no controller): its finalizer may go", intent: removal({ jobUID: null }), pod: livePod(null), jobRecord: null, want: "allow" },
    { name: "a Pod of a deleted Job (tombstone): orphan, allowed", intent: removal(), pod: livePod({ uid: JOB_UID }), jobRecord: jobRecord(job(), true), want: "allow" },
    { name: "a Pod whose controller Job is managed by someone else is refused", intent: removal(), pod: livePod({ uid: "foreign" }), jobRecord: jobRecord(job({ uid: "foreign", managedBy: "other" })), want: "refuse", code: "foreign-controller" },
    { name: "a Pod whose controller Job is not in the view is refused", intent: removal(), pod: livePod({ uid: "foreign" }), jobRecord: null, want: "refuse", code: "foreign-controller" },
    { name: "a deletion of a Pod controlled by another Job is refused", intent: deletion(), pod: livePod({ uid: "foreign" }), jobRecord: jobRecord(job({ uid: "foreign" })), want: "refuse", code: "foreign-controller" },
    { name: "a deletion of an orphan is refused", intent: deletion(), pod: livePod(null), jobRecord: null, want: "refuse", code: "foreign-controller" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = verifyLivePod(c.intent, c.pod, c.jobRecord, policy);
      assert.equal(v.kind, c.want, JSON.stringify(v));
      if (c.code) assert.equal(v.kind === "refuse" && v.code, c.code);
    });
  }
});

describe("IntentVerifier", () => {
  function harness(records: Map<string, ViewRecord>, pods: Map<string, V1Pod> = new Map()) {
    const reads: string[] = [];
    let now = 0;
    const verifier = new IntentVerifier({
      readView: async (s) => (reads.push(s), records.get(s) ?? null),
      readPod: async (ns, name) => (reads.push(`pod:${ns}/${name}`), pods.get(`${ns}/${name}`) ?? null),
      policy,
      partitions: P,
      now: () => now,
      jobCacheTtlMs: 30_000,
    });
    return { verifier, reads, advance: (ms: number) => (now += ms) };
  }

  test("a Job's record is read once per 30 s for its creations", async () => {
    const h = harness(new Map([[jobViewSubject(part, JOB_UID), jobRecord(job())]]));
    for (let i = 0; i < 5; i++) assert.equal((await h.verifier.verify(creation(genuine()))).kind, "allow");
    assert.equal(h.reads.length, 1);
    h.advance(30_000);
    await h.verifier.verify(creation(genuine()));
    assert.equal(h.reads.length, 2);
  });

  test("a refusal on a cached record reads the record again first (a suspended Job's template changed)", async () => {
    const records = new Map<string, ViewRecord>([[jobViewSubject(part, JOB_UID), jobRecord(job())]]);
    const h = harness(records);
    await h.verifier.verify(creation(genuine()));
    const changed = job();
    changed.spec!.template.spec!.nodeSelector = { zone: "b" };
    records.set(jobViewSubject(part, JOB_UID), jobRecord(changed));
    assert.equal((await h.verifier.verify(creation(genuine(changed)))).kind, "allow");
    assert.equal(h.reads.length, 2);
  });

  test("a removal whose Pod is in the view needs no API read; one that is not reads the Pod and judges its own controller", async () => {
    const records = new Map<string, ViewRecord>([[podViewSubject(part, JOB_UID, "pu1"), podRecord()]]);
    const foreignUID = "foreign-job";
    records.set(jobViewSubject(partitionOf(foreignUID, P), foreignUID), jobRecord(job({ uid: foreignUID, managedBy: "someone-else" })));
    const h = harness(records, new Map([["ns/p2", { ...livePod({ uid: foreignUID }), metadata: { ...livePod({ uid: foreignUID }).metadata, name: "p2", uid: "pu2" } }]]));
    assert.equal((await h.verifier.verify(removal())).kind, "allow");
    assert.ok(!h.reads.some((r) => r.startsWith("pod:")));
    // A forged removal claiming a managed Job for a Pod of someone else's Job.
    const v = await h.verifier.verify(removal({ name: "p2", podUID: "pu2" }));
    assert.equal(v.kind === "refuse" && v.code, "foreign-controller");
  });
});
