/**
 * The dates of log rows: the usual form takes a short way through recordFromLogRow
 * (src/core/normalize.ts), which must refuse exactly what the full reader refuses.
 */
import { describe, expect, it } from 'vitest';
import { recordFromLogRow } from '../../src/core/normalize.js';
import { ServerError } from '../../src/errors.js';

const row = (created_at: string) => ({ id: 'e1', name: 'task:new', created_at, data: {} });

describe('log row dates', () => {
  it.each([
    ['2026-08-20T12:34:56', '2026-08-20T12:34:56Z'],
    ['2024-02-29T23:59:59', '2024-02-29T23:59:59Z'],
    ['1970-01-01T00:00:00', '1970-01-01T00:00:00Z'],
    ['2026-08-20T12:34:56.999999', '2026-08-20T12:34:56Z'],
    ['2026-08-20T12:34:56+00:00', '2026-08-20T12:34:56Z'],
    ['2026-08-20', '2026-08-20T00:00:00Z'],
  ])('%s becomes %s', (text, expected) => {
    expect(recordFromLogRow(row(text)).created_at).toBe(expected);
  });

  // Date.parse takes each of these for a nearby real time; Kitsu never sends them.
  it.each([
    '2026-02-29T10:00:00',
    '2026-02-30T10:00:00',
    '2026-04-31T10:00:00',
    '2026-08-20T24:00:00',
    '2026-08-20T23:60:00',
    '1969-12-31T23:59:59',
    '2026-13-01T00:00:00',
  ])('refuses %s as a server error', (text) => {
    expect(() => recordFromLogRow(row(text))).toThrow(ServerError);
  });
});
