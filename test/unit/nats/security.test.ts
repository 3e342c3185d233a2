/**
 * NATS authentication and TLS: the option combinations a service refuses at start-up, and
 * connections to real nats-servers started with users, a token, nkeys and TLS (a throwaway CA made
 * with openssl): the right credentials connect, wrong ones fail at once with an error naming the
 * cause, and the server certificate is verified against the CA.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
import { ConfigError, loadOptions } from "../../../shared/config/options.js";
import { natsOptions } from "../../../shared/config/common.js";
import { connectNats, NatsAccessError } from "../../../shared/nats/connection.js";
import { credentialsKind, natsSecurityOptions, natsSecurityProblems, type NatsSecurityConfig } from "../../../shared/nats/security.js";
import { silentLogger } from "../../../shared/observability/logger.js";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.js";
import { makeTestPki, type TestPki } from "../../support/tls-certs.js";

const logger = silentLogger();
const NONE: NatsSecurityConfig = { natsUrl: "nats://127.0.0.1:4222", natsUser: "", natsPassword: "", natsToken: "", natsCreds: "", natsTlsCa: "", natsTlsCert: "", natsTlsKey: "" };

function settings(env: Record<string, string>, argv: string[] = []): NatsSecurityConfig {
  return loadOptions(natsOptions, argv, env);
}

describe("NATS security options", () => {
  const cases: { name: string; over: Partial<NatsSecurityConfig>; problem: RegExp | null }[] = [
    { name: "no authentication and plain nats:// is valid", over: {}, problem: null },
    { name: "user and password together are valid", over: { natsUser: "u", natsPassword: "p" }, problem: null },
    { name: "a user without a password names both options", over: { natsUser: "u" }, problem: /--nats-user \(NATS_USER\) is set without --nats-password/ },
    { name: "a password without a user", over: { natsPassword: "p" }, problem: /--nats-password \(NATS_PASSWORD\) is set without --nats-user/ },
    { name: "a token with a user", over: { natsUser: "u", natsPassword: "p", natsToken: "t" }, problem: /not --nats-user\/--nats-password and --nats-token/ },
    { name: "a creds file with a token", over: { natsToken: "t", natsCreds: "/x.creds" }, problem: /--nats-token and --nats-creds/ },
    { name: "credentials in the URL and a user", over: { natsUrl: "nats://a:b@h:4222", natsUser: "u", natsPassword: "p" }, problem: /credentials in --nats-url/ },
    { name: "a client certificate without its key", over: { natsTlsCert: "/c.pem" }, problem: /--nats-tls-cert \(NATS_TLS_CERT\) is set without --nats-tls-key/ },
    { name: "a key without a certificate", over: { natsTlsKey: "/k.pem" }, problem: /--nats-tls-key \(NATS_TLS_KEY\) is set without --nats-tls-cert/ },
    { name: "nats:// and tls:// URLs mixed", over: { natsUrl: "tls://a:4222,nats://b:4222" }, problem: /mixes nats:\/\/ and tls:\/\// },
    { name: "an unknown scheme", over: { natsUrl: "ws://a:4222" }, problem: /scheme "ws:\/\/" is not supported/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const problems = natsSecurityProblems({ ...NONE, ...c.over });
      if (c.problem === null) assert.deepEqual(problems, []);
      else assert.ok(problems.some((p) => c.problem?.test(p)), `want ${c.problem}, got ${JSON.stringify(problems)}`);
    });
  }

  test("flags and environment variables reach the options, flags winning", () => {
    const s = settings({ NATS_USER: "env-user", NATS_PASSWORD: "env-pw", NATS_TLS_CA: "/ca.pem" }, ["--nats-user", "flag-user"]);
    assert.equal(s.natsUser, "flag-user");
    assert.equal(s.natsPassword, "env-pw");
    assert.equal(s.natsTlsCa, "/ca.pem");
  });

  test("an invalid combination is one ConfigError naming every problem; files that cannot be read are named", () => {
    const err = (() => {
      try {
        natsSecurityOptions({ ...NONE, natsToken: "t", natsUser: "u", natsPassword: "p", natsTlsCert: "/nonexistent/c.pem" });
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /--nats-user\/--nats-password and --nats-token/);
    assert.match(err.message, /--nats-tls-cert \(NATS_TLS_CERT\) is set without --nats-tls-key/);
    assert.match(err.message, /--nats-tls-cert: cannot read \/nonexistent\/c.pem \(ENOENT\)/);
  });

  test("a credentials file must be a .creds file or an nkey seed; a TLS file must be PEM", () => {
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    assert.equal(credentialsKind(`${seed}\n`), "nkey-seed");
    assert.equal(credentialsKind(`-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`), "creds");
    assert.equal(credentialsKind("password123"), null);
    const files: Record<string, string> = { "/bad.creds": "hunter2", "/ca.pem": "not a certificate" };
    assert.throws(
      () => natsSecurityOptions({ ...NONE, natsCreds: "/bad.creds", natsTlsCa: "/ca.pem" }, (p) => files[p] ?? ""),
      (e: Error) => /--nats-creds: \/bad.creds is neither a NATS .creds file/.test(e.message) && /--nats-tls-ca: \/ca.pem is not a PEM file/.test(e.message),
    );
  });

  test("tls:// URLs or a CA make TLS required; plain settings ask for nothing", () => {
    assert.deepEqual(natsSecurityOptions(NONE), {});
    assert.deepEqual(natsSecurityOptions({ ...NONE, natsUrl: "tls://a:4222" }), { tls: {} });
    const pem = (): string => "-----BEGIN CERTIFICATE-----\n";
    assert.deepEqual(natsSecurityOptions({ ...NONE, natsTlsCa: "/ca.pem" }, pem), { tls: { caFile: "/ca.pem" } });
  });
});

describe("NATS authentication on a real server", () => {
  let server: NatsServerHandle;
  const nkeyUser = nkeys.createUser();
  const seedFile = join(process.env.TMPDIR ?? "/tmp", `jobtally-test-seed-${process.pid}.nk`);
  before(async () => {
    writeFileSync(seedFile, new TextDecoder().decode(nkeyUser.getSeed()), { mode: 0o600 });
    server = await startNatsServer({
      config: `authorization {\n  users = [\n    { user: "counter", password: "s3cret-pw" }\n    { nkey: "${nkeyUser.getPublicKey()}" }\n  ]\n}\n`,
    });
  });
  after(async () => server?.stop());

  const connectWith = (over: Partial<NatsSecurityConfig>) =>
    connectNats({ servers: server.url, name: "security-test", logger, security: natsSecurityOptions({ ...NONE, natsUrl: server.url, ...over }), signal: AbortSignal.timeout(10_000) });

  test("the right user and password connect, and the connection works", async () => {
    const nc = await connectWith({ natsUser: "counter", natsPassword: "s3cret-pw" });
    try {
      const sub = nc.subscribe("hello", { max: 1 });
      nc.publish("hello", "x");
      for await (const m of sub) assert.equal(m.string(), "x");
    } finally {
      await nc.close();
    }
  });

  test("an nkey seed file connects", async () => {
    const nc = await connectWith({ natsCreds: seedFile });
    await nc.flush();
    await nc.close();
  });

  test("a wrong password fails at once with an error saying the credentials were refused", async () => {
    const started = Date.now();
    await assert.rejects(connectWith({ natsUser: "counter", natsPassword: "wrong" }), (e: Error) => e instanceof NatsAccessError && /NATS refused the credentials/i.test(e.message));
    assert.ok(Date.now() - started < 5_000, "no endless retry");
  });

  test("no credentials at all are refused too", async () => {
    await assert.rejects(connectWith({}), NatsAccessError);
  });
});

describe("NATS token authentication on a real server", () => {
  let server: NatsServerHandle;
  before(async () => {
    server = await startNatsServer({ config: `authorization {\n  token: "tok-123456"\n}\n` });
  });
  after(async () => server?.stop());

  test("the right token connects, a wrong one is refused", async () => {
    const security = (natsToken: string) => natsSecurityOptions({ ...NONE, natsToken });
    const nc = await connectNats({ servers: server.url, name: "t", logger, security: security("tok-123456") });
    await nc.close();
    await assert.rejects(connectNats({ servers: server.url, name: "t", logger, security: security("nope") }), NatsAccessError);
  });
});

describe("NATS over TLS, verified against a CA", () => {
  let pki: TestPki;
  let server: NatsServerHandle;
  before(async () => {
    pki = makeTestPki();
    server = await startNatsServer({
      scheme: "tls",
      config: `tls {\n  cert_file: "${pki.serverCert}"\n  key_file: "${pki.serverKey}"\n  ca_file: "${pki.caCert}"\n  verify: true\n  timeout: 2\n}\nauthorization {\n  users = [ { user: "watcher", password: "w-pw" } ]\n}\n`,
    });
  });
  after(async () => {
    await server?.stop();
    pki?.remove();
  });

  const attempt = (over: Partial<NatsSecurityConfig>) =>
    connectNats({ servers: server.url, name: "tls-test", logger, security: natsSecurityOptions({ ...NONE, natsUrl: server.url, natsUser: "watcher", natsPassword: "w-pw", ...over }), signal: AbortSignal.timeout(15_000) });

  test("the CA, a client certificate and the password connect over TLS", async () => {
    assert.ok(server.url.startsWith("tls://"));
    const nc = await attempt({ natsTlsCa: pki.caCert, natsTlsCert: pki.clientCert, natsTlsKey: pki.clientKey });
    try {
      assert.equal(nc.info?.tls_required, true, "the server requires TLS");
      await nc.flush();
    } finally {
      await nc.close();
    }
  });

  test("a server certificate signed by another CA is refused, with an error about TLS", async () => {
    await assert.rejects(attempt({ natsTlsCa: pki.otherCaCert, natsTlsCert: pki.clientCert, natsTlsKey: pki.clientKey }), (e: Error) => e instanceof NatsAccessError && /TLS/.test(e.message));
  });

  test("without the CA the server certificate is not trusted", async () => {
    await assert.rejects(attempt({ natsTlsCert: pki.clientCert, natsTlsKey: pki.clientKey }), NatsAccessError);
  });
});
