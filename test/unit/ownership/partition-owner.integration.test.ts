/**
 * Partition ownership on a real nats-server: identical replicas split the partitions, a replica
 * that stops hands over at once, and a replica cut off from NATS stops acting before another
 * may take its partitions. An invariant sampler checks, all along, that no partition ever has two
 * replicas allowed to act for it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KV } from "@nats-io/kv";
import { openOwnershipBucket } from "../../../shared/ownership/bucket.js";
import { PartitionOwner, type OwnershipListener } from "../../../shared/ownership/partition-owner.js";
import { parseLeaseRecord, leaseKey } from "../../../shared/ownership/records.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { natsFixture, type NatsFixture } from "../nats/fixtures.js";

const PARTITIONS = 12;
const TIMING = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

interface Replica {
  id: string;
  owner: PartitionOwner;
  /** partition → epoch, as the listener was told. */
  held: Map<number, number>;
  /** Makes every write to the bucket fail (a replica cut off from NATS, or paused). */
  cut: { on: boolean };
  acquiredAt: Map<number, number>;
}

/** A KV whose writes can be cut, as a network partition would. Reads and the watch still work. */
function cuttable(kv: KV, cut: { on: boolean }): KV {
  return new Proxy(kv, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      if (["put", "update", "create", "delete"].includes(String(prop))) {
        return (...args: unknown[]) => (cut.on ? Promise.reject(new Error("cut off from NATS (test)")) : v.apply(target, args));
      }
      return v.bind(target);
    },
  });
}

async function startReplica(f: NatsFixture, id: string): Promise<Replica> {
  const nc = await f.connect();
  const kv = await openOwnershipBucket(nc, 1);
  const cut = { on: false };
  const held = new Map<number, number>();
  const acquiredAt = new Map<number, number>();
  const listener: OwnershipListener = {
    acquired: (p, lease) => {
      held.set(p, lease.epoch);
      acquiredAt.set(p, Date.now());
    },
    lost: (p) => void held.delete(p),
    release: async (p) => {
      held.delete(p);
    },
  };
  const owner = new PartitionOwner(cuttable(kv, cut), listener, { replicaId: id, partitions: PARTITIONS, partitionSet: "auto", ...TIMING, logger: silentLogger() });
  await owner.start();
  return { id, owner, held, cut, acquiredAt };
}

async function eventually(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Partitions for which this replica may act right now. */
function acting(r: Replica): number[] {
  return [...r.held].filter(([p, epoch]) => r.owner.canAct(p, epoch)).map(([p]) => p);
}

describe("partition ownership on a real nats-server", { timeout: 60_000 }, () => {
  let f: NatsFixture;
  const replicas: Replica[] = [];
  const violations: string[] = [];
  let sampler: NodeJS.Timeout;
  before(async () => {
    f = await natsFixture();
    // The invariant, sampled all along: at most one replica may act for a partition at any moment.
    sampler = setInterval(() => {
      const seen = new Map<number, string>();
      for (const r of replicas) {
        for (const p of acting(r)) {
          const other = seen.get(p);
          if (other !== undefined) violations.push(`partition ${p}: ${other} and ${r.id} both acting`);
          seen.set(p, r.id);
        }
      }
    }, 5);
  });
  after(async () => {
    clearInterval(sampler);
    for (const r of replicas) await r.owner.stop().catch(() => undefined);
    await f?.close();
  });

  const coverage = (rs: Replica[]): number[] => rs.flatMap(acting).sort((a, b) => a - b);
  const all = Array.from({ length: PARTITIONS }, (_, i) => i);

  test("three identical replicas split the partitions evenly, each partition owned once", async () => {
    replicas.push(await startReplica(f, "counter-a"), await startReplica(f, "counter-b"), await startReplica(f, "counter-c"));
    await eventually(() => JSON.stringify(coverage(replicas)) === JSON.stringify(all) && replicas.every((r) => acting(r).length === PARTITIONS / 3), 10_000, "a fair split");
    assert.deepEqual(violations, []);
  });

  test("a fourth replica joins: it gets its share without waiting for any lease to expire", async () => {
    const joinedAt = Date.now();
    const d = await startReplica(f, "counter-d");
    replicas.push(d);
    await eventually(() => JSON.stringify(coverage(replicas)) === JSON.stringify(all) && d.held.size === PARTITIONS / 4, 10_000, "the joiner's share");
    const tookMs = Math.max(...d.acquiredAt.values()) - joinedAt;
    assert.ok(tookMs < TIMING.leaseDurationMs + TIMING.retryPeriodMs * 2, `handed over, not expired: took ${tookMs} ms`);
    assert.deepEqual(violations, []);
  });

  test("a replica that stops (SIGTERM) hands its partitions over at once", async () => {
    const d = replicas.pop() as Replica;
    const itsPartitions = [...d.held.keys()];
    const stoppedAt = Date.now();
    await d.owner.stop();
    await eventually(() => JSON.stringify(coverage(replicas)) === JSON.stringify(all), 10_000, "the others to cover every partition");
    const takenAt = Math.max(...replicas.flatMap((r) => itsPartitions.map((p) => r.acquiredAt.get(p) ?? 0)));
    assert.ok(takenAt - stoppedAt < TIMING.leaseDurationMs, `released, not expired: taken ${takenAt - stoppedAt} ms after the stop`);
    assert.deepEqual(violations, []);
  });

  test("a replica cut off from NATS stops acting before another takes over, and its leases move to a newer epoch", async () => {
    const victim = replicas[0] as Replica;
    const before = new Map(victim.held);
    victim.cut.on = true;
    const cutAt = Date.now();
    await eventually(() => acting(victim).length === 0, 5_000, "the cut-off replica to stop acting");
    const stoppedActingMs = Date.now() - cutAt;
    const others = replicas.slice(1);
    await eventually(() => JSON.stringify(coverage(others)) === JSON.stringify(all), 15_000, "the others to take every partition");
    assert.ok(stoppedActingMs < TIMING.leaseDurationMs, `stopped acting after ${stoppedActingMs} ms, before the lease could expire`);
    for (const [p, epoch] of before) {
      const stored = parseLeaseRecord((await (await openOwnershipBucket(f.nc, 1)).get(leaseKey(p)))!.value);
      assert.ok(stored.epoch > epoch, `partition ${p}: epoch ${stored.epoch} after ${epoch}`);
      assert.notEqual(stored.holder, victim.id);
    }
    // Reconnected: it rejoins and gets a share again, still without overlap.
    victim.cut.on = false;
    await eventually(() => JSON.stringify(coverage(replicas)) === JSON.stringify(all) && replicas.every((r) => acting(r).length === PARTITIONS / 3), 15_000, "the split of three again");
    assert.deepEqual(violations, []);
  });
});
