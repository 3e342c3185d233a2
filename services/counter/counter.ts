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
import { apiErrorInfo } from "../../shared/kube/errors.js";
import type { CounterMetrics } from "../../shared/observability/metrics.js";
import { DeadLetters, IntentPublisher, followView, deleteViewRecord, onReconnect, type ViewEntry, type ViewFollower } from "../../shared/nats/index.js";
import { parseViewSubject } from "../../shared/view/subjects.js";
import { NO_OWNER_TOKEN, VIEW_SUBJECT_PREFIX } from "../../shared/constants.js";
import type { ConfigOf } from "../../shared/config/options.js";
import { parsePartitionSet } from "../../shared/partition.js";
import { JobState } from "./job-state.js";
import { JobSyncer } from "./job-syncer.js";
import { waitForCreationQueueToDrain } from "./pending-creations.js";
import { SyncScheduler } from "./sync-scheduler.js";
import type { PlannedEvent } from "./logic/types.js";
import type { counterOptionSchema } from "./options.js";

/** Events that end a Job: never spam-filtered (`--events terminal` keeps only these). */
const TERMINAL_EVENT_REASONS = new Set(["Completed", "BackoffLimitExceeded", "DeadlineExceeded"]);

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

interface PartitionState {
  id: number;
  jobs: Map<string, JobState>;
  caughtUp: boolean;
  synced: boolean;
  /** No creations yet: creation intents from before this session may still be queued (pending-creations.ts). */
  creationsHeld: boolean;
}

export interface RunningCounter {
  /** Resolves once every owned partition is replayed and synced. */
  ready: Promise<void>;
  isReady(): boolean;
  done: Promise<void>;
}

export function startCounter(config: CounterConfig, deps: CounterDeps): RunningCounter {
  const { kube, logger, metrics, signal } = deps;
  const now = deps.now ?? Date.now;
  const js = jetstream(deps.nc);
  const owned = parsePartitionSet(config.partitionSet, config.partitions);
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
  let partitions = new Map<number, PartitionState>();
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  let readyCount = 0;
  /** Sync markers must come from a watcher epoch above this (raised when NATS came back). */
  let minMarkerEpoch = 0;
  let maxMarkerEpochSeen = 0;
  const attempts = new Map<string, number>();
  metrics.partitionsOwned.set(owned.length);

  const timed = async <T>(verb: string, resource: string, fn: () => Promise<T>, priority = 0): Promise<T> => {
    return api.run(async () => {
      try {
        const out = await fn();
        metrics.apiRequests.inc({ verb, resource, code: "200" });
        return out;
      } catch (err) {
        metrics.apiRequests.inc({ verb, resource, code: String(apiErrorInfo(err).code ?? "error") });
        throw err;
      }
    }, priority);
  };

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
      writeStatus: (job) =>
        timed("update", "jobs/status", () => kube.batch.replaceNamespacedJobStatus({ name: job.metadata?.name ?? "", namespace: job.metadata?.namespace ?? "", body: job }), 2),
      readJob: (namespace, name) => timed("get", "jobs", () => kube.batch.readNamespacedJobStatus({ name, namespace }), 2),
      publishIntents: (list) => intents.publishAll(list),
      purge: (subject, seq) => {
        return deleteViewRecord(deps.nc, seq).catch((err: unknown) => {
          logger.warn({ subject, err: String(err) }, "purge of a settled view record failed (harmless; retried on the next replay)");
        });
      },
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
    if (!p || !state || !(p.caughtUp && p.synced)) return;
    const attempt = attempts.get(key) ?? 0;
    const started = process.hrtime.bigint();
    const outcome = await syncer.sync(state, attempt, p.creationsHeld ? 0 : Math.max(0, maxCreationsInFlight - creationsInFlight()));
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
    }
  }

  function onEntry(p: PartitionState, e: ViewEntry): void {
    const r = e.record;
    metrics.viewRecordsConsumed.inc({ kind: r.kind });
    if (r.kind === "sync") {
      maxMarkerEpochSeen = Math.max(maxMarkerEpochSeen, r.epoch);
      if (!p.synced && r.epoch > minMarkerEpoch) {
        p.synced = true;
        maybeReady(p);
      }
      return;
    }
    const uid = r.kind === "job" ? r.uid : (r.jobUID ?? NO_OWNER_TOKEN);
    let state = p.jobs.get(uid);
    if (!state) {
      state = new JobState(uid, p.id);
      if (uid === NO_OWNER_TOKEN) state.gone = true;
      p.jobs.set(uid, state);
    }
    const change = r.kind === "job" ? state.applyJobRecord(r, e.subject, e.seq) : state.applyPodRecord(r, e.subject, e.seq);
    if (logger.isLevelEnabled("trace")) logger.trace({ partition: p.id, seq: e.seq, subject: e.subject, rv: r.resourceVersion, change, gone: r.gone }, "view record");
    if (change === "none" || !(p.caughtUp && p.synced)) return;
    const key = jobKey(p.id, uid);
    if (change === "job-spec" || change === "job-gone") scheduler.enqueueSyncJobImmediately(key);
    else if (change === "pod-finished" && state.finishedSinceSync >= config.batchMaxPods) scheduler.enqueueSyncJobImmediately(key);
    else if (state.quiescent()) scheduler.enqueueSyncJobImmediately(key);
    else scheduler.enqueueSyncJobBatched(key);
  }

  function maybeReady(p: PartitionState): void {
    if (!(p.caughtUp && p.synced)) return;
    readyCount++;
    metrics.partitionsReady.set(readyCount);
    logger.info({ partition: p.id, jobs: p.jobs.size }, "partition ready: view replayed and synced");
    for (const uid of p.jobs.keys()) scheduler.enqueueSyncJobImmediately(jobKey(p.id, uid));
    if (readyCount === owned.length) readyResolve();
    const session = partitions;
    void waitForCreationQueueToDrain(deps.nc, p.id, { maxWaitMs: Math.floor(config.expectationsTimeoutMs / 2), signal }).then((queued) => {
      if (partitions !== session) return;
      p.creationsHeld = false;
      if (queued !== 0) logger.info({ partition: p.id, queued }, "creation intents of an earlier session drained: creating Pods again");
      for (const uid of p.jobs.keys()) scheduler.enqueueSyncJobImmediately(jobKey(p.id, uid));
    });
  }

  const maxCreationsInFlight = creationsInFlightCap(config);
  /** Creations published by this counter and not yet seen in the view, over all its Jobs. */
  function creationsInFlight(): number {
    let n = 0;
    for (const p of partitions.values()) for (const j of p.jobs.values()) n += j.creationsInFlight.size;
    return n;
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

  const statsTimer = setInterval(() => {
    let jobs = 0;
    let pods = 0;
    for (const p of partitions.values()) {
      jobs += p.jobs.size;
      for (const j of p.jobs.values()) pods += j.pods.size;
    }
    metrics.jobsTracked.set(jobs);
    metrics.podsTracked.set(pods);
  }, 2000);
  statsTimer.unref();

  let follower: ViewFollower = startSession();
  // After NATS comes back, what the counter derived from the stream may be ahead of the stream (a
  // killed single-node server can lose acknowledged writes and reuse their sequence numbers):
  // rebuild everything from a fresh replay, and act again only on a sync marker of a newer watcher
  // epoch, written after the watcher itself re-read the view and relisted.
  onReconnect(deps.nc, () => {
    if (signal.aborted) return;
    logger.warn({ minMarkerEpoch: maxMarkerEpochSeen }, "NATS came back: rebuilding the counter's state from a fresh replay of the view");
    minMarkerEpoch = maxMarkerEpochSeen;
    const old = follower;
    follower = startSession();
    void old.stop();
  });

  /** A fresh set of partitions and one follower over the whole view. */
  function startSession(): ViewFollower {
    const session = new Map<number, PartitionState>();
    for (const id of owned) session.set(id, { id, jobs: new Map(), caughtUp: false, synced: false, creationsHeld: true });
    partitions = session;
    readyCount = 0;
    metrics.partitionsReady.set(0);
    // Records of partitions this counter does not own are skipped.
    return followView(js, {
      filter: `${VIEW_SUBJECT_PREFIX}.>`,
      logger,
      onEntry: (e) => {
        if (partitions !== session) return;
        const parsed = parseViewSubject(e.subject);
        const p = parsed ? session.get(parsed.partition) : undefined;
        if (p) onEntry(p, e);
      },
      onCaughtUp: () => {
        if (partitions !== session) return;
        for (const p of session.values()) {
          p.caughtUp = true;
          if (!p.synced) logger.info({ partition: p.id }, "waiting for a watcher sync marker before acting on this partition");
          maybeReady(p);
        }
        logger.info({ partitions: owned.length }, "view replayed");
      },
      onMalformed: (subject, data, err) => {
        metrics.deadLetters.inc({ source: "view" });
        void deadLetters.send("view", err.message, data, { subject });
      },
    });
  }

  const done = (async () => {
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
    await follower.stop();
    await scheduler.drain();
    await api.onIdle();
    await serviceBudget.stop();
    clearInterval(statsTimer);
  })();

  let budgetJoined = false;
  void serviceBudget.joined.then(() => (budgetJoined = true));
  return { ready: Promise.all([ready, serviceBudget.joined]).then(() => undefined), isReady: () => readyCount === owned.length && budgetJoined, done };
}

/**
 * The cap on creations in flight: a few seconds of the API budget, so that a creation never waits
 * in the queue anywhere near its time to live (half the expectations timeout).
 */
export function creationsInFlightCap(config: Pick<CounterConfig, "maxCreationsInFlight" | "sharedQps">): number {
  if (config.maxCreationsInFlight > 0) return config.maxCreationsInFlight;
  return config.sharedQps > 0 ? Math.max(500, Math.round(config.sharedQps * 5)) : 2000;
}
