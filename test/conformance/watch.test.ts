/** Conformance: watch semantics the watcher and the kubelet simulator rely on. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
import { collectWatch, HOLD_FINALIZER, podManifest, podsPath, uniqueName } from "./helpers.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
/** Long enough for a real server's bookmark cadence (about one a minute, with jitter). */
const BOOKMARK_WATCH_SECONDS = 100;

describe("conformance: watch", () => {
  let env: KubeEnv;
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-watch" });
  });
  after(async () => {
    await env?.release();
  });

  test("a watch from resourceVersion 0 starts with ADDED events for existing objects", async () => {
    const set = uniqueName("set");
    const names = [uniqueName("w0"), uniqueName("w0")];
    for (const n of names) await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(n, { labels: { set } }) });
    const { events } = await collectWatch(
      env,
      podsPath(env.namespace),
      { resourceVersion: "0", labelSelector: `set=${set}` },
      (evs) => names.every((n) => evs.some((e) => e.object?.metadata?.name === n)),
      10_000,
    );
    const first = events.slice(0, names.length);
    assert.deepEqual(first.map((e) => e.type), names.map(() => "ADDED"), JSON.stringify(events.map((e) => e.type)));
    assert.deepEqual(first.map((e) => e.object.metadata.name).sort(), [...names].sort());
  });

  test("a watch resumed from a resourceVersion replays the later events in order", async () => {
    const set = uniqueName("set");
    const a = uniqueName("ra");
    const b = uniqueName("rb");
    const created = await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(a, { labels: { set } }) });
    const from = created.metadata!.resourceVersion!;
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(b, { labels: { set } }) });
    await env.core.patchNamespacedPod({ name: a, namespace: env.namespace, body: { metadata: { labels: { set, touched: "yes" } } } }, mergePatch);
    await env.core.deleteNamespacedPod({ name: b, namespace: env.namespace });
    const { events } = await collectWatch(
      env,
      podsPath(env.namespace),
      { resourceVersion: from, labelSelector: `set=${set}` },
      (evs) => evs.some((e) => e.type === "DELETED"),
      10_000,
    );
    const got = events.map((e) => `${e.type} ${e.object.metadata.name}`);
    // An unbound Pod without finalizers is deleted (grace 0) in two writes, as on a real API server:
    // MODIFIED with deletionTimestamp and deletionGracePeriodSeconds 0, then DELETED.
    assert.deepEqual(got, [`ADDED ${b}`, `MODIFIED ${a}`, `MODIFIED ${b}`, `DELETED ${b}`]);
    const marked = events[2]?.object.metadata;
    assert.ok(marked?.deletionTimestamp, "the MODIFIED before DELETED carries the deletionTimestamp");
    assert.equal(marked?.deletionGracePeriodSeconds, 0);
    const rvs = events.map((e) => BigInt(e.object.metadata.resourceVersion));
    assert.ok(rvs.every((rv, i) => i === 0 || rv > (rvs[i - 1] as bigint)), "resourceVersions increase");
  });

  test("the DELETED event carries the last stored object, finalizers and all", async () => {
    const name = uniqueName("del");
    const created = await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(name, { finalizers: [HOLD_FINALIZER] }) });
    await env.core.deleteNamespacedPod({ name, namespace: env.namespace });
    const watching = collectWatch(
      env,
      podsPath(env.namespace),
      { resourceVersion: created.metadata!.resourceVersion!, fieldSelector: `metadata.name=${name}` },
      (evs) => evs.some((e) => e.type === "DELETED"),
      10_000,
    );
    await env.core.patchNamespacedPod({ name, namespace: env.namespace, body: { metadata: { finalizers: null } } }, mergePatch);
    const { events } = await watching;
    const deleted = events.find((e) => e.type === "DELETED");
    assert.ok(deleted, `events: ${events.map((e) => e.type).join(",")}`);
    assert.deepEqual(deleted.object.metadata.finalizers, [HOLD_FINALIZER]);
    assert.ok(deleted.object.metadata.deletionTimestamp);
  });

  test(`bookmarks carry only metadata.resourceVersion (a real server sends about one a minute: the watch may take up to ${BOOKMARK_WATCH_SECONDS} s)`, async () => {
    const name = uniqueName("bm");
    const created = await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(name) });
    // Bookmarks are rare on a real API server: a 5 s watch on 1.26 got none, and the watch cache
    // sends one about every minute. The watch lasts long enough for that cadence and ends at the
    // first bookmark (the simulator sends one every few seconds).
    const { events } = await collectWatch(
      env,
      podsPath(env.namespace),
      { resourceVersion: created.metadata!.resourceVersion!, allowWatchBookmarks: true, timeoutSeconds: BOOKMARK_WATCH_SECONDS },
      (evs) => evs.some((e) => e.type === "BOOKMARK"),
      (BOOKMARK_WATCH_SECONDS + 5) * 1000,
    );
    const bookmark = events.find((e) => e.type === "BOOKMARK");
    assert.ok(bookmark, `no BOOKMARK within the watch (events: ${events.map((e) => e.type).join(",") || "none"})`);
    const md = bookmark.object.metadata as Record<string, unknown>;
    assert.match(String(md.resourceVersion), /^\d+$/);
    for (const [k, v] of Object.entries(md)) {
      if (k === "resourceVersion" || k === "annotations") continue;
      assert.ok(v === null || v === undefined, `bookmark metadata.${k} = ${JSON.stringify(v)}`);
    }
    assert.equal(bookmark.object.metadata.name, undefined);
    assert.equal((bookmark.object.spec?.containers ?? null), null, "no Pod content in a bookmark");
  });
});
