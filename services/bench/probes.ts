/** What the bench runner reads from the running processes: I/O helpers, one request each. */
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import type { BatchV1Api, V1Job } from "@kubernetes/client-node";
import { sleep } from "../../shared/backoff.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { OWNERSHIP_BUCKET } from "../../shared/ownership/bucket.js";
import { leaseKey, parseLeaseRecord } from "../../shared/ownership/records.js";
import { isBalanced } from "./failover.js";
import { parsePrometheus, sumOf, type Sample } from "./measure.js";

export async function listAllJobs(batch: BatchV1Api, namespace: string): Promise<V1Job[]> {
  const out: V1Job[] = [];
  let token: string | undefined;
  do {
    const page = await batch.listNamespacedJob({ namespace, limit: 500, _continue: token });
    out.push(...page.items);
    token = page.metadata?._continue || undefined;
  } while (token);
  return out;
}

export async function scrapeMetrics(port: number): Promise<Sample[]> {
  return parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
}

export async function scrapeApiRequests(ports: number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    try {
      total += sumOf(await scrapeMetrics(port), "jobtally_api_requests_total");
    } catch {
      // a service between restarts (or killed): counted next time
    }
  }
  return total;
}

export async function waitReady(ports: number[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`service on port ${port} not ready after ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  }
}

/** `n` free loopback ports, all different (each process gets its own `--http-port`). */
export async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < n; i++) {
    if (i > 10 * n + 100) throw new Error(`could not find ${n} distinct free ports`);
    ports.add(await freeLoopbackPort());
  }
  return [...ports];
}

/** The counters' partition gauges, summed: what a failover is measured by. */
export async function partitionGauges(counterPorts: number[]): Promise<{ owned: number[]; ready: number[] }> {
  const owned: number[] = [];
  const ready: number[] = [];
  for (const port of counterPorts) {
    try {
      const m = await scrapeMetrics(port);
      owned.push(sumOf(m, "jobtally_partitions_owned"));
      ready.push(sumOf(m, "jobtally_partitions_ready"));
    } catch {
      owned.push(0);
      ready.push(0);
    }
  }
  return { owned, ready };
}

/** Waits until the counters split the partitions fairly and each one's are ready. */
export async function waitBalanced(counterPorts: number[], partitions: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const g = await partitionGauges(counterPorts);
    if (isBalanced(g.owned, partitions) && isBalanced(g.ready, partitions)) return;
    if (Date.now() > deadline) throw new Error(`counters not balanced after ${timeoutMs / 1000} s: owned ${g.owned.join("/")}, ready ${g.ready.join("/")}`);
    await sleep(200);
  }
}

/** Holder of every partition's lease, read from the ownership bucket (`""` when released). */
export async function readLeaseHolders(natsUrl: string, partitions: number): Promise<Map<number, string>> {
  const nc = await connect({ servers: natsUrl, name: "jobtally-bench" });
  try {
    const kv = await new Kvm(nc).open(OWNERSHIP_BUCKET);
    const out = new Map<number, string>();
    for (let p = 0; p < partitions; p++) {
      const e = await kv.get(leaseKey(p));
      out.set(p, e && e.value.length > 0 ? parseLeaseRecord(e.value).holder : "");
    }
    return out;
  } finally {
    await nc.close();
  }
}
