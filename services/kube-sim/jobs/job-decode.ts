/**
 * What a real API server's decoder refuses before any validation: a Job whose int32 fields do not
 * fit (`backoffLimit: 2147483648`) cannot be decoded into the Go struct, and the request fails with
 * 400 BadRequest "... cannot be handled as a Job: json: cannot unmarshal number ... of type int32",
 * not with a 422 field error.
 */
import { badRequest } from "../errors.js";
import type { KubeObject } from "../object.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** `batch/v1` JobSpec fields of Go type int32. */
const INT32_FIELDS = ["parallelism", "completions", "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes", "ttlSecondsAfterFinished"] as const;

/** Throws the apiserver's 400 when a Job's int32 field holds a number that is not an int32. */
export function assertJobDecodes(job: KubeObject): void {
  const spec = (job.spec ?? {}) as Record<string, unknown>;
  for (const f of INT32_FIELDS) {
    const v = spec[f];
    if (typeof v !== "number") continue;
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
      throw badRequest(`Job in version "v1" cannot be handled as a Job: json: cannot unmarshal number ${v} into Go struct field JobSpec.spec.${f} of type int32`);
    }
  }
}
