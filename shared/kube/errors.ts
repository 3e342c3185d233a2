/**
 * Reading an API error: the HTTP code, the metav1.Status reason, Retry-After. Both client-node's
 * ApiException and the light clients' KubeApiError (rest.ts) carry a numeric `code`, the response
 * `body` (text or parsed) and `headers`; matched by shape, so client-node need not be loaded.
 */
interface ApiErrorLike {
  code: number;
  body: unknown;
  headers?: unknown;
  message: string;
}

function isApiErrorLike(err: unknown): err is ApiErrorLike {
  return err instanceof Error && typeof (err as { code?: unknown }).code === "number" && "body" in err;
}

export interface ApiErrorInfo {
  code: number | null;
  reason: string | null;
  message: string;
  retryAfterMs: number | null;
  /** `details.causes[].reason` of the metav1.Status (e.g. `NamespaceTerminating`). */
  causes?: string[];
}

export function apiErrorInfo(err: unknown): ApiErrorInfo {
  if (isApiErrorLike(err)) {
    let body: { reason?: string; message?: string; details?: { causes?: { reason?: unknown }[] } } = {};
    try {
      body = typeof err.body === "string" ? JSON.parse(err.body) : ((err.body as typeof body) ?? {});
    } catch {
      body = {};
    }
    const headers = (err.headers ?? {}) as Record<string, string>;
    const ra = headers["retry-after"] ?? headers["Retry-After"];
    return {
      code: err.code,
      reason: body.reason ?? null,
      message: body.message ?? String(err.message).slice(0, 300),
      retryAfterMs: ra !== undefined && /^\d+$/.test(ra) ? Number(ra) * 1000 : null,
      causes: Array.isArray(body.details?.causes) ? body.details.causes.map((c) => (typeof c?.reason === "string" ? c.reason : "")).filter((c) => c !== "") : [],
    };
  }
  const e = err as { code?: unknown; message?: string };
  return { code: null, reason: typeof e?.code === "string" ? e.code : null, message: e?.message ?? String(err), retryAfterMs: null };
}

export const isNotFound = (err: unknown): boolean => apiErrorInfo(err).code === 404;
export const isConflict = (err: unknown): boolean => apiErrorInfo(err).code === 409;
export const isAlreadyExists = (err: unknown): boolean => {
  const i = apiErrorInfo(err);
  return i.code === 409 && i.reason === "AlreadyExists";
};
/** 5xx, 429, and network errors: worth retrying with backoff. */
export function isRetryable(err: unknown): boolean {
  const { code } = apiErrorInfo(err);
  return code === null || code === 429 || code >= 500;
}

/** The result of an API read, or null when the object does not exist (404). */
export async function orNullIfNotFound<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
