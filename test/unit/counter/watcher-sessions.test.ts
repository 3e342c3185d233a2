/**
 * Which sync markers count after a NATS server that may have lost writes came back. Fault
 * injected: the server lost the last markers, so a new watcher session reuses the epoch of a lost
 * one (chaos seed 366205055: with epochs, every counter waited forever).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WatcherSessions } from "../../../services/counter/watcher-sessions.js";

const marker = (session: string | undefined, epoch: number, watcherId = "w1") => ({ session, epoch, watcherId });

describe("WatcherSessions", () => {
  it("before any loss every marker counts", () => {
    const s = new WatcherSessions();
    assert.ok(s.accept(marker("a", 1)));
    assert.ok(s.accept(marker("b", 2, "w2")));
  });

  it("after a loss only a session begun since counts, even one reusing a lost epoch", () => {
    const s = new WatcherSessions();
    assert.ok(s.accept(marker("a", 1)));
    assert.ok(s.accept(marker("b", 2)));
    s.connectionLost();
    assert.equal(s.writesMayHaveBeenLost(), 2);
    assert.ok(!s.accept(marker("a", 1)), "an old session's marker, delivered late, does not count");
    assert.ok(!s.accept(marker("b", 2)));
    assert.ok(s.accept(marker("c", 2)), "a new session counts though its epoch is one seen before (the server lost its markers)");
  });

  it("a new session's marker that arrives between the disconnect and the confirmed loss still counts", () => {
    const s = new WatcherSessions();
    s.accept(marker("a", 1));
    s.connectionLost();
    assert.ok(s.accept(marker("c", 1)));
    s.writesMayHaveBeenLost();
    assert.ok(s.accept(marker("c", 1)), "c began after the connection dropped");
    assert.ok(!s.accept(marker("a", 1)));
  });

  it("two losses in a row: sessions of both times before are distrusted, the newest counts", () => {
    const s = new WatcherSessions();
    s.accept(marker("a", 1));
    s.connectionLost();
    s.writesMayHaveBeenLost();
    s.accept(marker("b", 1));
    s.connectionLost();
    s.writesMayHaveBeenLost();
    assert.ok(!s.accept(marker("a", 1)));
    assert.ok(!s.accept(marker("b", 1)));
    assert.ok(s.accept(marker("c", 1)));
  });

  it("markers of watchers that write no session id are told apart by watcher and epoch", () => {
    const s = new WatcherSessions();
    s.accept(marker(undefined, 3));
    s.connectionLost();
    s.writesMayHaveBeenLost();
    assert.ok(!s.accept(marker(undefined, 3)));
    assert.ok(s.accept(marker(undefined, 4)));
    assert.ok(s.accept(marker(undefined, 3, "w2")));
  });
});
