/** Discovery documents (/version, /api, /apis, group versions) so that kubectl works. */
import { apiVersionOf, RESOURCES, type ResourceInfo } from "./resources.js";

export const GIT_VERSION = "v1.33.0-jobtally-sim";

export function versionInfo(): unknown {
  return {
    major: "1",
    minor: "33",
    gitVersion: GIT_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-01-01T00:00:00Z",
    goVersion: "go1.24.0",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
}

const GROUPS = ["batch", "coordination.k8s.io"];

export function apiGroupList(): unknown {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: GROUPS.map((g) => ({ name: g, versions: [{ groupVersion: `${g}/v1`, version: "v1" }], preferredVersion: { groupVersion: `${g}/v1`, version: "v1" } })),
  };
}

export function apiGroup(group: string): unknown | undefined {
  if (!GROUPS.includes(group)) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", name: group, versions: [{ groupVersion: `${group}/v1`, version: "v1" }], preferredVersion: { groupVersion: `${group}/v1`, version: "v1" } };
}

const MAIN_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function entries(r: ResourceInfo): unknown[] {
  const main: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.plural === "namespaces" ? MAIN_VERBS.filter((v) => v !== "deletecollection") : MAIN_VERBS };
  if (r.shortNames.length > 0) main.shortNames = r.shortNames;
  if (r.plural === "pods" || r.plural === "jobs") main.categories = ["all"];
  const out: unknown[] = [main];
  for (const sub of r.subresources) {
    if (sub === "binding") out.push({ name: `${r.plural}/binding`, singularName: "", namespaced: true, kind: "Binding", verbs: ["create"] });
    else out.push({ name: `${r.plural}/${sub}`, singularName: "", namespaced: r.namespaced, kind: r.kind, verbs: ["get", "patch", "update"] });
  }
  return out;
}

export function apiResourceList(group: string, version: string): unknown | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersionOf(rs[0] as ResourceInfo), resources: rs.flatMap(entries) };
}
