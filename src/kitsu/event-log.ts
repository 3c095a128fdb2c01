/**
 * Reads the stored event log (`GET data/events/last`, kitsu-protocol.md §3) oldest first or
 * newest first, whatever the server version, with nothing skipped or repeated and memory
 * bounded (see log-pager.ts for how).
 *
 * Every filter the server knows is sent to it, and every filter is applied here again:
 * servers before 1.0.63 silently ignore the prefix, suffix and person filters, and results
 * must be the same on old and new servers.
 */
import { capabilitiesOf, type ServerCapabilities } from '../core/capabilities.js';
import { recordFromLogRow } from '../core/normalize.js';
import { serverNameFilter, type EventFilter } from '../core/patterns.js';
import type { EventRecord } from '../core/record.js';
import {
  readWindowsOldestFirst,
  toSecond,
  walkNewestFirst,
  type ReadOptions,
  type LogRoute,
  type LogWindowBatch,
  type PagerSettings,
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
  personIds?: string[];
}

export type ReadLogOptions = ReadOptions;

const EVENT_ROUTE: LogRoute<EventRecord> = {
  path: 'data/events/last',
  cursorParam: 'cursor_event_id',
  toRecord: recordFromLogRow,
};

/** The filters of `query` that this server can apply, as query parameters. */
export function serverParams(query: LogQuery, caps: ServerCapabilities): Query {
  const params: Query = {};
  if (query.filter) Object.assign(params, serverNameFilter(query.filter, caps));
  // Exactly the string "true": the server ignores "True" (gazu's bug, kitsu-protocol.md §3.1).
  if (query.onlyFiles) params.only_files = 'true';
  // One project can be asked of the server; several are filtered here, which keeps the
  // server's own order within a second (merging streams could not).
  if (query.projectIds?.length === 1) params.project_id = query.projectIds[0];
  if (query.personIds?.length && caps.prefixSuffixPersonFilters) params.person_ids = query.personIds;
  return params;
}

/** Whether a record passes every filter of `query`: what the server may not have applied. */
export function matchesQuery(record: EventRecord, query: LogQuery): boolean {
  if (query.filter && !query.filter.matches(record.name)) return false;
  if (query.onlyFiles && !ONLY_FILES_EVENTS.includes(record.name)) return false;
  if (query.projectIds?.length && !(record.project_id !== null && query.projectIds.includes(record.project_id))) return false;
  if (query.personIds?.length && !(record.user_id !== null && query.personIds.includes(record.user_id))) return false;
  return true;
}

function settingsFor(session: Session, query: LogQuery, options: ReadLogOptions): PagerSettings<EventRecord> {
  const caps = capabilitiesOf(session.serverVersion);
  return {
    http: session.http,
    caps,
    route: EVENT_ROUTE,
    params: serverParams(query, caps),
    signal: options.signal,
    onPage: options.onPage,
    onWarning: options.onWarning,
  };
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
  for await (const batch of readWindowsOldestFirst(settings, toSecond(query.since), toSecond(query.until))) {
    yield { rows: batch.rows.filter((r) => matchesQuery(r, query)), readThrough: batch.readThrough };
  }
}

/** The log oldest first, source 'log', using the best paging the server offers. */
export async function* readLog(session: Session, query: LogQuery, options: ReadLogOptions = {}): AsyncGenerator<EventRecord> {
  for await (const batch of readLogWindows(session, query, options)) yield* batch.rows;
}

/** The log newest first, from `until` (or the newest row) back to `since`; streams, no buffering. */
export async function* readLogNewestFirst(
  session: Session,
  query: LogQuery,
  options: ReadLogOptions = {},
): AsyncGenerator<EventRecord> {
  const settings = settingsFor(session, query, options);
  for await (const page of walkNewestFirst(settings, toSecond(query.since), toSecond(query.until))) {
    for (const record of page.rows) if (matchesQuery(record, query)) yield record;
  }
}
