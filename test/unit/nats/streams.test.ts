import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { DLQ_STREAM, INTENT_STREAM, VIEW_STREAM } from "../../../shared/constants.js";
import { configDrift, ensureStreams, streamConfigs } from "../../../shared/nats/streams.js";
import { natsFixture, type NatsFixture } from "./fixtures.js";

describe("ensureStreams", () => {
  let f: NatsFixture;
  before(async () => {
    f = await natsFixture();
  });
  after(async () => {
    await f.close();
  });

  test("several processes calling it at once all succeed, and the streams have the wanted config", async () => {
    const conns = await Promise.all([f.connect(), f.connect(), f.connect()]);
    await Promise.all(conns.flatMap((c) => [ensureStreams(c, { replicas: 1 }), ensureStreams(c, { replicas: 1 })]));
    const jsm = await jetstreamManager(f.nc);
    const view = (await jsm.streams.info(VIEW_STREAM)).config;
    assert.equal(view.max_msgs_per_subject, 1);
    assert.equal(view.retention, "limits");
    assert.equal(view.storage, "file");
    assert.deepEqual(view.subjects, ["jobtally.view.>"]);
    assert.equal(view.duplicate_window, nanos(120_000));
    const intents = (await jsm.streams.info(INTENT_STREAM)).config;
    assert.equal(intents.retention, "workqueue");
    assert.deepEqual(intents.subjects, ["jobtally.intent.>"]);
    const dlq = (await jsm.streams.info(DLQ_STREAM)).config;
    assert.equal(dlq.max_age, nanos(14 * 24 * 3600_000));
    for (const wanted of streamConfigs({ replicas: 1 })) {
      assert.deepEqual(configDrift((await jsm.streams.info(wanted.name)).config, wanted), [], wanted.name);
    }
  });

  test("a stream whose config drifted is updated back", async () => {
    const jsm = await jetstreamManager(f.nc);
    await jsm.streams.update(DLQ_STREAM, { max_age: nanos(3600_000) });
    await ensureStreams(f.nc, { replicas: 1 });
    assert.equal((await jsm.streams.info(DLQ_STREAM)).config.max_age, nanos(14 * 24 * 3600_000));
  });
});
