/**
 * Times as users type them (`--since 2h`, `--until 18:00`) and as the server wants them.
 *
 * "Local time" is a TimeZone value passed in, so that this module stays pure and tests can
 * pin any zone, DST included, without touching the process. Commands use `systemTimeZone`,
 * which is the JavaScript runtime's own local zone (the TZ variable or the system setting),
 * exactly what `date` on the same machine would show.
 */
import { ServerError, UsageError } from '../errors.js';
import { parseNaturalTime } from './natural-time.js';

/** Maps an instant to its offset from UTC in that zone (minutes east of UTC: Paris in winter = 60). */
export interface TimeZone {
  offsetAt(utcMs: number): number;
}

export const systemTimeZone: TimeZone = {
  // getTimezoneOffset is minutes *west* of UTC; `|| 0` turns -0 into 0.
  offsetAt: (utcMs) => -new Date(utcMs).getTimezoneOffset() || 0,
};

export const utcTimeZone: TimeZone = { offsetAt: () => 0 };

/** A zone with no daylight saving: `fixedOffsetZone(-300)` is UTC-05:00. */
export function fixedOffsetZone(minutes: number): TimeZone {
  return { offsetAt: () => minutes };
}

/** An IANA zone such as `Europe/Paris`, through Intl (whose data ships with Node). */
export function namedTimeZone(name: string): TimeZone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return {
    offsetAt(utcMs) {
      const parts: Record<string, number> = {};
      for (const part of format.formatToParts(utcMs)) parts[part.type] = Number(part.value);
      const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
      return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60_000);
    },
  };
}

/** The calendar fields of an instant in a zone (month 1–12). */
export interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function toLocalFields(utcMs: number, zone: TimeZone): LocalFields {
  const d = new Date(utcMs + zone.offsetAt(utcMs) * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * The instant at which the zone's clocks show these fields. A wall time skipped by a
 * daylight-saving jump lands just after the jump, as JavaScript's own Date does.
 */
export function fromLocalFields(f: LocalFields, zone: TimeZone, ms = 0): number {
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, ms);
  const first = asUtc - zone.offsetAt(asUtc) * 60_000;
  return asUtc - zone.offsetAt(first) * 60_000;
}

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['w', 'd', 'h', 'm', 's', 'ms'];

/**
 * `90s`, `15m`, `2h`, `3d`, `1w`, `1h30m`, `1.5h`, `500ms` → milliseconds; null for anything
 * else. Units go from largest to smallest, each at most once, lower case only (`M` could be
 * read as months).
 */
export function parseDuration(text: string): number | null {
  const component = /(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/y;
  let total = 0;
  let lastRank = -1;
  let at = 0;
  while (at < text.length) {
    component.lastIndex = at;
    const match = component.exec(text);
    if (!match) return null;
    const rank = UNIT_ORDER.indexOf(match[2] as Unit);
    if (rank <= lastRank) return null;
    lastRank = rank;
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
    at = component.lastIndex;
  }
  return lastRank === -1 || !Number.isFinite(total) ? null : Math.round(total);
}

export interface ParseTimeOptions {
  /** Local time for inputs without a zone; default: the runtime's own. */
  zone?: TimeZone;
  /** Durations count forward from now (`--until 2h` in `listen`) instead of back. */
  future?: boolean;
}

// Shown inside parentheses after the message (see formatError in src/cli.ts): no parentheses here.
const TIME_EXAMPLES =
  "use a duration ago such as 90s, 15m, 2h, 1h30m, 3d or 1w; in 2h or +2h for a time ahead; now, today or yesterday; a date such as 2026-11-29; a local time such as 08:00 or 2026-11-29T08:00; ISO 8601 with a zone such as 2026-11-29T08:00:00Z; or words such as 'yesterday 17:00', 'last monday' or '3 days ago'";

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
// Year 1970 to 9999: what the server's YYYY-MM-DDTHH:MM:SS can say and a log can hold.
const MIN_MS = 0;
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * A time given on the command line: a duration ago (`2h`, `2h ago`, `-2h`), a duration
 * ahead (`in 2h`, `+2h`; or any duration with `future`), `now`,
 * `today`, `yesterday`, ISO 8601 with a zone, ISO 8601 without one (local time), a date
 * (local midnight) or `HH:MM[:SS]` (today, local); failing those, the forgiving English forms
 * of natural-time.ts (`yesterday 17:00`, `last monday`, `in 2 hours`). Anything else is a
 * UsageError (exit 2) naming the flag and showing the accepted forms.
 */
export function parseTime(text: string, nowMs: number, flag: string, options: ParseTimeOptions = {}): Date {
  const zone = options.zone ?? systemTimeZone;
  const input = text.trim();
  const fail = (problem: string): never => {
    throw new UsageError(`${flag}: ${problem}`, TIME_EXAMPLES);
  };
  const checked = (ms: number): Date => {
    if (!(ms >= MIN_MS && ms <= MAX_MS)) fail(`'${text}' is outside the years 1970 to 9999`);
    return new Date(ms);
  };
  const today = toLocalFields(nowMs, zone);
  const midnight = (dayOffset: number): LocalFields => {
    // Date.UTC normalises day overflow, so yesterday of the 1st is the last of the month before.
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day + dayOffset));
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0, second: 0 };
  };

  const lower = input.toLowerCase();
  if (lower === 'now') return checked(nowMs);
  if (lower === 'today') return checked(fromLocalFields(midnight(0), zone));
  if (lower === 'yesterday') return checked(fromLocalFields(midnight(-1), zone));

  // One meaning everywhere: a bare duration is the past (`2h` = two hours ago). The future is
  // written as such: `in 2h` or `+2h` (listen --until); `2h ago` and `-2h` read as `2h`.
  const ahead = /^(?:in\s+|\+)(\S+)$/i.exec(input);
  if (ahead) {
    const forward = parseDuration(ahead[1]!);
    if (forward !== null) return checked(nowMs + forward);
  }
  const back = /^(?:-(\S+)|(\S+)\s+ago)$/i.exec(input);
  const duration = parseDuration(back ? (back[1] ?? back[2])! : input);
  if (duration !== null) return checked(options.future ? nowMs + duration : nowMs - duration);

  const clock = CLOCK.exec(input);
  if (clock) {
    const fields = { ...today, hour: Number(clock[1]), minute: Number(clock[2]), second: Number(clock[3] ?? 0) };
    const problem = clockProblem(fields);
    if (problem) fail(`'${text}' ${problem}`);
    return checked(fromLocalFields(fields, zone));
  }

  const iso = ISO.exec(input);
  if (!iso) {
    const natural = input === '' ? null : parseNaturalTime(lower, nowMs, zone.offsetAt(nowMs), options.future);
    if (!natural) return fail(`cannot read '${text}' as a time`);
    if ('instantMs' in natural) return checked(natural.instantMs);
    return checked(fromLocalFields(toLocalFields(natural.wallMs, utcTimeZone), zone, natural.wallMs % 1000));
  }
  const { fields, ms } = dateTimeOf(iso);
  const problem = dateProblem(fields) ?? clockProblem(fields);
  if (problem) fail(`'${text}' ${problem}`);
  const zoneText = iso[8];
  if (!zoneText) return checked(fromLocalFields(fields, zone, ms));
  const offset = parseOffset(zoneText);
  if (offset === null) return fail(`'${text}' has a zone offset beyond ±14:00`);
  const wall = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second, ms);
  return checked(wall - offset * 60_000);
}

/** Fields and milliseconds from a match of ISO or SERVER_DATE (groups 1–6, fraction in 7). */
function dateTimeOf(match: RegExpExecArray): { fields: LocalFields; ms: number } {
  const fields: LocalFields = {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4] ?? 0),
    minute: Number(match[5] ?? 0),
    second: Number(match[6] ?? 0),
  };
  return { fields, ms: match[7] ? Math.floor(Number(`0.${match[7]}`) * 1000) : 0 };
}

function dateProblem(f: LocalFields): string | null {
  if (f.year < 1970) return 'is before 1970';
  if (f.month < 1 || f.month > 12) return 'has no such month';
  const daysInMonth = new Date(Date.UTC(f.year, f.month, 0)).getUTCDate();
  if (f.day < 1 || f.day > daysInMonth) return 'has no such day';
  return null;
}

function clockProblem(f: LocalFields): string | null {
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return 'is not a time of day (00:00 to 23:59:59)';
  return null;
}

/** `Z`, `+01`, `+0130`, `-05:00` → minutes east of UTC; null when out of range. */
function parseOffset(text: string): number | null {
  if (text.toUpperCase() === 'Z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || 0);
  if (minutes > 59 || hours * 60 + minutes > 14 * 60) return null;
  return sign * (hours * 60 + minutes);
}

/** The server's strict format: `YYYY-MM-DDTHH:MM:SS` in UTC with no zone, floored to the second. */
export function toServerDate(date: Date): string {
  return date.toISOString().slice(0, 19);
}

const SERVER_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]00:?00)?$/;

/**
 * A date as the server writes it: naive UTC `YYYY-MM-DDTHH:MM:SS` (microseconds and an
 * explicit UTC zone are tolerated). Anything else is a ServerError: Kitsu never sends it.
 */
export function fromServerDate(text: string): Date {
  const match = SERVER_DATE.exec(text);
  const parsed = match ? dateTimeOf(match) : undefined;
  if (!parsed || dateProblem(parsed.fields) || clockProblem(parsed.fields)) {
    // Only printable ASCII of what the server sent reaches the message (and so the terminal).
    const shown = String(text)
      .slice(0, 40)
      .replace(/[^\x20-\x7e]/g, '?');
    throw new ServerError(
      `the server sent a date Kitsu never sends: '${shown}'`,
      'check that the host is the Kitsu API and not a proxy page or another site',
    );
  }
  const { fields, ms } = parsed;
  return new Date(Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second, ms));
}
