/**
 * The name resolver against the sandbox: each kind of resolution, the disk cache, the bound on
 * requests, and slow, forbidden and deleted look-ups. The expected names come from the
 * sandbox's routes read directly here (Zou's tasks/resources.py TaskFullResource and the typed
 * entity routes), not from the resolver's own code path.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import { openSession } from '../../src/kitsu/session.js';
import type { Session } from '../../src/kitsu/types.js';
import { createNameResolver, nameCacheFile, type NameResolver, type Resolution } from '../../src/kitsu/names.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { configDirs, contextFor, loginAs } from '../helpers/login.js';
import { call, withSandbox } from '../helpers/sandbox.js';

const newDir = configDirs();
let sb: Sandbox;
let admin: string;
let dir: string;
let session: Session;
const resolvers: NameResolver[] = [];

beforeAll(async () => {
  sb = await withSandbox({ events: 3000, seed: 3 });
  admin = sb.control.issueTokens(sb.users.admin.id).access_token;
  dir = newDir();
  await loginAs(sb, sb.users.admin, dir);
  session = await openSession(contextFor({ KITSU_TAIL_CONFIG_DIR: dir }).ctx);
});
afterAll(async () => {
  await Promise.all(resolvers.map((r) => r.close()));
  await session?.close();
  await sb?.close();
});

function resolver(options: Parameters<typeof createNameResolver>[1] = {}, s: Session = session): NameResolver {
  const r = createNameResolver(s, options);
  resolvers.push(r);
  return r;
}

const record = (e: Pick<StoredEvent, 'name' | 'data'> & Partial<StoredEvent>): EventRecord => ({
  id: e.id ?? null,
  name: e.name,
  created_at: '2026-12-03T10:00:00Z',
  user_id: e.user_id ?? null,
  project_id: e.project_id ?? null,
  data: e.data,
  source: 'log',
});
const events = (name: string) => sb.control.log().filter((e) => e.name === name);
const get = async (path: string) => (await call(sb, path, { token: admin })).body;

/** The entity path and type a person sees in Kitsu, from the routes directly. */
async function expectedTask(taskId: string): Promise<{ entity: string; task_type: string; entity_type: string }> {
  const full = await get(`data/tasks/${taskId}/full`);
  const kind = ['Shot', 'Sequence', 'Episode'].includes(full.entity_type.name) ? full.entity_type.name : 'Asset';
  const path =
    kind === 'Asset'
      ? [full.entity_type.name, full.entity.name]
      : [full.episode?.name, full.sequence?.name, full.entity.name].filter(Boolean);
  return { entity: path.join(' / '), task_type: full.task_type.name, entity_type: kind };
}

describe('each kind of resolution', () => {
  it('a status change: project, person, entity path of a shot with its episode, task type, both statuses', async () => {
    const tvshow = sb.projects.find((p) => p.name === 'Moonlit Harbor')!;
    const r = resolver();
    for (const change of events('task:status-changed')
      .filter((e) => e.project_id === tvshow.id)
      .slice(0, 40)) {
      const want = await expectedTask(change.data.task_id as string);
      if (want.entity_type !== 'Shot') continue;
      const { names, subject, complete } = await r.resolve(record(change), { waitMs: 10_000 });
      const status = async (id: unknown) => (await get(`data/task-status/${id}`)).short_name;
      expect(complete).toBe(true);
      expect(names).toEqual({
        project: 'Moonlit Harbor',
        person: (await get(`data/persons/${change.user_id}`)).full_name,
        entity: want.entity,
        entity_type: 'Shot',
        task_type: want.task_type,
        task_status: await status(change.data.new_task_status_id),
        previous_task_status: await status(change.data.previous_task_status_id),
      });
      expect(names.entity).toMatch(/^E\d\d \/ SQ\d+ \/ SH\d+$/);
      expect(subject).toMatchObject({
        project_id: tvshow.id,
        task_id: change.data.task_id,
        task_status_id: change.data.new_task_status_id,
      });
      expect(subject.entity_ids).toHaveLength(3);
      return;
    }
    throw new Error('no status change on a shot of Moonlit Harbor in the history');
  });

  it('a comment on an asset task: `Asset type / Asset`, and the asset type', async () => {
    const r = resolver();
    for (const comment of events('comment:new').slice(0, 60)) {
      const want = await expectedTask(comment.data.task_id as string).catch(() => undefined);
      if (want?.entity_type !== 'Asset') continue;
      const { names } = await r.resolve(record(comment), { waitMs: 10_000 });
      expect(names.entity).toBe(want.entity);
      expect(names.asset_type).toBe(want.entity.split(' / ')[0]);
      expect(names.entity_type).toBe('Asset');
      expect(names.task_type).toBe(want.task_type);
      return;
    }
    throw new Error('no comment on an asset task in the history');
  });

  it('a preview or a comment named alone belongs to its task (preview-file:new, comment:update)', async () => {
    const r = resolver();
    const announced = events('preview-file:new').find((e) =>
      sb.control
        .log()
        .some((a) => a.name === 'preview-file:add-file' && a.data.preview_file_id === e.data.preview_file_id),
    )!;
    const added = sb.control
      .log()
      .find((a) => a.name === 'preview-file:add-file' && a.data.preview_file_id === announced.data.preview_file_id)!;
    const want = await expectedTask(added.data.task_id as string);
    const preview = await r.resolve(record(announced), { waitMs: 10_000 });
    expect(preview.names).toMatchObject({ entity: want.entity, task_type: want.task_type });
    expect(preview.subject.task_id).toBe(added.data.task_id);
    const update = events('comment:update')[0]!;
    const comment = await get(`data/comments/${update.data.comment_id}`);
    const fresh = resolver();
    const resolved = await fresh.resolve(record(update), { waitMs: 10_000 });
    expect(resolved.subject.task_id).toBe(comment.object_id);
    expect(resolved.names.entity).toBe((await expectedTask(comment.object_id)).entity);
  });

  it('entity events: asset:update, shot:update, and a sequence and episode by their own routes', async () => {
    const r = resolver();
    const assetEvent = events('asset:update').find((e) =>
      sb.control.log().every((d) => d.name !== 'asset:delete' || d.data.asset_id !== e.data.asset_id),
    )!;
    const asset = await get(`data/assets/${assetEvent.data.asset_id}`);
    expect((await r.resolve(record(assetEvent), { waitMs: 10_000 })).names).toMatchObject({
      entity: `${asset.asset_type_name} / ${asset.name}`,
      entity_type: 'Asset',
      asset_type: asset.asset_type_name,
    });
    const tvshow = sb.projects.find((p) => p.name === 'Moonlit Harbor')!;
    const shot = await get(`data/shots/${(await get(`data/projects/${tvshow.id}/shots`))[0].id}`);
    const shotNames = (
      await r.resolve(record({ name: 'shot:update', data: { shot_id: shot.id, project_id: tvshow.id } }), {
        waitMs: 10_000,
      })
    ).names;
    expect(shotNames).toMatchObject({
      entity: `${shot.episode_name} / ${shot.sequence_name} / ${shot.name}`,
      entity_type: 'Shot',
    });
    const sequence = await r.resolve(
      record({ name: 'sequence:update', data: { sequence_id: shot.sequence_id, project_id: tvshow.id } }),
      { waitMs: 10_000 },
    );
    expect(sequence.names).toMatchObject({
      entity: `${shot.episode_name} / ${shot.sequence_name}`,
      entity_type: 'Sequence',
    });
    expect(sequence.subject.entity_ids).toEqual([shot.sequence_id, shot.episode_id]);
    const episode = await resolver().resolve(
      record({ name: 'episode:update', data: { episode_id: shot.episode_id, project_id: tvshow.id } }),
      { waitMs: 10_000 },
    );
    expect(episode.names).toMatchObject({
      entity: shot.episode_name,
      entity_type: 'Episode',
      project: 'Moonlit Harbor',
    });
  });

  it('people, assignees and asset types named alone', async () => {
    const r = resolver();
    const assign = events('task:assign')[0]!;
    const names = (await r.resolve(record(assign), { waitMs: 10_000 })).names;
    expect(names.assignee).toBe((await get(`data/persons/${assign.data.person_id}`)).full_name);
    expect(names.person).toBe((await get(`data/persons/${assign.user_id}`)).full_name);
    const type = (await get('data/asset-types'))[0];
    expect(
      (await r.resolve(record({ name: 'asset-type:update', data: { asset_type_id: type.id } }), { waitMs: 10_000 }))
        .names,
    ).toEqual({ asset_type: type.name });
    const person = events('person:update')[0]!;
    expect((await r.resolve(record({ ...person, user_id: null }), { waitMs: 10_000 })).names.person).toBe(
      (await get(`data/persons/${person.data.person_id}`)).full_name,
    );
  });
});

describe('deleted', () => {
  it('task:delete and asset:delete after the rows are gone: named from what was learned before, or a short id marked (deleted)', async () => {
    const taskDelete = events('task:delete')[0]!;
    const cold = resolver();
    // The event names its entity and task type: enough for a name when the entity is still there.
    const named = await cold.resolve(record(taskDelete), { waitMs: 10_000 });
    const entity = await call(sb, `data/entities/${taskDelete.data.entity_id}`, { token: admin });
    if (entity.status === 200) expect(named.names.entity).toContain(entity.body.name);
    else expect(named.names.entity).toBe(`${(taskDelete.data.entity_id as string).slice(0, 8)} (deleted)`);
    expect(named.names.task_type).toBe((await get(`data/task-types/${taskDelete.data.task_type_id}`)).name);

    const assetDelete = events('asset:delete')[0]!;
    const gone = await cold.resolve(record(assetDelete), { waitMs: 10_000 });
    expect(gone.names.entity).toBe(`${(assetDelete.data.asset_id as string).slice(0, 8)} (deleted)`);

    // Deleted now, with names learned before: the names stay.
    const project = sb.projects[1]!;
    const asset = await get(`data/assets/${(await get(`data/projects/${project.id}/assets`))[0].id}`);
    const warm = resolver();
    const before = await warm.resolve(
      record({ name: 'task:update', data: { task_id: asset.tasks[0].id, project_id: project.id } }),
      { waitMs: 10_000 },
    );
    expect(before.names.entity).toBe(`${asset.asset_type_name} / ${asset.name}`);
    expect(
      (await call(sb, `data/assets/${asset.id}`, { token: admin, method: 'DELETE', query: { force: 'true' } })).status,
    ).toBe(204);
    const after = await warm.resolve(
      record({ name: 'asset:delete', data: { asset_id: asset.id, project_id: project.id } }),
      { waitMs: 10_000 },
    );
    expect(after.names.entity).toBe(`${asset.asset_type_name} / ${asset.name}`);
    // A task deleted before anyone looked: 404 from tasks/<id>/full, shown as deleted.
    const unseen = await resolver().resolve(
      record({ name: 'task:update', data: { task_id: asset.tasks[1].id, project_id: project.id } }),
      { waitMs: 10_000 },
    );
    expect(unseen.names.entity).toBe(`${asset.tasks[1].id.slice(0, 8)} (deleted)`);
  });
});

describe('forbidden', () => {
  it('an artist gets names in their project and short ids elsewhere, not marked deleted', async () => {
    const artistDir = newDir();
    await loginAs(sb, sb.users.artist, artistDir);
    const artistSession = await openSession(contextFor({ KITSU_TAIL_CONFIG_DIR: artistDir }).ctx);
    try {
      const mine = (
        await call<{ id: string }[]>(sb, 'data/projects', {
          token: sb.control.issueTokens(sb.users.artist.id).access_token,
        })
      ).body.map((p) => p.id);
      const r = resolver({}, artistSession);
      const foreign = events('task:status-changed').find((e) => !mine.includes(e.project_id!))!;
      const { names } = await r.resolve(record(foreign), { waitMs: 10_000 });
      expect(names.project).toBe((foreign.project_id as string).slice(0, 8));
      expect(names.entity).toBe((foreign.data.task_id as string).slice(0, 8));
      // Statuses and people are readable by everyone (crud/task_status.py, crud/person.py).
      expect(names.task_status).toBe((await get(`data/task-status/${foreign.data.new_task_status_id}`)).short_name);
      const own = events('task:status-changed').find((e) => mine.includes(e.project_id!))!;
      expect((await r.resolve(record(own), { waitMs: 10_000 })).names.entity).toBe(
        (await expectedTask(own.data.task_id as string)).entity,
      );
      // Refused once, not asked again at once.
      const asked = r.requestCount();
      await r.resolve(record(foreign), { waitMs: 10_000 });
      expect(r.requestCount()).toBe(asked);
    } finally {
      await artistSession.close();
    }
  });
});

describe('slow look-ups', () => {
  it('a look-up that does not answer does not hold the resolve back: short id now, the name once it comes', async () => {
    const change = events('task:status-changed').at(-1)!;
    const r = resolver({ budgetMs: 200 });
    await r.resolve(record({ name: 'project:update', data: { project_id: change.project_id } }), { waitMs: 10_000 });
    // Answers after 10 minutes: a resolve that waited for it would time the test out.
    const remove = sb.control.failRoutes({
      path: /^data\/tasks\/[^/]+\/full$/,
      mode: { kind: 'slow', delayMs: 600_000 },
      times: 1,
    });
    try {
      const first = await r.resolve(record(change));
      expect(first.complete).toBe(false);
      expect(first.names.entity).toBe((change.data.task_id as string).slice(0, 8));
      expect(first.names.project).toBe(sb.projects.find((p) => p.id === change.project_id)!.name);
      // A second event on the same task does not wait again for the same look-up's budget either.
      const second = await r.resolve(record(change));
      expect(second.names.entity).toBe((change.data.task_id as string).slice(0, 8));
    } finally {
      remove();
    }
  });
});

describe('the cache', () => {
  it('a second resolver on the same profile file asks nothing for what the first learned, and a warm one asks a bounded number per 1000 events', async () => {
    const file = nameCacheFile(dir, 'default', session.apiUrl);
    expect(file.startsWith(join(dir, 'cache'))).toBe(true);
    const window = sb.control
      .log()
      .slice(0, 1000)
      .map((e) => record(e));
    const cold = resolver({ cacheFile: file });
    await cold.prefetch(window, { waitMs: 60_000 });
    for (const e of window) expect((await cold.resolve(e, { waitMs: 60_000 })).complete).toBe(true);
    const coldRequests = cold.requestCount();
    // At most one request a task (tasks/<id>/full brings its entity, parents, type and status),
    // one an entity or comment named alone, and the four lists.
    const distinct = (key: string) => new Set(window.map((e) => e.data[key]).filter(Boolean)).size;
    const alone = ['asset_id', 'shot_id', 'comment_id', 'preview_file_id'].reduce((n, key) => n + distinct(key), 0);
    expect(coldRequests).toBeLessThanOrEqual(distinct('task_id') + alone + 4);
    // The lists answer every person and status: none asked one by one.
    expect(
      sb.control
        .requests()
        .slice(-coldRequests)
        .filter((q) => /^data\/(persons|task-status)\//.test(q.path)),
    ).toEqual([]);
    await cold.close();

    const warm = resolver({ cacheFile: file });
    for (const e of window) await warm.resolve(e);
    expect(warm.requestCount()).toBe(0);
    const next = sb.control
      .log()
      .slice(1000, 2000)
      .map((e) => record(e));
    for (const e of next) await warm.resolve(e, { waitMs: 60_000 });
    const perThousand = warm.requestCount();
    const newTasks = new Set(
      next.map((e) => e.data.task_id).filter((t) => t && !window.some((w) => w.data.task_id === t)),
    ).size;
    expect(perThousand).toBeLessThanOrEqual(newTasks + 60);
  });

  it('an expired entry is asked again', async () => {
    let now = Date.now();
    const file = join(newDir(), 'names.json');
    const change = events('task:update')[0]!;
    const first = resolver({ cacheFile: file, ttlMs: 60_000, now: () => now });
    await first.resolve(record(change), { waitMs: 10_000 });
    await first.close();
    now += 120_000;
    const later = resolver({ cacheFile: file, ttlMs: 60_000, now: () => now });
    const { names } = await later.resolve(record(change), { waitMs: 10_000 });
    expect(later.requestCount()).toBeGreaterThan(0);
    expect(names.entity).toBe((await expectedTask(change.data.task_id as string)).entity);
  });
});

describe('a window at once', () => {
  it('resolveAll names each record as resolve() does one by one, looking each thing up once', async () => {
    const window = sb.control
      .log()
      .slice(2000, 2400)
      .map((e) => record(e));
    const together = resolver();
    const all = await together.resolveAll(window, { waitMs: 60_000 });
    const oneByOne = resolver();
    await oneByOne.prefetch(window, { waitMs: 60_000 });
    const each = [];
    for (const e of window) each.push(await oneByOne.resolve(e, { waitMs: 60_000 }));
    // current_task_status_id is the task's status as last heard of (documented as possibly
    // stale): learned once per record here, where prefetch-then-resolve heard each twice.
    const settled = (r: Resolution) => ({ ...r, subject: { ...r.subject, current_task_status_id: undefined } });
    expect(all.map(settled)).toEqual(each.map(settled));
    expect(all.every((r) => r.complete)).toBe(true);
    expect(together.requestCount()).toBe(oneByOne.requestCount());
  });
});

describe('kept names', () => {
  it('one resolver asks again for an entity whose entry expired, though it named it before (kept paths expire too)', async () => {
    let now = Date.now();
    // Only the asset: no project or asset type whose own expiry would have it read again.
    const update = { name: 'asset:update', data: { asset_id: events('asset:update')[0]!.data.asset_id } };
    const assetRoute = `data/assets/${update.data.asset_id as string}`;
    const assetAsked = () => sb.control.requests().filter((q) => q.path === assetRoute).length;
    const r = resolver({ ttlMs: 600_000, now: () => now });
    const first = await r.resolve(record(update), { waitMs: 10_000 });
    expect(first.complete).toBe(true);
    const asked = assetAsked();
    expect(asked).toBeGreaterThan(0);
    for (let i = 0; i < 100; i += 1) expect((await r.resolve(record(update))).names).toEqual(first.names);
    expect(assetAsked()).toBe(asked);
    now += 700_000;
    // The cache reads its clock every few dozen reads: enough events for it to see the time.
    for (let i = 0; i < 100; i += 1) await r.resolve(record(update), { waitMs: 10_000 });
    expect(assetAsked()).toBeGreaterThan(asked);
    expect((await r.resolve(record(update))).names).toEqual(first.names);
  });

  it("events about the same task share one entity path, and a frozen one: a caller cannot change the next event's", async () => {
    const changes = events('task:status-changed');
    const a = changes.find((e) => changes.filter((o) => o.data.task_id === e.data.task_id).length > 1)!;
    const sameTask = changes.filter((e) => e.data.task_id === a.data.task_id);
    const r = resolver();
    const first = await r.resolve(record(sameTask[0]!), { waitMs: 10_000 });
    const second = await r.resolve(record(sameTask[1]!), { waitMs: 10_000 });
    expect(second.subject.entity_ids).toBe(first.subject.entity_ids);
    expect(Object.isFrozen(first.subject.entity_ids)).toBe(true);
    expect(second.names.entity).toBe(first.names.entity);
  });
});

describe('names as JSON text', () => {
  /** namesJsonNow() against JSON.stringify of resolveNow()'s names, the object the table and CSV get. */
  function sameAsTheObject(r: NameResolver, records: readonly EventRecord[]): number {
    let named = 0;
    for (const one of records) {
      const text = r.namesJsonNow(one);
      const known = r.resolveNow(one);
      expect(text).toBe(known && JSON.stringify(known.names));
      if (text !== undefined) named += 1;
    }
    return named;
  }

  it('namesJsonNow writes the bytes JSON.stringify writes of the names, cold and warm, for the whole log and odd events', async () => {
    const log = sb.control.log().map((e) => record(e));
    const of = (name: string) => log.find((e) => e.name === name)!;
    const taskUpdates = log.filter((e) => e.name === 'task:update').slice(0, 30);
    const assetType = (await get('data/asset-types'))[0].id as string;
    const unknown = '0e4b7a52-9a57-4f0e-b9a4-3d1c2b0a9f88';
    const odd: EventRecord[] = [
      // Both a task and an asset type: inserted after a shot's path, left out where an asset's has one.
      ...taskUpdates.map((e) => ({ ...e, data: { ...e.data, asset_type_id: assetType } })),
      {
        ...of('task:update'),
        data: { ...of('task:update').data, task_id: String(of('task:update').data.task_id).toUpperCase() },
      },
      { ...of('task:update'), data: { task_id: 'not-a-uuid', project_id: of('task:update').data.project_id } },
      // 404s: a task and a comment nobody can find.
      record({ name: 'task:update', data: { task_id: unknown } }),
      record({ name: 'comment:update', data: { comment_id: unknown } }),
      // Who acted and whom it is about.
      { ...of('person:update'), user_id: of('task:assign').user_id },
      of('task:assign'),
      record({ name: 'organisation:update', data: {} }),
    ];
    const all = [...log, ...odd];
    const r = resolver();
    await r.prefetch([]); // ready once its (empty) disk cache is read
    sameAsTheObject(r, all);
    await r.resolveAll(all, { waitMs: 60_000 });
    // Every record is named now (a 404 as a short id marked deleted): all compared, twice, as
    // the kept texts answer the second time.
    expect(sameAsTheObject(r, all)).toBe(all.length);
    expect(sameAsTheObject(r, all)).toBe(all.length);
    expect(r.namesJsonNow(record({ name: 'organisation:update', data: {} }))).toBe('{}');
  });

  it('a kept text goes with its entry: an asset deleted on the server shows as deleted once its entry expires', async () => {
    let now = Date.now();
    const project = sb.projects[0]!;
    const asset = await get(`data/assets/${(await get(`data/projects/${project.id}/assets`))[0].id}`);
    const update = record({ name: 'asset:update', data: { asset_id: asset.id, project_id: project.id } });
    const r = resolver({ ttlMs: 600_000, now: () => now });
    await r.resolve(update, { waitMs: 10_000 });
    const before = r.namesJsonNow(update)!;
    expect(JSON.parse(before)).toMatchObject({ entity: `${asset.asset_type_name} / ${asset.name}` });
    for (let i = 0; i < 100; i += 1) expect(r.namesJsonNow(update)).toBe(before);
    expect(
      (await call(sb, `data/assets/${asset.id}`, { token: admin, method: 'DELETE', query: { force: 'true' } })).status,
    ).toBe(204);
    now += 700_000;
    // The kept texts read no entry: they go within a minute of the clock, and then the expired
    // entries call for a look-up (a JSON stream asks namesJsonNow alone, while names are kept).
    expect(r.namesJsonNow(update)).toBeUndefined();
    for (let i = 0; i < 100; i += 1) await r.resolve(update, { waitMs: 10_000 });
    const after = r.namesJsonNow(update)!;
    expect(JSON.parse(after)).toMatchObject({ entity: `${(asset.id as string).slice(0, 8)} (deleted)` });
    expect(after).toBe(JSON.stringify(r.resolveNow(update)!.names));
  });
});

describe('for the filters', () => {
  it('entities() lists every asset, shot, sequence and episode of a project with its path', async () => {
    const tvshow = sb.projects.find((p) => p.name === 'Moonlit Harbor')!;
    const all = await resolver().entities([tvshow.id]);
    const shots = await get(`data/projects/${tvshow.id}/shots`);
    expect(all.filter((e) => e.kind === 'Shot')).toHaveLength(shots.length);
    expect(
      all
        .filter((e) => e.kind === 'Episode')
        .map((e) => e.path)
        .sort(),
    ).toEqual(['E01', 'E02', 'E03']);
    const shot = all.find((e) => e.kind === 'Shot')!;
    expect(shot.path).toMatch(/^E\d\d \/ SQ\d+ \/ SH\d+$/);
    expect(all.find((e) => e.kind === 'Asset')!.path).toMatch(/^(Character|Environment|Prop|FX) \/ /);
  });
});
