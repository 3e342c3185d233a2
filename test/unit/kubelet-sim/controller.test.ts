/**
 * The kubelet controller against an in-memory fake of the three Pod calls it makes (binding,
 * status patch, delete), with a manual clock: every step of the lifecycle, deletion handling and
 * PodGC, without an API server.
 */
import { manualClock } from "./manual-clock.js";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiException, type CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { silentLogger } from "../../../shared/observability/logger.js";
import { KubeletController } from "../../../services/kubelet-sim/controller.js";
import { createKubeletMetrics } from "../../../services/kubelet-sim/metrics.js";
import { ANNOTATION_EXIT_CODE } from "../../../services/kubelet-sim/logic/behaviour.js";


const notFound = () => new ApiException(404, "NotFound", JSON.stringify({ kind: "Status", code: 404, reason: "NotFound" }), {});

/** A tiny API: Pods by name, a resourceVersion counter, and "watch events" fed back to the controller. */
class FakeApi {
  pods = new Map<string, V1Pod>();
  calls: string[] = [];
  rv = 1;
  controller!: KubeletController;

  add(name: string, extra: { finalizers?: string[]; annotations?: Record<string, string> } = {}): V1Pod {
    const pod: V1Pod = {
      metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: String(++this.rv), finalizers: extra.finalizers, annotations: extra.annotations },
      spec: { containers: [{ name: "c" }] },
      status: { phase: "Pending" },
    };
    this.pods.set(name, pod);
    this.controller.observe(structuredClone(pod));
    return pod;
  }

  private changed(pod: V1Pod): V1Pod {
    pod.metadata!.resourceVersion = String(++this.rv);
    const copy = structuredClone(pod);
    queueMicrotask(() => this.controller.observe(structuredClone(copy)));
    return copy;
  }

  private removed(pod: V1Pod): void {
    this.pods.delete(pod.metadata!.name!);
    queueMicrotask(() => this.controller.forget(structuredClone(pod)));
  }

  /** Graceful deletion as the API server does it for a bound Pod (used by the test, not the kubelet). */
  userDelete(name: string): void {
    const pod = this.pods.get(name)!;
    pod.metadata!.deletionTimestamp = new Date();
    this.changed(pod);
  }

  removeFinalizers(name: string): void {
    const pod = this.pods.get(name)!;
    pod.metadata!.finalizers = [];
    if (pod.metadata!.deletionTimestamp) this.removed(pod);
    else this.changed(pod);
  }

  core = {
    createNamespacedPodBinding: async (p: { name: string; body: { target: { name: string } } }) => {
      this.calls.push(`bind ${p.name} ${p.body.target.name}`);
      const pod = this.pods.get(p.name);
      if (!pod) throw notFound();
      pod.spec!.nodeName = p.body.target.name;
      this.changed(pod);
      return {};
    },
    patchNamespacedPodStatus: async (p: { name: string; body: { status: V1Pod["status"] } }) => {
      this.calls.push(`status ${p.name} ${p.body.status?.phase}`);
      const pod = this.pods.get(p.name);
      if (!pod) throw notFound();
      pod.status = { ...pod.status, ...p.body.status };
      return this.changed(pod);
    },
    deleteNamespacedPod: async (p: { name: string; gracePeriodSeconds?: number }) => {
      this.calls.push(`delete ${p.name} grace=${p.gracePeriodSeconds}`);
      const pod = this.pods.get(p.name);
      if (!pod) throw notFound();
      if ((pod.metadata!.finalizers ?? []).length > 0) {
        pod.metadata!.deletionTimestamp ??= new Date();
        return this.changed(pod);
      }
      this.removed(pod);
      return pod;
    },
  };
}

function setup(opts: { podGcDelayMs?: number; failProbability?: number } = {}) {
  const clock = manualClock(1_700_000_000_000);
  const api = new FakeApi();
  const controller = new KubeletController(
    {
      nodeNames: ["n0", "n1"],
      behaviour: { startDelayMs: 100, durationMs: 1000, durationJitterMs: 0, failProbability: opts.failProbability ?? 0, seed: 1 },
      podGcDelayMs: opts.podGcDelayMs ?? -1,
      concurrency: 4,
    },
    { core: api.core as unknown as CoreV1Api, logger: silentLogger(), metrics: createKubeletMetrics({ defaultMetrics: false }), clock },
  );
  api.controller = controller;
  /** Advances the clock and lets every resulting call and "watch event" play out. */
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    for (let i = 0; i < 10; i++) {
      await controller.onIdle();
      await new Promise((r) => setImmediate(r));
      clock.advance(0);
    }
  };
  return { clock, api, controller, step };
}

describe("KubeletController", () => {
  test("bind → Running after the start delay → Succeeded after the duration, recorded once", async () => {
    const { api, controller, step } = setup();
    api.add("a");
    await step(0);
    assert.equal(api.pods.get("a")?.spec?.nodeName, "n0");
    assert.equal(api.pods.get("a")?.status?.phase, "Pending");
    await step(99);
    assert.equal(api.pods.get("a")?.status?.phase, "Pending", "not before the start delay");
    await step(1);
    assert.equal(api.pods.get("a")?.status?.phase, "Running");
    await step(999);
    assert.equal(api.pods.get("a")?.status?.phase, "Running");
    await step(1);
    assert.equal(api.pods.get("a")?.status?.phase, "Succeeded");
    await step(10_000);
    assert.deepEqual(api.calls, ["bind a n0", "status a Running", "status a Succeeded"]);
    assert.deepEqual(controller.record.snapshot().byJob._none, { succeeded: 1, failed: 0, deletedBeforeFinish: 0 });
  });

  test("Pods are bound round-robin over the nodes", async () => {
    const { api, step } = setup();
    for (const n of ["a", "b", "c"]) api.add(n);
    await step(0);
    assert.deepEqual(["a", "b", "c"].map((n) => api.pods.get(n)?.spec?.nodeName), ["n0", "n1", "n0"]);
  });

  test("an exit-code annotation makes the Pod Failed with that code", async () => {
    const { api, controller, step } = setup();
    api.add("f", { annotations: { [ANNOTATION_EXIT_CODE]: "7" } });
    await step(0);
    await step(100);
    await step(1000);
    const pod = api.pods.get("f")!;
    assert.equal(pod.status?.phase, "Failed");
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 7);
    assert.equal(controller.record.snapshot().pods[0]?.exitCode, 7);
  });

  test("a Running Pod that is deleted is set Failed (137) and deleted with grace 0, and counted as deleted before finish", async () => {
    const { api, controller, step } = setup();
    api.add("d", { finalizers: ["hold"] });
    await step(0);
    await step(100);
    assert.equal(api.pods.get("d")?.status?.phase, "Running");
    api.userDelete("d");
    await step(0);
    const pod = api.pods.get("d")!;
    assert.equal(pod.status?.phase, "Failed");
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
    assert.deepEqual(api.calls.slice(-2), ["status d Failed", "delete d grace=0"]);
    await step(5000);
    assert.equal(api.calls.filter((c) => c.startsWith("delete")).length, 1, "one grace-0 DELETE while the finalizer holds it");
    api.removeFinalizers("d");
    await step(0);
    assert.equal(api.pods.has("d"), false);
    assert.deepEqual(controller.record.snapshot().byJob._none, { succeeded: 0, failed: 1, deletedBeforeFinish: 1 });
  });

  test("a Pod that succeeded and is deleted later stays counted as succeeded", async () => {
    const { api, controller, step } = setup();
    api.add("s", { finalizers: ["hold"] });
    await step(0);
    await step(100);
    await step(1000);
    api.userDelete("s");
    await step(0);
    assert.equal(api.pods.get("s")?.status?.phase, "Succeeded", "a terminal Pod is not set Failed by deletion");
    assert.equal(api.calls.at(-1), "delete s grace=0");
    api.removeFinalizers("s");
    await step(0);
    assert.deepEqual(controller.record.snapshot().byJob._none, { succeeded: 1, failed: 0, deletedBeforeFinish: 0 });
  });

  test("a Pod that vanishes while Running is recorded as deleted before finish with no phase", async () => {
    const { api, controller, step } = setup();
    api.add("v");
    await step(0);
    await step(100);
    const pod = api.pods.get("v")!;
    api.pods.delete("v");
    controller.forget(pod);
    await step(5000);
    const rec = controller.record.snapshot();
    assert.equal(rec.pods[0]?.phase, null);
    assert.deepEqual(rec.byJob._none, { succeeded: 0, failed: 0, deletedBeforeFinish: 1 });
  });

  test("PodGC 0 deletes the Pod as soon as it finished", async () => {
    const { api, controller, step } = setup({ podGcDelayMs: 0 });
    api.add("g");
    await step(0);
    await step(100);
    await step(1000);
    assert.equal(api.pods.has("g"), false);
    assert.equal(controller.record.snapshot().byJob._none?.succeeded, 1);
  });

  test("PodGC with a delay waits that long after the finish", async () => {
    const { api, step } = setup({ podGcDelayMs: 500 });
    api.add("g");
    await step(0);
    await step(100);
    await step(1000);
    assert.equal(api.pods.get("g")?.status?.phase, "Succeeded");
    await step(499);
    assert.equal(api.pods.has("g"), true);
    await step(1);
    assert.equal(api.pods.has("g"), false);
  });
});
