/** The bench's scenario data and floors, and which processes a scenario starts: pure, as tables. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { latencyFloorSeconds, scaleOut, scenarioFloor, SCENARIOS, selectScenarios } from "../../../services/bench/scenarios.js";
import { budgetArgs, replicaName, servicePlan } from "../../../services/bench/topology.js";

describe("selectScenarios", () => {
  const labels = (sel: { full: boolean; scaleOut: boolean; only: string }): string[] => selectScenarios(sel).map((s) => s.label);
  const cases: { name: string; sel: { full: boolean; scaleOut: boolean; only: string }; has: string[]; hasNot: string[] }[] = [
    { name: "quick: no big and no scale-out run", sel: { full: false, scaleOut: false, only: "" }, has: ["single-job 2000@50"], hasNot: ["single-job 100000@1000", "scale-out 64x50@1000 ×1"] },
    { name: "--full adds the big runs, not scale-out", sel: { full: true, scaleOut: false, only: "" }, has: ["single-job 100000@1000"], hasNot: ["scale-out 64x50@1000 ×2"] },
    { name: "--scale-out adds the scale-out runs to the quick ones", sel: { full: false, scaleOut: true, only: "" }, has: ["single-job 2000@50", "scale-out 64x50@1000 ×4", "scale-out 64x50@1000 ×2 kill"], hasNot: ["many-jobs 1000x100@1000"] },
    { name: "--scenario scale-out: only those, whatever the group", sel: { full: false, scaleOut: false, only: "scale-out" }, has: ["scale-out 64x50@1000 ×1", "scale-out 64x50@1000 ×4 kill"], hasNot: ["single-job 2000@50"] },
    { name: "--scenario by label", sel: { full: false, scaleOut: false, only: "scale-out 64x50@1000 ×2" }, has: ["scale-out 64x50@1000 ×2"], hasNot: ["scale-out 64x50@1000 ×2 kill"] },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = labels(c.sel);
      for (const l of c.has) assert.ok(got.includes(l), `${l} missing from ${got.join(", ")}`);
      for (const l of c.hasNot) assert.ok(!got.includes(l), `${l} should not be in ${got.join(", ")}`);
    });

  it("labels are unique", () => {
    const all = SCENARIOS.map((s) => s.label);
    assert.equal(new Set(all).size, all.length);
  });

  it("scale-out: 1, 2 and 4 replicas on 32 partitions at 20 ms ± 10 ms, the kill runs with two counters or more", () => {
    const so = selectScenarios({ full: false, scaleOut: false, only: "scale-out" });
    assert.deepEqual(
      so.map((s) => [s.replicas, s.killCounterAt !== null]),
      [
        [1, false],
        [2, false],
        [4, false],
        [2, true],
        [4, true],
      ],
    );
    for (const s of so) {
      assert.equal(s.partitions, 32);
      assert.deepEqual(s.api, { latencyMs: 10, jitterMs: 20 });
    }
  });
});

describe("floors", () => {
  const cases: { name: string; pods: number; latency: number; jitter: number; slots: number; want: number }[] = [
    { name: "one remover, 2 in flight, 20 ms mean: 50 Pods/s", pods: 3200, latency: 10, jitter: 20, slots: 2, want: 64 },
    { name: "four removers: a quarter", pods: 3200, latency: 10, jitter: 20, slots: 8, want: 16 },
    { name: "no slot: no floor", pods: 3200, latency: 10, jitter: 20, slots: 0, want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(latencyFloorSeconds(c.pods, { latencyMs: c.latency, jitterMs: c.jitter }, c.slots), c.want));

  const floorCases: { name: string; sc: Parameters<typeof scenarioFloor>[0]; pods: number; want: ReturnType<typeof scenarioFloor> }[] = [
    { name: "scale-out ×1: latency binds", sc: scaleOut(1), pods: 3200, want: { seconds: 64, bound: "latency" } },
    { name: "scale-out ×4: still latency (budget floor 6.4 s)", sc: scaleOut(4), pods: 3200, want: { seconds: 16, bound: "latency" } },
    { name: "a tight budget binds instead", sc: { ...scaleOut(4), qps: 100 }, pods: 3200, want: { seconds: 64, bound: "budget" } },
    { name: "other scenarios: the budget floor only", sc: { ...scaleOut(1), latencyFloor: false, qps: 200 }, pods: 2100, want: { seconds: 21, bound: "budget" } },
    { name: "unthrottled: no floor", sc: { ...scaleOut(1), latencyFloor: false, qps: 0 }, pods: 2100, want: { seconds: 0, bound: null } },
  ];
  for (const c of floorCases) it(c.name, () => assert.deepEqual(scenarioFloor(c.sc, c.pods), c.want));
});

describe("servicePlan", () => {
  it("N counters and N removers, each a distinct name and replica id, all on one shared budget", () => {
    for (const n of [1, 2, 4]) {
      const plan = servicePlan(scaleOut(n), "bench");
      assert.equal(plan.filter((p) => p.service === "counter").length, n);
      assert.equal(plan.filter((p) => p.service === "finalizer-remover").length, n);
      assert.equal(plan.filter((p) => p.service === "watcher").length, 1);
      assert.equal(new Set(plan.map((p) => p.name)).size, plan.length);
      const ids = plan.filter((p) => p.service === "counter").map((p) => p.args[p.args.indexOf("--replica-id") + 1]);
      assert.deepEqual(
        ids,
        plan.filter((p) => p.service === "counter").map((p) => p.name),
      );
      for (const p of plan.filter((x) => x.service !== "watcher")) assert.deepEqual(p.args.slice(p.args.indexOf("--shared-qps"), p.args.indexOf("--shared-qps") + 4), ["--shared-qps", "1000", "--shared-burst", "2000"]);
      for (const p of plan.filter((x) => x.service !== "finalizer-remover")) assert.equal(p.args[p.args.indexOf("--partitions") + 1], "32");
      for (const p of plan.filter((x) => x.service === "finalizer-remover")) assert.equal(p.args[p.args.indexOf("--concurrency") + 1], "2");
    }
  });

  const names: { service: "counter" | "watcher"; i: number; n: number; want: string }[] = [
    { service: "counter", i: 0, n: 1, want: "counter" },
    { service: "counter", i: 0, n: 4, want: "counter-1" },
    { service: "counter", i: 3, n: 4, want: "counter-4" },
  ];
  for (const c of names) it(`replicaName(${c.service}, ${c.i}, ${c.n}) = ${c.want}`, () => assert.equal(replicaName(c.service, c.i, c.n), c.want));

  it("budgetArgs: shared over NATS, or each process unlimited", () => {
    assert.deepEqual(budgetArgs({ qps: 200, burst: 400 }, "--qps"), ["--shared-qps", "200", "--shared-burst", "400"]);
    assert.deepEqual(budgetArgs({ qps: 0, burst: 0 }, "--api-qps"), ["--api-qps", "0"]);
  });
});
