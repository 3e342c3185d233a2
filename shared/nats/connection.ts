/**
 * Connecting to NATS. Services start in any order (docker-compose, Kubernetes), so the first
 * connection is retried with backoff until the server answers; after that the client reconnects
 * forever on its own, and JetStream calls made while it is away fail and are retried by callers.
 */
import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { backoffDelayMs, sleep } from "../backoff.js";
import { INTENT_STREAM, VIEW_STREAM } from "../constants.js";
import { silentLogger, type Logger } from "../observability/logger.js";
import { isConnectionClosed, JS_CODES, jsApiCode } from "./errors.js";
import type { NatsSecurityOptions } from "./security.js";

export type { NatsConnection };

export interface ConnectNatsOptions {
  /** Comma-separated server URLs. */
  servers: string;
  /** Client name shown by the server's monitoring. */
  name: string;
  logger: Logger;
  /** Aborting gives up waiting for the first connection (rejects with the abort reason). */
  signal?: AbortSignal;
  /** Authentication and TLS (`natsSecurityOptions`); none by default. */
  security?: NatsSecurityOptions;
}

/**
 * The server refused who we are (wrong credentials) or we refused the server (its certificate
 * does not verify against the CA, TLS required on one side only): retrying cannot help, so the
 * first connection stops with this instead of waiting forever.
 */
export class NatsAccessError extends Error {
  override readonly name = "NatsAccessError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Messages of the TLS errors a retry cannot fix (node:tls codes and the NATS client's own). */
const TLS_FAILURE = /certificate|self[- ]signed|unable to (get|verify)|CERT_|tls|SSL|handshake/i;

/** The reason to stop, or null when the failure may be transient (server not up yet, network). */
export function accessFailure(err: unknown): string | null {
  if (err instanceof errors.AuthorizationError || /authorization violation|authentication/i.test(String((err as Error)?.message))) {
    return `NATS refused the credentials: ${(err as Error).message}`;
  }
  const text = `${(err as Error)?.message ?? ""} ${String((err as { cause?: Error })?.cause?.message ?? "")} ${String((err as NodeJS.ErrnoException)?.code ?? "")}`;
  if (TLS_FAILURE.test(text) && !/ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(text)) return `TLS with NATS failed: ${text.trim()}`;
  return null;
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
        // A refused credential on a reconnect (a Secret being rotated, a server restarted with a
        // new config) is retried like any other outage instead of closing the connection for good.
        ignoreAuthErrorAbort: true,
        ...opts.security,
      });
      if (attempt > 1) opts.logger.info({ url: opts.servers, attempts: attempt }, "connected to NATS");
      watchStatus(nc, opts.logger);
      return nc;
    } catch (err) {
      const access = accessFailure(err);
      if (access !== null) {
        opts.logger.error({ url: opts.servers, err: access }, "cannot connect to NATS: check the NATS credentials and TLS options");
        throw new NatsAccessError(`${access} (servers ${opts.servers})`, { cause: err });
      }
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

/** The streams services derive in-memory state from; their replication decides what a reconnect may have lost. */
const DERIVED_STATE_STREAMS = [VIEW_STREAM, INTENT_STREAM];
/** How long to try reading their replication (stream leaders are being elected right after a node loss). */
const REPLICATION_CHECK = { attempts: 8, backoff: { baseMs: 250, maxMs: 4_000 } };

/**
 * Whether the jobtally streams could have lost acknowledged writes in an outage of the server
 * that served this connection: true unless every one of them has replicas (a replicated stream
 * acknowledges a write only once a majority of its replicas stored it, so losing one node loses
 * nothing). A stream that is gone lost everything. If the replication cannot be read, true: a
 * needless rebuild is slow, a missed one miscounts.
 */
async function streamsMayHaveLostWrites(nc: NatsConnection, logger: Logger): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      for (const name of DERIVED_STATE_STREAMS) {
        const { config } = await jsm.streams.info(name);
        if ((config.num_replicas ?? 1) < 2) return true;
      }
      return false;
    } catch (err) {
      if (jsApiCode(err) === JS_CODES.streamNotFound) return true;
      if (isConnectionClosed(err)) return false;
      if (attempt >= REPLICATION_CHECK.attempts) {
        logger.warn({ err: (err as Error).message }, "could not read the streams' replication after a reconnect; assuming writes may be lost");
        return true;
      }
      await sleep(backoffDelayMs(attempt, REPLICATION_CHECK.backoff));
    }
  }
}

/**
 * Calls `onReconnect` when the connection comes back after an outage that may have lost writes
 * the server had already acknowledged: a killed single node flushes to disk asynchronously and
 * may reuse the lost sequence numbers, so readers and writers that keep state derived from the
 * streams rebuild it when this fires.
 *
 * It does not fire for the other reconnects, because rebuilding is not only slow but needs the
 * other services to notice the outage too (a rebuilt counter waits for a sync marker of a newer
 * watcher epoch, which only a watcher that rebuilt itself writes):
 * - back on the same server process (same `server_id`: a network blip, a stale connection): the
 *   server lost nothing;
 * - on another node of a cluster whose streams are replicated: a node of a NATS cluster going
 *   away makes only the clients it served reconnect, while the services connected to other nodes
 *   see nothing; a counter and a watcher on different nodes would then wait on each other forever
 *   (seen with `test/e2e/nats-cluster.test.ts`). No acknowledged write is lost then, unless a
 *   majority of the nodes crash within one flush interval, which this does not detect.
 */
/** Calls `onDisconnect` each time the connection to NATS drops (before any reconnect). */
export function onDisconnect(nc: NatsConnection, onDisconnect: () => void): void {
  void (async () => {
    for await (const s of nc.status()) if (s.type === "disconnect") onDisconnect();
  })().catch(() => undefined);
}

export function onReconnect(nc: NatsConnection, onReconnect: () => void, logger: Logger = silentLogger()): void {
  let servedBy = nc.info?.server_id;
  let checks = Promise.resolve();
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== "reconnect") continue;
      const previous = servedBy;
      servedBy = nc.info?.server_id;
      if (servedBy !== undefined && servedBy === previous) {
        logger.info({ server: s.server }, "reconnected to the same NATS server: it lost nothing, keeping the state read from the streams");
        continue;
      }
      checks = checks.then(async () => {
        if (await streamsMayHaveLostWrites(nc, logger)) onReconnect();
        else logger.info({ server: s.server }, "reconnected to another NATS cluster node; the streams are replicated, keeping the state read from them");
      }).catch((err: unknown) => logger.error({ err: String(err) }, "reconnect handler failed"));
    }
  })().catch(() => undefined);
}
