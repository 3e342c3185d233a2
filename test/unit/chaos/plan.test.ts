/**
 * The campaign's plans are functions of their seed: the same seed gives the same run, any run of a
 * campaign replays alone from its printed seed, and the sizes stay within the flags. The summary
 * line has exactly the documented form.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { drawRunPlan, type PlanOptions } from "../../../services/chaos/plan.js";
import { runSeed } from "../../../services/chaos/seeds.js";
import { addRun, newTotals, SUMMARY_LINE, summaryLine, violationBlock, type RunSummary } from "../../../services/chaos/report.js";
import { faultWindowMs } from "../../../services/chaos/schedule.js";

const OPTS: PlanOptions = { maxPods: 40, nats: "auto", faultsPerRun: 5 };

describe("chaos plans", () => {
  test("the same seed draws the same plan", () => {
    assert.deepEqual(drawRunPlan(12345, 0, OPTS), drawRunPlan(12345, 0, OPTS));
  });

  test("run i of a campaign replays alone: `--seed <its seed> --runs 1` draws the same plan", () => {
    for (const campaign of [0, 1, 4242, 2 ** 32 - 1]) {
      for (let i = 0; i < 25; i++) {
        const seed = runSeed(campaign, i);
        const inCampaign = drawRunPlan(seed, i, OPTS);
        const alone = drawRunPlan(runSeed(seed, 0), 0, OPTS);
        assert.deepEqual({ ...alone, index: i }, inCampaign);
      }
    }
  });

  test("run 0 uses the campaign seed; the others differ from each other", () => {
    assert.equal(runSeed(77, 0), 77);
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => runSeed(77, i)));
    assert.equal(seeds.size, 1000);
  });

  test("forcing the NATS topology changes nothing else of the plan", () => {
    for (let seed = 1; seed < 50; seed++) {
      const auto = drawRunPlan(seed, 0, OPTS);
      const single = drawRunPlan(seed, 0, { ...OPTS, nats: "single" });
      assert.deepEqual(single.jobs, auto.jobs);
      assert.deepEqual(single.topology.partitions, auto.topology.partitions);
    }
  });

  test("Jobs stay within --max-pods, and a run within twice that; faults within their window", () => {
    const kinds = new Set<string>();
    let clusters = 0;
    for (let seed = 0; seed < 400; seed++) {
      const p = drawRunPlan(seed, 0, { ...OPTS, maxPods: 30 });
      if (p.topology.nats === "cluster") clusters++;
      assert.ok(p.jobs.length >= 2 && p.jobs.length <= 5);
      assert.ok(p.jobs.every((j) => j.completions >= 1 && j.completions <= 30 && j.parallelism >= 1 && j.parallelism <= j.completions), JSON.stringify(p.jobs));
      assert.ok(p.jobs.reduce((s, j) => s + j.completions, 0) <= 60);
      assert.ok(p.unmanaged.length >= 1 && p.unmanaged.length <= 2);
      const window = faultWindowMs(p.estimatedMs);
      for (const f of p.faults) {
        kinds.add(f.kind);
        assert.ok(f.atMs >= 0 && f.atMs <= window, `${f.kind} at ${f.atMs} outside ${window}`);
        if (f.kind === "nats-node-loss") assert.equal(p.topology.nats, "cluster");
        if (f.kind === "nats-restart") assert.equal(p.topology.nats, "single");
      }
      const deletions = p.faults.filter((f) => f.kind === "delete-job");
      assert.ok(deletions.length <= Math.floor(p.jobs.length / 2), "some Jobs are left to count");
    }
    assert.ok(clusters > 50 && clusters < 150, `about one run in four on a cluster (${clusters}/400)`);
    for (const k of ["kill-service", "nats-restart", "nats-node-loss", "api-errors", "api-latency", "cut-watches", "compaction", "delete-pod", "disrupt-pod", "delete-job", "parallelism", "suspend"]) {
      assert.ok(kinds.has(k), `fault kind ${k} is drawn`);
    }
  });

  test("--faults-per-run 0 gives no timed fault", () => {
    assert.deepEqual(drawRunPlan(9, 0, { ...OPTS, faultsPerRun: 0 }).faults, []);
  });
});

describe("chaos report", () => {
  const plan = drawRunPlan(5, 2, OPTS);
  const run = (violations: string[]): RunSummary => ({
    plan,
    violations,
    applied: new Map([
      ["kill-service", 2],
      ["pod-gc", 1],
    ]),
    pods: 30,
    flexiblePods: 0,
    gappedJobs: 0,
    uncertainPods: 0,
    observerGaps: 0,
    wallMs: 1000,
    logDir: "/tmp/x",
    skipped: [],
  });

  test("the last line is exactly `runs: R, faults: F, pods: P, violations: V`", () => {
    const t = addRun(addRun(newTotals(), run([])), run(["Job job-0: failed decreased: 2 → 1"]));
    assert.equal(summaryLine(t), "runs: 2, faults: 6, pods: 60, violations: 1");
    assert.match(summaryLine(t), SUMMARY_LINE);
    assert.deepEqual(t.failedSeeds, [plan.seed]);
  });

  test("a violation prints its seed, the replay command and the fault schedule", () => {
    const block = violationBlock(run(["Job job-0: failed decreased: 2 → 1"]));
    assert.match(block, new RegExp(`seed ${plan.seed} \\(replay: npm run chaos -- --seed ${plan.seed} --runs 1 --max-pods 40\\)`));
    assert.match(block, /fault schedule/);
    for (const f of plan.faults) assert.ok(block.includes(`t=${(f.atMs / 1000).toFixed(2)}s`), `schedule line for ${f.kind}`);
    assert.match(block, /- Job job-0: failed decreased: 2 → 1/);
  });
});
