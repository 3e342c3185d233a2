/**
 * The Kustomize manifests in infra/base, validated against the Kubernetes JSON schemas shipped in
 * kubernetes-models (and prometheus-operator's for the ServiceMonitor); the Deployments' args must
 * be real jobtally sub-commands with valid flags under the ConfigMap's environment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadAllYaml, loadYaml } from "@kubernetes/client-node";
import { Deployment } from "kubernetes-models/apps/v1";
import { Namespace, ServiceAccount, ConfigMap, Service } from "kubernetes-models/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { checkJobtallyCommand } from "./command-args.js";

const base = new URL("../../../infra/base/", import.meta.url);
const kustomization = loadYaml<{ resources: string[] }>(readFileSync(new URL("kustomization.yaml", base), "utf8"));
type Doc = { apiVersion: string; kind: string; metadata?: { name?: string }; [k: string]: unknown };
const docs: Doc[] = kustomization.resources.flatMap((file) => loadAllYaml(readFileSync(new URL(file, base), "utf8")) as Doc[]);

const models: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

test("every manifest validates against its Kubernetes schema", () => {
  assert.ok(docs.length >= 10);
  for (const doc of docs) {
    const Model = models[`${doc.apiVersion}/${doc.kind}`];
    assert.ok(Model, `no schema for ${doc.apiVersion} ${doc.kind}`);
    assert.doesNotThrow(() => new Model(doc as never).validate(), `${doc.kind}/${doc.metadata?.name}`);
  }
});

test("the schema check can fail: a Deployment with a string replica count is rejected", () => {
  const dep = docs.find((d) => d.kind === "Deployment") as Doc;
  const broken = { ...dep, spec: { ...(dep.spec as object), replicas: "two" } };
  assert.throws(() => new Deployment(broken as never).validate());
});

test("Deployments run real jobtally sub-commands with valid flags, probes and requests", () => {
  const env = (docs.find((d) => d.kind === "ConfigMap") as unknown as { data: Record<string, string> }).data;
  const deployments = docs.filter((d) => d.kind === "Deployment") as unknown as {
    metadata: { name: string };
    spec: { template: { spec: { containers: { args: string[]; readinessProbe?: unknown; livenessProbe?: unknown; resources?: { requests?: unknown } }[] } } };
  }[];
  assert.deepEqual(deployments.map((d) => d.spec.template.spec.containers[0]?.args[0]).sort(), ["counter", "finalizer-remover", "watcher"]);
  for (const d of deployments) {
    const c = d.spec.template.spec.containers[0];
    assert.ok(c?.readinessProbe && c.livenessProbe, `${d.metadata.name} has probes`);
    assert.ok(c.resources?.requests, `${d.metadata.name} has resource requests`);
    assert.doesNotThrow(() => checkJobtallyCommand(c.args, env), d.metadata.name);
  }
});

test("the ClusterRole grants only what the services use", () => {
  const role = docs.find((d) => d.kind === "ClusterRole") as unknown as { rules: { resources: string[]; verbs: string[] }[] };
  const resources = role.rules.flatMap((r) => r.resources).sort();
  assert.deepEqual(resources, ["events", "jobs", "jobs/finalizers", "jobs/status", "leases", "pods"]);
  for (const r of role.rules) assert.ok(!r.verbs.includes("*"), "no wildcard verbs");
});
