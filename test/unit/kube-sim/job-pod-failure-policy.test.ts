/**
 * kube-sim validates spec.podFailurePolicy as a 1.33 API server does (pkg/apis/batch/validation:
 * validatePodFailurePolicy, validatePodFailurePolicyRule*, validatePodReplacementPolicy and the
 * restartPolicy rule). Messages as the real server words them, field paths as it reports them.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jobBody, startSim, type Sim } from "./sim-helpers.js";

const jobs = "/apis/batch/v1/namespaces/default/jobs";

interface Case {
  name: string;
  rules?: unknown[];
  spec?: Record<string, unknown>;
  restartPolicy?: string;
  /** field → message, every cause the server must report (nothing else). */
  want: Record<string, string>;
}

const ok = (extra: Record<string, unknown> = {}) => ({ action: "FailJob", onExitCodes: { operator: "In", values: [42] }, ...extra });

const cases: Case[] = [
  {
    name: "a valid policy: FailJob on exit codes, Ignore on DisruptionTarget, Count with containerName",
    rules: [ok(), { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }, { action: "Count", onExitCodes: { containerName: "c", operator: "NotIn", values: [0, 1] } }],
    want: {},
  },
  {
    name: "restartPolicy OnFailure is rejected with a podFailurePolicy",
    rules: [ok()],
    restartPolicy: "OnFailure",
    want: { "spec.template.spec.restartPolicy": 'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified' },
  },
  {
    name: "podReplacementPolicy must be Failed with a podFailurePolicy",
    rules: [ok()],
    spec: { podReplacementPolicy: "TerminatingOrFailed" },
    want: { "spec.podReplacementPolicy": 'Unsupported value: "TerminatingOrFailed": supported values: "Failed"' },
  },
  {
    name: "an action is required and must be known",
    rules: [{ onExitCodes: { operator: "In", values: [1] } }, ok({ action: "Retry" })],
    want: {
      "spec.podFailurePolicy.rules[0].action": 'Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]',
      "spec.podFailurePolicy.rules[1].action": 'Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
    },
  },
  {
    name: "FailIndex needs backoffLimitPerIndex",
    rules: [ok({ action: "FailIndex" })],
    want: { "spec.podFailurePolicy.rules[0].action": 'Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set' },
  },
  {
    name: "onExitCodes: operator required, known operator, a container of the template",
    rules: [
      { action: "Count", onExitCodes: { values: [1] } },
      { action: "Count", onExitCodes: { operator: "Between", values: [1] } },
      { action: "Count", onExitCodes: { operator: "In", values: [1], containerName: "nope" } },
    ],
    want: {
      "spec.podFailurePolicy.rules[0].onExitCodes.operator": 'Required value: valid values: ["In" "NotIn"]',
      "spec.podFailurePolicy.rules[1].onExitCodes.operator": 'Unsupported value: "Between": supported values: "In", "NotIn"',
      "spec.podFailurePolicy.rules[2].onExitCodes.containerName": 'Invalid value: "nope": must be one of the container or initContainer names in the pod template',
    },
  },
  {
    name: "onExitCodes values: at least one, not 0 with In, no duplicates, ordered",
    rules: [
      { action: "Count", onExitCodes: { operator: "In", values: [] } },
      { action: "Count", onExitCodes: { operator: "In", values: [0, 3, 3] } },
      { action: "Count", onExitCodes: { operator: "NotIn", values: [5, 2] } },
    ],
    want: {
      "spec.podFailurePolicy.rules[0].onExitCodes.values": "Invalid value: []: at least one value is required",
      "spec.podFailurePolicy.rules[1].onExitCodes.values[0]": "Invalid value: 0: must not be 0 for the In operator",
      "spec.podFailurePolicy.rules[1].onExitCodes.values[2]": "Duplicate value: 3",
      "spec.podFailurePolicy.rules[2].onExitCodes.values": "Invalid value: [5,2]: must be ordered",
    },
  },
  {
    name: "onPodConditions: status required and known, type a qualified name",
    rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }, { type: "Bad Type!", status: "Maybe" }] }],
    want: {
      "spec.podFailurePolicy.rules[0].onPodConditions[0].status": 'Required value: valid values: ["False" "True" "Unknown"]',
      "spec.podFailurePolicy.rules[0].onPodConditions[1].type":
        "Invalid value: \"Bad Type!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      "spec.podFailurePolicy.rules[0].onPodConditions[1].status": 'Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
    },
  },
  {
    name: "exactly one of onExitCodes and onPodConditions",
    rules: [{ action: "Ignore" }, { action: "Ignore", onExitCodes: { operator: "In", values: [1] }, onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }],
    want: {
      "spec.podFailurePolicy.rules[0]": "Invalid value: specifying one of OnExitCodes and OnPodConditions is required",
      "spec.podFailurePolicy.rules[1]": "Invalid value: specifying both OnExitCodes and OnPodConditions is not supported",
    },
  },
];

describe("kube-sim podFailurePolicy validation (1.33)", () => {
  let s: Sim;
  before(async () => {
    s = await startSim();
  });
  after(() => s.sim.close());

  cases.forEach((c, i) => {
    test(c.name, async () => {
      const body = jobBody(`pfp-${i}`, { podFailurePolicy: { rules: c.rules }, ...c.spec });
      if (c.restartPolicy) body.spec.template.spec.restartPolicy = c.restartPolicy;
      const r = await s.call("POST", jobs, body);
      if (Object.keys(c.want).length === 0) {
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.spec.podReplacementPolicy, "Failed", "defaulted to Failed with a podFailurePolicy");
        return;
      }
      assert.equal(r.status, 422, JSON.stringify(r.body));
      const got = Object.fromEntries((r.body.details.causes as { field: string; message: string }[]).map((cause) => [cause.field, cause.message]));
      assert.deepStrictEqual(got, c.want);
    });
  });

  test("a podFailurePolicy is immutable", async () => {
    const created = await s.call("POST", jobs, jobBody("pfp-imm", { podFailurePolicy: { rules: [ok()] } }));
    assert.equal(created.status, 201);
    const r = await s.call("PATCH", `${jobs}/pfp-imm`, { spec: { podFailurePolicy: { rules: [ok({ action: "Ignore" })] } } }, "application/merge-patch+json");
    assert.equal(r.status, 422);
    assert.match(r.body.message, /spec\.podFailurePolicy: Invalid value: field is immutable/);
  });
});
