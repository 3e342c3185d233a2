/**
 * The view of a Pod going back to a state older than what the counter acted on, two ways.
 *
 * First fault: a writer of the view that lags behind (a watcher session still retrying what it saw
 * while NATS was away, a watcher that was cut off) publishes, after a Pod was counted and deleted,
 * the state the Pod had before: Succeeded, still holding the finalizer. The view's per-key
 * compare-and-set must refuse it; had the counter deleted the Pod's tombstone once it counted
 * the Pod, the key would be free, the old state stored, and the Pod counted a second time (found
 * by the chaos campaign, seed 2783410143: a single nats-server SIGKILLed with watch cuts). The
 * tombstones of counted Pods leave the view once the Job is finished.
 *
 * Second fault: the view itself goes back (a killed NATS server lost the records that followed,
 * or a nats-server 2.9 replica diverged after a restart: chaos seed 186491980), and a counter
 * rebuilds the partition from it (restarted here). The replayed record shows the counted Pod
 * finished with the finalizer; the counter checks it against the API server before listing it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { ViewPublisher } from "../../shared/nats/view-publisher.js";
import { readViewSnapshot } from "../../shared/nats/view-reader.js";
import { partitionOf } from "../../shared/partition.js";
import { podViewSubject } from "../../shared/view/subjects.js";
import { VIEW_STREAM, VIEW_SUBJECT_PREFIX } from "../../shared/constants.js";
import type { PodView, ViewRecord } from "../../shared/view/records.js";
import { silentLogger } from "../../shared/observability/logger.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const PARTITIONS = 4;

type CountedPod = { podUID: string; name: string; namespace: string };

/** The Job's first Pod once it is counted (listed no more, in `succeeded`) and gone (PodGC), the Job still running. */
async function firstPodCountedAndGone(p: Pipeline, jobName: string, jobUID: string): Promise<CountedPod> {
  const first = await waitFor(
    async () => {
      const j = await p.readJob(jobName);
      const listed = (j.status?.uncountedTerminatedPods?.succeeded?.length ?? 0) + (j.status?.uncountedTerminatedPods?.failed?.length ?? 0);
      if ((j.status?.succeeded ?? 0) < 1 || listed > 0) return undefined;
      const pod = (await p.kubeletRecord()).pods.find((r) => r.jobUID === jobUID && r.phase === "Succeeded");
      return pod && (await p.podsWithFinalizer()).every((q) => q.metadata?.uid !== pod.podUID) ? pod : undefined;
    },
    { timeoutMs: 60_000, what: "the Job's first Pod to be counted and gone" },
  );
  // Whatever the counter does with the settled Pod (deleting its tombstone included) is done by now.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(conditionOf(await p.readJob(jobName), "Complete"), undefined, "the Job still runs (the test needs it to)");
  return first;
}

/** The state the Pod had before its finalizer came off: Succeeded, finalizer held. */
function finishedWithFinalizer(pod: CountedPod, jobUID: string): PodView {
  return {
    v: 1,
    kind: "pod",
    uid: pod.podUID,
    name: pod.name,
    namespace: pod.namespace,
    jobUID,
    resourceVersion: "2",
    phase: "Succeeded",
    hasFinalizer: true,
    deletionTimestamp: null,
    gone: false,
    ready: false,
    completionIndex: null,
    creationTimestamp: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
  };
}

describe("a Pod's view going back to a state older than its counting", { timeout: 300_000 }, () => {
  test("a counted, deleted Pod's earlier state (Succeeded, finalizer held) published again while its Job runs: refused, the Pod is counted once", async () => {
    const p = await startPipeline({ partitions: PARTITIONS, failProbability: 0, podGcDelayMs: 0, durationMs: 2500 });
    const nc = await connect({ servers: p.natsUrls.split(",") });
    try {
      // One Pod at a time, each running 2.5 s: the Job runs on for seconds after its first Pod is counted.
      const job = await p.createJob({ name: "late-writer", completions: 3, parallelism: 1 });
      const jobUID = job.metadata?.uid as string;
      const first = await firstPodCountedAndGone(p, "late-writer", jobUID);
      const subject = podViewSubject(partitionOf(jobUID, PARTITIONS), jobUID, first.podUID);
      const stale = finishedWithFinalizer(first, jobUID);
      // A publisher that knows nothing of the key, as a lagging watcher session that forgot it.
      const late = new ViewPublisher(jetstream(nc), { logger: silentLogger() });
      await late.publish(subject, stale, { dedupId: `${first.podUID}@2@late`, resourceVersion: "2" });
      await late.close();
      const jsm = await jetstreamManager(nc);
      const last = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
      const stored = last ? (JSON.parse(Buffer.from(last.data).toString("utf8")) as ViewRecord) : null;
      assert.ok(stored?.kind === "pod" && stored.gone, `the view still shows the Pod gone, not the late state: ${JSON.stringify(stored)}`);

      const done = await p.waitForJobFinished("late-writer", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, done);

      // Once the Job is finished its Pods' tombstones leave the view.
      await waitFor(async () => ((await readViewSnapshot(jetstream(nc), `${VIEW_SUBJECT_PREFIX}.*.${jobUID}.pod.>`)).length === 0 ? true : undefined), {
        timeoutMs: 30_000,
        what: "the finished Job's Pod records to leave the view",
      });
    } finally {
      await nc.close();
      await p.stop();
    }
  });
  test("the view itself goes back (records lost, a diverged replica) and a restarted counter replays it: the Pod is checked, not counted again", async () => {
    const p = await startPipeline({ partitions: PARTITIONS, failProbability: 0, podGcDelayMs: 0, durationMs: 2500 });
    const nc = await connect({ servers: p.natsUrls.split(",") });
    try {
      const job = await p.createJob({ name: "view-went-back", completions: 3, parallelism: 1 });
      const jobUID = job.metadata?.uid as string;
      const first = await firstPodCountedAndGone(p, "view-went-back", jobUID);
      await p.services.counter.kill("SIGKILL");
      // The view loses the tombstone and shows the Pod's earlier state, as a store that lost its
      // last writes would: written straight into the stream, past the publishers' compare-and-set.
      const subject = podViewSubject(partitionOf(jobUID, PARTITIONS), jobUID, first.podUID);
      const jsm = await jetstreamManager(nc);
      const tombstone = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
      if (tombstone) await jsm.streams.deleteMessage(VIEW_STREAM, tombstone.seq, false);
      await jetstream(nc).publish(subject, JSON.stringify(finishedWithFinalizer(first, jobUID)));
      p.start("counter");

      const done = await p.waitForJobFinished("view-went-back", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, done);
      assert.match(p.services.counter.logs(), /a Pod record first seen finished was older than the Pod/, "the counter found the replayed record out of date");
    } finally {
      await nc.close();
      await p.stop();
    }
  });
});
