/**
 * What the ownership bucket holds. One lease per partition (`lease.<p>`), never deleted, so its
 * epoch only grows; one heartbeat per live counter replica (`member.<replicaId>`). Versioned JSON.
 */

import { parseJsonObject } from "../wire/json-object.js";

export const OWNERSHIP_RECORD_VERSION = 1 as const;

/**
 * A partition's lease. `holder` is the replica acting for the partition ("" once released);
 * `epoch` grows by one with every acquisition, and every intent carries the epoch (and holder) of
 * the lease it was decided under, so the finalizer-remover can refuse a superseded one.
 */
export interface LeaseRecord {
  v: typeof OWNERSHIP_RECORD_VERSION;
  holder: string;
  epoch: number;
  /** Writer's wall clock at the last write, for people reading the bucket; never compared. */
  writtenAtMs: number;
}

/** A counter replica's heartbeat: renewed every retry period while the replica runs. */
export interface MemberRecord {
  v: typeof OWNERSHIP_RECORD_VERSION;
  id: string;
  /** Renewals so far: makes every renewal a new value (and a new revision others observe). */
  beat: number;
}

/** The lease token an intent carries: which acquisition of which partition decided it. */
export interface LeaseToken {
  epoch: number;
  holder: string;
}

export class MalformedOwnershipRecordError extends Error {
  override readonly name = "MalformedOwnershipRecordError";
}

function parseObject(data: Uint8Array): Record<string, unknown> {
  const o = parseJsonObject(data, "ownership record", (m) => new MalformedOwnershipRecordError(m));
  if (o.v !== OWNERSHIP_RECORD_VERSION) throw new MalformedOwnershipRecordError(`unsupported version ${String(o.v)}`);
  return o;
}

export function parseLeaseRecord(data: Uint8Array): LeaseRecord {
  const o = parseObject(data);
  if (typeof o.holder !== "string") throw new MalformedOwnershipRecordError(`lease field "holder" must be a string`);
  if (typeof o.epoch !== "number" || !Number.isInteger(o.epoch) || o.epoch < 0) throw new MalformedOwnershipRecordError(`lease field "epoch" must be a non-negative integer`);
  return { v: OWNERSHIP_RECORD_VERSION, holder: o.holder, epoch: o.epoch, writtenAtMs: typeof o.writtenAtMs === "number" ? o.writtenAtMs : 0 };
}

export function parseMemberRecord(data: Uint8Array): MemberRecord {
  const o = parseObject(data);
  if (typeof o.id !== "string" || o.id === "") throw new MalformedOwnershipRecordError(`member field "id" must be a non-empty string`);
  return { v: OWNERSHIP_RECORD_VERSION, id: o.id, beat: typeof o.beat === "number" ? o.beat : 0 };
}

export function encodeRecord(r: LeaseRecord | MemberRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(r));
}

export const LEASE_KEY_PREFIX = "lease";
export const MEMBER_KEY_PREFIX = "member";

export function leaseKey(partition: number): string {
  return `${LEASE_KEY_PREFIX}.${partition}`;
}
export function memberKey(replicaId: string): string {
  return `${MEMBER_KEY_PREFIX}.${replicaId}`;
}

/** The partition of a `lease.<p>` key, or null for any other key. */
export function partitionOfLeaseKey(key: string): number | null {
  const m = /^lease\.(\d+)$/.exec(key);
  return m ? Number(m[1]) : null;
}

/** The replica id of a `member.<id>` key, or null. */
export function replicaOfMemberKey(key: string): string | null {
  return key.startsWith(`${MEMBER_KEY_PREFIX}.`) ? key.slice(MEMBER_KEY_PREFIX.length + 1) : null;
}

/**
 * A replica id usable as one KV key token: NATS KV keys allow `[-_=/A-Za-z0-9]` (and dots, which
 * split tokens). Anything else becomes `_`.
 */
export function sanitizeReplicaId(id: string): string {
  const clean = id.replace(/[^-_=A-Za-z0-9]/g, "_");
  if (clean === "") throw new Error("replica id is empty");
  return clean;
}
