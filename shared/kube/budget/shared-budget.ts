/**
 * One API budget shared by every writer of a group (the counters and finalizer-removers of one
 * jobtally installation), like one client-go `--kube-api-qps` / `--kube-api-burst` for a whole
 * controller. Each member reports its demand on a plain NATS subject every `reportIntervalMs`;
 * every member computes the same max-min fair split from the reports it has (allocate.ts) and sets
 * its own token bucket to its share of Q and of the burst. A member that stops reporting is
 * forgotten after `expireAfterReports` intervals and its share goes to the others.
 *
 * Bounds: the shares add up to Q whenever the members have seen the same reports; after a shift
 * in demand the members' views differ for at most one interval. Until its first round of reports
 * a member uses only `minQps`. Without NATS a member keeps its last share.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { allocateShares, type MemberDemand } from "./allocate.js";
import type { ApiBudget } from "../rate-limit.js";
import type { Logger } from "../../observability/logger.js";

export const BUDGET_SUBJECT_PREFIX = "jobtally.budget";

export interface SharedBudgetOptions {
  /** Budget group; every member of a group shares one Q. */
  group: string;
  /** This member's name, unique in the group (service, host, pid). */
  member: string;
  totalQps: number;
  totalBurst: number;
  reportIntervalMs?: number;
  expireAfterReports?: number;
  /** Floor of any member's share, requests/s. @default max(1, 1 % of Q) */
  minQps?: number;
}

export interface SharedBudgetHandle {
  /** Resolves once the member has heard the group and taken its first share. */
  joined: Promise<void>;
  /** This member's current share, requests/s. */
  share(): number;
  /** Members seen in the last few reports, this one included. */
  members(): number;
  stop(): Promise<void>;
}

interface Report {
  member: string;
  demandQps: number;
}

export function parseBudgetReport(data: unknown): Report | null {
  if (typeof data !== "object" || data === null) return null;
  const { member, demandQps } = data as Record<string, unknown>;
  if (typeof member !== "string" || member.length === 0 || typeof demandQps !== "number" || !Number.isFinite(demandQps) || demandQps < 0) return null;
  return { member, demandQps };
}

export function joinSharedBudget(nc: NatsConnection, budget: ApiBudget, opts: SharedBudgetOptions, logger: Logger, onShare?: (qps: number) => void): SharedBudgetHandle {
  const interval = opts.reportIntervalMs ?? 500;
  const expireMs = interval * (opts.expireAfterReports ?? 4);
  const minQps = opts.minQps ?? Math.max(1, opts.totalQps / 100);
  const subject = `${BUDGET_SUBJECT_PREFIX}.${opts.group}`;
  const seen = new Map<string, { demandQps: number; at: number }>();
  let share = minQps;
  let first = true;
  let markJoined!: () => void;
  const joined = new Promise<void>((r) => (markJoined = r));
  let lastTaken = budget.bucket.taken;
  let lastAt = performance.now();
  let myDemand = 0;
  /** When this member last heard its own report back: the proof that it hears the group. */
  let ownEchoAt = -Infinity;

  budget.bucket.setRate(minQps, Math.max(1, (opts.totalBurst * minQps) / opts.totalQps));
  onShare?.(share);

  const sub: Subscription = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      let report: Report | null = null;
      try {
        report = parseBudgetReport(msg.json());
      } catch {
        report = null;
      }
      if (!report) {
        logger.warn({ subject }, "ignoring a malformed budget report");
        return;
      }
      if (report.member === opts.member) ownEchoAt = performance.now();
      else seen.set(report.member, { demandQps: report.demandQps, at: performance.now() });
    },
  });

  function tick(): void {
    const now = performance.now();
    const taken = budget.bucket.taken;
    const rate = ((taken - lastTaken) * 1000) / Math.max(1, now - lastAt);
    lastTaken = taken;
    lastAt = now;
    // What it used, plus enough to clear what waits within one second.
    myDemand = Math.min(opts.totalQps, rate + budget.backlog);
    try {
      nc.publish(subject, JSON.stringify({ member: opts.member, demandQps: myDemand }));
    } catch (err) {
      logger.debug({ err: (err as Error).message }, "budget report not sent");
    }
    // Not hearing itself means not hearing the others either (NATS away): keep the last share
    // rather than take over the shares of members it can no longer see.
    if (now - ownEchoAt > expireMs || (first && now - startedAt < interval)) return;
    const members: MemberDemand[] = [{ member: opts.member, demandQps: myDemand }];
    for (const [member, r] of seen) {
      if (now - r.at > expireMs) seen.delete(member);
      else members.push({ member, demandQps: r.demandQps });
    }
    const next = allocateShares(members, { totalQps: opts.totalQps, minQps, headroom: 1.5 }).get(opts.member) ?? minQps;
    const burst = Math.max(1, (opts.totalBurst * next) / opts.totalQps);
    if (first || Math.abs(next - share) / share > 0.02) {
      budget.bucket.setRate(next, burst, first);
      if (first) logger.info({ group: opts.group, members: members.length, qps: Math.round(next * 10) / 10 }, "joined the shared API budget");
      share = next;
      onShare?.(share);
      if (first) markJoined();
      first = false;
    }
  }

  const startedAt = performance.now();
  // Report at once, so the others hear this member within one round trip; then every interval.
  const timer = setInterval(tick, interval);
  timer.unref();
  queueMicrotask(tick);
  return {
    joined,
    share: () => share,
    members: () => seen.size + 1,
    async stop() {
      clearInterval(timer);
      markJoined();
      sub.unsubscribe();
    },
  };
}
