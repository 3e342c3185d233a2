/** `jobtally demo`. */
import { loadOptions, renderOptionsHelp } from "../../shared/config/options.js";
import { demoOptionSchema } from "./options.js";
import { runDemo } from "./demo.js";

export async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`jobtally demo: nats-server, the API and kubelet simulators and jobtally's services on one machine; submits Jobs and checks every count\n\nflags:\n${renderOptionsHelp(demoOptionSchema)}`);
    return;
  }
  const config = loadOptions(demoOptionSchema, argv);
  process.exitCode = await runDemo(config);
}
