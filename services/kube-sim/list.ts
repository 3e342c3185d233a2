/**
 * LIST with kube-apiserver's resourceVersion semantics: current state, an exact past state within
 * the history window (resourceVersionMatch=Exact, and every continue page, so that pages form one
 * consistent snapshot), limit/continue pagination in key order, selectors, and the label index.
 */
import { badRequest, CONTINUE_EXPIRED_MESSAGE, expired, tooOldResourceVersion } from "./errors.js";
import type { KubeObject } from "./object.js";
import type { ResourceInfo } from "./resources.js";
import { fieldEquality, indexableRequirement, matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from "./selectors.js";
import { INDEXED_LABEL, type Store } from "./store.js";

export interface ListQuery {
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  limit: number | undefined;
  continueToken: string | undefined;
  /** Snapshot to serve (already resolved by the caller: undefined = current). */
  snapshotRv: number | undefined;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start: `${lastKey}\u0000` })).toString("base64url");
}

export function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as ContinueToken;
    if (t.v !== "meta.k8s.io/v1" || typeof t.rv !== "number" || typeof t.start !== "string") throw new Error("bad");
    return t;
  } catch {
    throw badRequest(`invalid continue token: ${token.slice(0, 64)}`);
  }
}

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keys to visit, in order, from `start` (inclusive), restricted to `prefix`. */
function* candidateKeys(sorted: string[], extra: string[], start: string, prefix: string): Generator<string> {
  let i = lowerBound(sorted, start > prefix ? start : prefix);
  let j = lowerBound(extra, start > prefix ? start : prefix);
  for (;;) {
    const a = sorted[i];
    const b = extra[j];
    const nextA = a !== undefined && a.startsWith(prefix) ? a : undefined;
    const nextB = b !== undefined && b.startsWith(prefix) ? b : undefined;
    if (nextA === undefined && nextB === undefined) return;
    if (nextB === undefined || (nextA !== undefined && nextA < nextB)) {
      i++;
      yield nextA as string;
    } else if (nextA === undefined || nextB < nextA) {
      j++;
      yield nextB;
    } else {
      i++;
      j++;
      yield nextA;
    }
  }
}

export function listObjects(store: Store, r: ResourceInfo, q: ListQuery): ListResult {
  let snapshot = q.snapshotRv ?? store.currentRv;
  let start = "";
  if (q.continueToken) {
    const t = decodeContinue(q.continueToken);
    if (t.rv < store.history.oldestAvailable()) throw expired(CONTINUE_EXPIRED_MESSAGE);
    snapshot = t.rv;
    start = t.start;
  } else if (snapshot < store.history.oldestAvailable()) {
    throw tooOldResourceVersion(snapshot, store.history.oldestAvailable());
  }
  const table = store.table(r);
  const overrides = snapshot < store.currentRv ? store.changesSince(r, snapshot) : new Map<string, KubeObject | undefined>();
  const extra = [...overrides.keys()].sort();
  const indexed = indexableRequirement(q.labels, INDEXED_LABEL);
  const nameEq = fieldEquality(q.fields, "metadata.name");
  let sorted: string[];
  if (indexed !== undefined) sorted = [...(table.byIndexedLabel.get(indexed) ?? [])].sort();
  else if (nameEq !== undefined && q.namespace !== undefined) sorted = table.objects.has(`${q.namespace}/${nameEq}`) ? [`${q.namespace}/${nameEq}`] : [];
  else sorted = table.sortedKeys();
  const prefix = r.namespaced && q.namespace !== undefined ? `${q.namespace}/` : "";
  const limit = q.limit && q.limit > 0 ? q.limit : Infinity;
  const items: KubeObject[] = [];
  let lastKey = "";
  let more = false;
  const filtered = q.labels.length > 0 || q.fields.length > 0;
  for (const key of candidateKeys(sorted, extra, start, prefix)) {
    if (items.length >= limit) {
      more = true;
      break;
    }
    const obj = overrides.has(key) ? overrides.get(key) : table.objects.get(key);
    lastKey = key;
    if (!obj) continue;
    if (filtered && (!matchesLabels(q.labels, obj.metadata.labels) || !matchesFields(q.fields, obj))) continue;
    items.push(obj);
  }
  const result: ListResult = { items, resourceVersion: String(snapshot) };
  if (more) {
    result.continue = encodeContinue(snapshot, lastKey);
    if (!filtered && overrides.size === 0 && indexed === undefined) {
      const from = lowerBound(sorted, `${lastKey}\u0000`);
      const to = prefix ? lowerBound(sorted, `${prefix.slice(0, -1)}0`) : sorted.length;
      result.remainingItemCount = Math.max(0, to - from);
    }
  }
  return result;
}
