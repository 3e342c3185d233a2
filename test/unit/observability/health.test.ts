/**
 * /healthz tells the truth: it fails while the event loop is wedged (lag watchdog), on a manual
 * clock and on a real process loop blocked by a synchronous spin, and recovers after the hold.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { startEventLoopWatchdog } from "../../../shared/observability/event-loop-watchdog.js";
import { startObservabilityServer } from "../../../shared/observability/http-server.js";
import { silentLogger } from "../../../shared/observability/logger.js";

test("a timer firing late by more than the limit makes the process unhealthy for the hold time", () => {
  let t = 0;
  const stalls: number[] = [];
  const w = startEventLoopWatchdog({ maxLagMs: 1_000, intervalMs: 500, holdMs: 30_000, now: () => t, onStall: (lag) => stalls.push(lag) });
  for (let i = 0; i < 10; i++) {
    t += 520;
    w.tick();
  }
  assert.equal(w.isHealthy(), true, "small lags are fine");
  t += 1_600; // the loop was blocked: the timer that was due at +500 fires at +2,100
  assert.equal(w.isHealthy(), false, "overdue right now");
  w.tick();
  assert.deepEqual(stalls, [1_100], "1,100 ms later than due");
  assert.equal(w.isHealthy(), false, "held after the stall");
  const stalledAt = t;
  while (t - stalledAt < 29_500) {
    t += 500;
    w.tick();
  }
  assert.equal(w.isHealthy(), false, "still within the hold");
  t += 500;
  w.tick();
  assert.equal(w.isHealthy(), true, "healthy again after the hold");
  assert.equal(stalls.length, 1);
});

test("/healthz answers 503 after a real event-loop stall, /readyz independently", async () => {
  const w = startEventLoopWatchdog({ maxLagMs: 200, intervalMs: 50, holdMs: 2_000 });
  const http = await startObservabilityServer({ port: 0, host: "127.0.0.1", registry: new Registry(), isReady: () => true, isHealthy: w.isHealthy, logger: silentLogger() });
  try {
    const health = async (): Promise<number> => (await fetch(`http://127.0.0.1:${http.port}/healthz`)).status;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await health(), 200);
    const until = Date.now() + 600;
    while (Date.now() < until); // wedge the loop for 600 ms
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await health(), 503);
    assert.equal((await fetch(`http://127.0.0.1:${http.port}/readyz`)).status, 200);
    await new Promise((r) => setTimeout(r, 2_200));
    assert.equal(await health(), 200, "recovers after the hold");
  } finally {
    w.stop();
    await http.close();
  }
});
