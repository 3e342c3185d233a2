/** SimulatorOptions: one interface, defaults merged once, invalid values rejected with a message. */
import type { Logger } from "../../shared/observability/logger.js";
import { DEFAULT_FAULTS, mergeFaultSettings, type FaultSettings } from "./faults.js";

export interface SimulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port: number;
  /** @default "127.0.0.1" */
  host: string;
  /** Change events kept for watch resume and exact lists. @default 100000 */
  historyWindow: number;
  /** Interval of BOOKMARK events on watches that allow them. @default 5000 */
  bookmarkIntervalMs: number;
  /** How long a request for a future resourceVersion waits before 504 (kube-apiserver: 3 s). @default 3000 */
  resourceVersionWaitMs: number;
  /** Delay before the garbage collector acts on a change. @default 0 */
  gcDelayMs: number;
  /** Seed of every random choice (faults, generated names). @default 1 */
  seed: number;
  /** Initial fault settings (changeable at run time). */
  faults: FaultSettings;
  /** Logger for the simulator's own messages. @default silent */
  logger: Logger | undefined;
}

export class SimulatorOptionsError extends Error {
  override readonly name = "SimulatorOptionsError";
}

export const DEFAULT_SIMULATOR_OPTIONS: SimulatorOptions = {
  port: 0,
  host: "127.0.0.1",
  historyWindow: 100_000,
  bookmarkIntervalMs: 5000,
  resourceVersionWaitMs: 3000,
  gcDelayMs: 0,
  seed: 1,
  faults: DEFAULT_FAULTS,
  logger: undefined,
};

export function resolveSimulatorOptions(partial: Partial<SimulatorOptions>): SimulatorOptions {
  const o: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...partial };
  const int = (k: keyof SimulatorOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = o[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new SimulatorOptionsError(`${k} must be an integer in [${min}, ${max}], got ${String(v)}`);
  };
  int("port", 0, 65535);
  int("historyWindow", 1);
  int("bookmarkIntervalMs", 1);
  int("resourceVersionWaitMs", 0);
  int("gcDelayMs", 0);
  int("seed", 0);
  try {
    o.faults = mergeFaultSettings(DEFAULT_FAULTS, partial.faults ?? {});
  } catch (err) {
    throw new SimulatorOptionsError(`faults: ${(err as Error).message}`);
  }
  return o;
}
