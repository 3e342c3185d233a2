/**
 * Bounded memory (issue 11): the finalizer-remover keeps no per-Pod state (an intent is carried
 * out and acked), and its one per-Job structure, IntentVerifier's cache of Job records, stays under
 * its bound however many Jobs come and go.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { buildPodForCreation } from "../../../services/counter/logic/pod-template.js";
import { IntentVerifier, JOB_CACHE_TTL_MS } from "../../../services/finalizer-remover/verify.js";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { CreatePodIntent, RemoveFinalizerIntent } from "../../../shared/intents/intents.js";
import { partitionOf } from "../../../shared/partition.js";
import type { JobView, ViewRecord } from "../../../shared/view/records.js";

const P = 16;
const policy = { managedBy: "jobtally.io/controller", manageAllJobs: false };
/** IntentVerifier evicts expired Job records once it holds this many (verify.ts evictOld). */
const CACHE_BOUND = 10_000;

function job(uid: string): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `work-${uid}`, namespace: "ns", uid },
    spec: { managedBy: policy.managedBy, completions: 2, parallelism: 2, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] } } },
  };
}

const jobView = (j: V1Job): JobView => ({ v: 1, kind: "job", uid: j.metadata!.uid!, name: j.metadata!.name!, namespace: "ns", resourceVersion: "5", gone: false, job: j });

function cacheSize(v: IntentVerifier): number {
  return (v as unknown as { jobs: Map<string, unknown> }).jobs.size;
}

describe("the finalizer-remover's memory is bounded", () => {
  test("30,000 Jobs over 5 minutes, each with creations and removals: the Job cache stays under its bound", async () => {
    let now = 0;
    const jobs = new Map<string, V1Job>();
    /** The view: every Job's record; no Pod records (they are purged once settled), so removals read the Pod. */
    const readView = async (subject: string): Promise<ViewRecord | null> => {
      const m = /\.([^.]+)\.job$/.exec(subject);
      const j = m ? jobs.get(m[1] as string) : undefined;
      return j ? jobView(j) : null;
    };
    const livePods = new Map<string, V1Pod>();
    const verifier = new IntentVerifier({ readView, readPod: async (ns, name) => livePods.get(`${ns}/${name}`) ?? null, policy, partitions: P, now: () => now, jobCacheTtlMs: JOB_CACHE_TTL_MS });
    let maxSize = 0;
    for (let i = 0; i < 30_000; i++) {
      const uid = `job-${i}`;
      const j = job(uid);
      jobs.set(uid, j);
      const partition = partitionOf(uid, P);
      const pod = buildPodForCreation(j, `work-${uid}-abcde`, null);
      const create: CreatePodIntent = { v: 2, epoch: 1, holder: "c", kind: "createPod", partition, jobUID: uid, jobName: j.metadata!.name!, namespace: "ns", pod };
      assert.equal((await verifier.verify(create)).kind, "allow");
      // The Pod runs and finishes; its removal is verified against the live Pod.
      const name = pod.metadata!.name!;
      livePods.set(`ns/${name}`, { ...pod, metadata: { ...pod.metadata, uid: `pod-${i}`, finalizers: [JOB_TRACKING_FINALIZER] } });
      const removal: RemoveFinalizerIntent = { v: 2, epoch: 1, holder: "c", kind: "removeFinalizer", partition, jobUID: uid, namespace: "ns", name, podUID: `pod-${i}`, reason: "count" };
      assert.equal((await verifier.verify(removal)).kind, "allow");
      livePods.delete(`ns/${name}`);
      jobs.delete(uid);
      maxSize = Math.max(maxSize, cacheSize(verifier));
      now += 10; // 100 Jobs a second
    }
    assert.ok(maxSize <= CACHE_BOUND, `at most ${CACHE_BOUND} Job records cached (saw ${maxSize})`);
  });
});
