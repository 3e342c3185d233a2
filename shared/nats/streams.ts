/**
 * The three JetStream streams, created or updated idempotently by every service at start-up, so
 * that nothing depends on an operator creating them first and several processes may race here.
 *
 * Limits, and what happens at each (nats-server 2.9 behaviour, test/unit/nats/stream-limits.test.ts):
 * - JOBTALLY_VIEW holds one record per live Pod and per managed Job, the tombstones of the Pods
 *   of running Jobs (a counted Pod's tombstone stays until its Job is finished: deleting it would
 *   free the key for a lagging writer's older state, see services/counter/job-syncer.ts), plus one
 *   sync marker per partition. Dropping a record would lose a
 *   count, so the stream discards *new* keys when full (DiscardPolicy.New): the watcher's publish
 *   of a new Pod is refused and retried until finished Jobs' tombstones are deleted, while updates of
 *   existing keys (a Pod finishing, a tombstone) still go through, so counting never stops.
 *   Its size comes from `--view-max-records` (a budget of live Pods, Jobs and running Jobs' tombstones) plus the partitions'
 *   sync markers, at VIEW_RECORD_BUDGET_BYTES each.
 * - JOBTALLY_INTENTS (work queue) refuses new intents when full (DiscardPolicy.New): publishers
 *   retry until removers drain it; a queued intent is never dropped.
 * - JOBTALLY_DLQ drops its oldest dead letters (DiscardPolicy.Old): they are for an operator only.
 * A limit is never lowered below what the stream holds: nats-server enforces a lowered limit by
 * deleting the oldest messages, whatever the discard policy.
 */
import { RetentionPolicy, StorageType, DiscardPolicy, jetstreamManager } from "@nats-io/jetstream";
import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";
import { AuthorizationError, nanos, PermissionViolationError, type NatsConnection } from "@nats-io/transport-node";
import { isConnectionClosed, JS_CODES, jsApiCode } from "./errors.js";
import { backoffDelayMs, sleep } from "../backoff.js";
import type { Logger } from "../observability/logger.js";
import { replicatedStreamsWarning } from "./server-version.js";
import { DLQ_STREAM, DLQ_SUBJECT_PREFIX, INTENT_STREAM, INTENT_SUBJECT_PREFIX, VIEW_STREAM, VIEW_SUBJECT_PREFIX } from "../constants.js";

export interface StreamLimits {
  /** Live Pods and Jobs the view may hold at once. @default 2,000,000 */
  viewMaxRecords: number;
  /** Partitions (one sync marker each). @default 32 */
  partitions: number;
  /** @default 1,000,000 */
  intentMaxMsgs: number;
  /** @default 2 GiB */
  intentMaxBytes: number;
  /** @default 100,000 */
  dlqMaxMsgs: number;
  /** @default 256 MiB */
  dlqMaxBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  viewMaxRecords: 2_000_000,
  partitions: 32,
  intentMaxMsgs: 1_000_000,
  intentMaxBytes: 2 * 1024 ** 3,
  dlqMaxMsgs: 100_000,
  dlqMaxBytes: 256 * 1024 ** 2,
};

/**
 * Stored bytes budgeted per view record: a Pod record is ~400 bytes of JSON, plus its subject
 * (~100), the Nats-Msg-Id header and the server's per-message overhead; 1 KiB leaves room for long
 * names and labels.
 */
export const VIEW_RECORD_BUDGET_BYTES = 1024;

export interface EnsureStreamsOptions extends Partial<StreamLimits> {
  /** Stream replicas (1 on a single server, 3 on a cluster). */
  replicas: number;
  /** Told when a limit is kept above the wanted one because the stream holds more already. */
  logger?: Pick<Logger, "warn">;
}

/** Dedup window of the view and intent streams: a retried publish within it is a no-op. */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** Dead letters are kept this long for an operator to look at. */
export const DLQ_MAX_AGE_MS = 14 * 24 * 3600_000;

type WantedConfig = Pick<StreamConfig, "name" | "subjects" | "retention" | "storage" | "num_replicas" | "discard"> & Partial<StreamConfig>;

/** The wanted configuration of each stream (pure; exported for tests and docs). */
export function streamConfigs(opts: EnsureStreamsOptions): WantedConfig[] {
  const l = { ...DEFAULT_STREAM_LIMITS, ...definedOnly(opts) };
  const common = { storage: StorageType.File, num_replicas: opts.replicas };
  const viewMaxMsgs = l.viewMaxRecords + l.partitions;
  return [
    {
      ...common,
      name: VIEW_STREAM,
      subjects: [`${VIEW_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Limits,
      // One message per key: the stream is a KV of the latest state of every Pod / Job.
      max_msgs_per_subject: 1,
      // Full: new keys are refused (and retried by the watcher), existing ones still update.
      discard: DiscardPolicy.New,
      max_msgs: viewMaxMsgs,
      max_bytes: viewMaxMsgs * VIEW_RECORD_BUDGET_BYTES,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    },
    {
      ...common,
      name: INTENT_STREAM,
      subjects: [`${INTENT_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Workqueue,
      // Full: publishes are refused and retried (IntentPublisher); a queued intent is never dropped.
      discard: DiscardPolicy.New,
      max_msgs: l.intentMaxMsgs,
      max_bytes: l.intentMaxBytes,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    },
    {
      ...common,
      name: DLQ_STREAM,
      subjects: [`${DLQ_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs: l.dlqMaxMsgs,
      max_bytes: l.dlqMaxBytes,
      max_age: nanos(DLQ_MAX_AGE_MS),
    },
  ];
}

function definedOnly(o: Partial<StreamLimits>): Partial<StreamLimits> {
  const out: Partial<StreamLimits> = {};
  for (const k of Object.keys(DEFAULT_STREAM_LIMITS) as (keyof StreamLimits)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * `wanted` with every limit (max_msgs, max_bytes) kept at least at what the stream holds now
 * (pure). nats-server applies a lowered limit by deleting the oldest messages, whatever the
 * discard policy: for the view or the intents that would lose counts. The limit goes down later,
 * at a start-up that finds the stream emptier. Returns the kept limits for a log line.
 */
export function neverBelowContent(wanted: WantedConfig, state: { messages: number; bytes: number }): { config: WantedConfig; kept: string[] } {
  if (wanted.discard === DiscardPolicy.Old) return { config: wanted, kept: [] };
  const config = { ...wanted };
  const kept: string[] = [];
  if (config.max_msgs !== undefined && config.max_msgs > 0 && state.messages > config.max_msgs) {
    kept.push(`max_msgs ${state.messages} (wanted ${config.max_msgs})`);
    config.max_msgs = state.messages;
  }
  if (config.max_bytes !== undefined && config.max_bytes > 0 && state.bytes > config.max_bytes) {
    kept.push(`max_bytes ${state.bytes} (wanted ${config.max_bytes})`);
    config.max_bytes = state.bytes;
  }
  return { config, kept };
}

/** Fields of `wanted` whose current value differs (arrays compared as JSON). */
export function configDrift(current: Partial<StreamConfig>, wanted: WantedConfig): string[] {
  const drift: string[] = [];
  for (const [k, v] of Object.entries(wanted)) {
    const cur = (current as Record<string, unknown>)[k];
    if (JSON.stringify(cur) !== JSON.stringify(v)) drift.push(k);
  }
  return drift;
}

const STREAM_NOT_FOUND = JS_CODES.streamNotFound;
/** "stream name already in use with a different configuration" (another process won the race). */
const STREAM_NAME_IN_USE = JS_CODES.streamNameInUse;
const apiCode = jsApiCode;

async function ensureOne(jsm: JetStreamManager, wantedAsked: WantedConfig, logger?: Pick<Logger, "warn">): Promise<void> {
  let current: StreamConfig | null = null;
  let wanted = wantedAsked;
  try {
    const info = await jsm.streams.info(wanted.name);
    current = info.config;
    const clamped = neverBelowContent(wanted, info.state);
    wanted = clamped.config;
    if (clamped.kept.length > 0) logger?.warn({ stream: wanted.name, kept: clamped.kept }, "stream holds more than its configured limit; keeping the limit at its content (a lowered limit would delete messages)");
  } catch (err) {
    if (apiCode(err) !== STREAM_NOT_FOUND) throw err;
  }
  if (current === null) {
    try {
      await jsm.streams.add(wanted);
      return;
    } catch (err) {
      // Someone else created it meanwhile (with the same config the add is a success on the
      // server; with another one it is 10058): fall through and reconcile with an update.
      if (apiCode(err) !== STREAM_NAME_IN_USE) throw err;
      current = (await jsm.streams.info(wanted.name)).config;
    }
  }
  if (configDrift(current, wanted).length === 0) return;
  const { name, ...rest } = wanted;
  await jsm.streams.update(name, rest);
}

async function ensureStreamsOnce(nc: NatsConnection, opts: EnsureStreamsOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const cfg of streamConfigs(opts)) await ensureOne(jsm, cfg, opts.logger);
}

/**
 * Errors that retrying cannot cure: the connection closed on purpose, or the server refusing this
 * user the subject (a permissions mistake to fix in the deployment).
 */
function isPermanent(err: unknown): boolean {
  return isConnectionClosed(err) || err instanceof PermissionViolationError || err instanceof AuthorizationError;
}

/**
 * Creates or reconciles the streams, retrying with backoff while JetStream cannot answer (a fresh
 * cluster electing its meta leader, a node down: timeouts, "jetstream is not enabled", no
 * responders, too few servers for the replicas) until `signal` aborts. Without a signal: one try.
 */
export async function ensureStreams(nc: NatsConnection, opts: EnsureStreamsOptions & { signal?: AbortSignal }): Promise<void> {
  const { signal } = opts;
  const versionWarning = replicatedStreamsWarning(nc.info?.version, opts.replicas);
  if (versionWarning) opts.logger?.warn({ natsServerVersion: nc.info?.version, replicas: opts.replicas }, versionWarning);
  if (!signal) return ensureStreamsOnce(nc, opts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ensureStreamsOnce(nc, opts);
    } catch (err) {
      if (signal.aborted || isPermanent(err)) throw err;
      opts.logger?.warn({ attempt, err: (err as Error).message }, "could not create or check the JetStream streams; retrying");
      await sleep(backoffDelayMs(attempt, { baseMs: 250, maxMs: 5_000 }), signal);
    }
  }
}
