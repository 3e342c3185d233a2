import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiException, type V1Pod } from "@kubernetes/client-node";
import type { KubeCoreApi } from "../../../shared/kube/client.js";
import { Registry } from "prom-client";
import { pino } from "pino";
import type { CreatePodIntent, DeletePodIntent, Intent, RemoveFinalizerIntent } from "../../../shared/intents/intents.js";
import { apiErrorInfo } from "../../../shared/kube/errors.js";
import { decideOnApiError, REJECTED_BACKOFF, TRANSIENT_BACKOFF, type ApiStep, type ErrorDecision } from "../../../services/finalizer-remover/decide.js";
import { executeIntent, IntentFencedError, type OutcomeLabel, type PodApi } from "../../../services/finalizer-remover/executor.js";
import { fenceDecision } from "../../../shared/ownership/fence.js";
import { createPodApi } from "../../../services/finalizer-remover/kube-api.js";
import { ApiBudget } from "../../../shared/kube/rate-limit.js";
import { createRemoverMetrics } from "../../../shared/observability/metrics.js";

function apiError(code: number, reason: string, message = reason, headers: Record<string, string> = {}): ApiException<string> {
  return new ApiException(code, `HTTP ${code}`, JSON.stringify({ kind: "Status", reason, message, code }), headers);
}
const networkError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });

const removal: RemoveFinalizerIntent = { v: 2, epoch: 1, holder: "counter-a", kind: "removeFinalizer", partition: 3, jobUID: "j-uid", namespace: "ns", name: "p1", podUID: "u1", reason: "count" };
const creation: CreatePodIntent = { v: 2, epoch: 1, holder: "counter-a", kind: "createPod", partition: 3, jobUID: "j-uid", jobName: "job", namespace: "ns", pod: { metadata: { name: "job-abc" } } as V1Pod };
const deletion: DeletePodIntent = { v: 2, epoch: 1, holder: "counter-a", kind: "deletePod", partition: 3, jobUID: "j-uid", jobName: "job", namespace: "ns", name: "p2", podUID: "u2", reason: "excess-active", removeFinalizerFirst: true };

interface Harness {
  calls: string[];
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  outcomes: OutcomeLabel[];
  rejected: Array<number | null>;
  run(intent: Intent, attempt?: number): ReturnType<typeof executeIntent>;
}

/** Fake API: each call shifts the next scripted answer for its step (undefined = success). */
function harness(script: Partial<Record<"patch" | "create" | "delete", Array<Error | undefined>>>): Harness {
  const calls: string[] = [];
  const logs: Harness["logs"] = [];
  const outcomes: OutcomeLabel[] = [];
  const rejected: Array<number | null> = [];
  const answer = async (verb: "patch" | "create" | "delete", what: string): Promise<void> => {
    calls.push(`${verb} ${what}`);
    const e = script[verb]?.shift();
    if (e) throw e;
  };
  const api: PodApi = {
    removeFinalizer: (ns, name, uid) => answer("patch", `${ns}/${name}@${uid}`),
    createPod: (ns, pod) => answer("create", `${ns}/${pod.metadata?.name}`),
    deletePod: (ns, name, uid) => answer("delete", `${ns}/${name}@${uid}`),
    adoptPod: (ns, name) => answer("patch", `${ns}/${name}:adopt`),
  };
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  return {
    calls,
    logs,
    outcomes,
    rejected,
    run: (intent, attempt = 1) =>
      executeIntent(intent, attempt, { api, logger, random: () => 1, onOutcome: (_k, o) => outcomes.push(o), onRejected: (_k, c) => rejected.push(c) }),
  };
}

describe("decideOnApiError", () => {
  const cases: Array<{ name: string; step: ApiStep; err: unknown; attempt?: number; want: ErrorDecision["kind"]; delayMs?: number }> = [
    { name: "404 on a removal: the Pod is gone, done", step: "removeFinalizer", err: apiError(404, "NotFound"), want: "done" },
    { name: "404 on a delete: done", step: "deletePod", err: apiError(404, "NotFound"), want: "done" },
    { name: "404 on a creation (namespace gone) is a rejection: drop", step: "createPod", err: apiError(404, "NotFound"), want: "rejected-drop" },
    { name: "409 AlreadyExists on a creation: done", step: "createPod", err: apiError(409, "AlreadyExists"), want: "done" },
    { name: "409 UID precondition on a removal: the name is another Pod's now, done", step: "removeFinalizer", err: apiError(409, "Conflict", "Precondition failed: UID in precondition: a, UID in object meta: b"), want: "done" },
    { name: "plain 409 Conflict on a removal: transient", step: "removeFinalizer", err: apiError(409, "Conflict"), want: "retry", delayMs: TRANSIENT_BACKOFF.baseMs },
    { name: "500 backs off exponentially", step: "removeFinalizer", err: apiError(500, "InternalError"), attempt: 3, want: "retry", delayMs: 4 * TRANSIENT_BACKOFF.baseMs },
    { name: "429 honours Retry-After", step: "createPod", err: apiError(429, "TooManyRequests", "slow down", { "retry-after": "7" }), want: "retry", delayMs: 7000 },
    { name: "network error: transient", step: "deletePod", err: networkError, want: "retry", delayMs: TRANSIENT_BACKOFF.baseMs },
    { name: "422 on a removal (webhook): keep retrying on the long backoff", step: "removeFinalizer", err: apiError(422, "Invalid"), want: "rejected-retry", delayMs: REJECTED_BACKOFF.baseMs },
    { name: "403 on a delete: keep retrying on the long backoff", step: "deletePod", err: apiError(403, "Forbidden"), want: "rejected-retry", delayMs: REJECTED_BACKOFF.baseMs },
    { name: "403 on a creation (quota): drop", step: "createPod", err: apiError(403, "Forbidden"), want: "rejected-drop" },
    { name: "422 on a creation: drop", step: "createPod", err: apiError(422, "Invalid"), want: "rejected-drop" },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = decideOnApiError(c.step, apiErrorInfo(c.err), c.attempt ?? 1, () => 1);
      assert.equal(got.kind, c.want);
      if (c.delayMs !== undefined) assert.equal((got as { delayMs: number }).delayMs, c.delayMs);
    });
  }
});

describe("executeIntent", () => {
  test("removal that succeeds: ack, one PATCH with the Pod's UID", async () => {
    const h = harness({});
    assert.deepEqual(await h.run(removal), { kind: "ack" });
    assert.deepEqual(h.calls, ["patch ns/p1@u1"]);
    assert.deepEqual(h.outcomes, ["done"]);
  });

  test("removal answered 404: ack as already done", async () => {
    const h = harness({ patch: [apiError(404, "NotFound")] });
    assert.deepEqual(await h.run(removal), { kind: "ack" });
    assert.deepEqual(h.outcomes, ["already-done"]);
  });

  test("creation answered 409 AlreadyExists: ack", async () => {
    const h = harness({ create: [apiError(409, "AlreadyExists")] });
    assert.deepEqual(await h.run(creation), { kind: "ack" });
    assert.deepEqual(h.calls, ["create ns/job-abc"]);
    assert.deepEqual(h.outcomes, ["already-done"]);
  });

  test("500 and 429 are retried with a delay", async () => {
    const h = harness({ patch: [apiError(500, "InternalError")], create: [apiError(429, "TooManyRequests", "x", { "retry-after": "2" })] });
    assert.deepEqual(await h.run(removal, 2), { kind: "retry", delayMs: 2 * TRANSIENT_BACKOFF.baseMs });
    assert.deepEqual(await h.run(creation), { kind: "retry", delayMs: 2000 });
    assert.deepEqual(h.outcomes, ["retry", "retry"]);
  });

  test("422 on a removal: retried on the long backoff, logged at error with pod, job and partition, counted", async () => {
    const h = harness({ patch: [apiError(422, "Invalid", "admission webhook denied the request")] });
    assert.deepEqual(await h.run(removal), { kind: "retry", delayMs: REJECTED_BACKOFF.baseMs });
    const err = h.logs.find((l) => l.level === 50);
    assert.ok(err, "an error-level log line");
    assert.equal(err.pod, "ns/p1");
    assert.equal(err.job, "j-uid");
    assert.equal(err.partition, 3);
    assert.equal(err.code, 422);
    assert.deepEqual(h.rejected, [422]);
    assert.deepEqual(h.outcomes, ["rejected-retry"]);
  });

  test("403 on a creation: dropped with the reason, logged at error", async () => {
    const h = harness({ create: [apiError(403, "Forbidden", "exceeded quota")] });
    const out = await h.run(creation);
    assert.equal(out.kind, "drop");
    assert.match((out as { reason: string }).reason, /403 Forbidden exceeded quota/);
    assert.equal(h.logs.find((l) => l.level === 50)?.job, "ns/job");
    assert.deepEqual(h.outcomes, ["dropped"]);
  });

  test("deletion removes the finalizer first, then deletes", async () => {
    const h = harness({});
    assert.deepEqual(await h.run(deletion), { kind: "ack" });
    assert.deepEqual(h.calls, ["patch ns/p2@u2", "delete ns/p2@u2"]);
  });

  test("deletion whose Pod is already gone at the removal: ack without a DELETE", async () => {
    const h = harness({ patch: [apiError(404, "NotFound")] });
    assert.deepEqual(await h.run(deletion), { kind: "ack" });
    assert.deepEqual(h.calls, ["patch ns/p2@u2"]);
  });

  test("deletion of a counted Pod skips the removal; a 404 on the DELETE is done", async () => {
    const h = harness({ delete: [apiError(404, "NotFound")] });
    assert.deepEqual(await h.run({ ...deletion, removeFinalizerFirst: false }), { kind: "ack" });
    assert.deepEqual(h.calls, ["delete ns/p2@u2"]);
  });

  test("deletion whose removal fails transiently does not delete yet", async () => {
    const h = harness({ patch: [apiError(503, "ServiceUnavailable")] });
    assert.equal((await h.run(deletion)).kind, "retry");
    assert.deepEqual(h.calls, ["patch ns/p2@u2"]);
  });
});

describe("creation intents expire (notAfterMs), so a backlog can never create a Pod twice", () => {
  test("the real Pod API: a creation whose deadline passes while it waits for a token creates nothing and costs no token", async () => {
    const created: string[] = [];
    const core = { createNamespacedPod: async (req: { body: V1Pod }) => void created.push(req.body.metadata?.name ?? "") } as unknown as KubeCoreApi;
    const budget = new ApiBudget({ qps: 2, burst: 1, concurrency: 4 });
    const api = createPodApi(core, budget, createRemoverMetrics(new Registry(), () => 0));
    const logger = pino({ level: "silent" });
    const outcomes: OutcomeLabel[] = [];
    const run = (name: string, notAfterMs?: number) =>
      executeIntent({ ...creation, pod: { metadata: { name } }, ...(notAfterMs === undefined ? {} : { notAfterMs }) }, 1, { api, logger, onOutcome: (_k, o) => outcomes.push(o) });
    const now = Date.now();
    const results = await Promise.all([run("first", now + 60_000), run("late", now + 100), run("no-deadline")]);
    assert.deepEqual(results, [{ kind: "ack" }, { kind: "ack" }, { kind: "ack" }]);
    assert.deepEqual(created, ["first", "no-deadline"], "the late one waited ~500 ms for its token, past its deadline");
    assert.deepEqual(outcomes.sort(), ["done", "done", "expired"]);
    assert.ok(budget.bucket.taken <= 2, `the expired creation took no token (taken ${budget.bucket.taken})`);
  });

  test("an intent already past its deadline when it arrives: expired at once", async () => {
    const h = harness({});
    const api: PodApi = {
      removeFinalizer: async () => undefined,
      deletePod: async () => undefined,
      adoptPod: async () => undefined,
      createPod: async (_ns, _pod, guard) => {
        guard?.();
        h.calls.push("create");
      },
    };
    const outcomes: OutcomeLabel[] = [];
    const reported: string[] = [];
    const out = await executeIntent(
      { ...creation, notAfterMs: Date.now() - 1 },
      1,
      { api, logger: pino({ level: "silent" }), onOutcome: (_k, o) => outcomes.push(o), onCreationExpired: (i) => void reported.push(i.pod.metadata?.name ?? "") },
    );
    assert.deepEqual(out, { kind: "ack" });
    assert.deepEqual(outcomes, ["expired"]);
    assert.deepEqual(h.calls, []);
    assert.deepEqual(reported, ["job-abc"], "the counter is told, so it plans the Pod again at once (not after its expectations timeout)");
  });
});

describe("fencing: an intent decided under a superseded partition lease is never executed", () => {
  const cases: Array<{ name: string; intent: { epoch: number; holder: string }; current: { epoch: number; holder: string } | null; want: "execute" | "refuse" }> = [
    { name: "the current lease: executed", intent: { epoch: 3, holder: "a" }, current: { epoch: 3, holder: "a" }, want: "execute" },
    { name: "an older epoch (another replica took over since): refused", intent: { epoch: 2, holder: "a" }, current: { epoch: 3, holder: "b" }, want: "refuse" },
    { name: "the same epoch held by someone else (a store that lost writes): refused", intent: { epoch: 3, holder: "a" }, current: { epoch: 3, holder: "b" }, want: "refuse" },
    { name: "the same epoch, released (handed over after draining): refused", intent: { epoch: 3, holder: "a" }, current: { epoch: 3, holder: "" }, want: "refuse" },
    { name: "a newer epoch than the executor has seen (its picture is behind): executed", intent: { epoch: 4, holder: "b" }, current: { epoch: 3, holder: "a" }, want: "execute" },
    { name: "a partition with no lease at all: refused", intent: { epoch: 1, holder: "a" }, current: null, want: "refuse" },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(fenceDecision(c.intent, c.current).kind, c.want));
  }

  test("a lease superseded while the intent waits for its token: no request, no token, outcome fenced (dropped)", async () => {
    const created: string[] = [];
    const core = { createNamespacedPod: async (req: { body: V1Pod }) => void created.push(req.body.metadata?.name ?? "") } as unknown as KubeCoreApi;
    const budget = new ApiBudget({ qps: 2, burst: 1, concurrency: 4 });
    const api = createPodApi(core, budget, createRemoverMetrics(new Registry(), () => 0));
    let current = { epoch: 1, holder: "counter-a" };
    const fence = (i: Intent): void => {
      const d = fenceDecision(i, current);
      if (d.kind === "refuse") throw new IntentFencedError(d.reason);
    };
    const outcomes: OutcomeLabel[] = [];
    const run = (name: string) => executeIntent({ ...creation, pod: { metadata: { name } } }, 1, { api, fence, logger: pino({ level: "silent" }), onOutcome: (_k, o) => outcomes.push(o) });
    const first = run("first");
    const second = run("second"); // waits ~500 ms for its token
    await first;
    current = { epoch: 2, holder: "counter-b" };
    assert.equal((await second).kind, "drop");
    assert.deepEqual(created, ["first"]);
    assert.deepEqual(outcomes, ["done", "fenced"]);
    assert.ok(budget.bucket.taken <= 1, `the fenced creation took no token (taken ${budget.bucket.taken})`);
  });

  test("a fenced deletion does not even remove the finalizer first", async () => {
    const h = harness({});
    const out = await executeIntent(deletion, 1, {
      api: { removeFinalizer: async (_n, _m, _u, guard) => (guard?.(), void h.calls.push("patch")), createPod: async () => undefined, deletePod: async (_n, _m, _u, guard) => (guard?.(), void h.calls.push("delete")), adoptPod: async () => undefined },
      fence: () => {
        throw new IntentFencedError("epoch 1 superseded by epoch 2");
      },
      logger: pino({ level: "silent" }),
    });
    assert.equal(out.kind, "drop");
    assert.deepEqual(h.calls, []);
  });
});
