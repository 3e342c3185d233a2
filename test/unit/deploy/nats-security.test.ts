/**
 * The shipped configurations turn NATS authentication and TLS on: one NATS user per service in the
 * Helm values and in the compose NATS config, each with exactly the permissions of
 * shared/nats/permissions.ts (every subject the service needs, nothing broader), passwords only
 * from Secrets (Kubernetes) or the environment (compose), never from a ConfigMap or a file in git.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAllYaml, loadYaml } from "@kubernetes/client-node";
import { natsAuthorizationConfig, NATS_USERS, PIPELINE_SERVICES, REMOVER_DURABLES, servicePermissions, type PipelineService } from "../../../shared/nats/permissions.js";
import { INTENT_KINDS, removerDurable } from "../../../services/finalizer-remover/options.js";
import { makeTestPki } from "../../support/tls-certs.js";

const root = new URL("../../../", import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), "utf8");

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown; fieldRef?: unknown };
}
interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: { template: { spec: { containers: { args: string[]; env?: EnvVar[]; volumeMounts?: { name: string; mountPath: string }[] }[]; volumes?: { name: string; secret?: { secretName: string } }[] } } };
}
const baseDocs = (loadYaml<{ resources: string[] }>(read("infra/base/kustomization.yaml")).resources).flatMap((f) => loadAllYaml(read(`infra/base/${f}`)) as { kind: string }[]);
const configMap = (baseDocs.find((d) => d.kind === "ConfigMap") as unknown as { data: Record<string, string> }).data;
const deployments = baseDocs.filter((d) => d.kind === "Deployment") as unknown as Deployment[];
const deploymentOf = (svc: PipelineService): Deployment => {
  const d = deployments.find((x) => x.spec.template.spec.containers[0]?.args[0] === svc);
  assert.ok(d, `a Deployment runs ${svc}`);
  return d;
};

interface ValuesUser {
  user: string;
  password: string;
  permissions: { publish: { allow: string[] }; subscribe: { allow: string[] } };
}
const values = loadYaml<{
  config: { nats: { tls: { enabled: boolean; secretName: string } }; cluster: { tls: { enabled: boolean; secretName: string } }; merge: { authorization: { users: ValuesUser[] } } };
  container: { env: Record<string, { valueFrom?: { secretKeyRef?: { name: string; key: string } } }> };
}>(read("infra/nats/values.yaml"));

/** Names of the environment variables that carry a secret value. */
const SECRET_ENV = /PASSWORD|TOKEN|SECRET|CREDS|_KEY$|SEED/i;

test("no secret is in the ConfigMap: no password, token, credentials or key", () => {
  for (const [k, v] of Object.entries(configMap)) {
    assert.ok(!SECRET_ENV.test(k), `ConfigMap key ${k} looks like a secret`);
    assert.ok(!/:\/\/[^/@]*:[^/@]*@/.test(v), `ConfigMap ${k} carries credentials in a URL`);
  }
  assert.ok(SECRET_ENV.test("NATS_PASSWORD") && !SECRET_ENV.test("NATS_TLS_CA"), "the check can fail");
});

test("each service's password comes from its own Secret (secretKeyRef), its user from its Deployment", () => {
  const secretsUsed = new Set<string>();
  for (const svc of PIPELINE_SERVICES) {
    const c = deploymentOf(svc).spec.template.spec.containers[0];
    const env = c?.env ?? [];
    assert.equal(env.find((e) => e.name === "NATS_USER")?.value, NATS_USERS[svc], `${svc}: NATS_USER`);
    const pw = env.find((e) => e.name === "NATS_PASSWORD");
    assert.ok(pw?.valueFrom?.secretKeyRef, `${svc}: NATS_PASSWORD from a Secret`);
    assert.equal(pw.value, undefined);
    secretsUsed.add(pw.valueFrom.secretKeyRef.name);
    for (const e of env) if (SECRET_ENV.test(e.name)) assert.ok(e.value === undefined && e.valueFrom?.secretKeyRef, `${svc}: ${e.name} is a literal`);
  }
  assert.equal(secretsUsed.size, 3, "one Secret per service");
});

test("TLS is on: tls:// URLs, the CA mounted from a Secret, TLS for clients and routes in the Helm values", () => {
  assert.ok(configMap.NATS_URL?.split(",").every((u) => u.startsWith("tls://")), configMap.NATS_URL);
  const ca = configMap.NATS_TLS_CA ?? "";
  assert.ok(ca !== "");
  for (const d of deployments) {
    const pod = d.spec.template.spec;
    const mount = pod.containers[0]?.volumeMounts?.find((m) => ca.startsWith(`${m.mountPath}/`));
    assert.ok(mount, `${d.metadata.name} mounts ${ca}`);
    assert.ok(pod.volumes?.find((v) => v.name === mount.name)?.secret?.secretName, `${d.metadata.name}: the CA from a Secret`);
  }
  assert.equal(values.config.nats.tls.enabled, true);
  assert.ok(values.config.nats.tls.secretName);
  assert.equal(values.config.cluster.tls.enabled, true);
  assert.ok(values.config.cluster.tls.secretName);
});

test("the NATS Helm values have one user per service with exactly the permissions it needs", () => {
  const users = values.config.merge.authorization.users;
  assert.deepEqual(users.map((u) => u.user).sort(), Object.values(NATS_USERS).sort());
  for (const svc of PIPELINE_SERVICES) {
    const u = users.find((x) => x.user === NATS_USERS[svc]) as ValuesUser;
    const want = servicePermissions(svc);
    assert.deepEqual([...u.permissions.publish.allow].sort(), [...want.publish].sort(), `${svc}: publish permissions (wanted ${JSON.stringify(want.publish)})`);
    assert.deepEqual([...u.permissions.subscribe.allow].sort(), [...want.subscribe].sort(), `${svc}: subscribe permissions`);
    // The password is a variable the server resolves from its environment, filled from a Secret.
    const m = /^<< \$([A-Z_]+) >>$/.exec(u.password);
    assert.ok(m, `${svc}: password ${u.password} is not a << $VAR >> reference`);
    assert.ok(values.container.env[m[1] as string]?.valueFrom?.secretKeyRef, `${svc}: $${m[1]} comes from a Secret`);
  }
});

test("nothing broader than a service's own subjects: no catch-all, no other service's records", () => {
  const broad = [">", "*", "$JS.>", "$JS.API.>", "jobtally.>", "$KV.>", "$JS.API.STREAM.>", "$JS.API.CONSUMER.>"];
  for (const svc of PIPELINE_SERVICES) {
    const p = servicePermissions(svc);
    for (const s of p.publish) assert.ok(!broad.includes(s) && !s.startsWith("$JS.API.STREAM.DELETE") && !s.startsWith("$JS.API.STREAM.PURGE"), `${svc} may publish to ${s}`);
    for (const s of p.subscribe) assert.ok(!broad.includes(s), `${svc} may subscribe to ${s}`);
  }
  const pub = (svc: PipelineService): string[] => servicePermissions(svc).publish;
  assert.ok(pub("watcher").includes("jobtally.view.>") && !pub("counter").includes("jobtally.view.>") && !pub("finalizer-remover").includes("jobtally.view.>"), "only the watcher writes the view");
  assert.ok(pub("counter").includes("jobtally.intent.>") && !pub("watcher").includes("jobtally.intent.>") && !pub("finalizer-remover").includes("jobtally.intent.>"), "only the counter publishes intents");
  assert.ok(!pub("watcher").some((s) => s.startsWith("$KV.")) && !pub("finalizer-remover").some((s) => s.startsWith("$KV.")), "only the counter writes leases");
  assert.ok(!pub("watcher").some((s) => s.startsWith("$JS.ACK.")), "the watcher acks nothing");
});

test("the remover's durable consumers in the permissions are the ones it creates", () => {
  assert.deepEqual(REMOVER_DURABLES, INTENT_KINDS.map(removerDurable));
});

test("the compose NATS config has the same users, passwords only as environment variables, and nats-server accepts it", (t) => {
  const conf = read("infra/compose/nats-server.conf");
  const envRef = (svc: PipelineService): string => `$${svc.toUpperCase().replace(/-/g, "_")}_PASSWORD`;
  const block = natsAuthorizationConfig(envRef);
  assert.ok(conf.includes(block), `infra/compose/nats-server.conf must contain, verbatim:\n${block}`);
  assert.match(conf, /^tls \{/m, "TLS for clients");
  const compose = loadYaml<{ services: Record<string, { environment?: Record<string, string> }> }>(read("docker-compose.yml"));
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const [k, v] of Object.entries(svc.environment ?? {})) {
      if (SECRET_ENV.test(k)) assert.match(v, /^\$\{[A-Z_]+:\?/, `compose ${name}: ${k} must come from the environment (\${VAR:?...}), not a literal`);
    }
  }
  if (spawnSync("nats-server", ["--version"]).status !== 0) return t.skip("nats-server not installed");
  const pki = makeTestPki();
  try {
    const file = join(pki.dir, "compose.conf");
    writeFileSync(file, conf.replace("/certs/server.pem", pki.serverCert).replace("/certs/server-key.pem", pki.serverKey).replace("/certs/ca.pem", pki.caCert));
    const env = { ...process.env, WATCHER_PASSWORD: "a", COUNTER_PASSWORD: "b", FINALIZER_REMOVER_PASSWORD: "c" };
    const ok = spawnSync("nats-server", ["-t", "-c", file], { env, encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    const { WATCHER_PASSWORD: _omit, ...missing } = env;
    const bad = spawnSync("nats-server", ["-t", "-c", file], { env: missing, encoding: "utf8" });
    assert.notEqual(bad.status, 0, "a missing password stops the server");
    assert.match(bad.stderr + bad.stdout, /WATCHER_PASSWORD/);
  } finally {
    pki.remove();
  }
});
