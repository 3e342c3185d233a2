/**
 * A typed option schema shared by every sub-command: one definition gives the flag, the
 * environment variable, the default, the parser and the documentation (the README's
 * configuration reference is generated from it, so the two cannot drift).
 */

export interface OptionSpec<T> {
  /** Long flag, without the leading dashes (`nats-url`). */
  flag: string;
  /** Environment variable that sets the option when the flag is absent. */
  env?: string;
  description: string;
  /** Shown in help; `undefined` with `required` means the option must be given. */
  default: T;
  required?: boolean;
  /** A short type name for help and docs ("integer", "duration ms", ...). */
  type: string;
  /** Boolean flags take no value on the command line (`--manage-all-jobs`). */
  isBoolean?: boolean;
  parse(raw: string): T;
}

export type OptionSchema = Record<string, OptionSpec<unknown>>;
export type ConfigOf<S extends OptionSchema> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

interface Bounds {
  min?: number;
  max?: number;
}

function checkBounds(n: number, b: Bounds): void {
  if (b.min !== undefined && n < b.min) throw new Error(`must be at least ${b.min}`);
  if (b.max !== undefined && n > b.max) throw new Error(`must be at most ${b.max}`);
}

export function stringOption(o: { flag: string; env?: string; description: string; default: string; required?: boolean; oneOf?: string[]; pattern?: RegExp }): OptionSpec<string> {
  return {
    ...o,
    type: o.oneOf ? o.oneOf.join(" | ") : "string",
    parse(raw) {
      if (o.oneOf && !o.oneOf.includes(raw)) throw new Error(`must be one of ${o.oneOf.join(", ")}`);
      if (o.required && raw.trim() === "") throw new Error("must not be empty");
      if (o.pattern && !o.pattern.test(raw)) throw new Error(`must match ${o.pattern.source}`);
      return raw;
    },
  };
}

export function integerOption(o: { flag: string; env?: string; description: string; default: number } & Bounds): OptionSpec<number> {
  return {
    ...o,
    type: "integer",
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not an integer`);
      const n = Number(raw);
      checkBounds(n, o);
      return n;
    },
  };
}

export function numberOption(o: { flag: string; env?: string; description: string; default: number } & Bounds): OptionSpec<number> {
  return {
    ...o,
    type: "number",
    parse(raw) {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new Error(`"${raw}" is not a number`);
      checkBounds(n, o);
      return n;
    },
  };
}

export function booleanOption(o: { flag: string; env?: string; description: string; default: boolean }): OptionSpec<boolean> {
  return {
    ...o,
    type: "boolean",
    isBoolean: true,
    parse(raw) {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on", ""].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      throw new Error(`"${raw}" is not a boolean (true/false)`);
    },
  };
}

/** Durations in milliseconds; accepts `250`, `250ms`, `2s`, `1.5m`. */
export function durationMsOption(o: { flag: string; env?: string; description: string; default: number } & Bounds): OptionSpec<number> {
  return {
    ...o,
    type: "duration (ms, or with unit ms/s/m)",
    parse(raw) {
      const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
      if (!m) throw new Error(`"${raw}" is not a duration (e.g. 500ms, 2s, 1m)`);
      const unit = m[2] ?? "ms";
      const n = Number(m[1]) * (unit === "ms" ? 1 : unit === "s" ? 1000 : 60_000);
      checkBounds(n, o);
      return Math.round(n);
    },
  };
}

/**
 * Reads the options from argv (`--flag value`, `--flag=value`, `--bool-flag`) then the
 * environment, then defaults. Collects every problem and throws one ConfigError naming them all.
 */
export function loadOptions<S extends OptionSchema>(schema: S, argv: string[], env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const byFlag = new Map<string, [string, OptionSpec<unknown>]>();
  for (const [key, spec] of Object.entries(schema)) byFlag.set(spec.flag, [key, spec]);
  const problems: string[] = [];
  const fromArgv = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) {
      problems.push(`unexpected argument "${arg}"`);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const entry = byFlag.get(name);
    if (!entry) {
      problems.push(`unknown flag --${name}`);
      continue;
    }
    const [key, spec] = entry;
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (spec.isBoolean) {
      const next = argv[i + 1];
      if (next !== undefined && /^(true|false)$/i.test(next)) {
        value = next;
        i++;
      } else value = "true";
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        problems.push(`--${name} needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    fromArgv.set(key, value);
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const raw = fromArgv.get(key) ?? (spec.env ? env[spec.env] : undefined);
    const source = fromArgv.has(key) ? `--${spec.flag}` : spec.env ? spec.env : `--${spec.flag}`;
    if (raw === undefined) {
      if (spec.required && (spec.default === undefined || spec.default === "")) {
        problems.push(`--${spec.flag}${spec.env ? ` (or ${spec.env})` : ""} is required: ${spec.description}`);
      }
      out[key] = spec.default;
      continue;
    }
    try {
      out[key] = spec.parse(raw);
    } catch (err) {
      problems.push(`${source}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** `--help` text. */
export function renderOptionsHelp(schema: OptionSchema): string {
  const lines: string[] = [];
  for (const spec of Object.values(schema)) {
    const flag = `--${spec.flag}${spec.isBoolean ? "" : ` <${spec.type.split(" ")[0]}>`}`;
    const def = spec.default === undefined || spec.default === "" ? (spec.required ? " (required)" : "") : ` (default ${JSON.stringify(spec.default)})`;
    lines.push(`  ${flag.padEnd(34)} ${spec.description}${def}${spec.env ? ` [env ${spec.env}]` : ""}`);
  }
  return lines.join("\n");
}

/** A Markdown table of the options, for the README's configuration reference. */
export function renderOptionsMarkdown(schema: OptionSchema): string {
  const rows = ["| flag | environment | type | default | meaning |", "|---|---|---|---|---|"];
  for (const spec of Object.values(schema)) {
    const def = spec.default === undefined || spec.default === "" ? (spec.required ? "required" : "") : `\`${JSON.stringify(spec.default)}\``;
    rows.push(`| \`--${spec.flag}\` | ${spec.env ? `\`${spec.env}\`` : ""} | ${spec.type} | ${def} | ${spec.description.replace(/\|/g, "\\|")} |`);
  }
  return rows.join("\n");
}
