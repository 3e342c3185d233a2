/**
 * The three JetStream streams, created or updated idempotently by every service at start-up, so
 * that nothing depends on an operator creating them first and several processes may race here.
 */
import { RetentionPolicy, StorageType, DiscardPolicy, jetstreamManager } from "@nats-io/jetstream";
import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { JS_CODES, jsApiCode } from "./errors.js";
import { DLQ_STREAM, DLQ_SUBJECT_PREFIX, INTENT_STREAM, INTENT_SUBJECT_PREFIX, VIEW_STREAM, VIEW_SUBJECT_PREFIX } from "../constants.js";

export interface EnsureStreamsOptions {
  /** Stream replicas (1 on a single server, 3 on a cluster). */
  replicas: number;
}

/** Dedup window of the view and intent streams: a retried publish within it is a no-op. */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** Dead letters are kept this long for an operator to look at. */
export const DLQ_MAX_AGE_MS = 14 * 24 * 3600_000;

type WantedConfig = Pick<StreamConfig, "name" | "subjects" | "retention" | "storage" | "num_replicas" | "discard"> & Partial<StreamConfig>;

/** The wanted configuration of each stream (pure; exported for tests and docs). */
export function streamConfigs(opts: EnsureStreamsOptions): WantedConfig[] {
  const common = { storage: StorageType.File, num_replicas: opts.replicas, discard: DiscardPolicy.Old };
  return [
    {
      ...common,
      name: VIEW_STREAM,
      subjects: [`${VIEW_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Limits,
      // One message per key: the stream is a KV of the latest state of every Pod / Job.
      max_msgs_per_subject: 1,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    },
    {
      ...common,
      name: INTENT_STREAM,
      subjects: [`${INTENT_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    },
    {
      ...common,
      name: DLQ_STREAM,
      subjects: [`${DLQ_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Limits,
      max_age: nanos(DLQ_MAX_AGE_MS),
    },
  ];
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

async function ensureOne(jsm: JetStreamManager, wanted: WantedConfig): Promise<void> {
  let current: StreamConfig | null = null;
  try {
    current = (await jsm.streams.info(wanted.name)).config;
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

export async function ensureStreams(nc: NatsConnection, opts: EnsureStreamsOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const cfg of streamConfigs(opts)) await ensureOne(jsm, cfg);
}
