/**
 * Which watcher sessions' sync markers a counter may act on. After a NATS server that may have lost
 * acknowledged writes comes back, the view is trusted again only on a marker of a watcher session
 * that began after the loss: such a session re-read the view and relisted, publishing whatever the
 * view lost. Sessions are told apart by their id (SyncMarker.session), not by epoch: a server that
 * lost the last markers lets a new session reuse the epoch of a lost one, and a counter waiting for
 * a higher epoch waited forever (chaos seed 366205055, a single nats-server SIGKILLed).
 *
 * The sessions to distrust are those seen before the connection was lost (frozen at the
 * disconnect), not at the moment the loss is confirmed: by then a new session's first markers may
 * already have arrived, and excluding them would wait for yet another session.
 */
import type { SyncMarker } from "../../shared/view/records.js";

/** Sessions remembered at most (oldest forgotten first): a watcher starts a session per process and per NATS loss. */
const MAX_SESSIONS = 4096;

export class WatcherSessions {
  private readonly seen = new Set<string>();
  private seenBeforeLoss = new Set<string>();
  private distrusted = new Set<string>();

  /** A marker's session: its id, or for a watcher that writes none, its watcher id and epoch. */
  static keyOf(m: Pick<SyncMarker, "session" | "watcherId" | "epoch">): string {
    return m.session ?? `${m.watcherId}#${m.epoch}`;
  }

  /** Whether this marker may count; remembers its session. */
  accept(m: Pick<SyncMarker, "session" | "watcherId" | "epoch">): boolean {
    const key = WatcherSessions.keyOf(m);
    if (this.distrusted.has(key)) return false;
    if (!this.seen.has(key)) addCapped(this.seen, key);
    return true;
  }

  /** The connection to NATS dropped: the sessions seen so far are those that may predate a loss. */
  connectionLost(): void {
    for (const k of this.seen) addCapped(this.seenBeforeLoss, k);
  }

  /** The server came back and may have lost writes: markers of the sessions seen before no longer count. */
  writesMayHaveBeenLost(): number {
    for (const k of this.seenBeforeLoss) addCapped(this.distrusted, k);
    return this.seenBeforeLoss.size;
  }
}

/** Adds `key`, forgetting the oldest entry past MAX_SESSIONS. */
function addCapped(set: Set<string>, key: string): void {
  set.add(key);
  if (set.size > MAX_SESSIONS) set.delete(set.values().next().value as string);
}
