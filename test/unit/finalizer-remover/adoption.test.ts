/**
 * The finalizer-remover's half of adoption: verify.ts accepts an `adoptPod` intent only for a Job
 * that exists, is managed here, lives in the Pod's namespace and is neither being deleted nor
 * finished, and only for a Pod that the API shows now with no controller, not being deleted, with
 * labels the Job's selector matches; the executor patches with that read's resourceVersion and the
 * Pod's UID as preconditions. Faults: the patch answered 409 (the Pod changed since it was read:
 * retried, and the retry reads and judges it again), 404, 422 (another controller took it), an
 * intent decided under a superseded lease (fenced, nothing sent), an intent not verified.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { executeIntent, IntentFencedError, type OutcomeLabel, type PodApi } from "../../../services/finalizer-remover/executor.js";
import { IntentVerifier, verifyAdoptionJob, verifyAdoptionPod, type Verdict } from "../../../services/finalizer-remover/verify.js";
import { adoptionPatch } from "../../../services/finalizer-remover/kube-api.js";
import { decideOnApiError } from "../../../services/finalizer-remover/decide.js";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { AdoptPodIntent } from "../../../shared/intents/intents.js";
import { intentDedupId } from "../../../shared/intents/intents.js";
import { parseIntent } from "../../../shared/intents/validate.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView, ViewRecord } from "../../../shared/view/records.js";
import { jobViewSubject } from "../../../shared/view/subjects.js";

const P = 8;
const policy = { managedBy: "jobtally.io/controller", manageAllJobs: false };
const JOB_UID = "job-uid-1";
const part = partitionOf(JOB_UID, P);

function job(over: { managedBy?: string; namespace?: string; deleting?: boolean; finished?: boolean; uid?: string } = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "work", namespace: over.namespace ?? "ns", uid: over.uid ?? JOB_UID, ...(over.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" as unknown as Date } : {}) },
    spec: {
      managedBy: over.managedBy ?? "jobtally.io/controller",
      manualSelector: true,
      selector: { matchLabels: { app: "w" } },
      template: { metadata: { labels: { app: "w" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } },
    },
    status: over.finished ? { conditions: [{ type: "Failed", status: "True" }] } : {},
  };
}
const jobRecord = (j: V1Job, gone = false): JobView => ({ v: 1, kind: "job", uid: j.metadata!.uid!, name: j.metadata!.name!, namespace: j.metadata!.namespace!, resourceVersion: "5", gone, job: gone ? null : j });
const adoption = (over: Partial<AdoptPodIntent> = {}): AdoptPodIntent => ({
  v: 2, epoch: 1, holder: "c", kind: "adoptPod", partition: part, jobUID: JOB_UID, jobName: "work", namespace: "ns", name: "orphan", podUID: "pu1", podResourceVersion: "7", ...over,
});
function livePod(over: { uid?: string; labels?: Record<string, string>; controller?: string; otherOwner?: boolean; deleting?: boolean; rv?: string; namespace?: string } = {}): V1Pod {
  const refs = [];
  if (over.controller) refs.push({ apiVersion: "batch/v1", kind: "Job", name: "x", uid: over.controller, controller: true });
  if (over.otherOwner) refs.push({ apiVersion: "v1", kind: "ConfigMap", name: "cm", uid: "cm-uid" });
  return {
    metadata: {
      name: "orphan",
      namespace: over.namespace ?? "ns",
      uid: over.uid ?? "pu1",
      resourceVersion: over.rv ?? "9",
      labels: over.labels ?? { app: "w" },
      ownerReferences: refs,
      ...(over.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" as unknown as Date } : {}),
    },
  };
}

describe("verifyAdoptionJob / verifyAdoptionPod", () => {
  const jobCases: { name: string; intent?: AdoptPodIntent; record: JobView | null; want: Verdict["kind"]; code?: string }[] = [
    { name: "a managed Job in the Pod's namespace: allowed", record: jobRecord(job()), want: "allow" },
    { name: "a Job not in the view (does not exist, or not managed here): refused", record: null, want: "refuse", code: "job-unknown" },
    { name: "a Job managed by someone else: refused", record: jobRecord(job({ managedBy: "kueue.x-k8s.io/multikueue" })), want: "refuse", code: "job-not-managed" },
    { name: "a Job in another namespace than the Pod: refused", intent: adoption({ namespace: "kube-system" }), record: jobRecord(job()), want: "refuse", code: "namespace" },
    { name: "an intent filed under another partition: refused", intent: adoption({ partition: (part + 1) % P }), record: jobRecord(job()), want: "refuse", code: "partition" },
    { name: "an intent naming the Job wrongly: refused", intent: adoption({ jobName: "other" }), record: jobRecord(job()), want: "refuse", code: "job-mismatch" },
    { name: "a deleted Job: nothing to do", record: jobRecord(job(), true), want: "done" },
    { name: "a Job being deleted adopts nothing (in-tree canAdopt): nothing to do", record: jobRecord(job({ deleting: true })), want: "done" },
    { name: "a finished Job adopts nothing: nothing to do", record: jobRecord(job({ finished: true })), want: "done" },
  ];
  for (const c of jobCases) {
    test(`Job: ${c.name}`, () => {
      const v = verifyAdoptionJob(c.intent ?? adoption(), c.record, policy, P);
      assert.equal(v.kind, c.want, JSON.stringify(v));
      if (c.code) assert.equal(v.kind === "refuse" && v.code, c.code);
    });
  }

  const podCases: { name: string; pod: V1Pod | null; want: Verdict["kind"]; why?: RegExp }[] = [
    { name: "an orphan the selector matches: allowed, with the resourceVersion read", pod: livePod(), want: "allow" },
    { name: "an orphan with a non-controller ownerReference: allowed", pod: livePod({ otherOwner: true }), want: "allow" },
    { name: "gone: nothing to do", pod: null, want: "done", why: /does not exist/ },
    { name: "the name belongs to another Pod now: nothing to do", pod: livePod({ uid: "newer" }), want: "done", why: /another Pod/ },
    { name: "adopted already (a redelivery): nothing to do", pod: livePod({ controller: JOB_UID }), want: "done", why: /adopted already/ },
    { name: "another controller took it: left alone", pod: livePod({ controller: "someone-else" }), want: "done", why: /controller/ },
    { name: "being deleted: left alone (in-tree ClaimObject)", pod: livePod({ deleting: true }), want: "done", why: /deleted/ },
    { name: "its labels no longer match: left alone", pod: livePod({ labels: { app: "other" } }), want: "done", why: /selector/ },
    { name: "in another namespace than the Job: refused", pod: livePod({ namespace: "kube-system" }), want: "refuse" },
  ];
  for (const c of podCases) {
    test(`Pod: ${c.name}`, () => {
      const v = verifyAdoptionPod(adoption(), job(), c.pod);
      assert.equal(v.kind, c.want, JSON.stringify(v));
      if (c.why) assert.match(v.kind === "done" ? v.why : "", c.why);
      if (v.kind === "allow") assert.equal(v.podResourceVersion, "9", "the precondition is the version just read, not the view's");
    });
  }

  test("IntentVerifier: the Job record is read afresh for every adoption, the Pod from the API", async () => {
    const reads: string[] = [];
    let record: JobView = jobRecord(job());
    const verifier = new IntentVerifier({
      readView: async (subject) => (reads.push(subject), record as ViewRecord),
      readPod: async (ns, name) => (reads.push(`pod ${ns}/${name}`), livePod()),
      policy,
      partitions: P,
      now: () => 0,
    });
    assert.deepStrictEqual(await verifier.verify(adoption()), { kind: "allow", podResourceVersion: "9" });
    record = jobRecord(job({ deleting: true }));
    assert.equal((await verifier.verify(adoption())).kind, "done", "a deletion seen at once, not after the cache's 30 s");
    assert.deepStrictEqual(reads, [jobViewSubject(part, JOB_UID), "pod ns/orphan", jobViewSubject(part, JOB_UID)]);
  });
});

describe("the adoptPod intent on the wire", () => {
  test("parses; its dedup id carries the epoch and the Pod's version in the view (a changed Pod is asked for again)", () => {
    const i = adoption();
    assert.deepStrictEqual(parseIntent(JSON.stringify(i)), i);
    assert.equal(intentDedupId(i), "adopt:1:pu1:7");
    assert.notEqual(intentDedupId(adoption({ podResourceVersion: "8" })), intentDedupId(i));
    assert.notEqual(intentDedupId(adoption({ epoch: 2 })), intentDedupId(i));
    assert.throws(() => parseIntent(JSON.stringify({ ...i, podUID: "" })), /podUID/);
  });

  test("the patch: controller ownerReference and tracking finalizer in one strategic merge, UID and resourceVersion as preconditions", () => {
    assert.deepStrictEqual(adoptionPatch({ uid: "pu1", resourceVersion: "9" }, { name: "work", uid: JOB_UID }), {
      metadata: {
        uid: "pu1",
        resourceVersion: "9",
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "work", uid: JOB_UID, controller: true, blockOwnerDeletion: true }],
        finalizers: [JOB_TRACKING_FINALIZER],
      },
    });
  });
});

function apiError(code: number, reason: string, message: string): Error {
  return Object.assign(new Error(message), { code, body: JSON.stringify({ kind: "Status", code, reason, message }) });
}

describe("executing an adoption under faults", () => {
  function harness(answers: (Error | null)[]) {
    const calls: { ns: string; name: string; patch: object }[] = [];
    const outcomes: OutcomeLabel[] = [];
    const api: PodApi = {
      removeFinalizer: async () => assert.fail("no removal"),
      createPod: async () => assert.fail("no creation"),
      deletePod: async () => assert.fail("no deletion"),
      adoptPod: async (ns, name, patch, guard) => {
        guard?.();
        calls.push({ ns, name, patch });
        const e = answers.shift();
        if (e) throw e;
      },
    };
    return { api, calls, outcomes, deps: { api, logger: pino({ level: "silent" }), onOutcome: (_k: string, o: OutcomeLabel) => void outcomes.push(o), random: () => 0.5 } };
  }

  test("verified: one patch, with the version the verification read; acked", async () => {
    const h = harness([null]);
    const out = await executeIntent(adoption(), 1, h.deps, { podResourceVersion: "9" });
    assert.deepStrictEqual(out, { kind: "ack" });
    assert.equal(h.calls.length, 1);
    assert.equal((h.calls[0]?.patch as { metadata: { resourceVersion: string } }).metadata.resourceVersion, "9");
    assert.deepStrictEqual(h.outcomes, ["done"]);
  });

  test("not verified (its lease was not verified on arrival): nothing sent, decided again on the next delivery", async () => {
    const h = harness([]);
    const out = await executeIntent(adoption(), 1, h.deps);
    assert.equal(out.kind, "retry");
    assert.equal(h.calls.length, 0);
  });

  test("not verified because its lease is superseded: fenced at once, not retried forever", async () => {
    const h = harness([]);
    const out = await executeIntent(adoption(), 1, {
      ...h.deps,
      fence: () => {
        throw new IntentFencedError("epoch 1 superseded");
      },
    });
    assert.equal(out.kind, "drop");
    assert.deepStrictEqual(h.outcomes, ["fenced"]);
    assert.equal(h.calls.length, 0);
  });

  test("409 Conflict (the Pod changed since it was read): retried, never forced", async () => {
    const h = harness([apiError(409, "Conflict", 'Operation cannot be fulfilled on pods "orphan": the object has been modified; please apply your changes to the latest version and try again')]);
    const out = await executeIntent(adoption(), 1, h.deps, { podResourceVersion: "9" });
    assert.equal(out.kind, "retry");
    assert.deepStrictEqual(h.outcomes, ["retry"]);
  });

  test("404 (the Pod is gone): done", async () => {
    const h = harness([apiError(404, "NotFound", 'pods "orphan" not found')]);
    assert.deepStrictEqual(await executeIntent(adoption(), 1, h.deps, { podResourceVersion: "9" }), { kind: "ack" });
    assert.deepStrictEqual(h.outcomes, ["already-done"]);
  });

  test("UID precondition failed (the name now belongs to a new Pod): done, the new Pod untouched", async () => {
    const h = harness([apiError(409, "Conflict", "Precondition failed: UID in precondition: pu1, UID in object meta: newer")]);
    assert.deepStrictEqual(await executeIntent(adoption(), 1, h.deps, { podResourceVersion: "9" }), { kind: "ack" });
  });

  test("422 (another controller took it meanwhile, or it is being deleted): dropped, the counter re-plans from the view", async () => {
    const h = harness([apiError(422, "Invalid", 'Pod "orphan" is invalid: metadata.ownerReferences: Invalid value: "[...]": Only one reference can have Controller set to true')]);
    const out = await executeIntent(adoption(), 1, h.deps, { podResourceVersion: "9" });
    assert.equal(out.kind, "drop");
    assert.deepStrictEqual(h.outcomes, ["dropped"]);
  });

  test("a stale epoch (another counter took the partition over): fenced, nothing sent", async () => {
    const h = harness([]);
    const out = await executeIntent(adoption({ epoch: 1 }), 1, {
      ...h.deps,
      fence: () => {
        throw new IntentFencedError("epoch 1 of counter c superseded by epoch 2 of counter d");
      },
    }, { podResourceVersion: "9" });
    assert.equal(out.kind, "drop");
    assert.equal(h.calls.length, 0);
    assert.deepStrictEqual(h.outcomes, ["fenced"]);
  });

  test("decideOnApiError: an adoption is never retried on a long 'rejected' backoff (nothing to abandon), 5xx and 429 retried", () => {
    const info = (code: number) => ({ code, reason: null, message: "", retryAfterMs: null });
    assert.equal(decideOnApiError("adoptPod", info(403), 1).kind, "rejected-drop");
    assert.equal(decideOnApiError("adoptPod", info(503), 1).kind, "retry");
    assert.equal(decideOnApiError("adoptPod", info(429), 1).kind, "retry");
    assert.equal(decideOnApiError("adoptPod", info(409), 1).kind, "retry");
  });
});
