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
import { checkJobtallyCommand, envNamesOf } from "./command-args.js";
import { loadOptions } from "../../../shared/config/options.js";
import { finalizerRemoverOptionSchema } from "../../../services/finalizer-remover/options.js";

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

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  args: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: unknown };
}
interface PodAffinityTerm {
  topologyKey: string;
  labelSelector?: { matchLabels?: Record<string, string> };
}
interface DeploymentDoc {
  metadata: { name: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds?: number;
        affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[] } };
        containers: Container[];
      };
    };
  };
}
interface PdbDoc {
  metadata: { name: string };
  spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector: { matchLabels: Record<string, string> } };
}

const configMap = (docs.find((d) => d.kind === "ConfigMap") as unknown as { data: Record<string, string> }).data;
const deployments = docs.filter((d) => d.kind === "Deployment") as unknown as DeploymentDoc[];
const pdbs = docs.filter((d) => d.kind === "PodDisruptionBudget") as unknown as PdbDoc[];
const natsValues = loadYaml<{
  config: { cluster: { enabled: boolean; replicas: number }; jetstream: { enabled: boolean; fileStore: { enabled?: boolean; pvc: { enabled?: boolean } }; memoryStore?: { enabled?: boolean } } };
}>(readFileSync(new URL("../../../infra/nats/values.yaml", import.meta.url), "utf8"));

function byCommand(cmd: string): DeploymentDoc {
  const d = deployments.find((dep) => dep.spec.template.spec.containers[0]?.args[0] === cmd);
  assert.ok(d, `a Deployment runs ${cmd}`);
  return d;
}

/** The environment a container starts with: the ConfigMap, then its own env (downward API fields as a Pod would fill them). */
function containerEnv(d: DeploymentDoc, c: Container): Record<string, string> {
  const env = { ...configMap };
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = e.value ?? (field === "metadata.name" ? `${d.metadata.name}-7d9f8b6c4-x2x7q` : `<${field}>`);
  }
  return env;
}

/** True when `selector` selects Pods labelled `labels`. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!selector && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

test("Deployments run real jobtally sub-commands with valid flags, probes on /readyz and /healthz, and requests", () => {
  assert.deepEqual(deployments.map((d) => d.spec.template.spec.containers[0]?.args[0]).sort(), ["counter", "finalizer-remover", "watcher"]);
  for (const d of deployments) {
    const c = d.spec.template.spec.containers[0];
    assert.ok(c);
    const env = containerEnv(d, c);
    const httpPort = c.ports?.find((p) => p.name === "http");
    assert.equal(String(httpPort?.containerPort), env.JOBTALLY_HTTP_PORT, `${d.metadata.name}: the http port is the one the service listens on`);
    for (const [probe, path] of [[c.readinessProbe, "/readyz"], [c.livenessProbe, "/healthz"]] as const) {
      assert.equal(probe?.httpGet?.path, path, `${d.metadata.name} probes ${path}`);
      assert.ok(probe.httpGet.port === "http" || probe.httpGet.port === httpPort?.containerPort, `${d.metadata.name}: ${path} probed on the http port`);
    }
    assert.ok(c.resources?.requests, `${d.metadata.name} has resource requests`);
    assert.doesNotThrow(() => checkJobtallyCommand(c.args, env), d.metadata.name);
  }
});

test("every environment variable set is one a service reads (a misspelt name would be ignored silently)", () => {
  const readByAny = new Set(["watcher", "counter", "finalizer-remover"].flatMap((cmd) => [...envNamesOf(cmd)]));
  for (const key of Object.keys(configMap)) assert.ok(readByAny.has(key), `ConfigMap key ${key} is read by no service`);
  for (const d of deployments) {
    const c = d.spec.template.spec.containers[0] as Container;
    const reads = envNamesOf(c.args[0] ?? "");
    for (const e of c.env ?? []) assert.ok(reads.has(e.name), `${d.metadata.name}: ${c.args[0]} does not read ${e.name}`);
  }
  assert.equal(envNamesOf("counter").has("JOBTALLY_REPLICA_IDS"), false, "the check can fail");
});

test("3 counters, 2 watchers, 2 finalizer-removers, each Deployment selecting its own Pods", () => {
  for (const [cmd, n] of [["counter", 3], ["watcher", 2], ["finalizer-remover", 2]] as const) {
    const d = byCommand(cmd);
    assert.equal(d.spec.replicas, n, `${n} × ${cmd}`);
    assert.ok(selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name} selects its template's Pods`);
    for (const other of deployments.filter((o) => o !== d)) {
      assert.ok(!selects(d.spec.selector.matchLabels, other.spec.template.metadata.labels), `${d.metadata.name} does not select ${other.metadata.name}'s Pods`);
    }
  }
});

test("counters are identical replicas: no partition set, replica id from the Pod name", () => {
  const d = byCommand("counter");
  const c = d.spec.template.spec.containers[0] as Container;
  assert.ok(!c.args.some((a) => a.startsWith("--partition-set")), `counter args ${JSON.stringify(c.args)}`);
  assert.equal(containerEnv(d, c).JOBTALLY_PARTITION_SET, undefined, "no JOBTALLY_PARTITION_SET");
  const replicaId = c.env?.find((e) => e.name === "JOBTALLY_REPLICA_ID");
  assert.equal(replicaId?.valueFrom?.fieldRef?.fieldPath, "metadata.name", "JOBTALLY_REPLICA_ID from the downward API");
  const watcher = byCommand("watcher");
  const watcherId = watcher.spec.template.spec.containers[0]?.env?.find((e) => e.name === "JOBTALLY_WATCHER_ID");
  assert.equal(watcherId?.valueFrom?.fieldRef?.fieldPath, "metadata.name", "JOBTALLY_WATCHER_ID from the downward API");
});

test("a PodDisruptionBudget per component keeps at least one Pod of it, and still lets a node drain", () => {
  for (const d of deployments) {
    const labels = d.spec.template.metadata.labels;
    const matching = pdbs.filter((p) => selects(p.spec.selector.matchLabels, labels));
    assert.equal(matching.length, 1, `one PDB covers ${d.metadata.name}`);
    const pdb = matching[0] as PdbDoc;
    assert.equal(pdb.spec.minAvailable, 1, `${pdb.metadata.name}: minAvailable 1`);
    assert.equal(pdb.spec.maxUnavailable, undefined, `${pdb.metadata.name}: only one of minAvailable / maxUnavailable`);
    assert.ok(d.spec.replicas > 1, `${d.metadata.name}: more replicas than the PDB keeps, or no eviction could ever proceed`);
  }
  assert.equal(pdbs.length, deployments.length);
});

test("replicas spread over nodes and get time to drain on SIGTERM", () => {
  for (const d of deployments) {
    const pod = d.spec.template.spec;
    const terms = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    assert.ok(
      terms.some((t) => t.podAffinityTerm.topologyKey === "kubernetes.io/hostname" && selects(t.podAffinityTerm.labelSelector?.matchLabels, d.spec.template.metadata.labels) && !deployments.some((o) => o !== d && selects(t.podAffinityTerm.labelSelector?.matchLabels, o.spec.template.metadata.labels))),
      `${d.metadata.name}: preferred anti-affinity against its own replicas per node`,
    );
    // A counter writes the statuses it holds and hands its partitions over; a remover finishes
    // its in-flight API calls (what it has not acked by ack-wait is redelivered anyway).
    assert.ok((pod.terminationGracePeriodSeconds ?? 0) >= 30, `${d.metadata.name}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds}, set it to 30 or more`);
  }
  const remover = byCommand("finalizer-remover");
  const rc = remover.spec.template.spec.containers[0] as Container;
  const { ackWaitMs } = loadOptions(finalizerRemoverOptionSchema, rc.args.slice(1), containerEnv(remover, rc));
  assert.ok((remover.spec.template.spec.terminationGracePeriodSeconds ?? 0) * 1000 >= ackWaitMs, "a remover's grace period covers its ack wait");
});

test("the ConfigMap: 32 partitions, streams on every NATS node, NATS_URL lists every node of the Helm release", () => {
  assert.equal(configMap.JOBTALLY_PARTITIONS, "32");
  const nodes = natsValues.config.cluster.replicas;
  assert.equal(configMap.JOBTALLY_STREAM_REPLICAS, String(nodes), "one stream replica per NATS node");
  const urls = configMap.NATS_URL?.split(",") ?? [];
  const expected = Array.from({ length: nodes }, (_, i) => `tls://nats-${i}.nats-headless.nats.svc:4222`);
  assert.deepEqual(urls, expected);
});

test("NATS Helm values: a three-node cluster with JetStream on file storage", () => {
  const { cluster, jetstream } = natsValues.config;
  assert.equal(cluster.enabled, true);
  assert.equal(cluster.replicas, 3);
  assert.equal(jetstream.enabled, true);
  assert.equal(jetstream.fileStore.enabled ?? true, true, "file store");
  assert.equal(jetstream.fileStore.pvc.enabled ?? true, true, "on a PersistentVolume");
  assert.equal(jetstream.memoryStore?.enabled ?? false, false, "no memory store");
});

test("no ClusterRole grants wildcards or Kubernetes Leases (rbac.test.ts checks each service's verbs)", () => {
  const roles = docs.filter((d) => d.kind === "ClusterRole") as unknown as { metadata: { name: string }; rules: { resources: string[]; verbs: string[] }[] }[];
  assert.equal(roles.length, 3, "one ClusterRole per service");
  for (const role of roles) {
    for (const r of role.rules) {
      assert.ok(!r.verbs.includes("*") && !r.resources.includes("*"), `${role.metadata.name}: no wildcards`);
      assert.ok(!r.resources.includes("leases") && !r.resources.includes("secrets"), `${role.metadata.name}: no leases, no secrets`);
    }
  }
});
