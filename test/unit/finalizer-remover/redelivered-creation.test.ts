/**
 * A creation intent delivered again must not create its Pod a second time: the decision table,
 * the record of attempts that sent nothing, and the settling of a redelivery against the API.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiException, type V1Pod } from "@kubernetes/client-node";
import {
  effectiveDeliveryCount,
  STORED_BEFORE_LOSS_MARGIN_MS,
  decideDelivery,
  settleRedeliveredCreation,
  trackingSentCreations,
  UnsentCreations,
  type RedeliveryDecision,
} from "../../../services/finalizer-remover/redelivered-creation.js";
import type { PodApi } from "../../../services/finalizer-remover/executor.js";
import type { CreatePodIntent } from "../../../shared/intents/intents.js";
import { INTENT_VERSION } from "../../../shared/intents/intents.js";

function apiError(code: number, reason: string): ApiException<string> {
  return new ApiException(code, `HTTP ${code}`, JSON.stringify({ kind: "Status", reason, message: reason, code }), {});
}

function intent(name: string): CreatePodIntent {
  return {
    v: INTENT_VERSION,
    kind: "createPod",
    partition: 3,
    epoch: 2,
    holder: "counter-a",
    jobUID: "job-uid",
    jobName: "job",
    namespace: "ns",
    pod: { metadata: { name, namespace: "ns" } },
    notAfterMs: Date.now() + 60_000,
  } as CreatePodIntent;
}

describe("decideDelivery", () => {
  const cases: { name: string; delivery: number; knownUnsent: boolean; want: RedeliveryDecision }[] = [
    { name: "first delivery: create", delivery: 1, knownUnsent: false, want: "create" },
    { name: "redelivered, nothing known here (lost ack, crashed replica, another replica's retry): check first", delivery: 2, knownUnsent: false, want: "check-exists" },
    { name: "redelivered after this process's own attempt that sent nothing: create", delivery: 2, knownUnsent: true, want: "create" },
    { name: "fifth delivery, unknown: check", delivery: 5, knownUnsent: false, want: "check-exists" },
  ];
  for (const c of cases) test(c.name, () => assert.equal(decideDelivery(c.delivery, c.knownUnsent), c.want));
});

describe("effectiveDeliveryCount: a single NATS server that came back may have lost the consumer's record of deliveries", () => {
  const lossAt = 1_000_000;
  const cases: { name: string; count: number; storedAt: number; lossAt: number | null; want: number }[] = [
    { name: "no loss: the server's count stands", count: 1, storedAt: 5, lossAt: null, want: 1 },
    { name: "stored before NATS came back, delivered for the \"first\" time: may have been carried out before", count: 1, storedAt: lossAt - 60_000, lossAt, want: 2 },
    { name: "stored around the time it came back (clocks differ): checked too", count: 1, storedAt: lossAt + STORED_BEFORE_LOSS_MARGIN_MS - 1, lossAt, want: 2 },
    { name: "stored well after: a first delivery", count: 1, storedAt: lossAt + STORED_BEFORE_LOSS_MARGIN_MS, lossAt, want: 1 },
    { name: "a redelivery keeps its count", count: 4, storedAt: lossAt - 1, lossAt, want: 4 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(effectiveDeliveryCount(c.count, c.storedAt, c.lossAt), c.want));
});

describe("UnsentCreations", () => {
  test("remembered until sent or past its time to live", () => {
    let now = 0;
    const u = new UnsentCreations(1_000, () => now);
    u.markUnsent("ns/a");
    assert.equal(u.isKnownUnsent("ns/a"), true);
    now = 1_001;
    assert.equal(u.isKnownUnsent("ns/a"), false, "past the time to live it proves nothing");
    u.markUnsent("ns/b");
    u.markSent("ns/b");
    assert.equal(u.isKnownUnsent("ns/b"), false);
  });

  test("bounded: entries past their time to live are swept as new ones come", () => {
    let now = 0;
    const u = new UnsentCreations(1_000, () => now);
    for (let i = 0; i < 1024; i++) u.markUnsent(`ns/old-${i}`);
    now = 5_000;
    u.markUnsent("ns/new");
    assert.equal(u.size, 1);
  });
});

describe("trackingSentCreations records whether the request left", () => {
  const pod: V1Pod = { metadata: { name: "p1" } };
  const cases: { name: string; create: (guard: () => void) => Promise<void>; guardThrows?: boolean; knownUnsent: boolean; throws: boolean }[] = [
    { name: "created: nothing to remember", create: async (g) => g(), knownUnsent: false, throws: false },
    { name: "stopped by the guard (fenced, expired, lease unverified) before sending: unsent", create: async (g) => g(), guardThrows: true, knownUnsent: true, throws: true },
    { name: "429 (throttled before admission): unsent", create: async (g) => { g(); throw apiError(429, "TooManyRequests"); }, knownUnsent: true, throws: true },
    { name: "500 after sending: maybe created, not known unsent", create: async (g) => { g(); throw apiError(500, "InternalError"); }, knownUnsent: false, throws: true },
    { name: "a network error after sending: maybe created", create: async (g) => { g(); throw new Error("socket hang up"); }, knownUnsent: false, throws: true },
    { name: "the budget failed before the guard ran: unsent", create: async () => { throw new Error("budget stopped"); }, knownUnsent: true, throws: true },
  ];
  for (const c of cases)
    test(c.name, async () => {
      const unsent = new UnsentCreations(60_000);
      const inner = { createPod: (_ns: string, _p: V1Pod, guard?: () => void) => c.create(() => guard?.()) } as unknown as PodApi;
      const api = trackingSentCreations(inner, unsent);
      const guard = (): void => {
        if (c.guardThrows) throw new Error("fenced");
      };
      const result = api.createPod("ns", pod, guard).then(() => false, () => true);
      assert.equal(await result, c.throws);
      assert.equal(unsent.isKnownUnsent("ns/p1"), c.knownUnsent);
    });
});

describe("settleRedeliveredCreation", () => {
  const cases: { name: string; delivery: number; knownUnsent: boolean; exists: boolean | "error"; want: "done" | "unconfirmed" | null | "throws"; reported: number; read: number }[] = [
    { name: "first delivery: created normally, no read", delivery: 1, knownUnsent: false, exists: false, want: null, reported: 0, read: 0 },
    { name: "redelivered, the Pod exists (the earlier delivery created it): done", delivery: 2, knownUnsent: false, exists: true, want: "done", reported: 0, read: 1 },
    {
      name: "redelivered, no such Pod (created, counted and deleted meanwhile, or never created): not created again, the counter told",
      delivery: 2,
      knownUnsent: false,
      exists: false,
      want: "unconfirmed",
      reported: 1,
      read: 1,
    },
    { name: "redelivered after this process's own unsent attempt: created normally", delivery: 3, knownUnsent: true, exists: false, want: null, reported: 0, read: 0 },
    { name: "redelivered, the Pod cannot be read: throws (retried later), nothing reported", delivery: 2, knownUnsent: false, exists: "error", want: "throws", reported: 0, read: 1 },
  ];
  for (const c of cases)
    test(c.name, async () => {
      const unsent = new UnsentCreations(60_000);
      if (c.knownUnsent) unsent.markUnsent("ns/p1");
      let reported = 0;
      let read = 0;
      const got = await settleRedeliveredCreation(intent("p1"), c.delivery, {
        unsent,
        podExists: async () => {
          read++;
          if (c.exists === "error") throw new Error("timeout");
          return c.exists;
        },
        reportUnconfirmed: () => void reported++,
      }).catch(() => "throws" as const);
      assert.equal(got, c.want);
      assert.equal(reported, c.reported);
      assert.equal(read, c.read);
    });
});
