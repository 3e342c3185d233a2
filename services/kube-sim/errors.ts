/**
 * metav1.Status errors with the codes, reasons and messages a real kube-apiserver sends, so that
 * clients written against the simulator (client-node's ApiException, kubectl) see what they would
 * see on a cluster.
 */
import type { ResourceInfo } from "./resources.js";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** An API error that the HTTP layer turns into a metav1.Status response. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    /** Sent as the Retry-After header (seconds). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    const body: StatusBody = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message, reason: this.reason, code: this.code };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** `jobs.batch` or `pods`: the qualified resource name used in messages. */
export function qualifiedResource(r: ResourceInfo): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

function resourceDetails(r: ResourceInfo, name: string): StatusDetails {
  return r.group ? { name, group: r.group, kind: r.plural } : { name, kind: r.plural };
}

export function notFound(r: ResourceInfo, name: string): ApiError {
  return new ApiError(404, "NotFound", `${qualifiedResource(r)} "${name}" not found`, resourceDetails(r, name));
}

export function alreadyExists(r: ResourceInfo, name: string): ApiError {
  return new ApiError(409, "AlreadyExists", `${qualifiedResource(r)} "${name}" already exists`, resourceDetails(r, name));
}

export function conflict(r: ResourceInfo, name: string, why = "the object has been modified; please apply your changes to the latest version and try again"): ApiError {
  return new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`, resourceDetails(r, name));
}

export function forbidden(r: ResourceInfo, name: string, why: string): ApiError {
  return new ApiError(403, "Forbidden", `${qualifiedResource(r)} "${name}" is forbidden: ${why}`, resourceDetails(r, name));
}

/** One field error, as in k8s.io/apimachinery/pkg/util/validation/field. */
export interface FieldError {
  type: "FieldValueInvalid" | "FieldValueRequired" | "FieldValueDuplicate" | "FieldValueForbidden" | "FieldValueNotSupported";
  field: string;
  /** The detail after the type prefix ("field is immutable"). */
  detail: string;
  value?: unknown;
  /** The value is not shown (field.OmitValueType in Go). */
  omitValue?: boolean;
}

const typePrefix: Record<FieldError["type"], string> = {
  FieldValueInvalid: "Invalid value",
  FieldValueRequired: "Required value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueForbidden: "Forbidden",
  FieldValueNotSupported: "Unsupported value",
};

function renderValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "null";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

export function fieldErrorMessage(e: FieldError): string {
  const prefix = typePrefix[e.type];
  const withValue = e.type === "FieldValueInvalid" || e.type === "FieldValueDuplicate" || e.type === "FieldValueNotSupported";
  if (withValue && e.omitValue) return `${prefix}: ${e.detail}`;
  if (withValue) return e.detail ? `${prefix}: ${renderValue(e.value)}: ${e.detail}` : `${prefix}: ${renderValue(e.value)}`;
  return e.detail ? `${prefix}: ${e.detail}` : prefix;
}

/** 422 Invalid: `Job.batch "x" is invalid: [field: message, ...]`. */
export function invalid(r: ResourceInfo, name: string, errors: FieldError[]): ApiError {
  const parts = errors.map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
  const details: StatusDetails = { name, kind: r.kind, causes: errors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })) };
  if (r.group) details.group = r.group;
  return new ApiError(422, "Invalid", `${kind} "${name}" is invalid: ${joined}`, details);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

/** A JSON patch that cannot be applied (failed `test`, bad path): generic 422 as the real server answers. */
export function patchRejected(cause: string): ApiError {
  return new ApiError(422, "Invalid", "the server rejected our request due to an error in our request", { causes: [{ reason: "UnexpectedServerResponse", message: cause }] });
}

export function expired(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}

export function tooOldResourceVersion(requested: number, oldestWatchable: number): ApiError {
  return expired(`too old resource version: ${requested} (${oldestWatchable})`);
}

export const CONTINUE_EXPIRED_MESSAGE =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

export function resourceVersionTooLarge(requested: number, current: number): ApiError {
  return new ApiError(504, "Timeout", `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
    retryAfterSeconds: 1,
  });
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(429, "TooManyRequests", "Too many requests, please try again later.", { retryAfterSeconds }, retryAfterSeconds);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function serviceUnavailable(message = "the server is currently unable to handle the request"): ApiError {
  return new ApiError(503, "ServiceUnavailable", message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`);
}

export function pathNotFound(): ApiError {
  return new ApiError(404, "NotFound", "the server could not find the requested resource", {});
}
