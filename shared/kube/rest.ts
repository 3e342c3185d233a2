/**
 * jobtally's services talk to the API server as plain JSON over HTTP(S), through one keep-alive
 * agent: the few requests they send (status writes, Pod creations, finalizer patches, lists and
 * watches) need no generated API classes or object model. Loading `@kubernetes/client-node`
 * costs a process about 75 MiB of RSS (its KubeConfig imports every generated API and model) and
 * its ObjectSerializer walks every object twice per request; see docs/benchmarks.md, "Issue 12".
 *
 * The kubeconfig is read here for the common authentication forms (bearer token or token file,
 * client certificate, basic auth, CA, insecure-skip-tls-verify, the in-cluster service account).
 * Anything else (exec plugins, auth providers) is delegated to client-node's KubeConfig, loaded
 * only then, which computes the headers and TLS options of each request.
 */
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { load as loadYaml } from "js-yaml";

/** A non-2xx answer: the same fields as client-node's ApiException (`code`, `body` as text, `headers`). */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: Record<string, string>,
    what: string,
  ) {
    super(`HTTP ${code} on ${what}: ${body.slice(0, 300)}`);
  }
}

export interface RestTarget {
  server: string;
  /** TLS and agent options (ca, cert, key, rejectUnauthorized). */
  tls: https.AgentOptions;
  /** Headers every request carries (Authorization); re-evaluated per request (token files rotate). */
  authHeaders(): Promise<Record<string, string>>;
}

interface RawCluster {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  "proxy-url"?: string;
}
interface RawUser {
  token?: string;
  tokenFile?: string;
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  "auth-provider"?: unknown;
}
interface RawKubeconfig {
  "current-context"?: string;
  clusters?: { name: string; cluster: RawCluster }[];
  users?: { name: string; user: RawUser }[];
  contexts?: { name: string; context: { cluster: string; user?: string } }[];
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Reads a file path relative to the kubeconfig's directory, as kubectl does. */
function fileRel(base: string, p: string): Buffer {
  return fs.readFileSync(path.isAbsolute(p) ? p : path.join(base, p));
}

/** A token file, re-read at most once a minute (bound service-account tokens rotate). */
function tokenFileReader(file: string): () => string {
  let token = "";
  let readAt = 0;
  return () => {
    if (Date.now() - readAt > 60_000) {
      token = fs.readFileSync(file, "utf8").trim();
      readAt = Date.now();
    }
    return token;
  };
}

/** The in-cluster service account (what client-node's `loadFromCluster` reads). */
function inClusterTarget(): RestTarget {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error("no kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST unset)");
  const token = tokenFileReader(`${SA_DIR}/token`);
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    tls: { ca: fs.readFileSync(`${SA_DIR}/ca.crt`) },
    authHeaders: async () => ({ authorization: `Bearer ${token()}` }),
  };
}

/**
 * The target of a kubeconfig's current context, or `{ server, clientNode: true }` when its user
 * authenticates in a way only client-node knows (exec, auth-provider).
 */
export function readKubeconfigTarget(file: string): RestTarget | { server: string; clientNode: true } {
  if (!file) return inClusterTarget();
  const raw = (loadYaml(fs.readFileSync(file, "utf8")) ?? {}) as RawKubeconfig;
  const base = path.dirname(path.resolve(file));
  const ctxName = raw["current-context"];
  const ctx = raw.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig ${file} has no current context`);
  const cluster = raw.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${file} has no current cluster`);
  // Not silently bypassed: the services connect directly.
  if (cluster["proxy-url"]) throw new Error(`kubeconfig ${file}: proxy-url is not supported by jobtally's services (connect directly, or through kubectl proxy as the server)`);
  const user = raw.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (user.exec !== undefined || user["auth-provider"] !== undefined) return { server: cluster.server.replace(/\/+$/, ""), clientNode: true };
  const tls: https.AgentOptions = {};
  if (cluster["certificate-authority-data"]) tls.ca = Buffer.from(cluster["certificate-authority-data"], "base64");
  else if (cluster["certificate-authority"]) tls.ca = fileRel(base, cluster["certificate-authority"]);
  if (cluster["insecure-skip-tls-verify"]) tls.rejectUnauthorized = false;
  if (cluster["tls-server-name"]) tls.servername = cluster["tls-server-name"];
  if (user["client-certificate-data"]) tls.cert = Buffer.from(user["client-certificate-data"], "base64");
  else if (user["client-certificate"]) tls.cert = fileRel(base, user["client-certificate"]);
  if (user["client-key-data"]) tls.key = Buffer.from(user["client-key-data"], "base64");
  else if (user["client-key"]) tls.key = fileRel(base, user["client-key"]);
  let auth: () => Record<string, string> = () => ({});
  if (user.token) {
    const header = { authorization: `Bearer ${user.token}` };
    auth = () => header;
  } else if (user.tokenFile) {
    const token = tokenFileReader(path.isAbsolute(user.tokenFile) ? user.tokenFile : path.join(base, user.tokenFile));
    auth = () => ({ authorization: `Bearer ${token()}` });
  } else if (user.username !== undefined) {
    const header = { authorization: `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}` };
    auth = () => header;
  }
  return { server: cluster.server.replace(/\/+$/, ""), tls, authHeaders: async () => auth() };
}

/** Exec plugins and auth providers: client-node's KubeConfig computes each request's headers and TLS. */
async function clientNodeTarget(file: string): Promise<RestTarget> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  const server = kc.getCurrentCluster()?.server ?? "";
  const tlsOpts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tlsOpts);
  return {
    server: server.replace(/\/+$/, ""),
    tls: { ca: tlsOpts.ca, cert: tlsOpts.cert, key: tlsOpts.key, rejectUnauthorized: tlsOpts.rejectUnauthorized },
    authHeaders: async (): Promise<Record<string, string>> => {
      const o: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(o);
      const h = (o.headers ?? {}) as Record<string, string | undefined>;
      const a = h.Authorization ?? h.authorization;
      const out: Record<string, string> = {};
      if (a) out.authorization = a;
      return out;
    },
  };
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
}

export interface WatchHandle {
  abort(): void;
}

/** JSON over one keep-alive agent. */
export class KubeRest {
  readonly server: string;
  private readonly isHttps: boolean;
  private readonly ready: Promise<{ target: RestTarget; agent: http.Agent }>;

  /** Reads the kubeconfig (empty: in-cluster); an exec or auth-provider user loads client-node on first use. */
  constructor(kubeconfig: string, maxSockets = 64) {
    const t = readKubeconfigTarget(kubeconfig);
    this.server = t.server;
    this.isHttps = t.server.startsWith("https:");
    const target = "clientNode" in t ? clientNodeTarget(kubeconfig) : Promise.resolve(t);
    this.ready = target.then((tg) => ({ target: tg, agent: this.isHttps ? new https.Agent({ ...tg.tls, keepAlive: true, maxSockets }) : new http.Agent({ keepAlive: true, maxSockets }) }));
    this.ready.catch(() => undefined);
  }

  url(p: string, query?: RequestOptions["query"]): string {
    let qs = "";
    if (query) {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
      if (parts.length > 0) qs = `?${parts.join("&")}`;
    }
    return `${this.server}${p}${qs}`;
  }

  async request<T>(method: string, p: string, opts: RequestOptions = {}): Promise<T> {
    const { target, agent } = await this.ready;
    const headers: Record<string, string> = { accept: "application/json", ...(await target.authHeaders()) };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers["content-type"] = opts.contentType ?? "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    const what = `${method} ${p}`;
    return new Promise<T>((resolve, reject) => {
      const req = (this.isHttps ? https : http).request(this.url(p, opts.query), { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const code = res.statusCode ?? 0;
          if (code < 200 || code > 299) {
            reject(new KubeApiError(code, text, flatHeaders(res.headers), what));
            return;
          }
          try {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on("error", reject);
      if (payload !== undefined) req.end(payload);
      else req.end();
    });
  }

  /**
   * A watch: newline-delimited JSON events to `onEvent` until the stream ends (`onDone(null)`) or
   * fails (`onDone(err)`, a KubeApiError for a non-2xx answer). Resolves once the server answered.
   */
  async watch(p: string, query: RequestOptions["query"], onEvent: (type: string, obj: unknown) => void, onDone: (err: unknown) => void): Promise<WatchHandle> {
    const { target, agent } = await this.ready;
    const headers: Record<string, string> = { accept: "application/json", ...(await target.authHeaders()) };
    const controller = new AbortController();
    return new Promise<WatchHandle>((resolve, reject) => {
      let done = false;
      const finish = (err: unknown): void => {
        if (done) return;
        done = true;
        onDone(err);
      };
      const req = (this.isHttps ? https : http).request(this.url(p, { ...query, watch: true }), { method: "GET", headers, agent, signal: controller.signal }, (res) => {
        const code = res.statusCode ?? 0;
        if (code < 200 || code > 299) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const err = new KubeApiError(code, Buffer.concat(chunks).toString("utf8"), flatHeaders(res.headers), `watch ${p}`);
            reject(err);
            finish(err);
          });
          res.on("error", (err) => finish(err));
          return;
        }
        resolve({ abort: () => controller.abort() });
        let buffered = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            let ev: { type?: string; object?: unknown };
            try {
              ev = JSON.parse(line) as typeof ev;
            } catch (err) {
              controller.abort();
              finish(err);
              return;
            }
            if (done) return;
            onEvent(ev.type ?? "", ev.object);
          }
        });
        res.on("end", () => finish(null));
        res.on("error", (err) => finish(controller.signal.aborted ? null : err));
        res.on("close", () => finish(null));
      });
      req.on("error", (err) => {
        if (controller.signal.aborted) {
          finish(null);
          return;
        }
        reject(err);
        finish(err);
      });
      req.end();
    });
  }
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
