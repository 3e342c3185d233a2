/**
 * Fencing, the fault it guards against: a counter paused (SIGSTOP: a GC pause, a frozen node)
 * past its lease while another replica takes its partitions over, then woken (SIGCONT) with its
 * intents still queued. Nothing it queued may be executed, and no Pod may be created twice.
 * The finalizer-remover is paused while the intents are queued, so that every one of them is
 * still waiting when the new owner has taken over.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { scrapeMetric, tapIntents } from "../support/intent-tap.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("fencing a paused counter", { timeout: 300_000 }, () => {
  test("SIGSTOP past the lease, another takes over, SIGCONT with intents queued: nothing it queued is executed, nothing created twice", async (t) => {
    const [portA, portB, removerPort] = await Promise.all([freeLoopbackPort(), freeLoopbackPort(), freeLoopbackPort()]);
    const p = await startPipeline({
      partitions: 8,
      failProbability: 0,
      durationMs: 300,
      flags: { counter: ["--replica-id", "counter-a", "--http-port", String(portA)], "finalizer-remover": ["--http-port", String(removerPort)] },
    });
    const tap = await tapIntents(p.natsUrls);
    const remover = p.services["finalizer-remover"];
    const counterA = p.services.counter;
    try {
      await waitFor(async () => ((await scrapeMetric(portA, "jobtally_partitions_ready")) === 8 ? true : undefined), { timeoutMs: 60_000, what: "counter-a to own and be ready on all 8 partitions" });
      remover.proc.kill("SIGSTOP");
      const completions = 60;
      const job = await p.createJob({ name: "fenced", completions, parallelism: 20 });
      const queuedByA = await waitFor(
        async () => {
          const mine = tap.seen.filter((s) => s.intent.kind === "createPod" && s.intent.holder === "counter-a" && s.intent.jobUID === job.metadata?.uid);
          return mine.length >= 20 ? mine : undefined;
        },
        { timeoutMs: 30_000, what: "counter-a to queue its 20 creations" },
      );
      counterA.proc.kill("SIGSTOP");
      const b = p.replica("counter", "counter-b", ["--replica-id", "counter-b", "--http-port", String(portB)]);
      // The paused holder's leases (3 s) expire as counter-b observes them; it takes all 8.
      await waitFor(async () => ((await scrapeMetric(portB, "jobtally_partitions_owned")) === 8 ? true : undefined), { timeoutMs: 30_000, what: "counter-b to take the 8 partitions over" });
      remover.proc.kill("SIGCONT");
      await sleep(1500);
      counterA.proc.kill("SIGCONT");

      const done = await p.waitForJobFinished("fenced", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, done);
      const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid);
      assert.equal(ran.length, completions, `the kubelet ran ${ran.length} Pods for ${completions} completions`);
      const queuedNames = new Set(queuedByA.map((s) => (s.intent.kind === "createPod" ? s.intent.pod.metadata?.name : "")));
      const executed = ran.filter((pod) => queuedNames.has(pod.name));
      assert.deepEqual(executed.map((pod) => pod.name), [], "no creation counter-a queued before its pause was executed");
      const fenced = await scrapeMetric(removerPort, "jobtally_intents_fenced_total", { kind: "createPod" });
      assert.ok((fenced ?? 0) >= queuedByA.length, `the remover refused counter-a's ${queuedByA.length} queued creations (fenced: ${fenced})`);
      assert.deepEqual(tap.sharedLeases(), [], "a (partition, epoch) used by two replicas");
      t.diagnostic(`counter-a queued ${queuedByA.length} creations; fenced ${fenced}; counter-b acted: ${tap.seen.some((s) => s.intent.holder === "counter-b")}; still running: ${b.proc.exitCode === null}`);
    } finally {
      remover.proc.kill("SIGCONT");
      counterA.proc.kill("SIGCONT");
      await tap.close();
      await p.stop();
    }
  });
});
