/**
 * Which log rows a listener still has to print after a gap, and which live events it must not
 * print twice.
 *
 * A live event carries no id (src/kitsu/README.md, Event stream), and its log row has `created_at`
 * truncated to the second by the server's clock, so the two can only be paired by name, data
 * and time. The rules, with S = the row's second and T = when the live event was received:
 *
 * - A row and a live event are the same event when name and data are equal and
 *   T ∈ [S − tolerance, S + 1 s + tolerance]: the second of truncation plus clock skew and
 *   delivery lag either way.
 * - Pairing counts: each live event pairs with at most one row and each row with at most one
 *   live event, oldest with oldest, so two identical `task:update` in the same second, one seen
 *   live and one missed, give exactly one backfilled row.
 * - A row whose id was printed or paired before is skipped (successive reads overlap).
 * - Zou publishes an event before it writes its row, but through another process, so a row can
 *   be read before its live event reaches us. A printed row that paired with nothing therefore
 *   stays able to absorb its live twin for a short grace period after it was read, provided
 *   the row is recent enough to have been published while we were connected.
 *
 * This is the fast path, right for events that are unique around a gap. Identical events
 * (same name, same data) near each other are told apart by count only, which needs every row
 * and live event of a stretch cut cleanly at both ends: src/core/reconcile.ts counts them, and
 * the follow engine leaves such rows to it.
 */
import { canonicalJson } from './canonical-json.js';
import { keyOf, LiveWindow, type LiveEvent } from './live-window.js';
import type { EventRecord } from './record.js';

export { canonicalJson };

export interface LedgerOptions {
  /** Clock skew and delivery lag allowed either way when pairing. Default 3 s. */
  toleranceMs?: number;
  /** How long after it was read a printed row may still absorb its live twin. Default 3 s. */
  absorbGraceMs?: number;
  /** At most this many live events are remembered; the oldest are forgotten first. */
  maxLiveEntries?: number;
  /**
   * The live events, when shared with the reconciler (src/core/live-window.ts); the caller then
   * adds each to it and asks `absorbs` first. Default: the ledger's own, fed by `noteLive`.
   */
  window?: LiveWindow;
}

/**
 * A live event the ledger remembers. `paired` turns true when a log row turns out to be it;
 * `held` is cleared once a held event is printed.
 */
export type LiveMark = LiveEvent;

interface RowMark {
  key: string;
  secondMs: number;
  /** The row may absorb a live twin until then (ms, our clock). */
  absorbUntilMs: number;
  paired: boolean;
}

export type RowVerdict =
  /** Not seen before and no printed live event was it: print it. */
  | 'print'
  /** Printed (or paired) before, by id. */
  | 'seen'
  /** A live event already printed (or buffered) was this row. */
  | 'paired';

export const DEFAULT_TOLERANCE_MS = 3_000;
export const DEFAULT_ABSORB_GRACE_MS = 3_000;
const SECOND_MS = 1_000;

/** What identifies an event when there is no id: its name and its data (src/core/live-window.ts). */
export function eventKey(record: Pick<EventRecord, 'name' | 'data'>): string {
  return keyOf(record.name, record.data);
}

/** The row's second, in ms since the epoch (log rows are whole seconds, UTC). */
function secondOf(record: EventRecord): number {
  const ms = Date.parse(record.created_at);
  return Math.floor(ms / SECOND_MS) * SECOND_MS;
}

/**
 * Remembers what was printed around gaps in the stream and decides, row by row, what a
 * backfill (or the `--since` seam) still has to print. Pure: times are passed in.
 */
export class BackfillLedger {
  private readonly toleranceMs: number;
  private readonly absorbGraceMs: number;
  private readonly live: LiveWindow;
  /** Live events received before this are no longer the ledger's (the window may keep them for others). */
  private liveFromMs = Number.NEGATIVE_INFINITY;
  /** Printed rows that paired with no live event, by key, oldest first. */
  private readonly rowsByKey = new Map<string, RowMark[]>();
  /** No row may absorb a live twin received after this. */
  private absorbOpenUntilMs = Number.NEGATIVE_INFINITY;
  /** Ids printed or paired, with their second, for skipping overlapping reads. */
  private readonly seenIds = new Map<string, number>();

  constructor(options: LedgerOptions = {}) {
    this.toleranceMs = options.toleranceMs ?? DEFAULT_TOLERANCE_MS;
    this.absorbGraceMs = options.absorbGraceMs ?? DEFAULT_ABSORB_GRACE_MS;
    this.live = options.window ?? new LiveWindow(options.maxLiveEntries ?? 200_000);
    this.live.share(this);
  }

  /** How far before a gap a read must start so that its rows can pair with what was seen. */
  get toleranceWindowMs(): number {
    return this.toleranceMs + SECOND_MS;
  }

  /**
   * A live event passed the filters. Returns null when it is the twin of a row printed a
   * moment ago (do not print it), else a mark to keep with the record: a later row that pairs
   * with it sets `paired`, which tells a caller that buffered the record to drop it.
   */
  noteLive(record: EventRecord, receivedAtMs: number, options: { held?: boolean } = {}): LiveMark | null {
    if (this.absorbs(record, receivedAtMs)) return null;
    return this.live.add(record, receivedAtMs, { held: options.held ?? false });
  }

  /**
   * Whether a live event is the twin of a row printed a moment ago (then that row takes it:
   * do not print it). Cheap when no row was printed in the last few seconds, which is nearly
   * always: the event is not even keyed then.
   */
  absorbs(record: Pick<EventRecord, 'name' | 'data'>, receivedAtMs: number): boolean {
    if (receivedAtMs > this.absorbOpenUntilMs) return false;
    const rows = this.rowsByKey.get(keyOf(record.name, record.data));
    const twin = rows?.find(
      (row) => !row.paired && receivedAtMs <= row.absorbUntilMs && this.pairs(row.secondMs, receivedAtMs),
    );
    if (!twin) return false;
    twin.paired = true;
    return true;
  }

  /**
   * A row read from the log (it has an id) that passed the filters.
   * `readAtMs`: now. `liveSinceMs`: when the current connection came up (undefined while
   * the stream is down): only rows recent enough to have been published to it may absorb a
   * live twin that is still on its way.
   */
  noteRow(record: EventRecord, readAtMs: number, liveSinceMs?: number, key = eventKey(record)): RowVerdict {
    const id = record.id;
    if (id !== null && this.seenIds.has(id)) return 'seen';
    const secondMs = secondOf(record);
    if (id !== null) this.seenIds.set(id, secondMs);
    const live = this.live
      .byKey(key)
      .find((mark) => !mark.paired && mark.atMs >= this.liveFromMs && this.pairs(secondMs, mark.atMs));
    if (live) {
      live.paired = true;
      return live.held ? 'print' : 'paired';
    }
    const mayAbsorb = liveSinceMs !== undefined && secondMs + SECOND_MS + this.toleranceMs >= liveSinceMs;
    if (mayAbsorb) {
      let list = this.rowsByKey.get(key);
      if (!list) {
        list = [];
        this.rowsByKey.set(key, list);
      }
      const absorbUntilMs = readAtMs + this.absorbGraceMs;
      list.push({ key, secondMs, absorbUntilMs, paired: false });
      this.absorbOpenUntilMs = Math.max(this.absorbOpenUntilMs, absorbUntilMs);
    }
    return 'print';
  }

  /** Remember ids printed elsewhere (the history `logs --follow` printed before following). */
  markSeen(ids: Iterable<string>, secondMs: number): void {
    for (const id of ids) this.seenIds.set(id, secondMs);
  }

  /**
   * Forget live events received before `beforeMs` and rows of seconds before it. Call it with
   * the earliest time any future read may start from, minus `toleranceWindowMs`.
   */
  prune(beforeMs: number): void {
    this.liveFromMs = Math.max(this.liveFromMs, beforeMs);
    this.live.release(this, beforeMs);
    for (const [key, rows] of this.rowsByKey) {
      const kept = rows.filter((row) => row.secondMs >= beforeMs - SECOND_MS);
      if (kept.length === 0) this.rowsByKey.delete(key);
      else if (kept.length !== rows.length) this.rowsByKey.set(key, kept);
    }
    for (const [id, secondMs] of this.seenIds) {
      if (secondMs < beforeMs - SECOND_MS) this.seenIds.delete(id);
    }
  }

  /** Live events, rows and ids held: for tests and --verbose. */
  get size(): { live: number; rows: number; ids: number } {
    let rows = 0;
    for (const list of this.rowsByKey.values()) rows += list.length;
    return { live: this.live.length, rows, ids: this.seenIds.size };
  }

  private pairs(rowSecondMs: number, receivedAtMs: number): boolean {
    return receivedAtMs >= rowSecondMs - this.toleranceMs && receivedAtMs <= rowSecondMs + SECOND_MS + this.toleranceMs;
  }
}
