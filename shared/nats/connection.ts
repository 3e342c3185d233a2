/**
 * Connecting to NATS. Services start in any order (docker-compose, Kubernetes), so the first
 * connection is retried with backoff until the server answers; after that the client reconnects
 * forever on its own, and JetStream calls made while it is away fail and are retried by callers.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { backoffDelayMs, sleep } from "../backoff.js";
import type { Logger } from "../observability/logger.js";

export type { NatsConnection };

export interface ConnectNatsOptions {
  /** Comma-separated server URLs. */
  servers: string;
  /** Client name shown by the server's monitoring. */
  name: string;
  logger: Logger;
  /** Aborting gives up waiting for the first connection (rejects with the abort reason). */
  signal?: AbortSignal;
}

/** Backoff between first-connection attempts. */
const FIRST_CONNECT_BACKOFF = { baseMs: 250, maxMs: 5_000 };

export function splitServers(servers: string): string[] {
  return servers
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export async function connectNats(opts: ConnectNatsOptions): Promise<NatsConnection> {
  const servers = splitServers(opts.servers);
  if (servers.length === 0) throw new Error("connectNats: no NATS server URL given");
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    try {
      const nc = await connect({
        servers,
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        waitOnFirstConnect: false,
        // Without this the client builds an Error (and its stack) for every request and publish
        // acknowledgement, in case it times out: a quarter of the counter's and the watcher's CPU.
        noAsyncTraces: true,
      });
      if (attempt > 1) opts.logger.info({ url: opts.servers, attempts: attempt }, "connected to NATS");
      watchStatus(nc, opts.logger);
      return nc;
    } catch (err) {
      opts.logger.warn({ url: opts.servers, attempt, err: (err as Error).message }, `waiting for NATS at ${opts.servers}`);
      await sleep(backoffDelayMs(attempt, FIRST_CONNECT_BACKOFF), opts.signal);
    }
  }
}

/** Logs disconnects and reconnects, so an outage shows up in the logs of every service. */
function watchStatus(nc: NatsConnection, logger: Logger): void {
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case "disconnect":
          logger.warn({ server: s.server }, "disconnected from NATS; reconnecting");
          break;
        case "reconnect":
          logger.info({ server: s.server }, "reconnected to NATS");
          break;
        case "error":
          logger.error({ err: String(s.error) }, "NATS connection error");
          break;
        default:
          break;
      }
    }
  })().catch(() => undefined);
}

/**
 * Calls `onReconnect` every time the connection comes back after a disconnect. A JetStream server
 * that was killed may have lost writes it had already acknowledged (a single node flushes to disk
 * asynchronously) and may reuse their sequence numbers, so readers and writers that keep state
 * derived from the streams rebuild it when this fires.
 */
export function onReconnect(nc: NatsConnection, onReconnect: () => void): void {
  void (async () => {
    for await (const s of nc.status()) if (s.type === "reconnect") onReconnect();
  })().catch(() => undefined);
}
