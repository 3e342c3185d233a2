/** Failover figures, the scale-out report and the docs section rewrite: pure, as tables. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { countingAgainAfter, firstCompleteAfter, isBalanced, type CountSample, type OwnershipSample } from "../../../services/bench/failover.js";
import { replaceSection, SCALE_OUT_MARKERS } from "../../../services/bench/docs-section.js";
import { failoverRows, replicaRows, speedUp } from "../../../services/bench/report-scale-out.js";
import type { RunResult } from "../../../services/bench/run-scenario.js";

describe("firstCompleteAfter", () => {
  const samples: OwnershipSample[] = [
    { atMs: 900, owned: 32, ready: 32 },
    { atMs: 1100, owned: 24, ready: 24 },
    { atMs: 16_000, owned: 32, ready: 28 },
    { atMs: 16_500, owned: 32, ready: 32 },
  ];
  const cases: { name: string; field: "owned" | "ready"; killAt: number; samples: OwnershipSample[]; want: number | null }[] = [
    { name: "owned again 15 s after the kill (a sample before the kill does not count)", field: "owned", killAt: 1000, samples, want: 15 },
    { name: "ready once replayed", field: "ready", killAt: 1000, samples, want: 15.5 },
    { name: "never", field: "owned", killAt: 1000, samples: samples.slice(0, 2), want: null },
  ];
  for (const c of cases) it(c.name, () => assert.equal(firstCompleteAfter(c.samples, c.killAt, 32, c.field), c.want));
});

describe("countingAgainAfter", () => {
  const job = (...pairs: [number, number][]): CountSample[] => pairs.map(([atMs, counted]) => ({ atMs, counted }));
  const cases: { name: string; jobs: CountSample[][]; want: number | null }[] = [
    { name: "the first orphaned Job counted further after the kill", jobs: [job([0, 0], [500, 10], [17_000, 20]), job([0, 0], [16_200, 5])], want: 15.2 },
    { name: "a write the dead counter had sent, landing within the settle time, is not progress", jobs: [job([0, 0], [1020, 10], [16_000, 12])], want: 15 },
    { name: "a Job never counted further", jobs: [job([0, 0], [500, 10])], want: null },
    { name: "no orphaned Job", jobs: [], want: null },
  ];
  for (const c of cases) it(c.name, () => assert.equal(countingAgainAfter(c.jobs, 1000, 1000), c.want));
});

describe("isBalanced", () => {
  const cases: { owned: number[]; want: boolean }[] = [
    { owned: [32], want: true },
    { owned: [16, 16], want: true },
    { owned: [11, 11, 10], want: true },
    { owned: [32, 0], want: false },
    { owned: [8, 8, 8, 7], want: false },
    { owned: [9, 9, 7, 7], want: false },
    { owned: [], want: false },
  ];
  for (const c of cases) it(`${c.owned.join("/") || "none"} → ${c.want}`, () => assert.equal(isBalanced(c.owned, 32), c.want));
});

function run(over: Partial<RunResult>): RunResult {
  return {
    scenario: "scale-out",
    label: "x",
    pods: 3200,
    jobs: 64,
    parallelism: 50,
    qps: 1000,
    burst: 2000,
    replicas: 1,
    wallSeconds: 60,
    podsCreated: 3200,
    floorSeconds: 64,
    ratioToFloor: 0.94,
    podsPerSecond: 53,
    apiRequestsPerPod: {},
    apiWritesPerPod: 2,
    apiWritesPerJob: 100,
    statusWritesPer1000Pods: 10,
    conflictsPer1000Pods: 0,
    maxJobStatusBytes: 0,
    lagMs: { p50: 0, p99: 0, max: 0 },
    services: {},
    servicesTotal: { cpuSeconds: 0, cpuSecondsPer1000Pods: 0, peakRssBytes: 0 },
    jetstreamMsgsPerPod: 0,
    jetstreamBytesPerPod: 0,
    countsExact: true,
    countMismatches: [],
    finalizersLeft: 0,
    peakActiveFraction: 1,
    timedOut: false,
    series: [],
    ...over,
  };
}

describe("scale-out report", () => {
  const fo = { victim: "counter-1", victimPartitions: [0, 1], orphanJobs: 3, killAtSeconds: 10, leaseDurationSeconds: 15, allOwnedAfterSeconds: 15.2, allReadyAfterSeconds: 15.4, countingAgainAfterSeconds: 15.9, intentsFenced: 0 };
  const runs = [run({ label: "×1", wallSeconds: 60 }), run({ label: "×2", replicas: 2, wallSeconds: 30 }), run({ label: "×4", replicas: 4, wallSeconds: 20 }), run({ label: "×2 kill", replicas: 2, wallSeconds: 45, failover: fo })];
  const cases: { label: string; want: number | null }[] = [
    { label: "×1", want: 1 },
    { label: "×2", want: 2 },
    { label: "×4", want: 3 },
  ];
  for (const c of cases) it(`speed-up of ${c.label}`, () => assert.equal(speedUp(runs.find((r) => r.label === c.label) as RunResult, runs), c.want));
  it("no speed-up without a single-replica run of the same workload", () => assert.equal(speedUp(run({ replicas: 2, pods: 100 }), runs), null));

  it("failover rows: only runs with a kill; NEVER when the survivors never own everything", () => {
    assert.deepEqual(failoverRows(runs), [["×2 kill", "counter-1", "2", "3", "10.0", "15.2", "15.4", "15.9", "15", "0"]]);
    assert.equal(failoverRows([run({ failover: { ...fo, allOwnedAfterSeconds: null } })])[0]?.[5], "NEVER");
  });

  it("replica rows: figures per replica in numeric order, the killed one marked", () => {
    const MiB = 1024 * 1024;
    const r = run({
      label: "k",
      services: {
        "counter-10": { service: "counter", cpuSeconds: 3, cpuSecondsPer1000Pods: 1, peakRssBytes: 300 * MiB },
        "counter-2": { service: "counter", killed: true, cpuSeconds: 2, cpuSecondsPer1000Pods: 1, peakRssBytes: 200 * MiB },
        watcher: { service: "watcher", cpuSeconds: 5, cpuSecondsPer1000Pods: 1, peakRssBytes: 100 * MiB },
      },
    });
    assert.deepEqual(replicaRows([r]), [
      ["k", "counter", "2.0† / 3.0", "200† / 300"],
      ["k", "watcher", "5.0", "100"],
    ]);
  });
});

describe("replaceSection", () => {
  const { start, end } = SCALE_OUT_MARKERS;
  const cases: { name: string; md: string; want: string }[] = [
    { name: "replaces between the markers, keeping what is around", md: `a\n${start}\nold\n${end}\nb\n`, want: `a\n${start}\nnew\n${end}\nb\n` },
    { name: "appends when the markers are missing", md: "a\n", want: `a\n\n${start}\nnew\n${end}\n` },
    { name: "an end marker before the start one is not a section", md: `${end}\na\n`, want: `${end}\na\n\n${start}\nnew\n${end}\n` },
  ];
  for (const c of cases) it(c.name, () => assert.equal(replaceSection(c.md, SCALE_OUT_MARKERS, "new"), c.want));
});
