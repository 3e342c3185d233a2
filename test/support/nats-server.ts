/**
 * A real nats-server for tests: a free loopback port, a temp store dir, JetStream on. Tests break
 * it on purpose (kill -9, restart on the same port and store) to check recovery, so the handle
 * keeps both across restarts.
 */
import { freeLoopbackPort } from "../../shared/process/child.js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  /** Kills the process (SIGKILL by default) and waits for it to exit; the store dir stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store dir (kills it first if it is running). */
  restart(): Promise<void>;
  /** Kills it and removes the store dir. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

function assertInstalled(): void {
  const probe = spawnSync("nats-server", ["--version"], { encoding: "utf8" });
  if (probe.error) {
    throw new Error(
      `nats-server is not on the PATH (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}); ` +
        `install it (apt-get update && apt-get install -y nats-server) to run these tests`,
    );
  }
}


/** Resolves once the server sends its INFO line, i.e. it accepts client connections. */
function probeOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("data", (d) => done(d.toString("utf8").startsWith("INFO")));
    sock.once("error", () => done(false));
  });
}

async function waitReady(port: number, proc: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`nats-server exited early (code ${proc.exitCode}, signal ${proc.signalCode}):\n${stderr()}`);
    }
    if (await probeOnce(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
}

export interface StartNatsServerOptions {
  storeDir?: string;
  /**
   * Extra server configuration in the nats-server config format (`authorization { ... }`,
   * `tls { ... }`), written to a file in the store dir and passed with `-c`. The address, port,
   * JetStream and store dir stay those of the command line.
   */
  config?: string;
  /** Scheme of the returned `url`: "tls" for a server whose config requires TLS. @default "nats" */
  scheme?: "nats" | "tls";
}

export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<NatsServerHandle> {
  assertInstalled();
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "jobtally-nats-"));
  let port = 0;
  let proc: ChildProcess | undefined;
  const configArgs: string[] = [];
  if (opts.config !== undefined) {
    const file = join(storeDir, "nats-server.conf");
    writeFileSync(file, opts.config);
    configArgs.push("-c", file);
  }

  const launch = async (): Promise<void> => {
    let log = "";
    const p = spawn("nats-server", [...configArgs, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], { stdio: ["ignore", "ignore", "pipe"] });
    p.stderr?.on("data", (d: Buffer) => {
      log = (log + d.toString("utf8")).slice(-8000);
    });
    proc = p;
    await waitReady(port, p, () => log);
  };

  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill(signal);
    });
  };

  // A port found free can be taken before the server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freeLoopbackPort();
    try {
      await launch();
      break;
    } catch (err) {
      await kill();
      if (attempt >= 3) throw err;
    }
  }

  return {
    url: `${opts.scheme ?? "nats"}://127.0.0.1:${port}`,
    port,
    storeDir,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
