/** `jobtally watcher` options. */
import { kubeOptions, managementOptions, natsOptions, healthOptions, processOptions } from "../../shared/config/common.js";
import { booleanOption, durationMsOption, integerOption, stringOption } from "../../shared/config/options.js";

export const watcherOptionSchema = {
  ...kubeOptions,
  ...natsOptions,
  ...managementOptions,
  ...processOptions,
  ...healthOptions,
  namespace: stringOption({ flag: "namespace", env: "JOBTALLY_NAMESPACE", description: "watch only this namespace (default: all namespaces)", default: "" }),
  watcherId: stringOption({ flag: "watcher-id", env: "JOBTALLY_WATCHER_ID", description: "identity written into sync markers (default: hostname-pid)", default: "" }),
  podLabelSelector: stringOption({
    flag: "pod-label-selector",
    env: "JOBTALLY_POD_LABEL_SELECTOR",
    description: "label selector of the Pods watched (default: Pods with batch.kubernetes.io/controller-uid; all Pods with --manage-all-jobs)",
    default: "",
  }),
  watchAllPods: booleanOption({
    flag: "watch-all-pods",
    env: "JOBTALLY_WATCH_ALL_PODS",
    description: "watch every Pod, not only those with batch.kubernetes.io/controller-uid: orphan Pods a manualSelector Job selects are adopted only if seen (implied by --manage-all-jobs)",
    default: false,
  }),
  syncMarkerIntervalMs: durationMsOption({ flag: "sync-marker-interval", env: "JOBTALLY_SYNC_MARKER_INTERVAL", description: "how often the per-partition sync markers are refreshed", default: 5000, min: 100 }),
  listPageSize: integerOption({ flag: "list-page-size", env: "JOBTALLY_LIST_PAGE_SIZE", description: "page size of the initial lists and relists", default: 500, min: 1, max: 10_000 }),
};
