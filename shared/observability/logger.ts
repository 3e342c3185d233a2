/**
 * pino JSON logs. Stable keys: `service`, and on anything about a Job or Pod, `job`
 * (namespace/name), `pod` (namespace/name), `partition`.
 */
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { service, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
