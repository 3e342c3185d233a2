/**
 * The pipeline on a NATS server configured as shipped: TLS required and verified (client
 * certificates too), one user per service with exactly the permissions of
 * shared/nats/permissions.ts. A Job runs to completion with exact counts, no service hits a
 * permission violation, each user is refused the subjects of the others, a service given a wrong
 * password stops at once saying so, and no secret appears in any line a service logged.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startPipeline, type Pipeline, type ServiceName } from "../support/pipeline.js";
import { spawnJobtally, waitFor } from "../support/processes.js";
import { makeTestPki, type TestPki } from "../support/tls-certs.js";
import { NATS_USERS, natsAuthorizationConfig, PIPELINE_SERVICES, type PipelineService } from "../../shared/nats/permissions.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";

const PASSWORDS: Record<PipelineService, string> = {
  watcher: "pw-watcher-Zq81xLm",
  counter: "pw-counter-Hh27vBn",
  "finalizer-remover": "pw-remover-Kk93tRw",
};

describe("pipeline on NATS with TLS and one user per service", { timeout: 240_000 }, () => {
  let pki: TestPki;
  let p: Pipeline;
  let serverLog: string;
  const tlsEnv = (): Record<string, string> => ({ NATS_TLS_CA: pki.caCert, NATS_TLS_CERT: pki.clientCert, NATS_TLS_KEY: pki.clientKey });
  const envOf = (svc: PipelineService, password = PASSWORDS[svc]): Record<string, string> => ({ ...tlsEnv(), NATS_USER: NATS_USERS[svc], NATS_PASSWORD: password });
  const asUser = (svc: PipelineService): Promise<NatsConnection> =>
    connect({ servers: p.natsUrls, user: NATS_USERS[svc], pass: PASSWORDS[svc], tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey } });

  before(async () => {
    pki = makeTestPki();
    serverLog = join(pki.dir, "nats-server.log");
    const config = [
      `log_file: "${serverLog}"`,
      `tls {\n  cert_file: "${pki.serverCert}"\n  key_file: "${pki.serverKey}"\n  ca_file: "${pki.caCert}"\n  verify: true\n}`,
      natsAuthorizationConfig((svc) => PASSWORDS[svc]),
    ].join("\n");
    const env: Partial<Record<ServiceName, Record<string, string>>> = Object.fromEntries(PIPELINE_SERVICES.map((svc) => [svc, envOf(svc)]));
    p = await startPipeline({ natsServer: { config, scheme: "tls" }, env, keepAllLogs: true, durationMs: 100,
      // The shared budget too, so its subjects are exercised under the permissions.
      flags: { counter: ["--shared-qps", "500"], "finalizer-remover": ["--shared-qps", "500"] }, podGcDelayMs: 0, failProbability: 0.2 });
  });
  after(async () => {
    await p?.stop();
    pki?.remove();
  });

  test("a Job counts exactly with every service on its own user over verified TLS, and nothing is refused", async () => {
    assert.ok(p.natsUrls.startsWith("tls://"));
    await p.createJob({ name: "secured", completions: 40, parallelism: 10, backoffLimit: 1000 });
    const job = await p.waitForJobFinished("secured", 180_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    await assertCountsMatchKubelet(p, job);
    for (const svc of PIPELINE_SERVICES) assert.doesNotMatch(p.services[svc].allLogs(), /Permissions Violation/i, `${svc} was refused a subject it needs`);
    const log = readFileSync(serverLog, "utf8");
    assert.match(log, /TLS required for client connections/);
    assert.doesNotMatch(log, /Violation/i, "the server refused a request");
  });

  for (const [svc, subject, why] of [
    ["watcher", "jobtally.intent.0.createPod", "the watcher may not publish intents"],
    ["finalizer-remover", "$KV.jobtally_ownership.lease.0", "the remover may not write partition leases"],
    ["finalizer-remover", "jobtally.view.0.job1.job", "the remover may not forge view records"],
    ["counter", "$JS.API.CONSUMER.DELETE.JOBTALLY_INTENTS.finalizer-remover-createPod", "the counter may not delete the remover's consumers"],
  ] as const) {
    test(`${why}: ${NATS_USERS[svc]} publishing to ${subject} is refused`, async () => {
      const nc = await asUser(svc);
      try {
        const refused = (async () => {
          for await (const s of nc.status()) if (s.type === "error" && /Permissions Violation for Publish/i.test(String(s.error))) return String(s.error);
          return "";
        })();
        nc.publish(subject, "forged");
        await nc.flush();
        const msg = await Promise.race([refused, new Promise<string>((r) => setTimeout(() => r(""), 5_000))]);
        assert.match(msg, new RegExp(subject.replace(/[.$*>]/g, "\\$&")));
      } finally {
        await nc.close();
      }
    });
  }

  test("the watcher's user may not read the intent queue", async () => {
    const nc = await asUser("watcher");
    try {
      const refused = (async () => {
        for await (const s of nc.status()) if (s.type === "error" && /Permissions Violation for Subscription/i.test(String(s.error))) return String(s.error);
        return "";
      })();
      nc.subscribe("jobtally.intent.>");
      await nc.flush();
      const msg = await Promise.race([refused, new Promise<string>((r) => setTimeout(() => r(""), 5_000))]);
      assert.match(msg, /jobtally\.intent\.>/);
    } finally {
      await nc.close();
    }
  });

  test("a service with a wrong password stops at once, saying the credentials were refused", async () => {
    const h = spawnJobtally(["finalizer-remover", "--kubeconfig", p.env.kubeconfigPath, "--nats-url", p.natsUrls, "--http-port", "-1"], { name: "bad-remover", env: envOf("finalizer-remover", "not-the-password") });
    const code = await Promise.race([h.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 20_000))]);
    if (code === "timeout") await h.kill("SIGKILL");
    assert.equal(code, 1, h.logs());
    assert.match(h.logs(), /NATS refused the credentials/);
    assert.doesNotMatch(h.logs(), /not-the-password/);
  });

  test("a password inside the NATS URL is masked in the lines logged while waiting for NATS", async () => {
    const pw = "url-secret-Qx81";
    const h = spawnJobtally(["watcher", "--kubeconfig", p.env.kubeconfigPath, "--nats-url", `nats://jobtally-watcher:${pw}@127.0.0.1:1`, "--http-port", "-1"], { name: "url-watcher", keepAllLogs: true });
    await waitFor(async () => /waiting for NATS/.test(h.allLogs()), { timeoutMs: 30_000, intervalMs: 200, what: "the watcher to log that it waits for NATS" }).finally(() => h.kill("SIGTERM"));
    assert.match(h.allLogs(), /waiting for NATS at nats:\/\/\[redacted\]@127\.0\.0\.1:1/, "it logged the URL, masked");
    assert.ok(!h.allLogs().includes(pw), h.allLogs());
  });

  test("no password appears in any line a service logged", () => {
    for (const svc of PIPELINE_SERVICES) {
      const lines = p.services[svc].allLogs().split("\n");
      assert.ok(lines.some((l) => l.includes('"msg":"ready"')), `${svc} logged that it is ready`);
      for (const [other, pw] of Object.entries(PASSWORDS)) {
        const leaked = lines.filter((l) => l.includes(pw));
        assert.deepEqual(leaked, [], `${svc} logged ${other}'s password`);
      }
    }
  });
});
