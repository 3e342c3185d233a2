/**
 * The counter first sees a Pod already finished and holding the finalizer: a partition rebuilt from
 * a replay, a relist after a gap, or a record older than what was acted on. The last must not be
 * listed: a Pod counted and forgotten whose earlier state comes back (a lagging writer; a killed
 * single nats-server that lost its last acknowledged writes; nats-server 2.9 replicas that diverge
 * after a restart, the restarted one re-applying entries it had applied: chaos seeds 2783410143,
 * 186491980) would be counted twice. So before such a Pod is listed, it is read from the API server
 * (in-tree's informer starts from a fresh list for the same reason). In steady state a Pod is first
 * seen Pending, so this costs one GET per Pod only around rebuilds and relists.
 *
 * A Pod holding the tracking finalizer cannot disappear, nor lose the finalizer, unless someone
 * removed it: this counter after listing it (counted), or a release. So a Pod that is gone (or
 * another Pod under its name), or that no longer holds the finalizer, is not listed on the
 * record's word.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { PodView } from "../../../shared/view/records.js";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";

export type FirstSeenCheck =
  /** The API server agrees: the Pod exists with the finalizer; the record stands. */
  | { outcome: "confirmed" }
  /** The record is older than the Pod: use `record` instead (gone, or without the finalizer). */
  | { outcome: "gone" | "finalizer-off"; record: PodView };

/** `live`: the Pod as the API server has it now, null when it is not found. */
export function checkFirstSeenFinished(seen: PodView, live: V1Pod | null): FirstSeenCheck {
  if (live === null || live.metadata?.uid !== seen.uid) return { outcome: "gone", record: { ...seen, gone: true, hasFinalizer: false } };
  if (!(live.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) return { outcome: "finalizer-off", record: { ...seen, hasFinalizer: false } };
  return { outcome: "confirmed" };
}
