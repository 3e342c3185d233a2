/**
 * The pipeline on a three-node nats-server cluster with R3 streams: the node leading the view
 * stream is killed (-9) while a Job runs and restarted a few seconds later. JetStream elects new
 * leaders on the two survivors; the Job must still complete with counts equal to the kubelet's
 * record and no finalizer left, and the restarted node must catch up as a replica again.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { startPipeline, isFinished, type Pipeline } from "../support/pipeline.js";
import type { NatsClusterHandle } from "../support/nats-cluster.js";
import { waitFor } from "../support/processes.js";
import { assertCountsMatchKubelet, conditionOf } from "./support-assert.js";
import { DLQ_STREAM, INTENT_STREAM, VIEW_STREAM } from "../../shared/constants.js";

const UNLIMITED = 2_147_483_647;
const STREAMS = [VIEW_STREAM, INTENT_STREAM, DLQ_STREAM];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function assertReplicatedThreeWays(info: StreamInfo): void {
  const name = info.config.name;
  assert.equal(info.config.num_replicas, 3, `${name}: num_replicas`);
  assert.ok(info.cluster?.leader, `${name}: has a leader`);
  assert.equal(info.cluster?.replicas?.length, 2, `${name}: two replicas besides the leader (${JSON.stringify(info.cluster)})`);
}

/** Every stream has a leader and two replicas that are current (the restarted node caught up). */
async function allReplicasCurrent(jsm: JetStreamManager): Promise<boolean> {
  for (const name of STREAMS) {
    const info = await jsm.streams.info(name);
    const replicas = info.cluster?.replicas ?? [];
    if (!info.cluster?.leader || replicas.length !== 2 || !replicas.every((r) => r.current && !r.offline)) return false;
  }
  return true;
}

describe("on a three-node NATS cluster with R3 streams", { timeout: 180_000 }, () => {
  let p: Pipeline<NatsClusterHandle>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    p = await startPipeline({ natsCluster: true, failProbability: 0.05, podGcDelayMs: 0, durationMs: 150 });
    nc = await connect({ servers: p.nats.urls.split(","), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    const dir = process.env.DBG_DIR ?? "/tmp/ntc/last";
    const fs = await import("node:fs");
    fs.rmSync(dir, { recursive: true, force: true }); fs.mkdirSync(dir, { recursive: true });
    for (const [n, h] of Object.entries(p.services)) fs.writeFileSync(`${dir}/${n}.log`, h.logs());
    for (const n of p.nats.nodes) fs.copyFileSync(n.logFile, `${dir}/${n.name}.log`);
    try {
      const job = await p.readJob("cluster-leader-kill");
      fs.writeFileSync(`${dir}/job.json`, JSON.stringify(job.status, null, 1));
      const out: unknown[] = [];
      for (const s of [...STREAMS, "KV_jobtally_ownership"]) out.push(await jsm.streams.info(s).catch((e) => String(e)));
      for await (const c of jsm.consumers.list(INTENT_STREAM)) out.push(c);
      fs.writeFileSync(`${dir}/streams.json`, JSON.stringify(out, null, 1));
    } catch (e) { console.log("DBG after", e); }
    await nc?.close();
    await p?.stop();
  });

  test("the view stream's leader killed (-9) mid-run and restarted: the Job completes with exact counts", async () => {
    const name = "cluster-leader-kill";
    await p.createJob({ name, completions: 600, parallelism: 60, backoffLimit: UNLIMITED });

    // The services created the streams: replicated on all three nodes (once each has elected a leader).
    const infos = await waitFor(
      async () => {
        const all = await Promise.all(STREAMS.map((s) => jsm.streams.info(s)));
        return all.every((i) => i.cluster?.leader) ? all : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "the jobtally streams to have leaders" },
    );
    for (const info of infos) assertReplicatedThreeWays(info);

    // Mid-run: Pods are being counted, and many are still to come.
    const before = await waitFor(
      async () => {
        const job = await p.readJob(name);
        return (job.status?.succeeded ?? 0) + (job.status?.failed ?? 0) >= 120 ? job : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `Job ${name} to count 120 Pods` },
    ).catch((e) => { console.log("DBGLOGS\n" + p.logs()); throw e; });
    assert.equal(isFinished(before), null, "the node is killed while the Job still runs");

    const leader = (await jsm.streams.info(VIEW_STREAM)).cluster?.leader as string;
    const victim = p.nats.indexOf(leader);
    const T0 = Date.now(); console.log("DBG kill", leader, "counted", (before.status?.succeeded ?? 0) + (before.status?.failed ?? 0), new Date().toISOString());
    await p.nats.kill(victim, "SIGKILL");
    await sleep(3_000);
    await p.nats.restart(victim);

    console.log("DBG restarted", Date.now() - T0);
    const job = await p.waitForJobFinished(name, 120_000);
    console.log("DBG finished", Date.now() - T0);
    console.log(p.logs().split("\n").filter((l) => /"level":(40|50|60)|===/.test(l)).map((l) => l.slice(0, 400)).join("\n"));
    assert.equal(conditionOf(job, "Complete")?.status, "True");
    const counts = await assertCountsMatchKubelet(p, job);
    assert.equal(counts.succeeded, 600);

    // The restarted node is a current replica of every stream again, and they are still R3.
    await waitFor(() => allReplicasCurrent(jsm), { timeoutMs: 30_000, intervalMs: 250, what: "every stream to have two current replicas" });
    for (const s of STREAMS) assertReplicatedThreeWays(await jsm.streams.info(s));
  });
});
