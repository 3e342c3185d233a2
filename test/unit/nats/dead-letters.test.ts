import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { DLQ_STREAM } from "../../../shared/constants.js";
import { DeadLetters, dlqSubject, headerValue } from "../../../shared/nats/dead-letters.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { natsFixture, type NatsFixture } from "./fixtures.js";

describe("DeadLetters", () => {
  let f: NatsFixture;
  before(async () => {
    f = await natsFixture();
  });
  after(async () => {
    await f.close();
  });

  test("stores the payload under jobtally.dlq.<source> with the reason and context headers", async () => {
    const dl = new DeadLetters(f.js, { logger: silentLogger() });
    await dl.send("finalizer-remover", "not JSON:\nUnexpected token", new TextEncoder().encode("{bad"), { subject: "jobtally.intent.0.removeFinalizer", seq: "42" });
    const jsm = await jetstreamManager(f.nc);
    const m = await jsm.streams.getMessage(DLQ_STREAM, { last_by_subj: "jobtally.dlq.finalizer-remover" });
    assert.ok(m);
    assert.equal(m.string(), "{bad");
    assert.equal(m.header.get("Jobtally-Reason"), "not JSON: Unexpected token");
    assert.equal(m.header.get("Jobtally-Ctx-subject"), "jobtally.intent.0.removeFinalizer");
    assert.equal(m.header.get("Jobtally-Ctx-seq"), "42");
  });

  test("source names become one subject token; header values one line", () => {
    assert.equal(dlqSubject("view.reader"), "jobtally.dlq.view_reader");
    assert.equal(dlqSubject(""), "jobtally.dlq.unknown");
    assert.equal(headerValue("a\r\nb"), "a b");
    assert.equal(headerValue("x".repeat(5000)).length, 1024);
  });
});
