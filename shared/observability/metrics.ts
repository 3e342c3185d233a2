/**
 * Every Prometheus metric jobtally's pipeline services export, declared in one place. Names follow
 * the in-tree Job controller's where they mean the same thing, under a `jobtally_` prefix.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: "jobtally_process_" });
  return registry;
}

/** Usage of the JetStream streams; every service reads it (shared/nats/stream-usage.ts). */
export function createStreamMetrics(registry: Registry) {
  return {
    usageRatio: new Gauge({
      name: "jobtally_stream_usage_ratio",
      help: "Fraction of a stream's limit in use (limit=msgs or bytes); past --stream-warn-ratio a warning is logged. At 1 the view and the intents refuse new messages (their publishers wait), the DLQ drops its oldest",
      labelNames: ["stream", "limit"],
      registers: [registry],
    }),
    messages: new Gauge({ name: "jobtally_stream_messages", help: "Messages held by a stream", labelNames: ["stream"], registers: [registry] }),
    bytes: new Gauge({ name: "jobtally_stream_bytes", help: "Bytes held by a stream", labelNames: ["stream"], registers: [registry] }),
    nearLimit: new Counter({ name: "jobtally_stream_near_limit_total", help: "Checks that found a stream past --stream-warn-ratio of a limit", labelNames: ["stream"], registers: [registry] }),
  };
}
export type StreamMetrics = ReturnType<typeof createStreamMetrics>;

export function createWatcherMetrics(registry: Registry) {
  return {
    published: new Counter({ name: "jobtally_view_records_published_total", help: "View records handed to JetStream, by kind", labelNames: ["kind"], registers: [registry] }),
    watchEvents: new Counter({ name: "jobtally_watch_events_total", help: "Watch events received, by resource and type", labelNames: ["resource", "type"], registers: [registry] }),
    relists: new Counter({ name: "jobtally_relists_total", help: "Complete lists published (start-up and after 410 Gone)", labelNames: ["resource"], registers: [registry] }),
  };
}
export type WatcherMetrics = ReturnType<typeof createWatcherMetrics>;

export function createCounterMetrics(registry: Registry) {
  return {
    syncDuration: new Histogram({
      name: "jobtally_job_sync_duration_seconds",
      help: "Time to sync one Job (plan, status write, intents)",
      labelNames: ["result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers: [registry],
    }),
    jobsFinished: new Counter({ name: "jobtally_jobs_finished_total", help: "Jobs that reached a terminal condition", labelNames: ["completion_mode", "result", "reason"], registers: [registry] }),
    podsFinished: new Counter({ name: "jobtally_job_pods_finished_total", help: "Pods counted into succeeded/failed", labelNames: ["completion_mode", "result"], registers: [registry] }),
    trackingFinalizer: new Counter({
      name: "jobtally_terminated_pods_tracking_finalizer_total",
      help: "Finished Pods listed in uncountedTerminatedPods (event=add) and moved out of it (event=delete)",
      labelNames: ["event"],
      registers: [registry],
    }),
    eventsDropped: new Counter({ name: "jobtally_events_dropped_total", help: "Job events not sent because the Job used up its event budget (client-go spam filter: 25, then one per 5 min)", labelNames: ["reason"], registers: [registry] }),
    apiBudgetQps: new Gauge({ name: "jobtally_api_budget_qps", help: "API requests per second this process may use now (its share of a shared budget, or its own)", registers: [registry] }),
    statusWrites: new Counter({ name: "jobtally_job_status_writes_total", help: "Job status writes, by outcome", labelNames: ["outcome"], registers: [registry] }),
    intentsPublished: new Counter({ name: "jobtally_intents_published_total", help: "Intents published to the work queue", labelNames: ["kind"], registers: [registry] }),
    firstSeenFinishedChecked: new Counter({
      name: "jobtally_first_seen_finished_pods_checked_total",
      help: "Pods first seen already finished with the finalizer (a rebuild, a relist, a record older than the Pod), checked against the API server before listing: confirmed, or older than the Pod (gone, finalizer off) and not counted again",
      labelNames: ["outcome"],
      registers: [registry],
    }),

    viewRecordsConsumed: new Counter({ name: "jobtally_view_records_consumed_total", help: "View records consumed, by kind", labelNames: ["kind"], registers: [registry] }),
    deadLetters: new Counter({ name: "jobtally_dead_letters_total", help: "Records sent to the dead-letter stream", labelNames: ["source"], registers: [registry] }),
    partitionsOwned: new Gauge({ name: "jobtally_partitions_owned", help: "Partitions this counter owns", registers: [registry] }),
    partitionsReady: new Gauge({ name: "jobtally_partitions_ready", help: "Owned partitions whose view is replayed and has a fresh sync marker", registers: [registry] }),
    partitionsViewStale: new Gauge({ name: "jobtally_partitions_view_stale", help: "Owned partitions whose newest watcher sync marker is older than --view-stale-after (no Pod is created for them)", registers: [registry] }),
    replicasLive: new Gauge({ name: "jobtally_counter_replicas_live", help: "Counter replicas this one sees alive in the ownership bucket (itself included)", registers: [registry] }),
    leaseAcquisitions: new Counter({ name: "jobtally_lease_acquisitions_total", help: "Partition leases this replica acquired", registers: [registry] }),
    leaseLosses: new Counter({ name: "jobtally_lease_losses_total", help: "Partition leases this replica lost without handing them over (expired: not renewed in time; taken: another replica holds it)", labelNames: ["reason"], registers: [registry] }),
    leaseReleases: new Counter({ name: "jobtally_lease_releases_total", help: "Partition leases this replica handed over after draining (rebalance, shutdown)", labelNames: ["reason"], registers: [registry] }),
    rebalanceDuration: new Histogram({
      name: "jobtally_rebalance_duration_seconds",
      help: "From a change in the live counter replicas until this replica holds its fair share",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 60],
      registers: [registry],
    }),
    jobsTracked: new Gauge({ name: "jobtally_jobs_tracked", help: "Jobs held in memory", registers: [registry] }),
    podsTracked: new Gauge({ name: "jobtally_pods_tracked", help: "Pod view records held in memory", registers: [registry] }),
    apiRequests: new Counter({ name: "jobtally_api_requests_total", help: "Kubernetes API requests, by verb, resource and code", labelNames: ["verb", "resource", "code"], registers: [registry] }),
  };
}
export type CounterMetrics = ReturnType<typeof createCounterMetrics>;

export function createRemoverMetrics(registry: Registry, queueDepth: () => number) {
  return {
    apiBudgetQps: new Gauge({ name: "jobtally_api_budget_qps", help: "API requests per second this process may use now (its share of a shared budget, or its own)", registers: [registry] }),
    intents: new Counter({ name: "jobtally_intents_total", help: "Intents carried out, by kind and outcome", labelNames: ["kind", "outcome"], registers: [registry] }),
    apiRequests: new Counter({ name: "jobtally_api_requests_total", help: "Kubernetes API requests, by verb, resource and code", labelNames: ["verb", "resource", "code"], registers: [registry] }),
    apiDuration: new Histogram({
      name: "jobtally_api_request_duration_seconds",
      help: "Kubernetes API request latency, by verb and resource",
      labelNames: ["verb", "resource"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "jobtally_work_queue_depth",
      help: "API calls waiting for the budget plus those in flight",
      registers: [registry],
      collect() {
        this.set(queueDepth());
      },
    }),
    deadLetters: new Counter({ name: "jobtally_dead_letters_total", help: "Records sent to the dead-letter stream", labelNames: ["source"], registers: [registry] }),
    fenced: new Counter({
      name: "jobtally_intents_fenced_total",
      help: "Intents refused, never executed, because the partition lease they were decided under was superseded (fencing)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    refused: new Counter({
      name: "jobtally_intents_refused_total",
      help: "Intents refused and dead-lettered, never executed, because they do not match a managed Job (finalizer-remover/verify.ts), by kind and reason",
      labelNames: ["kind", "reason"],
      registers: [registry],
    }),
    rejected: new Counter({
      name: "jobtally_intent_rejections_total",
      help: "Non-retryable API answers (webhook, 403, 422...) to intents, by kind and code",
      labelNames: ["kind", "code"],
      registers: [registry],
    }),
  };
}
export type RemoverMetrics = ReturnType<typeof createRemoverMetrics>;
