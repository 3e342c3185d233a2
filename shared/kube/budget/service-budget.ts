/**
 * A service's API budget: its own QPS / burst, or, with `--shared-qps`, its share of the group's
 * budget (shared-budget.ts).
 */
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import { ApiBudget, defaultBurst } from "../rate-limit.js";
import { joinSharedBudget } from "./shared-budget.js";
import type { Logger } from "../../observability/logger.js";

export interface ServiceBudgetConfig {
  /** This process's own budget, used when `sharedQps` is 0. */
  qps: number;
  burst: number;
  concurrency: number;
  sharedQps: number;
  sharedBurst: number;
  budgetGroup: string;
}

export interface ServiceBudget {
  budget: ApiBudget;
  /** Resolves when the budget is usable at its full share (at once for an own budget). */
  joined: Promise<void>;
  /** Requests/s this process may use now. */
  qps(): number;
  stop(): Promise<void>;
}

export function createServiceBudget(service: string, config: ServiceBudgetConfig, nc: NatsConnection, logger: Logger, onShare?: (qps: number) => void): ServiceBudget {
  if (config.sharedQps === 0) {
    const budget = new ApiBudget({ qps: config.qps, burst: config.burst, concurrency: config.concurrency });
    onShare?.(config.qps);
    return { budget, joined: Promise.resolve(), qps: () => config.qps, stop: async () => undefined };
  }
  const budget = new ApiBudget({ qps: config.sharedQps, burst: defaultBurst(config.sharedQps, config.sharedBurst), concurrency: config.concurrency });
  const handle = joinSharedBudget(
    nc,
    budget,
    {
      group: config.budgetGroup,
      member: `${service}-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      totalQps: config.sharedQps,
      totalBurst: defaultBurst(config.sharedQps, config.sharedBurst),
    },
    logger,
    onShare,
  );
  return { budget, joined: handle.joined, qps: () => handle.share(), stop: () => handle.stop() };
}
