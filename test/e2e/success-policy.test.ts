/**
 * End to end: successPolicy on the simulator. Index 0 of an Indexed Job finishes quickly, the
 * others would run for a minute; the rule `succeededIndexes: "0"` is met, the Job gets
 * SuccessCriteriaMet (reason SuccessPolicy, "Matched rules at index 0"), its remaining Pods are
 * terminated without being counted (as in-tree), and Complete follows with the same reason.
 * Every count is compared with the kubelet simulator's own record.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";

const A = "kubelet-sim.jobtally.io/";

describe("successPolicy", { timeout: 300_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0, podGcDelayMs: 0, durationMs: 200 });
  });
  after(async () => {
    await p?.stop();
  });

  test("succeededIndexes \"0\": SuccessCriteriaMet then Complete with reason SuccessPolicy, the other Pods terminated and not counted", async () => {
    const name = "success-policy";
    const created = await p.createJob({
      name,
      indexed: true,
      completions: 3,
      parallelism: 3,
      podAnnotations: { [`${A}duration-ms`]: "60000", [`${A}duration-ms-by-index`]: "0=300" },
      extraSpec: { successPolicy: { rules: [{ succeededIndexes: "0" }] } },
    });
    const job = await p.waitForJobFinished(name, 60_000);
    const summary = (type: string): string => {
      const c = job.status?.conditions?.find((x) => x.type === type);
      return `${c?.status}:${c?.reason}:${c?.message}`;
    };
    assert.deepStrictEqual(
      [summary("SuccessCriteriaMet"), summary("Complete")],
      ["True:SuccessPolicy:Matched rules at index 0", "True:SuccessPolicy:Matched rules at index 0"],
    );
    assert.deepStrictEqual(
      { succeeded: job.status?.succeeded, failed: job.status?.failed ?? 0, completedIndexes: job.status?.completedIndexes, active: job.status?.active ?? 0, terminating: job.status?.terminating ?? 0 },
      { succeeded: 1, failed: 0, completedIndexes: "0", active: 0, terminating: 0 },
    );
    assert.ok(job.status?.completionTime, "completionTime is set with Complete");

    const record = await p.kubeletRecord();
    const mine = record.byJob[created.metadata?.uid as string];
    const pods = record.pods.filter((r) => r.jobUID === created.metadata?.uid);
    assert.deepStrictEqual(
      pods.map((r) => [r.name.split("-").slice(0, -1).join("-"), r.phase, r.deletedBeforeFinish]).sort(),
      [
        [`${name}-0`, "Succeeded", false],
        [`${name}-1`, "Failed", true],
        [`${name}-2`, "Failed", true],
      ],
      "the kubelet ran each index once; 1 and 2 were killed by jobtally's deletion",
    );
    assert.deepStrictEqual(
      { succeeded: mine?.succeeded, failedNotByDeletion: (mine?.failed ?? 0) - (mine?.deletedBeforeFinish ?? 0) },
      { succeeded: job.status?.succeeded, failedNotByDeletion: job.status?.failed ?? 0 },
      "the Job's counts are the kubelet's, minus the Pods the success policy terminated",
    );
    await waitFor(async () => (await p.podsWithFinalizer()).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "no Pod to hold the tracking finalizer" });
  });
});
