/**
 * Nothing silently ignored: a Job field jobtally does not honour gets a Warning Event
 * (UnsupportedJobField) and a log line, once per Job generation.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1Job } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { DEFAULT_SYNC_OPTIONS, unsupportedFieldsEvent, unsupportedJobFields } from "../../../services/counter/logic/index.js";
import { JobSyncer, type SyncLease } from "../../../services/counter/job-syncer.js";
import { JobState } from "../../../services/counter/job-state.js";
import { createCounterMetrics } from "../../../shared/observability/metrics.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { jobToWire } from "../../../shared/kube/serialization.js";
import type { PlannedEvent } from "../../../services/counter/logic/types.js";
import { makeJob, T0 } from "./fixtures.js";

function withSpec(extra: Record<string, unknown>): V1Job {
  const job = makeJob({ completions: 1, parallelism: 1 });
  Object.assign(job.spec as object, extra);
  return job;
}

describe("unsupportedJobFields", () => {
  const cases: { name: string; spec: Record<string, unknown>; orphansOutsideWatch?: boolean; want: string[] }[] = [
    { name: "every field jobtally implements: nothing to say", spec: { successPolicy: { rules: [{ succeededCount: 1 }] }, ttlSecondsAfterFinished: 60, podReplacementPolicy: "Failed" }, want: [] },
    { name: "manualSelector, with a watcher that sees every Pod it selects: supported, nothing to say", spec: { manualSelector: true }, want: [] },
    {
      name: "manualSelector, with a watcher that does not see every Pod it selects: orphans it cannot see are not adopted",
      spec: { manualSelector: true },
      orphansOutsideWatch: true,
      want: ["spec.manualSelector"],
    },
    { name: "a generated selector outside a custom Pod watch of the watcher: said of spec.selector", spec: {}, orphansOutsideWatch: true, want: ["spec.selector"] },
    { name: "a field from a newer API version", spec: { podStartupPolicy: "InOrder" }, want: ["spec.podStartupPolicy"] },
    {
      name: "a podFailurePolicy action jobtally does not know",
      spec: { podFailurePolicy: { rules: [{ action: "Count", onExitCodes: { operator: "In", values: [1] } }, { action: "Retry", onExitCodes: { operator: "In", values: [2] } }] } },
      want: ["spec.podFailurePolicy.rules[1].action"],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepStrictEqual(
        unsupportedJobFields(withSpec(c.spec), { orphansOutsideWatch: c.orphansOutsideWatch }).map((f) => f.field),
        c.want,
      );
    });
  }
  test("the Warning Event lists every field with what jobtally does instead", () => {
    const event = unsupportedFieldsEvent(unsupportedJobFields(withSpec({ podStartupPolicy: "InOrder" })));
    assert.deepStrictEqual(event, { type: "Warning", reason: "UnsupportedJobField", message: "spec.podStartupPolicy: not implemented by jobtally: the Job runs as if it were unset" });
    assert.equal(unsupportedFieldsEvent([]), null);
  });
});

describe("JobSyncer reports unsupported fields once per generation", () => {
  test("one Warning Event and one log line for generation 1, none on the next syncs, again for generation 2", async () => {
    const events: PlannedEvent[] = [];
    const warnings: string[] = [];
    const logger = { ...silentLogger(), warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? ""), child: () => logger } as unknown as ReturnType<typeof silentLogger>;
    const syncer = new JobSyncer(
      { syncOptions: DEFAULT_SYNC_OPTIONS, expectationsTimeoutMs: 120_000, removalRepublishMs: 300_000, progressWriteDelayMs: 0, creationIntentTtlMs: 60_000 },
      {
        writeStatus: async (j: V1Job) => ({ ...j, metadata: { ...j.metadata, resourceVersion: String(Math.floor(Math.random() * 1e6) + 10) } }),
        readJob: async () => assert.fail("no conflicts here"),
        readPod: async () => assert.fail("no replayed Pod record to check"),
        publishIntents: async () => undefined,
        purge: async () => undefined,
        recordEvents: (_job, list) => void events.push(...list),
        now: () => T0,
        random: () => 0.5,
        logger,
        metrics: createCounterMetrics(new Registry()),
      },
    );
    const state = new JobState("job-uid", 0);
    const job = withSpec({ podStartupPolicy: "InOrder" });
    (job.metadata as { generation?: number }).generation = 1;
    state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "1", gone: false, job: jobToWire(job) }, "s", 1);
    const lease: SyncLease = { token: { epoch: 1, holder: "a" }, canAct: () => true };
    await syncer.sync(state, 0, lease);
    await syncer.sync(state, 0, lease);
    const unsupported = (): PlannedEvent[] => events.filter((e) => e.reason === "UnsupportedJobField");
    assert.equal(unsupported().length, 1);
    assert.equal(warnings.filter((w) => w.includes("does not honour")).length, 1);
    const next = structuredClone(state.ledger as V1Job);
    (next.metadata as { generation?: number; resourceVersion?: string }).generation = 2;
    (next.metadata as { resourceVersion?: string }).resourceVersion = "999999999";
    state.applyJobRecord({ v: 1, kind: "job", uid: "job-uid", name: "pi", namespace: "ns", resourceVersion: "999999999", gone: false, job: jobToWire(next) }, "s", 2);
    await syncer.sync(state, 0, lease);
    assert.equal(unsupported().length, 2);
  });
});
