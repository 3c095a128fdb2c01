/**
 * `GET /api/data/events/last` and its neighbours as Zou answers them (src/kitsu/README.md, Event log):
 * paging, the second-truncation pitfalls, strict dates, filters, permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/types.js';
import { call, login, withSandbox } from '../helpers/sandbox.js';

const DATE_ERROR = 'Wrong date format for before argument.Expected format: 2020-01-05T13:23:10 or 2020-01-05';
const FORBIDDEN = {
  error: true,
  message:
    "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server.",
};

interface Row {
  id: string;
  created_at: string;
  name: string;
  user_id: string | null;
  project_id: string | null;
  data: Record<string, unknown>;
}

let sb: Sandbox;
let admin: string;
let manager: string;
let artist: string;

beforeAll(async () => {
  sb = await withSandbox({ events: 1500, seed: 7 });
  admin = (await login(sb, sb.users.admin)).access;
  manager = (await login(sb, sb.users.manager)).access;
  artist = (await login(sb, sb.users.artist)).access;
});
afterAll(() => sb.close());

const last = (query: Record<string, string | string[]> = {}, token = admin) =>
  call<Row[]>(sb, 'data/events/last', { token, query });

describe('rows and order', () => {
  it('answers newest first with the row shape of 1.0.63+ and created_at cut to the second, no zone', async () => {
    const { status, body } = await last({ limit: '50' });
    expect(status).toBe(200);
    expect(body).toHaveLength(50);
    expect(Object.keys(body[0] as Row)).toEqual(['id', 'created_at', 'name', 'user_id', 'project_id', 'data']);
    for (const row of body) expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const log = sb.control.log();
    expect(body.map((r) => r.id)).toEqual(
      log
        .slice(-50)
        .reverse()
        .map((e) => e.id),
    );
    const newest = log.at(-1)!;
    expect(body[0]?.created_at).toBe(new Date(Math.floor(newest.createdAtUs / 1e6) * 1000).toISOString().slice(0, 19));
    expect(body[0]?.data).toEqual(newest.data);
  });

  it('gives 100 rows by default and never more than 1000', async () => {
    expect((await last()).body).toHaveLength(100);
    expect((await last({ limit: '5000' })).body).toHaveLength(1000);
    expect((await last({ limit: '0' })).body).toHaveLength(0);
  });

  it('answers 400 to a limit that is not an integer', async () => {
    for (const limit of ['abc', '1.5', '']) {
      expect(await last({ limit })).toMatchObject({
        status: 400,
        body: { error: true, message: 'Wrong value for parameter limit.' },
      });
    }
  });
});

describe('paging a burst of 250 events in one second', () => {
  let burst: string[];
  beforeAll(() => {
    burst = sb.control.generate(250).map((e) => e.id);
    const seconds = new Set(
      sb.control
        .log()
        .slice(-250)
        .map((e) => Math.floor(e.createdAtUs / 1e6)),
    );
    expect(seconds.size).toBe(1);
  });

  async function pageAll(next: (page: Row[]) => Record<string, string>): Promise<Row[]> {
    const seen: Row[] = [];
    let query: Record<string, string> = { limit: '100' };
    while (seen.length < 400) {
      const { body } = await last(query);
      seen.push(...body);
      if (body.length < 100) break;
      query = { limit: '100', ...next(body) };
    }
    return seen;
  }

  it('loses events when paged with before=<last created_at>', async () => {
    const rows = await pageAll((page) => ({ before: page.at(-1)!.created_at }));
    const ids = new Set(rows.map((r) => r.id));
    expect(burst.filter((id) => !ids.has(id)).length).toBe(150);
  });

  it('loses none and repeats none when paged with cursor_event_id', async () => {
    const rows = await pageAll((page) => ({ cursor_event_id: page.at(-1)!.id }));
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(burst.every((id) => ids.includes(id))).toBe(true);
  });

  it('returns the row itself again for after=<its own created_at>', async () => {
    const newest = (await last({ limit: '1' })).body[0]!;
    const again = await last({ after: newest.created_at, limit: '1000' });
    expect(again.body.map((r) => r.id)).toContain(newest.id);
    expect(again.body.length).toBeGreaterThanOrEqual(250);
  });

  it('excludes the whole second for before=<a created_at>', async () => {
    const newest = (await last({ limit: '1' })).body[0]!;
    const older = await last({ before: newest.created_at, limit: '1000' });
    expect(older.body.every((r) => r.created_at < newest.created_at)).toBe(true);
  });
});

describe('parameters', () => {
  it('accepts only the strict date formats, and the error says "before" even for after', async () => {
    expect((await last({ before: '2026-01-05' })).status).toBe(200);
    expect((await last({ after: '2026-1-5T8:05:09' })).status).toBe(200);
    for (const bad of [
      '2026-11-29T08:00:00Z',
      '2026-11-29T08:00:00+00:00',
      '2026-11-29T08:00:00.5',
      '2026-11-29 08:00:00',
      'yesterday',
      '2026-02-30',
      '',
    ]) {
      for (const key of ['before', 'after']) {
        expect(await last({ [key]: bad })).toMatchObject({ status: 400, body: { error: true, message: DATE_ERROR } });
      }
    }
  });

  it('treats only_files as true only for the exact string "true"', async () => {
    const files = [
      'preview-file:add-file',
      'organisation:set-thumbnail',
      'person:set-thumbnail',
      'project:set-thumbnail',
    ];
    const only = await last({ only_files: 'true', limit: '1000' });
    expect(only.body.length).toBeGreaterThan(0);
    expect(only.body.every((r) => files.includes(r.name))).toBe(true);
    for (const value of ['True', '1', 'yes']) {
      const ignored = await last({ only_files: value, limit: '200' });
      expect(ignored.body.some((r) => !files.includes(r.name))).toBe(true);
    }
  });

  it('filters on the exact name', async () => {
    const rows = (await last({ name: 'task:status-changed', limit: '1000' })).body;
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.name))).toEqual(new Set(['task:status-changed']));
    expect((await last({ name: 'task:status' })).body).toEqual([]);
  });

  it('filters on repeated name_prefixes and name_suffixes, and validates them', async () => {
    const rows = (await last({ name_prefixes: ['task', 'comment'], name_suffixes: ['new', 'assign'], limit: '1000' }))
      .body;
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.name))).toEqual(new Set(['task:new', 'task:assign', 'comment:new']));
    for (const [key, value] of [
      ['name_prefixes', 'Task'],
      ['name_prefixes', 'task%'],
      ['name_suffixes', 'new:x'],
    ] as const) {
      expect(await last({ [key]: value })).toMatchObject({
        status: 400,
        body: { error: true, message: `The ${key} parameter contains an invalid value` },
      });
    }
  });

  it('filters on person_ids and validates them', async () => {
    const someone = sb.control.log().find((e) => e.user_id)!.user_id!;
    const rows = (await last({ person_ids: someone, limit: '1000' })).body;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.user_id === someone)).toBe(true);
    expect(await last({ person_ids: 'bob' })).toMatchObject({
      status: 400,
      body: { message: 'The person_ids parameter contains an invalid id' },
    });
  });

  it('filters on project_id and validates it', async () => {
    const project = sb.projects[1]!;
    const rows = (await last({ project_id: project.id, limit: '1000' })).body;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.project_id === project.id && r.data.project_id === project.id)).toBe(true);
    expect(await last({ project_id: 'nope' })).toMatchObject({
      status: 400,
      body: { error: true, message: 'The project_id parameter is not a valid id' },
    });
  });

  it("stores project:* rows without a project_id (Zou's emit() gets none for them): the project_id filter and managers miss them", async () => {
    const project = sb.projects[0]!;
    const own = sb.control.emit('project:update', { project_id: project.id }, { userId: sb.users.admin.id })!;
    expect(own.project_id).toBeNull();
    const byName = (await last({ name: 'project:update', limit: '1000' })).body;
    expect(byName.find((r) => r.id === own.id)).toMatchObject({ project_id: null, data: { project_id: project.id } });
    expect((await last({ project_id: project.id, limit: '1000' })).body.some((r) => r.id === own.id)).toBe(false);
    expect((await last({ name: 'project:update', limit: '1000' }, manager)).body).toEqual([]);
    // An emitter that passes the argument: the row has it, and so has the data, as in Zou.
    const given = sb.control.emit('task:update', { task_id: 't' }, { projectId: project.id })!;
    expect(given).toMatchObject({ project_id: project.id, data: { task_id: 't', project_id: project.id } });
  });

  it('answers 400 to a bad or unknown cursor_event_id', async () => {
    expect(await last({ cursor_event_id: 'abc' })).toMatchObject({
      status: 400,
      body: { error: true, message: 'The cursor_event_id parameter is not a valid id' },
    });
    const unknown = '6b3c2a1e-0000-4000-8000-000000000000';
    expect(await last({ cursor_event_id: unknown })).toMatchObject({
      status: 400,
      body: { error: true, message: `No event found with id: ${unknown}` },
    });
  });

  it('ignores parameters it does not know, page_size included', async () => {
    expect((await last({ page_size: '3', foo: 'bar' })).body).toHaveLength(100);
  });
});

describe('permissions', () => {
  it('answers 401 without a token', async () => {
    const answer = await call(sb, 'data/events/last');
    expect(answer.status).toBe(401);
  });

  it('shows admins events without a project too', async () => {
    const rows = (await last({ limit: '1000' })).body;
    expect(rows.some((r) => r.project_id === null)).toBe(true);
  });

  it('scopes managers to their projects, hides events without a project, and 403s other projects', async () => {
    const mine = new Set((await call<{ id: string }[]>(sb, 'data/projects', { token: manager })).body.map((p) => p.id));
    expect(mine.size).toBeGreaterThan(0);
    expect(mine.size).toBeLessThan(sb.projects.length);
    const rows = (await last({ limit: '1000' }, manager)).body;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.project_id !== null && mine.has(r.project_id))).toBe(true);
    const other = sb.projects.find((p) => !mine.has(p.id))!;
    expect(await last({ project_id: other.id }, manager)).toEqual(
      expect.objectContaining({ status: 403, body: FORBIDDEN }),
    );
  });

  it('answers 403 with the werkzeug Forbidden body to everyone else', async () => {
    expect(await last({}, artist)).toEqual(expect.objectContaining({ status: 403, body: FORBIDDEN }));
  });

  it('checks the limit before the permission, as reqparse runs first', async () => {
    expect((await last({ limit: 'x' }, artist)).status).toBe(400);
  });
});

describe('data/events/names and the login log', () => {
  it('lists the distinct names in the log, sorted, for managers and admins', async () => {
    const names = (await call<string[]>(sb, 'data/events/names', { token: admin })).body;
    expect(names).toEqual([...new Set(sb.control.log().map((e) => e.name))].sort());
    expect((await call(sb, 'data/events/names', { token: manager })).status).toBe(200);
    expect((await call(sb, 'data/events/names', { token: artist })).status).toBe(403);
  });

  it('records every login with its origin and serves the login log to admins only', async () => {
    await call(sb, 'auth/login', {
      body: { email: sb.users.artist.email, password: sb.users.artist.password },
      headers: {
        'user-agent':
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      },
    });
    const { status, body } = await call<Record<string, unknown>[]>(sb, 'data/events/login-logs/last', { token: admin });
    expect(status).toBe(200);
    expect(body).toHaveLength(4);
    expect(Object.keys(body[0]!)).toEqual(['id', 'created_at', 'ip_address', 'person_id', 'origin']);
    expect(body[0]).toMatchObject({ person_id: sb.users.artist.id, origin: 'web', ip_address: '127.0.0.1' });
    expect(body.slice(1).map((r) => r.origin)).toEqual(['script', 'script', 'script']);
    const adminOnly = await call<Record<string, unknown>[]>(sb, 'data/events/login-logs/last', {
      token: admin,
      query: { person_ids: sb.users.admin.id },
    });
    expect(adminOnly.body.map((r) => r.person_id)).toEqual([sb.users.admin.id]);
    const paged = await call<Record<string, unknown>[]>(sb, 'data/events/login-logs/last', {
      token: admin,
      query: { cursor_login_log_id: body[1]!.id as string },
    });
    expect(paged.body.map((r) => r.id)).toEqual(body.slice(2).map((r) => r.id));
    expect((await call(sb, 'data/events/login-logs/last', { token: manager })).body).toEqual(FORBIDDEN);
  });
});
