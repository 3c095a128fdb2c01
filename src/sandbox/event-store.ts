/**
 * The persisted event log (Zou's `api_event` table), kept column by column so that a history
 * of a million events builds in seconds and pages quickly: times in a Float64Array searched
 * by bisection, names and ids interned as small integers, and row ids computed from the row
 * index (a keyed bijection), so no id string or id map is held per row.
 */
import { uuidFromWords } from './random.js';
import type { StoredEvent } from './types.js';

/** Modular inverse of an odd number modulo 2^32 (Newton's iteration). */
function inverseOdd(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i += 1) x = Math.imul(x, 2 - Math.imul(a, x));
  return x >>> 0;
}

const M1 = 0x7feb352d;
const M2 = 0x846ca68b;
const M1_INV = inverseOdd(M1);
const M2_INV = inverseOdd(M2);

function mix(x: number, key: number): number {
  x = (x ^ key) >>> 0;
  x = Math.imul(x ^ (x >>> 16), M1) >>> 0;
  x = Math.imul(x ^ (x >>> 16), M2) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function unmix(x: number, key: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, M2_INV) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, M1_INV) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return (x ^ key) >>> 0;
}

function hash(i: number, key: number): number {
  let h = Math.imul((i ^ key) >>> 0, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae3d) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Interns strings as small integers; -1 stands for null. */
class Interner {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  id(value: string | null): number {
    if (value === null) return -1;
    let n = this.index.get(value);
    if (n === undefined) {
      n = this.values.length;
      this.values.push(value);
      this.index.set(value, n);
    }
    return n;
  }

  find(value: string): number | undefined {
    return this.index.get(value);
  }

  value(n: number): string | null {
    return n < 0 ? null : (this.values[n] as string);
  }
}

/**
 * The row's project_id when emit() is given none: Zou stores only emit()'s `project_id`
 * argument (save_event, zou/app/utils/events.py), which nearly every emitter passes and which
 * also lands in data. `project:*` events are the exception: their data names the project itself
 * and no argument is passed (crud/base.py, crud/project.py, thumbnails), so their rows have none:
 * managers never see them, and a `project_id` filter does not find them.
 */
export function rowProjectId(name: string, data: Record<string, unknown>): string | null {
  if (name.startsWith('project:')) return null;
  return typeof data.project_id === 'string' ? data.project_id : null;
}

export interface EventQuery {
  /** Rows strictly older than this time (µs). */
  beforeUs?: number;
  /** Rows strictly newer than this time (µs). */
  afterUs?: number;
  limit: number;
  /** Names to keep (already combined from name, prefixes, suffixes, only_files); undefined = all. */
  names?: (name: string) => boolean;
  /** Project ids to keep; `null` inside the set keeps rows without a project. */
  projectIds?: ReadonlySet<string | null>;
  userIds?: ReadonlySet<string>;
}

export class EventStore {
  private times = new Float64Array(1024);
  private nameCol = new Int32Array(1024);
  private userCol = new Int32Array(1024);
  private projectCol = new Int32Array(1024);
  private dataCol: Record<string, unknown>[] = [];
  private readonly names = new Interner();
  private readonly refs = new Interner();
  private materialized: StoredEvent[] = [];
  length = 0;

  constructor(private readonly key: number) {}

  private grow(): void {
    const size = this.times.length * 2;
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.nameCol = grow(this.nameCol, (n) => new Int32Array(n));
    this.userCol = grow(this.userCol, (n) => new Int32Array(n));
    this.projectCol = grow(this.projectCol, (n) => new Int32Array(n));
  }

  get lastTimeUs(): number {
    return this.length === 0 ? -Infinity : (this.times[this.length - 1] as number);
  }

  /** Appends a row; its time must be later than the last one. Returns its index. */
  append(
    name: string,
    createdAtUs: number,
    userId: string | null,
    projectId: string | null,
    data: Record<string, unknown>,
  ): number {
    if (createdAtUs <= this.lastTimeUs) throw new Error('event times must be strictly increasing');
    if (this.length === this.times.length) this.grow();
    const i = this.length;
    this.times[i] = createdAtUs;
    this.nameCol[i] = this.names.id(name);
    this.userCol[i] = this.refs.id(userId);
    this.projectCol[i] = this.refs.id(projectId);
    this.dataCol.push(data);
    this.length += 1;
    return i;
  }

  /** Replaces the times of the first rows (a history appended with placeholder times). */
  stampTimes(times: Float64Array): void {
    for (let i = 1; i < times.length; i += 1) {
      if ((times[i] as number) <= (times[i - 1] as number)) throw new Error('event times must be strictly increasing');
    }
    if (times.length < this.length && (times[times.length - 1] as number) >= (this.times[times.length] as number)) {
      throw new Error('event times must be strictly increasing');
    }
    this.times.set(times);
  }

  idAt(i: number): string {
    return uuidFromWords(
      mix(i, this.key),
      hash(i, this.key ^ 0x1234567),
      hash(i, this.key ^ 0x7654321),
      hash(i, this.key ^ 0x0badf00d),
    );
  }

  /** The row index of an id, or -1. */
  indexOf(id: string): number {
    const lower = id.toLowerCase();
    const head = Number.parseInt(lower.slice(0, 8), 16);
    if (!Number.isFinite(head)) return -1;
    const i = unmix(head >>> 0, this.key);
    return i < this.length && this.idAt(i) === lower ? i : -1;
  }

  timeAt(i: number): number {
    return this.times[i] as number;
  }

  nameAt(i: number): string {
    return this.names.value(this.nameCol[i] as number) as string;
  }

  row(i: number): StoredEvent {
    return {
      id: this.idAt(i),
      name: this.nameAt(i),
      createdAtUs: this.times[i] as number,
      user_id: this.refs.value(this.userCol[i] as number),
      project_id: this.refs.value(this.projectCol[i] as number),
      data: this.dataCol[i] as Record<string, unknown>,
    };
  }

  /** Every row as objects, oldest first; built once and extended as the log grows. */
  all(): readonly StoredEvent[] {
    for (let i = this.materialized.length; i < this.length; i += 1) this.materialized.push(this.row(i));
    return this.materialized;
  }

  /** The distinct names present, sorted. */
  distinctNames(): string[] {
    return [...this.names.values].sort();
  }

  /** First index whose time is >= us. */
  private lowerBound(us: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) < us) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Matching row indexes, newest first, as `ORDER BY created_at DESC LIMIT n` gives them. */
  query(q: EventQuery): number[] {
    const end = q.beforeUs === undefined ? this.length : this.lowerBound(q.beforeUs);
    const start = q.afterUs === undefined ? 0 : this.lowerBound(q.afterUs + 1);
    const nameOk = q.names ? this.names.values.map((n) => q.names!(n)) : undefined;
    const projectOk = q.projectIds ? this.refMask(q.projectIds) : undefined;
    const allowNullProject = q.projectIds?.has(null) ?? true;
    const userOk = q.userIds ? this.refMask(q.userIds) : undefined;
    const out: number[] = [];
    for (let i = end - 1; i >= start && out.length < q.limit; i -= 1) {
      if (nameOk && !nameOk[this.nameCol[i] as number]) continue;
      if (projectOk) {
        const p = this.projectCol[i] as number;
        if (p < 0 ? !allowNullProject : !projectOk[p]) continue;
      }
      if (userOk) {
        const u = this.userCol[i] as number;
        if (u < 0 || !userOk[u]) continue;
      }
      out.push(i);
    }
    return out;
  }

  private refMask(values: ReadonlySet<string | null>): Uint8Array {
    const mask = new Uint8Array(this.refs.values.length);
    for (const v of values) {
      if (v === null) continue;
      const n = this.refs.find(v.toLowerCase());
      if (n !== undefined) mask[n] = 1;
    }
    return mask;
  }
}
