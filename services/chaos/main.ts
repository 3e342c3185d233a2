/** `jobtally chaos`: the seeded chaos campaign (docs/chaos.md). Exit code 1 when a run found a violation. */
import { randomInt } from "node:crypto";
import { loadOptions, renderOptionsHelp } from "../../shared/config/options.js";
import { runCampaign } from "./campaign.js";
import { chaosOptionSchema } from "./options.js";

export async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`usage: jobtally chaos [--runs N] [--seed S] [--max-pods P]\n\n${renderOptionsHelp(chaosOptionSchema)}`);
    return;
  }
  const o = loadOptions(chaosOptionSchema, argv);
  const seed = o.seed >= 0 ? o.seed : randomInt(0, 2 ** 31);
  const totals = await runCampaign(o, seed, { out: (l) => console.log(l), err: (l) => console.error(l) });
  process.exitCode = totals.violations > 0 ? 1 : 0;
}
