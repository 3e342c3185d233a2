/**
 * Fencing, as a pure rule. An intent decided under lease (epoch, holder) of its partition may be
 * carried out only while that is the partition's current lease, as far as the executor knows. An
 * intent with a newer epoch than the executor has seen is let through (its view of the bucket is
 * merely behind; the epoch was won by compare-and-set, so it is newer than anything superseded).
 */
import type { LeaseToken } from "./records.js";

export type FenceDecision = { kind: "execute" } | { kind: "refuse"; reason: string };

/** `current`: the partition's lease as the executor knows it, or null when it has none (never owned). */
export function fenceDecision(intent: LeaseToken, current: LeaseToken | null): FenceDecision {
  if (current === null) return { kind: "refuse", reason: "the partition has no lease" };
  if (intent.epoch > current.epoch) return { kind: "execute" };
  if (intent.epoch < current.epoch) return { kind: "refuse", reason: `epoch ${intent.epoch} superseded by epoch ${current.epoch} (${current.holder || "released"})` };
  if (current.holder === "") return { kind: "refuse", reason: `epoch ${intent.epoch} was released` };
  if (intent.holder !== current.holder) return { kind: "refuse", reason: `epoch ${intent.epoch} is held by ${current.holder}, not ${intent.holder}` };
  return { kind: "execute" };
}
