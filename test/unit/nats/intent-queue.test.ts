import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import type { Intent, RemoveFinalizerIntent } from "../../../shared/intents/intents.js";
import { consumeIntents, IntentPublisher, type IntentOutcome } from "../../../shared/nats/intent-queue.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { eventually, natsFixture, type NatsFixture } from "./fixtures.js";

const logger = silentLogger();

function removal(podUID: string, partition = 0): RemoveFinalizerIntent {
  return { v: 2, epoch: 1, holder: "counter-a", kind: "removeFinalizer", partition, jobUID: "j1", namespace: "default", name: `p-${podUID}`, podUID, reason: "count" };
}

describe("intent queue", () => {
  let f: NatsFixture;
  before(async () => {
    f = await natsFixture();
  });
  after(async () => {
    await f.close();
  });

  test("a re-published intent is a duplicate, and is consumed once", async () => {
    const pub = new IntentPublisher(f.js, { logger });
    assert.deepEqual(await pub.publish(removal("d1")), { duplicate: false });
    assert.deepEqual(await pub.publish(removal("d1")), { duplicate: true });
    await pub.publishAll([removal("d1"), removal("d2"), removal("d3", 5)]);
    const got: string[] = [];
    const ac = new AbortController();
    const run = consumeIntents(f.js, {
      durable: "t-dedup",
      filterSubject: "jobtally.intent.*.removeFinalizer",
      ackWaitMs: 5_000,
      maxAckPending: 10,
      logger,
      signal: ac.signal,
      handle: async (i: Intent) => {
        if (i.kind === "removeFinalizer") got.push(i.podUID);
        return { kind: "ack" };
      },
      onMalformed: async () => undefined,
    });
    await eventually(() => got.length >= 3, 10_000, "three intents");
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await run;
    assert.deepEqual([...got].sort(), ["d1", "d2", "d3"]);
  });

  test("retry redelivers with a higher delivery count; drop terminates; malformed goes to onMalformed once", async () => {
    const pub = new IntentPublisher(f.js, { logger });
    await pub.publishAll([removal("r1", 1), removal("x1", 1)]);
    await f.js.publish("jobtally.intent.1.removeFinalizer", "{garbage");
    const deliveries: Array<[string, number]> = [];
    const malformed: string[] = [];
    const ac = new AbortController();
    const run = consumeIntents(f.js, {
      durable: "t-retry",
      filterSubject: "jobtally.intent.1.>",
      ackWaitMs: 5_000,
      maxAckPending: 10,
      logger,
      signal: ac.signal,
      handle: async (i: Intent, ctx): Promise<IntentOutcome> => {
        const id = i.kind === "removeFinalizer" ? i.podUID : "?";
        deliveries.push([id, ctx.deliveryCount]);
        if (id === "x1") return { kind: "drop", reason: "test" };
        return ctx.deliveryCount < 3 ? { kind: "retry", delayMs: 50 } : { kind: "ack" };
      },
      onMalformed: async (data, err) => {
        malformed.push(`${Buffer.from(data).toString()}: ${err.name}`);
      },
    });
    await eventually(() => deliveries.filter(([id]) => id === "r1").length === 3, 10_000, "three deliveries of r1");
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    await run;
    assert.deepEqual(
      deliveries.filter(([id]) => id === "r1").map(([, n]) => n),
      [1, 2, 3],
    );
    assert.deepEqual(deliveries.filter(([id]) => id === "x1"), [["x1", 1]]);
    assert.deepEqual(malformed, ["{garbage: MalformedIntentError"]);
  });

  test("an intent held by a consumer that dies without acking is redelivered to another after ack_wait", async () => {
    const pub = new IntentPublisher(f.js, { logger });
    await pub.publish(removal("lost", 2));
    const nc1 = await f.connect();
    const firstGot: number[] = [];
    let release!: () => void;
    const held = new Promise<IntentOutcome>((r) => (release = () => r({ kind: "ack" })));
    const dead = consumeIntents(jetstream(nc1), {
      durable: "t-redeliver",
      filterSubject: "jobtally.intent.2.>",
      ackWaitMs: 1_000,
      maxAckPending: 10,
      logger,
      signal: new AbortController().signal,
      handle: async (_i, ctx) => {
        firstGot.push(ctx.deliveryCount);
        return held;
      },
      onMalformed: async () => undefined,
    });
    await eventually(() => firstGot.length === 1, 10_000, "first delivery");
    await nc1.close(); // the process dies: no ack, no nak
    release(); // its handler finishes, but the ack has no connection to go out on
    await assert.rejects(dead); // and a closed connection ends the consumer loop
    const second: number[] = [];
    const ac = new AbortController();
    const run = consumeIntents(jetstream(await f.connect()), {
      durable: "t-redeliver",
      filterSubject: "jobtally.intent.2.>",
      ackWaitMs: 1_000,
      maxAckPending: 10,
      logger,
      signal: ac.signal,
      handle: async (_i, ctx) => {
        second.push(ctx.deliveryCount);
        return { kind: "ack" };
      },
      onMalformed: async () => undefined,
    });
    await eventually(() => second.length === 1, 15_000, "redelivery");
    ac.abort();
    await run;
    assert.deepEqual(firstGot, [1]);
    assert.deepEqual(second, [2]);
  });

  test("consuming survives a nats-server kill -9 and restart", async () => {
    const got: string[] = [];
    const ac = new AbortController();
    const run = consumeIntents(f.js, {
      durable: "t-restart",
      filterSubject: "jobtally.intent.3.>",
      ackWaitMs: 2_000,
      maxAckPending: 10,
      logger,
      signal: ac.signal,
      handle: async (i) => {
        if (i.kind === "removeFinalizer") got.push(i.podUID);
        return { kind: "ack" };
      },
      onMalformed: async () => undefined,
    });
    const pub = new IntentPublisher(f.js, { logger });
    await pub.publish(removal("before", 3));
    await eventually(() => got.includes("before"), 10_000, "intent before restart");
    await f.server.kill("SIGKILL");
    await f.server.restart();
    await pub.publish(removal("after", 3));
    await eventually(() => got.includes("after"), 60_000, "intent after restart");
    ac.abort();
    await run;
    assert.deepEqual(got, ["before", "after"]);
  });

  test("abort waits for in-flight handlers to finish and their acks to be sent", async () => {
    const pub = new IntentPublisher(f.js, { logger });
    await pub.publishAll([removal("s1", 4), removal("s2", 4)]);
    let started = 0;
    let finished = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ac = new AbortController();
    const run = consumeIntents(f.js, {
      durable: "t-drain",
      filterSubject: "jobtally.intent.4.>",
      ackWaitMs: 30_000,
      maxAckPending: 10,
      logger,
      signal: ac.signal,
      handle: async () => {
        started++;
        await gate;
        finished++;
        return { kind: "ack" };
      },
      onMalformed: async () => undefined,
    });
    await eventually(() => started === 2, 10_000, "both handlers started");
    ac.abort();
    let resolved = false;
    void run.then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(resolved, false, "resolves only after the handlers finish");
    release();
    await run;
    assert.equal(finished, 2);
    await f.nc.flush();
    const jsm = await f.js.jetstreamManager();
    const info = await jsm.consumers.info("JOBTALLY_INTENTS", "t-drain");
    assert.equal(info.num_ack_pending, 0);
    assert.equal(info.num_pending, 0);
  });
});
