/**
 * `spec.successPolicy` (KEP-3998, GA in 1.33): an Indexed Job succeeds once some indexes did.
 * Mirrors in-tree `success_policy.go` (`matchSuccessPolicy`, `matchSucceededIndexesRule`); the
 * Job then gets SuccessCriteriaMet with reason SuccessPolicy, its remaining Pods are terminated
 * (not counted), and Complete follows with the same reason and message.
 */
import type { V1SuccessPolicy } from "@kubernetes/client-node";
import { OrderedIntervals } from "./completed-indexes.js";

/** In-tree `batch.JobReasonSuccessPolicy`. */
export const REASON_SUCCESS_POLICY = "SuccessPolicy";

/** In-tree `matchSuccessPolicy`: the message of the first rule the succeeded indexes meet ("Matched rules at index N"), or null. */
export function matchSuccessPolicy(successPolicy: V1SuccessPolicy | null | undefined, completions: number, succeededIndexes: OrderedIntervals): string | null {
  if (!successPolicy || succeededIndexes.intervals.length === 0) return null;
  const rules = successPolicy.rules ?? [];
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index];
    if (!rule) continue;
    if (rule.succeededIndexes !== undefined && rule.succeededIndexes !== null) {
      const required = OrderedIntervals.parse(rule.succeededIndexes, completions);
      // A rule whose indexes cannot be parsed never matches.
      if (required.intervals.length === 0) continue;
      if (matchSucceededIndexesRule(required, succeededIndexes, rule.succeededCount ?? null)) return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && rule.succeededCount !== null && succeededIndexes.total() >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return null;
}

/** In-tree `matchSucceededIndexesRule`: all the rule's indexes succeeded, or at least `succeededCount` of them. */
export function matchSucceededIndexesRule(ruleIndexes: OrderedIntervals, succeededIndexes: OrderedIntervals, succeededCount: number | null): boolean {
  const rule = ruleIndexes.intervals;
  const done = succeededIndexes.intervals;
  let contains = 0;
  let r = 0;
  let s = 0;
  while (r < rule.length && s < done.length) {
    const a = rule[r] as { first: number; last: number };
    const b = done[s] as { first: number; last: number };
    const overlap = Math.min(a.last, b.last) - Math.max(a.first, b.first) + 1;
    if (overlap > 0) contains += overlap;
    if (b.last < a.last) s++;
    else if (b.last > a.last) r++;
    else {
      s++;
      r++;
    }
  }
  return contains === ruleIndexes.total() || (succeededCount !== null && contains >= succeededCount);
}
