/**
 * The counter: owns a set of partitions; for each, replays and follows the view, holds one
 * JobState per Job, and syncs Jobs through the scheduler. A partition is acted on only once its
 * replay has caught up and a watcher sync marker was seen (the view is complete).
 */
import type { CoreV1Event, V1Job } from "@kubernetes/client-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import type { Logger } from "../../shared/observability/logger.js";
import type { KubeClients } from "../../shared/kube/client.js";
import { createServiceBudget } from "../../shared/kube/budget/service-budget.js";
import { EventSpamFilter } from "../../shared/kube/event-spam-filter.js";
import { apiErrorInfo, orNullIfNotFound } from "../../shared/kube/errors.js";
import { WatcherSessions } from "./watcher-sessions.js";
import PQueue from "p-queue";
import type { CounterMetrics } from "../../shared/observability/metrics.js";
import { DeadLetters, IntentPublisher, followView, deleteViewRecord, onDisconnect, onReconnect, type ViewEntry, type ViewFollower } from "../../shared/nats/index.js";
import { NO_OWNER_TOKEN, VIEW_SUBJECT_PREFIX } from "../../shared/constants.js";
import { ConfigError, type ConfigOf } from "../../shared/config/options.js";
import { parsePartitionSet } from "../../shared/partition.js";
import { openOwnershipBucket } from "../../shared/ownership/bucket.js";
import { PartitionOwner, type OwnershipListener } from "../../shared/ownership/partition-owner.js";
import { sanitizeReplicaId, type LeaseToken } from "../../shared/ownership/records.js";
import os from "node:os";
import { JobState } from "./job-state.js";
import { JobSyncer, LeaseLostError, type SyncLease } from "./job-syncer.js";
import { isViewFresh } from "./view-freshness.js";
import { retryUntilDone } from "../../shared/backoff.js";
import { waitForCreationQueueToDrain } from "./pending-creations.js";
import { SyncScheduler } from "./sync-scheduler.js";
import { subscribeCreationFailures } from "./creation-failures.js";
import type { PlannedEvent } from "./logic/types.js";
import { batchPeriodMs } from "./logic/batch-period.js";
import { creationCap, CreationThroughput, type CreationCapConfig } from "./logic/creation-cap.js";
import type { counterOptionSchema } from "./options.js";

/** Events that end a Job: never spam-filtered (`--events terminal` keeps only these). */
const TERMINAL_EVENT_REASONS = new Set(["Completed", "BackoffLimitExceeded", "DeadlineExceeded"]);

/** Deletions of settled view records in flight at once. */
const PURGES_IN_FLIGHT = 16;

export type CounterConfig = ConfigOf<typeof counterOptionSchema>;

export interface CounterDeps {
  kube: KubeClients;
  nc: NatsConnection;
  logger: Logger;
  metrics: CounterMetrics;
  signal: AbortSignal;
  now?: () => number;
  random?: () => number;
}

/** One owned partition: rebuilt from its own slice of the view each time its lease is taken. */
interface PartitionState {
  id: number;
  /** The lease this replica acts under; in every intent, checked before every act. */
  lease: LeaseToken;
  syncLease: SyncLease;
  jobs: Map<string, JobState>;
  caughtUp: boolean;
  synced: boolean;
  /** Wall-clock ms the newest sync marker was written by a watcher (0: none seen). */
  markerAtMs: number;
  /** The view was stale at the last check (no fresh sync marker): no creations. */
  stale: boolean;
  /** No creations yet: creation intents from before this session may still be queued (pending-creations.ts). */
  creationsHeld: boolean;
  /** Handing over (or lost): no new sync starts. */
  closing: boolean;
  follower: ViewFollower;
  /** Syncs of this partition's Jobs running now. */
  running: Set<Promise<unknown>>;
  /** Creations in flight carried over from the state this one rebuilds (same lease), by Job UID. */
  carriedCreations: Map<string, JobState["creationsInFlight"]>;
}

export interface RunningCounter {
  /** Resolves once this replica joined the ownership bucket and the shared budget. */
  ready: Promise<void>;
  /** Joined, and every partition it owns is replayed and has a fresh sync marker. */
  isReady(): boolean;
  done: Promise<void>;
}

/** Timings that cannot work together stop start-up with a message naming them. */
export function checkCounterTiming(config: Pick<CounterConfig, "leaseDurationMs" | "leaseRenewDeadlineMs" | "leaseRetryPeriodMs" | "viewStaleAfterMs" | "expectationsTimeoutMs">): void {
  const problems: string[] = [];
  if (!(config.viewStaleAfterMs < config.expectationsTimeoutMs)) {
    // Otherwise a creation published just before the watcher died expires while the view still
    // counts as fresh, and is planned again blindly.
    problems.push(`--view-stale-after (${config.viewStaleAfterMs} ms) must be shorter than --expectations-timeout (${config.expectationsTimeoutMs} ms)`);
  }
  if (!(config.leaseRenewDeadlineMs < config.leaseDurationMs)) {
    problems.push(`--lease-renew-deadline (${config.leaseRenewDeadlineMs} ms) must be shorter than --lease-duration (${config.leaseDurationMs} ms), or two replicas could act for one partition`);
  }
  if (!(config.leaseRetryPeriodMs < config.leaseRenewDeadlineMs)) {
    problems.push(`--lease-retry-period (${config.leaseRetryPeriodMs} ms) must be shorter than --lease-renew-deadline (${config.leaseRenewDeadlineMs} ms)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

export function startCounter(config: CounterConfig, deps: CounterDeps): RunningCounter {
  checkCounterTiming(config);
  const { kube, logger, metrics, signal } = deps;
  const now = deps.now ?? Date.now;
  const js = jetstream(deps.nc);
  const partitionSet = config.partitionSet === "auto" ? "auto" : parsePartitionSet(config.partitionSet, config.partitions);
  const replicaId = config.replicaId || sanitizeReplicaId(`${os.hostname()}-${process.pid}`);
  const intents = new IntentPublisher(js, { logger });
  const deadLetters = new DeadLetters(js, { logger });
  const serviceBudget = createServiceBudget(
    "counter",
    { qps: config.apiQps, burst: config.apiBurst, concurrency: Math.max(4, config.syncConcurrency), sharedQps: config.sharedQps, sharedBurst: config.sharedBurst, budgetGroup: config.budgetGroup },
    deps.nc,
    logger,
    (qps) => metrics.apiBudgetQps.set(qps),
  );
  const api = serviceBudget.budget;
  const partitions = new Map<number, PartitionState>();
  /** Which watcher sessions' markers count (after NATS came back: only sessions begun since). */
  const watcherSessions = new WatcherSessions();
  onDisconnect(deps.nc, () => watcherSessions.connectionLost());
  const attempts = new Map<string, number>();

  const timed = async <T>(verb: string, resource: string, fn: () => Promise<T>, priority = 0, stillWanted?: () => void): Promise<T> => {
    return api.run(async () => {
      try {
        const out = await fn();
        metrics.apiRequests.inc({ verb, resource, code: "200" });
        return out;
      } catch (err) {
        metrics.apiRequests.inc({ verb, resource, code: String(apiErrorInfo(err).code ?? "error") });
        throw err;
      }
    }, priority, stillWanted);
  };

  const purgeQueue = new PQueue({ concurrency: PURGES_IN_FLIGHT });
  const syncer = new JobSyncer(
    {
      syncOptions: {
        maxUncountedPods: config.maxUncountedPods,
        podFailureBackoffBaseMs: config.podBackoffBaseMs,
        podFailureBackoffMaxMs: config.podBackoffMaxMs,
        maxPodCreationsPerSync: config.maxPodCreationsPerSync,
      },
      expectationsTimeoutMs: config.expectationsTimeoutMs,
      removalRepublishMs: config.removalRepublishMs,
      progressWriteDelayMs: config.batchPeriodMs,
      creationIntentTtlMs: Math.floor(config.expectationsTimeoutMs / 2),
    },
    {
      writeStatus: (job, canActNow) =>
        timed("update", "jobs/status", () => kube.batch.replaceNamespacedJobStatus({ name: job.metadata?.name ?? "", namespace: job.metadata?.namespace ?? "", body: job }), 2, () => {
          if (!canActNow()) throw new LeaseLostError("the partition lease was lost while the status write waited for the API budget");
        }),
      readJob: (namespace, name) => timed("get", "jobs", () => kube.batch.readNamespacedJobStatus({ name, namespace }), 2),
      readPod: (namespace, name) => timed("get", "pods", () => orNullIfNotFound(kube.core.readNamespacedPod({ name, namespace })), 2),
      publishIntents: (list) => intents.publishAll(list),
      // A finished Job's tombstones all go at once (tens of thousands for a big Job): a few
      // deletions in flight at a time, not one request each at once.
      purge: (subject, seq) =>
        purgeQueue.add(() =>
          deleteViewRecord(deps.nc, seq).catch((err: unknown) => {
            logger.warn({ subject, seq, err: String(err) }, "purge of a settled view record failed (harmless; retried on the next replay)");
          }),
        ),
      recordEvents: (job, events) => recordEvents(job, events),
      now,
      random: deps.random ?? Math.random,
      logger,
      metrics,
    },
  );

  const scheduler = new SyncScheduler({
    concurrency: config.syncConcurrency,
    batchPeriodMs: config.batchPeriodMs,
    run: (key) => runSync(key),
    onError: (key, err) => {
      logger.error({ job: key, err: err instanceof Error ? err.stack : String(err) }, "job sync crashed; retrying");
      scheduler.enqueueAfter(key, 1000);
    },
  });

  function jobKey(partition: number, uid: string): string {
    return `${partition}/${uid}`;
  }

  async function runSync(key: string): Promise<void> {
    const slash = key.indexOf("/");
    const p = partitions.get(Number(key.slice(0, slash)));
    const state = p?.jobs.get(key.slice(slash + 1));
    if (!p || !state || p.closing || !isPartitionReady(p)) return;
    const running = syncOne(p, state, key);
    p.running.add(running);
    try {
      await running;
    } finally {
      p.running.delete(running);
    }
  }

  async function syncOne(p: PartitionState, state: JobState, key: string): Promise<void> {
    const attempt = attempts.get(key) ?? 0;
    const started = process.hrtime.bigint();
    const allowance = p.creationsHeld || p.stale ? 0 : creationAllowance();
    const before = state.creationsInFlight.size;
    const outcome = await syncer.sync(state, attempt, p.syncLease, allowance);
    if (state.creationsInFlight.size !== before) creationThroughput.observe(now(), 0, creationsInFlight());
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.syncDuration.observe({ result: outcome.kind === "retry" ? "retry" : "ok" }, seconds);
    switch (outcome.kind) {
      case "done":
        attempts.delete(key);
        if (outcome.requeueAfterMs !== null) scheduler.enqueueAfter(key, outcome.requeueAfterMs);
        break;
      case "retry":
        attempts.set(key, attempt + 1);
        scheduler.enqueueAfter(key, outcome.delayMs);
        break;
      case "forget":
        attempts.delete(key);
        p.jobs.delete(state.uid);
        scheduler.forget(key);
        break;
      case "fenced":
        // The lease is gone: the partition is being dropped (owner.lost / release).
        attempts.delete(key);
        break;
    }
  }

  function isPartitionReady(p: PartitionState): boolean {
    return p.caughtUp && p.synced;
  }

  function onEntry(p: PartitionState, e: ViewEntry): void {
    const r = e.record;
    metrics.viewRecordsConsumed.inc({ kind: r.kind });
    if (r.kind === "sync") {
      if (!watcherSessions.accept(r)) return;
      p.markerAtMs = Math.max(p.markerAtMs, r.syncedAtMs);
      if (!p.synced) {
        p.synced = true;
        maybeReady(p);
      } else if (p.stale) checkFreshness(p);
      return;
    }
    const uid = r.kind === "job" ? r.uid : (r.jobUID ?? NO_OWNER_TOKEN);
    let state = p.jobs.get(uid);
    if (!state) {
      state = new JobState(uid, p.id);
      state.replaying = !p.caughtUp;
      if (uid === NO_OWNER_TOKEN) state.gone = true;
      for (const [name, e] of p.carriedCreations.get(uid) ?? []) state.creationsInFlight.set(name, e);
      p.carriedCreations.delete(uid);
      p.jobs.set(uid, state);
    }
    const inFlightBefore = state.creationsInFlight.size;
    const change = r.kind === "job" ? state.applyJobRecord(r, e.subject, e.seq) : state.applyPodRecord(r, e.subject, e.seq);
    if (state.creationsInFlight.size < inFlightBefore) creationSeen(inFlightBefore - state.creationsInFlight.size, state);
    if (logger.isLevelEnabled("trace")) logger.trace({ partition: p.id, seq: e.seq, subject: e.subject, rv: r.resourceVersion, change, gone: r.gone }, "view record");
    if (change === "none" || !isPartitionReady(p)) return;
    const key = jobKey(p.id, uid);
    if (change === "pod-finished") state.finishRate.add(now());
    if (change === "job-spec" || change === "job-gone") scheduler.enqueueSyncJobImmediately(key);
    else if (change === "pod-finished" && state.finishedSinceSync >= config.batchMaxPods) scheduler.enqueueSyncJobImmediately(key);
    else if (state.quiescent()) scheduler.enqueueSyncJobImmediately(key);
    else {
      state.batchPeriodMs = batchPeriodMs({ basePeriodMs: config.batchPeriodMs, budgetQps: config.sharedQps, finishRatePerSec: state.finishRate.perSec(now()) });
      scheduler.enqueueSyncJobBatched(key, state.batchPeriodMs);
    }
  }

  function maybeReady(p: PartitionState): void {
    if (!isPartitionReady(p) || p.closing) return;
    checkFreshness(p);
    updatePartitionGauges();
    logger.info({ partition: p.id, epoch: p.lease.epoch, jobs: p.jobs.size }, "partition ready: view replayed and synced");
    enqueuePartition(p);
    if (!p.creationsHeld) return;
    void waitForCreationQueueToDrain(deps.nc, p.id, { maxWaitMs: Math.floor(config.expectationsTimeoutMs / 2), signal }).then((queued) => {
      if (partitions.get(p.id) !== p || p.closing) return;
      p.creationsHeld = false;
      if (queued !== 0) logger.info({ partition: p.id, queued }, "creation intents of an earlier owner drained: creating Pods again");
      enqueuePartition(p);
    });
  }

  function enqueuePartition(p: PartitionState): void {
    for (const uid of p.jobs.keys()) scheduler.enqueueSyncJobImmediately(jobKey(p.id, uid));
  }

  /**
   * A partition's view is fresh while its newest sync marker is younger than --view-stale-after.
   * A stale view (the watcher dead, wedged or cut off) plans no creation: Pods it cannot see might
   * exist. Counting goes on (it only ever acts on what the view shows).
   */
  function checkFreshness(p: PartitionState): void {
    const fresh = isViewFresh(p.markerAtMs, now(), config.viewStaleAfterMs);
    if (fresh === !p.stale) return;
    p.stale = !fresh;
    if (p.stale) logger.warn({ partition: p.id, markerAgeMs: p.markerAtMs === 0 ? null : now() - p.markerAtMs }, "view of this partition is stale (no fresh watcher sync marker): creating no Pods for it");
    else {
      logger.info({ partition: p.id }, "view of this partition is fresh again: creating Pods again");
      enqueuePartition(p);
    }
    updatePartitionGauges();
  }

  function updatePartitionGauges(): void {
    let ready = 0;
    let stale = 0;
    for (const p of partitions.values()) {
      if (isPartitionReady(p) && !p.stale) ready++;
      if (isPartitionReady(p) && p.stale) stale++;
    }
    metrics.partitionsOwned.set(partitions.size);
    metrics.partitionsReady.set(ready);
    metrics.partitionsViewStale.set(stale);
  }

  /** The creations in flight of every Job of a partition (carried over when it is rebuilt). */
  function creationsInFlightOf(p: PartitionState): Map<string, JobState["creationsInFlight"]> {
    const out = new Map<string, JobState["creationsInFlight"]>();
    for (const [uid, j] of p.jobs) if (j.creationsInFlight.size > 0) out.set(uid, new Map(j.creationsInFlight));
    return out;
  }

  /**
   * Starts rebuilding a partition just taken: replay its slice of the view, then follow it.
   * `carried`: what this counter already knows of the partition under the same lease (rebuilt after
   * NATS came back): its creations in flight, and whether the earlier owners' creation intents
   * have drained already. Under an unchanged lease no other owner can have queued one since, so the
   * hold is not taken again (waiting for the queue to drain would wait on this owner's own intents).
   */
  function openPartition(id: number, lease: LeaseToken, carried: { creations: Map<string, JobState["creationsInFlight"]>; earlierIntentsDrained: boolean } = { creations: new Map(), earlierIntentsDrained: false }): void {
    const old = partitions.get(id);
    if (old) closePartition(old);
    const p: PartitionState = {
      id,
      lease,
      syncLease: { token: lease, canAct: () => canAct(id, lease.epoch) && partitions.get(id) === p && !p.closing },
      jobs: new Map(),
      caughtUp: false,
      synced: false,
      markerAtMs: 0,
      stale: false,
      creationsHeld: !carried.earlierIntentsDrained,
      closing: false,
      running: new Set(),
      carriedCreations: carried.creations,
      follower: undefined as unknown as ViewFollower,
    };
    partitions.set(id, p);
    p.follower = followView(js, {
      filter: `${VIEW_SUBJECT_PREFIX}.${id}.>`,
      logger,
      onEntry: (e) => {
        if (partitions.get(id) === p) onEntry(p, e);
      },
      onCaughtUp: () => {
        if (partitions.get(id) !== p) return;
        p.caughtUp = true;
        for (const j of p.jobs.values()) j.replaying = false;
        if (!p.synced) logger.info({ partition: id }, "waiting for a watcher sync marker before acting on this partition");
        maybeReady(p);
      },
      onMalformed: (subject, data, err) => {
        metrics.deadLetters.inc({ source: "view" });
        void deadLetters.send("view", err.message, data, { subject });
      },
    });
    updatePartitionGauges();
  }

  /** Stops acting on a partition at once and forgets it (its syncs still running are fenced). */
  function closePartition(p: PartitionState): void {
    p.closing = true;
    if (partitions.get(p.id) === p) partitions.delete(p.id);
    for (const uid of p.jobs.keys()) {
      const key = jobKey(p.id, uid);
      scheduler.forget(key);
      attempts.delete(key);
    }
    void p.follower.stop();
    updatePartitionGauges();
  }

  const listener: OwnershipListener = {
    acquired: (id, lease) => openPartition(id, lease),
    lost: (id) => {
      const p = partitions.get(id);
      if (p) closePartition(p);
    },
    release: async (id) => {
      const p = partitions.get(id);
      if (!p) return;
      // No new sync starts; the ones running finish (their acts still fenced by the lease).
      p.closing = true;
      await Promise.allSettled([...p.running]);
      closePartition(p);
    },
  };

  const capConfig: CreationCapConfig = { explicitMax: config.maxCreationsInFlight, sharedQps: config.sharedQps, ttlMs: Math.floor(config.expectationsTimeoutMs / 2) };
  /** Creations seen per second: the cap on creations in flight follows it (logic/creation-cap.ts). */
  const creationThroughput = new CreationThroughput();
  /** Creations published by this counter and not yet seen in the view, over all its Jobs. */
  function creationsInFlight(): number {
    let n = 0;
    for (const p of partitions.values()) for (const j of p.jobs.values()) n += j.creationsInFlight.size;
    return n;
  }
  function creationSeen(n: number, state: JobState): void {
    // Only whether any is still in flight matters: count over every Job only when this one has none left.
    creationThroughput.observe(now(), n, state.creationsInFlight.size > 0 ? state.creationsInFlight.size : creationsInFlight());
  }
  /** What is left of the cap on creations in flight (0 while the oldest creation waited half its time to live). */
  function creationAllowance(): number {
    const t = now();
    let inFlight = 0;
    let oldestAt: number | null = null;
    for (const p of partitions.values()) {
      for (const j of p.jobs.values()) {
        inFlight += j.creationsInFlight.size;
        // Entries are inserted in publication order: the first is the Job's oldest.
        for (const e of j.creationsInFlight.values()) {
          if (oldestAt === null || e.atMs < oldestAt) oldestAt = e.atMs;
          break;
        }
      }
    }
    const c = creationCap({ config: capConfig, ratePerSec: creationThroughput.ratePerSec(t), inFlight, oldestAgeMs: oldestAt === null ? null : t - oldestAt });
    return c.allowance;
  }

  const spamFilter = new EventSpamFilter();
  function recordEvents(job: V1Job, events: PlannedEvent[]): void {
    if (config.emitEvents === "none") return;
    const ns = job.metadata?.namespace ?? "default";
    for (const ev of events) {
      const terminal = TERMINAL_EVENT_REASONS.has(ev.reason ?? "");
      if (config.emitEvents === "terminal" && !terminal) continue;
      // Terminal events (one per Job) always go; the others are spam-filtered per Job, as client-go does.
      if (!terminal && !spamFilter.allow(job.metadata?.uid ?? "", now())) {
        metrics.eventsDropped.inc({ reason: ev.reason });
        continue;
      }
      const t = new Date(now());
      const body: CoreV1Event = {
        metadata: { generateName: `${job.metadata?.name ?? "job"}.`, namespace: ns },
        involvedObject: { apiVersion: "batch/v1", kind: "Job", name: job.metadata?.name, namespace: ns, uid: job.metadata?.uid, resourceVersion: job.metadata?.resourceVersion },
        reason: ev.reason,
        message: ev.message,
        type: ev.type ?? "Normal",
        source: { component: "jobtally-counter" },
        reportingComponent: "jobtally.io/counter",
        reportingInstance: `${process.pid}`,
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
      };
      void timed("create", "events", () => kube.core.createNamespacedEvent({ namespace: ns, body }), 0).catch((err: unknown) => {
        logger.debug({ job: `${ns}/${job.metadata?.name}`, err: apiErrorInfo(err).message }, "event not recorded");
      });
    }
  }

  // The API server rejected a creation (reported by the finalizer-remover): the Pod is not
  // expected any more and the Job's creations slow down (creation-failures.ts, logic/slow-start.ts).
  const creationFailures = subscribeCreationFailures(deps.nc, logger, (r) => {
    const p = partitions.get(r.partition);
    if (!p || p.closing || p.lease.epoch !== r.epoch) return;
    const state = p.jobs.get(r.jobUID);
    if (!state) return;
    if (r.outcome === "expired" || r.outcome === "unconfirmed") {
      // Still expected, so never seen: the Pod does not exist (it cannot have gone unseen, its
      // finalizer comes off only once this counter saw it). A Pod seen meanwhile is not in flight.
      if (!state.creationExpired(r.podName)) return;
      creationThroughput.observe(now(), 0, creationsInFlight());
      logger.debug({ job: state.key, partition: p.id, pod: r.podName, outcome: r.outcome }, "pod creation not carried out: planned again");
    } else {
      if (!state.creationRejected(r.podName, now())) return;
      creationSeen(1, state); // the remover carried it out (the API server said no)
      logger.info({ job: state.key, partition: p.id, pod: r.podName, code: r.code }, "pod creation rejected by the API server: not expected any more, creations slow down");
    }
    scheduler.enqueueSyncJobImmediately(jobKey(p.id, r.jobUID));
  });

  const statsTimer = setInterval(() => {
    let jobs = 0;
    let pods = 0;
    for (const p of partitions.values()) {
      jobs += p.jobs.size;
      for (const j of p.jobs.values()) pods += j.pods.size;
    }
    metrics.jobsTracked.set(jobs);
    metrics.podsTracked.set(pods);
    for (const p of partitions.values()) if (isPartitionReady(p)) checkFreshness(p);
  }, 1000);
  statsTimer.unref();

  let owner: PartitionOwner | undefined;
  let joined = false;
  const started = (async () => {
    const bucket = await retryUntilDone("open the ownership bucket", () => openOwnershipBucket(deps.nc, config.streamReplicas), logger, signal);
    if (signal.aborted) return;
    owner = new PartitionOwner(bucket, listener, {
      replicaId,
      partitions: config.partitions,
      partitionSet,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.leaseRenewDeadlineMs,
      retryPeriodMs: config.leaseRetryPeriodMs,
      logger,
      onMetrics: {
        owned: () => updatePartitionGauges(),
        liveReplicas: (n) => metrics.replicasLive.set(n),
        acquired: () => metrics.leaseAcquisitions.inc(),
        lost: (reason) => metrics.leaseLosses.inc({ reason }),
        released: (reason) => metrics.leaseReleases.inc({ reason }),
        rebalanced: (seconds) => metrics.rebalanceDuration.observe(seconds),
      },
    });
    await retryUntilDone("join the counter replicas", () => (owner as PartitionOwner).start(), logger, signal);
    joined = true;
    logger.info({ replica: replicaId, partitions: config.partitions, partitionSet: config.partitionSet }, "joined the counter replicas: taking a share of the partitions");
  })();
  const canAct = (id: number, epoch: number): boolean => owner?.canAct(id, epoch) ?? false;

  // After NATS comes back, what the counter derived from the stream may be ahead of the stream (a
  // killed single-node server can lose acknowledged writes and reuse their sequence numbers):
  // rebuild every owned partition from a fresh replay, and act again only on a sync marker of a
  // watcher session begun since (watcher-sessions.ts), which re-read the view and relisted. The
  // leases stay: a lease that could not be renewed meanwhile is lost through its own deadline.
  onReconnect(deps.nc, () => {
    if (signal.aborted) return;
    const distrusted = watcherSessions.writesMayHaveBeenLost();
    logger.warn({ watcherSessionsDistrusted: distrusted }, "NATS came back: rebuilding the owned partitions from a fresh replay of the view; acting again on a marker of a watcher session begun since");
    for (const p of [...partitions.values()]) {
      closePartition(p);
      // The creations this counter asked for under this lease are still on their way: the view is
      // rebuilt, but these expectations are its own knowledge, and dropping them would create
      // again the Pods that are created but not in the view yet.
      if (canAct(p.id, p.lease.epoch)) openPartition(p.id, p.lease, { creations: creationsInFlightOf(p), earlierIntentsDrained: !p.creationsHeld });
    }
  }, logger);

  const done = (async () => {
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
    await started.catch(() => undefined);
    // Hand every partition over at once (drain, release): the others need not wait for expiry.
    await owner?.stop();
    creationFailures.stop();
    await scheduler.drain();
    await api.onIdle();
    await serviceBudget.stop();
    clearInterval(statsTimer);
  })();

  let budgetJoined = false;
  void serviceBudget.joined.then(() => (budgetJoined = true));
  const isReady = (): boolean => {
    if (!joined || !budgetJoined || signal.aborted) return false;
    for (const p of partitions.values()) if (!isPartitionReady(p) || p.stale) return false;
    return true;
  };
  return { ready: Promise.all([started, serviceBudget.joined]).then(() => undefined), isReady, done };
}
