/**
 * The common life of a pipeline service: parse and validate options (an invalid config stops
 * start-up with a message), log, serve /metrics + /healthz + /readyz, wait for NATS and the
 * Kubernetes API (saying what it waits for), ensure the streams, run, and on SIGTERM drain.
 */
import type { Registry } from "prom-client";
import type { NatsConnection } from "@nats-io/transport-node";
import { loadOptions, renderOptionsHelp, type ConfigOf, type OptionSchema } from "./config/options.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { createRegistry, createStreamMetrics } from "./observability/metrics.js";
import { startObservabilityServer } from "./observability/http-server.js";
import { startEventLoopWatchdog } from "./observability/event-loop-watchdog.js";
import { createKubeClients, type KubeClients } from "./kube/client.js";
import { connectNats } from "./nats/connection.js";
import { natsSecurityOptions, type NatsSecurityConfig } from "./nats/security.js";
import { ensureStreams, type StreamLimits } from "./nats/streams.js";
import { startStreamUsageMonitor } from "./nats/stream-usage.js";
import { shutdownOnSignals, waitForKubeApi } from "./runtime.js";

interface BaseConfig extends NatsSecurityConfig, Partial<StreamLimits> {
  kubeconfig: string;
  streamReplicas: number;
  streamWarnRatio?: number;
  streamCheckIntervalMs?: number;
  logLevel: string;
  httpPort: number;
  maxEventLoopLagMs?: number;
}

export interface ServiceContext {
  kube: KubeClients;
  nc: NatsConnection;
  logger: Logger;
  registry: Registry;
  signal: AbortSignal;
}

export interface ServiceDefinition<S extends OptionSchema> {
  name: string;
  summary: string;
  schema: S;
  /** Checks across options (throw ConfigError): an invalid config stops start-up before anything connects. */
  validate?(config: ConfigOf<S>): void;
  /**
   * Starts the service; resolves `done` after draining once `ctx.signal` aborts. `/readyz` is true
   * once `ready` resolved, while `isReady()` (when given) says so and NATS is connected.
   */
  start(config: ConfigOf<S>, ctx: ServiceContext): { ready: Promise<void>; done: Promise<void>; isReady?(): boolean };
}

export async function runService<S extends OptionSchema>(def: ServiceDefinition<S>, argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`jobtally ${def.name}: ${def.summary}\n\nflags:\n${renderOptionsHelp(def.schema)}`);
    return;
  }
  const config = loadOptions(def.schema, argv) as ConfigOf<S> & BaseConfig;
  def.validate?.(config);
  const security = natsSecurityOptions(config);
  const logger = createLogger(def.name, config.logLevel);
  const shutdown = shutdownOnSignals(logger);
  const registry = createRegistry(def.name);
  let ready = false;
  let natsUp = true;
  const started: { service?: ReturnType<ServiceDefinition<S>["start"]> } = {};
  const isReady = (): boolean => ready && natsUp && (started.service?.isReady?.() ?? true);
  const watchdog = startEventLoopWatchdog({
    maxLagMs: config.maxEventLoopLagMs ?? 10_000,
    onStall: (lagMs) => logger.error({ lagMs: Math.round(lagMs) }, "event loop stalled: /healthz fails for 30 s"),
  });
  const http = config.httpPort >= 0 ? await startObservabilityServer({ port: config.httpPort, registry, isReady, isHealthy: watchdog.isHealthy, logger }) : null;
  if (http) logger.info({ port: http.port }, "serving /metrics, /healthz, /readyz");
  const kube = createKubeClients({ kubeconfig: config.kubeconfig });
  const nc = await connectNats({ servers: config.natsUrl, name: `jobtally-${def.name}`, logger, signal: shutdown.signal, security }).catch(async (err: unknown) => {
    await http?.close();
    throw err;
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") natsUp = false;
      else if (s.type === "reconnect") natsUp = true;
    }
  })().catch(() => undefined);
  await ensureStreams(nc, { ...config, replicas: config.streamReplicas, logger, signal: shutdown.signal });
  const streamUsage = startStreamUsageMonitor({ nc, logger, metrics: createStreamMetrics(registry), warnRatio: config.streamWarnRatio ?? 0.8, intervalMs: config.streamCheckIntervalMs ?? 30_000 });
  await waitForKubeApi(kube, logger, shutdown.signal);
  const running = def.start(config, { kube, nc, logger, registry, signal: shutdown.signal });
  started.service = running;
  void running.ready.then(() => {
    ready = true;
    logger.info("ready");
  });
  await running.done;
  streamUsage.stop();
  await nc.drain().catch(() => undefined);
  await http?.close();
  watchdog.stop();
  logger.info("stopped");
}
