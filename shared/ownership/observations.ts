/**
 * What a replica has observed of the ownership bucket, with its own monotonic clock: per key the
 * last revision and when this replica saw it change. Expiry is judged on that local observation,
 * as client-go's leader election does (never on another process's clock): a lease or heartbeat
 * whose revision has not changed for `leaseDurationMs`, as seen here, is expired.
 */
import type { LeaseRecord, MemberRecord } from "./records.js";

export interface Observed<T> {
  value: T | null;
  revision: number;
  /** Local monotonic ms when this revision was first seen. */
  observedAtMs: number;
}

export class OwnershipObservations {
  readonly leases = new Map<number, Observed<LeaseRecord>>();
  readonly members = new Map<string, Observed<MemberRecord>>();

  /** Records a lease value (null: deleted) at `revision`; older revisions are ignored. */
  observeLease(partition: number, value: LeaseRecord | null, revision: number, nowMs: number): boolean {
    return observe(this.leases, partition, value, revision, nowMs);
  }

  observeMember(id: string, value: MemberRecord | null, revision: number, nowMs: number): boolean {
    const changed = observe(this.members, id, value, revision, nowMs);
    if (value === null) this.members.delete(id);
    return changed;
  }

  /** Replicas whose heartbeat changed within `leaseDurationMs` (plus `self`, which is alive by definition). */
  liveMembers(self: string, nowMs: number, leaseDurationMs: number): string[] {
    const live = new Set<string>([self]);
    for (const [id, o] of this.members) if (o.value !== null && nowMs - o.observedAtMs < leaseDurationMs) live.add(id);
    return [...live].sort();
  }

  /** The lease of `partition` is free to take: never written, released, or not renewed for a lease duration. */
  leaseState(partition: number, nowMs: number, leaseDurationMs: number): "free" | "expired" | "held" {
    const o = this.leases.get(partition);
    if (!o || o.value === null || o.value.holder === "") return "free";
    return nowMs - o.observedAtMs >= leaseDurationMs ? "expired" : "held";
  }
}

function observe<K, T>(map: Map<K, Observed<T>>, key: K, value: T | null, revision: number, nowMs: number): boolean {
  const cur = map.get(key);
  if (cur && cur.revision >= revision) return false;
  map.set(key, { value, revision, observedAtMs: nowMs });
  return true;
}
