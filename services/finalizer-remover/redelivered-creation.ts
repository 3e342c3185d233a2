/**
 * A creation intent delivered again. Creating a Pod is the one step that is not idempotent for
 * good: a name that already exists answers 409, but a Pod that was created, ran, was counted, lost
 * its finalizer and was deleted (PodGC at once) leaves the name free, and creating it again runs
 * the work twice. JetStream redelivers an intent whose ack was lost (the NATS node serving the
 * remover died after the Pod was created: measured on a three-node cluster, one Pod too many),
 * whose remover crashed after sending the request, or that a replica put back for a retry after an
 * answer that may hide a creation (a 5xx, a timeout).
 *
 * A single nats-server killed and restarted may also lose the consumer's record of what it
 * delivered: an intent delivered (and carried out) before the restart then comes again as a first
 * delivery. So an intent stored before the server came back counts as redelivered
 * (`mayHaveBeenDelivered`; found with a remover paused while NATS restarted: three Pods too many).
 *
 * So a redelivered creation is carried out only when this process knows that no earlier delivery
 * sent it (its own earlier attempt stopped before the request left, or got a 429, which the API
 * server answers without acting). Otherwise the remover reads the Pod: there → done; not there →
 * not created, and the counter is told (`outcome: "unconfirmed"`): it plans the Pod again, under
 * a new name, only if it never saw this one. A Pod of this installation cannot have vanished
 * unseen: its finalizer comes off only by an intent the counter issues after seeing it.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { CreatePodIntent } from "../../shared/intents/intents.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import type { PodApi } from "./executor.js";

/** What to do with a delivery of a creation intent. */
export type RedeliveryDecision = "create" | "check-exists";

/** Pure: a first delivery, or one whose every earlier attempt is known here to have sent nothing, is created. */
export function decideDelivery(deliveryCount: number, knownUnsent: boolean): RedeliveryDecision {
  return deliveryCount <= 1 || knownUnsent ? "create" : "check-exists";
}

/**
 * How long after NATS came back an intent's stored time still counts as "before": the stream's
 * clock (the server's) and this process's may differ; a later intent checked needlessly costs one GET.
 */
export const STORED_BEFORE_LOSS_MARGIN_MS = 10_000;

/**
 * The delivery count to decide on: a first delivery of an intent stored before a server that may
 * have lost the consumer's state came back may have been delivered (and carried out) before.
 * `lossAtMs`: when NATS last came back after possibly losing writes, or null.
 */
export function effectiveDeliveryCount(deliveryCount: number, storedAtMs: number, lossAtMs: number | null): number {
  if (lossAtMs === null || storedAtMs >= lossAtMs + STORED_BEFORE_LOSS_MARGIN_MS) return deliveryCount;
  return Math.max(2, deliveryCount);
}

/** After the existence check: `done` (it exists), `unconfirmed` (it does not: tell the counter). */
export function afterExistenceCheck(exists: boolean): "done" | "unconfirmed" {
  return exists ? "done" : "unconfirmed";
}

/**
 * Creations this process attempted without the request being carried out (stopped by the fence,
 * the deadline or a 429), by `namespace/name`, until their intent is settled or `ttlMs` passes
 * (an intent is never executed past its `notAfterMs`). Bounded by the intents in flight.
 */
export class UnsentCreations {
  private readonly unsent = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  markUnsent(key: string): void {
    this.unsent.set(key, this.now());
    if (this.unsent.size > 1024) this.sweep();
  }

  /** The request of `key` may have left (or did): forget that it was unsent. */
  markSent(key: string): void {
    this.unsent.delete(key);
  }

  isKnownUnsent(key: string): boolean {
    const at = this.unsent.get(key);
    return at !== undefined && this.now() - at <= this.ttlMs;
  }

  get size(): number {
    return this.unsent.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, at] of this.unsent) if (now - at > this.ttlMs) this.unsent.delete(k);
  }
}

/** An answer that proves the API server did not act on the request (429: throttled before admission). */
export function provesNotCarriedOut(err: unknown): boolean {
  return apiErrorInfo(err).code === 429;
}

/**
 * `api` with its `createPod` recording in `unsent` whether each request left: the guard runs right
 * before the request is sent, so an attempt the guard (or the budget) stopped never sent one.
 */
export function trackingSentCreations(api: PodApi, unsent: UnsentCreations): PodApi {
  return {
    ...api,
    createPod: async (namespace: string, pod: V1Pod, guard?: () => void) => {
      const key = UnsentCreations.key(namespace, pod.metadata?.name ?? "");
      let sent = false;
      try {
        await api.createPod(namespace, pod, () => {
          guard?.();
          sent = true;
          unsent.markSent(key);
        });
        unsent.markSent(key);
      } catch (err) {
        if (!sent || provesNotCarriedOut(err)) unsent.markUnsent(key);
        else unsent.markSent(key);
        throw err;
      }
    },
  };
}

export interface RedeliveredCreationDeps {
  unsent: UnsentCreations;
  /** GET by name through the budget; throws when it cannot tell. */
  podExists(namespace: string, name: string): Promise<boolean>;
  /** Tells the counter the Pod was not created (fire and forget). */
  reportUnconfirmed(intent: CreatePodIntent): void;
}

/**
 * Settles a redelivered creation that may have been sent before: `null` = go on and create it;
 * otherwise the label of what was done instead. Throws when the Pod cannot be read (retry later).
 */
export async function settleRedeliveredCreation(intent: CreatePodIntent, deliveryCount: number, deps: RedeliveredCreationDeps): Promise<"done" | "unconfirmed" | null> {
  const name = intent.pod.metadata?.name ?? "";
  if (decideDelivery(deliveryCount, deps.unsent.isKnownUnsent(UnsentCreations.key(intent.namespace, name))) === "create") return null;
  const outcome = afterExistenceCheck(await deps.podExists(intent.namespace, name));
  if (outcome === "unconfirmed") deps.reportUnconfirmed(intent);
  deps.unsent.markSent(UnsentCreations.key(intent.namespace, name));
  return outcome;
}
