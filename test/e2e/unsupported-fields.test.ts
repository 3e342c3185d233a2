/**
 * End to end: nothing silently ignored. A Job with a field jobtally cannot fully honour here (a
 * `manualSelector` Job while the watcher watches only Pods with batch.kubernetes.io/controller-uid:
 * orphans its selector matches without that label are not seen, so not adopted) runs, and gets a
 * Warning Event `UnsupportedJobField` naming the field and what jobtally does instead; the Job
 * still completes with every count matching the kubelet simulator's record.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

describe("unsupported Job fields", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200 });
  });
  after(async () => {
    await p?.stop();
  });

  test("manualSelector with the default Pod watch: a Warning Event UnsupportedJobField, and the Job still runs and completes", async () => {
    const name = "manual-selector";
    await p.createJob({
      name,
      completions: 2,
      parallelism: 2,
      podAnnotations: {},
      extraSpec: { manualSelector: true, selector: { matchLabels: { app: name } } },
      podLabels: { app: name },
    });
    const event = await waitFor(
      async () => (await p.env.core.listNamespacedEvent({ namespace: p.namespace })).items.find((e) => e.reason === "UnsupportedJobField" && e.involvedObject?.name === name),
      { timeoutMs: 30_000, intervalMs: 200, what: "the UnsupportedJobField event" },
    );
    assert.equal(event.type, "Warning");
    assert.match(event.message ?? "", /^spec\.manualSelector: orphan Pods matching spec\.selector are adopted only if the watcher sees them/);
    const job = await p.waitForJobFinished(name, 60_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    await assertCountsMatchKubelet(p, job);
  });
});
