/** The in-tree column of the bench: every reference row names a scenario that runs, and the targets are judged as issue 12 states them. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { IN_TREE, renderSideBySide, sideBySide } from "../../../services/bench/in-tree.js";
import { SCENARIOS } from "../../../services/bench/scenarios.js";
import type { RunResult } from "../../../services/bench/run-scenario.js";

const MiB = 1024 * 1024;

function run(label: string, over: { ratio: number | null; writesPer1k: number; pods: number; cpu: number; rssMiB: number[] }): RunResult {
  const services = Object.fromEntries(over.rssMiB.map((m, i) => [`s${i}`, { cpuSeconds: 0, cpuSecondsPer1000Pods: 0, peakRssBytes: m * MiB }]));
  return {
    label,
    pods: over.pods,
    ratioToFloor: over.ratio,
    statusWritesPer1000Pods: over.writesPer1k,
    services,
    servicesTotal: { cpuSeconds: over.cpu, cpuSecondsPer1000Pods: 0, peakRssBytes: over.rssMiB.reduce((a, b) => a + b, 0) * MiB },
  } as unknown as RunResult;
}

describe("the in-tree reference figures", () => {
  it("each names a scenario of the quick run", () => {
    const quick = new Set(SCENARIOS.filter((s) => s.group === "quick").map((s) => s.label));
    for (const label of Object.keys(IN_TREE)) assert.ok(quick.has(label), `${label} is not a quick scenario`);
  });

  const cases: { name: string; r: RunResult; met: { wall: boolean; statusWrites: boolean; cpu: boolean; rss: boolean } }[] = [
    {
      name: "every target met at 2,000 @ 200 (0.917, 17 writes, 3.6 s x 1.5, 100 MiB each)",
      r: run("single-job 2000@200", { ratio: 0.91, writesPer1k: 8.5, pods: 2000, cpu: 5.4, rssMiB: [90, 100, 99] }),
      met: { wall: true, statusWrites: true, cpu: true, rss: true },
    },
    {
      name: "each target missed by a little",
      r: run("single-job 2000@200", { ratio: 0.93, writesPer1k: 9, pods: 2000, cpu: 5.5, rssMiB: [90, 101, 99] }),
      met: { wall: false, statusWrites: false, cpu: false, rss: false },
    },
    {
      name: "a run without a floor ratio does not meet the wall target",
      r: run("single-job 10000@200", { ratio: null, writesPer1k: 1, pods: 10_000, cpu: 1, rssMiB: [50] }),
      met: { wall: false, statusWrites: true, cpu: true, rss: true },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const [row] = sideBySide([c.r]);
      assert.deepEqual(row?.met, c.met);
    });

  it("runs without in-tree figures are left out, and the table marks misses", () => {
    const rows = sideBySide([run("unthrottled 20000@unlimited", { ratio: null, writesPer1k: 1, pods: 20_000, cpu: 1, rssMiB: [1] }), cases[1]!.r]);
    assert.equal(rows.length, 1);
    const text = renderSideBySide(rows, "markdown");
    assert.match(text, /\| single-job 2000@200 \| 0\.917 \| 0\.930 ✗ \| 17 \| 18 ✗ \|/);
  });
});
