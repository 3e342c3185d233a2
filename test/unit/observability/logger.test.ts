/**
 * No secret in any log line: fields named like secrets are redacted at any depth (a logged config
 * object included), credentials inside URLs are masked in fields and in the message, and the
 * non-secret context stays readable.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger, redactSecrets, scrubUrlCredentials } from "../../../shared/observability/logger.js";
import { loadOptions } from "../../../shared/config/options.js";
import { watcherOptionSchema } from "../../../services/watcher/options.js";

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      cb();
    },
  });
  return { lines, stream };
}

const SECRETS = ["hunter2-pw", "tok-abcdef", "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4", "url-pw-77"];

test("a config dump, URL credentials, nested secrets and error messages are scrubbed from every line", async () => {
  const { lines, stream } = capture();
  const logger = createLogger("test", "debug", stream);
  const config = loadOptions(watcherOptionSchema, ["--nats-url", "nats://jt:url-pw-77@nats-0:4222,nats://jt:url-pw-77@nats-1:4222"], { NATS_TOKEN: "tok-abcdef", NATS_TLS_KEY: "/etc/key.pem" });
  logger.info({ config }, "starting");
  logger.warn({ url: config.natsUrl, attempt: 2 }, `waiting for NATS at ${config.natsUrl}`);
  logger.error({ err: new Error("connect to nats://jt:url-pw-77@nats-0:4222 failed") }, "boom");
  logger.info({ creds: { nats: { password: "hunter2-pw", seed: SECRETS[2] } } }, "nested");
  logger.child({ token: "tok-abcdef" }).info("child");
  logger.info("plain message nats://jt:url-pw-77@h:4222 %s", "tail");
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 6);
  for (const line of lines) for (const s of SECRETS) assert.ok(!line.includes(s), `leaked ${s}: ${line}`);
  const first = JSON.parse(lines[0] as string) as { config: Record<string, unknown> };
  assert.equal(first.config.natsToken, "[redacted]");
  assert.equal(first.config.natsTlsKey, "/etc/key.pem", "a file path is not a secret");
  assert.equal(first.config.natsUrl, "nats://[redacted]@nats-0:4222,nats://[redacted]@nats-1:4222", "hosts stay readable");
  assert.equal(first.config.natsPassword, "", "an empty option stays empty");
  assert.match(lines[1] as string, /waiting for NATS at nats:\/\/\[redacted\]@nats-0:4222/);
});

test("redaction is selective: ordinary fields and URLs without credentials are untouched", () => {
  assert.deepEqual(redactSecrets({ job: "ns/a", key: "lease.3", url: "nats://h:4222", n: 3 }), { job: "ns/a", key: "lease.3", url: "nats://h:4222", n: 3 });
  assert.equal(scrubUrlCredentials("tls://a:b@h:1 and http://x/y@z"), "tls://[redacted]@h:1 and http://x/y@z");
  assert.notEqual(scrubUrlCredentials("nats://u:p@h"), "nats://u:p@h", "the check can fail");
});
