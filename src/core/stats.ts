/**
 * The arithmetic of `logs --stats`: counts of events by name, project, person and entity,
 * and per hour of local time, gathered as the records stream by.
 *
 * Memory grows with the number of distinct keys (names, projects, people, entities, hours in
 * the range), never with the number of events: a year of log is a few thousand hours and
 * as many entities as the production has, whether it holds ten thousand events or ten
 * million. Pure: no I/O, the time zone is passed in.
 */
import type { EventRecord } from './record.js';
import { fromLocalFields, type TimeZone } from './time.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** One count of a breakdown, largest first. `key` null: the events that have no such value. */
export interface Count {
  key: string | null;
  count: number;
}

export interface TopCounts {
  top: Count[];
  /** Distinct keys seen, the null key included. */
  distinct: number;
  /** Events under the keys left out of `top`. */
  others: number;
}

/** Counts by one key. */
export class Breakdown {
  private readonly counts = new Map<string | null, number>();

  add(key: string | null, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  get size(): number {
    return this.counts.size;
  }

  /** The `n` largest counts (all when n is undefined), ties in key order, so output is stable. */
  top(n?: number): TopCounts {
    const all = [...this.counts].map(([key, count]) => ({ key, count }));
    all.sort((a, b) => b.count - a.count || compareKeys(a.key, b.key));
    const top = n === undefined ? all : all.slice(0, n);
    const shown = top.reduce((sum, c) => sum + c.count, 0);
    const total = all.reduce((sum, c) => sum + c.count, 0);
    return { top, distinct: all.length, others: total - shown };
  }
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/**
 * The entity an event is about, as a `kind:id` key: the payload's entity keys (asset, shot,
 * sequence, episode, edit, concept, or the generic entity_id), else its task, else nothing.
 * A resolver that knows a task's entity can be given to StatsOptions.entityOf instead.
 */
export function entityKeyOf(record: EventRecord): string | null {
  const data = record.data;
  for (const kind of ENTITY_KINDS) {
    const id = data[`${kind}_id`];
    if (typeof id === 'string' && id !== '') return `${kind}:${id}`;
  }
  const task = data.task_id;
  return typeof task === 'string' && task !== '' ? `task:${task}` : null;
}
const ENTITY_KINDS = ['asset', 'shot', 'sequence', 'episode', 'edit', 'concept', 'entity'] as const;

/** Splits an entityKeyOf key into its kind and id. */
export function splitEntityKey(key: string): { kind: string; id: string } {
  const colon = key.indexOf(':');
  return colon < 0 ? { kind: 'entity', id: key } : { kind: key.slice(0, colon), id: key.slice(colon + 1) };
}

export interface StatsOptions {
  /** Local time for the activity buckets. */
  zone: TimeZone;
  /** The entity key of a record; default entityKeyOf. */
  entityOf?: (record: EventRecord) => string | null;
}

/**
 * Everything `--stats` shows, updated one record at a time. Hours are counted in local
 * wall-clock time (the hour a person reads on a clock), so that day buckets start at local
 * midnight; a repeated hour at the end of summer time adds to the same bucket.
 */
export class ActivityStats {
  total = 0;
  /** Epoch ms of the oldest and newest event seen. */
  firstMs: number | undefined;
  lastMs: number | undefined;
  readonly byName = new Breakdown();
  readonly byProject = new Breakdown();
  readonly byPerson = new Breakdown();
  readonly byEntity = new Breakdown();
  /** Count per local hour: the key is hours since 1970-01-01T00:00 local wall time. */
  private readonly hours = new Map<number, number>();
  private readonly entityOf: (record: EventRecord) => string | null;

  constructor(private readonly options: StatsOptions) {
    this.entityOf = options.entityOf ?? entityKeyOf;
  }

  /** Counts one record; `entityKey` overrides StatsOptions.entityOf (a resolver's answer). */
  add(record: EventRecord, entityKey?: string | null): void {
    this.total += 1;
    const ms = Date.parse(record.created_at);
    if (!Number.isNaN(ms)) {
      if (this.firstMs === undefined || ms < this.firstMs) this.firstMs = ms;
      if (this.lastMs === undefined || ms > this.lastMs) this.lastMs = ms;
      const hour = localHourOf(ms, this.options.zone);
      this.hours.set(hour, (this.hours.get(hour) ?? 0) + 1);
    }
    this.byName.add(record.name);
    this.byProject.add(record.project_id);
    this.byPerson.add(record.user_id);
    this.byEntity.add(entityKey !== undefined ? entityKey : this.entityOf(record));
  }

  /**
   * The activity per bucket from `fromMs` to `toMs` (default: the first and last event),
   * empty buckets included so that a quiet night shows as one.
   */
  histogram(range: { fromMs?: number; toMs?: number } = {}): Histogram {
    const fromMs = range.fromMs ?? this.firstMs;
    const toMs = range.toMs ?? this.lastMs;
    if (fromMs === undefined || toMs === undefined) return { unit: 'hour', buckets: [] };
    const unit = bucketUnitFor(toMs - fromMs);
    const zone = this.options.zone;
    const startKey = bucketOf(localHourOf(fromMs, zone), unit);
    const endKey = bucketOf(localHourOf(Math.max(fromMs, toMs), zone), unit);
    const counts = new Map<number, number>();
    for (const [hour, n] of this.hours) {
      const key = bucketOf(hour, unit);
      counts.set(key, (counts.get(key) ?? 0) + n);
    }
    const buckets: Bucket[] = [];
    const step = unit === 'hour' ? 1 : unit === 'day' ? 24 : 24 * 7;
    // Events outside the range (a --limit read, a clock that moved) still count somewhere.
    let first = startKey;
    let last = endKey;
    for (const key of counts.keys()) {
      if (key < first) first = key;
      if (key > last) last = key;
    }
    for (let key = first; key <= last; key += step) {
      buckets.push({ startMs: localHourToUtc(key, zone), localStart: key * HOUR_MS, count: counts.get(key) ?? 0 });
    }
    return { unit, buckets };
  }
}

export type BucketUnit = 'hour' | 'day' | 'week';

export interface Bucket {
  /** The instant the bucket starts (epoch ms, UTC). */
  startMs: number;
  /** Its start in local wall-clock time, as epoch ms read as UTC fields (for labels). */
  localStart: number;
  count: number;
}

export interface Histogram {
  unit: BucketUnit;
  buckets: Bucket[];
}

/** Hours up to two days, days up to three months, weeks beyond: a screenful of rows or so. */
export function bucketUnitFor(spanMs: number): BucketUnit {
  if (spanMs <= 2 * DAY_MS) return 'hour';
  if (spanMs <= 92 * DAY_MS) return 'day';
  return 'week';
}

/** Hours since 1970-01-01T00:00 in local wall-clock time. */
export function localHourOf(ms: number, zone: TimeZone): number {
  return Math.floor((ms + zone.offsetAt(ms) * 60_000) / HOUR_MS);
}

/** The first hour of the bucket holding local hour `hour` (weeks start on Monday). */
function bucketOf(hour: number, unit: BucketUnit): number {
  if (unit === 'hour') return hour;
  const day = Math.floor(hour / 24);
  if (unit === 'day') return day * 24;
  // Day 0, 1970-01-01, was a Thursday: three days after a Monday.
  const monday = day - ((((day + 3) % 7) + 7) % 7);
  return monday * 24;
}

function localHourToUtc(hour: number, zone: TimeZone): number {
  const d = new Date(hour * HOUR_MS);
  return fromLocalFields(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: 0,
      second: 0,
    },
    zone,
  );
}

/** `--count-by KEY`: one breakdown over any field (see src/core/fields.ts) or the entity. */
export class FieldCounter {
  readonly counts = new Breakdown();
  total = 0;

  constructor(private readonly keyOf: (record: EventRecord) => string | null) {}

  add(record: EventRecord): void {
    this.addKey(this.keyOf(record));
  }

  /** Counts one record whose key was found elsewhere (the name resolver's entity). */
  addKey(key: string | null): void {
    this.total += 1;
    this.counts.add(key);
  }
}
