/**
 * The object store: one Map per resource keyed by namespace/name, a per-namespace index, a label
 * index on `batch.kubernetes.io/controller-uid`, a UID index and an owner index (for the garbage
 * collector), one cluster-wide resourceVersion, and the event history. Stored objects are never
 * mutated in place: every write stores a new object, so readers can hold a stored object without
 * copying and the HTTP layer serializes it directly. Callers that want to change one copy it first.
 */
import { EventHistory, type ChangeEvent, type EventType } from "./history.js";
import { objectKey, type KubeObject } from "./object.js";
import { RESOURCES, resourceKey, type ResourceInfo } from "./resources.js";

export const INDEXED_LABEL = "batch.kubernetes.io/controller-uid";

export interface ObjectRef {
  resource: ResourceInfo;
  key: string;
}

export class ResourceTable {
  readonly objects = new Map<string, KubeObject>();
  readonly byNamespace = new Map<string, Set<string>>();
  readonly byIndexedLabel = new Map<string, Set<string>>();
  private sorted: string[] | undefined;

  constructor(readonly info: ResourceInfo) {}

  /** Keys in etcd order (lexicographic), cached until an insert or delete. */
  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.objects.keys()].sort();
    return this.sorted;
  }

  insertIndexes(key: string, obj: KubeObject): void {
    this.sorted = undefined;
    const ns = obj.metadata.namespace ?? "";
    let set = this.byNamespace.get(ns);
    if (!set) this.byNamespace.set(ns, (set = new Set()));
    set.add(key);
  }

  removeIndexes(key: string, obj: KubeObject): void {
    this.sorted = undefined;
    const ns = obj.metadata.namespace ?? "";
    this.byNamespace.get(ns)?.delete(key);
    if (this.byNamespace.get(ns)?.size === 0) this.byNamespace.delete(ns);
  }

  updateLabelIndex(key: string, prev: KubeObject | undefined, next: KubeObject | undefined): void {
    const a = prev?.metadata.labels?.[INDEXED_LABEL];
    const b = next?.metadata.labels?.[INDEXED_LABEL];
    if (a === b) return;
    if (a !== undefined) {
      const s = this.byIndexedLabel.get(a);
      s?.delete(key);
      if (s?.size === 0) this.byIndexedLabel.delete(a);
    }
    if (b !== undefined) {
      let s = this.byIndexedLabel.get(b);
      if (!s) this.byIndexedLabel.set(b, (s = new Set()));
      s.add(key);
    }
  }
}

export type ChangeListener = (e: ChangeEvent) => void;

export class Store {
  private rv = 1;
  readonly tables = new Map<string, ResourceTable>();
  readonly history: EventHistory;
  private readonly uidIndex = new Map<string, ObjectRef>();
  private readonly ownerIndex = new Map<string, Set<string>>();
  private readonly listeners: ChangeListener[] = [];

  constructor(historyWindow: number) {
    this.history = new EventHistory(historyWindow);
    for (const r of RESOURCES) this.tables.set(resourceKey(r), new ResourceTable(r));
  }

  get currentRv(): number {
    return this.rv;
  }

  table(r: ResourceInfo): ResourceTable {
    return this.tables.get(resourceKey(r)) as ResourceTable;
  }

  onChange(l: ChangeListener): void {
    this.listeners.push(l);
  }

  get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.table(r).objects.get(objectKey(r.namespaced ? namespace : undefined, name));
  }

  byUid(uid: string): { resource: ResourceInfo; object: KubeObject } | undefined {
    const ref = this.uidIndex.get(uid);
    if (!ref) return undefined;
    const object = this.table(ref.resource).objects.get(ref.key);
    return object ? { resource: ref.resource, object } : undefined;
  }

  /** `resourceKey|key` of every stored object that lists `ownerUid` in its ownerReferences. */
  dependentsOf(ownerUid: string): ObjectRef[] {
    const out: ObjectRef[] = [];
    for (const ref of this.ownerIndex.get(ownerUid) ?? []) {
      const bar = ref.indexOf("|");
      const table = this.tables.get(ref.slice(0, bar));
      if (table) out.push({ resource: table.info, key: ref.slice(bar + 1) });
    }
    return out;
  }

  /**
   * Stores `obj` (which the caller hands over and must not touch again) at a new resourceVersion
   * and emits ADDED or MODIFIED.
   */
  put(r: ResourceInfo, obj: KubeObject): KubeObject {
    const table = this.table(r);
    const key = objectKey(r.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name as string);
    const prev = table.objects.get(key);
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    table.objects.set(key, obj);
    if (!prev) table.insertIndexes(key, obj);
    table.updateLabelIndex(key, prev, obj);
    this.updateOwnerIndex(r, key, prev, obj);
    if (!prev) this.uidIndex.set(obj.metadata.uid as string, { resource: r, key });
    this.emit(prev ? "MODIFIED" : "ADDED", r, key, obj, prev);
    return obj;
  }

  /** Removes the object; the DELETED event carries the last stored object at the delete's RV. */
  remove(r: ResourceInfo, key: string): KubeObject | undefined {
    const table = this.table(r);
    const prev = table.objects.get(key);
    if (!prev) return undefined;
    this.rv++;
    table.objects.delete(key);
    table.removeIndexes(key, prev);
    table.updateLabelIndex(key, prev, undefined);
    this.updateOwnerIndex(r, key, prev, undefined);
    this.uidIndex.delete(prev.metadata.uid as string);
    const last: KubeObject = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(this.rv) } };
    this.emit("DELETED", r, key, last, prev);
    return last;
  }

  private emit(type: EventType, r: ResourceInfo, key: string, object: KubeObject, prev: KubeObject | undefined): void {
    const e: ChangeEvent = { rv: this.rv, type, resource: resourceKey(r), namespace: object.metadata.namespace ?? "", key, object, prev };
    this.history.append(e);
    for (const l of this.listeners) l(e);
  }

  private updateOwnerIndex(r: ResourceInfo, key: string, prev: KubeObject | undefined, next: KubeObject | undefined): void {
    const ref = `${resourceKey(r)}|${key}`;
    const before = new Set((prev?.metadata.ownerReferences ?? []).map((o) => o.uid));
    const after = new Set((next?.metadata.ownerReferences ?? []).map((o) => o.uid));
    for (const uid of before) {
      if (after.has(uid)) continue;
      const s = this.ownerIndex.get(uid);
      s?.delete(ref);
      if (s?.size === 0) this.ownerIndex.delete(uid);
    }
    for (const uid of after) {
      if (before.has(uid)) continue;
      let s = this.ownerIndex.get(uid);
      if (!s) this.ownerIndex.set(uid, (s = new Set()));
      s.add(ref);
    }
  }

  /**
   * The objects of `r` as they were at `rv` (rv >= history.oldestAvailable()), for consistent
   * paginated lists: the current objects with every later change undone from the history.
   * Returns the overrides: key → object at rv (undefined = did not exist).
   */
  changesSince(r: ResourceInfo, rv: number): Map<string, KubeObject | undefined> {
    const rk = resourceKey(r);
    const out = new Map<string, KubeObject | undefined>();
    for (const e of this.history.since(rv)) {
      if (e.resource !== rk || out.has(e.key)) continue;
      out.set(e.key, e.prev);
    }
    return out;
  }

  compact(): void {
    this.history.compact(this.rv);
  }
}
