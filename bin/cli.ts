/**
 * `jobtally <command>`: dispatches to each service's `main.ts`. Services are loaded lazily so that
 * `jobtally sim` does not pay for the NATS client and the other way round.
 */
import { ConfigError } from "../shared/config/options.js";

interface Command {
  summary: string;
  load(): Promise<{ main(argv: string[]): Promise<void> }>;
}

const commands: Record<string, Command> = {
  sim: { summary: "Kubernetes API simulator (pods, jobs, leases, events; watch, faults, metrics)", load: () => import("../services/kube-sim/main.js") },
  "kubelet-sim": { summary: "kubelet simulator: binds, runs and finishes Pods on fake nodes; optional PodGC", load: () => import("../services/kubelet-sim/main.js") },
  watcher: { summary: "list+watch of managed Jobs and their Pods, published to JetStream by partition", load: () => import("../services/watcher/main.js") },
  counter: { summary: "single writer of managed Jobs' status: counts finished Pods exactly once", load: () => import("../services/counter/main.js") },
  "finalizer-remover": { summary: "throttled worker pool: finalizer removals, Pod creations and deletions", load: () => import("../services/finalizer-remover/main.js") },
  demo: { summary: "everything on one machine: nats-server, simulators, the three services, a few Jobs", load: () => import("../services/demo/main.js") },
  "sim-bench": { summary: "the API simulator's list / watch / patch throughput at 100,000 Pods", load: () => import("../services/kube-sim/bench-main.js") },
  bench: { summary: "benchmarks against the API-budget floor (see docs/benchmarks.md)", load: () => import("../services/bench/main.js") },
  chaos: { summary: "seeded chaos campaign: faults against a full topology, every count checked (docs/chaos.md)", load: () => import("../services/chaos/main.js") },
  soak: { summary: "long steady load (100 Pods/s over 100 Jobs): memory flat, event lag, queue depth, exact counts", load: () => import("../services/bench/soak/main.js") },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    "usage: jobtally <command> [--flags]   (jobtally <command> --help for its flags)",
    "",
    "commands:",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return;
  }
  const command = commands[name];
  if (!command) {
    console.error(`jobtally: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  try {
    const mod = await command.load();
    await mod.main(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`jobtally ${name}: ${err.message}\n(run "jobtally ${name} --help" for the flags)`);
      process.exitCode = 2;
      return;
    }
    if ((err as Error).name === "NatsAccessError") {
      console.error(`jobtally ${name}: ${(err as Error).message}`);
      process.exitCode = 1;
      return;
    }
    if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes("/services/")) {
      console.error(`jobtally ${name}: not built yet in this version`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
