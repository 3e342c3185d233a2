/** `jobtally counter` options. */
import { kubeOptions, managementOptions, natsOptions, healthOptions, processOptions, sharedBudgetOptions } from "../../shared/config/common.js";
import { durationMsOption, integerOption, numberOption, stringOption } from "../../shared/config/options.js";

export const counterOptionSchema = {
  ...kubeOptions,
  ...natsOptions,
  ...managementOptions,
  ...processOptions,
  ...healthOptions,
  ...sharedBudgetOptions,
  partitionSet: stringOption({
    flag: "partition-set",
    env: "JOBTALLY_PARTITION_SET",
    description:
      'partitions this counter may own: "auto" (a fair share of all of them, balanced over the live replicas: the way to scale) or an expert override such as "0-7,12" (this replica takes exactly those, still through leases)',
    default: "auto",
  }),
  replicaId: stringOption({
    flag: "replica-id",
    env: "JOBTALLY_REPLICA_ID",
    description: "this replica's name in the ownership bucket (letters, digits, - _ =; default hostname-pid; in Kubernetes the Pod name)",
    default: "",
    pattern: /^[-_=A-Za-z0-9]*$/,
  }),
  leaseDurationMs: durationMsOption({
    flag: "lease-duration",
    env: "JOBTALLY_LEASE_DURATION",
    description: "a partition lease (or replica heartbeat) not renewed for this long, as another replica observes it, is taken over (kube-controller-manager: 15 s)",
    default: 15_000,
    min: 1000,
  }),
  leaseRenewDeadlineMs: durationMsOption({
    flag: "lease-renew-deadline",
    env: "JOBTALLY_LEASE_RENEW_DEADLINE",
    description: "a holder that could not renew its lease for this long stops acting on the partition (shorter than --lease-duration)",
    default: 10_000,
    min: 500,
  }),
  leaseRetryPeriodMs: durationMsOption({
    flag: "lease-retry-period",
    env: "JOBTALLY_LEASE_RETRY_PERIOD",
    description: "how often leases and the heartbeat are renewed and free partitions looked for (shorter than --lease-renew-deadline)",
    default: 2_000,
    min: 100,
  }),
  viewStaleAfterMs: durationMsOption({
    flag: "view-stale-after",
    env: "JOBTALLY_VIEW_STALE_AFTER",
    description: "a partition whose newest watcher sync marker is older than this is stale: no Pod is created for it until a watcher writes a fresh one",
    default: 30_000,
    min: 1000,
  }),
  batchPeriodMs: durationMsOption({
    flag: "batch-period",
    env: "JOBTALLY_BATCH_PERIOD",
    description:
      "a Job's status is written at most once per this period after Pod events (in-tree syncJobBatchPeriod; a Pod's lag to being counted is about twice it); under a --shared-qps below 200 a Job's period grows with it, up to 10 x, so each write carries ~180 finished Pods",
    default: 800,
    min: 0,
    max: 60_000,
  }),
  batchMaxPods: integerOption({ flag: "batch-max-pods", env: "JOBTALLY_BATCH_MAX_PODS", description: "sync a Job at once, without waiting for the batch period, when this many finished Pods wait to be listed", default: 500, min: 1, max: 500 }),
  maxUncountedPods: integerOption({ flag: "max-uncounted-pods", env: "JOBTALLY_MAX_UNCOUNTED_PODS", description: "cap on UIDs in status.uncountedTerminatedPods", default: 500, min: 1, max: 500 }),
  apiQps: numberOption({ flag: "api-qps", env: "JOBTALLY_COUNTER_QPS", description: "Kubernetes API requests per second of this counter (status writes, reads, events); 0 = unlimited", default: 50, min: 0 }),
  apiBurst: integerOption({ flag: "api-burst", env: "JOBTALLY_COUNTER_BURST", description: "burst of the counter's API budget (0 = 2 × qps)", default: 0, min: 0 }),
  syncConcurrency: integerOption({ flag: "sync-concurrency", env: "JOBTALLY_SYNC_CONCURRENCY", description: "Jobs synced at the same time (kube-controller-manager: 5)", default: 8, min: 1, max: 256 }),
  expectationsTimeoutMs: durationMsOption({ flag: "expectations-timeout", env: "JOBTALLY_EXPECTATIONS_TIMEOUT", description: "how long a published creation/deletion is expected before it is planned again", default: 120_000, min: 1000 }),
  removalRepublishMs: durationMsOption({ flag: "removal-republish", env: "JOBTALLY_REMOVAL_REPUBLISH", description: "re-publish a finalizer removal the view has not shown done after this long", default: 300_000, min: 1000 }),
  podBackoffBaseMs: durationMsOption({ flag: "pod-failure-backoff", env: "JOBTALLY_POD_FAILURE_BACKOFF", description: "first delay before replacing a failed Pod (doubles per failure since the last success)", default: 10_000, min: 0 }),
  podBackoffMaxMs: durationMsOption({ flag: "pod-failure-backoff-max", env: "JOBTALLY_POD_FAILURE_BACKOFF_MAX", description: "cap of the replacement delay", default: 600_000, min: 0 }),
  maxCreationsInFlight: integerOption({
    flag: "max-creations-in-flight",
    env: "JOBTALLY_MAX_CREATIONS_IN_FLIGHT",
    description: "ceiling on the Pod creations this counter has published and not yet seen (0 = none: the cap follows the measured creation throughput, a third of the intents' time to live of it, starting from 5 s of --shared-qps, at least 500, or 2000 without a shared budget)",
    default: 0,
    min: 0,
    max: 1_000_000,
  }),
  maxPodCreationsPerSync: integerOption({ flag: "max-creations-per-sync", env: "JOBTALLY_MAX_CREATIONS_PER_SYNC", description: "Pod creations one sync may plan", default: 500, min: 1, max: 10_000 }),
  emitEvents: stringOption({ flag: "events", env: "JOBTALLY_EVENTS", description: "Kubernetes Events on Jobs: all, terminal (only Completed/Failed), none", default: "all", oneOf: ["all", "terminal", "none"] }),
};
