import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_FAULTS, FaultInjector, FaultSettingsError, mergeFaultSettings, seededRandom, WEBHOOK_NAME } from "../../../services/kube-sim/faults.js";
import { RESOURCES } from "../../../services/kube-sim/resources.js";

const PODS = RESOURCES.find((r) => r.plural === "pods")!;
const req = (verb: string, subresource = "") => ({ verb, resource: PODS, subresource, name: "p" });

describe("fault modes: webhook rejections and broken answers", () => {
  test("a webhook rejection answers writes only, with the apiserver's message", () => {
    const f = new FaultInjector(mergeFaultSettings(DEFAULT_FAULTS, { errors: [{ code: 400, probability: 1, resources: ["pods"] }] }), seededRandom(1), () => 0);
    const err = f.injectedError(req("patch"));
    assert.equal(err?.code, 400);
    assert.equal(err?.message, `admission webhook "${WEBHOOK_NAME}" denied the request: injected rejection`);
    assert.equal(f.injectedError(req("get")), undefined, "reads are not admitted, so never rejected");
    assert.equal(new FaultInjector(mergeFaultSettings(DEFAULT_FAULTS, { errors: [{ code: 403, probability: 1 }] }), seededRandom(1), () => 0).injectedError(req("create"))?.code, 403);
  });

  test("broken answers: HTML, or JSON cut short, only where the rule matches", () => {
    const f = new FaultInjector(mergeFaultSettings(DEFAULT_FAULTS, { malformed: [{ mode: "truncated", probability: 1, verbs: ["get"] }, { mode: "not-json", probability: 1, verbs: ["patch"] }] }), seededRandom(1), () => 0);
    const cut = f.malformedBody(req("get"));
    assert.throws(() => JSON.parse(cut?.body ?? ""), SyntaxError);
    assert.ok(cut?.body.startsWith('{"kind":"Pod"'));
    assert.equal(f.malformedBody(req("patch"))?.contentType, "text/html");
    assert.equal(f.malformedBody(req("delete")), undefined);
  });

  test("a rule with `times` answers that many matching requests, then lapses; new settings start the count again", () => {
    const rules = { errors: [{ code: 409, probability: 1, times: 2, verbs: ["patch"] }] };
    const f = new FaultInjector(mergeFaultSettings(DEFAULT_FAULTS, rules), seededRandom(1), () => 0);
    assert.equal(f.injectedError(req("get")), undefined, "a request the rule does not match is not counted");
    assert.deepEqual([1, 2, 3, 4].map(() => f.injectedError(req("patch"))?.code), [409, 409, undefined, undefined]);
    f.update(rules);
    assert.equal(f.injectedError(req("patch"))?.code, 409);
    assert.throws(() => mergeFaultSettings(DEFAULT_FAULTS, { errors: [{ code: 409, probability: 1, times: 0 }] }), /errors\[0\]\.times must be a positive integer/);
  });

  test("invalid settings are refused", () => {
    assert.throws(() => mergeFaultSettings(DEFAULT_FAULTS, { malformed: [{ mode: "gzip", probability: 1 }] }), FaultSettingsError);
    assert.throws(() => mergeFaultSettings(DEFAULT_FAULTS, { malformed: [{ mode: "truncated", probability: 2 }] }), FaultSettingsError);
    assert.throws(() => mergeFaultSettings(DEFAULT_FAULTS, { malformed: {} }), FaultSettingsError);
  });
});
