/**
 * How full the streams are, read periodically by every service: a gauge per stream and limit
 * (`jobtally_stream_usage_ratio`) and a warning, at most every WARN_EVERY_MS per stream, once a
 * stream holds more than `warnRatio` of a limit. At a limit the view and the intents refuse new
 * messages (their publishers wait and retry: counting slows, nothing is lost) and the DLQ drops
 * its oldest, so the warning is the operator's time to raise the limit (streams.ts).
 */
import { jetstreamManager, type JetStreamManager, type StreamConfig, type StreamState } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { DLQ_STREAM, INTENT_STREAM, VIEW_STREAM } from "../constants.js";
import type { Logger } from "../observability/logger.js";
import type { StreamMetrics } from "../observability/metrics.js";

export const MONITORED_STREAMS = [VIEW_STREAM, INTENT_STREAM, DLQ_STREAM] as const;
/** A stream past the ratio is warned about at most this often. */
export const WARN_EVERY_MS = 5 * 60_000;

/** What a full stream does, for the warning. */
const AT_LIMIT: Record<string, string> = {
  [VIEW_STREAM]: "new Pods and Jobs wait until finished Jobs free room (the watcher retries); raise --view-max-records",
  [INTENT_STREAM]: "new intents wait until the finalizer-removers drain the queue (publishers retry); raise --intent-max-msgs / --intent-max-bytes, or the removers' QPS",
  [DLQ_STREAM]: "the oldest dead letters are dropped; look at them and raise --dlq-max-msgs / --dlq-max-bytes",
};

export interface StreamUsage {
  stream: string;
  messages: number;
  bytes: number;
  /** messages / max_msgs (0 when unlimited). */
  msgsRatio: number;
  /** bytes / max_bytes (0 when unlimited). */
  bytesRatio: number;
}

/** Pure: the usage of one stream from its config and state. */
export function streamUsage(config: Pick<StreamConfig, "name" | "max_msgs" | "max_bytes">, state: Pick<StreamState, "messages" | "bytes">): StreamUsage {
  const ratio = (n: number, max: number | undefined): number => (max !== undefined && max > 0 ? n / max : 0);
  return { stream: config.name, messages: state.messages, bytes: state.bytes, msgsRatio: ratio(state.messages, config.max_msgs), bytesRatio: ratio(state.bytes, config.max_bytes) };
}

/** Pure rate limit of the near-limit warning: once per stream per `everyMs`, and again after it went back below. */
export class NearLimitWarnings {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly warnRatio: number,
    private readonly everyMs: number = WARN_EVERY_MS,
  ) {}

  /** "warn": log it now; "quiet": near the limit, warned lately; "recovered": back below after a warning; "ok". */
  decide(u: StreamUsage, nowMs: number): "warn" | "quiet" | "recovered" | "ok" {
    const near = Math.max(u.msgsRatio, u.bytesRatio) > this.warnRatio;
    const last = this.last.get(u.stream);
    if (!near) {
      if (last === undefined) return "ok";
      this.last.delete(u.stream);
      return "recovered";
    }
    if (last !== undefined && nowMs - last < this.everyMs) return "quiet";
    this.last.set(u.stream, nowMs);
    return "warn";
  }
}

export interface StreamUsageMonitorOptions {
  nc: NatsConnection;
  logger: Logger;
  metrics: StreamMetrics;
  warnRatio: number;
  intervalMs: number;
  /** @default WARN_EVERY_MS */
  warnEveryMs?: number;
  now?: () => number;
}

export interface StreamUsageMonitor {
  /** Reads every stream once (also what the timer does); a stream it cannot read is skipped. */
  check(): Promise<StreamUsage[]>;
  stop(): void;
}

export function startStreamUsageMonitor(opts: StreamUsageMonitorOptions): StreamUsageMonitor {
  const now = opts.now ?? Date.now;
  const warnings = new NearLimitWarnings(opts.warnRatio, opts.warnEveryMs);
  let jsm: JetStreamManager | undefined;
  let failures = 0;
  const check = async (): Promise<StreamUsage[]> => {
    const out: StreamUsage[] = [];
    try {
      jsm ??= await jetstreamManager(opts.nc);
      for (const name of MONITORED_STREAMS) {
        const info = await jsm.streams.info(name);
        const u = streamUsage(info.config, info.state);
        out.push(u);
        opts.metrics.usageRatio.set({ stream: name, limit: "msgs" }, u.msgsRatio);
        opts.metrics.usageRatio.set({ stream: name, limit: "bytes" }, u.bytesRatio);
        opts.metrics.messages.set({ stream: name }, u.messages);
        opts.metrics.bytes.set({ stream: name }, u.bytes);
        const d = warnings.decide(u, now());
        if (d === "warn" || d === "quiet") opts.metrics.nearLimit.inc({ stream: name });
        const fields = { stream: name, messages: u.messages, bytes: u.bytes, maxMsgs: info.config.max_msgs, maxBytes: info.config.max_bytes, msgsRatio: round(u.msgsRatio), bytesRatio: round(u.bytesRatio) };
        if (d === "warn") opts.logger.warn({ ...fields, atLimit: AT_LIMIT[name] }, `stream ${name} is past ${Math.round(opts.warnRatio * 100)} % of its limit`);
        else if (d === "recovered") opts.logger.info(fields, `stream ${name} is back below ${Math.round(opts.warnRatio * 100)} % of its limits`);
      }
      failures = 0;
    } catch (err) {
      // NATS away or a stream not created yet: the next check tries again; say so now and then.
      if (failures++ % 10 === 0) opts.logger.warn({ err: (err as Error).message }, "could not read stream usage; retrying at the next check");
    }
    return out;
  };
  const timer = setInterval(() => void check(), opts.intervalMs);
  timer.unref();
  void check();
  return { check, stop: () => clearInterval(timer) };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
