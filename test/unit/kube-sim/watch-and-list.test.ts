/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary API JSON */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Watch } from "@kubernetes/client-node";
import { openWatch, podBody, readWatch, startSim, type Sim } from "./sim-helpers.js";

const pods = "/api/v1/namespaces/default/pods";

describe("kube-sim watch", () => {
  let s: Sim;
  before(async () => {
    s = await startSim({ historyWindow: 50, bookmarkIntervalMs: 20 });
  });
  after(() => s.sim.close());

  test("resourceVersion unset: synthetic ADDED for current objects, then live events", async () => {
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "w1" } });
    await s.call("POST", "/api/v1/namespaces/w1/pods", podBody("a"));
    const w = await openWatch(`${s.sim.url}/api/v1/namespaces/w1/pods?watch=true`);
    const first = await w.next(1);
    assert.equal(first[0].type, "ADDED");
    assert.equal(first[0].object.metadata.name, "a");
    await s.call("PATCH", "/api/v1/namespaces/w1/pods/a", { metadata: { labels: { x: "1" } } }, "application/merge-patch+json");
    const [mod] = await w.next(1);
    w.close();
    assert.equal(mod.type, "MODIFIED");
    assert.equal(mod.object.metadata.labels.x, "1");
  });

  test("resume from a resourceVersion replays the events after it", async () => {
    const a = await s.call("POST", pods, podBody("r1"));
    await s.call("POST", pods, podBody("r2"));
    await s.call("DELETE", `${pods}/r1`);
    const events = await readWatch(`${s.sim.url}${pods}?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`, 3);
    // An unbound Pod is deleted at grace 0 in two writes (deletionTimestamp, then removal), as on a real server.
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [["ADDED", "r2"], ["MODIFIED", "r1"], ["DELETED", "r1"]]);
    assert.equal(events[1]?.object.metadata.deletionGracePeriodSeconds, 0);
  });

  test("after compaction a watch from an older resourceVersion gets one ERROR 410 event and ends", async () => {
    const a = await s.call("POST", pods, podBody("c1"));
    await s.call("POST", pods, podBody("c1b"));
    s.sim.compact();
    const res = await fetch(`${s.sim.url}${pods}?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].type, "ERROR");
    assert.equal(lines[0].object.code, 410);
    assert.equal(lines[0].object.reason, "Expired");
    assert.match(lines[0].object.message, /^too old resource version: \d+ \(\d+\)$/);
    const list = await s.call("GET", `${pods}?resourceVersion=${a.body.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.equal(list.status, 410);
  });

  test("client-node Watch sees the 410 as an ERROR event too", async () => {
    const a = await s.call("POST", pods, podBody("c2"));
    await s.call("POST", pods, podBody("c2b"));
    s.sim.compact();
    const got = await new Promise<any>((resolve) => {
      void new Watch(s.kc).watch(pods, { resourceVersion: a.body.metadata.resourceVersion }, (type, obj) => resolve({ type, obj }), () => {});
    });
    assert.equal(got.type, "ERROR");
    assert.equal(got.obj.code, 410);
  });

  test("bookmarks carry only metadata.resourceVersion", async () => {
    const list = await s.call("GET", pods);
    const events = await readWatch(`${s.sim.url}${pods}?watch=true&allowWatchBookmarks=true&resourceVersion=${list.body.metadata.resourceVersion}`, 1);
    assert.equal(events[0].type, "BOOKMARK");
    assert.deepEqual(Object.keys(events[0].object.metadata), ["resourceVersion"]);
    assert.equal(events[0].object.kind, "Pod");
    assert.equal(events[0].object.apiVersion, "v1");
  });

  test("label selector: objects moving out of and into the selector arrive as DELETED and ADDED", async () => {
    await s.call("POST", pods, podBody("sel", { labels: { app: "x" } }));
    const w = await openWatch(`${s.sim.url}${pods}?watch=true&labelSelector=${encodeURIComponent("app in (x,y),!skip")}`);
    assert.equal((await w.next(1))[0].type, "ADDED");
    await s.call("PATCH", `${pods}/sel`, { metadata: { labels: { app: "z" } } }, "application/merge-patch+json");
    await s.call("PATCH", `${pods}/sel`, { metadata: { labels: { app: "y" } } }, "application/merge-patch+json");
    await s.call("PATCH", `${pods}/sel`, { metadata: { labels: { skip: "1" } } }, "application/merge-patch+json");
    const evs = await w.next(3);
    w.close();
    assert.deepEqual(evs.map((e) => e.type), ["DELETED", "ADDED", "DELETED"]);
  });

  test("timeoutSeconds ends the stream", async () => {
    const res = await fetch(`${s.sim.url}${pods}?watch=true&resourceVersion=0&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone`);
    assert.equal(await res.text(), "");
  });

  test("a watch from a future resourceVersion gets a 504 Timeout error event", async () => {
    const events = await readWatch(`${s.sim.url}${pods}?watch=true&resourceVersion=99999999`, 1);
    assert.equal(events[0].type, "ERROR");
    assert.equal(events[0].object.code, 504);
  });
});

describe("kube-sim list", () => {
  let s: Sim;
  before(async () => {
    s = await startSim({ historyWindow: 1000 });
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "l" } });
    for (let i = 0; i < 25; i++) {
      await s.call("POST", "/api/v1/namespaces/l/pods", podBody(`p${String(i).padStart(2, "0")}`, { labels: { even: String(i % 2 === 0) }, nodeName: i < 5 ? "n1" : undefined }));
    }
  });
  after(() => s.sim.close());

  test("label and field selectors", async () => {
    const even = await s.call("GET", "/api/v1/namespaces/l/pods?labelSelector=even%3Dtrue");
    assert.equal(even.body.items.length, 13);
    const notEven = await s.call("GET", "/api/v1/namespaces/l/pods?labelSelector=even!%3Dtrue");
    assert.equal(notEven.body.items.length, 12);
    const onNode = await s.call("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,metadata.namespace%3Dl");
    assert.equal(onNode.body.items.length, 5);
    const pending = await s.call("GET", "/api/v1/namespaces/l/pods?fieldSelector=status.phase%3DPending,spec.nodeName!%3Dn1");
    assert.equal(pending.body.items.length, 20);
    const bad = await s.call("GET", "/api/v1/namespaces/l/pods?fieldSelector=spec.bogus%3D1");
    assert.equal(bad.status, 400);
  });

  test("limit/continue pages form one consistent snapshot in key order", async () => {
    const first = await s.call("GET", "/api/v1/namespaces/l/pods?limit=10");
    assert.equal(first.body.items.length, 10);
    assert.equal(first.body.metadata.remainingItemCount, 15);
    const rv = first.body.metadata.resourceVersion;
    await s.call("DELETE", "/api/v1/namespaces/l/pods/p20");
    await s.call("POST", "/api/v1/namespaces/l/pods", podBody("p99"));
    const names: string[] = first.body.items.map((p: any) => p.metadata.name);
    let token = first.body.metadata.continue;
    while (token) {
      const page = await s.call("GET", `/api/v1/namespaces/l/pods?limit=10&continue=${encodeURIComponent(token)}`);
      assert.equal(page.body.metadata.resourceVersion, rv);
      names.push(...page.body.items.map((p: any) => p.metadata.name));
      token = page.body.metadata.continue;
    }
    assert.equal(names.length, 25);
    assert.ok(names.includes("p20") && !names.includes("p99"));
    assert.deepEqual(names, [...names].sort());
  });

  test("an expired continue token is 410 Expired; a future resourceVersion is 504", async () => {
    const first = await s.call("GET", "/api/v1/namespaces/l/pods?limit=5");
    await s.call("POST", "/api/v1/namespaces/l/pods", podBody("later"));
    s.sim.compact();
    const next = await s.call("GET", `/api/v1/namespaces/l/pods?limit=5&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    assert.equal(next.status, 410);
    assert.equal(next.body.reason, "Expired");
    const future = await s.call("GET", "/api/v1/namespaces/l/pods?resourceVersion=99999999&resourceVersionMatch=NotOlderThan");
    assert.equal(future.status, 504);
    assert.equal(future.body.reason, "Timeout");
    assert.equal(future.body.details.causes[0].reason, "ResourceVersionTooLarge");
  });
});
