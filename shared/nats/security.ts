/**
 * NATS authentication and TLS from the service options: user/password, token, an nkey seed or a
 * `.creds` file (JWT + seed), TLS with a CA and an optional client certificate, `tls://` URLs.
 * Every combination that cannot be what the operator meant stops start-up with a ConfigError
 * naming the options involved, before anything connects.
 */
import { readFileSync } from "node:fs";
import { credsAuthenticator, nkeyAuthenticator, type Authenticator, type NodeConnectionOptions } from "@nats-io/transport-node";
import { ConfigError } from "../config/options.js";

/** The NATS security options of a service config (`natsOptions` in shared/config/common.ts). */
export interface NatsSecurityConfig {
  natsUrl: string;
  natsUser: string;
  natsPassword: string;
  natsToken: string;
  natsCreds: string;
  natsTlsCa: string;
  natsTlsCert: string;
  natsTlsKey: string;
}

/** The connection options `connect()` takes for authentication and TLS. */
export type NatsSecurityOptions = Pick<NodeConnectionOptions, "user" | "pass" | "token" | "authenticator" | "tls">;

/** What a `--nats-creds` file holds. */
export type CredentialsKind = "creds" | "nkey-seed";

const CREDS_JWT_MARKER = /-{3,}BEGIN NATS USER JWT-{3,}/;
/** An nkey user seed: "SU" and 56 base32 characters. */
const NKEY_USER_SEED = /^SU[A-Z2-7]{56}$/;

/** Which of the two forms a credentials file holds, or null when it is neither. */
export function credentialsKind(content: string): CredentialsKind | null {
  if (CREDS_JWT_MARKER.test(content)) return "creds";
  if (NKEY_USER_SEED.test(content.trim())) return "nkey-seed";
  return null;
}

function urlScheme(url: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url.trim());
  return m ? (m[1] as string).toLowerCase() : null;
}

function hasUserInfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(url.trim());
}

/** Problems with the combination of options (pure: no file is read). */
export function natsSecurityProblems(c: NatsSecurityConfig): string[] {
  const problems: string[] = [];
  const urls = c.natsUrl.split(",").map((u) => u.trim()).filter((u) => u !== "");
  const schemes = new Set(urls.map((u) => urlScheme(u) ?? "nats"));
  for (const s of schemes) if (s !== "nats" && s !== "tls") problems.push(`--nats-url: scheme "${s}://" is not supported (use nats:// or tls://)`);
  if (schemes.has("nats") && schemes.has("tls")) problems.push("--nats-url mixes nats:// and tls:// URLs: use tls:// for every server, or none");
  const urlCreds = urls.some(hasUserInfo);
  if (c.natsUser !== "" && c.natsPassword === "") problems.push("--nats-user (NATS_USER) is set without --nats-password (NATS_PASSWORD)");
  if (c.natsPassword !== "" && c.natsUser === "") problems.push("--nats-password (NATS_PASSWORD) is set without --nats-user (NATS_USER)");
  const methods = [
    c.natsUser !== "" || c.natsPassword !== "" ? "--nats-user/--nats-password" : null,
    c.natsToken !== "" ? "--nats-token" : null,
    c.natsCreds !== "" ? "--nats-creds" : null,
    urlCreds ? "credentials in --nats-url" : null,
  ].filter((m): m is string => m !== null);
  if (methods.length > 1) problems.push(`use one way to authenticate to NATS, not ${methods.join(" and ")}`);
  if (c.natsTlsCert !== "" && c.natsTlsKey === "") problems.push("--nats-tls-cert (NATS_TLS_CERT) is set without --nats-tls-key (NATS_TLS_KEY)");
  if (c.natsTlsKey !== "" && c.natsTlsCert === "") problems.push("--nats-tls-key (NATS_TLS_KEY) is set without --nats-tls-cert (NATS_TLS_CERT)");
  return problems;
}

/** Whether the connection must be TLS: a tls:// URL, or any TLS file given. */
export function natsTlsWanted(c: NatsSecurityConfig): boolean {
  return c.natsUrl.split(",").some((u) => urlScheme(u) === "tls") || c.natsTlsCa !== "" || c.natsTlsCert !== "";
}

/**
 * The `connect()` options for `c`. Throws a ConfigError when the combination is invalid or a file
 * cannot be read or is not what its option says. A `.creds` file or seed is read again on every
 * (re)connect, so a rotated Secret is picked up without a restart.
 */
export function natsSecurityOptions(c: NatsSecurityConfig, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): NatsSecurityOptions {
  const problems = natsSecurityProblems(c);
  const read = (flag: string, path: string): string | null => {
    try {
      return readFile(path);
    } catch (err) {
      problems.push(`--${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return null;
    }
  };
  const out: NatsSecurityOptions = {};
  if (c.natsUser !== "" && c.natsPassword !== "") {
    out.user = c.natsUser;
    out.pass = c.natsPassword;
  }
  if (c.natsToken !== "") out.token = c.natsToken;
  if (c.natsCreds !== "") {
    const content = read("nats-creds", c.natsCreds);
    if (content !== null) {
      const kind = credentialsKind(content);
      if (kind === null) problems.push(`--nats-creds: ${c.natsCreds} is neither a NATS .creds file (user JWT and seed) nor an nkey user seed (SU...)`);
      else out.authenticator = credentialsAuthenticator(kind, c.natsCreds);
    }
  }
  if (natsTlsWanted(c)) {
    const tls: NonNullable<NatsSecurityOptions["tls"]> = {};
    for (const [flag, path, key] of [
      ["nats-tls-ca", c.natsTlsCa, "caFile"],
      ["nats-tls-cert", c.natsTlsCert, "certFile"],
      ["nats-tls-key", c.natsTlsKey, "keyFile"],
    ] as const) {
      if (path === "") continue;
      const content = read(flag, path);
      if (content !== null && !/-----BEGIN [A-Z ]+-----/.test(content)) problems.push(`--${flag}: ${path} is not a PEM file`);
      tls[key] = path;
    }
    out.tls = tls;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

function credentialsAuthenticator(kind: CredentialsKind, path: string): Authenticator {
  const bytes = (): Uint8Array => new TextEncoder().encode(readFileSync(path, "utf8").trim());
  return kind === "creds" ? credsAuthenticator(bytes) : nkeyAuthenticator(bytes);
}
