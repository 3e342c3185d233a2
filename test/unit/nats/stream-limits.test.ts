/**
 * Stream limits on a real nats-server with tiny limits: what each stream does when full (nothing
 * counting needs is dropped: new messages wait, publishers retry), and the near-limit warning.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DiscardPolicy, jetstreamManager } from "@nats-io/jetstream";
import { Registry } from "prom-client";
import { DLQ_STREAM, INTENT_STREAM, VIEW_STREAM } from "../../../shared/constants.js";
import type { Intent, RemoveFinalizerIntent } from "../../../shared/intents/intents.js";
import { consumeIntents, IntentPublisher } from "../../../shared/nats/intent-queue.js";
import { DeadLetters } from "../../../shared/nats/dead-letters.js";
import { ensureStreams, neverBelowContent, streamConfigs, VIEW_RECORD_BUDGET_BYTES } from "../../../shared/nats/streams.js";
import { NearLimitWarnings, startStreamUsageMonitor, streamUsage } from "../../../shared/nats/stream-usage.js";
import { createLogger, silentLogger } from "../../../shared/observability/logger.js";
import { createStreamMetrics } from "../../../shared/observability/metrics.js";
import { eventually, natsFixture, type NatsFixture } from "./fixtures.js";

function removal(podUID: string): RemoveFinalizerIntent {
  return { v: 2, epoch: 1, holder: "counter-a", kind: "removeFinalizer", partition: 0, jobUID: "j1", namespace: "default", name: `p-${podUID}`, podUID, reason: "count" };
}

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger("test", "info", { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe("stream limits (pure)", () => {
  test("the view and the intents refuse new messages when full, the DLQ drops its oldest", () => {
    const byName = new Map(streamConfigs({ replicas: 1, viewMaxRecords: 1000, partitions: 16, intentMaxMsgs: 50, intentMaxBytes: 4096, dlqMaxMsgs: 7, dlqMaxBytes: 2048 }).map((c) => [c.name, c]));
    const view = byName.get(VIEW_STREAM)!;
    assert.equal(view.discard, DiscardPolicy.New);
    assert.equal(view.max_msgs, 1016, "one record per Pod/Job of the budget plus one sync marker per partition");
    assert.equal(view.max_bytes, 1016 * VIEW_RECORD_BUDGET_BYTES);
    assert.equal(view.max_msgs_per_subject, 1);
    const intents = byName.get(INTENT_STREAM)!;
    assert.deepEqual([intents.discard, intents.max_msgs, intents.max_bytes], [DiscardPolicy.New, 50, 4096]);
    const dlq = byName.get(DLQ_STREAM)!;
    assert.deepEqual([dlq.discard, dlq.max_msgs, dlq.max_bytes], [DiscardPolicy.Old, 7, 2048]);
  });

  test("a limit is never lowered below what a view or intent stream holds; the DLQ's may be", () => {
    const [view, , dlq] = streamConfigs({ replicas: 1, viewMaxRecords: 10, partitions: 2 });
    const kept = neverBelowContent(view!, { messages: 40, bytes: 100 });
    assert.equal(kept.config.max_msgs, 40);
    assert.equal(kept.config.max_bytes, 12 * VIEW_RECORD_BUDGET_BYTES, "bytes below the limit: unchanged");
    assert.equal(kept.kept.length, 1);
    assert.equal(neverBelowContent(dlq!, { messages: 10 ** 9, bytes: 10 ** 12 }).config.max_msgs, dlq!.max_msgs);
  });

  test("the near-limit warning fires past the ratio, then at most once per period, and says when it recovered", () => {
    const w = new NearLimitWarnings(0.8, 60_000);
    const u = (ratio: number) => streamUsage({ name: "S", max_msgs: 100, max_bytes: -1 }, { messages: ratio * 100, bytes: 5 });
    assert.equal(w.decide(u(0.8), 0), "ok", "exactly at the ratio is not past it");
    assert.equal(w.decide(u(0.81), 1_000), "warn");
    assert.equal(w.decide(u(0.9), 30_000), "quiet");
    assert.equal(w.decide(u(0.95), 61_001), "warn");
    assert.equal(w.decide(u(0.5), 62_000), "recovered");
    assert.equal(w.decide(u(0.5), 63_000), "ok");
    assert.equal(u(0.5).bytesRatio, 0, "an unlimited limit is never near");
  });
});

describe("stream limits on a real nats-server", () => {
  let f: NatsFixture;
  before(async () => {
    f = await natsFixture();
    await ensureStreams(f.nc, { replicas: 1, intentMaxMsgs: 3, viewMaxRecords: 3, partitions: 1, dlqMaxMsgs: 2 });
  });
  after(async () => {
    await f.close();
  });

  test("a full intent queue makes publishers wait and retry: every intent is delivered exactly once, none dropped", async () => {
    const pub = new IntentPublisher(f.js, { logger: silentLogger() });
    const uids = ["a", "b", "c", "d", "e", "f"];
    let resolved = 0;
    const publishing = Promise.all(uids.map((u) => pub.publish(removal(u)).then(() => resolved++)));
    const jsm = await jetstreamManager(f.nc);
    await eventually(async () => (await jsm.streams.info(INTENT_STREAM)).state.messages === 3, 10_000, "the queue full");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await jsm.streams.info(INTENT_STREAM)).state.messages, 3, "never above the limit");
    assert.equal(resolved, 3, "the other three publishes are still waiting, not lost");

    const { logger, lines } = capturingLogger();
    const registry = new Registry();
    const metrics = createStreamMetrics(registry);
    const monitor = startStreamUsageMonitor({ nc: f.nc, logger, metrics, warnRatio: 0.8, intervalMs: 60_000 });
    await monitor.check();
    await monitor.check();
    monitor.stop();
    const warnings = lines.filter((l) => l.stream === INTENT_STREAM && l.level === 40);
    assert.equal(warnings.length, 1, "one warning, rate-limited across checks");
    assert.match(String(warnings[0]!.msg), /past 80 % of its limit/);
    assert.match(String(warnings[0]!.atLimit), /publishers retry/);
    const ratio = (await registry.getSingleMetric("jobtally_stream_usage_ratio")!.get()).values.find((v) => v.labels.stream === INTENT_STREAM && v.labels.limit === "msgs");
    assert.equal(ratio?.value, 1);
    // Every check past the ratio is counted (the one at start included), the warning logged once.
    assert.match(await registry.metrics(), new RegExp(`jobtally_stream_near_limit_total\\{service="[^"]*",stream="${INTENT_STREAM}"\\} [23]\\n|jobtally_stream_near_limit_total\\{stream="${INTENT_STREAM}"\\} [23]\\n`));

    const got: string[] = [];
    const ac = new AbortController();
    const run = consumeIntents(f.js, {
      durable: "t-limits",
      ackWaitMs: 5_000,
      maxAckPending: 2,
      logger: silentLogger(),
      signal: ac.signal,
      handle: async (i: Intent) => {
        if (i.kind === "removeFinalizer") got.push(i.podUID);
        return { kind: "ack" };
      },
      onMalformed: async () => undefined,
    });
    await publishing;
    await eventually(() => got.length >= uids.length, 30_000, "every intent consumed");
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    await run;
    pub.close();
    assert.deepEqual([...got].sort(), uids);
  });

  test("a full view refuses new keys but still updates existing ones (a Pod finishing, a tombstone)", async () => {
    for (const k of ["k1", "k2", "k3", "k4"]) await f.js.publish(`jobtally.view.0.job1.pod.${k}`, "{}");
    await assert.rejects(f.js.publish("jobtally.view.0.job1.pod.k5", "{}"), /maximum messages exceeded/);
    await f.js.publish("jobtally.view.0.job1.pod.k1", '{"gone":true}');
    const jsm = await jetstreamManager(f.nc);
    assert.equal((await jsm.streams.info(VIEW_STREAM)).state.messages, 4);
    // An operator lowering the limit below the content must not delete records.
    await ensureStreams(f.nc, { replicas: 1, intentMaxMsgs: 3, viewMaxRecords: 1, partitions: 1, dlqMaxMsgs: 2 });
    const info = await jsm.streams.info(VIEW_STREAM);
    assert.equal(info.state.messages, 4, "no record deleted");
    assert.equal(info.config.max_msgs, 4, "the limit kept at the content");
  });

  test("a full DLQ drops its oldest dead letters and keeps accepting new ones", async () => {
    const dl = new DeadLetters(f.js, { logger: silentLogger() });
    for (const n of [1, 2, 3]) await dl.send("test", `reason ${n}`, new TextEncoder().encode(`p${n}`));
    const jsm = await jetstreamManager(f.nc);
    const state = (await jsm.streams.info(DLQ_STREAM)).state;
    assert.equal(state.messages, 2);
    const last = await jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: "jobtally.dlq.test" });
    assert.equal(new TextDecoder().decode(last?.data), "p3");
  });
});
