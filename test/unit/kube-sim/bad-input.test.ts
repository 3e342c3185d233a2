/**
 * The simulator refuses bad objects as a real API server does (issue 11, bad input): Job int32
 * fields that do not fit fail decoding (400), absurd but valid specs are accepted, and owner
 * references are validated (at most one controller; every field named).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jobBody, podBody, startSim, type Sim } from "./sim-helpers.js";

describe("kube-sim bad input", () => {
  let s: Sim;
  before(async () => {
    s = await startSim({ seed: 3 });
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "ns" } });
  });
  after(() => s.sim.close());

  const cases: { name: string; spec: Record<string, unknown>; status: number; message?: RegExp }[] = [
    { name: "completions and parallelism 10^7 are valid", spec: { completions: 10 ** 7, parallelism: 10 ** 7 }, status: 201 },
    { name: "parallelism 0 is valid", spec: { completions: 3, parallelism: 0 }, status: 201 },
    { name: "backoffLimit 2^31 - 1 is valid", spec: { backoffLimit: 2 ** 31 - 1 }, status: 201 },
    { name: "backoffLimit 2^31 does not decode: 400", spec: { backoffLimit: 2 ** 31 }, status: 400, message: /cannot unmarshal number 2147483648 into Go struct field JobSpec.spec.backoffLimit of type int32/ },
    { name: "completions 1e10 does not decode: 400", spec: { completions: 1e10 }, status: 400, message: /spec\.completions of type int32/ },
    { name: "a negative parallelism is invalid: 422", spec: { parallelism: -1 }, status: 422, message: /spec\.parallelism/ },
  ];
  cases.forEach((c, i) => {
    test(c.name, async () => {
      const r = await s.call("POST", "/apis/batch/v1/namespaces/ns/jobs", jobBody(`j${i}`, c.spec));
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      if (c.message) assert.match(String(r.body.message), c.message);
    });
  });

  const ref = (name: string, controller?: boolean) => ({ apiVersion: "batch/v1", kind: "Job", name, uid: `uid-${name}`, ...(controller === undefined ? {} : { controller }) });
  const podCases: { name: string; refs: unknown[]; status: number; message?: RegExp }[] = [
    { name: "one controller and other owners: accepted", refs: [ref("a", true), ref("b"), ref("c", false)], status: 201 },
    { name: "two controllers: refused", refs: [ref("a", true), ref("b", true)], status: 422, message: /Only one reference can have Controller set to true/ },
    { name: "an owner without uid: refused", refs: [{ apiVersion: "batch/v1", kind: "Job", name: "x" }], status: 422, message: /ownerReferences\[0\]\.uid/ },
    { name: "an owner without kind or apiVersion: refused", refs: [{ name: "x", uid: "u" }], status: 422, message: /ownerReferences\[0\]\.apiVersion/ },
  ];
  podCases.forEach((c, i) => {
    test(`Pod ownerReferences: ${c.name}`, async () => {
      const body = podBody(`p${i}`) as { metadata: Record<string, unknown> };
      body.metadata.ownerReferences = c.refs;
      const r = await s.call("POST", "/api/v1/namespaces/ns/pods", body);
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      if (c.message) assert.match(String(r.body.message), c.message);
    });
  });
});
