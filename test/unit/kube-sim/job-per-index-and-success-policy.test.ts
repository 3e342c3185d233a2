/**
 * kube-sim validates and defaults the Indexed Job fields as a 1.33 API server does
 * (pkg/apis/batch/validation `validateJobSpec`, pkg/apis/batch/v1 defaults): backoffLimitPerIndex
 * and maxFailedIndexes, successPolicy (`validateSuccessPolicy`, `validateSuccessPolicyRule`,
 * `validateIndexesFormat`), and the status rules on failedIndexes and SuccessCriteriaMet. Messages as the real server words them, field paths as it reports them.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jobBody, startSim, type Sim } from "./sim-helpers.js";

const jobs = "/apis/batch/v1/namespaces/default/jobs";

interface Case {
  name: string;
  spec: Record<string, unknown>;
  /** field → message, every cause the server must report (nothing else); {} = created. */
  want: Record<string, string>;
}

const indexed = (extra: Record<string, unknown>): Record<string, unknown> => ({ completionMode: "Indexed", completions: 4, parallelism: 2, ...extra });

const cases: Case[] = [
  { name: "backoffLimitPerIndex and maxFailedIndexes on an Indexed Job", spec: indexed({ backoffLimitPerIndex: 1, maxFailedIndexes: 2 }), want: {} },
  {
    name: "backoffLimitPerIndex and maxFailedIndexes require indexed completion mode",
    spec: { completions: 4, backoffLimitPerIndex: 1, maxFailedIndexes: 1 },
    want: {
      "spec.backoffLimitPerIndex": "Invalid value: 1: requires indexed completion mode",
      "spec.maxFailedIndexes": "Invalid value: 1: requires indexed completion mode",
    },
  },
  {
    name: "maxFailedIndexes requires backoffLimitPerIndex",
    spec: indexed({ maxFailedIndexes: 1 }),
    want: { "spec.backoffLimitPerIndex": "Required value: when maxFailedIndexes is specified" },
  },
  {
    name: "negative values",
    spec: indexed({ backoffLimitPerIndex: -1, maxFailedIndexes: -1 }),
    want: {
      "spec.backoffLimitPerIndex": "Invalid value: -1: must be greater than or equal to 0",
      "spec.maxFailedIndexes": "Invalid value: -1: must be greater than or equal to 0",
    },
  },
  {
    name: "maxFailedIndexes above completions",
    spec: indexed({ backoffLimitPerIndex: 1, maxFailedIndexes: 5 }),
    want: { "spec.maxFailedIndexes": "Invalid value: 5: must be less than or equal to completions" },
  },
  {
    name: "completions above 100000 with backoffLimitPerIndex need maxFailedIndexes and parallelism at most 10000",
    spec: indexed({ completions: 100_001, parallelism: 10_001, backoffLimitPerIndex: 1 }),
    want: {
      "spec.maxFailedIndexes": "Required value: must be specified when completions is above 100000",
      "spec.parallelism": "Invalid value: 10001: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index",
    },
  },
  { name: "a successPolicy on an Indexed Job", spec: indexed({ successPolicy: { rules: [{ succeededIndexes: "0-2", succeededCount: 2 }, { succeededCount: 1 }] } }), want: {} },
  {
    name: "a successPolicy requires indexed completion mode",
    spec: { completions: 4, successPolicy: { rules: [{ succeededCount: 1 }] } },
    want: { "spec.successPolicy": 'Invalid value: {"rules":[{"succeededCount":1}]}: requires indexed completion mode' },
  },
  {
    name: "a successPolicy needs rules, each with succeededCount or succeededIndexes",
    spec: indexed({ successPolicy: { rules: [] } }),
    want: { "spec.successPolicy.rules": "Required value: at least one rules must be specified when the successPolicy is specified" },
  },
  {
    name: "successPolicy rules: indexes well-formed and below completions, succeededCount within completions and the rule's indexes",
    spec: indexed({ successPolicy: { rules: [{}, { succeededIndexes: "1-5" }, { succeededIndexes: "2,1" }, { succeededIndexes: "0-1", succeededCount: 3 }, { succeededCount: 5 }] } }),
    want: {
      "spec.successPolicy.rules[0]": "Required value: at least one of succeededCount or succeededIndexes must be specified",
      "spec.successPolicy.rules[1].succeededIndexes": 'Invalid value: "1-5": error parsing succeededIndexes: too large index: "5"',
      "spec.successPolicy.rules[2].succeededIndexes": 'Invalid value: "2,1": error parsing succeededIndexes: non-increasing order, previous: 2, current: 1',
      "spec.successPolicy.rules[3].succeededCount": "Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)",
      "spec.successPolicy.rules[4].succeededCount": "Invalid value: 5: must be less than or equal to 4 (the number of specified completions)",
    },
  },
];

describe("kube-sim Indexed Job fields (1.33)", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  cases.forEach((c, i) => {
    test(c.name, async () => {
      const r = await s.call("POST", jobs, jobBody(`ix-${i}`, c.spec));
      if (Object.keys(c.want).length === 0) {
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return;
      }
      assert.equal(r.status, 422, JSON.stringify(r.body));
      const got = Object.fromEntries((r.body.details.causes as { field: string; message: string }[]).map((cause) => [cause.field, cause.message]));
      assert.deepStrictEqual(got, c.want);
    });
  });

  test("backoffLimit defaults to MaxInt32 with backoffLimitPerIndex, to 6 without", async () => {
    const perIndex = await s.call("POST", jobs, jobBody("ix-default-a", indexed({ backoffLimitPerIndex: 1 })));
    assert.equal(perIndex.body.spec.backoffLimit, 2_147_483_647);
    const plain = await s.call("POST", jobs, jobBody("ix-default-b", indexed({})));
    assert.equal(plain.body.spec.backoffLimit, 6);
  });

  test("successPolicy is immutable", async () => {
    const created = await s.call("POST", jobs, jobBody("sp-imm", indexed({ successPolicy: { rules: [{ succeededCount: 1 }] } })));
    assert.equal(created.status, 201);
    const r = await s.call("PATCH", `${jobs}/sp-imm`, { spec: { successPolicy: { rules: [{ succeededCount: 2 }] } } }, "application/merge-patch+json");
    assert.equal(r.status, 422);
    assert.match(r.body.message, /spec\.successPolicy: Invalid value: field is immutable/);
  });

  test("status: failedIndexes only with backoffLimitPerIndex, well-formed; SuccessCriteriaMet never beside FailureTarget", async () => {
    const plain = await s.call("POST", jobs, jobBody("st-a", indexed({})));
    const put = (job: ReturnType<typeof jobBody>, status: Record<string, unknown>) => s.call("PUT", `${jobs}/${job.metadata.name}/status`, { ...job, status });
    let r = await put(plain.body, { failedIndexes: "0" });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /status\.failedIndexes: Invalid value: "0": cannot set non-null failedIndexes when backoffLimitPerIndex is null/);
    const perIndex = await s.call("POST", jobs, jobBody("st-b", indexed({ backoffLimitPerIndex: 1 })));
    r = await put(perIndex.body, { failedIndexes: "7" });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /error parsing failedIndexes: too large index: "7"/);
    r = await put(perIndex.body, { failedIndexes: "1,3" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const cond = (type: string) => ({ type, status: "True", reason: "R", message: "m", lastProbeTime: "2024-01-01T00:00:00Z", lastTransitionTime: "2024-01-01T00:00:00Z" });
    r = await put(r.body, { conditions: [cond("SuccessCriteriaMet"), cond("FailureTarget")] });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /cannot set SuccessCriteriaMet=True and FailureTarget=true conditions/);
  });

  test("elastic Indexed Jobs (1.27+): completions changes with parallelism, never alone, never on a NonIndexed Job", async () => {
    await s.call("POST", jobs, jobBody("el-a", indexed({ completions: 3, parallelism: 3 })));
    const merge = (name: string, spec: Record<string, unknown>) => s.call("PATCH", `${jobs}/${name}`, { spec }, "application/merge-patch+json");
    let r = await merge("el-a", { completions: 5, parallelism: 5 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepStrictEqual([r.body.spec.completions, r.body.spec.parallelism], [5, 5]);
    r = await merge("el-a", { completions: 2 });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /spec\.completions: Invalid value: 2: can only be modified in tandem with spec\.parallelism/);
    await s.call("POST", jobs, jobBody("el-b", { completions: 3, parallelism: 3 }));
    r = await merge("el-b", { completions: 5, parallelism: 5 });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /spec\.completions: Invalid value: 5: field is immutable/);
  });

  test("status.succeeded may go down only on an Indexed Job with completions equal to parallelism", async () => {
    const elastic = await s.call("POST", jobs, jobBody("el-st-a", indexed({ completions: 3, parallelism: 3 })));
    const put = (job: ReturnType<typeof jobBody>, status: Record<string, unknown>) => s.call("PUT", `${jobs}/${job.metadata.name}/status`, { ...job, status });
    let r = await put(elastic.body, { succeeded: 2, completedIndexes: "0,1" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await put(r.body, { succeeded: 1, completedIndexes: "0" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const fixed = await s.call("POST", jobs, jobBody("el-st-b", indexed({ completions: 3, parallelism: 2 })));
    r = await put(fixed.body, { succeeded: 2, completedIndexes: "0,1" });
    r = await put(r.body, { succeeded: 1, completedIndexes: "0" });
    assert.equal(r.status, 422);
    assert.match(r.body.message, /cannot decrease the succeeded counter/);
  });

  test("backoffLimitPerIndex is immutable", async () => {
    const created = await s.call("POST", jobs, jobBody("ix-imm", indexed({ backoffLimitPerIndex: 1 })));
    assert.equal(created.status, 201);
    const r = await s.call("PATCH", `${jobs}/ix-imm`, { spec: { backoffLimitPerIndex: 2 } }, "application/merge-patch+json");
    assert.equal(r.status, 422);
    assert.match(r.body.message, /spec\.backoffLimitPerIndex: Invalid value: 2: field is immutable/);
  });
});
