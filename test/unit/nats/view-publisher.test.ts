import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { VIEW_STREAM } from "../../../shared/constants.js";
import { ViewPublisher, storedResourceVersion } from "../../../shared/nats/view-publisher.js";
import { NatsClosedError } from "../../../shared/nats/errors.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { natsFixture, podView, syncMarker, type NatsFixture } from "./fixtures.js";
import { syncMarkerSubject } from "../../../shared/view/subjects.js";

const logger = silentLogger();

describe("storedResourceVersion", () => {
  const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
  test("reads a record's resourceVersion", () => assert.equal(storedResourceVersion(enc(podView("a", "12"))), "12"));
  test("reads a sync marker's listResourceVersion", () => assert.equal(storedResourceVersion(enc(syncMarker("40"))), "40"));
  test("null for non-JSON or a record without one", () => {
    assert.equal(storedResourceVersion(new TextEncoder().encode("{oops")), null);
    assert.equal(storedResourceVersion(enc({ kind: "pod" })), null);
  });
});

describe("ViewPublisher", () => {
  let f: NatsFixture;
  before(async () => {
    f = await natsFixture();
  });
  after(async () => {
    await f.close();
  });

  async function stored(subject: string): Promise<{ seq: number; rv: string | null } | null> {
    const jsm = await jetstreamManager(f.nc);
    const m = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
    return m ? { seq: m.seq, rv: storedResourceVersion(m.data) } : null;
  }

  test("two publishers on one subject: an older resourceVersion never overwrites a newer one", async () => {
    const subject = "jobtally.view.0.job1.pod.cas";
    const a = new ViewPublisher(f.js, { logger });
    const b = new ViewPublisher(jetstream(await f.connect()), { logger });
    await a.publish(subject, podView("cas", "10"), { dedupId: "cas@10", resourceVersion: "10" });
    // b knows nothing (expects sequence 0): conflict, reads back 10, drops its older 5.
    await b.publish(subject, podView("cas", "5"), { dedupId: "cas@5", resourceVersion: "5" });
    assert.equal((await stored(subject))?.rv, "10");
    // b with a newer state: conflict again? No, it learnt the sequence: stored directly.
    await b.publish(subject, podView("cas", "12"), { dedupId: "cas@12", resourceVersion: "12" });
    assert.equal((await stored(subject))?.rv, "12");
    // a now holds a stale sequence; its 11 must lose to the stored 12.
    await a.publish(subject, podView("cas", "11"), { dedupId: "cas@11", resourceVersion: "11" });
    assert.equal((await stored(subject))?.rv, "12");
    // and its 13 wins after re-reading the sequence.
    await a.publish(subject, podView("cas", "13"), { dedupId: "cas@13", resourceVersion: "13" });
    assert.equal((await stored(subject))?.rv, "13");
    await Promise.all([a.close(), b.close()]);
  });

  test("sync markers are heartbeats: a new session's marker is stored even when the stored one has the same resourceVersion (an idle cluster)", async () => {
    const subject = syncMarkerSubject(0);
    const before = new ViewPublisher(f.js, { logger });
    await before.publish(subject, syncMarker("40", 1), { dedupId: "sync:0:w:1:40:1", resourceVersion: "40" });
    await before.close();
    // A watcher session after a NATS restart: it knows no sequence and the cluster has not moved.
    const after = new ViewPublisher(jetstream(await f.connect()), { logger });
    await after.publish(subject, syncMarker("40", 2), { dedupId: "sync:0:w:2:40:2", resourceVersion: "40" });
    const jsm = await jetstreamManager(f.nc);
    const m = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
    assert.equal((JSON.parse(new TextDecoder().decode(m?.data)) as { epoch: number }).epoch, 2, "the new session's marker is the stored one");
    // Even an older resourceVersion (a marker written before the list's progress was noted).
    await after.publish(subject, syncMarker("39", 3), { dedupId: "sync:0:w:3:39:3", resourceVersion: "39" });
    const m2 = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
    assert.equal((JSON.parse(new TextDecoder().decode(m2?.data)) as { epoch: number }).epoch, 3);
    await after.close();
  });

  test("racing publishers with interleaved resourceVersions converge on the newest", async () => {
    const subject = "jobtally.view.0.job1.pod.race";
    const pubs = [new ViewPublisher(f.js, { logger }), new ViewPublisher(jetstream(await f.connect()), { logger }), new ViewPublisher(jetstream(await f.connect()), { logger })];
    const work: Promise<void>[] = [];
    for (let rv = 1; rv <= 30; rv++) {
      const p = pubs[rv % pubs.length] as ViewPublisher;
      work.push(p.publish(subject, podView("race", String(rv)), { dedupId: `race@${rv}`, resourceVersion: String(rv) }));
    }
    // And one publisher replaying old states after everything (a relist).
    await Promise.all(work);
    await (pubs[0] as ViewPublisher).publish(subject, podView("race", "3"), { dedupId: "race@3", resourceVersion: "3" });
    assert.equal((await stored(subject))?.rv, "30");
    await Promise.all(pubs.map((p) => p.close()));
  });

  test("states submitted while one is in flight coalesce: only the latest is sent next", async () => {
    const subject = "jobtally.view.0.job1.pod.coalesce";
    const before = (await (await jetstreamManager(f.nc)).streams.info(VIEW_STREAM)).state.last_seq;
    const p = new ViewPublisher(f.js, { logger });
    const all: Promise<void>[] = [];
    for (let rv = 1; rv <= 50; rv++) all.push(p.publish(subject, podView("co", String(rv)), { dedupId: `co@${rv}`, resourceVersion: String(rv) }));
    await Promise.all(all);
    const after = (await (await jetstreamManager(f.nc)).streams.info(VIEW_STREAM)).state.last_seq;
    assert.equal(after - before, 2, "the first state, then the latest of the 49 queued behind it");
    assert.equal((await stored(subject))?.rv, "50");
    await p.close();
  });

  test("an older state queued behind a newer one does not replace it", async () => {
    const subject = "jobtally.view.0.job1.pod.order";
    const p = new ViewPublisher(f.js, { logger });
    const a = p.publish(subject, podView("o", "1"), { dedupId: "o@1", resourceVersion: "1" });
    const b = p.publish(subject, podView("o", "9"), { dedupId: "o@9", resourceVersion: "9" });
    const c = p.publish(subject, podView("o", "4"), { dedupId: "o@4", resourceVersion: "4" });
    await Promise.all([a, b, c]);
    assert.equal((await stored(subject))?.rv, "9");
    await p.close();
  });

  test("seed: what a replay found is not overwritten by an older state", async () => {
    const subject = "jobtally.view.0.job1.pod.seed";
    const first = new ViewPublisher(f.js, { logger });
    await first.publish(subject, podView("s", "20"), { dedupId: "s@20", resourceVersion: "20" });
    const seq = (await stored(subject))?.seq ?? 0;
    const p = new ViewPublisher(f.js, { logger });
    p.seed(subject, seq, "20");
    await p.publish(subject, podView("s", "15"), { dedupId: "s@15", resourceVersion: "15" });
    assert.deepEqual(await stored(subject), { seq, rv: "20" });
    await p.publish(subject, podView("s", "21"), { dedupId: "s@21", resourceVersion: "21" });
    assert.equal((await stored(subject))?.rv, "21");
    await Promise.all([first.close(), p.close()]);
  });

  test("many subjects are pipelined and flush() waits for all of them", async () => {
    const p = new ViewPublisher(f.js, { logger, maxInFlight: 16 });
    for (let i = 0; i < 300; i++) void p.publish(`jobtally.view.1.job2.pod.m${i}`, podView(`m${i}`, "7"), { dedupId: `m${i}@7`, resourceVersion: "7" });
    await p.flush();
    assert.equal(p.pending, 0);
    assert.equal((await stored("jobtally.view.1.job2.pod.m299"))?.rv, "7");
    await p.close();
  });

  test("a publish made while NATS is down is retried until the server is back", async () => {
    const subject = "jobtally.view.0.job1.pod.outage";
    const p = new ViewPublisher(f.js, { logger, retryBackoff: { baseMs: 50, maxMs: 300 } });
    await f.server.kill();
    let done = false;
    const pending = p.publish(subject, podView("out", "3"), { dedupId: "out@3", resourceVersion: "3" }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false);
    await f.server.restart();
    await pending;
    assert.equal((await stored(subject))?.rv, "3");
    await p.close();
  });

  test("close() rejects what is still waiting and refuses new publishes", async () => {
    const p = new ViewPublisher(f.js, { logger, retryBackoff: { baseMs: 50, maxMs: 100 } });
    await f.server.kill();
    const pending = p.publish("jobtally.view.0.job1.pod.closed", podView("c", "1"), { dedupId: "c@1", resourceVersion: "1" });
    await p.close();
    await assert.rejects(pending, NatsClosedError);
    await assert.rejects(p.publish("jobtally.view.0.job1.pod.closed", podView("c", "2"), { dedupId: "c@2", resourceVersion: "2" }), NatsClosedError);
    await f.server.restart();
  });
});
