/**
 * The garbage collector and the namespace controller, reduced to what Jobs and Pods need:
 * - owner gone (deleted, or never existed) → dependents deleted through the normal delete path
 *   (Pods then wait for their finalizers and kubelet as usual), or the dangling ownerReference
 *   dropped when another owner still exists;
 * - owner with the `orphan` finalizer → its ownerReference removed from every dependent, then the
 *   finalizer;
 * - owner with `foregroundDeletion` → dependents deleted; the finalizer goes once no dependent with
 *   blockOwnerDeletion is left;
 * - namespace terminating → everything in it deleted, then the namespace.
 * Work is asynchronous (after the DELETE that caused it has answered), driven by store events:
 * no periodic rescans.
 */
import type { ChangeEvent } from "./history.js";
import { copyStored, finalizersOf, type KubeObject } from "./object.js";
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type Registry } from "./registry.js";
import { findResourceByKind, NAMESPACES, RESOURCES, resourceKey, type ResourceInfo } from "./resources.js";
import type { Store } from "./store.js";

type Task = { kind: "owner"; uid: string } | { kind: "dependent"; resource: ResourceInfo; key: string } | { kind: "namespace"; name: string };

export interface GarbageCollectorOptions {
  /** Delay before queued work runs, ms. */
  delayMs: number;
  onError(err: unknown, task: string): void;
}

export class GarbageCollector {
  private readonly queue = new Map<string, Task>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly opts: GarbageCollectorOptions,
  ) {
    store.onChange((e) => this.observe(e));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** True when no work is queued (tests wait for this). */
  get idle(): boolean {
    return this.queue.size === 0;
  }

  private enqueue(id: string, t: Task): void {
    if (this.stopped) return;
    this.queue.set(id, t);
    this.timer ??= setTimeout(() => this.drain(), this.opts.delayMs);
  }

  private observe(e: ChangeEvent): void {
    const obj = e.object;
    const uid = obj.metadata.uid as string;
    if (e.type === "DELETED") {
      this.enqueue(`owner:${uid}`, { kind: "owner", uid });
      for (const ref of obj.metadata.ownerReferences ?? []) this.enqueue(`owner:${ref.uid}`, { kind: "owner", uid: ref.uid });
      if (e.namespace && this.isNamespaceTerminating(e.namespace)) this.enqueue(`ns:${e.namespace}`, { kind: "namespace", name: e.namespace });
      return;
    }
    if (obj.metadata.deletionTimestamp) {
      const f = finalizersOf(obj);
      if (f.includes(ORPHAN_FINALIZER) || f.includes(FOREGROUND_FINALIZER)) this.enqueue(`owner:${uid}`, { kind: "owner", uid });
      if (e.resource === resourceKey(NAMESPACES)) this.enqueue(`ns:${obj.metadata.name}`, { kind: "namespace", name: obj.metadata.name as string });
    }
    const refs = obj.metadata.ownerReferences;
    if (refs && refs.length > 0) {
      const changed = e.type === "ADDED" || JSON.stringify(e.prev?.metadata.ownerReferences) !== JSON.stringify(refs);
      if (changed && refs.some((r) => !this.store.byUid(r.uid))) {
        const resource = RESOURCES.find((r) => resourceKey(r) === e.resource) as ResourceInfo;
        this.enqueue(`dep:${e.resource}|${e.key}`, { kind: "dependent", resource, key: e.key });
      }
    }
  }

  private isNamespaceTerminating(name: string): boolean {
    return this.store.get(NAMESPACES, undefined, name)?.metadata.deletionTimestamp !== undefined;
  }

  private drain(): void {
    this.timer = undefined;
    // Tasks queued while draining run in the next round.
    const tasks = [...this.queue.entries()];
    this.queue.clear();
    for (const [id, t] of tasks) {
      if (this.stopped) return;
      try {
        if (t.kind === "owner") this.processOwner(t.uid);
        else if (t.kind === "dependent") this.processDependent(t.resource, t.key);
        else this.processNamespace(t.name);
      } catch (err) {
        this.opts.onError(err, id);
      }
    }
  }

  private processOwner(uid: string): void {
    const owner = this.store.byUid(uid);
    const dependents = this.store.dependentsOf(uid);
    if (!owner) {
      for (const d of dependents) this.processDependent(d.resource, d.key);
      return;
    }
    const f = finalizersOf(owner.object);
    if (!owner.object.metadata.deletionTimestamp) return;
    if (f.includes(ORPHAN_FINALIZER)) {
      for (const d of dependents) {
        const obj = this.store.table(d.resource).objects.get(d.key);
        if (!obj) continue;
        const next = copyStored(obj);
        next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        this.registry.update(d.resource, obj.metadata.namespace, obj.metadata.name as string, next, "");
      }
      this.removeFinalizer(owner.resource, owner.object, ORPHAN_FINALIZER);
      return;
    }
    if (f.includes(FOREGROUND_FINALIZER)) {
      let blocking = 0;
      for (const d of dependents) {
        const obj = this.store.table(d.resource).objects.get(d.key);
        if (!obj) continue;
        const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.uid === uid);
        if (ref?.blockOwnerDeletion) blocking++;
        if (!obj.metadata.deletionTimestamp) this.registry.delete(d.resource, obj.metadata.namespace, obj.metadata.name as string, { propagationPolicy: "Background" });
      }
      if (blocking === 0) this.removeFinalizer(owner.resource, owner.object, FOREGROUND_FINALIZER);
    }
  }

  /** Deletes a dependent whose owners are all gone, or drops its dangling references. */
  private processDependent(resource: ResourceInfo, key: string): void {
    const obj = this.store.table(resource).objects.get(key);
    if (!obj) return;
    const refs = obj.metadata.ownerReferences ?? [];
    const served = refs.filter((r) => findResourceByKind(r.apiVersion, r.kind));
    const absent = served.filter((r) => !this.store.byUid(r.uid));
    if (absent.length === 0) return;
    const liveOwners = refs.length - absent.length;
    if (liveOwners === 0) {
      if (!obj.metadata.deletionTimestamp) this.registry.delete(resource, obj.metadata.namespace, obj.metadata.name as string, { propagationPolicy: "Background" });
      return;
    }
    const next = copyStored(obj);
    const gone = new Set(absent.map((r) => r.uid));
    next.metadata.ownerReferences = refs.filter((r) => !gone.has(r.uid));
    this.registry.update(resource, obj.metadata.namespace, obj.metadata.name as string, next, "");
  }

  private removeFinalizer(r: ResourceInfo, obj: KubeObject, finalizer: string): void {
    const next = copyStored(obj);
    next.metadata.finalizers = finalizersOf(next).filter((f) => f !== finalizer);
    this.registry.update(r, obj.metadata.namespace, obj.metadata.name as string, next, "");
  }

  private processNamespace(name: string): void {
    const ns = this.store.get(NAMESPACES, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const r of RESOURCES) {
      if (!r.namespaced) continue;
      const table = this.store.table(r);
      for (const key of [...(table.byNamespace.get(name) ?? [])]) {
        remaining++;
        const obj = table.objects.get(key);
        if (obj && !obj.metadata.deletionTimestamp) this.registry.delete(r, name, obj.metadata.name as string, { propagationPolicy: "Background" });
      }
    }
    if (remaining === 0) this.registry.forget(NAMESPACES, ns);
  }
}
