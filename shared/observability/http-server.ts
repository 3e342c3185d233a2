/**
 * The small HTTP server every service exposes: `/metrics` (Prometheus text from the service's own
 * registry), `/healthz` (the process is alive) and `/readyz` (the service does its job: connected,
 * consuming). Liveness never depends on NATS or the API server, so an outage does not make
 * Kubernetes restart every replica at once; it fails when the event loop is wedged.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.js";

export interface ObservabilityServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Address to bind. @default "0.0.0.0" */
  host?: string;
  registry: Registry;
  isReady(): boolean;
  /** Liveness beyond "the process answers": false when the event loop is wedged (event-loop-watchdog.ts). */
  isHealthy?(): boolean;
  logger: Logger;
}

export interface ObservabilityServer {
  port: number;
  close(): Promise<void>;
}

export async function startObservabilityServer(opts: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    switch (path) {
      case "/metrics":
        opts.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": opts.registry.contentType }).end(text),
          (err: Error) => {
            opts.logger.error({ err: err.message }, "metrics collection failed");
            res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n");
          },
        );
        return;
      case "/healthz": {
        const healthy = opts.isHealthy?.() ?? true;
        res.writeHead(healthy ? 200 : 503, { "content-type": "text/plain" }).end(healthy ? "ok\n" : "event loop stalled\n");
        return;
      }
      case "/readyz": {
        const ready = opts.isReady();
        res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
        return;
      }
      default:
        res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
