/**
 * A creation the API server rejects: the executor drops it without a retry and hands it to the
 * failed-create hook, which records the in-tree `FailedCreate` Warning Event ("Error creating:
 * <message>") and reports it to the counter; a namespace being terminated gets neither (in-tree
 * `HasStatusCause(err, NamespaceTerminatingCause)`); transient errors are retried, never reported.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiException, type CoreV1Event, type V1Pod } from "@kubernetes/client-node";
import { pino } from "pino";
import type { CreatePodIntent } from "../../../shared/intents/intents.js";
import { creationFailureSubject, parseCreationFailureReport } from "../../../shared/intents/creation-failure.js";
import { apiErrorInfo, type ApiErrorInfo } from "../../../shared/kube/errors.js";
import { EventSpamFilter } from "../../../shared/kube/event-spam-filter.js";
import { executeIntent, type PodApi } from "../../../services/finalizer-remover/executor.js";
import { createUnsentCreationReporter, createFailedCreateHandler, failedCreateEvent, isNamespaceTerminating } from "../../../services/finalizer-remover/failed-create.js";
import { silentLogger } from "../../../shared/observability/logger.js";

const QUOTA_MESSAGE = 'pods "job-abc" is forbidden: exceeded quota: pod-quota, requested: pods=1, used: pods=3, limited: pods=3';
const creation: CreatePodIntent = { v: 2, epoch: 4, holder: "counter-a", kind: "createPod", partition: 3, jobUID: "j-uid", jobName: "job", namespace: "ns", pod: { metadata: { name: "job-abc" } } as V1Pod };

function status(code: number, reason: string, message: string, causes?: { reason: string }[]): ApiException<string> {
  return new ApiException(code, `HTTP ${code}`, JSON.stringify({ kind: "Status", reason, message, code, details: causes ? { causes } : undefined }), {});
}

async function runCreation(err: Error): Promise<{ outcome: string; hooked: ApiErrorInfo[] }> {
  const hooked: ApiErrorInfo[] = [];
  const api: PodApi = {
    removeFinalizer: async () => undefined,
    adoptPod: async () => undefined,
    createPod: async () => {
      throw err;
    },
    deletePod: async () => undefined,
  };
  const onCreationRejected = async (_i: CreatePodIntent, info: ApiErrorInfo): Promise<string> => {
    hooked.push(info);
    return "reported";
  };
  const out = await executeIntent(creation, 1, { api, logger: silentLogger(), onCreationRejected, random: () => 0.5 });
  return { outcome: out.kind, hooked };
}

describe("executor: rejected creations go to the failed-create hook", () => {
  const cases: { name: string; err: Error; outcome: string; hooked: number }[] = [
    { name: "403 exceeded quota: dropped (no retry loop), hooked once", err: status(403, "Forbidden", QUOTA_MESSAGE), outcome: "drop", hooked: 1 },
    { name: "422 invalid Pod: dropped, hooked", err: status(422, "Invalid", 'Pod "job-abc" is invalid: spec.containers: Required value'), outcome: "drop", hooked: 1 },
    { name: "500: retried with backoff, not hooked", err: status(500, "InternalError", "etcd"), outcome: "retry", hooked: 0 },
    { name: "429: retried, not hooked", err: status(429, "TooManyRequests", "slow down"), outcome: "retry", hooked: 0 },
    { name: "409 AlreadyExists: done, not hooked", err: status(409, "AlreadyExists", 'pods "job-abc" already exists'), outcome: "ack", hooked: 0 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const got = await runCreation(c.err);
      assert.deepEqual({ outcome: got.outcome, hooked: got.hooked.length }, { outcome: c.outcome, hooked: c.hooked });
    });
  }
});

describe("failed-create hook: the Event and the report to the counter", () => {
  function harness(spamFilter?: EventSpamFilter, podExists: () => Promise<boolean> = async () => false) {
    const published: { subject: string; data: string }[] = [];
    const events: CoreV1Event[] = [];
    const logs: { msg: string }[] = [];
    const handle = createFailedCreateHandler({
      publish: (subject, data) => void published.push({ subject, data }),
      createEvent: async (_ns, ev) => void events.push(ev),
      podExists,
      logger: pino({ level: "info" }, { write: (l: string) => void logs.push(JSON.parse(l)) }),
      now: () => Date.UTC(2024, 0, 1),
      spamFilter,
      instance: "remover-1",
    });
    return { handle, published, events, logs };
  }

  test("a quota rejection: a FailedCreate Warning Event on the Job with the API's message, and a report on the partition's subject", async () => {
    const h = harness();
    assert.equal(await h.handle(creation, apiErrorInfo(status(403, "Forbidden", QUOTA_MESSAGE))), "reported");
    assert.equal(h.events.length, 1);
    const ev = h.events[0]!;
    assert.deepEqual(
      { type: ev.type, reason: ev.reason, message: ev.message, involved: ev.involvedObject },
      {
        type: "Warning",
        reason: "FailedCreate",
        message: `Error creating: ${QUOTA_MESSAGE}`,
        involved: { apiVersion: "batch/v1", kind: "Job", name: "job", namespace: "ns", uid: "j-uid" },
      },
    );
    assert.deepEqual(h.published.map((p) => p.subject), [creationFailureSubject(3)]);
    const report = parseCreationFailureReport(h.published[0]!.data);
    assert.deepEqual(
      { partition: report.partition, epoch: report.epoch, jobUID: report.jobUID, podName: report.podName, code: report.code },
      { partition: 3, epoch: 4, jobUID: "j-uid", podName: "job-abc", code: 403 },
    );
  });

  test("namespace being terminated: no Event, no report (in-tree ignores it: every later creation fails too)", async () => {
    const h = harness();
    const info = apiErrorInfo(status(403, "Forbidden", 'pods "job-abc" is forbidden: unable to create new content in namespace ns because it is being terminated', [{ reason: "NamespaceTerminating" }]));
    assert.equal(isNamespaceTerminating(info), true);
    assert.equal(await h.handle(creation, info), "namespace-terminating");
    assert.deepEqual([h.events.length, h.published.length], [0, 0]);
  });

  test("Events are spam-filtered per Job (client-go: a burst, then one per refill); every rejection is still reported", async () => {
    const h = harness(new EventSpamFilter({ burst: 2, refillMs: 300_000, maxObjects: 10 }));
    for (let i = 0; i < 5; i++) await h.handle({ ...creation, pod: { metadata: { name: `job-${i}` } } }, apiErrorInfo(status(403, "Forbidden", QUOTA_MESSAGE)));
    assert.deepEqual([h.events.length, h.published.length], [2, 5]);
  });

  test("fault: the first delivery created the Pod (its ack lost), the redelivery meets the full quota (403, not 409): done, nothing reported", async () => {
    const h = harness(undefined, async () => true);
    const api: PodApi = {
      removeFinalizer: async () => undefined,
      adoptPod: async () => undefined,
      createPod: async () => {
        throw status(403, "Forbidden", QUOTA_MESSAGE);
      },
      deletePod: async () => undefined,
    };
    const out = await executeIntent(creation, 2, { api, logger: silentLogger(), onCreationRejected: h.handle, random: () => 0.5 });
    assert.equal(out.kind, "ack");
    assert.deepEqual([h.events.length, h.published.length], [0, 0], "the counter keeps expecting the Pod, which exists");
  });

  test("fault: the existence check fails (API away): the Event, but no report (the counter's expectation runs out on its own)", async () => {
    const h = harness(undefined, async () => {
      throw new Error("ECONNRESET");
    });
    assert.equal(await h.handle(creation, apiErrorInfo(status(403, "Forbidden", QUOTA_MESSAGE))), "unverified");
    assert.deepEqual([h.events.length, h.published.length], [1, 0]);
  });

  test("the Event mirrors in-tree PodControl: reason FailedCreate, message prefixed 'Error creating: '", () => {
    const ev = failedCreateEvent(creation, { code: 422, reason: "Invalid", message: "bad", retryAfterMs: null }, 0, "x");
    assert.deepEqual([ev.reason, ev.message, ev.type], ["FailedCreate", "Error creating: bad", "Warning"]);
  });
});

describe("an expired creation is reported to the counter (no event, no existence check)", () => {
  test("the report names the Pod, carries the lease and says expired", () => {
    const sent: Array<{ subject: string; data: string }> = [];
    const report = createUnsentCreationReporter({ publish: (subject, data) => void sent.push({ subject, data }), logger: pino({ level: "silent" }) }, "expired");
    const intent: CreatePodIntent = { v: 2, epoch: 4, holder: "counter-a", kind: "createPod", partition: 7, jobUID: "j-uid", jobName: "job", namespace: "ns", pod: { metadata: { name: "job-x" } } };
    report(intent);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.subject, "jobtally.creation-failed.7");
    const parsed = parseCreationFailureReport(sent[0]?.data ?? "");
    assert.equal(parsed.outcome, "expired");
    assert.deepEqual([parsed.podName, parsed.epoch, parsed.holder], ["job-x", 4, "counter-a"]);
  });
});
