/**
 * The exact count behind the backfill: after a gap in the live stream, how many events of each
 * key (name + data) the log holds that were neither printed live nor printed from the log.
 *
 * The fast path (src/core/backfill.ts) pairs each log row with a live event by key and a time
 * window, and prints at once what it cannot pair. That is right for events that are unique
 * around a gap, but a steady run of identical events (two quick edits of one task are two
 * `task:update` with the same data) is ambiguous within the window, and about one event per
 * reconnect was lost. Counting needs no pairing of identical events, only two *cuts*: points
 * that split the log and the live stream alike, so that every event before the cut in one is
 * before it in the other. Between two consecutive cuts around a gap, for each key:
 *
 *     owed = rows in the segment − live events printed in it − rows printed in it
 *
 * and the rows owed are printed now (source "backfill"). Nothing here depends on the clocks:
 * the server's second and our time of receipt are only compared within the tolerance.
 *
 * Where cuts come from:
 * - An *anchor*: a live event whose key has exactly one row among every row it could be
 *   (the seconds within the tolerance of its receipt, all read). That row is it, and a
 *   connection delivers events in order, so every event published before it was received
 *   before it or missed, and every later one after it. (Zou publishes and stores each event
 *   in the same request, so the log's order is the publish order.)
 * - A *quiet* stretch: seconds of the log holding no row, 2 × (tolerance + 1 s) long. No live
 *   event can pair across it, so the time of its middle splits both.
 * - The floor: where the run started printing (the `--since` second, the start second whose
 *   rows are noted as printed, or the end of what `logs` printed before following).
 *
 * A segment is decided only when every row of it was read in one contiguous stretch of reads
 * made late enough that those rows were all written, and so each segment once decided stays
 * right. A steady run of one key with no other event and no pause leaves no cut after the gap;
 * the fast path's result then stands (said in --verbose), and a cut that comes later still
 * corrects it within the retention.
 */
import { eventKey } from './backfill.js';
import { LiveWindow, type LiveEvent } from './live-window.js';
import type { EventRecord } from './record.js';

export interface ReconcilerOptions {
  /** How far receipt and the row's second may differ beyond the second itself, either way. */
  toleranceMs?: number;
  /** How long after its second a row may still become visible to a read. */
  commitMarginMs?: number;
  /** A gap no cut has closed after this long is given up (the fast path's result stands). */
  giveUpMs?: number;
  /**
   * The live events, when shared with the ledger (src/core/live-window.ts); the caller then adds
   * each to it and passes it to `noteLiveEvent`. Default: the reconciler's own, fed by `noteLive`.
   */
  window?: LiveWindow;
}

/** A live event as the reconciler counts it: `printed` is what it reads. */
export type LiveEntry = LiveEvent;

interface RowEntry {
  readonly id: string;
  readonly key: string;
  readonly secondMs: number;
  /** Position in the log's order (oldest first); fractional when a late row is slotted in. */
  readonly ord: number;
  printed: boolean;
  /** What to print should the count find it owed; let go once it is printed (rows are kept for minutes). */
  record: EventRecord | null;
}

/** Rows at or before (secondMs, ord) and live events at or before `seq` are before the cut. */
interface Cut {
  readonly secondMs: number;
  readonly ord: number;
  readonly seq: number;
  readonly atMs: number;
}

interface Gap {
  readonly fromMs: number;
  toMs: number | null;
  /** The first live event after the gap has a seq greater than this. */
  readonly seqAtStart: number;
  /**
   * Every live event the gap may have missed or misplaced has a seq up to this: the last one
   * received before the stream came back (null while it is down), or the event taken for a
   * row's twin. A cut decides the gap only if it is past it in seq, not only in time: at
   * hundreds of events a second many arrive in the same millisecond, and a twin taken in the
   * millisecond of a cut, after it, was dropped uncounted (the soak's losses at a reconnect).
   */
  seqAtEnd: number | null;
}

/** Server seconds [fromMs, toMs) whose rows were all read. */
interface Stretch {
  fromMs: number;
  toMs: number;
}

export const DEFAULT_COMMIT_MARGIN_MS = 1_000;
export const DEFAULT_GIVE_UP_MS = 120_000;
const SECOND_MS = 1_000;
/** How far before a gap a cut is looked for when none is known. */
const SEARCH_BACK_MS = 30_000;

const floorSecond = (ms: number) => Math.floor(ms / SECOND_MS) * SECOND_MS;

/** Whether a segment ending at `end` holds all of a closed gap. */
function spannedBy(gap: Gap, end: Cut): boolean {
  return gap.toMs !== null && gap.seqAtEnd !== null && gap.toMs <= end.atMs && gap.seqAtEnd <= end.seq;
}

/** Index of the first item whose value is ≥ `value` in a list sorted by it. */
function lowerBound<T>(sorted: readonly T[], value: number, of: (item: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (of(sorted[mid]!) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Reconciler {
  private readonly toleranceMs: number;
  private readonly commitMarginMs: number;
  private readonly giveUpMs: number;

  /** Every live event kept, in arrival order (indexed by key when asked). */
  private readonly live: LiveWindow;
  /** Rows kept, in the log's order. */
  private rows: RowEntry[] = [];
  private readonly rowsById = new Map<string, RowEntry>();
  private readonly rowsByKey = new Map<string, RowEntry[]>();
  private readonly stretches: Stretch[] = [];
  private readonly gaps: Gap[] = [];
  /** The newest cut known to be good that no pruning has passed: a segment may start there. */
  private lastCut: Cut | null = null;
  private openGap: Gap | null = null;
  /** Live events before this were forgotten. */
  private liveKeptFromMs = Number.NEGATIVE_INFINITY;
  private given = 0;

  constructor(options: ReconcilerOptions = {}) {
    this.toleranceMs = options.toleranceMs ?? 3_000;
    this.commitMarginMs = options.commitMarginMs ?? DEFAULT_COMMIT_MARGIN_MS;
    this.giveUpMs = options.giveUpMs ?? DEFAULT_GIVE_UP_MS;
    this.live = options.window ?? new LiveWindow(Number.POSITIVE_INFINITY);
    this.live.share(this);
  }

  // ---- what happened -----------------------------------------------------------------------

  /**
   * Printing starts at `secondMs` (a whole second): nothing before it is owed, and no live
   * event came before. Rows of that second printed before are noted with `rowPrinted`.
   */
  floor(secondMs: number, atMs: number): void {
    this.lastCut = { secondMs: floorSecond(secondMs), ord: Number.NEGATIVE_INFINITY, seq: 0, atMs };
  }

  /** The stream went down (or never came up) at `fromMs`: events from then on may be missed. */
  down(fromMs: number): void {
    if (this.openGap) return;
    this.openGap = { fromMs, toMs: null, seqAtStart: this.live.lastSeq, seqAtEnd: null };
    this.gaps.push(this.openGap);
  }

  /** The stream is up again at `atMs`. */
  up(atMs: number): void {
    if (!this.openGap) return;
    this.openGap.toMs = atMs;
    this.openGap.seqAtEnd = this.live.lastSeq;
    this.openGap = null;
  }

  /**
   * A live event that passed the filters, received at `atMs`, and whether it was printed. One
   * `held` back (the `--since` seam) is marked printed when it is.
   */
  noteLive(record: EventRecord, atMs: number, printed: boolean, options: { held?: boolean } = {}): LiveEntry {
    const entry = this.live.add(record, atMs, { printed, held: options.held ?? false });
    this.noteLiveEvent(entry);
    return entry;
  }

  /** A live event the caller added to the shared window itself. */
  noteLiveEvent(entry: LiveEvent): void {
    // Taken for the twin of a row printed a moment ago: if it was a new event, its row is owed,
    // so the stretch around it is counted like a gap.
    if (!entry.printed && !entry.held && !this.openGap)
      this.gaps.push({ fromMs: entry.atMs, toMs: entry.atMs, seqAtStart: entry.seq - 1, seqAtEnd: entry.seq });
  }

  /**
   * A row that passed the filters, from a read that began at `readAtMs` covering the seconds
   * from `readFromMs`. Rows come oldest first; a row read before is skipped.
   */
  noteRow(record: EventRecord, printed = false, key = eventKey(record)): void {
    const id = record.id;
    if (id === null || this.rowsById.has(id)) {
      if (printed && id !== null) this.rowPrinted(id);
      return;
    }
    const kept = printed ? null : record;
    const secondMs = floorSecond(Date.parse(record.created_at));
    const last = this.rows[this.rows.length - 1];
    let entry: RowEntry;
    if (!last || last.secondMs <= secondMs) {
      entry = { id, key, secondMs, ord: last ? last.ord + 1 : 0, printed, record: kept };
      this.rows.push(entry);
    } else {
      // A row written late into a second already read: after the rows of its second known.
      const at = lowerBound(this.rows, secondMs + SECOND_MS, (r) => r.secondMs);
      const before = this.rows[at - 1]?.ord ?? this.rows[0]!.ord - 1;
      entry = { id, key, secondMs, ord: (before + this.rows[at]!.ord) / 2, printed, record: kept };
      this.rows.splice(at, 0, entry);
    }
    this.rowsById.set(id, entry);
    let list = this.rowsByKey.get(entry.key);
    if (!list) {
      list = [];
      this.rowsByKey.set(entry.key, list);
    }
    if (list.length === 0 || list[list.length - 1]!.ord < entry.ord) list.push(entry);
    else
      list.splice(
        lowerBound(list, entry.ord, (r) => r.ord),
        0,
        entry,
      );
  }

  /**
   * Whether a row (noted already) has identical company near it: another row of its key that
   * could be taken for the same live event, or more than one live event it could be. Pairing
   * such a row by time may go wrong either way, so it is left to the count, which is exact.
   */
  ambiguous(record: EventRecord): boolean {
    const id = record.id;
    const row = id === null ? undefined : this.rowsById.get(id);
    if (!row) return false;
    const reach = 2 * this.toleranceMs + SECOND_MS;
    const rows = this.rowsByKey.get(row.key) ?? [];
    if (rows.some((other) => other !== row && Math.abs(other.secondMs - row.secondMs) <= reach)) return true;
    const lives = this.live.byKey(row.key);
    let near = 0;
    for (const entry of lives) {
      if (entry.atMs >= row.secondMs - this.toleranceMs && entry.atMs <= row.secondMs + SECOND_MS + this.toleranceMs)
        near += 1;
    }
    return near > 1;
  }

  /** A row was printed (by the fast path, the history, or before the run). */
  rowPrinted(id: string): void {
    const row = this.rowsById.get(id);
    if (row) {
      row.printed = true;
      row.record = null;
    }
  }

  /** A read that began at `readAtMs` returned every row from second `fromMs` on. */
  readDone(fromMs: number, readAtMs: number): void {
    // Rows of seconds ending this long before the read were written before it began.
    const toMs = floorSecond(readAtMs - this.toleranceMs - this.commitMarginMs);
    const stretch = { fromMs: floorSecond(fromMs), toMs };
    if (stretch.toMs <= stretch.fromMs) return;
    this.stretches.push(stretch);
    this.stretches.sort((a, b) => a.fromMs - b.fromMs);
    const merged: Stretch[] = [];
    for (const s of this.stretches) {
      const tail = merged[merged.length - 1];
      if (tail && s.fromMs <= tail.toMs) tail.toMs = Math.max(tail.toMs, s.toMs);
      else merged.push({ ...s });
    }
    this.stretches.splice(0, this.stretches.length, ...merged);
  }

  // ---- deciding ------------------------------------------------------------------------------

  /**
   * How far before a gap's start the count may look at live events: for a cut before it, up to
   * the search's reach and the tolerance (`readFromMs`). A caller keeps at least these.
   */
  get reachBeforeGapMs(): number {
    return this.toleranceMs + SEARCH_BACK_MS + SECOND_MS;
  }

  /** Gaps not decided yet. */
  get pending(): number {
    return this.gaps.filter((g) => g.toMs !== null).length + (this.openGap ? 1 : 0);
  }

  /** Gaps given up on so far (their count rests on the fast path). */
  get givenUp(): number {
    return this.given;
  }

  /**
   * Where the next read should start so that a pending gap can be decided, or null when none
   * is pending: the start of the segment it needs, else shortly before the gap.
   */
  readFromMs(): number | null {
    const gap = this.gaps.find((g) => g.toMs !== null);
    if (!gap) return null;
    const start = this.cutBefore(gap);
    if (!start) {
      const cut = this.lastCut && this.lastCut.atMs <= gap.fromMs ? this.lastCut.secondMs : Number.NEGATIVE_INFINITY;
      const want = Math.max(cut, floorSecond(gap.fromMs - this.toleranceMs - SEARCH_BACK_MS));
      // The events of the last seconds before the gap become anchors once the seconds around
      // them are read, which the catch-up read made just after the reconnect cannot have done:
      // read on forward until they are, and further back only if none of them is one. (Going
      // back first read 30 s of the log after every reconnect: at 500 events a second, 17,000
      // rows, most of what the listener held after it.)
      const [nearFrom] = this.windowOf(gap.fromMs - this.toleranceMs - SECOND_MS);
      const [, nearTo] = this.windowOf(gap.fromMs);
      const nearDecidable = this.covered(Math.max(want, nearFrom), nearTo);
      if (nearDecidable && !this.covered(want, floorSecond(gap.fromMs))) return want;
    }
    // Go on from where the stretch around the gap ends.
    const stretch = this.stretchAround(floorSecond(gap.fromMs));
    return stretch
      ? Math.max(stretch.fromMs, stretch.toMs - SECOND_MS)
      : floorSecond(gap.fromMs - this.toleranceMs - SECOND_MS);
  }

  /**
   * Decides the gaps that can be decided now: the rows they still owe, in log order (each row
   * once), and the ids of every row of the segments decided, which no later read may print.
   */
  decide(nowMs: number): {
    print: EventRecord[];
    settledIds: string[];
    givenUp: { fromMs: number; toMs: number; why: string }[];
  } {
    const out: RowEntry[] = [];
    const settled: string[] = [];
    const givenUp: { fromMs: number; toMs: number; why: string }[] = [];
    while (this.gaps.length > 0) {
      const gap = this.gaps[0]!;
      if (gap.toMs === null) break;
      const start = this.cutBefore(gap);
      const end = start ? this.cutAfter(gap, start) : null;
      if (!start || !end) {
        if (nowMs - gap.toMs > this.giveUpMs) {
          this.gaps.shift();
          this.given += 1;
          const why = start ? 'no cut after it' : 'no cut before it';
          givenUp.push({ fromMs: gap.fromMs, toMs: gap.toMs, why });
          continue;
        }
        break;
      }
      // Every gap the segment spans is decided by it: in time and in arrival order alike.
      const owed = this.owedBetween(start, end);
      while (this.gaps.length > 0 && spannedBy(this.gaps[0]!, end)) this.gaps.shift();
      out.push(...owed.print);
      settled.push(...owed.settled);
      this.lastCut = end;
    }
    out.sort((a, b) => a.ord - b.ord);
    const print = out.map((row) => row.record!);
    for (const row of out) this.rowPrinted(row.id);
    return { print, settledIds: settled, givenUp };
  }

  /** Forget what no pending decision needs; `keepLiveFromMs`: live events a future gap may count. */
  prune(keepLiveFromMs: number): void {
    const firstPending = this.gaps[0] ?? this.openGap;
    let liveFrom = keepLiveFromMs;
    let rowsFromMs = keepLiveFromMs - this.toleranceMs - 2 * SECOND_MS;
    if (firstPending) {
      liveFrom = Math.min(liveFrom, firstPending.fromMs - this.reachBeforeGapMs);
      rowsFromMs = Math.min(rowsFromMs, liveFrom - this.toleranceMs - 2 * SECOND_MS);
    }
    if (this.lastCut && this.lastCut.atMs >= liveFrom) {
      liveFrom = Math.min(liveFrom, this.lastCut.atMs);
      rowsFromMs = Math.min(rowsFromMs, this.lastCut.secondMs);
    } else if (this.lastCut && this.lastCut.atMs < liveFrom) {
      this.lastCut = null;
    }
    if (this.live.indexOfTime(liveFrom) > 0) this.liveKeptFromMs = Math.max(this.liveKeptFromMs, liveFrom);
    this.live.release(this, liveFrom);
    const cutRows = lowerBound(this.rows, floorSecond(rowsFromMs), (r) => r.secondMs);
    if (cutRows > 0) {
      for (const row of this.rows.slice(0, cutRows)) {
        this.rowsById.delete(row.id);
        const list = this.rowsByKey.get(row.key);
        if (list) {
          const i = list.indexOf(row);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) this.rowsByKey.delete(row.key);
        }
      }
      this.rows = this.rows.slice(cutRows);
      const from = floorSecond(rowsFromMs);
      for (const s of this.stretches) s.fromMs = Math.max(s.fromMs, from);
      const kept = this.stretches.filter((s) => s.toMs > s.fromMs);
      this.stretches.splice(0, this.stretches.length, ...kept);
    }
  }

  /** Live events, rows and gaps held: for tests and --verbose. */
  get size(): { live: number; rows: number; gaps: number } {
    return { live: this.live.length, rows: this.rows.length, gaps: this.gaps.length };
  }

  // ---- inside ----------------------------------------------------------------------------------

  /** Live events before this were forgotten (by this reconciler, or by the window it shares). */
  private get keptFromMs(): number {
    return Math.max(this.liveKeptFromMs, this.live.keptFromMs);
  }

  private stretchAround(secondMs: number): Stretch | undefined {
    return this.stretches.find((s) => s.fromMs <= secondMs && secondMs < s.toMs);
  }

  /** Whether the rows of seconds [fromMs, toMs) were all read, in one stretch. */
  private covered(fromMs: number, toMs: number): boolean {
    return this.stretches.some((s) => s.fromMs <= fromMs && toMs <= s.toMs);
  }

  /** The seconds a live event received at `atMs` may have been stored in: [from, to). */
  private windowOf(atMs: number): [number, number] {
    return [floorSecond(atMs - this.toleranceMs - SECOND_MS), floorSecond(atMs + this.toleranceMs) + SECOND_MS];
  }

  /** The cut that live event `entry` makes, if it is an anchor. */
  private anchorAt(entry: LiveEntry): Cut | null {
    if (entry.atMs < this.keptFromMs) return null;
    const [from, to] = this.windowOf(entry.atMs);
    if (!this.covered(from, to)) return null;
    const rows = this.rowsByKey.get(this.live.keyOf(entry));
    if (!rows) return null;
    let found: RowEntry | null = null;
    for (const row of rows) {
      if (row.secondMs < from || row.secondMs >= to) continue;
      if (found) return null;
      found = row;
    }
    return found ? { secondMs: found.secondMs, ord: found.ord, seq: entry.seq, atMs: entry.atMs } : null;
  }

  /**
   * A quiet cut between `fromMs` and `toMs` (our clock): the middle of an empty stretch of
   * read seconds long enough that no event can pair across it. Latest first when `latest`.
   */
  private quietCut(fromMs: number, toMs: number, latest: boolean): Cut | null {
    // One second more than strictly needed: a receipt exactly at the middle stays on its side.
    const span = 2 * (this.toleranceMs + SECOND_MS) + SECOND_MS;
    const candidates: Cut[] = [];
    for (const stretch of this.stretches) {
      let prevEnd = stretch.fromMs;
      let prevOrd = Number.NEGATIVE_INFINITY;
      const first = lowerBound(this.rows, stretch.fromMs, (r) => r.secondMs);
      for (let i = first; i <= this.rows.length; i += 1) {
        const row = this.rows[i];
        const start = row && row.secondMs < stretch.toMs ? row.secondMs : stretch.toMs;
        if (start - prevEnd >= span) {
          const middle = floorSecond(prevEnd + (start - prevEnd) / 2);
          if (middle >= fromMs && middle <= toMs && middle >= this.keptFromMs) {
            const i = this.live.indexOfTime(middle);
            const seq = i > 0 ? this.live.at(i - 1)!.seq : this.live.firstSeq - 1;
            candidates.push({ secondMs: middle, ord: prevOrd, seq, atMs: middle });
          }
        }
        if (!row || row.secondMs >= stretch.toMs) break;
        prevEnd = row.secondMs + SECOND_MS;
        prevOrd = row.ord;
      }
    }
    if (candidates.length === 0) return null;
    candidates.sort((a, b) => a.atMs - b.atMs);
    return latest ? candidates[candidates.length - 1]! : candidates[0]!;
  }

  /** The latest cut at or before the gap's start. */
  private cutBefore(gap: Gap): Cut | null {
    const cut = this.lastCut;
    // Every live event after a cut must still be kept for counting from it.
    let best: Cut | null =
      cut && cut.seq <= gap.seqAtStart && cut.atMs <= gap.fromMs && cut.seq >= this.live.firstSeq - 1 ? cut : null;
    const quiet = this.quietCut(best?.atMs ?? Number.NEGATIVE_INFINITY, gap.fromMs, true);
    if (quiet && (!best || quiet.atMs > best.atMs)) best = quiet;
    const startIndex = this.live.indexOfSeq(gap.seqAtStart + 1);
    for (let i = startIndex - 1; i >= 0; i -= 1) {
      const entry = this.live.at(i)!;
      if (best && entry.atMs <= best.atMs) break;
      const cut = this.anchorAt(entry);
      if (cut) return cut;
    }
    return best;
  }

  /** The earliest cut after the gap's end (and after `start`). */
  private cutAfter(gap: Gap, start: Cut): Cut | null {
    const endMs = gap.toMs!;
    let best = this.quietCut(endMs, Number.POSITIVE_INFINITY, false);
    // A quiet middle in the very millisecond the gap ended may fall before its last event.
    if (best && !spannedBy(gap, best)) best = this.quietCut(endMs + 1, Number.POSITIVE_INFINITY, false);
    const first = this.live.indexOfSeq(gap.seqAtStart + 1);
    for (let i = first; i < this.live.length; i += 1) {
      const entry = this.live.at(i)!;
      if (best && entry.atMs >= best.atMs) break;
      if (entry.atMs < endMs) continue;
      const cut = this.anchorAt(entry);
      if (cut) {
        best = cut;
        break;
      }
    }
    if (!best || !spannedBy(gap, best)) return null;
    // Both ends must split the log alike in one read stretch.
    if (best.secondMs < start.secondMs || (best.secondMs === start.secondMs && best.ord < start.ord)) return null;
    if (!this.covered(start.secondMs, best.secondMs + SECOND_MS)) return null;
    return best;
  }

  /** What the segment between two cuts still owes, key by key. */
  private owedBetween(start: Cut, end: Cut): { print: RowEntry[]; settled: string[] } {
    const settled: string[] = [];
    const after = (row: RowEntry, cut: Cut) =>
      row.secondMs > cut.secondMs || (row.secondMs === cut.secondMs && row.ord > cut.ord);
    const owed = new Map<string, { rows: RowEntry[]; count: number }>();
    for (let i = lowerBound(this.rows, start.secondMs, (r) => r.secondMs); i < this.rows.length; i += 1) {
      const row = this.rows[i]!;
      if (!after(row, start)) continue;
      if (after(row, end)) break;
      settled.push(row.id);
      let entry = owed.get(row.key);
      if (!entry) {
        entry = { rows: [], count: 0 };
        owed.set(row.key, entry);
      }
      if (row.printed) entry.count -= 1;
      else entry.rows.push(row);
      entry.count += 1;
    }
    for (let i = this.live.indexOfSeq(start.seq + 1); i < this.live.length; i += 1) {
      const entry = this.live.at(i)!;
      if (entry.seq > end.seq) break;
      if (!entry.printed) continue;
      const key = owed.get(this.live.keyOf(entry));
      if (key) key.count -= 1;
    }
    const out: RowEntry[] = [];
    const gaps = this.gapsIn(start.atMs, end.atMs);
    for (const { rows, count } of owed.values()) {
      if (count <= 0 || rows.length === 0) continue;
      // Identical but for the id: the ones nearest a gap are the likeliest missed.
      const distance = (row: RowEntry) =>
        Math.min(
          ...gaps.map((g) => Math.max(0, g.fromMs - (row.secondMs + SECOND_MS), row.secondMs - (g.toMs ?? Infinity))),
        );
      out.push(...[...rows].sort((a, b) => distance(a) - distance(b) || a.ord - b.ord).slice(0, count));
    }
    return { print: out, settled };
  }

  private gapsIn(fromMs: number, toMs: number): Gap[] {
    const inside = this.gaps.filter((g) => g.fromMs <= toMs && (g.toMs ?? Infinity) >= fromMs);
    return inside.length > 0 ? inside : [{ fromMs, toMs, seqAtStart: 0, seqAtEnd: null }];
  }
}
