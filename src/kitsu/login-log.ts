/**
 * Reads the login log (`GET data/events/login-logs/last`, README.md beside this file, Event log): admin
 * only since 1.0.63, managers before. The same paging as the event log (log-pager.ts).
 */
import { capabilitiesOf } from '../core/capabilities.js';
import { loginRecordFromRow } from '../core/normalize.js';
import type { LoginRecord } from '../core/record.js';
import { toSecond } from '../core/seconds.js';
import type { LogQuery } from './event-log.js';
import {
  readWindowsOldestFirst,
  walkNewestFirst,
  type LogRoute,
  type LogWindowBatch,
  type PagerSettings,
  type ReadOptions,
} from './log-pager.js';
import type { Query, Session } from './types.js';

/** The time range and people of the event log's query; `personIds` match the one who logged in. */
export type LoginLogQuery = Pick<LogQuery, 'since' | 'until' | 'personIds'>;

const LOGIN_ROUTE: LogRoute<LoginRecord> = {
  path: 'data/events/login-logs/last',
  cursorParam: 'cursor_login_log_id',
  toRecord: loginRecordFromRow,
};

function settingsFor(session: Session, query: LoginLogQuery, options: ReadOptions): PagerSettings<LoginRecord> {
  // This route has always read `limit` and capped it at 1000 (README.md, Event log), whatever the version.
  const caps = { ...capabilitiesOf(session.serverVersion), pageParam: 'limit' as const, pageCapped: true };
  const params: Query = {};
  if (query.personIds?.length) params.person_ids = query.personIds;
  return { http: session.http, caps, route: LOGIN_ROUTE, params, ...options };
}

function matches(record: LoginRecord, query: LoginLogQuery): boolean {
  return !query.personIds?.length || (record.person_id !== null && query.personIds.includes(record.person_id));
}

/** The login log in windows, oldest first (see readLogWindows in event-log.ts). */
export async function* readLoginLogWindows(
  session: Session,
  query: LoginLogQuery,
  options: ReadOptions = {},
): AsyncGenerator<LogWindowBatch<LoginRecord>> {
  const settings = settingsFor(session, query, options);
  for await (const batch of readWindowsOldestFirst(settings, toSecond(query.since), toSecond(query.until))) {
    yield { ...batch, rows: batch.rows.filter((r) => matches(r, query)) };
  }
}

/** The login log newest first; streams. */
export async function* readLoginLogNewestFirst(
  session: Session,
  query: LoginLogQuery,
  options: ReadOptions = {},
): AsyncGenerator<LoginRecord> {
  const settings = settingsFor(session, query, options);
  for await (const page of walkNewestFirst(settings, toSecond(query.since), toSecond(query.until))) {
    for (const record of page.rows) if (matches(record, query)) yield record;
  }
}
