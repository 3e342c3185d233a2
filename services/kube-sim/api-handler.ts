/**
 * The resource endpoints: URL → (resource, namespace, name, subresource, verb), faults, then the
 * registry, list or watch, answered as JSON objects, lists, Tables or metav1.Status errors.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, badRequest, internalError, methodNotAllowed, pathNotFound, resourceVersionTooLarge, tooOldResourceVersion, unsupportedMediaType } from "./errors.js";
import type { FaultInjector } from "./faults.js";
import { parseJsonBody, readBody, sendError, sendJson, sendRaw, sleep } from "./http-util.js";
import { listObjects } from "./list.js";
import type { SimMetrics } from "./metrics.js";
import { storedJson, type KubeObject } from "./object.js";
import type { DeleteOptions, PatchType, PropagationPolicy, Registry } from "./registry.js";
import { apiVersionOf, findResource, PODS, resourceKey, type ResourceInfo } from "./resources.js";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.js";
import type { Store } from "./store.js";
import { toTable, wantsTable, type IncludeObject } from "./table.js";
import type { WatchHub } from "./watch-hub.js";
import { WatchSession } from "./watch-session.js";

export interface ResourceRequest {
  resource: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string;
  /** Legacy `/watch/` path prefix. */
  watchPath: boolean;
}

/** Parses the part of the path after `/api/v1` or `/apis/<group>/<version>`. */
export function parseResourcePath(group: string, version: string, segments: string[]): ResourceRequest | undefined {
  let watchPath = false;
  if (segments[0] === "watch") {
    watchPath = true;
    segments = segments.slice(1);
  }
  if (segments[0] === "namespaces" && segments.length >= 3) {
    const r = findResource(group, version, segments[2] as string);
    if (r && r.namespaced && segments.length <= 5) {
      return { resource: r, namespace: segments[1], name: segments[3], subresource: segments[4] ?? "", watchPath };
    }
  }
  const r = findResource(group, version, segments[0] ?? "");
  if (!r || segments.length > 3) return undefined;
  return { resource: r, namespace: undefined, name: segments[1], subresource: segments[2] ?? "", watchPath };
}

export interface ApiHandlerDeps {
  store: Store;
  registry: Registry;
  hub: WatchHub;
  faults: FaultInjector;
  metrics: SimMetrics;
  bookmarkIntervalMs: number;
  resourceVersionWaitMs: number;
  nowMs(): number;
  onUnexpectedError(err: unknown): void;
}

const PATCH_TYPES: Record<string, PatchType | "apply"> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
};

function verbOf(method: string, rr: ResourceRequest, watch: boolean): string {
  switch (method) {
    case "GET":
      return rr.name === undefined ? (watch ? "watch" : "list") : watch ? "watch" : "get";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return rr.name === undefined ? "deletecollection" : "delete";
    default:
      return method.toLowerCase();
  }
}

function parseRv(raw: string): number {
  if (!/^\d+$/.test(raw)) throw badRequest(`invalid resource version: "${raw}"`);
  return Number(raw);
}

function boolParam(q: URLSearchParams, k: string): boolean {
  const v = q.get(k);
  return v === "true" || v === "1";
}

export class ApiHandler {
  private readonly rvWaiters = new Set<{ rv: number; resolve(): void }>();

  constructor(private readonly d: ApiHandlerDeps) {
    d.store.onChange((e) => {
      for (const w of this.rvWaiters) if (e.rv >= w.rv) w.resolve();
    });
  }

  /** Waits (up to the configured time) until the store reaches `rv`. */
  private async waitForRv(rv: number): Promise<boolean> {
    if (rv <= this.d.store.currentRv) return true;
    await new Promise<void>((resolve) => {
      const w = { rv, resolve: () => done() };
      const timer = setTimeout(() => done(), this.d.resourceVersionWaitMs);
      const done = (): void => {
        clearTimeout(timer);
        this.rvWaiters.delete(w);
        resolve();
      };
      this.rvWaiters.add(w);
    });
    return rv <= this.d.store.currentRv;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, rr: ResourceRequest): Promise<void> {
    const q = url.searchParams;
    const watch = rr.watchPath || boolParam(q, "watch");
    const verb = verbOf(req.method ?? "GET", rr, watch);
    const resourceLabel = rr.subresource ? `${rr.resource.plural}/${rr.subresource}` : rr.resource.plural;
    let code = 200;
    const inFlight = verb === "watch" ? null : { verb, resource: resourceLabel };
    if (inFlight) this.d.metrics.inFlight.inc(inFlight);
    try {
      const delay = this.d.faults.latencyMs();
      if (delay > 0) {
        // Received in full, then slow: a client that goes away meanwhile does not cancel a write
        // (the answer it never reads is how an acknowledged-by-nobody creation happens).
        if (verb !== "get" && verb !== "list" && verb !== "watch") await readBody(req).catch(() => "");
        await sleep(delay);
      }
      const injected = this.d.faults.injectedError({ verb, resource: rr.resource, subresource: rr.subresource, name: rr.name ?? "" });
      if (injected) throw injected;
      const broken = verb === "watch" ? undefined : this.d.faults.malformedBody({ verb, resource: rr.resource, subresource: rr.subresource, name: rr.name ?? "" });
      if (broken) {
        sendRaw(res, 200, broken.body, broken.contentType);
        return;
      }
      code = await this.dispatch(req, res, q, rr, verb);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : internalError((err as Error)?.message ?? String(err));
      if (!(err instanceof ApiError)) this.d.onUnexpectedError(err);
      code = apiErr.code;
      if (!res.headersSent) sendError(res, apiErr);
      else res.end();
    } finally {
      if (inFlight) this.d.metrics.inFlight.dec(inFlight);
      this.d.metrics.requests.inc({ verb, resource: resourceLabel, code: String(code) });
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, rr: ResourceRequest, verb: string): Promise<number> {
    const { resource: r, namespace, name, subresource } = rr;
    if (subresource && !r.subresources.includes(subresource)) throw pathNotFound();
    const table = wantsTable(req.headers.accept) ? ((q.get("includeObject") as IncludeObject | null) ?? "Metadata") : undefined;
    switch (verb) {
      case "get": {
        if (subresource === "binding") throw methodNotAllowed();
        const obj = this.d.registry.get(r, namespace, name as string);
        if (table) sendJson(res, 200, toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, table, this.d.nowMs()));
        else sendRaw(res, 200, storedJson(obj));
        return 200;
      }
      case "list":
        await this.list(res, q, rr, table);
        return 200;
      case "watch":
        await this.watch(res, q, rr, table);
        return 200;
      case "create": {
        const body = parseJsonBody(await readBody(req));
        if (name !== undefined) {
          if (r === PODS && subresource === "binding") {
            this.d.registry.bind(namespace as string, name, body);
            sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
            return 201;
          }
          throw methodNotAllowed();
        }
        const created = this.d.registry.create(r, namespace, body);
        sendRaw(res, 201, storedJson(created));
        return 201;
      }
      case "update": {
        if (name === undefined || (subresource !== "" && subresource !== "status")) throw methodNotAllowed();
        const body = parseJsonBody(await readBody(req));
        const updated = this.d.registry.update(r, namespace, name, body, subresource as "" | "status");
        sendRaw(res, 200, storedJson(updated));
        return 200;
      }
      case "patch": {
        if (name === undefined || (subresource !== "" && subresource !== "status")) throw methodNotAllowed();
        const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
        const type = PATCH_TYPES[contentType];
        if (!type) throw unsupportedMediaType(contentType);
        const body = parseJsonBody(await readBody(req));
        const patched = this.d.registry.patch(r, namespace, name, type, body, subresource as "" | "status");
        sendRaw(res, 200, storedJson(patched));
        return 200;
      }
      case "delete": {
        if (subresource !== "") throw methodNotAllowed();
        const text = await readBody(req);
        const opts = this.deleteOptions(text, q);
        const result = this.d.registry.delete(r, namespace, name as string, opts);
        if (result.deleted && !r.returnDeletedObject) {
          const details: Record<string, string> = { name: name as string, kind: r.plural, uid: result.object.metadata.uid as string };
          if (r.group) details.group = r.group;
          sendJson(res, 200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details });
        } else sendRaw(res, 200, storedJson(result.object));
        return 200;
      }
      default:
        throw methodNotAllowed();
    }
  }

  private deleteOptions(text: string, q: URLSearchParams): DeleteOptions {
    const body = (text.trim() === "" ? {} : parseJsonBody(text)) as DeleteOptions & { kind?: string };
    const opts: DeleteOptions = {};
    const grace = q.get("gracePeriodSeconds") ?? (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null ? String(body.gracePeriodSeconds) : null);
    if (grace !== null) {
      if (!/^-?\d+$/.test(grace)) throw badRequest(`invalid gracePeriodSeconds "${grace}"`);
      opts.gracePeriodSeconds = Number(grace);
    }
    const policy = q.get("propagationPolicy") ?? body.propagationPolicy ?? undefined;
    if (policy !== undefined && policy !== null) {
      if (!["Orphan", "Background", "Foreground"].includes(policy)) {
        throw new ApiError(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
      }
      opts.propagationPolicy = policy as PropagationPolicy;
    }
    const orphan = q.get("orphanDependents") ?? (body.orphanDependents !== undefined && body.orphanDependents !== null ? String(body.orphanDependents) : null);
    if (orphan !== null) {
      if (opts.propagationPolicy) throw new ApiError(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "${opts.propagationPolicy}": orphanDependents and deletionPropagation cannot be both set`);
      opts.orphanDependents = orphan === "true";
    }
    if (body.preconditions) opts.preconditions = body.preconditions;
    return opts;
  }

  private selectors(q: URLSearchParams, r: ResourceInfo) {
    return { labels: parseLabelSelector(q.get("labelSelector")), fields: parseFieldSelector(q.get("fieldSelector"), resourceKey(r)) };
  }

  private async list(res: ServerResponse, q: URLSearchParams, rr: ResourceRequest, table: IncludeObject | undefined): Promise<void> {
    const r = rr.resource;
    const { labels, fields } = this.selectors(q, r);
    const rvParam = q.get("resourceVersion") ?? "";
    const match = q.get("resourceVersionMatch") ?? "";
    const continueToken = q.get("continue") ?? "";
    const limitRaw = q.get("limit");
    let limit: number | undefined;
    if (limitRaw !== null && limitRaw !== "") {
      if (!/^\d+$/.test(limitRaw)) throw badRequest(`invalid limit "${limitRaw}"`);
      limit = Number(limitRaw);
    }
    if (!["", "Exact", "NotOlderThan"].includes(match)) throw badRequest(`resourceVersionMatch: Unsupported value: "${match}"`);
    if (match !== "" && rvParam === "") throw badRequest("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (continueToken && rvParam !== "") throw badRequest("specifying resource version is not allowed when using continue");
    let snapshotRv: number | undefined;
    if (rvParam !== "" && !(rvParam === "0" && match !== "Exact")) {
      const rv = parseRv(rvParam);
      if (!(await this.waitForRv(rv))) throw resourceVersionTooLarge(rv, this.d.store.currentRv);
      const exact = match === "Exact" || (match === "" && limit !== undefined && limit > 0);
      if (exact) {
        if (rv < this.d.store.history.oldestAvailable()) throw tooOldResourceVersion(rv, this.d.store.history.oldestAvailable());
        snapshotRv = rv;
      }
    }
    const result = listObjects(this.d.store, r, {
      namespace: rr.namespace,
      labels,
      fields,
      limit,
      continueToken: continueToken || undefined,
      snapshotRv,
    });
    const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
    if (result.continue) meta.continue = result.continue;
    if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
    if (table) {
      sendJson(res, 200, toTable(r, result.items, meta, table, this.d.nowMs()));
      return;
    }
    const head = `{"kind":"${r.kind}List","apiVersion":"${apiVersionOf(r)}","metadata":${JSON.stringify(meta)},"items":[`;
    sendRaw(res, 200, `${head}${result.items.map(storedJson).join(",")}]}`);
  }

  private currentObjects(rr: ResourceRequest, labels: ReturnType<typeof parseLabelSelector>, fields: ReturnType<typeof parseFieldSelector>): KubeObject[] {
    const t = this.d.store.table(rr.resource);
    const keys = rr.namespace !== undefined && rr.resource.namespaced ? (t.byNamespace.get(rr.namespace) ?? new Set<string>()) : t.objects.keys();
    const out: KubeObject[] = [];
    for (const k of keys) {
      const o = t.objects.get(k);
      if (o && matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o)) out.push(o);
    }
    return out;
  }

  private async watch(res: ServerResponse, q: URLSearchParams, rr: ResourceRequest, table: IncludeObject | undefined): Promise<void> {
    const r = rr.resource;
    const { labels, fields } = this.selectors(q, r);
    const nameSel = rr.name;
    if (nameSel !== undefined) fields.push({ field: "metadata.name", op: "eq", value: nameSel });
    const rvParam = q.get("resourceVersion") ?? "";
    const timeoutRaw = q.get("timeoutSeconds");
    const timeoutMs = timeoutRaw !== null && /^\d+$/.test(timeoutRaw) ? Number(timeoutRaw) * 1000 : undefined;
    const cut = this.d.faults.settings.watchCutSeconds;
    let fromRv: number | undefined;
    if (rvParam !== "" && rvParam !== "0") fromRv = parseRv(rvParam);
    const tooLarge = fromRv !== undefined && !(await this.waitForRv(fromRv));
    const session = new WatchSession(res, this.d.hub, {
      resource: r,
      namespace: r.namespaced ? rr.namespace : undefined,
      labels,
      fields,
      bookmarks: boolParam(q, "allowWatchBookmarks"),
      bookmarkIntervalMs: this.d.bookmarkIntervalMs,
      timeoutMs,
      cutAfterMs: cut > 0 ? cut * 1000 : undefined,
      table,
      nowMs: this.d.nowMs,
      currentRv: () => this.d.store.currentRv,
      onClose: () => {},
    });
    if (tooLarge) {
      session.fail(resourceVersionTooLarge(fromRv as number, this.d.store.currentRv));
      return;
    }
    if (fromRv === undefined) {
      session.start({ added: this.currentObjects(rr, labels, fields) }, boolParam(q, "sendInitialEvents"));
      return;
    }
    const oldest = this.d.store.history.oldestAvailable();
    if (fromRv < oldest) {
      session.fail(tooOldResourceVersion(fromRv, oldest));
      return;
    }
    session.start({ replay: this.d.store.history.since(fromRv).filter((e) => e.resource === resourceKey(r) && (rr.namespace === undefined || !r.namespaced || e.namespace === rr.namespace)) }, false);
  }
}
