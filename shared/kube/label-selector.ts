/**
 * Label selectors on the client side: `metav1.LabelSelector` (matchLabels, matchExpressions) as
 * `metav1.LabelSelectorAsSelector` evaluates it, and the string form of a list/watch
 * `labelSelector` (`a`, `!a`, `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, comma-separated).
 */
import type { V1LabelSelector } from "@kubernetes/client-node";

type Labels = Readonly<Record<string, string>> | undefined;

/**
 * `metav1.LabelSelectorAsSelector(selector).Matches(labels)`: a nil selector matches nothing, an
 * empty one everything; every matchLabels pair and every expression must hold.
 */
export function matchesLabelSelector(selector: V1LabelSelector | null | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(l[e.key] as string)) return false;
        break;
      case "NotIn":
        if (has && values.includes(l[e.key] as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A compiled `labelSelector` string; the empty string matches everything. */
export function parseLabelSelectorString(text: string): (labels: Labels) => boolean {
  const requirements: ((l: Readonly<Record<string, string>>) => boolean)[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    if (part === "") continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      const key = m[1] as string;
      const values = (m[3] as string).split(",").map((x) => x.trim());
      const notIn = m[2] === "notin";
      requirements.push((l) => (Object.prototype.hasOwnProperty.call(l, key) && values.includes(l[key] as string)) !== notIn);
    } else if ((m = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(part))) {
      const [key, value] = [m[1] as string, m[2] as string];
      requirements.push((l) => l[key] !== value);
    } else if ((m = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(part))) {
      const [key, value] = [m[1] as string, m[2] as string];
      requirements.push((l) => l[key] === value);
    } else if ((m = /^!\s*(\S+)$/.exec(part))) {
      const key = m[1] as string;
      requirements.push((l) => !Object.prototype.hasOwnProperty.call(l, key));
    } else {
      const key = part;
      requirements.push((l) => Object.prototype.hasOwnProperty.call(l, key));
    }
  }
  return (labels) => requirements.every((r) => r(labels ?? {}));
}

/**
 * Whether every object `selector` matches also matches the list/watch selector `watch` (so a watch
 * with `watch` sees every Pod the selector selects). Conservative: only positive requirements of
 * `watch` (`a`, `a=b`, `a in (...)`) can be shown to hold, from what every matching object must
 * carry (`matchLabels`, and `In` expressions with a single value, `Exists` expressions by key).
 */
export function labelSelectorWithinWatch(selector: V1LabelSelector | null | undefined, watch: string): boolean {
  const parts = splitTopLevel(watch).map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) return true;
  if (!selector) return false;
  if (parts.some((p) => p.startsWith("!") || /!=|\snotin\s/.test(p))) return false;
  const required: Record<string, string> = { ...(selector.matchLabels ?? {}) };
  const present = new Set(Object.keys(required));
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === "In" && (e.values ?? []).length === 1) {
      required[e.key] ??= (e.values ?? [])[0] as string;
      present.add(e.key);
    } else if (e.operator === "In" || e.operator === "Exists") present.add(e.key);
  }
  const check = parseLabelSelectorString(watch);
  // A key the selector only requires to exist: any value will do for an `a` requirement, none for `a=b`.
  for (const key of present) required[key] ??= "\u0000";
  return check(required);
}

/** Splits at commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}
