/**
 * The campaign's own Kubernetes API client: plain HTTP to the simulator, the way a user or kubectl
 * talks to it, so the checker depends on nothing jobtally uses. The API it talks to is the faulty
 * one: every call retries 5xx, 429 and injected 409 Conflicts with a short backoff.
 */
import { sleep } from "../../shared/backoff.js";

export class ApiCallError extends Error {
  override readonly name = "ApiCallError";
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ListResult {
  items: unknown[];
  resourceVersion: string;
}

const MERGE_PATCH = "application/merge-patch+json";

function retryable(status: number, reason: string): boolean {
  return status === 0 || status === 429 || status >= 500 || (status === 409 && reason === "Conflict");
}

export class KubeHttp {
  constructor(
    readonly baseUrl: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** One call with retries; resolves with the body of a 2xx answer, rejects with ApiCallError otherwise. */
  async call(method: string, path: string, body?: unknown, contentType = "application/json", attempts = 60): Promise<unknown> {
    let last: ApiCallError = new ApiCallError(0, "", "no attempt");
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.signal?.aborted) throw new ApiCallError(0, "Aborted", `${method} ${path}: aborted`);
      let status = 0;
      let reason = "";
      let text = "";
      try {
        const res = await fetch(this.baseUrl + path, {
          method,
          headers: body === undefined ? {} : { "content-type": contentType },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: this.signal,
        });
        status = res.status;
        text = await res.text();
        if (res.ok) {
          try {
            return text === "" ? {} : JSON.parse(text);
          } catch {
            // A broken 200 (malformed-answer faults): retry.
            status = 0;
            reason = "Malformed";
          }
        } else {
          try {
            reason = (JSON.parse(text) as { reason?: string }).reason ?? "";
          } catch {
            reason = "";
          }
        }
      } catch (err) {
        text = (err as Error).message;
      }
      last = new ApiCallError(status, reason, `${method} ${path}: ${status} ${reason} ${text.slice(0, 300)}`);
      if (!retryable(status, reason)) throw last;
      await sleep(Math.min(1000, 25 * 2 ** Math.min(attempt, 6)), this.signal);
    }
    throw last;
  }

  async list(path: string): Promise<ListResult> {
    const items: unknown[] = [];
    let token = "";
    let resourceVersion = "";
    do {
      const sep = path.includes("?") ? "&" : "?";
      const page = (await this.call("GET", `${path}${sep}limit=500${token ? `&continue=${encodeURIComponent(token)}` : ""}`)) as { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };
      items.push(...(page.items ?? []));
      if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? "";
      token = page.metadata?.continue ?? "";
    } while (token);
    return { items, resourceVersion };
  }

  jobsPath(ns: string): string {
    return `/apis/batch/v1/namespaces/${ns}/jobs`;
  }

  podsPath(ns: string): string {
    return `/api/v1/namespaces/${ns}/pods`;
  }

  createNamespace(name: string): Promise<unknown> {
    return this.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }

  async createJob(ns: string, job: unknown): Promise<unknown> {
    try {
      return await this.call("POST", this.jobsPath(ns), job);
    } catch (err) {
      // A retry of a creation the server did carry out.
      if (err instanceof ApiCallError && err.status === 409 && err.reason === "AlreadyExists") {
        const name = (job as { metadata: { name: string } }).metadata.name;
        return this.call("GET", `${this.jobsPath(ns)}/${name}`);
      }
      throw err;
    }
  }

  patchJob(ns: string, name: string, patch: unknown): Promise<unknown> {
    return this.call("PATCH", `${this.jobsPath(ns)}/${name}`, patch, MERGE_PATCH);
  }

  deleteJob(ns: string, name: string, propagationPolicy: string): Promise<unknown> {
    return this.call("DELETE", `${this.jobsPath(ns)}/${name}`, { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy });
  }

  /** Deletes the Pod with this UID; false when it is gone already. */
  async deletePod(ns: string, name: string, uid: string): Promise<boolean> {
    try {
      await this.call("DELETE", `${this.podsPath(ns)}/${name}`, { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid } });
      return true;
    } catch (err) {
      if (err instanceof ApiCallError && (err.status === 404 || (err.status === 409 && /precondition/i.test(err.message)))) return false;
      throw err;
    }
  }

  patchPodAnnotations(ns: string, name: string, annotations: Record<string, string>): Promise<unknown> {
    return this.call("PATCH", `${this.podsPath(ns)}/${name}`, { metadata: { annotations } }, MERGE_PATCH);
  }

  // The simulator's admin endpoints (never faulty).
  putFaults(settings: unknown): Promise<unknown> {
    return this.call("PUT", "/admin/faults", settings);
  }

  compact(): Promise<unknown> {
    return this.call("POST", "/admin/compact");
  }

  cutWatches(): Promise<unknown> {
    return this.call("POST", "/admin/cut-watches");
  }
}
