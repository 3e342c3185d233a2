/**
 * Per-run seeds. Run 0 of a campaign uses the campaign seed itself and run i > 0 a seed derived
 * from (campaign seed, i), so `--seed <run seed> --runs 1` replays any run of any campaign alone:
 * its plan depends on nothing but its own seed.
 */
import { uniformFor } from "../../shared/random.js";

export const MAX_SEED = 0xffffffff;

export function runSeed(campaignSeed: number, runIndex: number): number {
  if (runIndex === 0) return campaignSeed >>> 0;
  // Hashed, then spread by mulberry32: neighbouring runs get unrelated seeds.
  return Math.floor(uniformFor(campaignSeed >>> 0, `jobtally-chaos/run/${runIndex}`) * 2 ** 32) >>> 0;
}

/** The command line that replays one run (with the campaign's sizing flags). */
export function replayCommand(seed: number, maxPods: number): string {
  return `npm run chaos -- --seed ${seed} --runs 1 --max-pods ${maxPods}`;
}
