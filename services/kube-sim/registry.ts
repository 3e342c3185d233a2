/**
 * The verbs with kube-apiserver's semantics on top of the store: create (generateName, namespace
 * checks), update and status update (optimistic concurrency, what each may change, no-op writes),
 * patch (JSON, merge, strategic), delete (graceful Pods, finalizers, propagation policies) and
 * Pod binding. Used by the HTTP layer and, without faults, by the garbage collector.
 */
import { randomUUID } from "node:crypto";
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  patchRejected,
  unsupportedMediaType,
  type FieldError,
} from "./errors.js";
import { copyStored, deepCopy, finalizersOf, isPlainObject, jsonEqual, objectKey, pruneMetadata, type KubeObject } from "./object.js";
import { applyJsonPatch, PatchApplyError } from "./patch/json-patch.js";
import { applyMergePatch } from "./patch/merge-patch.js";
import { applyStrategicMergePatch } from "./patch/strategic-merge.js";
import { apiVersionOf, JOBS, NAMESPACES, PODS, resourceKey, type ResourceInfo } from "./resources.js";
import type { Store } from "./store.js";
import { STRATEGIES, type Strategy } from "./strategies.js";
import { admitPodQuota } from "./quota.js";
import { validateOwnerReferences } from "./owner-references.js";

export const ORPHAN_FINALIZER = "orphan";
export const FOREGROUND_FINALIZER = "foregroundDeletion";

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = "json" | "merge" | "strategic";

export interface RegistryDeps {
  now(): Date;
  random(): number;
  /** Called with the JSON size of every Job status written through the status subresource. */
  onJobStatusWritten(bytes: number): void;
}

/** Result of a DELETE: the object (still there, or as last seen) and whether it is gone. */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
    return out;
  }
  return v;
}

/** The object without its resourceVersion, for no-op detection. */
function withoutRv(o: KubeObject): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class Registry {
  constructor(
    readonly store: Store,
    private readonly deps: RegistryDeps,
  ) {}

  strategy(r: ResourceInfo): Strategy {
    return STRATEGIES[resourceKey(r)] as Strategy;
  }

  get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(r, namespace, name);
    if (!obj) throw notFound(r, name);
    return obj;
  }

  private checkNamespace(r: ResourceInfo, namespace: string | undefined, name: string): void {
    if (!r.namespaced) return;
    const ns = this.store.get(NAMESPACES, undefined, namespace ?? "");
    if (!ns) throw notFound(NAMESPACES, namespace ?? "");
    if (ns.metadata.deletionTimestamp) {
      const err = forbidden(r, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
      // As a real server: the cause in-tree controllers test with HasStatusCause(err, NamespaceTerminatingCause).
      if (err.details) err.details.causes = [{ reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" }];
      throw err;
    }
  }

  private parseBody(r: ResourceInfo, body: unknown): KubeObject {
    if (!isPlainObject(body)) throw badRequest("the body of the request must be a JSON object");
    const obj = stripNulls(body) as KubeObject;
    if (obj.kind !== undefined && obj.kind !== r.kind) throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(r)}) or kind ${obj.kind} is not ${r.kind}`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(r)) throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(r)})`);
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    return obj;
  }

  create(r: ResourceInfo, namespace: string | undefined, body: unknown): KubeObject {
    const obj = this.parseBody(r, body);
    const meta = obj.metadata;
    if (r.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== namespace) throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      meta.namespace = namespace;
    } else delete meta.namespace;
    if (!meta.name) {
      if (!meta.generateName) throw invalid(r, "", [{ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" }]);
      for (let attempt = 0; ; attempt++) {
        let suffix = "";
        for (let i = 0; i < 5; i++) suffix += SUFFIX_CHARS[Math.floor(this.deps.random() * SUFFIX_CHARS.length)];
        const name = `${meta.generateName}${suffix}`;
        if (!this.store.get(r, namespace, name) || attempt > 10) {
          meta.name = name;
          break;
        }
      }
    }
    const name = meta.name as string;
    if (name.length > 253 || !NAME_RE.test(name)) {
      throw invalid(r, name, [
        {
          type: "FieldValueInvalid",
          field: "metadata.name",
          value: name,
          detail: "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        },
      ]);
    }
    this.checkNamespace(r, namespace, name);
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.deps.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.generation;
    delete meta.selfLink;
    const strategy = this.strategy(r);
    strategy.prepareForCreate(obj);
    if (strategy.tracksGeneration) meta.generation = 1;
    const errs = [...validateOwnerReferences(obj), ...strategy.validateCreate(obj)];
    if (errs.length > 0) throw invalid(r, name, errs);
    // Admission (quota) runs before storage: a full quota answers 403 even when the name is taken.
    if (r === PODS) admitPodQuota(this.store, namespace ?? "", name, this.deps.now());
    if (this.store.get(r, namespace, name)) throw alreadyExists(r, name);
    strategy.normalize(obj);
    pruneMetadata(meta);
    return this.store.put(r, obj);
  }

  /** PUT of the main resource or of `/status`. */
  update(r: ResourceInfo, namespace: string | undefined, name: string, body: unknown, subresource: "" | "status"): KubeObject {
    const obj = this.parseBody(r, body);
    const old = this.get(r, namespace, name);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    if (r.namespaced && obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== old.metadata.resourceVersion) throw conflict(r, name);
    if (obj.metadata.uid !== undefined && obj.metadata.uid !== old.metadata.uid) {
      throw conflict(r, name, `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    const strategy = this.strategy(r);
    let next: KubeObject;
    if (subresource === "status") {
      next = { ...copyStored(old), status: obj.status ?? {} };
    } else {
      next = obj;
      const meta = next.metadata;
      meta.name = name;
      if (r.namespaced) meta.namespace = namespace;
      meta.uid = old.metadata.uid;
      meta.creationTimestamp = old.metadata.creationTimestamp;
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      meta.generation = old.metadata.generation;
      if (strategy.hasStatus) next.status = deepCopy(old.status);
      if (strategy.tracksGeneration && !jsonEqual(next.spec, old.spec)) meta.generation = (old.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (old.metadata.deletionTimestamp) {
      const added = finalizersOf(next).filter((f) => !finalizersOf(old).includes(f));
      if (added.length > 0) {
        throw invalid(r, name, [
          { type: "FieldValueForbidden", field: "metadata.finalizers", detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}` },
        ]);
      }
    }
    const errs: FieldError[] = subresource === "status" ? strategy.validateStatusUpdate(next, old) : [...validateOwnerReferences(next), ...strategy.validateUpdate(next, old)];
    if (errs.length > 0) throw invalid(r, name, errs);
    strategy.normalize(next);
    pruneMetadata(next.metadata);
    return this.commit(r, next, old, subresource === "status");
  }

  /** Writes `next` unless it equals `old`; removes it when a deleting object lost its last finalizer. */
  private commit(r: ResourceInfo, next: KubeObject, old: KubeObject, statusWrite: boolean): KubeObject {
    if (jsonEqual(withoutRv(next), withoutRv(old))) return old;
    if (r === JOBS && statusWrite) this.deps.onJobStatusWritten(Buffer.byteLength(JSON.stringify(next.status ?? {})));
    if (this.shouldDeleteNow(next)) {
      this.store.remove(r, this.keyOf(r, next));
      // As observed on a real server: the answer shows the update (no finalizers) at the old RV.
      return next;
    }
    return this.store.put(r, next);
  }

  private keyOf(r: ResourceInfo, o: KubeObject): string {
    return objectKey(r.namespaced ? o.metadata.namespace : undefined, o.metadata.name as string);
  }

  /** Namespaces are removed by the namespace controller once empty, never directly. */
  private shouldDeleteNow(o: KubeObject): boolean {
    if (o.kind === NAMESPACES.kind) return false;
    return o.metadata.deletionTimestamp !== undefined && finalizersOf(o).length === 0 && (o.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  }

  patch(r: ResourceInfo, namespace: string | undefined, name: string, type: PatchType | "apply", patch: unknown, subresource: "" | "status"): KubeObject {
    if (type === "apply") throw unsupportedMediaType("application/apply-patch+yaml");
    const old = this.get(r, namespace, name);
    let patched: unknown;
    try {
      if (type === "json") patched = applyJsonPatch(old, patch);
      else if (type === "merge") {
        if (!isPlainObject(patch)) throw badRequest("merge patch must be a JSON object");
        patched = applyMergePatch(old, patch);
      } else patched = applyStrategicMergePatch(old, patch, () => copyStored(old));
    } catch (err) {
      if (err instanceof PatchApplyError) throw patchRejected(err.message);
      throw err;
    }
    if (!isPlainObject(patched)) throw patchRejected("the patch did not produce an object");
    return this.update(r, namespace, name, patched, subresource);
  }

  delete(r: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions): DeleteResult {
    const old = this.get(r, namespace, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid !== undefined && pre.uid !== old.metadata.uid) {
      throw conflict(r, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(r, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 0;
    const next = copyStored(old);
    const meta = next.metadata;
    const now = this.deps.now();
    let grace = 0;
    if (r === PODS) {
      const phase = (old.status as { phase?: string } | undefined)?.phase;
      const bound = typeof old.spec?.nodeName === "string" && old.spec.nodeName !== "";
      if (bound && phase !== "Succeeded" && phase !== "Failed") {
        grace = opts.gracePeriodSeconds ?? (old.spec?.terminationGracePeriodSeconds as number | undefined) ?? 30;
      }
    }
    if (meta.deletionTimestamp) {
      // Already terminating: a shorter grace period may be requested (the kubelet's final grace 0).
      const current = meta.deletionGracePeriodSeconds ?? 0;
      if (grace < current) {
        meta.deletionGracePeriodSeconds = grace;
        meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
      }
    } else {
      meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
      meta.deletionGracePeriodSeconds = grace;
    }
    const policy = this.effectivePolicy(r, opts);
    let finalizers = finalizersOf(next).filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
    const hadGcFinalizer = finalizersOf(old).filter((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER);
    if (old.metadata.deletionTimestamp && opts.propagationPolicy === undefined && opts.orphanDependents === undefined) {
      finalizers = [...finalizers, ...hadGcFinalizer];
    } else if (policy === "Orphan") finalizers.push(ORPHAN_FINALIZER);
    else if (policy === "Foreground") finalizers.push(FOREGROUND_FINALIZER);
    meta.finalizers = finalizers;
    if (r === NAMESPACES) (next.status ??= {}).phase = "Terminating";
    pruneMetadata(meta);
    if (this.shouldDeleteNow(next)) {
      // A Pod's deletion is graceful even at grace 0: the server stores the deletionTimestamp
      // first, then removes the Pod, so a watch sees MODIFIED then DELETED (observed on 1.26).
      if (r === PODS && !old.metadata.deletionTimestamp) this.store.put(r, next);
      const last = this.store.remove(r, this.keyOf(r, old)) as KubeObject;
      return { object: last, deleted: true };
    }
    if (jsonEqual(withoutRv(next), withoutRv(old))) return { object: old, deleted: false };
    return { object: this.store.put(r, next), deleted: false };
  }

  /** Jobs (batch/v1) default to Orphan when the request names no policy; everything else to Background. */
  private effectivePolicy(r: ResourceInfo, opts: DeleteOptions): PropagationPolicy {
    if (opts.propagationPolicy) return opts.propagationPolicy;
    if (opts.orphanDependents !== undefined) return opts.orphanDependents ? "Orphan" : "Background";
    return r === JOBS ? "Orphan" : "Background";
  }

  /** POST pods/<name>/binding: sets spec.nodeName and the PodScheduled condition. */
  bind(namespace: string, name: string, body: unknown): void {
    const pod = this.get(PODS, namespace, name);
    const target = (body as { target?: { name?: string; kind?: string } } | undefined)?.target;
    if (!target?.name) throw invalid(PODS, name, [{ type: "FieldValueRequired", field: "target.name", detail: "" }]);
    const bindingResource = { ...PODS, plural: "pods/binding" };
    if (pod.metadata.deletionTimestamp) throw conflict(bindingResource, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (pod.spec?.nodeName) throw conflict(bindingResource, name, `pod ${name} is already assigned to node "${String(pod.spec.nodeName)}"`);
    const next = copyStored(pod);
    (next.spec ??= {}).nodeName = target.name;
    const status = (next.status ??= {});
    const conds = ((status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== "PodScheduled");
    conds.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: timestamp(this.deps.now()) } as { type: string });
    status.conditions = stripNulls(conds);
    this.store.put(PODS, next);
  }

  /** Removes the object outright (namespace controller's last step). */
  forget(r: ResourceInfo, o: KubeObject): void {
    this.store.remove(r, this.keyOf(r, o));
  }
}

export { ApiError };
