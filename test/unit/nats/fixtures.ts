/** Shared helpers of the NATS layer tests: a server + connection per suite, record builders. */
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { PodView, SyncMarker } from "../../../shared/view/records.js";
import { ensureStreams } from "../../../shared/nats/streams.js";
import { startNatsServer, type NatsServerHandle } from "../../support/nats-server.js";

export interface NatsFixture {
  server: NatsServerHandle;
  nc: NatsConnection;
  js: JetStreamClient;
  /** Another connection (a second process, as far as the server can tell). */
  connect(): Promise<NatsConnection>;
  close(): Promise<void>;
}

export async function natsFixture(): Promise<NatsFixture> {
  const server = await startNatsServer();
  const extra: NatsConnection[] = [];
  const open = async (): Promise<NatsConnection> => {
    const c = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    extra.push(c);
    return c;
  };
  try {
    const nc = await open();
    await ensureStreams(nc, { replicas: 1 });
    return {
      server,
      nc,
      js: jetstream(nc),
      connect: open,
      async close() {
        await Promise.allSettled(extra.map((c) => c.close()));
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

export function podView(uid: string, resourceVersion: string, over: Partial<PodView> = {}): PodView {
  return {
    v: 1,
    kind: "pod",
    uid,
    name: `pod-${uid}`,
    namespace: "default",
    jobUID: "job1",
    resourceVersion,
    phase: "Running",
    hasFinalizer: true,
    deletionTimestamp: null,
    gone: false,
    ready: false,
    completionIndex: null,
    creationTimestamp: null,
    finishedAt: null,
    ...over,
  };
}

export function syncMarker(listResourceVersion: string, epoch = 1): SyncMarker {
  return { v: 1, kind: "sync", watcherId: "w1", epoch, listResourceVersion, syncedAtMs: 0 };
}

/** Polls `cond` until true, or throws after `timeoutMs` (a deadline, not a duration assertion). */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
