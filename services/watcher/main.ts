/** `jobtally watcher`: list+watch of managed Jobs and their Pods, published to JetStream. */
import { runService } from "../../shared/service-main.js";
import { createWatcherMetrics } from "../../shared/observability/metrics.js";
import { watcherOptionSchema } from "./options.js";
import { startWatcher } from "./watcher.js";

export async function main(argv: string[]): Promise<void> {
  await runService(
    {
      name: "watcher",
      summary: "list+watch of managed Jobs and their Pods, published to JetStream partitioned by Job UID",
      schema: watcherOptionSchema,
      start: (config, ctx) => startWatcher(config, { ...ctx, metrics: createWatcherMetrics(ctx.registry) }),
    },
    argv,
  );
}
