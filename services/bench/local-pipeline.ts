/**
 * The whole pipeline on this machine, every component its own process (I/O): nats-server with its
 * monitoring port, the API simulator, the kubelet simulator (Pods start at once and are deleted the
 * moment they finish, PodGC at 0) and jobtally's services as `plan` lists them, each with its own
 * `--http-port`. Shared by `jobtally bench` (run-scenario.ts) and `jobtally soak` (soak/).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { freeLoopbackPort, spawnJobtallyChild, type Child } from "../../shared/process/child.js";
import { startLocalNatsServer, type LocalNatsServer } from "../../shared/process/nats-server.js";
import { sleep } from "../../shared/backoff.js";
import { allowPlainHttp } from "../../shared/kube/full-client.js";
import { distinctFreePorts, waitBalanced, waitReady } from "./probes.js";
import type { ServiceKind, ServiceProcess } from "./topology.js";
import type { ApiLatency } from "./scenarios.js";

/**
 * The simulators stand in for the API server and the kubelets, which have their own machines in a
 * cluster; here they share the 2 cores with jobtally. A large young generation keeps their garbage
 * collection (most of the kubelet simulator's time at default settings) from taking jobtally's CPU.
 */
const SIMULATOR_NODE_OPTIONS = "--max-semi-space-size=64";

export interface KubeletBehaviour {
  /** How long a Pod runs (`--duration-ms`); 0 = it finishes at once. */
  durationMs: number;
  /** Plus a seeded random extra in [0, jitter) (`--duration-jitter-ms`). @default 0 */
  durationJitterMs?: number;
  /** Chance a Pod fails (`--fail-probability`). */
  failProbability: number;
}

export interface LocalPipelineOptions {
  /** Folder of every component's log (`<name>.log`) and of the kubeconfig. */
  dir: string;
  namespace: string;
  api: ApiLatency;
  kubelet: KubeletBehaviour;
  /** jobtally's processes, in start order (topology.ts). */
  plan: ServiceProcess[];
  /** Partitions the counters share: start-up waits until they hold a fair share each. */
  partitions: number;
  /** Added to every service's command line (e.g. `--stream-check-interval 5s`). @default [] */
  extraServiceArgs?: string[];
  /** The API simulator's `--history-window` (watch events kept for resumption). @default 500000 */
  historyWindow?: number;
  /** LOG_LEVEL of the services. @default "warn" */
  serviceLogLevel?: string;
}

export interface RunningService {
  child: Child;
  port: number;
  service: ServiceKind;
}

export interface LocalPipeline {
  log(name: string): string;
  nats: LocalNatsServer;
  /** nats-server's HTTP monitoring port (`/varz`, `/jsz`). */
  monitorPort: number;
  kubeconfigPath: string;
  simUrl: string;
  core: CoreV1Api;
  batch: BatchV1Api;
  kubeletPort: number;
  /** By process name (topology.ts `replicaName`). */
  services: Record<string, RunningService>;
  /** Stops the services and simulators (SIGTERM, then SIGKILL after 5 s), then nats-server. */
  stop(): Promise<void>;
}

/** Starts everything and waits until every service is ready and the counters are balanced; on a failure, stops what it started. */
export async function startLocalPipeline(opts: LocalPipelineOptions): Promise<LocalPipeline> {
  const log = (n: string): string => join(opts.dir, `${n}.log`);
  const children: Child[] = [];
  const monitorPort = await freeLoopbackPort();
  const nats = await startLocalNatsServer({ logFile: log("nats"), monitorPort });
  const stop = async (): Promise<void> => {
    await Promise.all([...children].reverse().map((c) => c.stop("SIGTERM", 5000)));
    await nats.stop();
  };
  try {
    const kubeconfigPath = join(opts.dir, "kubeconfig");
    const simPort = await freeLoopbackPort();
    const latency = ["--latency", String(opts.api.latencyMs), "--jitter", String(opts.api.jitterMs)];
    const history = ["--history-window", String(opts.historyWindow ?? 500_000)];
    children.push(spawnJobtallyChild(["sim", "--port", String(simPort), "--kubeconfig-out", kubeconfigPath, ...latency, ...history], { name: "sim", logFile: log("sim"), env: { LOG_LEVEL: "warn", NODE_OPTIONS: SIMULATOR_NODE_OPTIONS } }));
    for (let i = 0; !(existsSync(kubeconfigPath) && readFileSync(kubeconfigPath, "utf8").includes("server")); i++) {
      if (i > 600) throw new Error(`simulator did not start: ${log("sim")}`);
      await sleep(50);
    }
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    allowPlainHttp(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    await core.createNamespace({ body: { metadata: { name: opts.namespace } } });

    const kubeletPort = await freeLoopbackPort();
    const k = opts.kubelet;
    const kubeletArgs = ["--duration-ms", String(k.durationMs), "--duration-jitter-ms", String(k.durationJitterMs ?? 0), "--start-delay", "0", "--fail-probability", String(k.failProbability), "--pod-gc-delay-ms", "0", "--nodes", "100", "--concurrency", "512"];
    children.push(
      spawnJobtallyChild(["kubelet-sim", "--kubeconfig", kubeconfigPath, "--namespace", opts.namespace, "--http-port", String(kubeletPort), ...kubeletArgs], {
        name: "kubelet-sim",
        logFile: log("kubelet-sim"),
        env: { LOG_LEVEL: "warn", NODE_OPTIONS: SIMULATOR_NODE_OPTIONS },
      }),
    );
    // Every counter and remover shares one client budget over NATS; each has its own port and replica id.
    const common = ["--kubeconfig", kubeconfigPath, "--nats-url", nats.url, ...(opts.extraServiceArgs ?? [])];
    const services: Record<string, RunningService> = {};
    const ports = await distinctFreePorts(opts.plan.length);
    opts.plan.forEach((p, i) => {
      const port = ports[i] as number;
      const child = spawnJobtallyChild([...p.args, ...common, "--http-port", String(port)], { name: p.name, logFile: log(p.name), env: { LOG_LEVEL: opts.serviceLogLevel ?? "warn" } });
      children.push(child);
      services[p.name] = { child, port, service: p.service };
    });
    await waitReady(Object.values(services).map((s) => s.port));
    await waitBalanced(
      Object.values(services)
        .filter((s) => s.service === "counter")
        .map((s) => s.port),
      opts.partitions,
    );
    return { log, nats, monitorPort, kubeconfigPath, simUrl: `http://127.0.0.1:${simPort}`, core, batch, kubeletPort, services, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
