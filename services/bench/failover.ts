/**
 * Failover figures of a run where one counter is SIGKILLed: pure functions of the samples the
 * runner took (the survivors' partition gauges, the Jobs' counts over time).
 */

/** The survivors' `jobtally_partitions_owned` and `jobtally_partitions_ready`, summed, at one time. */
export interface OwnershipSample {
  atMs: number;
  owned: number;
  ready: number;
}

export interface CountSample {
  atMs: number;
  counted: number;
}

export interface FailoverFigures {
  /** The counter killed, and the partitions it held at the kill. */
  victim: string;
  victimPartitions: number[];
  /** Jobs in those partitions: no one counts them until a survivor takes the partition over. */
  orphanJobs: number;
  /** Since the Jobs were submitted. */
  killAtSeconds: number;
  /** The counters' `--lease-duration`: the failover should take about that long. */
  leaseDurationSeconds: number;
  /** From the kill until the survivors own every partition again (sum of partitions_owned). */
  allOwnedAfterSeconds: number | null;
  /** ... and until every partition is replayed and ready again (sum of partitions_ready). */
  allReadyAfterSeconds: number | null;
  /** From the kill until a Job of the victim's partitions is counted further. */
  countingAgainAfterSeconds: number | null;
  /** Intents the removers refused because their lease epoch was superseded. */
  intentsFenced: number;
}

/** Seconds from the kill to the first sample at or after it where `field` adds up to every partition. */
export function firstCompleteAfter(samples: OwnershipSample[], killAtMs: number, partitions: number, field: "owned" | "ready"): number | null {
  for (const s of samples) if (s.atMs >= killAtMs && s[field] >= partitions) return (s.atMs - killAtMs) / 1000;
  return null;
}

/**
 * Seconds from the kill until any of the orphaned Jobs is counted further. Its count a settle time
 * after the kill is the baseline, so a status write the dead counter had already sent (a request on
 * the wire lands after the kill) is not taken for a survivor's work. Samples are per Job, in time
 * order, one per change.
 */
export function countingAgainAfter(orphanJobs: CountSample[][], killAtMs: number, settleMs: number): number | null {
  const settledAt = killAtMs + settleMs;
  let first: number | null = null;
  for (const samples of orphanJobs) {
    let baseline = 0;
    for (const s of samples) {
      if (s.atMs <= settledAt) {
        baseline = s.counted;
        continue;
      }
      if (s.counted > baseline) {
        first = first === null ? s.atMs : Math.min(first, s.atMs);
        break;
      }
    }
  }
  return first === null ? null : (first - killAtMs) / 1000;
}

/** Every partition owned, and the counters' shares differ by at most one (the fair split). */
export function isBalanced(ownedPerCounter: number[], partitions: number): boolean {
  if (ownedPerCounter.length === 0) return false;
  const sum = ownedPerCounter.reduce((a, b) => a + b, 0);
  return sum === partitions && Math.max(...ownedPerCounter) - Math.min(...ownedPerCounter) <= 1;
}
