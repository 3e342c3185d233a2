/**
 * API-server faults (simulator only: they are injected through its admin endpoint): 409 / 500 /
 * 429 answers, watch streams cut every few seconds, and forced compaction so that watches resume
 * into 410 Gone and relist. Counts must stay exact.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline } from "../support/pipeline.js";
import { SIMULATOR_ONLY } from "../support/kube-env.js";
import { clearSimulatorFaults, setSimulatorFaults } from "../support/sim-faults.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const UNLIMITED = 2_147_483_647;

async function setFaults(p: Pipeline, faults: object): Promise<void> {
  await setSimulatorFaults(p.env.simulatorUrl as string, faults);
}

async function clearFaults(p: Pipeline): Promise<void> {
  await clearSimulatorFaults(p.env.simulatorUrl as string);
}

describe("API server faults", { timeout: 600_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0.05, podGcDelayMs: 0, durationMs: 150 });
  });
  after(async () => {
    await p?.stop();
  });

  test("409, 500 and 429 answers on every verb, with latency, leave counts exact", async (t) => {
    if (!p.env.isSimulator) return t.skip(SIMULATOR_ONLY);
    await setFaults(p, {
      latencyMs: 2,
      jitterMs: 5,
      errors: [
        // The first status writes certainly conflict (a run makes too few of them for chance
        // alone to be sure of one), then a share of the rest.
        { code: 409, probability: 1, times: 2, resources: ["jobs/status"] },
        { code: 409, probability: 0.15, resources: ["jobs/status"] },
        { code: 500, probability: 0.05 },
        { code: 503, probability: 0.03 },
        { code: 429, probability: 0.05, retryAfterSeconds: 1 },
      ],
    });
    try {
      const name = "api-errors";
      await p.createJob({ name, completions: 300, parallelism: 30, backoffLimit: UNLIMITED });
      const job = await p.waitForJobFinished(name, 300_000);
      assert.equal(conditionOf(job, "Complete")?.status, "True");
      const metrics = await (await fetch(new URL("/metrics", p.env.simulatorUrl as string))).text();
      for (const code of ["409", "429", "500", "503"]) assert.match(metrics, new RegExp(`kube_sim_requests_total\\{[^}]*code="${code}"`), `the simulator answered ${code}`);
      await clearFaults(p);
      await assertCountsMatchKubelet(p, job);
    } finally {
      await clearFaults(p);
    }
  });

  test("watches cut, and the history compacted while watchers reconnect (410 Gone → relist), leave counts exact", async (t) => {
    if (!p.env.isSimulator) return t.skip(SIMULATOR_ONLY);
    const admin = (path: string): Promise<Response> => fetch(new URL(path, p.env.simulatorUrl as string), { method: "POST" });
    await setFaults(p, { watchCutSeconds: 2 });
    try {
      const name = "watch-cuts";
      await p.createJob({ name, completions: 300, parallelism: 30, backoffLimit: UNLIMITED });
      // Slow every request down, cut the watches, and compact while they come back: a watcher
      // resuming from its last resourceVersion then finds it compacted and must relist.
      for (let i = 0; i < 4; i++) {
        await setFaults(p, { latencyMs: 400 });
        await admin("/admin/cut-watches");
        await new Promise((r) => setTimeout(r, 200));
        await admin("/admin/compact");
        await new Promise((r) => setTimeout(r, 600));
        await setFaults(p, { latencyMs: 0 });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const job = await p.waitForJobFinished(name, 300_000);
      assert.equal(conditionOf(job, "Complete")?.status, "True");
      assert.match(p.services.watcher.logs(), /410 Gone\): relisting/, "the watcher relisted after a 410");
      await clearFaults(p);
      await assertCountsMatchKubelet(p, job);
    } finally {
      await clearFaults(p);
    }
  });
});
