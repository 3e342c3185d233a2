/**
 * Supervised child processes (the demo and the benchmarks run every component as its own process,
 * as in production). Output goes to a log file per child; children still alive when the parent
 * exits are killed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";

/** The project root: the nearest folder above this file with a package.json (sources or dist/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const JOBTALLY_BIN = join(projectRoot(), "bin", "jobtally.mjs");

export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string | null;
  exited: Promise<number | null>;
  /** Sends the signal and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const alive = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const p of alive) {
      try {
        p.kill("SIGKILL");
      } catch {
        // gone already
      }
    }
  });
}

export interface SpawnOptions {
  name: string;
  /** Append stdout+stderr to this file (null: discard). */
  logFile: string | null;
  env?: Record<string, string>;
}

export function spawnChild(command: string, args: string[], opts: SpawnOptions): Child {
  hookExit();
  const proc = spawn(command, args, { env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  alive.add(proc);
  let log: WriteStream | null = null;
  if (opts.logFile) {
    log = createWriteStream(opts.logFile, { flags: "a" });
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
  } else {
    proc.stdout?.resume();
    proc.stderr?.resume();
  }
  const exited = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      alive.delete(proc);
      log?.end();
      resolve(code);
    });
    proc.once("error", () => {
      alive.delete(proc);
      resolve(null);
    });
  });
  return {
    name: opts.name,
    proc,
    logFile: opts.logFile,
    exited,
    async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000) {
      if (!alive.has(proc)) return void (await exited);
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs `jobtally <args>` as a child. JOBTALLY_PROFILE_DIR=<dir> makes every child write a V8 CPU
 * profile there (node's --cpu-prof is refused in NODE_OPTIONS), for `jobtally bench` and `demo`.
 */
export function spawnJobtallyChild(args: string[], opts: SpawnOptions): Child {
  const profileDir = process.env.JOBTALLY_PROFILE_DIR;
  const nodeArgs = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir, "--cpu-prof-name", `${opts.name}.${Date.now()}.cpuprofile`] : [];
  return spawnChild(process.execPath, [...nodeArgs, JOBTALLY_BIN, ...args], opts);
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to 127.0.0.1:port succeeds (or rejects after timeoutMs). */
export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
