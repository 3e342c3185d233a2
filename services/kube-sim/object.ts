/** The loose object shape the simulator stores, and small helpers over its metadata. */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Stored objects never change, so their JSON is computed once and shared by lists, watches and copies. */
const storedJsonCache = new WeakMap<object, string>();

/** The JSON of a stored (never mutated) object, computed once. */
export function storedJson(o: KubeObject): string {
  let s = storedJsonCache.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    storedJsonCache.set(o, s);
  }
  return s;
}

/** A mutable copy of a stored object (reuses its cached JSON: watches have usually made it already). */
export function copyStored<T extends KubeObject>(o: T): T {
  return JSON.parse(storedJson(o)) as T;
}

/** Deep copy of plain JSON data (faster than structuredClone for API objects). */
export function deepCopy<T>(v: T): T {
  return v === null || typeof v !== "object" ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** `namespace/name` (or just `name` for cluster-scoped objects): the store key. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export const finalizersOf = (o: KubeObject): string[] => o.metadata.finalizers ?? [];
export const isTerminating = (o: KubeObject): boolean => o.metadata.deletionTimestamp !== undefined;

/** Drops `undefined`, empty `finalizers`, `labels` etc. the way the API server's JSON omits them. */
export function pruneMetadata(meta: ObjectMeta): void {
  for (const k of ["finalizers", "ownerReferences"] as const) if (meta[k] !== undefined && meta[k].length === 0) delete meta[k];
  for (const k of ["labels", "annotations"] as const) if (meta[k] !== undefined && Object.keys(meta[k]).length === 0) delete meta[k];
  for (const k of Object.keys(meta)) if (meta[k] === undefined || meta[k] === null) delete meta[k];
}
