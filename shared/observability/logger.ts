/**
 * pino JSON logs. Stable keys: `service`, and on anything about a Job or Pod, `job`
 * (namespace/name), `pod` (namespace/name), `partition`.
 *
 * No secret reaches a log line: fields named like a secret (password, token, seed, private key,
 * credentials, at any depth, so a whole config object may be logged) are replaced by
 * "[redacted]", and credentials inside URLs (`nats://user:pass@host`) are masked in every string,
 * the message included.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export const REDACTED = "[redacted]";

/** Field names whose values are secrets (case-insensitive, exact). */
const SECRET_FIELD_NAMES = ["password", "pass", "passwd", "natsPassword", "token", "natsToken", "authToken", "auth_token", "seed", "nkeySeed", "secret", "privateKey", "tlsKey", "jwt", "authorization", "bearerToken", "apiKey"];
const SECRET_FIELDS = new Set(SECRET_FIELD_NAMES.map((k) => k.toLowerCase()));
/** `scheme://user:password@` or `scheme://token@` in any string. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@,"']+@/gi;
const HAS_URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@,"']+@/i;
const MAX_DEPTH = 6;

/** A string with the credentials of every URL in it masked. */
export function scrubUrlCredentials(s: string): string {
  return s.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
}

/** A copy of `value` with secret fields redacted and URL credentials masked (pure). */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return HAS_URL_CREDENTIALS.test(value) ? scrubUrlCredentials(value) : value;
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value instanceof Error) return redactSecrets({ type: value.name, message: value.message, stack: value.stack }, depth + 1);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELDS.has(k.toLowerCase()) && v !== "" && v !== undefined && v !== null ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}

export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Child-logger bindings do not pass through formatters.log: pino's own redaction covers them.
      redact: { paths: SECRET_FIELD_NAMES, censor: REDACTED },
      formatters: {
        log: (obj) => redactSecrets(obj) as Record<string, unknown>,
        bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === "string" ? scrubUrlCredentials(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
