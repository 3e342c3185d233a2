/**
 * Bounded memory (issue 11): the watcher's ViewPublisher keeps per-subject state (the stored
 * sequence and resourceVersion its compare-and-set needs) only while the key lives. Once a key's
 * tombstone is stored the state goes; a key published again afterwards still never goes back.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { VIEW_STREAM } from "../../../shared/constants.js";
import { ViewPublisher, storedResourceVersion } from "../../../shared/nats/view-publisher.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { natsFixture, podView, syncMarker, type NatsFixture } from "./fixtures.js";

const logger = silentLogger();
/** A publish resolves as its record is stored; the publisher's bookkeeping follows within the same turn. */
const bookkept = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("ViewPublisher memory is bounded by the live keys", () => {
  let f: NatsFixture;
  before(async () => {
    f = await natsFixture();
  });
  after(async () => {
    await f.close();
  });

  async function storedRV(subject: string): Promise<string | null> {
    const m = await (await jetstreamManager(f.nc)).streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
    return m ? storedResourceVersion(m.data) : null;
  }

  test("1,000 Pods through their whole life: no subject is kept once its tombstone is stored", async () => {
    const p = new ViewPublisher(f.js, { logger });
    const subject = (i: number): string => `jobtally.view.1.jobB.pod.b${i}`;
    const lives: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) {
      const uid = `b${i}`;
      lives.push(
        (async () => {
          await p.publish(subject(i), podView(uid, "1"), { dedupId: `${uid}@1`, resourceVersion: "1" });
          await p.publish(subject(i), podView(uid, "2", { phase: "Succeeded" }), { dedupId: `${uid}@2`, resourceVersion: "2" });
          await p.publish(subject(i), podView(uid, "3", { phase: "Succeeded", hasFinalizer: false }), { dedupId: `${uid}@3`, resourceVersion: "3" });
          await p.publish(subject(i), podView(uid, "4", { phase: "Succeeded", hasFinalizer: false, gone: true }), { dedupId: `${uid}@4@gone`, resourceVersion: "4" });
        })(),
      );
    }
    await Promise.all(lives);
    await bookkept();
    assert.equal(p.subjectsTracked, 0);
    assert.equal(await storedRV(subject(999)), "4");
    await p.close();
  });

  test("live keys and sync markers are kept: their next compare-and-set needs the sequence", async () => {
    const p = new ViewPublisher(f.js, { logger });
    await p.publish("jobtally.view.2.jobC.pod.live", podView("live", "1"), { dedupId: "live@1", resourceVersion: "1" });
    await p.publish("jobtally.view.2.sync", syncMarker("1"), { dedupId: "sync@1", resourceVersion: "1" });
    await bookkept();
    assert.equal(p.subjectsTracked, 2);
    await p.close();
  });

  test("a tombstoned key published again (a Pod back in its Job) still never goes back to an older state", async () => {
    const subject = "jobtally.view.3.jobD.pod.back";
    const p = new ViewPublisher(f.js, { logger });
    await p.publish(subject, podView("back", "5"), { dedupId: "back@5", resourceVersion: "5" });
    await p.publish(subject, podView("back", "6", { gone: true, departed: { releaseFinalizer: false } }), { dedupId: "back@6@departed", resourceVersion: "6" });
    await bookkept();
    assert.equal(p.subjectsTracked, 0);
    // An older state (a late retry) loses to the stored tombstone, though the publisher forgot it.
    await p.publish(subject, podView("back", "4"), { dedupId: "back@4", resourceVersion: "4" });
    assert.equal(await storedRV(subject), "6");
    // A newer one is stored, after reading the sequence back.
    await p.publish(subject, podView("back", "7"), { dedupId: "back@7", resourceVersion: "7" });
    assert.equal(await storedRV(subject), "7");
    await bookkept();
    assert.equal(p.subjectsTracked, 1);
    await p.close();
  });
});
