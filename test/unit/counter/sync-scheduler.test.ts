/**
 * SyncScheduler batching (services/counter/sync-scheduler.ts), on a simulated clock: Pod events
 * are batched to one sync per period, counted from the start of the last sync.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SyncScheduler } from "../../../services/counter/sync-scheduler.js";

/** A clock whose timers fire only when advanced. */
function fakeClock() {
  let t = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    const h = { at: t + ms, fn };
    timers.push(h);
    return h as unknown as NodeJS.Timeout;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((h: unknown) => {
    const i = timers.indexOf(h as (typeof timers)[number]);
    if (i >= 0) timers.splice(i, 1);
  }) as typeof clearTimeout;
  return {
    now: () => t,
    async advance(ms: number) {
      const end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        t = next.at;
        next.fn();
        await new Promise((r) => setImmediate(r));
      }
      t = end;
      await new Promise((r) => setImmediate(r));
    },
    restore() {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}

describe("SyncScheduler batching", () => {
  it("a steady stream of Pod events: one sync per period, anchored at the last sync's start", async () => {
    const clock = fakeClock();
    try {
      const runs: number[] = [];
      const s = new SyncScheduler({ concurrency: 1, batchPeriodMs: 800, now: clock.now, run: async () => void runs.push(clock.now()), onError: () => undefined });
      s.enqueueSyncJobImmediately("j");
      await clock.advance(0);
      // An event every 300 ms after the sync at 0: the next sync is due at 800 (0 + period), not 300 + 800.
      for (let i = 1; i <= 10; i++) {
        await clock.advance(300);
        s.enqueueSyncJobBatched("j");
      }
      await clock.advance(1000);
      assert.deepEqual(runs, [0, 800, 1600, 2400, 3200]);
    } finally {
      clock.restore();
    }
  });

  it("the first event after a quiet spell waits at most one period; a shorter period (the Job's own) is honoured", async () => {
    const clock = fakeClock();
    try {
      const runs: number[] = [];
      const s = new SyncScheduler({ concurrency: 1, batchPeriodMs: 800, now: clock.now, run: async () => void runs.push(clock.now()), onError: () => undefined });
      s.enqueueSyncJobBatched("k"); // never synced: one period
      await clock.advance(1000);
      assert.deepEqual(runs, [800]);
      await clock.advance(5000); // quiet
      s.enqueueSyncJobBatched("k"); // last sync long ago: at once
      await clock.advance(0);
      assert.deepEqual(runs, [800, 6000]);
      s.enqueueSyncJobBatched("k", 7000); // a longer adaptive period
      s.enqueueSyncJobBatched("k", 300); // then a shorter one: the earlier due time wins
      await clock.advance(8000);
      assert.deepEqual(runs, [800, 6000, 6300]);
    } finally {
      clock.restore();
    }
  });
});
