/** `jobtally counter`: the single writer of managed Jobs' status; counts every Pod exactly once. */
import { runService } from "../../shared/service-main.js";
import { createCounterMetrics } from "../../shared/observability/metrics.js";
import { counterOptionSchema } from "./options.js";
import { checkCounterTiming, startCounter } from "./counter.js";

export async function main(argv: string[]): Promise<void> {
  await runService(
    {
      name: "counter",
      summary: "single writer of managed Jobs' status: lists, counts and manages Pods of its partitions",
      schema: counterOptionSchema,
      validate: checkCounterTiming,
      start: (config, ctx) => startCounter(config, { ...ctx, metrics: createCounterMetrics(ctx.registry) }),
    },
    argv,
  );
}
