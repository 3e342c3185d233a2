/**
 * The fault a redelivered creation intent guards against: the finalizer-remover sends a Pod
 * creation and dies (SIGKILL) before its ack leaves: the same as a NATS node dying with the ack,
 * as measured on a three-node cluster. The Pod is created all the same, runs, is counted, loses its
 * finalizer and is deleted at once (PodGC). When the intent comes back (ack_wait), the name is
 * free: creating it again would run the work twice (the Job ended with one Pod too many). The
 * redelivery must find the Pod gone and create nothing (redelivered-creation.ts). The test waits
 * for the creation to be in the simulator's hands before the kill, plays the dead remover's part
 * (the finalizer removal) and starts a second remover only once the Pod is gone, so the order of
 * events does not depend on how loaded the machine is.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline } from "../support/pipeline.js";
import { SIMULATOR_ONLY } from "../support/kube-env.js";
import { waitFor } from "../support/processes.js";
import { scrapeMetric, tapIntents } from "../support/intent-tap.js";
import { clearSimulatorFaults, setSimulatorFaults, simulatorGauge } from "../support/sim-faults.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { orNullIfNotFound } from "../../shared/kube/errors.js";
import { JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

describe("a creation intent redelivered after its Pod ran and was deleted", { timeout: 240_000 }, () => {
  test("the remover dies between sending the creation and acking it: the Pod is not created a second time", async (t) => {
    const [portA, portB] = await Promise.all([freeLoopbackPort(), freeLoopbackPort()]);
    const p = await startPipeline({
      failProbability: 0,
      durationMs: 300,
      podGcDelayMs: 0,
      flags: { "finalizer-remover": ["--ack-wait", "3s", "--http-port", String(portA)] },
    });
    const tap = await tapIntents(p.natsUrls);
    try {
      if (!p.env.isSimulator) return t.skip(SIMULATOR_ONLY);
      const simulatorUrl = p.env.simulatorUrl as string;
      // Every request is carried out 4 s after it arrived. The remover is killed while the simulator
      // holds its creation, unanswered: the simulator creates the Pod all the same.
      await setSimulatorFaults(simulatorUrl, { latencyMs: 4_000 });
      // Two completions one at a time: the Job still runs when the creation comes back (a finished
      // Job gets no Pod whatever the intent says: verify.ts).
      const job = await p.createJob({ name: "redelivered", completions: 2, parallelism: 1 });
      const creation = await waitFor(async () => tap.seen.find((s) => s.intent.kind === "createPod" && s.intent.jobUID === job.metadata?.uid), {
        timeoutMs: 60_000,
        what: "the counter to publish the Pod's creation intent",
      });
      const podName = creation.intent.kind === "createPod" ? (creation.intent.pod.metadata?.name as string) : "";
      // The remover sent it: the simulator holds a Pod creation.
      await waitFor(async () => ((await simulatorGauge(simulatorUrl, "kube_sim_requests_in_flight", { verb: "create", resource: "pods" })) >= 1 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 20,
        what: "the remover to send the creation",
      });
      await p.services["finalizer-remover"].kill("SIGKILL");
      await clearSimulatorFaults(simulatorUrl);

      // The creation was carried out although its sender died: the Pod exists, runs and finishes,
      // and the counter lists it as finished (its finalizer removal waits: no remover is alive).
      const created = await waitFor(async () => orNullIfNotFound(p.env.core.readNamespacedPod({ name: podName, namespace: p.namespace })).then((x) => x ?? undefined), {
        timeoutMs: 30_000,
        what: `the creation sent before the kill to be carried out (Pod ${podName})`,
      });
      const podUID = created.metadata?.uid as string;
      await waitFor(
        async () => {
          const j = await p.readJob("redelivered");
          return (j.status?.uncountedTerminatedPods?.succeeded ?? []).includes(podUID) || (j.status?.succeeded ?? 0) >= 1 ? true : undefined;
        },
        { timeoutMs: 60_000, what: `the counter to list Pod ${podName} as finished` },
      );
      // What the dead remover would have done: the finalizer off, and PodGC deletes the Pod at once.
      await p.env.core.patchNamespacedPod(
        { name: podName, namespace: p.namespace, body: { metadata: { uid: podUID, "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER] } } },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      );
      await waitFor(async () => ((await orNullIfNotFound(p.env.core.readNamespacedPod({ name: podName, namespace: p.namespace }))) === null ? true : undefined), {
        timeoutMs: 30_000,
        what: `Pod ${podName} to be deleted once its finalizer is off`,
      });
      // Only now another remover: the creation comes back to it (past ack_wait) with its name free.
      p.replica("finalizer-remover", "finalizer-remover-b", ["--http-port", String(portB)]);
      const done = await p.waitForJobFinished("redelivered", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      // Both creations reached the second remover: the one redelivered and the second Pod's.
      await waitFor(async () => (((await scrapeMetric(portB, "jobtally_intents_total", { kind: "createPod" })) ?? 0) >= 2 ? true : undefined), {
        timeoutMs: 60_000,
        what: "the creation to be redelivered to the second remover",
      });
      const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid).map((pod) => pod.name);
      assert.equal(ran.length, 2, `two Pods ran for two completions (${ran.join(", ")}): the redelivered intent created nothing`);
      assert.equal(ran.filter((n) => n === podName).length, 1, `Pod ${podName} ran once`);
      const unconfirmed = await scrapeMetric(portB, "jobtally_intents_total", { kind: "createPod", outcome: "unconfirmed" });
      assert.equal(unconfirmed, 1, "the redelivery came after the Pod was gone, and was settled as not created (the fault this test is about)");
      await assertCountsMatchKubelet(p, await p.readJob("redelivered"));
    } finally {
      await tap.close();
      await p.stop();
    }
  });
});
