/**
 * Fault injection: request latency, error injection per verb and resource, a server-side QPS
 * limit answering 429 like API Priority and Fairness, an admission webhook rejecting writes (400 or
 * 403 "admission webhook ... denied the request"), broken answers (a 200 whose body is cut short
 * or is not JSON, as from a misbehaving proxy; the request is not carried out), watch cuts and
 * forced compaction. The
 * settings are one plain object that the admin endpoint replaces at run time; randomness is seeded
 * so a failing run can be replayed.
 */
import { ApiError, conflict, internalError, serviceUnavailable, tooManyRequests } from "./errors.js";
import type { ResourceInfo } from "./resources.js";

export interface ErrorRule {
  /**
   * HTTP code to answer: 500, 503, 429, 409 (Conflict, writes only), or 400 / 403 (an admission
   * webhook denying the request, writes only: the apiserver answers 400 unless the webhook sets a code).
   */
  code: 500 | 503 | 429 | 409 | 400 | 403;
  /** 0..1 per matching request. */
  probability: number;
  /** Verbs it applies to (get, list, watch, create, update, patch, delete); empty = all. */
  verbs?: string[];
  /** Resources it applies to ("pods", "jobs", "jobs/status"); empty = all. */
  resources?: string[];
  /** Retry-After seconds sent with 429. */
  retryAfterSeconds?: number;
  /** Answer this error to at most this many requests, then let the rule lapse; unset = no cap. */
  times?: number;
}

/** A 200 answer the client cannot read, instead of serving the request. */
export interface MalformedRule {
  /** "truncated": JSON cut in the middle; "not-json": an HTML page. */
  mode: "truncated" | "not-json";
  probability: number;
  verbs?: string[];
  resources?: string[];
}

export const WEBHOOK_NAME = "deny.faults.jobtally.io";

export interface FaultSettings {
  /** Fixed latency added to every request, ms. */
  latencyMs: number;
  /** Uniform random extra latency in [0, jitterMs), ms. */
  jitterMs: number;
  errors: ErrorRule[];
  /** Broken answers. */
  malformed: MalformedRule[];
  /** Server-side request rate limit (token bucket); 0 = none. */
  qps: number;
  /** Bucket size of the QPS limit. */
  burst: number;
  /** Close every watch stream this often, seconds; 0 = never. */
  watchCutSeconds: number;
  /** Drop the event history this often, seconds; 0 = never. */
  compactEverySeconds: number;
}

export const DEFAULT_FAULTS: FaultSettings = { latencyMs: 0, jitterMs: 0, errors: [], malformed: [], qps: 0, burst: 0, watchCutSeconds: 0, compactEverySeconds: 0 };

export class FaultSettingsError extends Error {
  override readonly name = "FaultSettingsError";
}

const WRITE_VERBS = new Set(["create", "update", "patch", "delete"]);

/** Validates a (partial) settings object from flags or the admin endpoint, merging over `base`. */
export function mergeFaultSettings(base: FaultSettings, patch: unknown): FaultSettings {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) throw new FaultSettingsError("fault settings must be a JSON object");
  const p = patch as Record<string, unknown>;
  const out: FaultSettings = { ...base, errors: [...base.errors], malformed: [...base.malformed] };
  for (const k of Object.keys(p)) if (!(k in DEFAULT_FAULTS)) throw new FaultSettingsError(`unknown fault setting "${k}"`);
  for (const k of ["latencyMs", "jitterMs", "qps", "burst", "watchCutSeconds", "compactEverySeconds"] as const) {
    if (p[k] === undefined) continue;
    const v = p[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new FaultSettingsError(`${k} must be a non-negative number`);
    out[k] = v;
  }
  if (p.errors !== undefined) {
    if (!Array.isArray(p.errors)) throw new FaultSettingsError("errors must be a list");
    out.errors = p.errors.map((e: Partial<ErrorRule>, i) => {
      if (![500, 503, 429, 409, 400, 403].includes(e.code as number)) throw new FaultSettingsError(`errors[${i}].code must be 500, 503, 429, 409, 400 or 403`);
      if (typeof e.probability !== "number" || e.probability < 0 || e.probability > 1) throw new FaultSettingsError(`errors[${i}].probability must be in [0, 1]`);
      if (e.times !== undefined && (typeof e.times !== "number" || !Number.isInteger(e.times) || e.times < 1)) throw new FaultSettingsError(`errors[${i}].times must be a positive integer`);
      return { ...e } as ErrorRule;
    });
  }
  if (p.malformed !== undefined) {
    if (!Array.isArray(p.malformed)) throw new FaultSettingsError("malformed must be a list");
    out.malformed = p.malformed.map((e: Partial<MalformedRule>, i) => {
      if (e.mode !== "truncated" && e.mode !== "not-json") throw new FaultSettingsError(`malformed[${i}].mode must be "truncated" or "not-json"`);
      if (typeof e.probability !== "number" || e.probability < 0 || e.probability > 1) throw new FaultSettingsError(`malformed[${i}].probability must be in [0, 1]`);
      return { ...e } as MalformedRule;
    });
  }
  if (out.qps > 0 && out.burst < 1) out.burst = Math.max(1, Math.ceil(out.qps));
  return out;
}

export { seededRandom } from "../../shared/random.js";

export interface RequestInfo {
  verb: string;
  resource: ResourceInfo;
  subresource: string;
  name: string;
}

export class FaultInjector {
  settings: FaultSettings;
  private tokens = 0;
  private lastRefill: number;
  /** Errors answered per rule of the current settings (for `times`). */
  private answered = new Map<ErrorRule, number>();

  constructor(
    settings: FaultSettings,
    private readonly random: () => number,
    private readonly nowMs: () => number,
  ) {
    this.settings = settings;
    this.lastRefill = nowMs();
    this.tokens = settings.burst;
  }

  update(patch: unknown): FaultSettings {
    const before = this.settings;
    this.settings = mergeFaultSettings(this.settings, patch);
    this.answered.clear();
    // A newly configured limit starts with a full bucket, as a restarted server would.
    if (before.qps !== this.settings.qps || before.burst !== this.settings.burst) {
      this.tokens = this.settings.burst;
      this.lastRefill = this.nowMs();
    }
    return this.settings;
  }

  latencyMs(): number {
    const { latencyMs, jitterMs } = this.settings;
    return latencyMs + (jitterMs > 0 ? this.random() * jitterMs : 0);
  }

  /** Token bucket; returns the seconds to wait when empty. */
  private takeToken(): number {
    const { qps, burst } = this.settings;
    const now = this.nowMs();
    this.tokens = Math.min(burst, this.tokens + ((now - this.lastRefill) / 1000) * qps);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / qps));
  }

  /** The error to answer instead of serving the request, if any. */
  injectedError(req: RequestInfo): ApiError | undefined {
    if (this.settings.qps > 0) {
      const wait = this.takeToken();
      if (wait > 0) return tooManyRequests(wait);
    }
    for (const rule of this.settings.errors) {
      if (!matches(rule, req)) continue;
      if ((rule.code === 409 || rule.code === 400 || rule.code === 403) && !WRITE_VERBS.has(req.verb)) continue;
      const answered = this.answered.get(rule) ?? 0;
      if (rule.times !== undefined && answered >= rule.times) continue;
      if (this.random() >= rule.probability) continue;
      this.answered.set(rule, answered + 1);
      switch (rule.code) {
        case 500:
          return internalError("injected fault");
        case 503:
          return serviceUnavailable();
        case 429:
          return tooManyRequests(rule.retryAfterSeconds ?? 1);
        case 409:
          return conflict(req.resource, req.name || "unknown");
        case 400:
        case 403:
          return new ApiError(rule.code, rule.code === 403 ? "Forbidden" : "BadRequest", `admission webhook "${WEBHOOK_NAME}" denied the request: injected rejection`);
      }
    }
    return undefined;
  }

  /** The broken body to answer with 200 instead of serving the request, if any. */
  malformedBody(req: RequestInfo): { body: string; contentType: string } | undefined {
    for (const rule of this.settings.malformed) {
      if (!matches(rule, req) || this.random() >= rule.probability) continue;
      if (rule.mode === "not-json") return { body: "<html><body><h1>Bad Gateway</h1></body></html>", contentType: "text/html" };
      const whole = JSON.stringify({ kind: req.resource.kind, apiVersion: req.resource.group ? `${req.resource.group}/v1` : "v1", metadata: { name: req.name || "x", resourceVersion: "1" } });
      return { body: whole.slice(0, Math.floor(whole.length / 2)), contentType: "application/json" };
    }
    return undefined;
  }
}

function matches(rule: { verbs?: string[]; resources?: string[] }, req: RequestInfo): boolean {
  const resourceName = req.subresource ? `${req.resource.plural}/${req.subresource}` : req.resource.plural;
  if (rule.verbs && rule.verbs.length > 0 && !rule.verbs.includes(req.verb)) return false;
  if (rule.resources && rule.resources.length > 0 && !rule.resources.includes(resourceName) && !rule.resources.includes(req.resource.plural)) return false;
  return true;
}
