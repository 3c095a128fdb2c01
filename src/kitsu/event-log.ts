/**
 * Reads the stored event log (`GET data/events/last`, README.md beside this file, Event log) oldest first or
 * newest first, whatever the server version, with nothing skipped or repeated and memory
 * bounded (see log-pager.ts for how).
 *
 * Every filter the server knows is sent to it, and every filter is applied here again:
 * servers before 1.0.63 silently ignore the prefix, suffix and person filters, and results
 * must be the same on old and new servers.
 *
 * A project means the record's project_id: the row's column, else `data.project_id`. Zou's
 * `project_id` filter compares the column, which holds only the project_id argument given to
 * emit(), and `project:*` events (new, update, delete, set-thumbnail) are emitted without
 * one, their data naming the project (crud/base.py, crud/project.py): that filter never
 * returns them. So when one project is asked of the server and the patterns admit
 * `project:*`, that project's own `project:*` rows are read alongside, restricted to those
 * names (1.0.63+), and put in their place by time; a second that holds other rows too is read
 * again whole without the project filter, for the server's order within it. Before 1.0.63 no
 * read can be so restricted, and such a project is filtered here only, as several always are.
 */
import { capabilitiesOf, type ServerCapabilities } from '../core/capabilities.js';
import { recordFromLogRow } from '../core/normalize.js';
import { admitsObject, serverNameFilter, type EventFilter } from '../core/patterns.js';
import { actedByOneOf, isAboutOneOf } from '../core/person-filter.js';
import type { EventRecord } from '../core/record.js';
import { secondOf, toSecond } from '../core/seconds.js';
import {
  newestSecond,
  readWindowsOldestFirst,
  walkNewestFirst,
  type ReadOptions,
  type LogRoute,
  type LogWindowBatch,
  type PagerSettings,
  PAGE_SIZE,
} from './log-pager.js';
import type { Query, Session } from './types.js';

/** What `only_files=true` keeps on the server; the client keeps the same on old servers. */
export const ONLY_FILES_EVENTS: readonly string[] = [
  'preview-file:add-file',
  'organisation:set-thumbnail',
  'person:set-thumbnail',
  'project:set-thumbnail',
];

export interface LogQuery {
  /** Inclusive, from the start of that second. */
  since?: Date;
  /** Exclusive (a fraction of a second is dropped). */
  until?: Date;
  filter?: EventFilter;
  onlyFiles?: boolean;
  projectIds?: string[];
  /** --by: who acted (the row's user_id); the server filters it from 1.0.63 (person_ids). */
  personIds?: string[];
  /** --about: who the event is about (data.person_id); no server filters it, so only here. */
  aboutIds?: string[];
}

export type ReadLogOptions = ReadOptions;

const EVENT_ROUTE: LogRoute<EventRecord> = {
  path: 'data/events/last',
  cursorParam: 'cursor_event_id',
  toRecord: recordFromLogRow,
};

/** Whether the one project of `query` has rows that a `project_id` filter misses (see above). */
function wantsOwnProjectRows(query: LogQuery): boolean {
  return query.projectIds?.length === 1 && (!query.filter || admitsObject(query.filter, 'project'));
}

/** The filters of `query` that this server can apply, as query parameters. */
export function serverParams(query: LogQuery, caps: ServerCapabilities): Query {
  const params: Query = {};
  if (query.filter) Object.assign(params, serverNameFilter(query.filter, caps));
  // Exactly the string "true": the server ignores "True" (gazu's bug, README.md, Event log).
  if (query.onlyFiles) params.only_files = 'true';
  // One project can be asked of the server (its own project:* rows aside, see above); several
  // are filtered here, which keeps the server's own order within a second.
  if (query.projectIds?.length === 1 && (caps.prefixSuffixPersonFilters || !wantsOwnProjectRows(query))) {
    params.project_id = query.projectIds[0];
  }
  if (query.personIds?.length && caps.prefixSuffixPersonFilters) params.person_ids = query.personIds;
  return params;
}

/** Whether a record passes every filter of `query`: what the server may not have applied. */
export function matchesQuery(record: EventRecord, query: LogQuery): boolean {
  if (query.filter && !query.filter.matches(record.name)) return false;
  if (query.onlyFiles && !ONLY_FILES_EVENTS.includes(record.name)) return false;
  if (query.projectIds?.length && !(record.project_id !== null && query.projectIds.includes(record.project_id)))
    return false;
  if (query.personIds?.length && !actedByOneOf(record, query.personIds)) return false;
  if (query.aboutIds?.length && !isAboutOneOf(record, new Set(query.aboutIds))) return false;
  return true;
}

/**
 * Whether every row the server returns for `query` is kept: no filter the client applies
 * after the server, and no `since`, whose second before is read and dropped (see readWindows).
 */
function keepsEveryRow(query: LogQuery): boolean {
  const patterns = query.filter ? query.filter.include.length + query.filter.exclude.length : 0;
  return (
    patterns === 0 &&
    !query.onlyFiles &&
    !query.projectIds?.length &&
    !query.personIds?.length &&
    !query.aboutIds?.length &&
    !query.since
  );
}

function settingsFor(session: Session, query: LogQuery, options: ReadLogOptions): PagerSettings<EventRecord> {
  const caps = capabilitiesOf(session.serverVersion);
  // `logs --limit 1` asks for one row, not a thousand; with filters a small page could hold
  // no match and cost a request per row, so pages stay full-size then.
  const small =
    options.wanted !== undefined && keepsEveryRow(query) ? Math.min(Math.max(1, options.wanted), PAGE_SIZE) : undefined;
  return {
    http: session.http,
    caps,
    route: EVENT_ROUTE,
    params: serverParams(query, caps),
    signal: options.signal,
    onPage: options.onPage,
    onWarning: options.onWarning,
    ...(small !== undefined ? { pageSize: small } : {}),
  };
}

/** The rows of `pages` that pass every filter of `query`. */
async function* matching(pages: AsyncIterable<{ rows: EventRecord[] }>, query: LogQuery): AsyncGenerator<EventRecord> {
  for await (const page of pages) {
    for (const record of page.rows) if (matchesQuery(record, query)) yield record;
  }
}

/**
 * How to read the project's own `project:*` rows, which the server's project filter misses:
 * `find` gives them (among other projects' ones), `wide` is the main read without the project.
 */
interface OwnProjectReads {
  find: PagerSettings<EventRecord>;
  wide: PagerSettings<EventRecord>;
}

function ownProjectReads(settings: PagerSettings<EventRecord>, query: LogQuery): OwnProjectReads | undefined {
  if (settings.params.project_id === undefined || !wantsOwnProjectRows(query)) return undefined;
  const { project_id: _project, ...wide } = settings.params;
  // Zou ANDs name, prefixes and suffixes; prefixes, when set, already include `project`.
  return {
    find: { ...settings, params: { ...wide, name_prefixes: ['project'] } },
    wide: { ...settings, params: wide },
  };
}

/** `records` (in either order) a second at a time. */
async function* bySecond(records: AsyncIterable<EventRecord>): AsyncGenerator<EventRecord[]> {
  let group: EventRecord[] = [];
  for await (const record of records) {
    if (group.length > 0 && secondOf(group[0]!) !== secondOf(record)) {
      yield group;
      group = [];
    }
    group.push(record);
  }
  if (group.length > 0) yield group;
}

/**
 * `rows` (matching, newest first) with the project's own `project:*` rows `own` (newest first,
 * a second at a time) put in their place. A second that holds both is read again whole
 * without the project filter, since only the server knows their order within it.
 */
async function* withOwnProjectRows(
  rows: AsyncIterable<EventRecord> | Iterable<EventRecord>,
  own: AsyncIterator<EventRecord[]> | Iterator<EventRecord[]>,
  reads: OwnProjectReads,
  query: LogQuery,
): AsyncGenerator<EventRecord> {
  let shared: number | undefined;
  let next = await own.next();
  for await (const row of rows) {
    const second = secondOf(row);
    for (; !next.done && secondOf(next.value[0]!) >= second; next = await own.next()) {
      const ownSecond = secondOf(next.value[0]!);
      if (ownSecond > second) {
        yield* next.value;
      } else {
        yield* matching(walkNewestFirst(reads.wide, ownSecond, ownSecond + 1), query);
        shared = ownSecond;
      }
    }
    if (second !== shared) yield row;
  }
  for (; !next.done; next = await own.next()) yield* next.value;
}

/**
 * The log in windows, oldest first: each batch holds the matching rows of one window and
 * the second up to which everything has been read (what a checkpoint records). Batches may
 * be empty. When `query.until` is absent, reading ends after the newest row there is now.
 */
export async function* readLogWindows(
  session: Session,
  query: LogQuery,
  options: ReadLogOptions = {},
): AsyncGenerator<LogWindowBatch<EventRecord>> {
  const settings = settingsFor(session, query, options);
  const own = ownProjectReads(settings, query);
  if (!own) {
    for await (const batch of readWindowsOldestFirst(settings, toSecond(query.since), toSecond(query.until))) {
      yield { ...batch, rows: batch.rows.filter((r) => matchesQuery(r, query)) };
    }
    return;
  }
  const from = toSecond(query.since);
  let to = toSecond(query.until);
  if (to === undefined) {
    // The newest row may be one that the project filter misses.
    const newest = [await newestSecond(settings, from), await newestSecond(own.find, from)].filter((s) => s !== null);
    if (newest.length === 0) return;
    to = Math.max(...newest) + 1;
  }
  // The project's own rows, oldest first, read alongside in windows of their own.
  const ownRows = bySecond(matching(readWindowsOldestFirst(own.find, from, to), query));
  try {
    let pending = await ownRows.next();
    for await (const batch of readWindowsOldestFirst(settings, from, to)) {
      const inWindow: EventRecord[][] = [];
      for (; !pending.done && secondOf(pending.value[0]!) < batch.end; pending = await ownRows.next()) {
        inWindow.unshift(pending.value.reverse());
      }
      const rows = batch.rows.filter((r) => matchesQuery(r, query)).reverse();
      const merged: EventRecord[] = [];
      for await (const record of withOwnProjectRows(rows, inWindow.values(), own, query)) merged.push(record);
      yield { ...batch, rows: merged.reverse() };
    }
  } finally {
    await ownRows.return(undefined);
  }
}

/** The log oldest first, source 'log', using the best paging the server offers. */
export async function* readLog(
  session: Session,
  query: LogQuery,
  options: ReadLogOptions = {},
): AsyncGenerator<EventRecord> {
  for await (const batch of readLogWindows(session, query, options)) yield* batch.rows;
}

/** The log newest first, from `until` (or the newest row) back to `since`; streams, no buffering. */
export async function* readLogNewestFirst(
  session: Session,
  query: LogQuery,
  options: ReadLogOptions = {},
): AsyncGenerator<EventRecord> {
  const settings = settingsFor(session, query, options);
  const from = toSecond(query.since);
  const to = toSecond(query.until);
  const rows = matching(walkNewestFirst(settings, from, to), query);
  const own = ownProjectReads(settings, query);
  if (!own) {
    yield* rows;
    return;
  }
  const ownRows = bySecond(matching(walkNewestFirst(own.find, from, to), query));
  try {
    yield* withOwnProjectRows(rows, ownRows, own, query);
  } finally {
    await ownRows.return(undefined);
  }
}
