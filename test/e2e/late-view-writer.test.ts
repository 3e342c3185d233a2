/**
 * The fault: a writer of the view that lags behind (a watcher session still retrying what it saw
 * while NATS was away, a watcher that was cut off) publishes, after a Pod was counted and deleted,
 * the state the Pod had before: Succeeded, still holding the finalizer. The view's per-key
 * compare-and-set must refuse it; had the counter deleted the Pod's tombstone once it counted
 * the Pod, the key would be free, the old state stored, and the Pod counted a second time (found
 * by the chaos campaign, seed 2783410143: a single nats-server SIGKILLed with watch cuts). The
 * tombstones of counted Pods leave the view once the Job is finished.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { startPipeline } from "../support/pipeline.js";
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

describe("a late writer of the view", { timeout: 240_000 }, () => {
  test("a counted, deleted Pod's earlier state (Succeeded, finalizer held) published again while its Job runs: refused, the Pod is counted once", async () => {
    const p = await startPipeline({ partitions: PARTITIONS, failProbability: 0, podGcDelayMs: 0, durationMs: 2500 });
    const nc = await connect({ servers: p.natsUrls.split(",") });
    try {
      // One Pod at a time, each running 2.5 s: the Job runs on for seconds after its first Pod is counted.
      const job = await p.createJob({ name: "late-writer", completions: 3, parallelism: 1 });
      const jobUID = job.metadata?.uid as string;
      const first = await waitFor(
        async () => {
          const j = await p.readJob("late-writer");
          const listed = (j.status?.uncountedTerminatedPods?.succeeded?.length ?? 0) + (j.status?.uncountedTerminatedPods?.failed?.length ?? 0);
          if ((j.status?.succeeded ?? 0) < 1 || listed > 0) return undefined;
          const pod = (await p.kubeletRecord()).pods.find((r) => r.jobUID === jobUID && r.phase === "Succeeded");
          return pod && (await p.podsWithFinalizer()).every((q) => q.metadata?.uid !== pod.podUID) ? pod : undefined;
        },
        { timeoutMs: 60_000, what: "the Job's first Pod to be counted and gone" },
      );
      // Whatever the counter does with the settled Pod (deleting its tombstone included) is done by now.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(conditionOf(await p.readJob("late-writer"), "Complete"), undefined, "the Job still runs (the test needs it to)");

      const subject = podViewSubject(partitionOf(jobUID, PARTITIONS), jobUID, first.podUID);
      const stale: PodView = {
        v: 1,
        kind: "pod",
        uid: first.podUID,
        name: first.name,
        namespace: first.namespace,
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
});
