/** `jobtally finalizer-remover`: throttled worker pool for finalizer removals, Pod creations and deletions. */
import { runService } from "../../shared/service-main.js";
import { finalizerRemoverOptionSchema } from "./options.js";
import { runFinalizerRemover } from "./run.js";

export async function main(argv: string[]): Promise<void> {
  await runService(
    {
      name: "finalizer-remover",
      summary: "throttled worker pool on the intent work queue: finalizer removals, Pod creations and deletions",
      schema: finalizerRemoverOptionSchema,
      start: (config, ctx) => {
        let markReady!: () => void;
        const ready = new Promise<void>((r) => (markReady = r));
        const done = runFinalizerRemover(config, { ...ctx, onReady: markReady });
        return { ready, done };
      },
    },
    argv,
  );
}
