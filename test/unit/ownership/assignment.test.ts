/** Which partitions a counter replica should own: the pure rules, as tables. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fairShare, planOwnership } from "../../../shared/ownership/assignment.js";
import { OwnershipObservations } from "../../../shared/ownership/observations.js";

describe("fairShare", () => {
  const cases: { name: string; self: string; live: string[]; partitions: number; want: number }[] = [
    { name: "alone: every partition", self: "a", live: ["a"], partitions: 32, want: 32 },
    { name: "three replicas, 32 partitions: the first two sorted ids take 11", self: "a", live: ["c", "a", "b"], partitions: 32, want: 11 },
    { name: "three replicas, 32 partitions: the last takes 10", self: "c", live: ["a", "b", "c"], partitions: 32, want: 10 },
    { name: "more replicas than partitions: the last ones take none", self: "e", live: ["a", "b", "c", "d", "e"], partitions: 4, want: 0 },
    { name: "a replica not in the live set takes nothing", self: "z", live: ["a"], partitions: 8, want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(fairShare(c.self, c.live, c.partitions), c.want));

  it("the shares of any live set add up to the partitions", () => {
    for (let n = 1; n <= 9; n++) {
      const live = Array.from({ length: n }, (_, i) => `r${i}`);
      const total = live.reduce((sum, id) => sum + fairShare(id, live, 32), 0);
      assert.equal(total, 32, `${n} replicas`);
    }
  });
});

describe("planOwnership", () => {
  const states = (free: number[], expired: number[]) => (p: number) => (free.includes(p) ? "free" : expired.includes(p) ? "expired" : "held") as "free" | "expired" | "held";
  const cases: { name: string; owned: number[]; target: number; free: number[]; expired: number[]; want: { acquire: number[]; release: number[] } }[] = [
    { name: "below target: free partitions first, then expired ones", owned: [0], target: 3, free: [5], expired: [2, 7], want: { acquire: [5, 2], release: [] } },
    { name: "below target with nothing free: wait (held leases are not taken)", owned: [0], target: 3, free: [], expired: [], want: { acquire: [], release: [] } },
    { name: "above target (a replica joined): hand over the highest", owned: [1, 4, 9, 12], target: 2, free: [], expired: [], want: { acquire: [], release: [12, 9] } },
    { name: "at target: nothing to do", owned: [1, 2], target: 2, free: [3], expired: [], want: { acquire: [], release: [] } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(planOwnership({ eligible: Array.from({ length: 16 }, (_, i) => i), target: c.target, owned: c.owned, leaseState: states(c.free, c.expired) }), c.want));
  }
});

describe("OwnershipObservations (expiry on local observation, as client-go's leader election)", () => {
  it("a lease not renewed for a lease duration, as observed here, is expired; a renewal resets it", () => {
    const o = new OwnershipObservations();
    o.observeLease(3, { v: 1, holder: "b", epoch: 4, writtenAtMs: 0 }, 10, 1_000);
    assert.equal(o.leaseState(3, 15_999, 15_000), "held");
    assert.equal(o.leaseState(3, 16_000, 15_000), "expired");
    o.observeLease(3, { v: 1, holder: "b", epoch: 4, writtenAtMs: 0 }, 11, 16_500);
    assert.equal(o.leaseState(3, 20_000, 15_000), "held");
  });

  it("an older revision seen late (a replayed watch) does not count as a renewal", () => {
    const o = new OwnershipObservations();
    o.observeLease(1, { v: 1, holder: "b", epoch: 1, writtenAtMs: 0 }, 20, 0);
    assert.equal(o.observeLease(1, { v: 1, holder: "b", epoch: 1, writtenAtMs: 0 }, 19, 14_000), false);
    assert.equal(o.leaseState(1, 15_000, 15_000), "expired");
  });

  it("released and never-written leases are free", () => {
    const o = new OwnershipObservations();
    o.observeLease(2, { v: 1, holder: "", epoch: 9, writtenAtMs: 0 }, 5, 0);
    assert.equal(o.leaseState(2, 1, 15_000), "free");
    assert.equal(o.leaseState(7, 1, 15_000), "free");
  });

  it("live members: heartbeats seen within a lease duration, and always oneself", () => {
    const o = new OwnershipObservations();
    o.observeMember("b", { v: 1, id: "b", beat: 1 }, 1, 0);
    o.observeMember("c", { v: 1, id: "c", beat: 1 }, 2, 10_000);
    assert.deepEqual(o.liveMembers("a", 15_500, 15_000), ["a", "c"]);
    o.observeMember("c", null, 3, 16_000);
    assert.deepEqual(o.liveMembers("a", 16_000, 15_000), ["a"]);
  });
});
