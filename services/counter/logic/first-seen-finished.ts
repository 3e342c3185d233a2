/**
 * A record shows a Pod finished and holding the finalizer, and the counter cannot vouch for it: it
 * came in the replay that rebuilt the partition, or it is of a Pod this counter counted and forgot.
 * Such a record may be older than what was acted on (a lagging writer; a killed single nats-server
 * that lost its last acknowledged writes; nats-server 2.9 replicas that diverge after a restart,
 * the restarted one re-applying entries it had applied: chaos seeds 2783410143, 186491980), and
 * listing its Pod would count it twice. So before such a Pod is listed it is read from the API
 * server (in-tree's informer starts from a fresh list for the same reason). A Pod first seen
 * finished on the live view (a consumer that lagged past its earlier states) is not checked: this
 * counter never counted it. Cost: one GET per Pod finished and not yet listed when a partition is
 * rebuilt, and per false "maybe" of the forgotten-Pods filter (forgotten-pods.ts, about 1%).
 *
 * A Pod holding the tracking finalizer cannot disappear, nor lose the finalizer, unless someone
 * removed it: this counter after listing it (counted), or a release. So a Pod that is gone (or
 * another Pod under its name), or that no longer holds the finalizer, is not listed on the
 * record's word.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import { holdsFinalizer, isPodFinished } from "./pod-classification.js";

export type FirstSeenCheck =
  /** The API server agrees: the Pod exists with the finalizer; the record stands. */
  | { outcome: "confirmed" }
  /** The record is older than the Pod: use `record` instead (gone, or without the finalizer). */
  | { outcome: "gone" | "finalizer-off"; record: PodView };

/** A record that could get its Pod listed, hence worth checking: finished, holding the finalizer. */
export function couldBeListed(record: PodView): boolean {
  return holdsFinalizer(record) && isPodFinished(record);
}

/** `live`: the Pod as the API server has it now, null when it is not found. */
export function checkFirstSeenFinished(seen: PodView, live: V1Pod | null): FirstSeenCheck {
  if (live === null || live.metadata?.uid !== seen.uid) return { outcome: "gone", record: { ...seen, gone: true, hasFinalizer: false } };
  if (!(live.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) return { outcome: "finalizer-off", record: { ...seen, hasFinalizer: false } };
  return { outcome: "confirmed" };
}
