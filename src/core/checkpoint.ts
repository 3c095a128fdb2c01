/**
 * The state of an exactly-once export (`logs --checkpoint FILE`) and its arithmetic. Pure:
 * src/export/ reads, locks and replaces the file; this module decides what it says.
 *
 * What the state promises: every matching row created before `position` (a whole second,
 * exclusive) has been exported, and `output` holds exactly `committedBytes` bytes of them.
 * The next run re-reads from `OVERLAP_SECONDS` before `position` and skips the ids in
 * `recent` (the rows it exported in those seconds), because:
 * - the server truncates times to the second, so the last second read may have been read
 *   before it was complete;
 * - Zou commits each row on its own just after the live emit, so a row of second T can
 *   become visible after a row of T+1 was read. Re-reading a short stretch and
 *   de-duplicating by id catches such late rows at the price of a few rows a run.
 */
import { UsageError } from '../errors.js';

export const CHECKPOINT_FORMAT = 'kitsu-tail checkpoint';
export const CHECKPOINT_VERSION = 1;
/** How far before `position` each run reads again. */
export const OVERLAP_SECONDS = 10;

/** What a checkpoint belongs to: a run with other values must not continue it. */
export interface CheckpointIdentity {
  /** The API root the rows came from. */
  host: string;
  profile: string;
  /** Who read them (what a person may see depends on who they are). */
  userId: string | null;
  log: 'events' | 'logins';
  /** The filters, canonical (see describeQuery). */
  query: string;
  /** Absolute path of --output, or null when records go to stdout. */
  output: string | null;
}

export interface RecentSecond {
  /** Whole seconds since the epoch. */
  second: number;
  ids: string[];
}

export interface CheckpointState extends CheckpointIdentity {
  /** Where the first run starts (its --since), in seconds; null for the beginning of the log. */
  start: number | null;
  /** Every matching row before this second is exported; null until the first commit. */
  position: number | null;
  /** Length of `output` that holds whole committed lines. */
  committedBytes: number;
  /** The ids exported in the seconds from `position - OVERLAP_SECONDS` on. */
  recent: RecentSecond[];
  /** Rows exported over the checkpoint's life (for people reading the file). */
  events: number;
  /** Milliseconds since the epoch of the last commit. */
  updatedAt: number;
}

/** A canonical description of the filters, so that a checkpoint can tell another query apart. */
export function describeQuery(query: {
  include?: readonly string[];
  exclude?: readonly string[];
  onlyFiles?: boolean;
  projectIds?: readonly string[];
  personIds?: readonly string[];
  aboutIds?: readonly string[];
}): string {
  const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();
  return JSON.stringify({
    include: sorted(query.include),
    exclude: sorted(query.exclude),
    onlyFiles: Boolean(query.onlyFiles),
    projects: sorted(query.projectIds),
    // `people` is --by (who acted), as it was for --person: existing checkpoints still match.
    people: sorted(query.personIds),
    // Only when given, so that a query without --about reads as it did before there was one.
    ...(query.aboutIds?.length ? { about: sorted(query.aboutIds) } : {}),
  });
}

export function newCheckpoint(
  identity: CheckpointIdentity,
  start: number | null,
  committedBytes: number,
  nowMs: number,
): CheckpointState {
  return { ...identity, start, position: null, committedBytes, recent: [], events: 0, updatedAt: nowMs };
}

/** The first second the next run reads. */
export function resumeSecond(state: CheckpointState): number | null {
  if (state.position === null) return state.start;
  const from = state.position - OVERLAP_SECONDS;
  return state.start === null ? from : Math.max(state.start, from);
}

/**
 * The ids exported in the last seconds of what was read, to skip them when they are read
 * again. Memory is bounded by the rows of OVERLAP_SECONDS seconds.
 */
export class RecentIds {
  private readonly secondOf = new Map<string, number>();

  constructor(recent: readonly RecentSecond[] = []) {
    for (const { second, ids } of recent) for (const id of ids) this.secondOf.set(id, second);
  }

  has(id: string): boolean {
    return this.secondOf.has(id);
  }

  add(id: string, second: number): void {
    this.secondOf.set(id, second);
  }

  get size(): number {
    return this.secondOf.size;
  }

  /** Forgets the ids of seconds before `position - OVERLAP_SECONDS`, which are never read again. */
  prune(position: number): void {
    const keepFrom = position - OVERLAP_SECONDS;
    for (const [id, second] of this.secondOf) if (second < keepFrom) this.secondOf.delete(id);
  }

  /** The seconds at or after `position - OVERLAP_SECONDS`, oldest first. */
  toRecent(position: number): RecentSecond[] {
    const keepFrom = position - OVERLAP_SECONDS;
    const bySecond = new Map<number, string[]>();
    for (const [id, second] of this.secondOf) {
      if (second < keepFrom) continue;
      const ids = bySecond.get(second) ?? [];
      ids.push(id);
      bySecond.set(second, ids);
    }
    return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([second, ids]) => ({ second, ids }));
  }
}

/** The state after a commit: `added` more rows, the output now `committedBytes` long. */
export function advance(
  state: CheckpointState,
  progress: { position: number; recent: RecentIds; committedBytes: number; added: number; nowMs: number },
): CheckpointState {
  // Never move back: a run that read nothing new keeps the position it started from.
  const position = state.position === null ? progress.position : Math.max(state.position, progress.position);
  return {
    ...state,
    position,
    committedBytes: progress.committedBytes,
    recent: progress.recent.toRecent(position),
    events: state.events + progress.added,
    updatedAt: progress.nowMs,
  };
}

/** The first way `state` differs from what this run is, in words; null when it may continue. */
export function mismatch(state: CheckpointState, identity: CheckpointIdentity): string | null {
  if (state.log !== identity.log) {
    return `it records an export of the ${state.log === 'logins' ? 'login log' : 'event log'}`;
  }
  if (state.host !== identity.host) return `it was made against ${state.host}, not ${identity.host}`;
  if (state.profile !== identity.profile)
    return `it was made with the profile "${state.profile}", not "${identity.profile}"`;
  if (state.userId !== null && identity.userId !== null && state.userId !== identity.userId) {
    return 'it was made by another Kitsu account, which may see other events';
  }
  if (state.query !== identity.query) return `it was made with other filters (${describeFilters(state.query)})`;
  if (state.output !== identity.output) {
    return state.output === null
      ? 'it records an export to stdout, not to --output'
      : `it records an export to ${state.output}${identity.output ? `, not ${identity.output}` : '; add --output with that file'}`;
  }
  return null;
}

function describeFilters(query: string): string {
  try {
    const q = JSON.parse(query) as Record<string, unknown>;
    const parts: string[] = [];
    const include = q.include as string[];
    const exclude = q.exclude as string[];
    if (include.length || exclude.length)
      parts.push(`patterns ${[...include, ...exclude.map((e) => `!${e}`)].join(' ')}`);
    if (q.onlyFiles) parts.push('--only-files');
    if ((q.projects as string[]).length) parts.push(`projects ${(q.projects as string[]).join(', ')}`);
    if ((q.people as string[]).length) parts.push(`people ${(q.people as string[]).join(', ')}`);
    return parts.length ? parts.join('; ') : 'no filter';
  } catch {
    return query;
  }
}

const isoSecond = (second: number): string => new Date(second * 1000).toISOString().replace('.000Z', 'Z');

export function serializeCheckpoint(state: CheckpointState): string {
  const out = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    host: state.host,
    profile: state.profile,
    user_id: state.userId,
    log: state.log,
    query: JSON.parse(state.query) as unknown,
    output: state.output,
    start: state.start === null ? null : isoSecond(state.start),
    position: state.position === null ? null : isoSecond(state.position),
    committed_bytes: state.committedBytes,
    events: state.events,
    updated_at: new Date(state.updatedAt).toISOString(),
    recent: state.recent.map((r) => ({ second: isoSecond(r.second), ids: r.ids })),
  };
  return `${JSON.stringify(out, null, 1)}\n`;
}

/**
 * Reads a checkpoint file's text. Anything that is not one this program wrote is a
 * UsageError (exit 2): a damaged checkpoint is never silently reset, since starting over
 * would export everything again.
 */
export function parseCheckpoint(text: string, file: string): CheckpointState {
  const bad = (why: string): never => {
    throw new UsageError(
      `the checkpoint ${file} cannot be used: ${why}`,
      'restore it, or move it away to start a new export from --since',
    );
  };
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return bad(text.trim() === '' ? 'it is empty' : 'it is not JSON');
  }
  if (!raw || typeof raw !== 'object' || raw.format !== CHECKPOINT_FORMAT)
    return bad('it is not a kitsu-tail checkpoint');
  if (raw.version !== CHECKPOINT_VERSION)
    return bad(`it has version ${String(raw.version)}, this kitsu-tail reads ${CHECKPOINT_VERSION}`);
  const str = (key: string): string =>
    typeof raw[key] === 'string' ? (raw[key] as string) : bad(`"${key}" is missing`);
  const nullableStr = (key: string): string | null =>
    raw[key] === null ? null : typeof raw[key] === 'string' ? (raw[key] as string) : bad(`"${key}" is missing`);
  const second = (value: unknown, key: string): number => {
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    return Number.isFinite(ms) && ms % 1000 === 0 ? ms / 1000 : bad(`"${key}" is not a time in whole seconds`);
  };
  const nullableSecond = (key: string): number | null => (raw[key] === null ? null : second(raw[key], key));
  const count = (key: string): number =>
    Number.isSafeInteger(raw[key]) && (raw[key] as number) >= 0 ? (raw[key] as number) : bad(`"${key}" is not a count`);
  const log = str('log');
  if (log !== 'events' && log !== 'logins') return bad('"log" is neither events nor logins');
  if (!raw.query || typeof raw.query !== 'object') return bad('"query" is missing');
  if (!Array.isArray(raw.recent)) return bad('"recent" is missing');
  const recent = raw.recent.map((entry: unknown, i) => {
    const e = entry as { second?: unknown; ids?: unknown };
    if (!e || !Array.isArray(e.ids) || !e.ids.every((id) => typeof id === 'string'))
      return bad(`"recent[${i}]" is damaged`);
    return { second: second(e.second, `recent[${i}].second`), ids: e.ids as string[] };
  });
  const q = raw.query as Record<string, unknown>;
  const list = (key: string): string[] =>
    Array.isArray(q[key]) && (q[key] as unknown[]).every((v) => typeof v === 'string')
      ? (q[key] as string[])
      : bad(`"query.${key}" is damaged`);
  const updated = typeof raw.updated_at === 'string' ? Date.parse(raw.updated_at) : Number.NaN;
  return {
    host: str('host'),
    profile: str('profile'),
    userId: nullableStr('user_id'),
    log,
    query: describeQuery({
      include: list('include'),
      exclude: list('exclude'),
      onlyFiles: q.onlyFiles === true,
      projectIds: list('projects'),
      personIds: list('people'),
    }),
    output: nullableStr('output'),
    start: nullableSecond('start'),
    position: nullableSecond('position'),
    committedBytes: count('committed_bytes'),
    recent,
    events: count('events'),
    updatedAt: Number.isFinite(updated) ? updated : bad('"updated_at" is not a time'),
  };
}
