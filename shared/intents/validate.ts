/** Parses intents off the wire; a malformed one is dead-lettered, never retried. */
import type { Intent } from "./intents.js";
import { INTENT_VERSION } from "./intents.js";
import { isJsonObject, parseJsonObject } from "../wire/json-object.js";

export class MalformedIntentError extends Error {
  override readonly name = "MalformedIntentError";
}

function need(o: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) {
    if (typeof o[k] !== "string" || o[k] === "") throw new MalformedIntentError(`field "${k}" must be a non-empty string`);
  }
}

export function parseIntent(data: Uint8Array | string): Intent {
  const raw = parseJsonObject(data, "intent", (m) => new MalformedIntentError(m));
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
      if (!isJsonObject(pod) || !isJsonObject(pod.metadata) || typeof pod.metadata.name !== "string" || pod.metadata.name === "") {
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
    case "adoptPod":
      need(raw, ["namespace", "jobUID", "jobName", "name", "podUID", "podResourceVersion"]);
      return raw as unknown as Intent;
    default:
      throw new MalformedIntentError(`unknown intent kind "${String(raw.kind)}"`);
  }
}
