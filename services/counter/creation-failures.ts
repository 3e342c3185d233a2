/**
 * The counter's side of creation failure reports (shared/intents/creation-failure.ts): one core
 * NATS subscription for every partition; a report for a partition this replica does not own (or
 * under another lease epoch) is ignored by the caller. A lost report only delays the Job until its
 * expectations timeout; a repeated one finds the creation no longer in flight.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { CREATION_FAILURE_SUBJECT_PREFIX, parseCreationFailureReport, type CreationFailureReport } from "../../shared/intents/creation-failure.js";
import type { Logger } from "../../shared/observability/logger.js";

export interface CreationFailureSubscription {
  stop(): void;
}

export function subscribeCreationFailures(nc: NatsConnection, logger: Logger, onReport: (report: CreationFailureReport) => void): CreationFailureSubscription {
  const sub: Subscription = nc.subscribe(`${CREATION_FAILURE_SUBJECT_PREFIX}.*`, {
    callback: (err, msg) => {
      if (err) return;
      let report: CreationFailureReport;
      try {
        report = parseCreationFailureReport(msg.data);
      } catch (e) {
        logger.warn({ subject: msg.subject, err: (e as Error).message }, "ignoring a malformed creation failure report");
        return;
      }
      onReport(report);
    },
  });
  return {
    stop: () => {
      try {
        sub.unsubscribe();
      } catch {
        // the connection is closing
      }
    },
  };
}
