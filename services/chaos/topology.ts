/**
 * The processes of one run, each a separate `jobtally` process as a user runs them: NATS (one
 * server or a three-node cluster), the API simulator, the kubelet simulator (the ground truth), and
 * two replicas of each service. Replicas can be SIGKILLed and started again with the same flags.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sleep } from "../../shared/backoff.js";
import { freeLoopbackPort, spawnJobtallyChild, type Child } from "../../shared/process/child.js";
import { REPLICAS_PER_SERVICE, SERVICE_KINDS, type RunPlan, type ServiceKind } from "./plan.js";
import { startNatsCluster, startSingleNats, type NatsControl } from "./nats.js";
import { KubeHttp } from "./kube-http.js";

/** Lease timing of the counters: a killed counter's partitions move within ~3 s (as in the end-to-end tests). */
/** Whether `child` serves HTTP on `port` within 30 s (false once it has exited). */
async function listening(port: number, child: Child): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      await sleep(300);
      return false;
    }
    try {
      await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) });
      return true;
    } catch {
      await sleep(100);
    }
  }
  return false;
}

export const LEASE_FLAGS = ["--lease-duration", "3s", "--lease-renew-deadline", "2s", "--lease-retry-period", "500ms"];
export const NAMESPACE = "chaos";
/** The simulators share the cores with jobtally: a large young generation keeps their GC cheap. */
const SIMULATOR_ENV = { LOG_LEVEL: "warn", NODE_OPTIONS: "--max-semi-space-size=32" };

export interface Replica {
  name: string;
  kind: ServiceKind;
  port: number;
  args: string[];
  child: Child | null;
}

export interface Topology {
  dir: string;
  api: KubeHttp;
  simUrl: string;
  kubeletPort: number;
  nats: NatsControl;
  replicas: Map<string, Replica>;
  /**
   * Processes that exited on their own (a crash: no fault killed them), with the end of their log.
   * A crashed replica is started again a second later, as its Deployment would.
   */
  crashes: string[];
  kill(name: string): Promise<void>;
  start(name: string): void;
  /** Resolves once every replica answers /readyz (or throws after `timeoutMs`; a crash is reported and restarted meanwhile). */
  waitReady(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freeLoopbackPort());
  return [...ports];
}

export async function startTopology(plan: RunPlan, dir: string, signal: AbortSignal): Promise<Topology> {
  const log = (n: string): string => join(dir, `${n}.log`);
  const others: Child[] = [];
  const replicas = new Map<string, Replica>();
  let nats: NatsControl | null = null;
  const crashes: string[] = [];
  let stopping = false;
  const logTail = async (name: string): Promise<string> => {
    const text = await readFile(log(name), "utf8").catch(() => "");
    return text.trimEnd().split("\n").slice(-6).map((l) => l.slice(0, 300)).join("\n");
  };
  /**
   * Reports `child` if it exits while it is still the one expected to run. A replica that lost its
   * port to another process between our finding it free and its binding it is the machine's doing:
   * it gets another port at once, and no report.
   */
  const watchForCrash = (name: string, child: Child, stillExpected: () => boolean, restart?: (newPort: boolean) => void): void => {
    void child.exited.then(async (code) => {
      if (stopping || !stillExpected()) return;
      // The child's last words reach its log file a moment after it exits.
      await sleep(300);
      const tail = await logTail(name);
      if (restart && /EADDRINUSE/.test(tail)) return restart(true);
      crashes.push(`${name} exited on its own (code ${code ?? child.proc.signalCode}); its log ends:\n${tail}`);
      // On a new port: the log read above may not hold the child's last words yet, and a port taken
      // by another run (a free port is only free when it is picked) would fail every restart alike.
      if (restart) setTimeout(() => !stopping && stillExpected() && restart(true), 1000);
    });
  };
  const stopAll = async (): Promise<void> => {
    stopping = true;
    await Promise.all([...replicas.values()].map((r) => r.child?.stop("SIGTERM", 3000)));
    await Promise.all(others.reverse().map((c) => c.stop("SIGTERM", 3000)));
    await nats?.stop();
  };
  try {
    const kubeconfig = join(dir, "kubeconfig");
    const ports = await distinctPorts(2 + SERVICE_KINDS.length * REPLICAS_PER_SERVICE);
    const [simPort, firstKubeletPort] = ports as [number, number];
    const servicePorts = ports.slice(2);
    // The API simulator starts while NATS does.
    const sim = spawnJobtallyChild(["sim", "--port", String(simPort), "--kubeconfig-out", kubeconfig, "--seed", String(plan.topology.simSeed), "--history-window", "500000"], { name: "sim", logFile: log("sim"), env: SIMULATOR_ENV });
    others.push(sim);
    watchForCrash("sim", sim, () => true);
    nats = plan.topology.nats === "cluster" ? await startNatsCluster(dir) : await startSingleNats(dir);
    for (let i = 0; !(existsSync(kubeconfig) && readFileSync(kubeconfig, "utf8").includes("server")); i++) {
      if (i > 600 || sim.proc.exitCode !== null) throw new Error(`the API simulator did not start (log: ${log("sim")})`);
      await sleep(25);
    }
    const simUrl = `http://127.0.0.1:${simPort}`;
    const api = new KubeHttp(simUrl, signal);
    await api.createNamespace(NAMESPACE);
    const k = plan.topology.kubelet;
    // Its record is the ground truth, so it is never restarted mid-run; at start-up, a port taken
    // meanwhile by another process (a free port is only free when it is picked) gets a new one.
    let kubeletPort = firstKubeletPort;
    for (let attempt = 1; ; attempt++) {
      const kubelet = spawnJobtallyChild(
        [
          "kubelet-sim",
          ...["--kubeconfig", kubeconfig, "--namespace", NAMESPACE, "--http-port", String(kubeletPort)],
          ...["--duration-ms", String(k.durationMs), "--duration-jitter-ms", String(k.jitterMs), "--start-delay", "50", "--fail-probability", "0", "--seed", String(k.seed)],
          ...["--pod-gc-delay-ms", plan.topology.podGc ? "0" : "-1", "--nodes", "20", "--concurrency", "128"],
        ],
        { name: "kubelet-sim", logFile: log("kubelet-sim"), env: SIMULATOR_ENV },
      );
      if (await listening(kubeletPort, kubelet)) {
        others.push(kubelet);
        watchForCrash("kubelet-sim", kubelet, () => true);
        break;
      }
      if (attempt >= 5 || !/EADDRINUSE/.test(await logTail("kubelet-sim"))) throw new Error(`the kubelet simulator did not start (log: ${log("kubelet-sim")})`);
      kubeletPort = await freeLoopbackPort();
    }
    const common = ["--kubeconfig", kubeconfig, "--nats-url", nats.urls, "--stream-replicas", String(nats.streamReplicas), "--partitions", String(plan.topology.partitions)];
    let p = 0;
    for (const kind of SERVICE_KINDS) {
      for (let i = 1; i <= REPLICAS_PER_SERVICE; i++) {
        const name = `${kind}-${i}`;
        const port = servicePorts[p++] as number;
        const own =
          kind === "watcher"
            ? ["--namespace", NAMESPACE, "--sync-marker-interval", "1s", "--watcher-id", name]
            : kind === "counter"
              ? ["--replica-id", name, "--api-qps", "0", "--pod-failure-backoff", "1s", "--pod-failure-backoff-max", "5s", ...LEASE_FLAGS]
              : ["--qps", "0"];
        replicas.set(name, { name, kind, port, args: [kind, ...common, ...own], child: null });
      }
    }
    const start = (name: string): void => {
      const r = replicas.get(name);
      if (!r) throw new Error(`no replica ${name}`);
      if (r.child && r.child.proc.exitCode === null && r.child.proc.signalCode === null) return;
      const child = spawnJobtallyChild([...r.args, "--http-port", String(r.port)], { name, logFile: log(name), env: { LOG_LEVEL: process.env.CHAOS_SERVICE_LOG_LEVEL ?? "info" } });
      r.child = child;
      watchForCrash(name, child, () => r.child === child, (newPort) => {
        if (!newPort) return start(name);
        void freeLoopbackPort().then((port) => {
          r.port = port;
          if (!stopping && r.child === child) start(name);
        });
      });
    };
    for (const name of replicas.keys()) start(name);
    return {
      dir,
      api,
      simUrl,
      kubeletPort,
      nats: nats as NatsControl,
      replicas,
      crashes,
      async kill(name) {
        const r = replicas.get(name);
        const child = r?.child;
        if (r) r.child = null;
        await child?.stop("SIGKILL", 5000);
      },
      start,
      async waitReady(timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (const r of replicas.values()) {
          for (;;) {
            try {
              if ((await fetch(`http://127.0.0.1:${r.port}/readyz`, { signal: AbortSignal.timeout(2000) })).ok) break;
            } catch {
              // not listening yet
            }
            if (Date.now() > deadline) throw new Error(`${r.name} not ready after ${timeoutMs / 1000} s (log: ${log(r.name)})`);
            await sleep(100);
          }
        }
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
