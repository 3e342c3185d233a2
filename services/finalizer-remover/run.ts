/**
 * The finalizer-remover: a worker pool on the intent work queue (one durable consumer shared by
 * every replica, all partitions) that carries out intents through one API budget (p-queue: QPS,
 * burst, concurrency). On abort it stops pulling, lets the intents in flight finish and be acked,
 * and resolves.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { INTENT_STREAM, INTENT_SUBJECT_PREFIX } from "../../shared/constants.js";
import type { NatsConnection } from "@nats-io/transport-node";
import { Registry } from "prom-client";
import type { KubeClients } from "../../shared/kube/client.js";
import { createServiceBudget } from "../../shared/kube/budget/service-budget.js";
import { onReconnect } from "../../shared/nats/connection.js";
import { DeadLetters } from "../../shared/nats/dead-letters.js";
import { consumeIntents, type IntentContext, type IntentOutcome } from "../../shared/nats/intent-queue.js";
import { ensureStreams, type StreamLimits } from "../../shared/nats/streams.js";
import type { Intent } from "../../shared/intents/intents.js";
import type { Logger } from "../../shared/observability/logger.js";
import { executeIntent, IntentFencedError, LeaseUnverifiedError } from "./executor.js";
import { openOwnershipBucket } from "../../shared/ownership/bucket.js";
import { LeaseView } from "../../shared/ownership/lease-view.js";
import { retryUntilDone } from "../../shared/backoff.js";
import { createPodApi } from "./kube-api.js";
import { createFailedCreateHandler, createUnsentCreationReporter } from "./failed-create.js";
import { effectiveDeliveryCount, settleRedeliveredCreation, trackingSentCreations, UnsentCreations } from "./redelivered-creation.js";
import { orNullIfNotFound } from "../../shared/kube/errors.js";
import { createRemoverMetrics } from "../../shared/observability/metrics.js";
import { createIntentVerification, IntentVerifier, viewRecordReader, type VerifiedIntent } from "./verify.js";
import { LogLimiter } from "../../shared/observability/log-limiter.js";
import { INTENT_KINDS, LEGACY_REMOVER_DURABLE, maxAckPendingFor, removerDurable, type FinalizerRemoverConfig } from "./options.js";

export const DLQ_SOURCE = "finalizer-remover";

/**
 * How long a creation attempt known unsent is remembered: past the counter's creation intent time
 * to live (half its 120 s expectations timeout by default) the intent is never carried out anyway.
 */
const UNSENT_CREATION_MEMORY_MS = 5 * 60_000;

export interface FinalizerRemoverDeps {
  kube: KubeClients;
  nc: NatsConnection;
  logger: Logger;
  signal: AbortSignal;
  /** Where the metrics go. @default a fresh registry */
  registry?: Registry;
  /** Called once the consumer is about to pull (streams ensured). */
  onReady?(): void;
}

export async function runFinalizerRemover(
  config: Pick<FinalizerRemoverConfig, "qps" | "burst" | "concurrency" | "ackWaitMs" | "streamReplicas" | "sharedQps" | "sharedBurst" | "budgetGroup" | "managedBy" | "manageAllJobs" | "partitions"> & Partial<StreamLimits>,
  deps: FinalizerRemoverDeps,
): Promise<void> {
  const { logger } = deps;
  const metrics = createRemoverMetrics(deps.registry ?? new Registry(), () => budget.backlog);
  const serviceBudget = createServiceBudget("finalizer-remover", config, deps.nc, logger, (qps) => metrics.apiBudgetQps.set(qps));
  const budget = serviceBudget.budget;
  // Which creations this process attempted without sending them (redelivered-creation.ts).
  const unsentCreations = new UnsentCreations(UNSENT_CREATION_MEMORY_MS);
  const api = trackingSentCreations(createPodApi(deps.kube.core, budget, metrics), unsentCreations);
  const js = jetstream(deps.nc);
  const deadLetters = new DeadLetters(js, { logger });
  const maxAckPending = maxAckPendingFor(config);

  await ensureStreams(deps.nc, { ...config, replicas: config.streamReplicas, logger, signal: deps.signal });
  // Fencing: every intent carries the partition lease it was decided under; one decided under a
  // superseded lease is refused, never executed (checked on arrival, and again right before the
  // request leaves, after waiting for the budget).
  const bucket = await retryUntilDone("open the ownership bucket", () => openOwnershipBucket(deps.nc, config.streamReplicas), logger, deps.signal);
  const leases = new LeaseView(bucket, logger);
  leases.start();
  await Promise.race([leases.ready, new Promise((r) => deps.signal.addEventListener("abort", r, { once: true }))]);
  const fence = (intent: Intent): void => {
    const d = leases.decideNow(intent.partition, intent);
    if (d.kind === "refuse") throw new IntentFencedError(d.reason);
    if (d.kind === "unverified") throw new LeaseUnverifiedError();
  };

  /** Whether a Pod of that name exists (a GET through the budget, ahead of creations; 404 = false). */
  const podExists = (namespace: string, name: string): Promise<boolean> =>
    budget.run(async () => (await orNullIfNotFound(deps.kube.core.readNamespacedPod({ namespace, name }))) !== null, 1);
  // A rejected creation: FailedCreate Event on the Job, and a report to the counter (failed-create.ts).
  const failedCreate = createFailedCreateHandler({
    publish: (subject, data) => deps.nc.publish(subject, data),
    createEvent: (namespace, body) => budget.run(() => deps.kube.core.createNamespacedEvent({ namespace, body }), -1),
    podExists,
    logger,
    now: Date.now,
  });
  const publishReport = { publish: (subject: string, data: string) => deps.nc.publish(subject, data), logger };
  const expiredCreation = createUnsentCreationReporter(publishReport, "expired");
  // A single server that came back may have lost the consumer's record of deliveries: intents
  // stored before then may have been carried out already (redelivered-creation.ts).
  let natsCameBackAtMs: number | null = null;
  onReconnect(deps.nc, () => {
    natsCameBackAtMs = Date.now();
    logger.warn("NATS came back and may have lost writes: creations queued before are checked before they are sent");
  }, logger);
  const redelivery = { unsent: unsentCreations, podExists, reportUnconfirmed: createUnsentCreationReporter(publishReport, "unconfirmed") };
  // Every intent is checked against the view before it is carried out (verify.ts).
  const verify = createIntentVerification({
    verifier: new IntentVerifier({
      readView: viewRecordReader(deps.nc),
      readPod: (namespace, name) => budget.run(() => orNullIfNotFound(deps.kube.core.readNamespacedPod({ namespace, name })), 1),
      policy: { managedBy: config.managedBy, manageAllJobs: config.manageAllJobs },
      partitions: config.partitions,
      now: Date.now,
    }),
    deadLetters,
    metrics,
    logger,
    source: DLQ_SOURCE,
  });

  // A webhook rejecting every removal, or an API answering garbage, is one error line per 10 s (with
  // the count suppressed), not one per intent; jobtally_intent_rejections_total counts each.
  const logLimiter = new LogLimiter(10_000);
  const handle = async (intent: Intent, ctx: IntentContext): Promise<IntentOutcome> => {
    // Waiting for the budget can outlast ack_wait under a backlog: keep telling the server.
    const keepAlive = setInterval(() => ctx.working(), Math.max(500, Math.floor(config.ackWaitMs / 3)));
    try {
      // A first decision that may read the lease (a partition not heard of yet); then the guard.
      // Verified only under a current lease (a superseded one is refused by the fence below).
      let verified: VerifiedIntent | undefined;
      if ((await leases.decide(intent.partition, intent)).kind === "execute") {
        const checked = await verify(intent);
        if (checked.kind !== "allow") return checked;
        verified = checked;
      }
      if (verified !== undefined && intent.kind === "createPod") {
        const deliveries = effectiveDeliveryCount(ctx.deliveryCount, ctx.storedAtMs, natsCameBackAtMs);
        const settled = await settleRedeliveredCreation(intent, deliveries, redelivery).catch(() => "unreadable" as const);
        if (settled === "unreadable") return { kind: "retry", delayMs: 1_000 };
        if (settled !== null) {
          metrics.intents.inc({ kind: intent.kind, outcome: settled === "done" ? "already-done" : "unconfirmed" });
          if (settled === "unconfirmed") logger.info({ pod: `${intent.namespace}/${intent.pod.metadata?.name}`, job: `${intent.namespace}/${intent.jobName}`, partition: intent.partition, delivery: ctx.deliveryCount }, "redelivered creation whose Pod does not exist: not created again, the counter re-plans it if it never saw the Pod");
          return { kind: "ack" };
        }
      }
      return await executeIntent(intent, ctx.deliveryCount, {
        api,
        logger,
        fence,
        onOutcome: (kind, outcome) => {
          metrics.intents.inc({ kind, outcome });
          if (outcome === "fenced") metrics.fenced.inc({ kind });
        },
        onRejected: (kind, code) => metrics.rejected.inc({ kind, code: String(code ?? "none") }),
        onCreationRejected: failedCreate,
        onCreationExpired: expiredCreation,
        logLimiter,
      }, verified);
    } finally {
      clearInterval(keepAlive);
    }
  };

  logger.info({ qps: config.sharedQps ? `shared ${config.sharedQps} (group ${config.budgetGroup})` : config.qps, burst: config.burst || 2 * config.qps, concurrency: config.concurrency, maxAckPending }, "consuming intents");
  // Ready once the budget is had at its full share (a shared budget: after one round of reports).
  void serviceBudget.joined.then(() => deps.onReady?.());
  await jetstreamManager(deps.nc)
    .then((jsm) => jsm.consumers.delete(INTENT_STREAM, LEGACY_REMOVER_DURABLE))
    .catch(() => undefined);
  await Promise.all(
    INTENT_KINDS.map((kind) =>
      consumeIntents(js, {
        durable: removerDurable(kind),
        filterSubject: `${INTENT_SUBJECT_PREFIX}.*.${kind}`,
        ackWaitMs: config.ackWaitMs,
        maxAckPending,
        logger,
        signal: deps.signal,
        handle,
        onMalformed: async (data, err) => {
          await deadLetters.send(DLQ_SOURCE, err.message, data);
          metrics.deadLetters.inc({ source: DLQ_SOURCE });
        },
      }),
    ),
  );
  await budget.onIdle();
  await leases.stop();
  await serviceBudget.stop();
  // Acks are fire-and-forget publishes: make sure they left before the caller closes the connection.
  await deps.nc.flush().catch(() => undefined);
  logger.info("intent consumer drained");
}
