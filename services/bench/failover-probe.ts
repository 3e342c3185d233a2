/**
 * The failover half of a scale-out run (I/O): reads which partitions a counter holds, SIGKILLs it,
 * then polls the survivors' partition gauges until they own, and have replayed, every partition.
 */
import type { Child } from "../../shared/process/child.js";
import { sleep } from "../../shared/backoff.js";
import type { OwnershipSample } from "./failover.js";
import { processUsage, type ProcessUsage, type Sample } from "./measure.js";
import { partitionGauges, readLeaseHolders, scrapeMetrics } from "./probes.js";

export interface KillTarget {
  name: string;
  child: Child;
  port: number;
}

export interface KilledCounter {
  name: string;
  /** Absolute (Date.now()) time of the SIGKILL. */
  atMs: number;
  partitions: number[];
  /** Its CPU, peak RSS and metrics read just before the kill (a dead process has neither). */
  usage: ProcessUsage;
  metrics: Sample[];
}

export class FailoverProbe {
  readonly samples: OwnershipSample[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  private constructor(
    readonly killed: KilledCounter,
    private readonly survivorPorts: number[],
    private readonly partitions: number,
    intervalMs: number,
  ) {
    this.loop = this.poll(intervalMs);
  }

  /** Reads the victim's leases, usage and metrics, kills it with SIGKILL, and starts polling the survivors. */
  static async kill(victim: KillTarget, survivorPorts: number[], opts: { natsUrl: string; partitions: number; intervalMs?: number }): Promise<FailoverProbe> {
    const holders = await readLeaseHolders(opts.natsUrl, opts.partitions);
    const partitions = [...holders].filter(([, holder]) => holder === victim.name).map(([p]) => p);
    const metrics = await scrapeMetrics(victim.port);
    const usage = processUsage(victim.child.proc.pid as number);
    victim.child.proc.kill("SIGKILL");
    const killed: KilledCounter = { name: victim.name, atMs: Date.now(), partitions, usage, metrics };
    return new FailoverProbe(killed, survivorPorts, opts.partitions, opts.intervalMs ?? 100);
  }

  private async poll(intervalMs: number): Promise<void> {
    while (!this.stopped) {
      const g = await partitionGauges(this.survivorPorts);
      const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
      const sample = { atMs: Date.now(), owned: sum(g.owned), ready: sum(g.ready) };
      this.samples.push(sample);
      if (sample.owned >= this.partitions && sample.ready >= this.partitions) return;
      await sleep(intervalMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
