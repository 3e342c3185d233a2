/** Conformance: label and field selectors and paginated lists. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
import { FAKE_NODE, podManifest, uniqueName } from "./helpers.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe("conformance: list selectors and pagination", () => {
  let env: KubeEnv;
  const set = uniqueName("set");
  const p1 = uniqueName("p1");
  const p2 = uniqueName("p2");
  const p3 = uniqueName("p3");
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-list" });
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(p1, { labels: { set, app: "a", tier: "x" } }) });
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(p2, { labels: { set, app: "b", tier: "y" }, nodeName: FAKE_NODE }) });
    await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(p3, { labels: { set, app: "c" }, nodeName: `${FAKE_NODE}-2` }) });
    await env.core.patchNamespacedPodStatus({ name: p3, namespace: env.namespace, body: { status: { phase: "Succeeded" } } }, mergePatch);
  });
  after(async () => {
    await env?.release();
  });

  const names = async (labelSelector: string, fieldSelector?: string): Promise<string[]> => {
    const list = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `set=${set},${labelSelector}`.replace(/,$/, ""), fieldSelector });
    return list.items.map((p) => p.metadata!.name!).sort();
  };

  const labelCases: [string, () => string[]][] = [
    ["app=a", () => [p1]],
    ["app!=a", () => [p2, p3]],
    ["app in (a,b)", () => [p1, p2]],
    ["app notin (a,b)", () => [p3]],
    ["tier", () => [p1, p2]],
    ["!tier", () => [p3]],
    ["app=a,tier=y", () => []],
  ];
  for (const [selector, want] of labelCases) {
    test(`label selector "${selector}"`, async () => {
      assert.deepEqual(await names(selector), want().sort());
    });
  }

  const fieldCases: [string, () => string[]][] = [
    ["status.phase=Succeeded", () => [p3]],
    ["status.phase!=Succeeded", () => [p1, p2]],
    [`spec.nodeName=${FAKE_NODE}`, () => [p2]],
    ["spec.nodeName=", () => [p1]],
    [`metadata.name=${p1}`, () => [p1]],
    [`status.phase=Pending,spec.nodeName=${FAKE_NODE}`, () => [p2]],
  ];
  for (const [selector, want] of fieldCases) {
    test(`field selector "${selector}"`, async () => {
      assert.deepEqual(await names("", selector), want().sort());
    });
  }

  test("pagination with limit and continue returns every object once", async () => {
    const pageSet = uniqueName("page");
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      const n = uniqueName(`pg${i}`);
      created.push(n);
      await env.core.createNamespacedPod({ namespace: env.namespace, body: podManifest(n, { labels: { pageSet } }) });
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cont: string | undefined;
    let listRv: string | undefined;
    do {
      const page = await env.core.listNamespacedPod({ namespace: env.namespace, labelSelector: `pageSet=${pageSet}`, limit: 3, _continue: cont });
      sizes.push(page.items.length);
      seen.push(...page.items.map((p) => p.metadata!.name!));
      listRv ??= page.metadata?.resourceVersion;
      cont = page.metadata?._continue || undefined;
    } while (cont);
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual([...seen].sort(), [...created].sort());
    assert.ok(listRv, "the list carries a resourceVersion");
  });
});
