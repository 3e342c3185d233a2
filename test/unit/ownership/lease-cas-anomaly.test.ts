/**
 * The fault: the server accepts a lease write that expected a revision already superseded, so two
 * replicas both "take" one partition under the same epoch. nats-server 2.9 did this right after a
 * stream leader election (two writes with Nats-Expected-Last-Subject-Sequence 7 both stored, on all
 * three replicas: chaos seeds 1781442099 and 3539228987; the two counters counted Pods twice).
 * Injected here with a KV whose first lease write for replica B ignores the revision (a blind put,
 * landing after A's take, as the buggy server let it). An acquisition confirms itself with a second
 * compare-and-set a moment later: A's confirmation meets B's write and fails, so at no moment may
 * both act.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KV } from "@nats-io/kv";
import { openOwnershipBucket } from "../../../shared/ownership/bucket.js";
import { PartitionOwner, type OwnershipListener } from "../../../shared/ownership/partition-owner.js";
import { leaseKey } from "../../../shared/ownership/records.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { natsFixture, type NatsFixture } from "../nats/fixtures.js";

const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

/** B's KV: its first write of lease 0 waits until A's take is stored, then overwrites it whatever the revision. */
function staleCasOnce(kv: KV): KV {
  let done = false;
  return new Proxy(kv, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      if ((prop === "update" || prop === "create") && !done) {
        return async (key: string, value: Uint8Array, ...rest: unknown[]) => {
          if (key !== leaseKey(0)) return v.apply(target, [key, value, ...rest]);
          done = true;
          for (let i = 0; i < 200 && (await target.get(key)) === null; i++) await new Promise((r) => setTimeout(r, 5));
          return target.put(key, value);
        };
      }
      return v.bind(target);
    },
  });
}

describe("a lease compare-and-set the server wrongly accepts", { timeout: 30_000 }, () => {
  let f: NatsFixture;
  const owners: PartitionOwner[] = [];
  before(async () => {
    f = await natsFixture();
  });
  after(async () => {
    for (const o of owners) await o.stop().catch(() => undefined);
    await f?.close();
  });

  test("two replicas take partition 0 under one epoch: one of them never acts, and they never act at once", async () => {
    const held = { a: 0, b: 0 };
    const start = async (id: "a" | "b", wrap: (kv: KV) => KV): Promise<PartitionOwner> => {
      const kv = wrap(await openOwnershipBucket(await f.connect(), 1));
      const listener: OwnershipListener = { acquired: (_p, lease) => void (held[id] = lease.epoch), lost: () => void (held[id] = 0), release: async () => void (held[id] = 0) };
      const o = new PartitionOwner(kv, listener, { replicaId: `counter-${id}`, partitions: 1, partitionSet: [0], ...TIMING, logger: silentLogger() });
      owners.push(o);
      await o.start();
      return o;
    };
    // B first: its take, decided while the key is still absent, waits in the proxy for A's.
    const b = await start("b", staleCasOnce);
    await new Promise((r) => setTimeout(r, 50));
    const a = await start("a", (kv) => kv);
    const acting = (o: PartitionOwner, id: "a" | "b"): boolean => held[id] !== 0 && o.canAct(0, held[id]);
    const both: number[] = [];
    let someone = false;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      if (acting(a, "a") && acting(b, "b")) both.push(Date.now());
      someone ||= acting(a, "a") || acting(b, "b");
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.deepEqual(both, [], "never two replicas acting for partition 0");
    assert.ok(someone, "and one of them does own it");
  });
});
