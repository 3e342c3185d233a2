/** RFC 6902 JSON Patch (application/json-patch+json), pure. Errors carry the messages evanphx/json-patch uses. */
import { deepCopy, isPlainObject, jsonEqual } from "../object.js";

export class PatchApplyError extends Error {
  override readonly name = "PatchApplyError";
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new PatchApplyError(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

type Container = Record<string, unknown> | unknown[];

function resolveParent(doc: unknown, tokens: string[], path: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isPlainObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined || cur === null) throw new PatchApplyError(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw new PatchApplyError(`doc is missing path: "${path}": missing value`);
  return { parent: cur, key: tokens[tokens.length - 1] as string };
}

function arrayIndex(arr: unknown[], key: string, path: string, forInsert: boolean): number {
  if (forInsert && key === "-") return arr.length;
  if (!/^\d+$/.test(key)) throw new PatchApplyError(`invalid index "${key}" in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forInsert && i === arr.length)) throw new PatchApplyError(`Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isPlainObject(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, true), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, false), 1);
  else {
    if (!(key in parent)) throw new PatchApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
    delete parent[key];
  }
  return doc;
}

function replace(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, path);
  if (Array.isArray(parent)) parent[arrayIndex(parent, key, path, false)] = value;
  else {
    if (!(key in parent)) throw new PatchApplyError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[key] = value;
  }
  return doc;
}

/** Applies `ops` to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchApplyError("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let out = deepCopy(doc);
  for (const raw of ops as Operation[]) {
    if (!isPlainObject(raw) || typeof raw.path !== "string") throw new PatchApplyError("invalid operation: missing path");
    switch (raw.op) {
      case "add":
        out = add(out, raw.path, deepCopy(raw.value));
        break;
      case "remove":
        out = remove(out, raw.path);
        break;
      case "replace":
        out = replace(out, raw.path, deepCopy(raw.value));
        break;
      case "move": {
        const v = get(out, raw.from ?? "");
        if (v === undefined) throw new PatchApplyError(`move operation does not apply: doc is missing from path: ${raw.from}`);
        out = remove(out, raw.from ?? "");
        out = add(out, raw.path, v);
        break;
      }
      case "copy": {
        const v = get(out, raw.from ?? "");
        if (v === undefined) throw new PatchApplyError(`copy operation does not apply: doc is missing from path: ${raw.from}`);
        out = add(out, raw.path, deepCopy(v));
        break;
      }
      case "test": {
        const v = get(out, raw.path);
        const expected = raw.value === undefined ? null : raw.value;
        if (!jsonEqual(v === undefined ? null : v, expected)) throw new PatchApplyError(`testing value ${raw.path} failed: test failed`);
        break;
      }
      default:
        throw new PatchApplyError(`Unexpected kind: ${String(raw.op)}`);
    }
  }
  return out;
}
