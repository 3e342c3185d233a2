/**
 * Scaling the counter out, as a user scales its Deployment: identical replicas (no partition sets)
 * over 32 partitions, one SIGKILLed, two added, two SIGTERMed, while 21 Jobs run, one of 1,000
 * Pods finishing in bursts of 500. What a user checks: every count exact, every Pod created once
 * (the kubelet ran exactly `completions` Pods, none fail here), no finalizer left. And what the
 * design promises: no two replicas ever acted for one partition, read off the intents themselves
 * (each carries the partition lease it was decided under).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPipeline } from "../support/pipeline.js";
import { waitFor, type ChildHandle } from "../support/processes.js";
import { scrapeMetric, tapIntents } from "../support/intent-tap.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PARTITIONS = 32;

describe("identical counter replicas scaled and killed mid-run", { timeout: 600_000 }, () => {
  test("SIGKILL one of three, add two, SIGTERM two: counts exact, no Pod created twice, no partition acted on by two replicas", async (t) => {
    const counterPorts = await Promise.all([1, 2, 3, 4, 5].map(() => freeLoopbackPort()));
    const removerPorts = await Promise.all([1, 2].map(() => freeLoopbackPort()));
    // A wider margin between the renew deadline and the lease than the other tests' (3 s): eleven
    // processes share this machine's cores, and a starved holder must stop well before others start.
    const counterFlags = (i: number): string[] => ["--replica-id", `counter-${i}`, "--http-port", String(counterPorts[i - 1]), "--lease-duration", "6s", "--lease-renew-deadline", "3s"];
    const p = await startPipeline({
      partitions: PARTITIONS,
      failProbability: 0,
      podGcDelayMs: 0,
      durationMs: 300,
      flags: { counter: counterFlags(1), "finalizer-remover": ["--http-port", String(removerPorts[0])] },
    });
    const tap = await tapIntents(p.natsUrls);
    try {
      const counters = new Map<number, ChildHandle>([[1, p.services.counter]]);
      for (const i of [2, 3]) counters.set(i, p.replica("counter", `counter-${i}`, counterFlags(i)));
      p.replica("finalizer-remover", "finalizer-remover-2", ["--http-port", String(removerPorts[1])]);
      const owned = async (ids: number[]): Promise<number[]> => Promise.all(ids.map(async (i) => (await scrapeMetric(counterPorts[i - 1] as number, "jobtally_partitions_owned")) ?? -1));
      await waitFor(
        async () => {
          const o = await owned([1, 2, 3]);
          return o.every((n) => n >= 10) && o.reduce((a, b) => a + b, 0) === PARTITIONS ? o : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: "three identical counters to split the 32 partitions (10 or 11 each)" },
      );

      const jobs = [
        // Four bursts of 250 Pods finishing together, over about 15 s: the faults below land mid-run.
        { name: "big", completions: 1000, parallelism: 250, podAnnotations: { "kubelet-sim.jobtally.io/duration-ms": "3500" } },
        ...Array.from({ length: 20 }, (_, i) => ({ name: `small-${i}`, completions: 30, parallelism: 5, podAnnotations: { "kubelet-sim.jobtally.io/duration-ms": "2000" } })),
      ];
      await Promise.all(jobs.map((j) => p.createJob(j)));

      await sleep(3000);
      await counters.get(1)?.kill("SIGKILL");
      await sleep(3000);
      for (const i of [4, 5]) counters.set(i, p.replica("counter", `counter-${i}`, counterFlags(i)));
      await sleep(4000);
      await Promise.all([2, 3].map((i) => counters.get(i)?.kill("SIGTERM")));

      for (const j of jobs) {
        const job = await p.waitForJobFinished(j.name, 300_000);
        assert.equal(conditionOf(job, "Complete")?.status, "True", `${j.name} complete`);
        assert.equal(job.status?.succeeded, j.completions, `${j.name}: succeeded`);
        assert.equal(job.status?.failed ?? 0, 0, `${j.name}: nothing failed here`);
        await assertCountsMatchKubelet(p, job);
        const ran = (await p.kubeletRecord()).pods.filter((pod) => pod.jobUID === job.metadata?.uid).length;
        assert.equal(ran, j.completions, `${j.name}: the kubelet ran ${ran} Pods for ${j.completions} completions (a Pod created twice?)`);
      }

      // The two survivors own every partition between them.
      await waitFor(async () => ((await owned([4, 5])).reduce((a, b) => a + b, 0) === PARTITIONS ? true : undefined), { timeoutMs: 30_000, intervalMs: 200, what: "counters 4 and 5 to own all 32 partitions" });

      // No two replicas under one lease; and an intent of a partition published after one of a
      // newer epoch (its replica acting after a newer owner had started: only a starved or paused
      // replica can) must have been refused by the removers, never executed.
      assert.deepEqual(tap.sharedLeases(), [], "a (partition, epoch) used by two replicas");
      const overlaps = tap.overlaps();
      const fenced = (await Promise.all(removerPorts.map((port) => scrapeMetric(port, "jobtally_intents_fenced_total")))).reduce((a: number, b) => a + (b ?? 0), 0);
      assert.ok(
        overlaps.length <= fenced,
        `${overlaps.length} intents published after a newer owner of their partition had started, only ${fenced} fenced: ${overlaps
          .slice(0, 5)
          .map((o) => `${o.intent.kind} p${o.intent.partition} epoch ${o.intent.epoch} by ${o.intent.holder}`)
          .join("; ")}`,
      );
      const holders = new Set(tap.seen.map((s) => s.intent.holder));
      for (const i of [1, 4]) assert.ok(holders.has(`counter-${i}`), `the faults landed mid-run: counter-${i} acted (intents came from ${[...holders].sort().join(", ")})`);
      t.diagnostic(`intents ${tap.seen.length} from ${[...holders].sort().join(", ")}; published after a newer owner started: ${overlaps.length}; fenced by the removers: ${fenced}`);
    } finally {
      await tap.close();
      await p.stop();
    }
  });
});
