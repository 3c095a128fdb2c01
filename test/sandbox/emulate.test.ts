/**
 * Older Zou versions on request, per the table in src/kitsu/README.md, Versions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { call, withSandbox } from '../helpers/sandbox.js';

const opened: Sandbox[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

async function server(version: string) {
  const sb = await withSandbox({ emulate: version, events: 1200, seed: 3 });
  opened.push(sb);
  const admin = sb.control.issueTokens(sb.users.admin.id).access_token;
  const manager = sb.control.issueTokens(sb.users.manager.id).access_token;
  const last = (query: Record<string, string | string[]>, token = admin) =>
    call<any[]>(sb, 'data/events/last', { token, query });
  return { sb, admin, manager, last };
}

describe('emulated versions', () => {
  it('reports the emulated version at GET /api/', async () => {
    const { sb } = await server('1.0.3');
    expect((await call(sb, '')).body).toEqual({ api: 'Zou', version: '1.0.3' });
    expect(sb.version).toBe('1.0.3');
  });

  it('refuses a version it cannot read', async () => {
    await expect(startSandbox({ emulate: 'latest' })).rejects.toThrow(/x\.y\.z/);
  });

  it('0.19.20: page_size, no name filter, no cursor, no cap, no project_id in rows', async () => {
    const { last } = await server('0.19.20');
    expect((await last({ page_size: '7' })).body).toHaveLength(7);
    expect((await last({ limit: '7' })).body).toHaveLength(100);
    expect((await last({ page_size: 'x' })).status).toBe(400);
    expect((await last({ limit: 'x' })).status).toBe(200);
    const named = (await last({ name: 'task:update', page_size: '300' })).body;
    expect(new Set(named.map((r) => r.name)).size).toBeGreaterThan(1);
    const first = (await last({ page_size: '5' })).body;
    expect((await last({ page_size: '5', cursor_event_id: first[4].id })).body).toEqual(first);
    expect((await last({ page_size: '1100' })).body).toHaveLength(1100);
    expect(Object.keys(first[0])).toEqual(['id', 'created_at', 'name', 'user_id', 'data']);
  });

  it('0.19.60: the name filter, still page_size', async () => {
    const { last } = await server('0.19.60');
    const named = (await last({ name: 'task:update', page_size: '300' })).body;
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named.map((r) => r.name))).toEqual(new Set(['task:update']));
    expect((await last({ limit: '3' })).body).toHaveLength(100);
  });

  it('1.0.3: limit instead of page_size, still no cursor (ignored, even a bad one)', async () => {
    const { last } = await server('1.0.3');
    expect((await last({ limit: '4' })).body).toHaveLength(4);
    expect((await last({ page_size: '4' })).body).toHaveLength(100);
    const first = (await last({ limit: '4' })).body;
    expect((await last({ limit: '4', cursor_event_id: first[3].id })).body).toEqual(first);
    expect((await last({ limit: '4', cursor_event_id: 'bad' })).status).toBe(200);
  });

  it('1.0.4: the cursor, but no cap yet; 1.0.16: the cap', async () => {
    const older = await server('1.0.4');
    const first = (await older.last({ limit: '4' })).body;
    const next = (await older.last({ limit: '4', cursor_event_id: first[3].id })).body;
    expect(next.map((r) => r.id)).not.toContain(first[3].id);
    expect((await older.last({ limit: '1100' })).body).toHaveLength(1100);
    const capped = await server('1.0.16');
    expect((await capped.last({ limit: '1100' })).body).toHaveLength(1000);
  });

  it('1.0.62: no project_id in rows, prefix/suffix/person filters ignored, managers see everything', async () => {
    const { sb, last, manager, admin } = await server('1.0.62');
    const rows = (await last({ limit: '300' })).body;
    expect(Object.keys(rows[0])).toEqual(['id', 'created_at', 'name', 'user_id', 'data']);
    const ignored = (await last({ limit: '300', name_prefixes: 'task', name_suffixes: 'new', person_ids: 'not-an-id' }))
      .body;
    expect(ignored.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const managed = (await last({ limit: '300' }, manager)).body;
    expect(managed.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect((await call(sb, 'data/events/names', { token: admin })).status).toBe(404);
    expect((await call(sb, 'data/events/login-logs/last', { token: manager })).status).toBe(200);
  });

  it('1.0.63: the modern log', async () => {
    const { sb, last, manager, admin } = await server('1.0.63');
    expect(Object.keys((await last({ limit: '1' })).body[0])).toEqual([
      'id',
      'created_at',
      'name',
      'user_id',
      'project_id',
      'data',
    ]);
    expect((await last({ limit: '1000' }, manager)).body.every((r) => r.project_id !== null)).toBe(true);
    expect((await call(sb, 'data/events/names', { token: admin })).status).toBe(200);
    expect((await call(sb, 'data/events/login-logs/last', { token: manager })).status).toBe(403);
  });
});
