/**
 * A real three-node nats-server cluster for tests: JetStream on every node, each with its own
 * store dir, all on free loopback ports (client, route and monitoring port per node). Tests kill
 * single nodes (kill -9) and restart them on the same ports and store dirs, as an operator's
 * rolling restart or a crashed pod would, and check the pipeline's counts stay exact.
 *
 * Ready means every running node answers on its client port and its `/jsz` names a JetStream meta
 * leader, i.e. a stream can be created through any of them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeLoopbackPort, spawnChild, waitForPort, type Child } from "../../shared/process/child.js";
import { NatsServerMissingError, natsServerAvailable } from "../../shared/process/nats-server.js";

export interface NatsClusterNode {
  /** The node's `server_name`, as JetStream reports leaders and replicas (`n1`, `n2`, `n3`). */
  name: string;
  url: string;
  clientPort: number;
  routePort: number;
  monitorPort: number;
  storeDir: string;
  logFile: string;
}

export interface NatsClusterHandle {
  /** Every node's client URL, comma-separated (the value of NATS_URL / --nats-url). */
  urls: string;
  nodes: readonly NatsClusterNode[];
  /** Index in `nodes` of the node with this server name. */
  indexOf(serverName: string): number;
  /** Names of the clients connected to node `node` (from its `/connz`). */
  clientNames(node: number): Promise<string[]>;
  /** Kills every node (SIGKILL by default) and waits for them to exit; the store dirs stay. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills node `node` (an index in `nodes`) and waits for it to exit; its store dir stays. */
  kill(node: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts node `node` again (killing it first if it runs), or every node, on the same ports and store dirs. */
  restart(node?: number): Promise<void>;
  /** Kills every node and removes the dirs. */
  stop(): Promise<void>;
}

export interface StartNatsClusterOptions {
  /** Nodes in the cluster. @default 3 */
  size?: number;
  /** How long to wait for client ports and a JetStream meta leader. @default 30000 */
  readyTimeoutMs?: number;
}

const CLUSTER_NAME = "jobtally-test";

function nodeArgs(node: NatsClusterNode, all: readonly NatsClusterNode[]): string[] {
  const routes = all.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.routePort}`);
  return [
    ...["-a", "127.0.0.1", "-p", String(node.clientPort), "-m", String(node.monitorPort)],
    ...["-n", node.name, "--cluster_name", CLUSTER_NAME, "--cluster", `nats://127.0.0.1:${node.routePort}`, "--routes", routes.join(",")],
    ...["-js", "-sd", node.storeDir],
  ];
}

function logTail(node: NatsClusterNode): string {
  try {
    return readFileSync(node.logFile, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

/** The meta leader this node knows of, or undefined (not ready, or no leader elected yet). */
async function metaLeaderSeenBy(node: NatsClusterNode): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return undefined;
    const jsz = (await res.json()) as { meta_cluster?: { leader?: string } };
    return jsz.meta_cluster?.leader || undefined;
  } catch {
    return undefined;
  }
}

function exitedEarly(child: Child): boolean {
  return child.proc.exitCode !== null || child.proc.signalCode !== null;
}

async function waitNodeReady(node: NatsClusterNode, child: Child, deadline: number): Promise<void> {
  const fail = (why: string): Error => new Error(`nats-server ${node.name} ${why}:\n${logTail(node)}`);
  await Promise.race([
    waitForPort(node.clientPort, Math.max(0, deadline - Date.now()), `nats-server ${node.name}`).catch(() => {
      throw fail("never accepted clients");
    }),
    child.exited.then(() => {
      throw fail("exited early");
    }),
  ]);
  while ((await metaLeaderSeenBy(node)) === undefined) {
    if (exitedEarly(child)) throw fail("exited early");
    if (Date.now() > deadline) throw fail("knows no JetStream meta leader");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function allocateNodes(root: string, size: number): Promise<NatsClusterNode[]> {
  const nodes: NatsClusterNode[] = [];
  const taken = new Set<number>();
  const port = async (): Promise<number> => {
    for (;;) {
      const p = await freeLoopbackPort();
      if (!taken.has(p)) return taken.add(p), p;
    }
  };
  for (let i = 1; i <= size; i++) {
    const storeDir = join(root, `n${i}`);
    mkdirSync(storeDir, { recursive: true });
    const [clientPort, routePort, monitorPort] = [await port(), await port(), await port()];
    nodes.push({ name: `n${i}`, url: `nats://127.0.0.1:${clientPort}`, clientPort, routePort, monitorPort, storeDir, logFile: join(root, `n${i}.log`) });
  }
  return nodes;
}

async function startOnce(root: string, opts: Required<StartNatsClusterOptions>): Promise<NatsClusterHandle> {
  const nodes = await allocateNodes(root, opts.size);
  const children: (Child | undefined)[] = nodes.map(() => undefined);

  const launch = async (i: number): Promise<void> => {
    const node = nodes[i] as NatsClusterNode;
    const child = spawnChild("nats-server", nodeArgs(node, nodes), { name: node.name, logFile: node.logFile });
    children[i] = child;
    await waitNodeReady(node, child, Date.now() + opts.readyTimeoutMs);
  };
  const killNode = async (i: number, signal: NodeJS.Signals): Promise<void> => {
    await children[i]?.stop(signal, 10_000);
  };
  const checkIndex = (i: number): number => {
    if (!Number.isInteger(i) || i < 0 || i >= nodes.length) throw new RangeError(`no node ${i} in a cluster of ${nodes.length}`);
    return i;
  };
  const all = nodes.map((_, i) => i);

  const handle: NatsClusterHandle = {
    urls: nodes.map((n) => n.url).join(","),
    nodes,
    indexOf(serverName) {
      const i = nodes.findIndex((n) => n.name === serverName);
      if (i < 0) throw new Error(`no node named ${serverName} (nodes: ${nodes.map((n) => n.name).join(", ")})`);
      return i;
    },
    async clientNames(node) {
      const { monitorPort } = nodes[checkIndex(node)] as NatsClusterNode;
      const res = await fetch(`http://127.0.0.1:${monitorPort}/connz?limit=1024`, { signal: AbortSignal.timeout(2_000) });
      if (!res.ok) throw new Error(`/connz of node ${node} answered ${res.status}`);
      const connz = (await res.json()) as { connections?: { name?: string }[] };
      return (connz.connections ?? []).map((c) => c.name ?? "");
    },
    async kill(nodeOrSignal?: number | NodeJS.Signals, signal?: NodeJS.Signals) {
      if (typeof nodeOrSignal === "number") return killNode(checkIndex(nodeOrSignal), signal ?? "SIGKILL");
      await Promise.all(all.map((i) => killNode(i, nodeOrSignal ?? "SIGKILL")));
    },
    async restart(node?: number) {
      const which = node === undefined ? all : [checkIndex(node)];
      await Promise.all(which.map((i) => killNode(i, "SIGKILL")));
      // Started together: a lone node of a stopped cluster never sees a meta leader.
      await Promise.all(which.map(launch));
    },
    async stop() {
      await Promise.all(all.map((i) => killNode(i, "SIGKILL")));
    },
  };
  try {
    await Promise.all(all.map(launch));
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

export async function startNatsCluster(options: StartNatsClusterOptions = {}): Promise<NatsClusterHandle> {
  if (!natsServerAvailable()) throw new NatsServerMissingError();
  const opts = { size: options.size ?? 3, readyTimeoutMs: options.readyTimeoutMs ?? 30_000 };
  // A port found free can be taken before the server binds it: try again with new ports.
  for (let attempt = 1; ; attempt++) {
    const root = mkdtempSync(join(tmpdir(), "jobtally-nats-cluster-"));
    try {
      const cluster = await startOnce(root, opts);
      const stop = cluster.stop;
      return {
        ...cluster,
        async stop() {
          await stop();
          rmSync(root, { recursive: true, force: true });
        },
      };
    } catch (err) {
      rmSync(root, { recursive: true, force: true });
      if (attempt >= 3) throw err;
    }
  }
}
