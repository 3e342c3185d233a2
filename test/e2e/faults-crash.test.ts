/**
 * Faults, each its own test: kill -9 of each service at random points (and restart), a
 * nats-server kill -9 and restart, and two watchers racing on the same keys. Counts must stay
 * exact every time: the Job's succeeded/failed equal the kubelet's record, no finalizer left.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline, type Pipeline, type ServiceName } from "../support/pipeline.js";
import { spawnJobtally } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const UNLIMITED = 2_147_483_647;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deterministic pseudo-random delays so a failure can be replayed (seed printed in the name). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("crash and restart faults", { timeout: 600_000 }, () => {
  let p: Pipeline;
  before(async () => {
    p = await startPipeline({ failProbability: 0.05, podGcDelayMs: 0, durationMs: 150 });
  });
  after(async () => {
    await p?.stop();
  });

  for (const [service, seed] of [
    ["counter", 11],
    ["finalizer-remover", 12],
    ["watcher", 13],
  ] as [ServiceName, number][]) {
    test(`kill -9 of the ${service} at random points (seed ${seed}) loses and doubles nothing`, async () => {
      const rand = lcg(seed);
      const name = `crash-${service}`;
      await p.createJob({ name, completions: 400, parallelism: 40, backoffLimit: UNLIMITED });
      for (let i = 0; i < 3; i++) {
        await sleep(500 + Math.floor(rand() * 2500));
        await p.restart(service, "SIGKILL");
      }
      const job = await p.waitForJobFinished(name, 240_000);
      assert.equal(conditionOf(job, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, job);
    });
  }

  test("nats-server killed (-9) and restarted mid-run: counts stay exact", async () => {
    const name = "nats-restart";
    await p.createJob({ name, completions: 300, parallelism: 30, backoffLimit: UNLIMITED });
    await sleep(2000);
    await p.nats.kill("SIGKILL");
    await sleep(1500);
    await p.nats.restart();
    const job = await p.waitForJobFinished(name, 240_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    await assertCountsMatchKubelet(p, job);
  });

  test("two watchers publishing the same keys at once (duplicates, races) never corrupt the view", async () => {
    const name = "two-watchers";
    const second = spawnJobtally(p.services.watcher.proc.spawnargs.slice(2), { name: "watcher-2" });
    try {
      await p.createJob({ name, completions: 300, parallelism: 30, backoffLimit: UNLIMITED });
      await sleep(1500);
      await p.restart("watcher", "SIGKILL");
      const job = await p.waitForJobFinished(name, 240_000);
      assert.equal(conditionOf(job, "Complete")?.status, "True");
      await assertCountsMatchKubelet(p, job);
    } finally {
      await second.kill("SIGTERM");
    }
  });
});
