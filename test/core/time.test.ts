import { describe, expect, it } from 'vitest';
import {
  fixedOffsetZone,
  fromLocalFields,
  fromServerDate,
  namedTimeZone,
  parseDuration,
  parseTime,
  systemTimeZone,
  toLocalFields,
  toServerDate,
  utcTimeZone,
} from '../../src/core/time.js';
import { ServerError, UsageError } from '../../src/errors.js';
import { seededRandom } from '../helpers/core.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  const cases: Array<[string, number | null]> = [
    ['90s', 90_000],
    ['15m', 15 * MIN],
    ['2h', 2 * HOUR],
    ['3d', 3 * DAY],
    ['1w', 7 * DAY],
    ['1h30m', 90 * MIN],
    ['1d2h3m4s', DAY + 2 * HOUR + 3 * MIN + 4000],
    ['500ms', 500],
    ['1s500ms', 1500],
    ['1.5h', 90 * MIN],
    ['0s', 0],
    ['', null],
    ['90', null],
    ['h', null],
    ['2 h', null],
    ['2H', null],
    ['1M', null],
    ['30m1h', null],
    ['1h1h', null],
    ['1y', null],
    ['-5m', null],
    ['5m ago', null],
    ['2026-11-29', null],
  ];
  it.each(cases)('%j → %s', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});

describe('parseTime', () => {
  // 2026-11-29 10:20:30.400 UTC, a Sunday.
  const now = Date.UTC(2026, 10, 29, 10, 20, 30, 400);
  const paris = namedTimeZone('Europe/Paris'); // UTC+1 in winter, +2 in summer
  const newYork = fixedOffsetZone(-5 * 60);

  const cases: Array<[string, number, object?]> = [
    ['2h', now - 2 * HOUR],
    ['1h30m', now - 90 * MIN],
    ['1w', now - 7 * DAY],
    ['now', now],
    ['2026-11-29T08:00:00Z', Date.UTC(2026, 10, 29, 8)],
    ['2026-11-29t08:00:00z', Date.UTC(2026, 10, 29, 8)],
    ['2026-11-29T08:00:00.250Z', Date.UTC(2026, 10, 29, 8, 0, 0, 250)],
    ['2026-11-29T08:00+01:00', Date.UTC(2026, 10, 29, 7)],
    ['2026-11-29T08:00:00-0530', Date.UTC(2026, 10, 29, 13, 30)],
    ['2026-11-29T08:00:00+09', Date.UTC(2026, 10, 28, 23)],
    ['2026-11-29 08:00:00Z', Date.UTC(2026, 10, 29, 8)],
  ];
  it.each(cases)('%j with a zone or relative', (text, expected) => {
    // A zone in the text, or a duration, makes the local zone irrelevant.
    for (const zone of [utcTimeZone, paris, newYork]) {
      expect(parseTime(text, now, '--since', { zone }).getTime()).toBe(expected);
    }
  });

  const local: Array<[string, number, number]> = [
    // [text, in Paris, in New York (UTC-5)]
    ['2026-11-29T08:00', Date.UTC(2026, 10, 29, 7), Date.UTC(2026, 10, 29, 13)],
    ['2026-11-29T08:00:15', Date.UTC(2026, 10, 29, 7, 0, 15), Date.UTC(2026, 10, 29, 13, 0, 15)],
    ['2026-07-01T08:00', Date.UTC(2026, 6, 1, 6), Date.UTC(2026, 6, 1, 13)],
    ['2026-11-29', Date.UTC(2026, 10, 28, 23), Date.UTC(2026, 10, 29, 5)],
    ['08:00', Date.UTC(2026, 10, 29, 7), Date.UTC(2026, 10, 29, 13)],
    ['8:05:09', Date.UTC(2026, 10, 29, 7, 5, 9), Date.UTC(2026, 10, 29, 13, 5, 9)],
    ['today', Date.UTC(2026, 10, 28, 23), Date.UTC(2026, 10, 29, 5)],
    ['yesterday', Date.UTC(2026, 10, 27, 23), Date.UTC(2026, 10, 28, 5)],
  ];
  it.each(local)('%j without a zone is local time', (text, inParis, inNewYork) => {
    expect(parseTime(text, now, '--since', { zone: paris }).getTime()).toBe(inParis);
    expect(parseTime(text, now, '--since', { zone: newYork }).getTime()).toBe(inNewYork);
  });

  it('reads HH:MM as today in the local zone, not in UTC', () => {
    // 23:30 UTC on the 28th is already the 29th in Paris: "08:00" is the 29th there.
    const lateUtc = Date.UTC(2026, 10, 28, 23, 30);
    expect(parseTime('08:00', lateUtc, '--until', { zone: paris }).toISOString()).toBe('2026-11-29T07:00:00.000Z');
    expect(parseTime('08:00', lateUtc, '--until', { zone: utcTimeZone }).toISOString()).toBe(
      '2026-11-28T08:00:00.000Z',
    );
  });

  it('handles the daylight-saving days of a real zone', () => {
    // Paris springs forward at 02:00 → 03:00 on 2026-03-29; 01:30 is still winter time.
    expect(parseTime('2026-03-29T01:30', now, '--since', { zone: paris }).toISOString()).toBe(
      '2026-03-29T00:30:00.000Z',
    );
    expect(parseTime('2026-03-29T03:30', now, '--since', { zone: paris }).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // 02:30 does not exist that day; it lands after the jump, as JavaScript's Date does.
    expect(parseTime('2026-03-29T02:30', now, '--since', { zone: paris }).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // Midnight of the day after the jump is 22:00 UTC: the offset is now +2.
    expect(parseTime('2026-03-30', now, '--since', { zone: paris }).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    // "yesterday" on the day after falling back (2026-10-25) is a 25-hour day ago.
    const afterFallBack = Date.UTC(2026, 9, 26, 12);
    expect(parseTime('yesterday', afterFallBack, '--since', { zone: paris }).toISOString()).toBe(
      '2026-10-24T22:00:00.000Z',
    );
  });

  // issue 11: one meaning everywhere; the future is written as such
  it('reads a bare duration as the past and `in 2h` / `+2h` as ahead', () => {
    expect(parseTime('2h', now, '--until').getTime()).toBe(now - 2 * HOUR);
    expect(parseTime('2h ago', now, '--until').getTime()).toBe(now - 2 * HOUR);
    expect(parseTime('-2h', now, '--until').getTime()).toBe(now - 2 * HOUR);
    expect(parseTime('in 2h', now, '--until').getTime()).toBe(now + 2 * HOUR);
    expect(parseTime('+1h30m', now, '--until').getTime()).toBe(now + 90 * 60_000);
    expect(() => parseTime('in soon', now, '--until')).toThrow(/--until: cannot read 'in soon' as a time/);
  });

  it('counts durations forward with future', () => {
    expect(parseTime('2h', now, '--until', { future: true }).getTime()).toBe(now + 2 * HOUR);
  });

  it('uses the runtime zone by default, as Date does', () => {
    const expected = new Date(2026, 10, 29, 8, 0, 0).getTime();
    expect(parseTime('2026-11-29T08:00', now, '--since').getTime()).toBe(expected);
    expect(systemTimeZone.offsetAt(now)).toBe(-new Date(now).getTimezoneOffset() || 0);
  });

  const bad: Array<[string, RegExp]> = [
    ['', /cannot read ''/],
    ['yesterdayy', /cannot read 'yesterdayy'/],
    ['2 hours', /cannot read/],
    ['29/11/2026', /cannot read/],
    ['2026-13-01', /no such month/],
    ['2026-02-29', /no such day/],
    ['2026-11-31T08:00', /no such day/],
    ['2026-11-29T24:00', /not a time of day/],
    ['25:00', /not a time of day/],
    ['08:60', /not a time of day/],
    ['2026-11-29T08:00+15:00', /beyond ±14:00/],
    ['1969-12-31', /before 1970/],
    ['100000w', /outside the years/],
    ['1776-07-04T12:00Z', /before 1970/],
  ];
  it.each(bad)('%j is a usage error naming the flag with examples', (text, problem) => {
    let caught: unknown;
    try {
      parseTime(text, now, '--since', { zone: paris });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const error = caught as UsageError;
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^--since: /);
    expect(error.message).toMatch(problem);
    expect(error.hint).toContain('1h30m');
    expect(error.hint).toContain('2026-11-29T08:00:00Z');
  });

  it('keeps local fields and instants in step in a DST zone (seeded property test)', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 5000; i += 1) {
      const ms = Math.floor(Date.UTC(2000, 0, 1) + (random() * 40 * 365 * DAY) / 1000) * 1000;
      const fields = toLocalFields(ms, paris);
      const back = fromLocalFields(fields, paris);
      // In the repeated hour of autumn the wall time has two instants; either one is right.
      expect([ms, ms - HOUR, ms + HOUR]).toContain(back);
      expect(toLocalFields(back, paris)).toEqual(fields);
    }
  });
});

describe('parseTime: the forgiving forms (chrono-node, after the strict grammar)', () => {
  // 2026-11-29 10:20:30.400 UTC, a Sunday; 11:20 in Paris.
  const now = Date.UTC(2026, 10, 29, 10, 20, 30, 400);
  const paris = namedTimeZone('Europe/Paris');
  const cases: Array<[string, string]> = [
    ['yesterday 17:00', '2026-11-28T16:00:00.000Z'],
    ['Yesterday 5pm', '2026-11-28T16:00:00.000Z'],
    ['last monday', '2026-11-22T23:00:00.000Z'], // its local midnight, as a bare date
    ['last friday at 18:30', '2026-11-27T17:30:00.000Z'],
    ['tomorrow', '2026-11-29T23:00:00.000Z'],
    ['noon', '2026-11-29T11:00:00.000Z'],
    ['in 2 hours', new Date(now + 2 * HOUR).toISOString()], // a span from now keeps the time of day
    ['3 days ago', new Date(now - 3 * DAY).toISOString()],
    ['2 weeks ago', new Date(now - 14 * DAY).toISOString()],
  ];
  it.each(cases)('%j in Paris', (text, expected) => {
    expect(parseTime(text, now, '--since', { zone: paris }).toISOString()).toBe(expected);
  });

  it('reads the wall time in the zone of that day, across a daylight-saving change', () => {
    // The day after Paris sprang forward (2026-03-29): yesterday 17:00 was already summer time.
    const after = Date.UTC(2026, 2, 30, 12);
    expect(parseTime('yesterday 17:00', after, '--since', { zone: paris }).toISOString()).toBe(
      '2026-03-29T15:00:00.000Z',
    );
    expect(parseTime('yesterday', after, '--since', { zone: paris }).toISOString()).toBe('2026-03-28T23:00:00.000Z');
  });

  it('reads a bare weekday forward with future (--until friday)', () => {
    expect(parseTime('friday', now, '--until', { zone: paris, future: true }).toISOString()).toBe(
      '2026-12-03T23:00:00.000Z',
    );
  });

  it('keeps the strict forms and their errors: the forgiving reading comes only after them', () => {
    expect(parseTime('yesterday', now, '--since', { zone: paris }).toISOString()).toBe('2026-11-27T23:00:00.000Z');
    expect(() => parseTime('2026-13-01', now, '--since', { zone: paris })).toThrow(/no such month/);
  });

  const unread = ['may', 'next blursday', 'yesterday-ish', '03/04/2026', 'yesterday and today', 'soon'];
  it.each(unread)('%j is not guessed at: a usage error that shows the forms', (text) => {
    expect(() => parseTime(text, now, '--since', { zone: paris })).toThrow(UsageError);
    expect(() => parseTime(text, now, '--since', { zone: paris })).toThrow(/cannot read/);
  });
});

describe('server dates', () => {
  it('toServerDate floors to the second, in UTC, without a zone', () => {
    expect(toServerDate(new Date('2026-08-20T12:34:56.999Z'))).toBe('2026-08-20T12:34:56');
    expect(toServerDate(new Date('2026-08-20T23:59:59.999+02:00'))).toBe('2026-08-20T21:59:59');
  });

  it('fromServerDate reads naive UTC', () => {
    expect(fromServerDate('2026-08-20T12:34:56').toISOString()).toBe('2026-08-20T12:34:56.000Z');
    expect(fromServerDate('2026-08-20T12:34:56.123456').toISOString()).toBe('2026-08-20T12:34:56.123Z');
    expect(fromServerDate('2026-08-20').toISOString()).toBe('2026-08-20T00:00:00.000Z');
    expect(fromServerDate('2026-08-20T12:34:56Z').toISOString()).toBe('2026-08-20T12:34:56.000Z');
  });

  it.each(['', '<html>', '2026-08-20T12:34:56+02:00', '2026-02-30T00:00:00', '20/08/2026', '2026-08-20T25:00:00'])(
    'fromServerDate(%j) is a server error',
    (text) => {
      expect(() => fromServerDate(text)).toThrow(ServerError);
    },
  );

  it('round-trips any instant to the second (seeded property test)', () => {
    const random = seededRandom(42);
    for (let i = 0; i < 5000; i += 1) {
      const ms = Math.floor(random() * Date.UTC(9000, 0, 1));
      expect(fromServerDate(toServerDate(new Date(ms))).getTime()).toBe(Math.floor(ms / 1000) * 1000);
    }
  });
});
