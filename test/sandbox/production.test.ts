/**
 * The generated production and the routes that turn its ids into names; the write routes a
 * script uses to make real events happen (src/kitsu/README.md, Production data).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { call, connectedProbe, waitUntil, withSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let admin: string;
let artist: string;
beforeAll(async () => {
  sb = await withSandbox({ events: 3000, seed: 11, historySpan: 3 * 86_400 });
  admin = sb.control.issueTokens(sb.users.admin.id).access_token;
  artist = sb.control.issueTokens(sb.users.artist.id).access_token;
});
afterAll(() => sb.close());

const shape = (s: Sandbox) => s.control.log().map((e) => [e.id, e.name, e.user_id, e.project_id, e.data]);

describe('the generator', () => {
  it('is deterministic for a seed, and another seed gives another history', async () => {
    const [a, b, c] = await Promise.all([
      withSandbox({ events: 800, seed: 5 }),
      withSandbox({ events: 800, seed: 5 }),
      withSandbox({ events: 800, seed: 6 }),
    ]);
    try {
      expect(shape(a)).toEqual(shape(b));
      expect(a.projects).toEqual(b.projects);
      expect(a.control.generate(50).map((e) => [e.name, e.data])).toEqual(
        b.control.generate(50).map((e) => [e.name, e.data]),
      );
      expect(shape(c)).not.toEqual(shape(a));
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('spreads N events over the span before now, strictly increasing, with same-second bursts', () => {
    const log = sb.control.log();
    expect(log).toHaveLength(3000);
    const now = Date.now() * 1000;
    expect(log[0]!.createdAtUs).toBeGreaterThan(now - 3 * 86_400e6 - 60e6);
    expect(log.at(-1)!.createdAtUs).toBeLessThan(now);
    expect(log.at(-1)!.createdAtUs).toBeGreaterThan(now - (3 * 86_400e6) / 10);
    for (let i = 1; i < log.length; i += 1) expect(log[i]!.createdAtUs).toBeGreaterThan(log[i - 1]!.createdAtUs);
    const seconds = new Set(log.map((e) => Math.floor(e.createdAtUs / 1e6)));
    expect(seconds.size).toBeLessThan(log.length);
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
  });

  it("makes believable activity with Zou's payload keys", () => {
    const log = sb.control.log();
    const names = new Set(log.map((e) => e.name));
    for (const name of [
      'task:status-changed',
      'comment:new',
      'task:update',
      'task:assign',
      'preview-file:add-file',
      'asset:update',
      'shot:update',
    ]) {
      expect(names).toContain(name);
    }
    const keys = (name: string) => Object.keys(log.find((e) => e.name === name)!.data).sort();
    expect(keys('task:status-changed')).toEqual([
      'new_task_status_id',
      'person_id',
      'previous_task_status_id',
      'project_id',
      'task_id',
    ]);
    expect(keys('comment:new')).toEqual(['comment_id', 'project_id', 'task_id', 'task_status_id']);
    expect(keys('task:assign')).toEqual(['person_id', 'project_id', 'task_id']);
    expect(keys('preview-file:add-file')).toEqual([
      'comment_id',
      'extension',
      'preview_file_id',
      'project_id',
      'revision',
      'status',
      'task_id',
    ]);
    // Zou stores emit()'s project_id argument, which project:* events are emitted without.
    const rowProject = (e: StoredEvent) =>
      e.name.startsWith('project:') ? null : ((e.data.project_id as string | undefined) ?? null);
    expect(log.every((e) => e.project_id === rowProject(e))).toBe(true);
    expect(log.some((e) => e.name === 'project:update' && typeof e.data.project_id === 'string')).toBe(true);
    expect(log.some((e) => e.project_id === null)).toBe(true);
    expect(names).not.toContain('notification:new');
  });

  it('makes ids that the look-up routes resolve to names', async () => {
    const change = sb.control.log().find((e) => e.name === 'task:status-changed')!;
    const full = await call(sb, `data/tasks/${change.data.task_id}/full`, { token: admin });
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({
      id: change.data.task_id,
      project_id: change.project_id,
      type: 'Task',
      project: { id: change.project_id },
      task_type: { type: 'TaskType' },
      task_status: { type: 'TaskStatus' },
    });
    expect(typeof full.body.entity.name).toBe('string');
    const status = await call(sb, `data/task-status/${change.data.new_task_status_id}`, { token: admin });
    expect(status.body).toMatchObject({ id: change.data.new_task_status_id, type: 'TaskStatus' });
    expect((await call(sb, `data/task-types/${full.body.task_type_id}`, { token: admin })).body.name).toBe(
      full.body.task_type.name,
    );
    const person = await call(sb, `data/persons/${change.data.person_id}`, { token: admin });
    expect(typeof person.body.full_name).toBe('string');
    const project = await call(sb, `data/projects/${change.project_id}`, { token: admin });
    expect(project.body.name).toBe(sb.projects.find((p) => p.id === change.project_id)!.name);
    const shotEvent = sb.control.log().find((e) => e.name === 'shot:update')!;
    const shot = await call(sb, `data/shots/${shotEvent.data.shot_id}`, { token: admin });
    expect(shot.body).toMatchObject({ type: 'Shot', project_id: shotEvent.project_id });
    expect((await call(sb, `data/sequences/${shot.body.parent_id}`, { token: admin })).body.type).toBe('Sequence');
    expect((await call(sb, `data/entities/${shot.body.id}`, { token: admin })).body.id).toBe(shot.body.id);
    expect((await call(sb, `data/assets/${shot.body.id}`, { token: admin })).status).toBe(404);
  });

  it("answers look-ups with Zou's errors: bad id 400, unknown 404, another project 403", async () => {
    expect((await call(sb, 'data/tasks/nope', { token: admin })).status).toBe(400);
    expect((await call(sb, 'data/tasks/6b3c2a1e-0000-4000-8000-000000000000', { token: admin })).status).toBe(404);
    const mine = new Set((await call<{ id: string }[]>(sb, 'data/projects', { token: artist })).body.map((p) => p.id));
    const foreign = sb.control.log().find((e) => e.name === 'task:update' && e.project_id && !mine.has(e.project_id))!;
    expect((await call(sb, `data/tasks/${foreign.data.task_id}`, { token: artist })).status).toBe(403);
    const minimal = await call(sb, `data/persons/${sb.users.admin.id}`, { token: artist });
    expect(minimal.body).toHaveProperty('full_name', 'Super Admin');
    expect(minimal.body).not.toHaveProperty('email');
  });

  it('lists people in full to admins and minimal to others, managers included', async () => {
    const token = (user: 'admin' | 'manager') => sb.control.issueTokens(sb.users[user].id).access_token;
    const full = (await call<Record<string, unknown>[]>(sb, 'data/persons', { token: token('admin') })).body;
    const minimal = (await call<Record<string, unknown>[]>(sb, 'data/persons', { token: token('manager') })).body;
    expect(full.find((p) => p.id === sb.users.artist.id)).toHaveProperty('email', sb.users.artist.email);
    expect(minimal.find((p) => p.id === sb.users.artist.id)).toMatchObject({ full_name: sb.users.artist.full_name });
    expect(minimal.every((p) => !('email' in p))).toBe(true);
  });

  it('lists all projects to admins and only theirs to others', async () => {
    expect((await call<unknown[]>(sb, 'data/projects', { token: admin })).body).toHaveLength(sb.projects.length);
    expect((await call<unknown[]>(sb, 'data/projects', { token: artist })).body).toHaveLength(1);
  });
});

describe('write routes', () => {
  it('POST data/projects, data/entity-types and …/assets/new answer 201 and emit and store what Zou does', async () => {
    const p = await connectedProbe(sb, admin);
    const project = await call(sb, 'data/projects', { token: admin, body: { name: 'Night Train' } });
    expect(project).toMatchObject({ status: 201, body: { name: 'Night Train', type: 'Project' } });
    const type = await call(sb, 'data/entity-types', { token: admin, body: { name: 'Vehicle' } });
    expect(type).toMatchObject({ status: 201, body: { name: 'Vehicle' } });
    const asset = await call(sb, `data/projects/${project.body.id}/asset-types/${type.body.id}/assets/new`, {
      token: admin,
      body: { name: 'Locomotive', description: 'steam' },
    });
    expect(asset).toMatchObject({
      status: 201,
      body: { name: 'Locomotive', project_id: project.body.id, entity_type_id: type.body.id },
    });
    await waitUntil(() => p.events.length === 3, 'three live events');
    expect(p.events).toEqual([
      { name: 'project:new', args: [{ project_id: project.body.id }] },
      { name: 'asset-type:new', args: [{ asset_type_id: type.body.id }] },
      { name: 'asset:new', args: [{ asset_id: asset.body.id, asset_type: type.body.id, project_id: project.body.id }] },
    ]);
    expect(
      sb.control
        .log()
        .slice(-3)
        .map((e) => [e.name, e.user_id]),
    ).toEqual([
      ['project:new', sb.users.admin.id],
      ['asset-type:new', sb.users.admin.id],
      ['asset:new', sb.users.admin.id],
    ]);
    expect((await call(sb, `data/assets/${asset.body.id}`, { token: admin })).body.name).toBe('Locomotive');
    p.close();
  });

  it('refuses writes without the role, and a body without a name', async () => {
    expect((await call(sb, 'data/projects', { token: artist, body: { name: 'X' } })).status).toBe(403);
    expect((await call(sb, 'data/entity-types', { token: artist, body: { name: 'X' } })).status).toBe(403);
    expect((await call(sb, 'data/projects', { token: admin, body: {} })).status).toBe(400);
    const typeId = (await call<{ id: string }[]>(sb, 'data/asset-types', { token: admin })).body[0]!.id;
    expect(
      (
        await call(sb, `data/projects/${sb.projects[0]!.id}/asset-types/${typeId}/assets/new`, {
          token: artist,
          body: { name: 'X' },
        })
      ).status,
    ).toBe(403);
  });

  it('answers 405 to a method a route does not have: data/asset-types is read-only', async () => {
    expect((await call(sb, 'data/asset-types', { token: admin, body: { name: 'X' } })).status).toBe(405);
    expect((await call(sb, 'data/projects', { token: admin, method: 'DELETE' })).status).toBe(405);
  });
});
