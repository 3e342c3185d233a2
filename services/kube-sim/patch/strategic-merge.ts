/**
 * Strategic merge patch (application/strategic-merge-patch+json) for the lists Pods, Jobs and
 * their metadata declare with `patchStrategy: merge` in k8s.io/api; every other list is replaced,
 * as the real server does for lists without a strategy. Supports `null` deletion,
 * `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` (ignored: order is kept),
 * `$patch: delete` / `$patch: replace` in list elements and maps, and `$retainKeys`.
 */
import { deepCopy, isPlainObject, jsonEqual } from "../object.js";
import { PatchApplyError } from "./json-patch.js";

/** Merge key of a list field, or "" for a merged list of primitives (a set). */
type ListStrategy = { mergeKey: string };

/**
 * Paths (dot-joined field names, list elements transparent) whose lists merge, and their merge
 * keys. From the patch tags in k8s.io/api core/v1, batch/v1 and meta/v1.
 */
const MERGE_LISTS: Record<string, ListStrategy> = {
  "metadata.finalizers": { mergeKey: "" },
  "metadata.ownerReferences": { mergeKey: "uid" },
  "status.conditions": { mergeKey: "type" },
  "status.podIPs": { mergeKey: "ip" },
  "status.hostIPs": { mergeKey: "ip" },
  "spec.containers": { mergeKey: "name" },
  "spec.initContainers": { mergeKey: "name" },
  "spec.ephemeralContainers": { mergeKey: "name" },
  "spec.volumes": { mergeKey: "name" },
  "spec.imagePullSecrets": { mergeKey: "name" },
  "spec.containers.env": { mergeKey: "name" },
  "spec.containers.ports": { mergeKey: "containerPort" },
  "spec.containers.volumeMounts": { mergeKey: "mountPath" },
  "spec.containers.volumeDevices": { mergeKey: "devicePath" },
  "spec.initContainers.env": { mergeKey: "name" },
  "spec.initContainers.ports": { mergeKey: "containerPort" },
  "spec.initContainers.volumeMounts": { mergeKey: "mountPath" },
  "spec.hostAliases": { mergeKey: "ip" },
  "spec.topologySpreadConstraints": { mergeKey: "topologyKey" },
  "spec.resourceClaims": { mergeKey: "name" },
  "spec.schedulingGates": { mergeKey: "name" },
};

/** Job (and other template-carrying) objects: the Pod spec sits under spec.template. */
function strategyFor(path: string): ListStrategy | undefined {
  const direct = MERGE_LISTS[path];
  if (direct) return direct;
  if (path.startsWith("spec.template.")) return MERGE_LISTS[path.slice("spec.template.".length)];
  if (path === "spec.template.metadata.finalizers") return MERGE_LISTS["metadata.finalizers"];
  return undefined;
}

/** `copy` makes the working copy of `original` (the registry passes a cached-JSON copy of the stored object). */
export function applyStrategicMergePatch(original: unknown, patch: unknown, copy: (o: Record<string, unknown>) => Record<string, unknown> = deepCopy): unknown {
  if (!isPlainObject(patch)) throw new PatchApplyError("strategic merge patch must be a JSON object");
  return mergeMap(isPlainObject(original) ? copy(original) : {}, patch, "");
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function mergeMap(target: Record<string, unknown>, patch: Record<string, unknown>, path: string): Record<string, unknown> {
  const directive = patch.$patch;
  if (directive === "replace") {
    const copy = deepCopy(patch);
    delete copy.$patch;
    return copy;
  }
  if (directive === "delete") return {};
  let retain: string[] | undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch") continue;
    if (key === "$retainKeys") {
      if (Array.isArray(value)) retain = value as string[];
      continue;
    }
    if (key.startsWith("$setElementOrder/")) continue;
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      if (!Array.isArray(value)) throw new PatchApplyError(`invalid ${key}: must be a list`);
      const cur = target[field];
      if (Array.isArray(cur)) {
        const next = cur.filter((v) => !value.some((d) => jsonEqual(d, v)));
        if (next.length > 0) target[field] = next;
        else delete target[field];
      }
      continue;
    }
    if (value === null) {
      delete target[key];
      continue;
    }
    const childPath = join(path, key);
    const cur = target[key];
    if (isPlainObject(value)) {
      if (value.$patch === "delete") {
        delete target[key];
        continue;
      }
      target[key] = mergeMap(isPlainObject(cur) ? cur : {}, value, childPath);
    } else if (Array.isArray(value)) {
      const strategy = strategyFor(childPath);
      target[key] = strategy && Array.isArray(cur) ? mergeList(cur, value, strategy, childPath) : stripDirectives(value);
    } else {
      target[key] = value;
    }
  }
  if (retain) for (const k of Object.keys(target)) if (!retain.includes(k)) delete target[k];
  return target;
}

function stripDirectives(list: unknown[]): unknown[] {
  return deepCopy(list.filter((v) => !(isPlainObject(v) && v.$patch === "delete")));
}

function mergeList(current: unknown[], patch: unknown[], s: ListStrategy, path: string): unknown[] {
  if (patch.some((v) => isPlainObject(v) && v.$patch === "replace")) {
    return deepCopy(patch.filter((v) => !(isPlainObject(v) && v.$patch === "replace")));
  }
  const out = [...current];
  if (s.mergeKey === "") {
    for (const v of patch) if (!out.some((c) => jsonEqual(c, v))) out.push(deepCopy(v));
    return out;
  }
  for (const item of patch) {
    if (!isPlainObject(item)) throw new PatchApplyError(`${path}: elements of a merged list must be objects`);
    const keyValue = item[s.mergeKey];
    if (keyValue === undefined) throw new PatchApplyError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${s.mergeKey}`);
    const idx = out.findIndex((c) => isPlainObject(c) && jsonEqual(c[s.mergeKey], keyValue));
    if (item.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = mergeMap(deepCopy(out[idx] as Record<string, unknown>), item, path);
    else out.push(mergeMap({}, item, path));
  }
  return out;
}
