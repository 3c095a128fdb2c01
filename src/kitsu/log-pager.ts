/**
 * Paging of Zou's "last" log routes (`data/events/last`, `data/events/login-logs/last`),
 * which only answer newest first, with no tie-breaker, times truncated to whole seconds
 * (stored with microseconds), `before`/`after` exclusive and whole-second only
 * (README.md beside this file, Event log). Two primitives, used by event-log.ts and login-log.ts:
 *
 * - walkNewestFirst: every row of `[from, to)` newest first, in pages. With a cursor
 *   (1.0.4+) each page asks for rows strictly older than the last row, at full precision.
 *   Without one, the next page asks `before` = the oldest second seen + 1, so that second
 *   comes again whole and is handed on from the page that holds it whole. A page that holds
 *   nothing but that one second is asked again with a larger limit, which servers without a
 *   cursor allow (the 1000 cap came with 1.0.16, after the cursor), up to a bound.
 *   Either way a server that does not page (rows newer than asked, an id twice) is stopped
 *   with exit 6 rather than followed for ever.
 * - readWindowsOldestFirst: the same rows oldest first, as windows of whole seconds (see
 *   src/core/log-window.ts), so that memory holds one window, never the whole range.
 *
 * Times are whole seconds since the epoch. A window `[s, e)` asks `before=e` (exact, since
 * e is a whole second) and `after=s-1` (exclusive at full precision, so it lets through
 * the part of second s-1 after its first microsecond, which is then dropped here).
 */
import type { ServerCapabilities } from '../core/capabilities.js';
import { WindowPlanner } from '../core/log-window.js';
import { secondOf } from '../core/seconds.js';
import { toServerDate } from '../core/time.js';
import { ServerError } from '../errors.js';
import type { KitsuHttp, Query } from './types.js';

/** Rows a page: the server's cap since 1.0.16, and a good size before. */
export const PAGE_SIZE = 1000;
/** Rows a window should hold, and the most one may hold before it is planned narrower. */
const WINDOW_TARGET_ROWS = 5 * PAGE_SIZE;
const WINDOW_BUDGET_ROWS = 10 * PAGE_SIZE;
const WINDOW_MAX_GROWTH = 8;
/** How much larger each retry of a second that fills a page asks (servers without a cursor). */
const DENSE_SECOND_GROWTH = 4;
/**
 * The most rows one second may hold: a second is read whole (it cannot be split), so this
 * bounds the memory of one read against a broken server. Zou writes one row per event, one by
 * one: far fewer a second.
 */
const MAX_ROWS_IN_ONE_SECOND = 100 * PAGE_SIZE;

export interface LogRow {
  /** Always set for a row from the log (null only in the live records that share the type). */
  id: string | null;
  /** ISO 8601 UTC with `Z`, whole seconds, as the server truncated it. */
  created_at: string;
}

export interface LogRoute<R extends LogRow> {
  /** Relative to the API root. */
  path: string;
  /** `cursor_event_id` or `cursor_login_log_id`. */
  cursorParam: string;
  toRecord(row: unknown): R;
}

/** What a caller of the log readers may pass (event-log.ts and login-log.ts). */
export interface ReadOptions {
  signal?: AbortSignal;
  /** Called after each page with the number of rows it held (before client-side filtering). */
  onPage?: (rows: number) => void;
  /** Something the user must know, such as rows this server cannot give. Default: ignored. */
  onWarning?: (message: string) => void;
  /**
   * The most rows the caller will take, when it knows (`logs --limit 10`): the reader may ask
   * for pages that small instead of the server's largest, when no row it reads is dropped.
   */
  wanted?: number;
}

export interface PagerSettings<R extends LogRow> extends ReadOptions {
  http: KitsuHttp;
  caps: ServerCapabilities;
  route: LogRoute<R>;
  /** Filters the server applies (it may ignore some: the caller filters again). */
  params: Query;
  pageSize?: number;
  /** Notes the server's clock of every answer (readWindowsOldestFirst makes its own). */
  serverClock?: ServerClock;
}

/**
 * The server's clock as its answers showed it (their Date header), in whole seconds: the
 * furthest an export may say it has read. A `--until` in the future, or our own clock, is not
 * something the server has shown: rows may still come before it.
 */
export class ServerClock {
  private latest: number | null = null;

  /** An answer's Date, ms since the epoch. The latest one counts, even if it went back. */
  note(ms: number): void {
    this.latest = Math.floor(ms / 1000);
  }

  /** Whole seconds since the epoch, or null when no answer carried a Date. */
  get second(): number | null {
    return this.latest;
  }
}

export interface Page<R> {
  /** New rows of the page within the bounds, newest first. */
  rows: R[];
  /** False when this was the last page. */
  more: boolean;
}

const serverDate = (second: number): string => toServerDate(new Date(second * 1000));

async function fetchRows<R extends LogRow>(
  settings: PagerSettings<R>,
  request: { before?: number; after?: number; cursor?: string; limit: number },
): Promise<R[]> {
  const query: Query = { ...settings.params, [settings.caps.pageParam]: request.limit };
  if (request.before !== undefined) query.before = serverDate(request.before);
  if (request.after !== undefined) query.after = serverDate(request.after);
  if (request.cursor !== undefined) query[settings.route.cursorParam] = request.cursor;
  const clock = settings.serverClock;
  const body = await settings.http.get<unknown>(settings.route.path, query, {
    ...(settings.signal ? { signal: settings.signal } : {}),
    ...(clock ? { onServerTime: (ms: number) => clock.note(ms) } : {}),
  });
  if (!Array.isArray(body)) {
    throw new ServerError(
      `the server answered ${settings.route.path} with something other than a list of rows`,
      'check that the host is the Kitsu API and not a proxy page or another site',
    );
  }
  settings.onPage?.(body.length);
  return body.map((row) => settings.route.toRecord(row));
}

/**
 * Every row with `from <= second < to` (either bound may be absent), newest first, a page at
 * a time, each row once.
 */
export async function* walkNewestFirst<R extends LogRow>(
  settings: PagerSettings<R>,
  from: number | undefined,
  to: number | undefined,
): AsyncGenerator<Page<R>> {
  const pageSize = settings.pageSize ?? PAGE_SIZE;
  const after = from !== undefined && from > 0 ? from - 1 : undefined;
  /** Keeps the rows inside the bounds; tells whether the page reached below `from`. */
  const within = (page: R[]): { rows: R[]; passed: boolean } => {
    // Newest first: when the oldest row is inside, they all are.
    if (from === undefined || page.length === 0 || secondOf(page[page.length - 1]!) >= from)
      return { rows: page, passed: false };
    const cut = page.findIndex((row) => secondOf(row) < from);
    return cut === -1 ? { rows: page, passed: false } : { rows: page.slice(0, cut), passed: true };
  };

  /** Stops a server that does not page (issue 8): a walk must go back in time, each row once. */
  const notPaging = (what: string): ServerError =>
    new ServerError(
      `the server does not page ${settings.route.path}: ${what}`,
      settings.caps.cursor
        ? `it may ignore ${settings.route.cursorParam}, which its version (${settings.caps.version}) has; tell the Kitsu admin`
        : 'tell the Kitsu admin',
    );
  /** Checks that `page` is newest first and older than `before` (a whole second, exclusive). */
  const checkOrder = (page: R[], before: number | undefined): void => {
    page.forEach((row, i) => {
      const second = secondOf(row);
      if (before !== undefined && second >= before) {
        throw notPaging(`asked for rows before ${serverDate(before)}Z, it answered ${row.id} of ${row.created_at}`);
      }
      if (i > 0 && second > secondOf(page[i - 1]!)) throw notPaging('a page was not newest first');
    });
  };

  if (settings.caps.cursor) {
    let cursor: R | undefined;
    // The ids given in the oldest second so far: the next page may hold more of that second
    // (rows of its exact microsecond aside), never these again.
    let edgeSecond: number | undefined;
    let edgeIds = new Set<string>();
    for (;;) {
      const page = await fetchRows(settings, { before: to, after, cursor: cursor?.id ?? undefined, limit: pageSize });
      checkOrder(page, to);
      for (const row of page) {
        const second = secondOf(row);
        if (cursor !== undefined && second > secondOf(cursor)) {
          throw notPaging(
            `asked for rows older than ${cursor.id} (${cursor.created_at}), it answered ${row.id} of ${row.created_at}`,
          );
        }
        if (second !== edgeSecond) {
          edgeSecond = second;
          edgeIds = new Set();
        }
        if (edgeIds.has(row.id!)) throw notPaging(`it answered ${row.id} twice in one walk`);
        edgeIds.add(row.id!);
      }
      const { rows, passed } = within(page);
      const more = !passed && page.length >= pageSize;
      yield { rows, more };
      if (!more) return;
      cursor = page[page.length - 1]!;
    }
  }

  // No cursor: the next page asks `before` = the oldest second of this one + 1, so that
  // second, maybe cut by the limit, comes again whole. Its rows are handed on only from the
  // page that holds it whole: a second asked for again (with a larger limit, when it alone
  // fills a page) may have gained rows in between, which must come in the server's order
  // among the rest of it, not after the rows already handed on.
  const secondBound = MAX_ROWS_IN_ONE_SECOND * (pageSize / PAGE_SIZE);
  let before = to;
  let limit = pageSize;
  for (;;) {
    const page = await fetchRows(settings, { before, after, limit });
    checkOrder(page, before);
    // Each second is handed on from one page: an id twice in it would be handed on twice.
    const ids = new Set(page.map((row) => row.id));
    if (ids.size < page.length) throw notPaging('it answered an id twice in one page');
    const { rows: inside, passed } = within(page);
    const more = !passed && page.length >= limit;
    if (!more) {
      yield { rows: inside, more: false };
      return;
    }
    const oldest = secondOf(page[page.length - 1]!);
    const whole = inside.filter((row) => secondOf(row) > oldest);
    if (whole.length > 0) {
      before = oldest + 1;
      limit = pageSize;
      yield { rows: whole, more: true };
    } else if (settings.caps.pageCapped) {
      // One second fills a capped page and there is no cursor to page inside it: no request
      // can reach the rest of that second. The version table has no such server, but a
      // patched one could be; say so rather than lose rows silently.
      settings.onWarning?.(
        `the server caps pages at ${page.length} rows and has no cursor paging (version ${settings.caps.version}): ` +
          `rows of ${serverDate(oldest)}Z beyond those ${page.length} cannot be read`,
      );
      before = oldest;
      limit = pageSize;
      yield { rows: inside, more: true };
    } else {
      // The whole page is one second: ask for it again with room for more of it.
      if (limit >= secondBound) throw tooManyInOneSecond(settings, oldest, limit);
      before = oldest + 1;
      limit = Math.min(limit * DENSE_SECOND_GROWTH, secondBound);
      yield { rows: [], more: true };
    }
  }
}

/** A second holds more rows than one read may hold in memory. */
function tooManyInOneSecond<R extends LogRow>(settings: PagerSettings<R>, second: number, rows: number): ServerError {
  return new ServerError(
    `the server holds more than ${rows} rows of ${settings.route.path} in the one second ${serverDate(second)}Z, ` +
      'more than kitsu-tail reads at once (a second is read whole)',
    'this is not a Kitsu that writes events one by one; tell the Kitsu admin, or read a range that leaves that second out',
  );
}

export interface LogWindowBatch<R> {
  /** The window's rows, oldest first. */
  rows: R[];
  /** The window's end (exclusive): the rows of the seconds before it were asked for. */
  end: number;
  /**
   * Every row before this second has now been given. Never past what the server has shown:
   * the window's end, its clock (the answers' Date), or without a Date the second after the
   * newest row seen, whichever is earliest; rows the window gave may be newer than it.
   */
  readThrough: number;
}

/**
 * Every row of `[from, to)` oldest first, a window at a time. When `to` is absent, the range
 * ends after the second of the newest row there is now (read first), so that the run ends
 * where the server's clock was, whatever ours says.
 */
export async function* readWindowsOldestFirst<R extends LogRow>(
  given: PagerSettings<R>,
  from: number | undefined,
  to: number | undefined,
): AsyncGenerator<LogWindowBatch<R>> {
  const clock = given.serverClock ?? new ServerClock();
  const settings: PagerSettings<R> = { ...given, serverClock: clock };
  const pageSize = settings.pageSize ?? PAGE_SIZE;
  /** Without a Date header: how far the rows themselves show the log (nothing past `from`). */
  let rowsShowThrough = from ?? 0;
  const shownThrough = (windowEnd: number): number => Math.min(windowEnd, clock.second ?? rowsShowThrough);
  let end = to;
  if (end === undefined) {
    const newest = await newestSecond(settings, from);
    if (newest === null) return;
    end = newest + 1;
    rowsShowThrough = end;
  }
  const start = from ?? 0;
  if (start >= end) return;
  const budget = WINDOW_BUDGET_ROWS * (pageSize / PAGE_SIZE);
  const secondBound = MAX_ROWS_IN_ONE_SECOND * (pageSize / PAGE_SIZE);
  const planner = new WindowPlanner(start, end, {
    targetRows: WINDOW_TARGET_ROWS * (pageSize / PAGE_SIZE),
    maxGrowth: WINDOW_MAX_GROWTH,
  });
  for (let window = planner.next(); window; window = planner.next()) {
    const width = window.end - window.start;
    const rows: R[] = [];
    let overflow = false;
    let pages = 0;
    for await (const page of walkNewestFirst(settings, window.start, window.end)) {
      for (const row of page.rows) rows.push(row);
      pages += 1;
      const oldest = rows[rows.length - 1];
      if (width <= 1 && rows.length > secondBound) throw tooManyInOneSecond(settings, window.start, secondBound);
      if (!page.more || width <= 1 || !oldest) continue;
      // A full first page samples the density: give up at once when the window cannot fit.
      const expected = pages === 1 ? (rows.length * width) / Math.max(1, window.end - secondOf(oldest)) : rows.length;
      if (expected > budget || rows.length > budget) {
        overflow = true;
        break;
      }
    }
    if (overflow) {
      planner.overflowed(window, rows.length, secondOf(rows[rows.length - 1]!));
      continue;
    }
    planner.completed(window, rows.length, rows.length > 0 ? secondOf(rows[rows.length - 1]!) : null);
    if (rows.length > 0) rowsShowThrough = Math.max(rowsShowThrough, secondOf(rows[0]!) + 1);
    rows.reverse();
    yield { rows, end: window.end, readThrough: shownThrough(window.end) };
  }
}

/** The second of the newest row at or after `from`, or null when there is none. */
export async function newestSecond<R extends LogRow>(
  settings: PagerSettings<R>,
  from: number | undefined,
): Promise<number | null> {
  const rows = await fetchRows(settings, { after: from !== undefined && from > 0 ? from - 1 : undefined, limit: 1 });
  const newest = rows[0];
  if (!newest) return null;
  const second = secondOf(newest);
  return from !== undefined && second < from ? null : second;
}

/** The server's clock now (the Date of an answer from the API root), whole seconds; null without one. */
export async function serverSecond(http: KitsuHttp, signal?: AbortSignal): Promise<number | null> {
  const clock = new ServerClock();
  await http.get<unknown>('', undefined, { ...(signal ? { signal } : {}), onServerTime: (ms) => clock.note(ms) });
  return clock.second;
}
