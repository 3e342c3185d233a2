/**
 * Times on the wire. The Job arrives from the view as JSON (ISO strings), the client-node types
 * say `Date`; logic reads both and writes RFC 3339 strings at second precision, as the API server
 * stores `metav1.Time`, so a value written by a plan compares equal to the value read back.
 */

/** ms epoch of a Date / ISO string, or null when absent or unparsable. */
export function toMs(value: Date | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** RFC 3339 at second precision ("2024-05-01T10:00:00Z"), the form metav1.Time serializes to. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * The same, typed as the client-node model field (`Date`). The value really is a string: the I/O
 * layer sends the status as JSON, where a Date would become the same string anyway.
 */
export function wireTime(ms: number): Date {
  return formatTime(ms) as unknown as Date;
}
