/**
 * The resources the simulator serves, described once: discovery, URL routing, error messages and
 * Table output all read from here.
 */

export interface ResourceInfo {
  /** "" for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  subresources: string[];
  /** The API returns the object itself (not a Status) when a DELETE removes it at once. */
  returnDeletedObject: boolean;
}

export const RESOURCES: ResourceInfo[] = [
  { group: "", version: "v1", plural: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false, shortNames: ["ns"], subresources: ["status"], returnDeletedObject: true },
  { group: "", version: "v1", plural: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"], subresources: ["status", "binding"], returnDeletedObject: true },
  { group: "", version: "v1", plural: "events", singular: "event", kind: "Event", namespaced: true, shortNames: ["ev"], subresources: [], returnDeletedObject: false },
  { group: "batch", version: "v1", plural: "jobs", singular: "job", kind: "Job", namespaced: true, shortNames: [], subresources: ["status"], returnDeletedObject: false },
  { group: "coordination.k8s.io", version: "v1", plural: "leases", singular: "lease", kind: "Lease", namespaced: true, shortNames: [], subresources: [], returnDeletedObject: false },
  { group: "", version: "v1", plural: "resourcequotas", singular: "resourcequota", kind: "ResourceQuota", namespaced: true, shortNames: ["quota"], subresources: ["status"], returnDeletedObject: true },
];

export const apiVersionOf = (r: ResourceInfo): string => (r.group ? `${r.group}/${r.version}` : r.version);

/** Key of a resource in maps: "pods", "jobs.batch". */
export const resourceKey = (r: ResourceInfo): string => (r.group ? `${r.plural}.${r.group}` : r.plural);

const byGroupVersionPlural = new Map(RESOURCES.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));
const byKind = new Map(RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]));

export function findResource(group: string, version: string, plural: string): ResourceInfo | undefined {
  return byGroupVersionPlural.get(`${group}/${version}/${plural}`);
}

export function findResourceByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

export const NAMESPACES = RESOURCES[0] as ResourceInfo;
export const PODS = RESOURCES[1] as ResourceInfo;
export const EVENTS = RESOURCES[2] as ResourceInfo;
export const JOBS = RESOURCES[3] as ResourceInfo;
export const LEASES = RESOURCES[4] as ResourceInfo;
export const RESOURCE_QUOTAS = RESOURCES[5] as ResourceInfo;
