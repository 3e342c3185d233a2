/**
 * What the connected nats-server's version means for replicated streams. nats-server 2.9 replicas
 * can diverge after a server is killed and restarted: the restarted replica re-applies entries it
 * had applied already, so the same stream sequence holds different messages on different nodes
 * (seen here with the Debian 2.9.10 package in the chaos campaign, seeds 186491980 and 951154843;
 * upstream: nats-io/nats-server#4174, "2.9.x is no longer supported"). A consumer or a read served
 * by that replica then shows a Pod's earlier state, or skips a record. jobtally guards the counting
 * it can (replayed records are checked against the API server before a Pod is listed), but a
 * record a consumer skips can leave a Pod's finalizer held. Detected, not assumed: a warning at
 * start-up when streams are replicated on a server older than 2.10.
 */

/** "2.9.10" → [2, 9, 10]; null when it does not read as a version. */
export function parseServerVersion(version: string | undefined): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? "");
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** The warning to log for replicated streams on this server version, or null when none is due. */
export function replicatedStreamsWarning(version: string | undefined, replicas: number): string | null {
  if (replicas <= 1) return null;
  const v = parseServerVersion(version);
  if (v === null || v[0] > 2 || (v[0] === 2 && v[1] >= 10)) return null;
  return `nats-server ${version} with ${replicas} stream replicas: replicas of nats-server before 2.10 can diverge after a server restart (nats-io/nats-server#4174); a diverged replica can hide a Pod's last record, leaving its finalizer held. Run nats-server 2.10 or later`;
}
