/**
 * NATS for a run: one nats-server, or a three-node cluster (JetStream on every node, R3 streams),
 * each node killable with SIGKILL and restartable on the same ports and store. Services may not
 * import test/support, so the cluster launcher lives here, on the shared child-process helpers.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../../shared/backoff.js";
import { freeLoopbackPort, spawnChild, waitForPort, type Child } from "../../shared/process/child.js";
import { startLocalNatsServer } from "../../shared/process/nats-server.js";

export interface NatsControl {
  /** Client URL(s), comma-separated. */
  urls: string;
  streamReplicas: number;
  nodes: number;
  /** SIGKILLs node `i` (the only one of a single server) and waits for it to exit. */
  kill(i: number): Promise<void>;
  /** Starts node `i` again on its ports and store; resolves once it accepts clients. */
  start(i: number): Promise<void>;
  isRunning(i: number): boolean;
  stop(): Promise<void>;
}

export async function startSingleNats(dir: string): Promise<NatsControl> {
  const storeDir = join(dir, "nats-store");
  mkdirSync(storeDir, { recursive: true });
  const logFile = join(dir, "nats.log");
  let server = await startLocalNatsServer({ storeDir, logFile });
  const port = server.port;
  let running = true;
  return {
    urls: server.url,
    streamReplicas: 1,
    nodes: 1,
    async kill() {
      running = false;
      await server.child.stop("SIGKILL", 5000);
    },
    async start() {
      // The port was just freed: retry a few times if the kernel is slow to let it go.
      for (let attempt = 1; ; attempt++) {
        try {
          server = await startLocalNatsServer({ storeDir, logFile, port });
          running = true;
          return;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(300);
        }
      }
    },
    isRunning: () => running,
    async stop() {
      running = false;
      await server.child.stop("SIGKILL", 5000);
    },
  };
}

interface ClusterNode {
  name: string;
  clientPort: number;
  routePort: number;
  monitorPort: number;
  storeDir: string;
  logFile: string;
  child: Child | null;
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freeLoopbackPort());
  return [...ports];
}

async function metaLeaderKnown(node: ClusterNode): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    const jsz = (await res.json()) as { meta_cluster?: { leader?: string } };
    return Boolean(jsz.meta_cluster?.leader);
  } catch {
    return false;
  }
}

export async function startNatsCluster(dir: string, size = 3): Promise<NatsControl> {
  const ports = await distinctPorts(size * 3);
  const nodes: ClusterNode[] = Array.from({ length: size }, (_, i) => {
    const storeDir = join(dir, `nats-n${i + 1}`);
    mkdirSync(storeDir, { recursive: true });
    return { name: `n${i + 1}`, clientPort: ports[3 * i] as number, routePort: ports[3 * i + 1] as number, monitorPort: ports[3 * i + 2] as number, storeDir, logFile: join(dir, `nats-n${i + 1}.log`), child: null };
  });
  const args = (node: ClusterNode): string[] => [
    ...["-a", "127.0.0.1", "-p", String(node.clientPort), "-m", String(node.monitorPort)],
    ...["-n", node.name, "--cluster_name", "jobtally-chaos", "--cluster", `nats://127.0.0.1:${node.routePort}`],
    ...["--routes", nodes.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.routePort}`).join(",")],
    ...["-js", "-sd", node.storeDir],
  ];
  const launch = async (i: number, waitLeader: boolean): Promise<void> => {
    const node = nodes[i] as ClusterNode;
    node.child = spawnChild("nats-server", args(node), { name: node.name, logFile: node.logFile });
    await waitForPort(node.clientPort, 20_000, `nats-server ${node.name}`);
    const deadline = Date.now() + 30_000;
    while (waitLeader && !(await metaLeaderKnown(node))) {
      if (Date.now() > deadline) throw new Error(`nats-server ${node.name} knows no JetStream meta leader (log: ${node.logFile})`);
      await sleep(100);
    }
  };
  const control: NatsControl = {
    urls: nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`).join(","),
    streamReplicas: 3,
    nodes: size,
    async kill(i) {
      const node = nodes[i] as ClusterNode;
      const child = node.child;
      node.child = null;
      await child?.stop("SIGKILL", 5000);
    },
    async start(i) {
      await launch(i, false);
    },
    isRunning: (i) => nodes[i]?.child !== null,
    async stop() {
      await Promise.all(nodes.map(async (n) => {
        const child = n.child;
        n.child = null;
        await child?.stop("SIGKILL", 5000);
      }));
    },
  };
  try {
    // Started together: a lone node of a new cluster never sees a meta leader.
    await Promise.all(nodes.map((_, i) => launch(i, true)));
  } catch (err) {
    await control.stop();
    throw err;
  }
  return control;
}
