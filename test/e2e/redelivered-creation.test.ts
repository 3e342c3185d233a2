/**
 * The fault a redelivered creation intent guards against: the finalizer-remover sends a Pod
 * creation and dies (SIGKILL) before its ack leaves: the same as a NATS node dying with the ack,
 * as measured on a three-node cluster. The Pod is created all the same, runs, is counted, loses its
 * finalizer and is deleted at once (PodGC). When the intent comes back (ack_wait), the name is
 * free: creating it again would run the work twice (the Job ended with one Pod too many). The
 * redelivery must find the Pod gone and create nothing (redelivered-creation.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline } from "../support/pipeline.js";
import { SIMULATOR_ONLY } from "../support/kube-env.js";
import { waitFor } from "../support/processes.js";
import { scrapeMetric, tapIntents } from "../support/intent-tap.js";
import { clearSimulatorFaults, setSimulatorFaults } from "../support/sim-faults.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("a creation intent redelivered after its Pod ran and was deleted", { timeout: 240_000 }, () => {
  test("the remover dies between sending the creation and acking it: the Pod is not created a second time", async (t) => {
    // ack_wait 15 s: the redelivery comes well after the Pod (300 ms) has finished and been deleted.
    const [portA, portB] = await Promise.all([freeLoopbackPort(), freeLoopbackPort()]);
    const p = await startPipeline({
      failProbability: 0,
      durationMs: 300,
      podGcDelayMs: 0,
      flags: { "finalizer-remover": ["--ack-wait", "15s", "--http-port", String(portA)] },
    });
    const tap = await tapIntents(p.natsUrls);
    try {
      if (!p.env.isSimulator) return t.skip(SIMULATOR_ONLY);
      const simulatorUrl = p.env.simulatorUrl as string;
      // Every request is carried out 4 s after it arrived. The idle remover sends the creation at
      // once and is killed 2 s later, unanswered: the simulator creates the Pod all the same.
      await setSimulatorFaults(simulatorUrl, { latencyMs: 4_000 });
      const job = await p.createJob({ name: "redelivered", completions: 1, parallelism: 1 });
      const creation = await waitFor(async () => tap.seen.find((s) => s.intent.kind === "createPod" && s.intent.jobUID === job.metadata?.uid), {
        timeoutMs: 60_000,
        what: "the counter to publish the Pod's creation intent",
      });
      const podName = creation.intent.kind === "createPod" ? (creation.intent.pod.metadata?.name as string) : "";
      await sleep(2_000);
      await p.services["finalizer-remover"].kill("SIGKILL");
      await clearSimulatorFaults(simulatorUrl);

      // The creation was carried out although its sender died: the kubelet ran the Pod.
      await waitFor(async () => ((await p.kubeletRecord()).pods.some((pod) => pod.name === podName) ? true : undefined), {
        timeoutMs: 30_000,
        what: `the creation sent before the kill to be carried out (Pod ${podName} run)`,
      });
      // Another remover: it removes the finalizer (the Pod is deleted at once), then, once ack_wait
      // has passed, gets the creation again.
      p.replica("finalizer-remover", "finalizer-remover-b", ["--http-port", String(portB)]);
      const done = await p.waitForJobFinished("redelivered", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      // The redelivery reached the second remover (whatever it made of it).
      await waitFor(async () => (((await scrapeMetric(portB, "jobtally_intents_total", { kind: "createPod" })) ?? 0) >= 1 ? true : undefined), {
        timeoutMs: 60_000,
        what: "the creation to be redelivered to the second remover",
      });
      await sleep(2_000); // a Pod created again would be run by now
      const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid);
      assert.deepEqual(
        ran.map((pod) => pod.name),
        [podName],
        "one Pod ran for one completion: the redelivered intent created nothing",
      );
      const unconfirmed = await scrapeMetric(portB, "jobtally_intents_total", { kind: "createPod", outcome: "unconfirmed" });
      assert.equal(unconfirmed, 1, "the redelivery came after the Pod was gone, and was settled as not created (the fault this test is about)");
      await assertCountsMatchKubelet(p, await p.readJob("redelivered"));
    } finally {
      await tap.close();
      await p.stop();
    }
  });
});
