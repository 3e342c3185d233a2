/* eslint-disable @typescript-eslint/no-explicit-any -- tests read arbitrary API JSON */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultInjector, DEFAULT_FAULTS, mergeFaultSettings, seededRandom, FaultSettingsError } from "../../../services/kube-sim/faults.js";
import { humanDuration } from "../../../services/kube-sim/table.js";
import { PODS } from "../../../services/kube-sim/resources.js";
import { jobBody, openWatch, podBody, startSim, type Sim } from "./sim-helpers.js";

const pods = "/api/v1/namespaces/default/pods";
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

describe("kube-sim faults", () => {
  let s: Sim;
  before(async () => {
    s = await startSim({ seed: 7 });
  });
  after(() => s.sim.close());

  test("the QPS limit answers 429 TooManyRequests with Retry-After", async () => {
    s.sim.faults.set({ qps: 1, burst: 2 });
    try {
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const r = await s.call("GET", pods);
        codes.push(r.status);
        if (r.status === 429) {
          retryAfter = r.headers.get("retry-after");
          assert.equal(r.body.reason, "TooManyRequests");
        }
      }
      assert.deepEqual(codes.slice(0, 2), [200, 200]);
      assert.ok(codes.includes(429));
      assert.match(retryAfter ?? "", /^[1-9]\d*$/);
      assert.equal((await fetch(`${s.sim.url}/metrics`)).status, 200, "metrics are exempt");
    } finally {
      s.sim.faults.set({ qps: 0 });
    }
  });

  test("error injection per verb and resource, changeable through the admin endpoint", async () => {
    const put = await fetch(`${s.sim.url}/admin/faults`, { method: "PUT", body: JSON.stringify({ errors: [{ code: 503, probability: 1, verbs: ["create"], resources: ["pods"] }] }) });
    assert.equal(put.status, 200);
    const refused = await s.call("POST", pods, podBody("f1"));
    assert.equal(refused.status, 503);
    assert.equal(refused.body.reason, "ServiceUnavailable");
    assert.equal((await s.call("POST", "/apis/batch/v1/namespaces/default/jobs", jobBody("f1"))).status, 201, "other resources unaffected");
    assert.equal((await s.call("GET", pods)).status, 200, "other verbs unaffected");
    s.sim.faults.set({ errors: [{ code: 409, probability: 1, resources: ["jobs/status"] }] });
    const job = await s.call("GET", "/apis/batch/v1/namespaces/default/jobs/f1");
    const c = await s.call("PUT", "/apis/batch/v1/namespaces/default/jobs/f1/status", job.body);
    assert.equal(c.status, 409);
    assert.equal(c.body.reason, "Conflict");
    s.sim.faults.set({ errors: [] });
    const bad = await fetch(`${s.sim.url}/admin/faults`, { method: "PUT", body: JSON.stringify({ latencyMs: -1 }) });
    assert.equal(bad.status, 400);
  });

  test("latency is fixed plus seeded uniform jitter", () => {
    const settings = mergeFaultSettings(DEFAULT_FAULTS, { latencyMs: 100, jitterMs: 50 });
    const a = new FaultInjector(settings, seededRandom(3), () => 0);
    const b = new FaultInjector(settings, seededRandom(3), () => 0);
    const xs = Array.from({ length: 20 }, () => a.latencyMs());
    assert.deepEqual(xs, Array.from({ length: 20 }, () => b.latencyMs()), "same seed, same latencies");
    assert.ok(xs.every((x) => x >= 100 && x < 150));
    assert.ok(new Set(xs).size > 1);
    assert.throws(() => mergeFaultSettings(DEFAULT_FAULTS, { errors: [{ code: 418, probability: 1 }] }), FaultSettingsError);
  });

  test("the token bucket refills with time", () => {
    let t = 0;
    const f = new FaultInjector(mergeFaultSettings(DEFAULT_FAULTS, { qps: 10, burst: 1 }), seededRandom(1), () => t);
    const req = { verb: "get", resource: PODS, subresource: "", name: "x" };
    assert.equal(f.injectedError(req), undefined);
    assert.equal(f.injectedError(req)?.code, 429);
    t += 100;
    assert.equal(f.injectedError(req), undefined);
  });

  test("cut-watches ends open streams", async () => {
    const w = await openWatch(`${s.sim.url}${pods}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dnothing`);
    const res = await fetch(`${s.sim.url}/admin/cut-watches`, { method: "POST" });
    assert.deepEqual(await res.json(), { closed: 1 });
    assert.deepEqual(await w.next(1), []);
  });
});

describe("kube-sim Table output and discovery", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  test("pods as a Table: NAME READY STATUS RESTARTS AGE", async () => {
    await s.call("POST", pods, podBody("t1"));
    const res = await fetch(`${s.sim.url}${pods}`, { headers: { Accept: TABLE } });
    const t = (await res.json()) as any;
    assert.equal(t.kind, "Table");
    assert.equal(t.apiVersion, "meta.k8s.io/v1");
    assert.deepEqual(t.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name), ["Name", "Ready", "Status", "Restarts", "Age"]);
    assert.deepEqual(t.rows[0].cells.slice(0, 4), ["t1", "0/1", "Pending", 0]);
    assert.equal(t.rows[0].object.kind, "PartialObjectMetadata");
    assert.equal(t.rows[0].object.metadata.name, "t1");
  });

  test("jobs as a Table: NAME STATUS COMPLETIONS DURATION AGE", async () => {
    const j = await s.call("POST", "/apis/batch/v1/namespaces/default/jobs", jobBody("tj", { completions: 3 }));
    await s.call("PUT", "/apis/batch/v1/namespaces/default/jobs/tj/status", { ...j.body, status: { succeeded: 2, startTime: "2024-01-01T00:00:00Z" } });
    const t = (await (await fetch(`${s.sim.url}/apis/batch/v1/namespaces/default/jobs`, { headers: { Accept: TABLE } })).json()) as any;
    assert.deepEqual(t.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name), ["Name", "Status", "Completions", "Duration", "Age"]);
    assert.deepEqual(t.rows[0].cells.slice(0, 3), ["tj", "Running", "2/3"]);
  });

  test("watch events are Tables when asked", async () => {
    const res = await fetch(`${s.sim.url}${pods}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dt1`, { headers: { Accept: TABLE } });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    await reader.cancel();
    const ev = JSON.parse(new TextDecoder().decode(value).split("\n")[0] as string);
    assert.equal(ev.type, "ADDED");
    assert.equal(ev.object.kind, "Table");
    assert.equal(ev.object.rows[0].cells[0], "t1");
  });

  test("discovery documents and health", async () => {
    const v = (await (await fetch(`${s.sim.url}/version`)).json()) as any;
    assert.equal(v.gitVersion, "v1.33.0-jobtally-sim");
    const core = (await (await fetch(`${s.sim.url}/api/v1`)).json()) as any;
    const names = core.resources.map((r: any) => r.name);
    for (const n of ["pods", "pods/status", "pods/binding", "namespaces", "events"]) assert.ok(names.includes(n), n);
    assert.deepEqual(core.resources.find((r: any) => r.name === "pods").shortNames, ["po"]);
    const groups = (await (await fetch(`${s.sim.url}/apis`)).json()) as any;
    assert.deepEqual(groups.groups.map((g: any) => g.name), ["batch", "coordination.k8s.io"]);
    assert.equal(await (await fetch(`${s.sim.url}/readyz`)).text(), "ok");
  });

  test("human durations match kubectl's", () => {
    assert.equal(humanDuration(5_000), "5s");
    assert.equal(humanDuration(150_000), "2m30s");
    assert.equal(humanDuration(3 * 3600_000 + 5 * 60_000), "3h5m");
    assert.equal(humanDuration(3 * 86400_000), "3d");
  });
});
