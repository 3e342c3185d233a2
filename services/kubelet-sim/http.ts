/** `/record` (the outcome record as JSON), `/metrics` (Prometheus), `/healthz` and `/readyz` (200 once the first list is in). */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { KubeletRecord } from "./record.js";

export interface KubeletHttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startKubeletHttpServer(port: number, routes: { record(): KubeletRecord; registry: Registry; healthy(): boolean }): Promise<KubeletHttpServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET") return send(405, "text/plain", "method not allowed\n");
    switch (path) {
      case "/record":
        return send(200, "application/json", JSON.stringify(routes.record()));
      case "/healthz":
      case "/readyz":
        return routes.healthy() ? send(200, "text/plain", "ok\n") : send(503, "text/plain", "not synced\n");
      case "/metrics":
        routes.registry.metrics().then(
          (text) => send(200, routes.registry.contentType, text),
          (err: Error) => send(500, "text/plain", `${err.message}\n`),
        );
        return;
      default:
        return send(404, "text/plain", "not found\n");
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
