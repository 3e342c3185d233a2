/** `benchSimulator` from the command line: prints the simulator's throughput figures. */
import { integerOption, loadOptions, renderOptionsHelp } from "../../shared/config/options.js";
import { benchSimulator } from "./bench.js";

const benchOptions = {
  pods: integerOption({ flag: "pods", env: "KUBE_SIM_BENCH_PODS", description: "Pods to create", default: 100_000, min: 1 }),
  modifications: integerOption({ flag: "modifications", env: "KUBE_SIM_BENCH_MODIFICATIONS", description: "modifications for the watch and patch figures", default: 20_000, min: 1 }),
  concurrency: integerOption({ flag: "concurrency", env: "KUBE_SIM_BENCH_CONCURRENCY", description: "concurrent requests", default: 64, min: 1 }),
};

export async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help")) {
    console.log(`usage: kube-sim bench [--flags]\n\n${renderOptionsHelp(benchOptions)}`);
    return;
  }
  const c = loadOptions(benchOptions, argv);
  await benchSimulator({ pods: c.pods, modifications: c.modifications, concurrency: c.concurrency });
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
