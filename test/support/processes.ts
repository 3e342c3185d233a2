/**
 * Child processes for tests: `jobtally <command>` runs as a real process (the same entry point a
 * user runs), its output is kept for failure messages, and every child still alive when the test
 * process exits is killed, so a failed assertion never leaves a simulator or service behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of `bin/jobtally.mjs`. */
export const JOBTALLY_BIN = fileURLToPath(new URL("../../bin/jobtally.mjs", import.meta.url));

/** Output kept per child (stdout and stderr interleaved, the tail). */
const LOG_TAIL_BYTES = 64 * 1024;

export interface ChildHandle {
  proc: ChildProcess;
  name: string;
  /** The last ~64 KB of stdout+stderr, interleaved as received. */
  logs(): string;
  /** Everything it wrote, when spawned with `keepAllLogs` (else the same as `logs()`). */
  allLogs(): string;
  /** Sends `signal` (SIGTERM by default) and waits for the process to exit; a no-op once exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // "exit" handlers must be synchronous: a SIGKILL is all that can be sent from here.
  process.on("exit", () => {
    for (const p of alive) {
      try {
        p.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/**
 * With `JOBTALLY_TEST_LOG_DIR` set, every child's whole output also goes to
 * `<dir>/<name>.<pid-of-test>.<n>.log`, for failures the 64 KB tail cannot explain.
 */
let fullLogSeq = 0;
function fullLogFile(name: string): WriteStream | undefined {
  const dir = process.env.JOBTALLY_TEST_LOG_DIR;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return createWriteStream(join(dir, `${name}.${process.pid}.${++fullLogSeq}.log`));
}

export function spawnJobtally(args: string[], opts: { env?: Record<string, string>; name: string; keepAllLogs?: boolean }): ChildHandle {
  installExitHook();
  const proc = spawn(process.execPath, [JOBTALLY_BIN, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  alive.add(proc);
  const file = fullLogFile(opts.name);
  let tail = "";
  const all: string[] = [];
  const append = (chunk: Buffer): void => {
    if (opts.keepAllLogs) all.push(chunk.toString("utf8"));
    file?.write(chunk);
    tail += chunk.toString("utf8");
    if (tail.length > LOG_TAIL_BYTES * 2) tail = tail.slice(-LOG_TAIL_BYTES);
  };
  proc.stdout?.on("data", append);
  proc.stderr?.on("data", append);
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      alive.delete(proc);
      file?.end();
      resolve(code);
    });
    proc.once("error", (err) => {
      append(Buffer.from(`\n[spawn error] ${err.message}\n`));
      alive.delete(proc);
      resolve(null);
    });
  });
  const hasExited = (): boolean => proc.exitCode !== null || proc.signalCode !== null || !alive.has(proc);
  return {
    proc,
    name: opts.name,
    logs: () => tail.slice(-LOG_TAIL_BYTES),
    allLogs: () => (opts.keepAllLogs ? all.join("") : tail.slice(-LOG_TAIL_BYTES)),
    exited,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (hasExited()) {
        await exited;
        return;
      }
      proc.kill(signal);
      await exited;
    },
  };
}

export interface WaitForOptions {
  timeoutMs: number;
  /** Pause between attempts; 50 ms unless told. */
  intervalMs?: number;
  /** What is awaited, for the timeout message ("Job foo to be deleted"). */
  what: string;
}

/**
 * Polls `fn` until it returns something other than `undefined` or `false`, and returns it. On
 * timeout, throws naming `what` and the last value (or the last error `fn` threw).
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false>, opts: WaitForOptions): Promise<T> {
  const interval = opts.intervalMs ?? 50;
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown = undefined;
  let lastError: unknown = undefined;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
      last = value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, interval));
  }
  const detail = lastError !== undefined ? `last error: ${(lastError as Error)?.message ?? String(lastError)}` : `last value: ${safeJson(last)}`;
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what} (${detail})`);
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.slice(0, 2000);
  } catch {
    return String(v);
  }
}
