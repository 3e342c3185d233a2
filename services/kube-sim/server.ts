/**
 * HTTP routing: health, metrics, admin, discovery, then the resource endpoints. Admin, metrics and
 * health requests are exempt from faults.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiHandler } from "./api-handler.js";
import { parseResourcePath } from "./api-handler.js";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from "./discovery.js";
import { ApiError, pathNotFound } from "./errors.js";
import { FaultSettingsError, type FaultInjector } from "./faults.js";
import { parseJsonBody, readBody, sendError, sendJson, sendRaw } from "./http-util.js";
import type { SimMetrics } from "./metrics.js";
import { openApiV3GroupVersion, openApiV3Root } from "./openapi.js";

export interface RouterDeps {
  api: ApiHandler;
  faults: FaultInjector;
  metrics: SimMetrics;
  serverAddress(): string;
  compact(): number;
  cutWatches(): number;
  onUnexpectedError(err: unknown): void;
}

const HEALTH = new Set(["/healthz", "/readyz", "/livez"]);

export function createRouter(d: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(d, req, res).catch((err: unknown) => {
      d.onUnexpectedError(err);
      if (!res.headersSent) sendError(res, err instanceof ApiError ? err : new ApiError(500, "InternalError", String(err)));
      else res.end();
    });
  };
}

async function route(d: RouterDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://sim");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const method = req.method ?? "GET";
  if (HEALTH.has(path) || path.startsWith("/healthz/") || path.startsWith("/readyz/") || path.startsWith("/livez/")) {
    sendRaw(res, 200, "ok", "text/plain; charset=utf-8");
    return;
  }
  if (path === "/metrics") {
    sendRaw(res, 200, await d.metrics.registry.metrics(), d.metrics.registry.contentType);
    return;
  }
  if (path.startsWith("/admin/")) {
    await admin(d, method, path, req, res);
    return;
  }
  const segments = path.split("/").filter((s) => s !== "").map(decodeURIComponent);
  if (method === "GET") {
    const doc = discovery(d, segments);
    if (doc !== undefined) {
      sendJson(res, 200, doc);
      return;
    }
  }
  let rr;
  if (segments[0] === "api" && segments[1] === "v1" && segments.length > 2) rr = parseResourcePath("", "v1", segments.slice(2));
  else if (segments[0] === "apis" && segments.length > 3) rr = parseResourcePath(segments[1] as string, segments[2] as string, segments.slice(3));
  if (!rr) {
    sendError(res, pathNotFound());
    return;
  }
  await d.api.handle(req, res, url, rr);
}

function discovery(d: RouterDeps, s: string[]): unknown | undefined {
  const p = s.join("/");
  if (p === "version") return versionInfo();
  if (p === "api") return apiVersions(d.serverAddress());
  if (p === "apis") return apiGroupList();
  if (p === "openapi/v3") return openApiV3Root();
  if (s[0] === "openapi" && s[1] === "v3") return openApiV3GroupVersion(s.slice(2).join("/"));
  if (s[0] === "api" && s.length === 2) return apiResourceList("", s[1] as string);
  if (s[0] === "apis" && s.length === 2) return apiGroup(s[1] as string);
  if (s[0] === "apis" && s.length === 3) return apiResourceList(s[1] as string, s[2] as string);
  return undefined;
}

async function admin(d: RouterDeps, method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (path === "/admin/faults" && method === "GET") {
    sendJson(res, 200, d.faults.settings);
    return;
  }
  if (path === "/admin/faults" && method === "PUT") {
    try {
      sendJson(res, 200, d.faults.update(parseJsonBody(await readBody(req))));
    } catch (err) {
      if (err instanceof FaultSettingsError) sendJson(res, 400, { error: err.message });
      else throw err;
    }
    return;
  }
  if (path === "/admin/compact" && method === "POST") {
    sendJson(res, 200, { resourceVersion: String(d.compact()) });
    return;
  }
  if (path === "/admin/cut-watches" && method === "POST") {
    sendJson(res, 200, { closed: d.cutWatches() });
    return;
  }
  sendError(res, pathNotFound());
}
