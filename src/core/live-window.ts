/**
 * The live events a listener remembers, kept once for both that need them: the backfill ledger
 * (src/core/backfill.ts pairs log rows with them) and the reconciler (src/core/reconcile.ts
 * counts them). Before this, each kept its own copy, and each event's key was computed and
 * indexed as it arrived: at hundreds of events a second that was a third of `listen`'s CPU,
 * spent on look-ups that only happen around a gap in the stream.
 *
 * So an event is kept as it came (its name and data, when, in which order) and its key
 * (name + canonical data) is computed only when something asks for events by key, which is
 * when the log is read after a gap. Steady streaming computes no key and builds no index.
 *
 * Each user says from when on it still needs events (`release`); the oldest are forgotten once
 * no user needs them, or when there are more than `maxEvents`. Keys are let go of too once no
 * read needs them (`forgetKeys`).
 */
import { canonicalJson } from './canonical-json.js';
import type { EventRecord } from './record.js';

export interface LiveEvent {
  readonly name: string;
  readonly data: Record<string, unknown>;
  /** When it was received (our clock). */
  readonly atMs: number;
  /** Arrival order, from 1: events of one connection arrive in the order they were published. */
  readonly seq: number;
  /** A log row turned out to be it (or a row printed a moment before took its place). */
  paired: boolean;
  /**
   * Held back, not printed yet (the `--since` seam buffers live events while the history is
   * read): a row that pairs with it is printed in its place. Cleared once it is printed.
   */
  held: boolean;
  /** Printed as a live event (not absorbed by a row printed in its place, nor still held back). */
  printed: boolean;
  /** Name + canonical data, once something asked for it. */
  key: string | undefined;
}

/**
 * What identifies an event when there is no id: its name and its data, as
 * `["name",{canonical data}]`. Kept for minutes by the thousand, so it should be one flat
 * string: JSON.stringify makes one, where text built piece by piece is a tree of pieces (a
 * dozen heap objects a key). Its list of keys sorts the object's keys, and is used only for a
 * flat payload (Zou sends flat dicts), because it would also filter the keys of nested objects.
 */
export function keyOf(name: string, data: unknown): string {
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const keys = Object.keys(data);
    let flat = true;
    for (const key of keys) {
      const value = (data as Record<string, unknown>)[key];
      if (value !== null && typeof value === 'object') flat = false;
      else if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') flat = false;
      if (!flat) break;
    }
    if (flat) return JSON.stringify([name, data], keys.sort());
  }
  return `[${JSON.stringify(name)},${canonicalJson(data)}]`;
}

export class LiveWindow {
  /** Kept events, oldest first, from `head` on. */
  private events: LiveEvent[] = [];
  private head = 0;
  private nextSeq = 1;
  /** Events by key, oldest first: those with seq below `indexedUntilSeq`. */
  private readonly index = new Map<string, LiveEvent[]>();
  private indexedUntilSeq = 1;
  /** Some kept event has its key. */
  private keyed = false;
  /** From when on each user still needs events. */
  private readonly needs = new Map<object, number>();
  private forgottenBeforeMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxEvents = 200_000) {}

  /** Someone who will read the window: nothing is forgotten before it says it may be. */
  share(user: object): void {
    if (!this.needs.has(user)) this.needs.set(user, Number.NEGATIVE_INFINITY);
  }

  add(
    record: Pick<EventRecord, 'name' | 'data'>,
    atMs: number,
    flags: { printed?: boolean; held?: boolean; paired?: boolean } = {},
  ): LiveEvent {
    const event: LiveEvent = {
      name: record.name,
      data: record.data,
      atMs,
      seq: this.nextSeq,
      paired: flags.paired ?? false,
      held: flags.held ?? false,
      printed: flags.printed ?? false,
      key: undefined,
    };
    this.nextSeq += 1;
    this.events.push(event);
    if (this.length > this.maxEvents) this.dropOldest();
    return event;
  }

  /** How many events are kept. */
  get length(): number {
    return this.events.length - this.head;
  }

  /** The i-th kept event, oldest first. */
  at(i: number): LiveEvent | undefined {
    return this.events[this.head + i];
  }

  /**
   * When the newest kept event was received (null when none is kept). Read from the window, not
   * noted per event: the listener's hot path stays as it was. A user that keeps events from some
   * time before the newest one never lets the newest go.
   */
  get newestAtMs(): number | null {
    return this.events.length > this.head ? this.events[this.events.length - 1]!.atMs : null;
  }

  /** The seq of the newest event so far (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** The seq the oldest kept event has (or the next one will have). */
  get firstSeq(): number {
    return this.events[this.head]?.seq ?? this.nextSeq;
  }

  /** Events received before this may have been forgotten (none were, before any was dropped). */
  get keptFromMs(): number {
    return this.forgottenBeforeMs;
  }

  /** Position (for `at`) of the first kept event with seq ≥ `seq`. */
  indexOfSeq(seq: number): number {
    return Math.min(Math.max(0, seq - this.firstSeq), this.length);
  }

  /** Position (for `at`) of the first kept event received at or after `ms`. */
  indexOfTime(ms: number): number {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.atMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  keyOf(event: LiveEvent): string {
    this.keyed = true;
    return (event.key ??= keyOf(event.name, event.data));
  }

  /**
   * Lets go of every key and the index, which the next read after a gap computes again. Around
   * a gap they are needed (for a minute at most), but kept through steady streaming they were
   * the larger part of what the window holds. Call it when no read is running or due.
   */
  forgetKeys(): void {
    if (!this.keyed) return;
    this.index.clear();
    for (let i = this.head; i < this.events.length; i += 1) this.events[i]!.key = undefined;
    this.indexedUntilSeq = this.firstSeq;
    this.keyed = false;
  }

  /** The kept events of this key, oldest first. */
  byKey(key: string): readonly LiveEvent[] {
    if (this.indexedUntilSeq < this.nextSeq) {
      for (let i = this.indexOfSeq(this.indexedUntilSeq); i < this.length; i += 1) {
        const event = this.at(i)!;
        const k = this.keyOf(event);
        const list = this.index.get(k);
        if (list) list.push(event);
        else this.index.set(k, [event]);
      }
      this.indexedUntilSeq = this.nextSeq;
    }
    return this.index.get(key) ?? [];
  }

  /** `user` no longer needs events received before `beforeMs`. */
  release(user: object, beforeMs: number): void {
    this.needs.set(user, beforeMs);
    let keepFromMs = Number.POSITIVE_INFINITY;
    for (const ms of this.needs.values()) keepFromMs = Math.min(keepFromMs, ms);
    let dropped = false;
    while (this.length > 0 && this.events[this.head]!.atMs < keepFromMs) {
      this.dropOldest();
      dropped = true;
    }
    if (dropped) this.forgottenBeforeMs = Math.max(this.forgottenBeforeMs, keepFromMs);
  }

  private dropOldest(): void {
    const event = this.events[this.head]!;
    this.head += 1;
    // Whatever came at the same moment is no longer known complete.
    this.forgottenBeforeMs = Math.max(this.forgottenBeforeMs, event.atMs + 1);
    if (event.seq < this.indexedUntilSeq) {
      const key = event.key!;
      const list = this.index.get(key);
      if (list) {
        // Lists are oldest first, so the dropped one is normally at the front.
        const i = list[0] === event ? 0 : list.indexOf(event);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.index.delete(key);
      }
    }
    if (this.head === this.events.length) {
      this.events = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.events.length) {
      // Compact now and then so the array does not grow for ever.
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}
