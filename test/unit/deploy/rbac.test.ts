/**
 * Least privilege per service, checked against the code: the Kubernetes API calls each service can
 * make are derived from its sources (services/<name>/**, plus every shared/ file its imports reach)
 * by the @kubernetes/client-node method names and watch paths they contain, mapped to (apiGroup,
 * resource, verb), and compared with the service's ClusterRole in infra/base both ways: every call
 * granted, and nothing granted that no code path calls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadAllYaml, loadYaml } from "@kubernetes/client-node";
import { PIPELINE_SERVICES, type PipelineService } from "../../../shared/nats/permissions.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Every source file `entry` reaches through relative imports (static and dynamic). */
export function reachableSources(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      visit(resolve(dirname(file), (m[1] as string).replace(/\.js$/, ".ts")));
    }
  };
  visit(entry);
  return [...seen];
}

const KIND_RESOURCE: Record<string, { group: string; resource: string }> = {
  Job: { group: "batch", resource: "jobs" },
  Pod: { group: "", resource: "pods" },
  Event: { group: "", resource: "events" },
  Lease: { group: "coordination.k8s.io", resource: "leases" },
  Secret: { group: "", resource: "secrets" },
  ConfigMap: { group: "", resource: "configmaps" },
};
const VERB: Record<string, string> = { list: "list", read: "get", create: "create", patch: "patch", replace: "update", delete: "delete", deleteCollection: "deletecollection" };

/** "batch/jobs/status:update" for each API call the source text makes. */
export function apiCallsIn(text: string): Set<string> {
  const calls = new Set<string>();
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  // client-node's names: <verb>Namespaced<Kind>[Status], <verb><Kind>ForAllNamespaces (a service's
  // own wrappers, such as deps.readJob or api.createPod, are not API calls and do not match).
  for (const m of code.matchAll(/\.(list|read|create|patch|replace|deleteCollection|delete)(?:Namespaced(Job|Pod|Event|Lease|Secret|ConfigMap)(Status|Finalizers|Strategic)?|(Job|Pod|Event|Lease|Secret|ConfigMap)ForAllNamespaces)\s*\(/g)) {
    const { group, resource } = KIND_RESOURCE[(m[2] ?? m[4]) as string] as { group: string; resource: string };
    // "Strategic" names a patch flavour (shared/kube/client.ts), not a subresource.
    const sub = m[3] && m[3] !== "Strategic" ? `/${(m[3] as string).toLowerCase()}` : "";
    calls.add(`${group}/${resource}${sub}:${VERB[m[1] as string]}`);
  }
  // Watches go through shared/kube/list-watch.ts with a path: /api/v1/.../pods, /apis/batch/v1/.../jobs.
  for (const m of code.matchAll(/watchPath:[^\n]*?["'`]\/api(?:s\/([a-z.]+))?\/v1\/[^"'`]*?\b([a-z]+)["'`]/g)) calls.add(`${m[1] ?? ""}/${m[2]}:watch`);
  // A created Pod carries a controller ownerReference with blockOwnerDeletion: the API server's
  // OwnerReferencesPermissionEnforcement wants update on the owner's finalizers subresource.
  if (calls.has("/pods:create")) calls.add("batch/jobs/finalizers:update");
  return calls;
}

function neededBy(service: PipelineService): Set<string> {
  const out = new Set<string>();
  for (const file of reachableSources(join(root, "services", service, "main.ts"))) for (const c of apiCallsIn(readFileSync(file, "utf8"))) out.add(c);
  return out;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
const base = join(root, "infra/base");
const docs = loadYaml<{ resources: string[] }>(readFileSync(join(base, "kustomization.yaml"), "utf8")).resources.flatMap(
  (f) => loadAllYaml(readFileSync(join(base, f), "utf8")) as { kind: string; metadata: { name: string }; [k: string]: unknown }[],
);

/** What the ServiceAccount running `service` is granted, as "group/resource:verb". */
function grantedTo(service: PipelineService): Set<string> {
  const dep = docs.find((d) => d.kind === "Deployment" && (d as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]?.args[0] === service) as unknown as {
    metadata: { namespace?: string };
    spec: { template: { spec: { serviceAccountName?: string } } };
  };
  const sa = dep.spec.template.spec.serviceAccountName;
  assert.ok(sa && sa !== "default", `${service} runs under its own ServiceAccount`);
  const out = new Set<string>();
  for (const b of docs.filter((d) => d.kind === "ClusterRoleBinding" || d.kind === "RoleBinding") as unknown as { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string }[] }[]) {
    if (!b.subjects.some((s) => s.kind === "ServiceAccount" && s.name === sa)) continue;
    const role = docs.find((d) => d.kind === b.roleRef.kind && d.metadata.name === b.roleRef.name) as unknown as { rules: Rule[] } | undefined;
    assert.ok(role, `${b.roleRef.kind} ${b.roleRef.name} exists`);
    for (const r of role.rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res}:${v}`);
  }
  return out;
}

test("the call scanner finds client-node calls and watch paths, and ignores comments", () => {
  const calls = apiCallsIn(`
    await kube.batch.replaceNamespacedJobStatus({ name });
    kube.core.listPodForAllNamespaces({}); // kube.core.deleteNamespacedPod(
    watchPath: config.namespace ? \`/apis/batch/v1/namespaces/\${ns}/jobs\` : "/apis/batch/v1/jobs",
    api.createNamespacedPod({ namespace, body });`);
  assert.deepEqual([...calls].sort(), ["/pods:create", "/pods:list", "batch/jobs/finalizers:update", "batch/jobs/status:update", "batch/jobs:watch"]);
});

test("each service is reached from its main.ts (the scan covers its shared code too)", () => {
  const files = reachableSources(join(root, "services/watcher/main.ts")).map((f) => relative(root, f));
  assert.ok(files.includes("shared/kube/list-watch.ts"), files.join(", "));
  assert.ok(!files.some((f) => f.startsWith("services/counter/")), "the watcher does not reach the counter");
});

for (const svc of PIPELINE_SERVICES) {
  test(`${svc}: every API call its code makes is granted, and nothing more`, () => {
    const needed = neededBy(svc);
    const granted = grantedTo(svc);
    assert.ok(needed.size > 0, `${svc} calls the API`);
    const missing = [...needed].filter((c) => !granted.has(c)).sort();
    const extra = [...granted].filter((c) => !needed.has(c)).sort();
    assert.deepEqual(missing, [], `${svc} calls these without a grant`);
    assert.deepEqual(extra, [], `${svc} is granted these, which no code path of it calls`);
  });
}

test("the expected shape: watcher only reads, counter writes Job status and only reads Pods, only the remover touches Pods", () => {
  assert.deepEqual([...neededBy("watcher")].sort(), ["/pods:list", "/pods:watch", "batch/jobs:list", "batch/jobs:watch"]);
  assert.deepEqual([...neededBy("counter")].filter((c) => c.startsWith("/pods:")), ["/pods:get"], "the counter only reads a Pod (one first seen finished), never writes one");
  assert.ok(neededBy("finalizer-remover").has("/pods:patch"));
});
