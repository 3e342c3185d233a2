/** The benchmark scenarios (issue: quick by default, `--full` adds the big ones). Pure data. */

export type ScenarioName = "single-job" | "single-job-indexed" | "many-jobs" | "tiny-jobs" | "unthrottled";

export interface Scenario {
  scenario: ScenarioName;
  /** A label unique within a run, e.g. "single-job 2000@50". */
  label: string;
  jobs: number;
  podsPerJob: number;
  parallelism: number;
  indexed: boolean;
  /** Total client budget of jobtally's writers, requests/s; 0 = unlimited. */
  qps: number;
  burst: number;
  full: boolean;
}

function s(scenario: ScenarioName, jobs: number, podsPerJob: number, parallelism: number, qps: number, full = false): Scenario {
  const indexed = scenario === "single-job-indexed";
  const label = `${scenario} ${jobs > 1 ? `${jobs}x` : ""}${podsPerJob}@${qps === 0 ? "unlimited" : qps}`;
  return { scenario, label, jobs, podsPerJob, parallelism, indexed, qps, burst: 2 * qps, full };
}

export const SCENARIOS: Scenario[] = [
  s("single-job", 1, 2000, 500, 50),
  s("single-job", 1, 2000, 500, 200),
  s("single-job", 1, 10_000, 2000, 200),
  s("single-job-indexed", 1, 10_000, 2000, 200),
  s("many-jobs", 100, 100, 100, 200),
  s("tiny-jobs", 200, 1, 1, 50),
  s("unthrottled", 1, 20_000, 2000, 0),
  s("single-job", 1, 100_000, 5000, 1000, true),
  s("single-job-indexed", 1, 100_000, 5000, 1000, true),
  s("many-jobs", 1000, 100, 100, 1000, true),
];

export function selectScenarios(opts: { full: boolean; only: string }): Scenario[] {
  const wanted = opts.only
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  return SCENARIOS.filter((sc) => (opts.full || !sc.full) && (wanted.length === 0 || wanted.includes(sc.scenario) || wanted.includes(sc.label)));
}

/**
 * How the total budget Q is shared between the two writers (they are separate processes, each
 * with its own limiter): one big Job needs about one status write per second, many small Jobs need
 * several each, so the counter's slice grows with the number of Jobs (5 % for one Job, 30 % for
 * many), and the pool gets the rest.
 */
export function splitBudget(qps: number, jobs: number): { counterQps: number; removerQps: number } {
  if (qps === 0) return { counterQps: 0, removerQps: 0 };
  const counterQps = Math.max(1, Math.round(qps * (jobs > 1 ? 0.3 : 0.05)));
  return { counterQps, removerQps: qps - counterQps };
}

/** The floor: every Pod costs a creation and a finalizer removal. */
export function floorSeconds(pods: number, qps: number): number {
  return qps === 0 ? 0 : (2 * pods) / qps;
}
