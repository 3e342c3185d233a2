/** Parses intents off the wire; a malformed one is dead-lettered, never retried. */
import type { Intent } from "./intents.js";
import { INTENT_VERSION } from "./intents.js";

export class MalformedIntentError extends Error {
  override readonly name = "MalformedIntentError";
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
function need(o: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) {
    if (typeof o[k] !== "string" || o[k] === "") throw new MalformedIntentError(`field "${k}" must be a non-empty string`);
  }
}

export function parseIntent(data: Uint8Array | string): Intent {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
  } catch (err) {
    throw new MalformedIntentError(`not JSON: ${(err as Error).message}`);
  }
  if (!isObj(raw)) throw new MalformedIntentError("intent is not an object");
  if (raw.v !== INTENT_VERSION) throw new MalformedIntentError(`unsupported intent version ${String(raw.v)}`);
  if (typeof raw.partition !== "number" || !Number.isInteger(raw.partition) || raw.partition < 0) {
    throw new MalformedIntentError(`field "partition" must be a non-negative integer`);
  }
  if (typeof raw.epoch !== "number" || !Number.isInteger(raw.epoch) || raw.epoch < 1) {
    throw new MalformedIntentError(`field "epoch" must be a positive integer (the partition lease it was decided under)`);
  }
  need(raw, ["holder"]);
  switch (raw.kind) {
    case "removeFinalizer":
      need(raw, ["namespace", "name", "podUID", "reason"]);
      return raw as unknown as Intent;
    case "createPod": {
      need(raw, ["namespace", "jobUID", "jobName"]);
      const pod = raw.pod;
      if (!isObj(pod) || !isObj(pod.metadata) || typeof pod.metadata.name !== "string" || pod.metadata.name === "") {
        throw new MalformedIntentError(`field "pod" must be a Pod manifest with metadata.name`);
      }
      if (raw.notAfterMs !== undefined && (typeof raw.notAfterMs !== "number" || !Number.isFinite(raw.notAfterMs))) {
        throw new MalformedIntentError(`field "notAfterMs" must be a number (epoch milliseconds)`);
      }
      return raw as unknown as Intent;
    }
    case "deletePod":
      need(raw, ["namespace", "jobUID", "jobName", "name", "podUID", "reason"]);
      if (typeof raw.removeFinalizerFirst !== "boolean") throw new MalformedIntentError(`field "removeFinalizerFirst" must be a boolean`);
      return raw as unknown as Intent;
    default:
      throw new MalformedIntentError(`unknown intent kind "${String(raw.kind)}"`);
  }
}
