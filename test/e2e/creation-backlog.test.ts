/**
 * A creation backlog longer than the counter's expectations timeout (removers slower than the
 * counter's plans: a small API budget, a busy cluster). The counter plans the missing Pods again
 * when its expectations expire; the creation intents still queued must not create them a second
 * time. Found by the 1,000 × 100 benchmark (147,602 Pods run for 100,000 completions); guarded by
 * the intents' `notAfterMs` and the cap on creations in flight.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

describe("creation backlog longer than the expectations timeout", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({
      failProbability: 0,
      podGcDelayMs: 0,
      durationMs: 50,
      flags: {
        // Expectations expire after 3 s (creation intents after 1.5 s; a view older than 2 s is stale) ...
        counter: ["--expectations-timeout", "3s", "--view-stale-after", "2s"],
        // ... while the removers need 8 s to create 120 Pods.
        "finalizer-remover": ["--qps", "15", "--burst", "15"],
      },
    });
  });
  after(async () => {
    await p?.stop();
  });

  test("every Pod is created once: the kubelet runs exactly `completions` Pods", async () => {
    const name = "backlog";
    const completions = 120;
    await p.createJob({ name, completions, parallelism: completions });
    const job = await p.waitForJobFinished(name, 240_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    const { succeeded, failed } = await assertCountsMatchKubelet(p, job);
    const record = await p.kubeletRecord();
    const ran = record.pods.filter((pod) => pod.jobUID === job.metadata?.uid).length;
    assert.equal(failed, 0);
    assert.equal(succeeded, completions, `succeeded ${succeeded}: no Pod beyond the ${completions} completions`);
    assert.equal(ran, completions, `the kubelet ran ${ran} Pods for ${completions} completions`);
  });
});

describe("counter restarted while its creation intents are still queued", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 50, flags: { "finalizer-remover": ["--qps", "15", "--burst", "15"] } });
  });
  after(async () => {
    await p?.stop();
  });

  test("kill -9 of the counter with creations queued: the new counter waits for them instead of planning them again", async () => {
    const name = "restart-backlog";
    const completions = 300; // 20 s of creations at 15/s: most are still queued when the new counter is up
    await p.createJob({ name, completions, parallelism: completions });
    // The counter has published its creations and the removers are working through them (15/s).
    await waitFor(async () => (await p.kubeletRecord()).pods.length >= 15, { timeoutMs: 60_000, intervalMs: 100, what: "the first Pods to run" });
    await p.restart("counter", "SIGKILL");
    const job = await p.waitForJobFinished(name, 240_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    await assertCountsMatchKubelet(p, job);
    const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid).length;
    assert.equal(ran, completions, `the kubelet ran ${ran} Pods for ${completions} completions`);
  });
});
