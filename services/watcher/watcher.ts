/**
 * The watcher: list+watch of managed Jobs and their Pods, published to the view stream.
 * Start-up: replay the view (what an earlier run published), list Jobs, list Pods, publish the
 * differences (including tombstones for what vanished meanwhile), then sync markers; then follow
 * both watches. A relist after 410 Gone goes through the same diff.
 */
import os from "node:os";
import { randomUUID } from "node:crypto";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import type { Logger } from "../../shared/observability/logger.js";
import type { KubeClients } from "../../shared/kube/client.js";
import { LABEL_CONTROLLER_UID, VIEW_SUBJECT_PREFIX } from "../../shared/constants.js";
import { ViewPublisher } from "../../shared/nats/view-publisher.js";
import { readViewSnapshot } from "../../shared/nats/view-reader.js";
import { onReconnect } from "../../shared/nats/connection.js";
import { sleep } from "../../shared/backoff.js";
import type { ConfigOf } from "../../shared/config/options.js";
import { runListWatch } from "../../shared/kube/list-watch.js";
import { labelSelectorWithinWatch, parseLabelSelectorString } from "../../shared/kube/label-selector.js";
import { WatcherState, type Publication } from "./watcher-state.js";
import type { watcherOptionSchema } from "./options.js";
import type { WatcherMetrics } from "../../shared/observability/metrics.js";

export type WatcherConfig = ConfigOf<typeof watcherOptionSchema>;

export interface WatcherDeps {
  kube: KubeClients;
  nc: NatsConnection;
  logger: Logger;
  signal: AbortSignal;
  metrics: WatcherMetrics;
  now?: () => number;
}

export interface RunningWatcher {
  /** Resolves once the first complete view (Jobs and Pods) is published. */
  ready: Promise<void>;
  done: Promise<void>;
  /**
   * Ready now: the current session's lists are published and both watches are open (a watch the
   * API server closed is normally re-opened at once: up to WATCH_REOPEN_GRACE_MS is tolerated).
   */
  isReady(): boolean;
}

/** How long the watches may be closed before /readyz says so (routine re-opens take milliseconds). */
export const WATCH_REOPEN_GRACE_MS = 10_000;

/** The current session's sync, for readiness. */
interface SyncState {
  listed: boolean;
  watchOpen: { jobs: boolean; pods: boolean };
}

export function startWatcher(config: WatcherConfig, deps: WatcherDeps): RunningWatcher {
  const { logger, signal } = deps;
  const watcherId = config.watcherId || `${os.hostname()}-${process.pid}`;
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  let session: AbortController | null = null;
  const sync: SyncState = { listed: false, watchOpen: { jobs: false, pods: false } };
  let closedSinceMs: number | null = null;
  const isReady = (): boolean => {
    if (!sync.listed) return false;
    if (sync.watchOpen.jobs && sync.watchOpen.pods) {
      closedSinceMs = null;
      return true;
    }
    closedSinceMs ??= Date.now();
    return Date.now() - closedSinceMs < WATCH_REOPEN_GRACE_MS;
  };
  // A NATS server that was killed may have lost acknowledged writes: start a new session, which
  // re-reads the view, relists, and publishes whatever the view lacks (tombstones included).
  onReconnect(deps.nc, () => {
    if (session && !session.signal.aborted) {
      logger.warn("NATS came back: re-reading the view and relisting");
      session.abort();
    }
  }, logger);
  const done = (async () => {
    let epoch = 0;
    while (!signal.aborted) {
      session = new AbortController();
      const stop = (): void => session?.abort();
      signal.addEventListener("abort", stop, { once: true });
      try {
        epoch = await runSession(config, deps, watcherId, epoch, session.signal, readyResolve, sync);
      } catch (err) {
        if (!signal.aborted) logger.error({ err: String(err) }, "watcher session failed; starting again");
        await sleep(1000, signal);
      } finally {
        signal.removeEventListener("abort", stop);
      }
    }
  })();
  return { ready, done, isReady };
}

/** One session: replay the view, list Jobs then Pods, publish the differences, follow the watches. */
async function runSession(
  config: WatcherConfig,
  deps: WatcherDeps,
  watcherId: string,
  previousEpoch: number,
  signal: AbortSignal,
  onReady: () => void,
  sync: SyncState,
): Promise<number> {
  const { kube, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const js = jetstream(deps.nc);
  const publisher = new ViewPublisher(js, { logger });
  // An aborted session publishes nothing more, not even its retries: they carry states it saw
  // before the abort (NATS came back, SIGTERM), and the next session re-reads the view and relists
  // instead. Closing at once also ends the session's waits on the publisher, so the next session
  // starts without waiting for NATS to take the old session's backlog.
  const closeOnAbort = (): void => void publisher.close();
  if (signal.aborted) closeOnAbort();
  else signal.addEventListener("abort", closeOnAbort, { once: true });
  const podSelector = config.podLabelSelector || (config.manageAllJobs || config.watchAllPods ? "" : LABEL_CONTROLLER_UID);
  const inPodWatch = parseLabelSelectorString(podSelector);
  const state = new WatcherState({
    ...config,
    watcherId,
    sessionId: randomUUID(),
    inPodWatch: (pod) => inPodWatch(pod.metadata?.labels),
    podWatchSelective: podSelector !== "",
    podWatchCovers: (selector) => labelSelectorWithinWatch(selector, podSelector),
  });
  let jobsListed = false;
  let podsListed = false;
  // Periodic markers say "someone is watching this partition now": written only while both
  // watches are open, so a counter sees the view go stale when the watches are cut or wedged.
  const watchOpen = { jobs: false, pods: false };
  sync.listed = false;
  sync.watchOpen = watchOpen;
  let latestRv = "0";

  const publishAll = (pubs: Publication[]): Promise<void>[] =>
    pubs.map((p) => {
      metrics.published.inc({ kind: p.record.kind });
      return publisher.publish(p.subject, p.record, { dedupId: p.dedupId, resourceVersion: p.resourceVersion }).catch((err: unknown) => {
        if (!signal.aborted) logger.error({ err: String(err), subject: p.subject }, "view publish failed");
      });
    });
  // A marker is a barrier: it is published only once every record submitted before it is stored
  // (or superseded), so a counter that sees it sees everything the watcher observed before it. While
  // publishes keep failing (NATS away, a leader election) no marker goes out and views go stale.
  const writeMarkers = async (newEpoch: boolean): Promise<void> => {
    const at = now();
    await publisher.flush();
    await Promise.all(publishAll(state.syncMarkers(latestRv, at, newEpoch)));
  };
  const noteProgress = (rv: string): void => {
    if (/^\d+$/.test(rv) && (latestRv === "0" || BigInt(rv) > BigInt(latestRv))) latestRv = rv;
  };

  const snapshot = await readViewSnapshot(js, `${VIEW_SUBJECT_PREFIX}.>`);
  // A tombstone is the last record of its key: nothing to seed (a publish on it would meet it
  // through the compare-and-set). Counted Pods' tombstones stay in the view while their Job runs,
  // so seeding them would hold one entry per finished Pod.
  for (const e of snapshot) {
    if (e.record.kind !== "sync" && e.record.gone) continue;
    publisher.seed(e.subject, e.seq, e.record.kind === "sync" ? e.record.listResourceVersion : e.record.resourceVersion);
  }
  state.seed(snapshot.map((e) => e.record));
  state.raiseEpoch(previousEpoch);
  logger.info({ records: snapshot.length, pods: state.knownPods, jobs: state.knownManagedJobs }, "view replayed");

  // Markers say "the view is complete as of this resourceVersion": written only once both lists
  // are published, then refreshed periodically so a counter that just started sees a fresh one.
  const markerTimer = setInterval(() => {
    if (jobsListed && podsListed && watchOpen.jobs && watchOpen.pods) void writeMarkers(false);
  }, config.syncMarkerIntervalMs);
  markerTimer.unref();

  const afterList = async (which: "jobs" | "pods"): Promise<void> => {
    if (which === "jobs") jobsListed = true;
    else podsListed = true;
    metrics.relists.inc({ resource: which });
    await publisher.flush();
    if (jobsListed && podsListed) {
      await writeMarkers(true);
      sync.listed = true;
      onReady();
    }
  };

  const jobLoop = runListWatch<V1Job>({
    resource: "jobs",
    watch: kube.watch,
    watchPath: config.namespace ? `/apis/batch/v1/namespaces/${config.namespace}/jobs` : "/apis/batch/v1/jobs",
    onWatchOpen: (open) => (watchOpen.jobs = open),
    pageSize: config.listPageSize,
    listPage: async (token, limit) => {
      const list = config.namespace
        ? await kube.batch.listNamespacedJob({ namespace: config.namespace, _continue: token, limit })
        : await kube.batch.listJobForAllNamespaces({ _continue: token, limit });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "0", continueToken: list.metadata?._continue };
    },
    handler: {
      onListed: async (items, rv) => {
        publishAll(state.applyJobList(items, rv));
        await afterList("jobs");
      },
      onEvent: (type, job) => {
        metrics.watchEvents.inc({ resource: "jobs", type });
        publishAll(state.applyJobEvent(type, job));
      },
      onProgress: noteProgress,
    },
    logger,
    signal,
  });

  // Pods are listed once the Jobs are known, so that Pods route to their managed Jobs.
  await Promise.race([waitUntil(() => jobsListed, signal), jobLoop]);
  const podLoop = runListWatch<V1Pod>({
    resource: "pods",
    watch: kube.watch,
    watchPath: config.namespace ? `/api/v1/namespaces/${config.namespace}/pods` : "/api/v1/pods",
    onWatchOpen: (open) => (watchOpen.pods = open),
    labelSelector: podSelector || undefined,
    pageSize: config.listPageSize,
    listPage: async (token, limit) => {
      const labelSelector = podSelector || undefined;
      const list = config.namespace
        ? await kube.core.listNamespacedPod({ namespace: config.namespace, _continue: token, limit, labelSelector })
        : await kube.core.listPodForAllNamespaces({ _continue: token, limit, labelSelector });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "0", continueToken: list.metadata?._continue };
    },
    handler: {
      onListed: async (items, rv) => {
        publishAll(state.applyPodList(items, rv));
        await afterList("pods");
      },
      onEvent: (type, pod) => {
        metrics.watchEvents.inc({ resource: "pods", type });
        publishAll(state.applyPodEvent(type, pod));
      },
      onProgress: noteProgress,
    },
    logger,
    signal,
  });
  await Promise.all([jobLoop, podLoop]);
  clearInterval(markerTimer);
  signal.removeEventListener("abort", closeOnAbort);
  if (!signal.aborted) await publisher.flush();
  await publisher.close();
  return state.currentEpoch;
}

function waitUntil(cond: () => boolean, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (cond() || signal.aborted) {
        clearInterval(t);
        resolve();
      }
    }, 20);
  });
}
