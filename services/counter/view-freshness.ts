/**
 * Is a partition's view fresh? Pure. The watcher writes a sync marker per partition every
 * --sync-marker-interval while both its lists are published and its watches are open; a marker
 * older than `staleAfterMs` (by the watcher's clock against ours: keep the threshold well above
 * the clock skew between nodes) means nobody is watching for this partition now.
 */
export function isViewFresh(markerAtMs: number, nowMs: number, staleAfterMs: number): boolean {
  return markerAtMs > 0 && nowMs - markerAtMs < staleAfterMs;
}
