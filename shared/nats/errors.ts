/** Recognising JetStream API errors by their stable error codes (messages vary by server version). */
import { JetStreamApiError } from "@nats-io/jetstream";
import { ClosedConnectionError, DrainingConnectionError } from "@nats-io/transport-node";

export const JS_CODES = {
  streamNotFound: 10059,
  streamNameInUse: 10058,
  consumerNotFound: 10014,
  /** Publish with `Nats-Expected-Last-Subject-Sequence` lost a race: "wrong last sequence: N". */
  wrongLastSequence: 10071,
} as const;

export function jsApiCode(err: unknown): number | null {
  return err instanceof JetStreamApiError ? err.code : null;
}

export function isWrongLastSequence(err: unknown): boolean {
  return jsApiCode(err) === JS_CODES.wrongLastSequence;
}

/** Thrown to callers still waiting when a publisher or queue is closed. */
export class NatsClosedError extends Error {
  override readonly name = "NatsClosedError";
}

/** The connection was closed (or is draining) on purpose: it will not come back, stop retrying. */
export function isConnectionClosed(err: unknown): boolean {
  return err instanceof ClosedConnectionError || err instanceof DrainingConnectionError;
}
