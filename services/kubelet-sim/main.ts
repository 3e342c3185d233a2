/** `jobtally kubelet-sim`: runs until SIGTERM/SIGINT, then stops its watch and in-flight calls cleanly. */
import { loadOptions, renderOptionsHelp } from "../../shared/config/options.js";
import { createLogger } from "../../shared/observability/logger.js";
import { startKubeletSimulator } from "./index.js";
import { kubeletSimSchema } from "./options.js";

export async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`usage: jobtally kubelet-sim [--flags]\n\n${renderOptionsHelp(kubeletSimSchema)}`);
    return;
  }
  const opts = loadOptions(kubeletSimSchema, argv);
  const logger = createLogger("kubelet-sim", opts.logLevel);
  const sim = await startKubeletSimulator(opts, { logger, defaultMetrics: true });
  logger.info({ httpPort: sim.httpPort, nodes: opts.nodes, podGcDelayMs: opts.podGcDelayMs }, "kubelet-sim started");
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, "kubelet-sim stopping");
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  await sim.close();
  logger.info("kubelet-sim stopped");
}
