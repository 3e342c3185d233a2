/**
 * Options every `consume()` of jobtally passes, chosen for NATS clusters.
 *
 * A pull request lives only on the consumer's leader (on the stream leader for the ordered view
 * consumers): when that node dies, the new leader knows nothing of it and nothing is delivered
 * until the client notices two missed idle heartbeats (half of `expires` each) and pulls again.
 * With the client's default `expires` of 30 s, every finalizer removal waited about 30 s after
 * a node loss (seen with `test/e2e/nats-cluster.test.ts`); 5 s bounds the stall at the cost of one
 * pull request per 5 s per idle consumer.
 */
export const CONSUME_EXPIRES_MS = 5_000;
