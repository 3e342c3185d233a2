/**
 * Reading a versioned JSON object off the wire (view records, intents, ownership records,
 * creation-failure reports): the one place that turns bytes into an object or a typed error that
 * names what is wrong, so every reader dead-letters garbage the same way.
 */
export function isJsonObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Parses `data` as a JSON object; anything else throws `makeError(reason)`. */
export function parseJsonObject(data: Uint8Array | string, what: string, makeError: (message: string) => Error): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
  } catch (err) {
    throw makeError(`not JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(raw)) throw makeError(`${what} is not an object`);
  return raw;
}
