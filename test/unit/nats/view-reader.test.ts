import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { VIEW_STREAM } from "../../../shared/constants.js";
import { deleteViewRecord, followView, readViewSnapshot, type ViewEntry } from "../../../shared/nats/view-reader.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { eventually, natsFixture, podView, syncMarker, type NatsFixture } from "./fixtures.js";

const logger = silentLogger();
const json = (o: unknown): string => JSON.stringify(o);

describe("view reader", () => {
  let f: NatsFixture;
  before(async () => {
    f = await natsFixture();
  });
  after(async () => {
    await f.close();
  });

  test("replays the latest record per subject, reports caught-up once, then follows new records in order", async () => {
    await f.js.publish("jobtally.view.2.j.pod.a", json(podView("a", "1")));
    await f.js.publish("jobtally.view.2.j.pod.b", json(podView("b", "2")));
    await f.js.publish("jobtally.view.2.j.pod.a", json(podView("a", "3"))); // replaces a@1
    await f.js.publish("jobtally.view.3.k.pod.x", json(podView("x", "4"))); // other partition
    await f.js.publish("jobtally.view.2.j.pod.bad", "{not json");
    const seen: string[] = [];
    const malformed: string[] = [];
    let caughtUpAt = -1;
    let caughtUpCalls = 0;
    const follower = followView(f.js, {
      filter: "jobtally.view.2.>",
      logger,
      onEntry: (e: ViewEntry) => seen.push(`${e.record.kind === "pod" ? e.record.uid : "sync"}@${e.record.kind === "sync" ? e.record.listResourceVersion : e.record.resourceVersion}`),
      onCaughtUp: () => {
        caughtUpCalls++;
        caughtUpAt = seen.length;
      },
      onMalformed: (subject) => malformed.push(subject),
    });
    await follower.caughtUp;
    assert.deepEqual(seen, ["b@2", "a@3"]);
    assert.deepEqual(malformed, ["jobtally.view.2.j.pod.bad"]);
    assert.equal(caughtUpAt, 2);
    await f.js.publish("jobtally.view.2.sync", json(syncMarker("9")));
    await f.js.publish("jobtally.view.2.j.pod.b", json(podView("b", "10")));
    await eventually(() => seen.length === 4, 10_000, "followed records");
    assert.deepEqual(seen.slice(2), ["sync@9", "b@10"]);
    assert.equal(caughtUpCalls, 1);
    await follower.stop();
  });

  test("an empty filter is caught up at once", async () => {
    let called = 0;
    const follower = followView(f.js, { filter: "jobtally.view.77.>", logger, onEntry: () => undefined, onCaughtUp: () => called++, onMalformed: () => undefined });
    await follower.caughtUp;
    assert.equal(called, 1);
    await follower.stop();
  });

  test("readViewSnapshot returns the latest record of every matching subject and leaves malformed ones out", async () => {
    await f.js.publish("jobtally.view.4.j.pod.a", json(podView("a", "1")));
    await f.js.publish("jobtally.view.4.j.pod.a", json(podView("a", "5")));
    await f.js.publish("jobtally.view.4.j.job", json({ v: 1, kind: "job", uid: "j", name: "j", namespace: "d", resourceVersion: "6", gone: true, job: null }));
    await f.js.publish("jobtally.view.4.j.pod.z", json({ v: 2, kind: "pod" }));
    const bad: string[] = [];
    const entries = await readViewSnapshot(f.js, "jobtally.view.4.>", { onMalformed: (s) => bad.push(s) });
    assert.deepEqual(
      entries.map((e) => [e.subject, e.record.kind === "sync" ? "" : e.record.resourceVersion]),
      [
        ["jobtally.view.4.j.pod.a", "5"],
        ["jobtally.view.4.j.job", "6"],
      ],
    );
    assert.deepEqual(bad, ["jobtally.view.4.j.pod.z"]);
  });

  test("following survives a nats-server kill -9 and restart on the same store", async () => {
    await f.js.publish("jobtally.view.5.j.pod.a", json(podView("a", "1")));
    const seen: string[] = [];
    const follower = followView(f.js, {
      filter: "jobtally.view.5.>",
      logger,
      onEntry: (e) => seen.push(e.record.kind === "pod" ? `${e.record.uid}@${e.record.resourceVersion}` : "?"),
      onCaughtUp: () => undefined,
      onMalformed: () => undefined,
    });
    await follower.caughtUp;
    await f.server.kill("SIGKILL");
    await f.server.restart();
    // Publishing right after a restart can hit JetStream still recovering: retry until stored.
    await eventually(
      async () => {
        try {
          await f.js.publish("jobtally.view.5.j.pod.b", json(podView("b", "2")), { msgID: "b@2", timeout: 1000 });
          return true;
        } catch {
          return false;
        }
      },
      20_000,
      "publish after restart",
    );
    await eventually(() => seen.includes("b@2"), 30_000, "record published after the restart");
    assert.deepEqual(seen, ["a@1", "b@2"]);
    await follower.stop();
  });

  test("deleteViewRecord removes that record and never a newer one of the same key", async () => {
    const jsm = await jetstreamManager(f.nc);
    const a1 = await f.js.publish("jobtally.view.6.j.pod.a", json(podView("a", "1", { gone: true })));
    await deleteViewRecord(f.nc, a1.seq);
    assert.equal(await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: "jobtally.view.6.j.pod.a" }), null);

    const b1 = await f.js.publish("jobtally.view.6.j.pod.b", json(podView("b", "1", { gone: true })));
    const b2 = await f.js.publish("jobtally.view.6.j.pod.b", json(podView("b", "2")));
    await deleteViewRecord(f.nc, b1.seq);
    assert.equal((await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: "jobtally.view.6.j.pod.b" }))?.seq, b2.seq);
    await deleteViewRecord(f.nc, 0);
    assert.equal((await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: "jobtally.view.6.j.pod.b" }))?.seq, b2.seq);
  });

  // Regression: the counter used to purge settled tombstones with a filtered purge-by-sequence,
  // and nats-server 2.9 then moved every live consumer of the stream past that sequence: the
  // follower silently skipped other keys' records and Jobs stalled with UIDs never counted.
  test("settled records are deleted without making readers skip other keys' records", async () => {
    const jsm = await jetstreamManager(f.nc);
    const seen = new Map<string, number>();
    const deletions: Promise<void>[] = [];
    const follower = followView(f.js, {
      filter: "jobtally.view.>",
      logger: silentLogger(),
      onEntry: (e) => {
        if ((seen.get(e.subject) ?? 0) < e.seq) seen.set(e.subject, e.seq);
        // Like the counter: settled tombstones are deleted as soon as they are read.
        if (e.record.kind === "pod" && e.record.uid.endsWith("7")) deletions.push(deleteViewRecord(f.nc, e.seq));
      },
      onCaughtUp: () => undefined,
      onMalformed: () => undefined,
    });
    const keys = 2000;
    for (let wave = 0; wave < 5; wave++) {
      const acks: Promise<unknown>[] = [];
      for (let k = 0; k < keys; k++) {
        acks.push(f.js.publish(`jobtally.view.7.j.pod.k${k}`, json(podView(`k${k}`, String(wave + 1), { gone: wave === 4 }))));
        if (acks.length >= 500) await Promise.all(acks.splice(0));
      }
      await Promise.all(acks);
    }
    await eventually(async () => {
      for (let k = 0; k < keys; k++) {
        const subject = `jobtally.view.7.j.pod.k${k}`;
        const last = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
        if (last && (seen.get(subject) ?? 0) < last.seq) return false;
      }
      return true;
    }, 20_000, "the follower to have read the latest record of every key");
    await Promise.all(deletions);
    await follower.stop();
  });

});
