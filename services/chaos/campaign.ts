/**
 * A campaign: `runs` runs, run i with the seed derived from (campaign seed, i), one after the
 * other. Prints a line per run, the plan and schedule of every run with a violation, the faults by
 * kind, and last, exactly, `runs: R, faults: F, pods: P, violations: V`.
 */
import type { ChaosOptions } from "./options.js";
import { drawRunPlan, type NatsTopology } from "./plan.js";
import { addRun, faultsByKindLine, newTotals, runLine, summaryLine, violationBlock, type CampaignTotals } from "./report.js";
import { runOnce } from "./run.js";
import { replayCommand, runSeed } from "./seeds.js";

export interface CampaignIo {
  out(line: string): void;
  err(line: string): void;
}

export async function runCampaign(o: ChaosOptions, campaignSeed: number, io: CampaignIo): Promise<CampaignTotals> {
  let totals = newTotals();
  io.out(`chaos campaign: ${o.runs} runs, seed ${campaignSeed}, max ${o.maxPods} Pods per Job, ~${o.faultsPerRun} faults per run${o.parallel > 1 ? `, ${o.parallel} at a time` : ""}`);
  let next = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop && next < o.runs) {
      const i = next++;
      const seed = runSeed(campaignSeed, i);
      const plan = drawRunPlan(seed, i, { maxPods: o.maxPods, nats: o.nats as NatsTopology | "auto", faultsPerRun: o.faultsPerRun });
      const r = await runOnce(plan, { keepLogs: o.keepLogs, onProgress: (l) => io.err(o.parallel > 1 ? `[run ${i + 1}] ${l.trim()}` : l) });
      totals = addRun(totals, r);
      io.out(runLine(r, o.runs));
      if (r.violations.length > 0) {
        io.out(violationBlock(r));
        if (o.failFast) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel, o.runs) }, worker));
  io.out(faultsByKindLine(totals));
  if (totals.failedSeeds.length > 0) {
    io.out(`runs with violations (replay each alone): ${totals.failedSeeds.map((s) => replayCommand(s, o.maxPods)).join(" ; ")}`);
  }
  io.out(summaryLine(totals));
  return totals;
}
