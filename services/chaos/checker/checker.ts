/**
 * The invariant checker of one run (pure: it is fed API observations and returns violations; the
 * observer does the I/O). While the run goes on it checks every Job state as it is seen (counters
 * never decrease, no UID in both uncounted lists, no status over 20 kB, the ledger moves UIDs into
 * the counters one for one, no write to a Job another controller manages, no Pod name created
 * twice); at the end `finalChecks` compares the counts with the ground truth.
 */
import { observeJob, observeJobGone, type JobHistory } from "./job-history.js";
import { observePod, observePodGone, type PodHistory } from "./pod-history.js";
import { jobState, podState, type PodState } from "./objects.js";

export class Checker {
  readonly jobs = new Map<string, JobHistory>();
  readonly pods = new Map<string, PodHistory>();
  private readonly podNames = new Map<string, string>();
  readonly violations: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly managedBy: string) {}

  private report(v: string): void {
    // The same violation seen again (a relist re-reading a state) is reported once.
    if (this.seen.has(v)) return;
    this.seen.add(v);
    this.violations.push(v);
  }

  onJob(raw: unknown, atMs: number, contiguous: boolean): void {
    const s = jobState(raw);
    if (!s.uid) return;
    const r = observeJob(this.jobs.get(s.uid), s, atMs, contiguous, this.managedBy);
    this.jobs.set(s.uid, r.history);
    for (const v of r.violations) this.report(v);
  }

  onJobDeleted(raw: unknown, atMs: number, contiguous: boolean): void {
    this.onJob(raw, atMs, contiguous);
    const uid = jobState(raw).uid;
    const h = this.jobs.get(uid);
    if (h) this.jobs.set(uid, observeJobGone(h, atMs));
  }

  /** A complete list after a gap: states read now, and what vanished meanwhile. */
  onJobsListed(raws: readonly unknown[], atMs: number): void {
    const present = new Set<string>();
    for (const raw of raws) {
      this.onJob(raw, atMs, false);
      present.add(jobState(raw).uid);
    }
    for (const [uid, h] of this.jobs) if (!present.has(uid) && !h.gone) this.jobs.set(uid, observeJobGone({ ...h, gapped: true }, atMs));
  }

  onPod(raw: unknown, atMs: number, contiguous: boolean): void {
    this.observePodState(podState(raw), atMs, contiguous);
  }

  private observePodState(s: PodState, atMs: number, contiguous: boolean): void {
    if (!s.uid) return;
    const owner = this.podNames.get(s.name);
    if (owner === undefined) this.podNames.set(s.name, s.uid);
    else if (owner !== s.uid) this.report(`Pod ${s.name} created twice (UIDs ${owner} and ${s.uid})`);
    this.pods.set(s.uid, observePod(this.pods.get(s.uid), s, atMs, contiguous));
  }

  onPodDeleted(raw: unknown, atMs: number, contiguous: boolean): void {
    const s = podState(raw);
    this.observePodState(s, atMs, contiguous);
    const h = this.pods.get(s.uid);
    if (h) this.pods.set(s.uid, observePodGone(h, atMs, contiguous));
  }

  onPodsListed(raws: readonly unknown[], atMs: number): void {
    const present = new Set<string>();
    for (const raw of raws) {
      const s = podState(raw);
      present.add(s.uid);
      this.observePodState(s, atMs, false);
    }
    for (const [uid, h] of this.pods) if (!present.has(uid) && !h.gone) this.pods.set(uid, observePodGone(h, atMs, false));
  }

  jobByName(name: string): JobHistory | undefined {
    for (const h of this.jobs.values()) if (h.name === name && !h.gone) return h;
    for (const h of this.jobs.values()) if (h.name === name) return h;
    return undefined;
  }
}
