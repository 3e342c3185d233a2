/**
 * The API budget: the token bucket (rate, burst, priority, run-time rate changes), the max-min fair
 * split of a shared budget, and members sharing one budget over a real nats-server.
 */
import { describe, it, after, before } from "node:test";
import assert from "node:assert/strict";
import { TokenBucket } from "../../../shared/kube/budget/token-bucket.js";
import { allocateShares } from "../../../shared/kube/budget/allocate.js";
import { joinSharedBudget, parseBudgetReport, type SharedBudgetHandle } from "../../../shared/kube/budget/shared-budget.js";
import { ApiBudget } from "../../../shared/kube/rate-limit.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { manualClock } from "../kubelet-sim/manual-clock.js";
import { natsFixture, type NatsFixture } from "../nats/fixtures.js";

describe("TokenBucket", () => {
  it("hands out the burst at once, then one token per 1/rate seconds", () => {
    const clock = manualClock(0);
    const bucket = new TokenBucket(10, 3, clock);
    const got: number[] = [];
    for (let i = 0; i < 6; i++) void bucket.take().then(() => got.push(i));
    return Promise.resolve()
      .then(() => assert.deepEqual(got, [0, 1, 2], "the burst goes at once"))
      .then(() => clock.advance(99))
      .then(() => assert.deepEqual(got, [0, 1, 2], "not before 100 ms"))
      .then(() => clock.advance(1))
      .then(() => assert.deepEqual(got, [0, 1, 2, 3]))
      .then(() => clock.advance(200))
      .then(() => assert.deepEqual(got, [0, 1, 2, 3, 4, 5]));
  });

  it("serves waiters by priority, then in arrival order", async () => {
    const clock = manualClock(0);
    const bucket = new TokenBucket(10, 1, clock);
    await bucket.take();
    const order: string[] = [];
    void bucket.take(0).then(() => order.push("create-1"));
    void bucket.take(0).then(() => order.push("create-2"));
    void bucket.take(1).then(() => order.push("removal"));
    void bucket.take(2).then(() => order.push("status"));
    for (let i = 0; i < 4; i++) {
      clock.advance(100);
      await Promise.resolve();
    }
    assert.deepEqual(order, ["status", "removal", "create-1", "create-2"]);
  });

  it("changes rate at run time: a waiter is served at the new rate; fill tops the bucket up", async () => {
    const clock = manualClock(0);
    const bucket = new TokenBucket(1, 1, clock);
    await bucket.take();
    let served = false;
    void bucket.take().then(() => (served = true));
    clock.advance(10);
    bucket.setRate(100, 2);
    clock.advance(5);
    await Promise.resolve();
    assert.equal(served, false, "at 100/s the wait is 10 ms from the change");
    clock.advance(5);
    await Promise.resolve();
    assert.equal(served, true, "served at the new rate, not after 1 s at the old one");
    bucket.setRate(5, 4, true);
    assert.equal(bucket.available(), 4);
    bucket.setRate(5, 2);
    assert.equal(bucket.available(), 2, "a smaller burst clamps what was saved");
  });

  it("rate 0 is unlimited; invalid figures are refused", async () => {
    const bucket = new TokenBucket(0, 0);
    for (let i = 0; i < 1000; i++) await bucket.take();
    assert.equal(bucket.taken, 1000);
    assert.throws(() => new TokenBucket(-1, 1), /invalid token bucket/);
    assert.throws(() => new ApiBudget({ qps: 1, burst: 1, concurrency: 0 }), /invalid API budget/);
  });
});

describe("allocateShares (max-min fair split of Q)", () => {
  const opts = { totalQps: 200, minQps: 2, headroom: 1.5 };
  const cases: { name: string; demands: Record<string, number>; want: Record<string, number> }[] = [
    { name: "one member takes it all", demands: { a: 3 }, want: { a: 200 } },
    { name: "a quiet counter keeps headroom over its demand, the busy pool gets the rest", demands: { counter: 1, pool: 500 }, want: { counter: 2, pool: 198 } },
    { name: "a counter asking 10/s gets 15/s", demands: { counter: 10, pool: 500 }, want: { counter: 15, pool: 185 } },
    { name: "two busy members split evenly", demands: { a: 400, b: 900 }, want: { a: 100, b: 100 } },
    { name: "an idle member keeps the floor", demands: { idle: 0, busy: 1000 }, want: { idle: 2, busy: 198 } },
    { name: "nobody busy: what is left is spread in proportion", demands: { a: 10, b: 30 }, want: { a: 50, b: 150 } },
    { name: "three members, one small", demands: { s: 20, x: 300, y: 300 }, want: { s: 30, x: 85, y: 85 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const shares = allocateShares(
        Object.entries(c.demands).map(([member, demandQps]) => ({ member, demandQps })),
        opts,
      );
      for (const [m, q] of Object.entries(c.want)) assert.ok(Math.abs((shares.get(m) ?? -1) - q) < 1e-6, `${m}: got ${shares.get(m)}, want ${q}`);
      const total = [...shares.values()].reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 200) < 1e-6, `shares add up to Q (got ${total})`);
    });
  }
  it("the floor never exceeds an equal share", () => {
    const shares = allocateShares(
      Array.from({ length: 300 }, (_, i) => ({ member: `m${i}`, demandQps: 0 })),
      opts,
    );
    const total = [...shares.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 200) < 1e-6);
  });
  it("reports are validated", () => {
    assert.deepEqual(parseBudgetReport({ member: "a", demandQps: 3 }), { member: "a", demandQps: 3 });
    for (const bad of [null, "x", { member: "", demandQps: 1 }, { member: "a", demandQps: -1 }, { member: "a", demandQps: "3" }, { member: "a", demandQps: Infinity }]) {
      assert.equal(parseBudgetReport(bad), null, JSON.stringify(bad));
    }
  });
});

describe("shared budget over NATS", () => {
  let nats: NatsFixture;
  before(async () => {
    nats = await natsFixture();
  });
  after(async () => {
    await nats?.close();
  });

  /** Keeps `budget` saturated (always `depth` requests waiting) and counts the requests it let through. */
  function saturate(budget: ApiBudget, depth: number, stop: AbortSignal): { done: () => number } {
    let done = 0;
    const refill = (): void => {
      while (!stop.aborted && budget.backlog < depth) void budget.run(async () => void done++).then(() => !stop.aborted && refill());
    };
    refill();
    return { done: () => done };
  }

  it("a busy member gets nearly all of Q while another is quiet; together they never exceed Q and burst", async () => {
    const Q = 100;
    const logger = silentLogger();
    const ncA = await nats.connect();
    const ncB = await nats.connect();
    const busy = new ApiBudget({ qps: Q, burst: 2 * Q, concurrency: 16 });
    const quiet = new ApiBudget({ qps: Q, burst: 2 * Q, concurrency: 4 });
    const handles: SharedBudgetHandle[] = [
      joinSharedBudget(ncA, busy, { group: "t1", member: "pool", totalQps: Q, totalBurst: 2 * Q, reportIntervalMs: 100 }, logger),
      joinSharedBudget(ncB, quiet, { group: "t1", member: "counter", totalQps: Q, totalBurst: 2 * Q, reportIntervalMs: 100 }, logger),
    ];
    const ac = new AbortController();
    const load = saturate(busy, 64, ac.signal);
    let quietDone = 0;
    const quietTimer = setInterval(() => void quiet.run(async () => void quietDone++), 500);
    await new Promise((r) => setTimeout(r, 1000)); // settle: joined, burst spent
    const start = load.done();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const rate = ((load.done() - start) * 1000) / (performance.now() - t0);
    assert.ok(handles[0]!.share() > 0.9 * Q, `the busy member's share is ${handles[0]!.share()}`);
    assert.ok(rate > 0.85 * Q && rate < 1.1 * Q, `the busy member ran ${rate.toFixed(1)}/s against Q = ${Q}`);
    assert.ok(quietDone >= 4, "the quiet member still got its requests through");
    assert.equal(handles[0]!.members(), 2);

    // Now both busy: an even split, and the sum stays at Q.
    const load2 = saturate(quiet, 64, ac.signal);
    await new Promise((r) => setTimeout(r, 1000));
    const [a0, b0] = [load.done(), load2.done()];
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const secs = (performance.now() - t1) / 1000;
    const [ra, rb] = [(load.done() - a0) / secs, (load2.done() - b0) / secs];
    ac.abort();
    clearInterval(quietTimer);
    assert.ok(ra + rb < 1.1 * Q, `together ${(ra + rb).toFixed(1)}/s against Q = ${Q}`);
    assert.ok(Math.abs(ra - rb) < 0.25 * Q, `an even split: ${ra.toFixed(1)} and ${rb.toFixed(1)}`);
    for (const h of handles) await h.stop();
    await busy.onIdle();
    await quiet.onIdle();
  });

  it("a member that stops reporting is forgotten and its share goes to the others", async () => {
    const Q = 50;
    const logger = silentLogger();
    const ncA = await nats.connect();
    const ncB = await nats.connect();
    const a = new ApiBudget({ qps: Q, burst: Q, concurrency: 4 });
    const b = new ApiBudget({ qps: Q, burst: Q, concurrency: 4 });
    const ac = new AbortController();
    saturate(a, 16, ac.signal);
    saturate(b, 16, ac.signal);
    const ha = joinSharedBudget(ncA, a, { group: "t2", member: "a", totalQps: Q, totalBurst: Q, reportIntervalMs: 100 }, logger);
    const hb = joinSharedBudget(ncB, b, { group: "t2", member: "b", totalQps: Q, totalBurst: Q, reportIntervalMs: 100 }, logger);
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(Math.abs(ha.share() - Q / 2) < 2, `two busy members split: ${ha.share()}`);
    await hb.stop();
    await new Promise((r) => setTimeout(r, 800));
    ac.abort();
    assert.ok(ha.share() > 0.95 * Q, `alone again: ${ha.share()}`);
    await ha.stop();
  });
});
