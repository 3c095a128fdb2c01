/**
 * Turns what the server sends into the one record of src/README.md, with its key order
 * (id, name, created_at, user_id, project_id, data, source). Strict about log rows: a page
 * that does not hold events means the host is not a Kitsu API (a proxy page, another site),
 * and printing half-guessed records would hide that.
 */
import { ServerError } from '../errors.js';
import type { EventRecord, LoginRecord } from './record.js';
import { fromServerDate, toServerDate } from './time.js';

type Plain = Record<string, unknown>;

const NOT_KITSU_HINT = 'check that the host is the Kitsu API and not a proxy page or another site';

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function badRow(what: string, problem: string): ServerError {
  return new ServerError(`the server sent ${what} that Kitsu would not send: ${problem}`, NOT_KITSU_HINT);
}

function requiredString(row: Plain, key: string, what: string): string {
  const value = row[key];
  if (typeof value !== 'string' || value === '') {
    const problem = value === undefined ? 'missing' : value === '' ? 'empty' : describe(value);
    throw badRow(what, `its "${key}" is ${problem}`);
  }
  return value;
}

function optionalId(row: Plain, key: string, what: string): string | null {
  const value = row[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw badRow(what, `its "${key}" is ${describe(value)}`);
  return value;
}

/** What Kitsu sends: naive UTC, whole seconds. */
const NAIVE_UTC_SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** `2026-08-20T12:34:56` (naive UTC, whole seconds) → `2026-08-20T12:34:56Z`. */
function logDate(text: string): string {
  // Every row goes through here: the usual form only needs checking, not a round trip
  // through Date (which cost a tenth of `logs --all`). Date.parse rolls February 30 and
  // 24:00 over into the next day, so the day must come back the same.
  if (NAIVE_UTC_SECOND.test(text)) {
    const ms = Date.parse(`${text}Z`);
    if (ms >= 0 && new Date(ms).getUTCDate() === Number(text.slice(8, 10))) return `${text}Z`;
  }
  // Anything else (microseconds, an explicit zone, a date alone, or no date at all) is
  // normalised, or refused, by the one reader of server dates.
  return `${toServerDate(fromServerDate(text))}Z`;
}

/** A row of `data/events/last` → a record with source 'log'. Throws ServerError for anything else. */
export function recordFromLogRow(row: unknown): EventRecord {
  const what = 'an event-log row';
  if (!isPlainObject(row)) throw badRow(what, `it is ${describe(row)}`);
  const id = requiredString(row, 'id', what);
  const name = requiredString(row, 'name', what);
  const created_at = logDate(requiredString(row, 'created_at', what));
  const user_id = optionalId(row, 'user_id', what);
  const rawData = row.data;
  if (rawData !== undefined && rawData !== null && !isPlainObject(rawData)) {
    throw badRow(what, `its "data" is ${describe(rawData)}`);
  }
  const data: Plain = rawData ?? {};
  // Servers before 1.0.63 leave project_id out of the row, but emit() always put it in data.
  const project_id =
    optionalId(row, 'project_id', what) ?? (typeof data.project_id === 'string' ? data.project_id : null);
  return { id, name, created_at, user_id, project_id, data, source: 'log' };
}

// The time of receipt as ISO text, for every live event: consecutive events share the second
// (often the millisecond), so its text is built once a second instead of through a Date each.
let lastMs = Number.NaN;
let lastIso = '';
let lastSecond = Number.NaN;
let secondPrefix = '';
/** Years 0000-9999 have a fixed-width ISO form; the rest take the long way. */
const FIXED_WIDTH_UNTIL_MS = 253_402_300_800_000;

/** `new Date(ms).toISOString()`, cheaper when called again within the same second. */
export function isoOfReceipt(ms: number): string {
  if (ms === lastMs) return lastIso;
  if (!(ms >= 0 && ms < FIXED_WIDTH_UNTIL_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  lastMs = ms;
  lastIso = `${secondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  return lastIso;
}

/**
 * A live event → a record with source 'live'. The socket carries only the name and the flat
 * payload: no id, no author, no time, so created_at is the time of receipt (with ms).
 */
export function recordFromLive(name: string, payload: unknown, receivedAtMs: number): EventRecord {
  // Zou always sends one flat dict; keep anything else rather than lose it.
  const data: Plain = isPlainObject(payload)
    ? payload
    : payload === undefined || payload === null
      ? {}
      : { value: payload };
  return {
    id: null,
    name,
    created_at: isoOfReceipt(receivedAtMs),
    user_id: null,
    project_id: typeof data.project_id === 'string' ? data.project_id : null,
    data,
    source: 'live',
  };
}

/** A row of `data/events/login-logs/last` → a LoginRecord. Throws ServerError for anything else. */
export function loginRecordFromRow(row: unknown): LoginRecord {
  const what = 'a login-log row';
  if (!isPlainObject(row)) throw badRow(what, `it is ${describe(row)}`);
  return {
    id: requiredString(row, 'id', what),
    created_at: logDate(requiredString(row, 'created_at', what)),
    person_id: optionalId(row, 'person_id', what),
    ip_address: optionalId(row, 'ip_address', what),
    origin: optionalId(row, 'origin', what),
  };
}
