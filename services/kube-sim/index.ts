/**
 * startApiSimulator(): an in-process Kubernetes API server for tests, the demo and benchmarks.
 * Clients talk to it only over HTTP, exactly as to a real cluster.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger } from "../../shared/observability/logger.js";
import { ApiHandler } from "./api-handler.js";
import { FaultInjector, seededRandom, type FaultSettings } from "./faults.js";
import { GarbageCollector } from "./garbage-collector.js";
import { writeKubeconfig } from "./kubeconfig.js";
import { SimMetrics } from "./metrics.js";
import { resolveSimulatorOptions, type SimulatorOptions } from "./options.js";
import { Registry } from "./registry.js";
import { NAMESPACES } from "./resources.js";
import { createRouter } from "./server.js";
import { Store } from "./store.js";
import { WatchHub } from "./watch-hub.js";

export type { SimulatorOptions } from "./options.js";
export type { FaultSettings, ErrorRule } from "./faults.js";
export { renderKubeconfig } from "./kubeconfig.js";

/** Runtime-changeable fault settings. */
export interface FaultControl {
  get(): FaultSettings;
  /** Merges the given settings over the current ones (validated; throws FaultSettingsError). */
  set(patch: Partial<FaultSettings>): FaultSettings;
}

export interface RunningSimulator {
  url: string;
  port: number;
  writeKubeconfig(path: string): Promise<void>;
  faults: FaultControl;
  /** Drops the whole event history: watches and exact lists from any older RV get 410. */
  compact(): void;
  /** Ends every open watch stream. */
  cutWatches(): number;
  /** Resolves once the garbage collector has nothing queued (tests). */
  gcIdle(): Promise<void>;
  close(): Promise<void>;
}

export const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export async function startApiSimulator(partial: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  const opts = resolveSimulatorOptions(partial);
  const logger = opts.logger ?? silentLogger();
  const random = seededRandom(opts.seed);
  const store = new Store(opts.historyWindow);
  const hub = new WatchHub(store);
  const faults = new FaultInjector(opts.faults, random, () => Date.now());
  const metrics = new SimMetrics({
    objectCounts: () => Object.fromEntries([...store.tables.values()].map((t) => [t.info.plural, t.objects.size])),
    watchCounts: () => hub.counts(),
  });
  const registry = new Registry(store, { now: () => new Date(), random, onJobStatusWritten: (b) => metrics.observeJobStatus(b) });
  const onUnexpectedError = (err: unknown): void => logger.error({ err }, "kube-sim internal error");
  const gc = new GarbageCollector(store, registry, { delayMs: opts.gcDelayMs, onError: (err, task) => logger.warn({ err, task }, "garbage collector task failed") });
  for (const name of INITIAL_NAMESPACES) registry.create(NAMESPACES, undefined, { metadata: { name } });
  const api = new ApiHandler({
    store,
    registry,
    hub,
    faults,
    metrics,
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
    resourceVersionWaitMs: opts.resourceVersionWaitMs,
    nowMs: () => Date.now(),
    onUnexpectedError,
  });
  let url = "";
  const cutWatches = (): number => {
    const n = Object.values(hub.counts()).reduce((a, b) => a + b, 0);
    hub.closeAll();
    return n;
  };
  const compact = (): number => {
    store.compact();
    return store.currentRv;
  };
  const server: Server = createServer(
    { keepAliveTimeout: 65_000 },
    createRouter({ api, faults, metrics, serverAddress: () => url.replace(/^https?:\/\//, ""), compact, cutWatches, onUnexpectedError }),
  );
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${port}`;
  let lastCompaction = Date.now();
  const ticker = setInterval(() => {
    const every = faults.settings.compactEverySeconds;
    if (every > 0 && Date.now() - lastCompaction >= every * 1000) {
      lastCompaction = Date.now();
      store.compact();
    }
  }, 250);
  ticker.unref();
  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    writeKubeconfig: (path) => writeKubeconfig(path, url),
    faults: { get: () => faults.settings, set: (p) => faults.update(p) },
    compact: () => void compact(),
    cutWatches,
    async gcIdle() {
      for (let i = 0; i < 1000 && !gc.idle; i++) await new Promise((r) => setTimeout(r, 5));
    },
    close() {
      closed ??= (async () => {
        clearInterval(ticker);
        gc.stop();
        hub.closeAll();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
