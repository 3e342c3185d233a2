/** Runs a local nats-server with JetStream as a child process (demo, benchmarks, tests). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { freeLoopbackPort, spawnChild, waitForPort, type Child } from "./child.js";

export class NatsServerMissingError extends Error {
  override readonly name = "NatsServerMissingError";
  constructor() {
    super("nats-server is not on the PATH. Install it first: on Debian/Ubuntu `sudo apt-get update && sudo apt-get install -y nats-server` (JetStream needs 2.9 or newer).");
  }
}

export interface LocalNatsServer {
  url: string;
  port: number;
  storeDir: string;
  child: Child;
  /** Stops the server and removes its store unless it was given. */
  stop(): Promise<void>;
}

export function natsServerAvailable(): boolean {
  return spawnSync("nats-server", ["--version"], { stdio: "ignore" }).status === 0;
}

export async function startLocalNatsServer(opts: { storeDir?: string; logFile?: string | null; port?: number; monitorPort?: number } = {}): Promise<LocalNatsServer> {
  if (!natsServerAvailable()) throw new NatsServerMissingError();
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "jobtally-nats-"));
  const port = opts.port ?? (await freeLoopbackPort());
  const monitor = opts.monitorPort ? ["-m", String(opts.monitorPort)] : [];
  const child = spawnChild("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...monitor], { name: "nats-server", logFile: opts.logFile ?? null });
  await waitForPort(port, 15_000, "nats-server");
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    child,
    async stop() {
      await child.stop("SIGTERM", 5000);
      if (!opts.storeDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
