import { describe, expect, it } from 'vitest';
import { isoOfReceipt, loginRecordFromRow, recordFromLive, recordFromLogRow } from '../../src/core/normalize.js';
import { ServerError } from '../../src/errors.js';

const KEYS = ['id', 'name', 'created_at', 'user_id', 'project_id', 'data', 'source'];

describe('recordFromLogRow', () => {
  it('turns a 1.0.63+ row into the one record, keys in order', () => {
    const record = recordFromLogRow({
      data: { task_id: 't1', project_id: 'p-data' },
      project_id: 'p1',
      user_id: 'u1',
      name: 'task:update',
      created_at: '2026-08-20T12:34:56',
      id: 'e1',
    });
    expect(record).toEqual({
      id: 'e1',
      name: 'task:update',
      created_at: '2026-08-20T12:34:56Z',
      user_id: 'u1',
      project_id: 'p1',
      data: { task_id: 't1', project_id: 'p-data' },
      source: 'log',
    });
    expect(Object.keys(record)).toEqual(KEYS);
  });

  it('takes project_id from data on servers that do not send it in the row', () => {
    const record = recordFromLogRow({
      id: 'e1',
      created_at: '2026-08-20T12:34:56',
      name: 'task:new',
      user_id: null,
      data: { project_id: 'p9' },
    });
    expect(record.project_id).toBe('p9');
    expect(record.user_id).toBeNull();
  });

  it('gives null ids and empty data when the server has none', () => {
    const record = recordFromLogRow({
      id: 'e1',
      created_at: '2026-08-20T12:34:56.789012',
      name: 'person:update',
      data: null,
      project_id: null,
    });
    expect(record).toMatchObject({ project_id: null, user_id: null, data: {}, created_at: '2026-08-20T12:34:56Z' });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['an HTML page', '<html><body>502</body></html>', /it is a string/],
    ['null', null, /it is null/],
    ['a list', [], /it is a list/],
    ['no name', { id: 'e1', created_at: '2026-08-20T12:34:56', data: {} }, /"name" is missing/],
    ['a numeric name', { id: 'e1', name: 3, created_at: '2026-08-20T12:34:56' }, /"name" is a number/],
    ['an empty name', { id: 'e1', name: '', created_at: '2026-08-20T12:34:56' }, /"name" is empty/],
    ['no created_at', { id: 'e1', name: 'task:new' }, /"created_at" is missing/],
    ['a bad created_at', { id: 'e1', name: 'task:new', created_at: 'yesterday' }, /date Kitsu never sends/],
    ['no id', { name: 'task:new', created_at: '2026-08-20T12:34:56' }, /"id" is missing/],
    [
      'data as a string',
      { id: 'e1', name: 'task:new', created_at: '2026-08-20T12:34:56', data: '{}' },
      /"data" is a string/,
    ],
    [
      'a numeric user_id',
      { id: 'e1', name: 'task:new', created_at: '2026-08-20T12:34:56', user_id: 7 },
      /"user_id" is a number/,
    ],
  ];
  it.each(bad)('refuses %s with a server error (exit 6) and a hint about the host', (_title, row, problem) => {
    let caught: unknown;
    try {
      recordFromLogRow(row);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ServerError);
    expect((caught as ServerError).exitCode).toBe(6);
    expect((caught as ServerError).message).toMatch(problem);
    expect((caught as ServerError).hint).toMatch(/host/);
  });
});

describe('recordFromLive', () => {
  it('makes a live record: no id, receipt time with ms, project from the payload', () => {
    const received = Date.UTC(2026, 10, 29, 8, 0, 1, 234);
    const record = recordFromLive('asset:new', { asset_id: 'a1', asset_type: 'at', project_id: 'p1' }, received);
    expect(record).toEqual({
      id: null,
      name: 'asset:new',
      created_at: '2026-11-29T08:00:01.234Z',
      user_id: null,
      project_id: 'p1',
      data: { asset_id: 'a1', asset_type: 'at', project_id: 'p1' },
      source: 'live',
    });
    expect(Object.keys(record)).toEqual(KEYS);
  });

  it('keeps an odd payload instead of losing it', () => {
    expect(recordFromLive('main:test', {}, 0).data).toEqual({});
    expect(recordFromLive('main:test', undefined, 0).data).toEqual({});
    expect(recordFromLive('x:y', 'text', 0).data).toEqual({ value: 'text' });
    expect(recordFromLive('x:y', [1, 2], 0).data).toEqual({ value: [1, 2] });
    expect(recordFromLive('x:y', { project_id: 5 }, 0).project_id).toBeNull();
  });

  it('writes the receipt time exactly as Date does, within a second, across seconds and out of range', () => {
    const base = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    const times = [base, base, base + 1, base + 9, base + 10, base + 99, base + 1010, base + 1010, base + 2000];
    times.push(0, 5, -1, 1.5, 8.64e15, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), base);
    for (const ms of times) expect(isoOfReceipt(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});

describe('loginRecordFromRow', () => {
  it('reads a login-log row', () => {
    const record = loginRecordFromRow({
      origin: 'script',
      person_id: 'u1',
      ip_address: '10.0.0.1',
      created_at: '2026-08-20T12:34:56',
      id: 'l1',
    });
    expect(record).toEqual({
      id: 'l1',
      created_at: '2026-08-20T12:34:56Z',
      person_id: 'u1',
      ip_address: '10.0.0.1',
      origin: 'script',
    });
    expect(Object.keys(record)).toEqual(['id', 'created_at', 'person_id', 'ip_address', 'origin']);
  });

  it('refuses a row that is not one', () => {
    expect(() => loginRecordFromRow({ id: 'l1' })).toThrow(ServerError);
    expect(() => loginRecordFromRow('nope')).toThrow(ServerError);
  });
});
