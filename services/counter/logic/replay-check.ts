/**
 * A partition rebuilt from a replay of the view may be handed a Pod record older than what the
 * counter already acted on: a NATS server killed mid-write can lose the records that followed it,
 * and nats-server 2.9 replicas can diverge after a restart (a replica re-applying entries it had
 * applied, found by the chaos campaign: seed 186491980). If that older record shows the Pod
 * finished and holding the finalizer while the Pod was counted since, listing its UID again would
 * count it twice. So a replayed record that would get its Pod listed is checked against the API
 * server first (in-tree's informer starts from a fresh list for the same reason).
 *
 * A Pod holding the tracking finalizer cannot disappear, nor lose the finalizer, unless someone
 * removed it: this counter after listing it (counted), or a release. So a Pod that is gone (or
 * another Pod under its name), or that no longer holds the finalizer, is not listed on the
 * replayed record's word.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";

export type ReplayCheck =
  /** The API server agrees: the Pod exists with the finalizer; the record stands. */
  | { outcome: "confirmed" }
  /** The record is older than the Pod: use `record` instead (gone, or without the finalizer). */
  | { outcome: "gone" | "finalizer-off"; record: PodView };

/** `live`: the Pod as the API server has it now, null when it is not found. */
export function checkReplayedPod(replayed: PodView, live: V1Pod | null): ReplayCheck {
  if (live === null || live.metadata?.uid !== replayed.uid) return { outcome: "gone", record: { ...replayed, gone: true, hasFinalizer: false } };
  if (!(live.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) return { outcome: "finalizer-off", record: { ...replayed, hasFinalizer: false } };
  return { outcome: "confirmed" };
}
