/**
 * The pipeline on a three-node nats-server cluster with R3 streams: one node is killed (-9) while
 * a Job runs and restarted a few seconds later. JetStream elects new leaders on the two survivors;
 * the Job must still complete with counts equal to the kubelet's record and no finalizer left,
 * and the restarted node must catch up as a replica of every stream again.
 *
 * The node killed is the one serving the counter's connection when the watcher is connected
 * elsewhere (then only the counter sees its connection drop: the case that once left it waiting
 * forever for the watcher, see `onReconnect` in shared/nats/connection.ts), otherwise the leader
 * of the view stream.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { startPipeline, isFinished, type Pipeline } from "../support/pipeline.js";
import type { NatsClusterHandle } from "../support/nats-cluster.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "../e2e/support-assert.js";
import { DLQ_STREAM, INTENT_STREAM, VIEW_STREAM } from "../../shared/constants.js";

const UNLIMITED = 2_147_483_647;
const STREAMS = [VIEW_STREAM, INTENT_STREAM, DLQ_STREAM];
const COMPLETIONS = 600;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function assertReplicatedThreeWays(info: StreamInfo): void {
  const name = info.config.name;
  assert.equal(info.config.num_replicas, 3, `${name}: num_replicas`);
  assert.ok(info.cluster?.leader, `${name}: has a leader`);
  assert.equal(info.cluster?.replicas?.length, 2, `${name}: two replicas besides the leader (${JSON.stringify(info.cluster)})`);
}

async function streamInfos(jsm: JetStreamManager): Promise<StreamInfo[]> {
  return Promise.all(STREAMS.map((s) => jsm.streams.info(s)));
}

/** Every stream has a leader and two current replicas (the restarted node caught up). */
function allReplicasCurrent(infos: StreamInfo[]): boolean {
  return infos.every((i) => {
    const replicas = i.cluster?.replicas ?? [];
    return Boolean(i.cluster?.leader) && replicas.length === 2 && replicas.every((r) => r.current && !r.offline);
  });
}

/** Index of the node serving the client named `clientName`, or -1. */
async function nodeServing(nats: NatsClusterHandle, clientName: string): Promise<number> {
  for (let i = 0; i < nats.nodes.length; i++) if ((await nats.clientNames(i)).includes(clientName)) return i;
  return -1;
}

describe("on a three-node NATS cluster with R3 streams", { timeout: 300_000 }, () => {
  let p: Pipeline<NatsClusterHandle>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    // The production lease timings (15 s, 10 s, 2 s), not the other tests' 3 s: a JetStream leader
    // election after a node loss takes 2-6 s on nats-server 2.9, and leases are meant to ride that out.
    p = await startPipeline({
      natsCluster: true,
      failProbability: 0.05,
      podGcDelayMs: 0,
      durationMs: 150,
      flags: { counter: ["--lease-duration", "15s", "--lease-renew-deadline", "10s", "--lease-retry-period", "2s"] },
    });
    nc = await connect({ servers: p.nats.urls.split(","), name: "nats-cluster-test", maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await p?.stop();
  });

  test("a node killed (-9) mid-run and restarted: the Job completes with exact counts", async (t) => {
    const name = "cluster-node-kill";
    await p.createJob({ name, completions: COMPLETIONS, parallelism: 60, backoffLimit: UNLIMITED });

    // The services created the streams replicated on all three nodes (once each has a leader).
    const infos = await waitFor(async () => ((await streamInfos(jsm)).every((i) => i.cluster?.leader) ? streamInfos(jsm) : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: "the jobtally streams to have leaders",
    });
    for (const info of infos) assertReplicatedThreeWays(info);

    // Mid-run: Pods are being counted, and many are still to come.
    const running = await waitFor(
      async () => {
        const job = await p.readJob(name);
        return (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0) >= COMPLETIONS / 5 ? job : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100, what: `Job ${name} to count ${COMPLETIONS / 5} Pods` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- service logs ---\n${p.logs()}`);
    });
    assert.equal(isFinished(running), null, "the node is killed while the Job still runs");

    const counterNode = await nodeServing(p.nats, "jobtally-counter");
    const watcherNode = await nodeServing(p.nats, "jobtally-watcher");
    const viewLeader = p.nats.indexOf((await jsm.streams.info(VIEW_STREAM)).cluster?.leader as string);
    const victim = counterNode >= 0 && counterNode !== watcherNode ? counterNode : viewLeader;
    t.diagnostic(`killing ${p.nats.nodes[victim]?.name} (counter on node ${counterNode}, watcher on ${watcherNode}, view leader ${viewLeader})`);
    await p.nats.kill(victim, "SIGKILL");
    await sleep(3_000);
    await p.nats.restart(victim);

    const job = await p.waitForJobFinished(name, 120_000);
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    const counts = await assertCountsMatchKubelet(p, job);
    assert.equal(counts.succeeded, COMPLETIONS, `succeeded ${counts.succeeded} for ${COMPLETIONS} completions: Pods created beyond what the Job needed\n--- service logs ---\n${p.logs()}`);

    // The restarted node is a current replica of every stream again, and they are still R3.
    const healed = await waitFor(async () => {
      const now = await streamInfos(jsm);
      return allReplicasCurrent(now) ? now : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250, what: "every stream to have two current replicas" });
    for (const info of healed) assertReplicatedThreeWays(info);
  });
});
