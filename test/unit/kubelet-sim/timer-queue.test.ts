import { manualClock } from "./manual-clock.js";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TimerQueue } from "../../../services/kubelet-sim/timer-queue.js";

/** A manual clock: time moves only when the test says so, and at most one timer is armed. */

describe("TimerQueue", () => {
  test("fires keys in due order with their tags, using one armed timer", () => {
    const clock = manualClock();
    const fired: string[] = [];
    const q = new TimerQueue<string>((k, tag) => fired.push(`${k}:${tag}`), clock);
    q.schedule("c", 30, "finish");
    q.schedule("a", 10, "start");
    q.schedule("b", 20, "bind");
    assert.equal(clock.armed(), 1);
    clock.advance(15);
    assert.deepEqual(fired, ["a:start"]);
    clock.advance(100);
    assert.deepEqual(fired, ["a:start", "b:bind", "c:finish"]);
    assert.equal(q.size, 0);
  });

  test("rescheduling a key replaces its earlier time; cancel drops it", () => {
    const clock = manualClock();
    const fired: string[] = [];
    const q = new TimerQueue<string>((k) => fired.push(k), clock);
    q.schedule("a", 10, "x");
    q.schedule("a", 50, "y");
    q.schedule("b", 20, "x");
    q.cancel("b");
    clock.advance(40);
    assert.deepEqual(fired, []);
    assert.deepEqual(q.scheduled("a"), { atMs: 50, tag: "y" });
    clock.advance(10);
    assert.deepEqual(fired, ["a"]);
  });

  test("an earlier schedule re-arms the timer sooner; a past time fires on the next tick", () => {
    const clock = manualClock();
    const fired: string[] = [];
    const q = new TimerQueue<string>((k) => fired.push(k), clock);
    q.schedule("late", 1000, "x");
    q.schedule("soon", 5, "x");
    clock.advance(5);
    assert.deepEqual(fired, ["soon"]);
    q.schedule("past", -100, "x");
    clock.advance(0);
    assert.deepEqual(fired, ["soon", "past"]);
  });

  test("close stops everything", () => {
    const clock = manualClock();
    const fired: string[] = [];
    const q = new TimerQueue<string>((k) => fired.push(k), clock);
    q.schedule("a", 10, "x");
    q.close();
    clock.advance(100);
    q.schedule("b", 1, "x");
    clock.advance(100);
    assert.deepEqual(fired, []);
  });

  test("ten thousand keys fire exactly once each", () => {
    const clock = manualClock();
    const fired = new Map<number, number>();
    const q = new TimerQueue<number>((k) => fired.set(k, (fired.get(k) ?? 0) + 1), clock);
    for (let i = 0; i < 10_000; i++) q.schedule(i, (i * 7919) % 1000, "x");
    for (let i = 0; i < 10_000; i += 3) q.schedule(i, 500 + (i % 700), "y");
    clock.advance(2000);
    assert.equal(fired.size, 10_000);
    assert.ok([...fired.values()].every((n) => n === 1));
  });
});
