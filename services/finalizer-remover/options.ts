/** `jobtally finalizer-remover` options. */
import { kubeOptions, managementOptions, natsOptions, healthOptions, processOptions, sharedBudgetOptions } from "../../shared/config/common.js";
import { durationMsOption, integerOption, numberOption, type ConfigOf } from "../../shared/config/options.js";

export const finalizerRemoverOptionSchema = {
  ...kubeOptions,
  ...natsOptions,
  // Which Jobs are this installation's (intents are verified against them: verify.ts), and the
  // partitions (the view stream's size).
  ...managementOptions,
  ...processOptions,
  ...healthOptions,
  ...sharedBudgetOptions,
  qps: numberOption({ flag: "qps", env: "JOBTALLY_REMOVER_QPS", description: "API requests per second across all intents (0 = unlimited)", default: 50, min: 0 }),
  burst: integerOption({
    flag: "burst",
    env: "JOBTALLY_REMOVER_BURST",
    description: "API requests at once after idleness: at most this many start in any window of burst/qps seconds (0 = 2 x qps)",
    default: 0,
    min: 0,
  }),
  concurrency: integerOption({ flag: "concurrency", env: "JOBTALLY_REMOVER_CONCURRENCY", description: "API requests in flight at once", default: 32, min: 1, max: 4096 }),
  ackWaitMs: durationMsOption({
    flag: "ack-wait",
    env: "JOBTALLY_REMOVER_ACK_WAIT",
    description: "JetStream ack wait of the intent consumer (an intent held longer by a dead replica is redelivered)",
    default: 30_000,
    min: 1000,
  }),
};

export type FinalizerRemoverConfig = ConfigOf<typeof finalizerRemoverOptionSchema>;

/**
 * One durable consumer per intent kind, each shared by every replica. Separate consumers let
 * finalizer removals (what lets a finished Pod be counted) reach the API budget queue at once,
 * ahead of a backlog of creations, instead of waiting behind them in the stream's order.
 */
export const INTENT_KINDS = ["removeFinalizer", "createPod", "deletePod", "adoptPod"] as const;
export function removerDurable(kind: (typeof INTENT_KINDS)[number]): string {
  return `finalizer-remover-${kind}`;
}
/** The single consumer of earlier versions, over every kind; deleted at start-up (a work queue allows no overlap). */
export const LEGACY_REMOVER_DURABLE = "finalizer-remover";

/**
 * Intents pulled but not yet finished, at most: enough to keep the API budget busy (a second of
 * burst plus every worker) without holding so many that a dying replica strands a large batch
 * until ack_wait.
 */
export function maxAckPendingFor(config: Pick<FinalizerRemoverConfig, "qps" | "burst" | "concurrency" | "sharedQps" | "sharedBurst">): number {
  const qps = config.sharedQps || config.qps;
  const burst = qps === 0 ? 0 : (config.sharedQps ? config.sharedBurst : config.burst) || Math.ceil(2 * qps);
  return Math.min(10_000, Math.max(64, config.concurrency * 2 + burst));
}
