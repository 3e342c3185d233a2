/**
 * Watchers: active-active replicas (each lists, watches and publishes everything; the view's
 * per-key compare-and-set on resourceVersion keeps the newest state whoever writes it), and what
 * happens when none is left: the view goes stale, no Pod is created for it, and creations resume
 * when a watcher is back.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { readyz, scrapeMetric, tapIntents } from "../support/intent-tap.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const UNLIMITED = 2_147_483_647;

describe("watcher high availability", { timeout: 300_000 }, () => {
  test("two watchers, one SIGKILLed mid-run and not restarted: counts exact, no transition lost", async () => {
    const p = await startPipeline({ failProbability: 0.05, podGcDelayMs: 0, durationMs: 150 });
    try {
      p.replica("watcher", "watcher-2");
      const job = await p.createJob({ name: "two-watchers", completions: 400, parallelism: 40, backoffLimit: UNLIMITED });
      await sleep(1500);
      await p.services.watcher.kill("SIGKILL");
      const done = await p.waitForJobFinished(job.metadata?.name as string, 240_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, done);
    } finally {
      await p.stop();
    }
  });

  test("no watcher left: the view goes stale, no Pod is created (expired expectations included), creations resume when a watcher is back", async (t) => {
    const counterPort = await freeLoopbackPort();
    const p = await startPipeline({
      partitions: 4,
      failProbability: 0,
      durationMs: 300,
      flags: { counter: ["--http-port", String(counterPort), "--view-stale-after", "3s", "--expectations-timeout", "6s"] },
    });
    const tap = await tapIntents(p.natsUrls);
    const remover = p.services["finalizer-remover"];
    try {
      await waitFor(async () => ((await readyz(counterPort)) === 200 ? true : undefined), { timeoutMs: 60_000, what: "the counter to be ready" });
      // Creations published but not carried out yet (the remover paused) when the watcher dies:
      // their expectations expire while nobody watches, the dangerous moment.
      remover.proc.kill("SIGSTOP");
      const completions = 30;
      const job = await p.createJob({ name: "stale", completions, parallelism: 10 });
      const creations = () => tap.seen.filter((s) => s.intent.kind === "createPod" && s.intent.jobUID === job.metadata?.uid).length;
      await waitFor(async () => (creations() >= 10 ? true : undefined), { timeoutMs: 30_000, what: "the first 10 creations to be queued" });
      await p.services.watcher.kill("SIGKILL");
      remover.proc.kill("SIGCONT");
      await waitFor(async () => ((await scrapeMetric(counterPort, "jobtally_partitions_view_stale")) ?? 0) > 0 ? true : undefined, { timeoutMs: 20_000, what: "the counter to see its view stale" });
      assert.equal(await readyz(counterPort), 503, "a counter with a stale view is not ready");
      // Past the expectations timeout and then some: the first 10 Pods ran and finished unseen.
      await sleep(8000);
      assert.equal(creations(), 10, "no creation planned while the view is stale");
      const ranWhileStale = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid).length;

      p.start("watcher");
      const done = await p.waitForJobFinished("stale", 120_000);
      assert.equal(conditionOf(done, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, done);
      const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid).length;
      assert.equal(ran, completions, `the kubelet ran ${ran} Pods for ${completions} completions`);
      assert.equal(await readyz(counterPort), 200, "ready again once the view is fresh");
      // Idle now (nothing moves the resourceVersion): the watcher's periodic markers must still
      // keep the view fresh, well past --view-stale-after.
      await sleep(6000);
      assert.equal(await scrapeMetric(counterPort, "jobtally_partitions_view_stale"), 0, "an idle cluster's view stays fresh");
      assert.equal(await readyz(counterPort), 200, "and the counter ready");
      t.diagnostic(`pods run while the view was stale: ${ranWhileStale}; creations published in all: ${creations()}`);
    } finally {
      remover.proc.kill("SIGCONT");
      await tap.close();
      await p.stop();
    }
  });
});
