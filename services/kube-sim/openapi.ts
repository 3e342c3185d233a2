/**
 * A minimal OpenAPI v3 index: one document per group version whose create operations declare
 * the `fieldValidation` parameter. kubectl (create, run, apply) reads this to learn that the
 * server validates fields itself and then skips its client-side schema validation, which would
 * need the full schema. No schemas are served.
 */
import { apiVersionOf, RESOURCES } from "./resources.js";

const HASH = "0000000000000000";

function groupPath(groupVersion: string): string {
  return groupVersion.includes("/") ? `apis/${groupVersion}` : `api/${groupVersion}`;
}

export function openApiV3Root(): unknown {
  const gvs = [...new Set(RESOURCES.map(apiVersionOf))];
  return { paths: Object.fromEntries(gvs.map((gv) => [groupPath(gv), { serverRelativeURL: `/openapi/v3/${groupPath(gv)}?hash=${HASH}` }])) };
}

/** `path` is "api/v1" or "apis/batch/v1". */
export function openApiV3GroupVersion(path: string): unknown | undefined {
  const rs = RESOURCES.filter((r) => groupPath(apiVersionOf(r)) === path);
  if (rs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of rs) {
    const base = `/${path}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.plural}`;
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const op = (verb: string) => ({
      operationId: `${verb}${r.kind}`,
      parameters: [{ name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } }],
      responses: {},
      "x-kubernetes-action": verb,
      "x-kubernetes-group-version-kind": gvk,
    });
    paths[base] = { post: op("post") };
    paths[`${base}/{name}`] = { put: op("put"), patch: op("patch") };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.33.0" }, paths, components: { schemas: {} } };
}
