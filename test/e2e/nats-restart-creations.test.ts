/**
 * Across a NATS restart.
 *
 * A nats-server killed and restarted while the counter's own creation intents wait in the queue
 * (the finalizer-remover paused). The counter rebuilds its partitions from a fresh replay under
 * the same leases, carrying its creations in flight. It must not create those Pods again, and it
 * must not hold its creations until its own queued intents drain either: only an earlier owner's
 * intents are unknown to it, and under an unchanged lease there is none (that wait stalled Jobs
 * for up to a minute after a NATS restart: chaos seeds 3157788191, 19741902). Without the fix the
 * rebuilt partition logs that it waited for "an earlier owner's" intents: its own.
 *
 * A nats-server that lost the last sync markers when it was killed (chaos seed 366205055): the
 * watcher's next session, reading the view, numbers its markers with an epoch the counters have
 * seen already. The counters must still take them as the new session's (they wait for a session
 * begun after the loss), or they never act again.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { readyz, tapIntents } from "../support/intent-tap.js";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { VIEW_STREAM } from "../../shared/constants.js";
import { syncMarkerSubject } from "../../shared/view/subjects.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const PARTITIONS = 4;
const DRAINED = /creation intents of an earlier owner drained/g;
/**
 * Leases that outlive the restart: a lease that expired meanwhile is taken anew under a new epoch,
 * and then the hold is right (the remover refuses the old epoch's intents; they must drain first).
 */
const LONG_LEASES = ["--lease-duration", "20s", "--lease-renew-deadline", "15s"];

describe("creations across a NATS restart", { timeout: 240_000 }, () => {
  test("the counter's own creations queued when NATS restarts: none made twice, and creations are not held for them", async () => {
    const counterPort = await freeLoopbackPort();
    const p = await startPipeline({ partitions: PARTITIONS, failProbability: 0, podGcDelayMs: 0, durationMs: 300, keepAllLogs: true, flags: { counter: ["--http-port", String(counterPort), ...LONG_LEASES] } });
    const remover = p.services["finalizer-remover"];
    const counter = p.services.counter;
    const tap = await tapIntents(p.natsUrls);
    try {
      await waitFor(async () => ((await readyz(counterPort)) === 200 ? true : undefined), { timeoutMs: 60_000, what: "the counter to be ready" });
      remover.proc.kill("SIGSTOP");
      const completions = 30;
      const job = await p.createJob({ name: "queued-creations", completions, parallelism: 10 });
      const creations = (): number => tap.seen.filter((s) => s.intent.kind === "createPod" && s.intent.jobUID === job.metadata?.uid).length;
      await waitFor(async () => (creations() >= 10 ? true : undefined), { timeoutMs: 30_000, what: "the first 10 creations to be queued" });
      const drainedBefore = (counter.allLogs().match(DRAINED) ?? []).length;
      const rebuildsBefore = (counter.allLogs().match(/NATS came back/g) ?? []).length;

      await p.nats.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 1000));
      await p.nats.restart();
      await waitFor(async () => ((counter.allLogs().match(/NATS came back/g) ?? []).length > rebuildsBefore ? true : undefined), { timeoutMs: 30_000, what: "the counter to rebuild its partitions" });
      await waitFor(async () => ((await readyz(counterPort)) === 200 ? true : undefined), { timeoutMs: 60_000, what: "the counter to be ready again" });
      // Its partitions are rebuilt while the intents still wait (the remover is paused).
      await new Promise((r) => setTimeout(r, 2000));
      remover.proc.kill("SIGCONT");

      const done = await p.waitForJobFinished("queued-creations", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, done);
      const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid).length;
      assert.equal(ran, completions, `the kubelet ran ${ran} Pods for ${completions} completions`);
      assert.doesNotMatch(counter.allLogs(), /partition lease not renewed in time/, "the leases outlived the restart (the case under test)");
      const drainedAfter = (counter.allLogs().match(DRAINED) ?? []).length;
      assert.equal(drainedAfter, drainedBefore, "no partition waited for its owner's own creation intents to drain after the rebuild");
    } finally {
      remover.proc.kill("SIGCONT");
      await tap.close();
      await p.stop();
    }
  });

  test("the server lost the last sync markers: the watcher's next session reuses their epoch, and the counter acts on it", async () => {
    const counterPort = await freeLoopbackPort();
    const p = await startPipeline({ partitions: PARTITIONS, failProbability: 0, podGcDelayMs: 0, durationMs: 300, flags: { counter: ["--http-port", String(counterPort), ...LONG_LEASES] } });
    try {
      await waitFor(async () => ((await readyz(counterPort)) === 200 ? true : undefined), { timeoutMs: 60_000, what: "the counter to be ready" });
      const job = await p.createJob({ name: "lost-markers", completions: 30, parallelism: 3 });
      await waitFor(async () => (((await p.readJob("lost-markers")).status?.succeeded ?? 0) >= 3 ? true : undefined), { timeoutMs: 60_000, what: "the Job to make progress" });
      const nc = await connect({ servers: p.natsUrls.split(",") });
      try {
        const jsm = await jetstreamManager(nc);
        const markerEpoch = async (): Promise<number> => {
          const m = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: syncMarkerSubject(0) });
          return m ? (JSON.parse(Buffer.from(m.data).toString("utf8")) as { epoch: number }).epoch : 0;
        };
        // A second watcher session (a restart) numbers its markers 2: the counter has seen epoch 2.
        await p.restart("watcher");
        await waitFor(async () => ((await markerEpoch()) >= 2 ? true : undefined), { timeoutMs: 30_000, what: "markers of the watcher's second session" });
        await new Promise((r) => setTimeout(r, 1500));
        // The watcher stops; the markers it wrote last are lost, as a killed server loses its last
        // writes: the next session, finding none, numbers its markers from 1 again.
        await p.services.watcher.kill("SIGKILL");
        for (let partition = 0; partition < PARTITIONS; partition++) {
          const last = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: syncMarkerSubject(partition) });
          if (last) await jsm.streams.deleteMessage(VIEW_STREAM, last.seq, false);
        }
      } finally {
        await nc.close();
      }
      // Stopped cleanly, so that the deletions above stay deleted (a SIGKILLed 2.9 server may bring
      // back messages deleted just before); a new server process all the same: NATS came back.
      await p.nats.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 1000));
      await p.nats.restart();
      p.start("watcher");

      const done = await p.waitForJobFinished("lost-markers", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, done);
      const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid).length;
      assert.equal(ran, 30, `the kubelet ran ${ran} Pods for 30 completions`);
    } finally {
      await p.stop();
    }
  });
});
