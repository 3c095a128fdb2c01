/**
 * The production graph behind the events, read the way Zou answers (cgwire/zou 1.0.67):
 * `tasks/resources.py` TaskFullResource with `tasks_service.get_full_task`; the typed routes of
 * `assets/resources.py` and `shots/resources.py` (get_full_asset, get_full_shot,
 * get_full_sequence) and their per-project lists; `crud/comments.py` and `crud/preview_file.py`;
 * `permissions_service.check_project_access` / `check_entity_access` (vendors read only what
 * they have a task on); deletions (`assets_service.remove_asset`, `deletion_service.remove_task`)
 * whose events arrive after the rows are gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { call, connectedProbe, waitUntil, withSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let admin: string;
beforeAll(async () => {
  sb = await withSandbox({ events: 4000, seed: 3 });
  admin = sb.control.issueTokens(sb.users.admin.id).access_token;
});
afterAll(() => sb.close());

const log = (): readonly StoredEvent[] => sb.control.log();
const first = (name: string, test: (e: StoredEvent) => boolean = () => true) =>
  log().find((e) => e.name === name && test(e))!;

async function taskFull(taskId: string) {
  return (await call(sb, `data/tasks/${taskId}/full`, { token: admin })).body;
}

describe('data/tasks/<id>/full (get_full_task)', () => {
  it('for a shot of an episodic project: the entity, its sequence and episode, type, status and project', async () => {
    const tvshow = sb.projects.find((p) => p.name === 'Moonlit Harbor')!;
    const shots = (await call<{ id: string }[]>(sb, `data/projects/${tvshow.id}/shots`, { token: admin })).body;
    const shot = (await call(sb, `data/shots/${shots[0]!.id}`, { token: admin })).body;
    const task = shot.tasks[0];
    const full = await taskFull(task.id);
    expect(full).toMatchObject({
      id: task.id,
      type: 'Task',
      entity: { id: shot.id, name: shot.name, type: 'Entity' },
      entity_type: { name: 'Shot', type: 'EntityType' },
    });
    expect(full.sequence).toMatchObject({ id: shot.sequence_id, name: shot.sequence_name, type: 'Sequence' });
    expect(full.episode).toMatchObject({ id: shot.episode_id, name: shot.episode_name, type: 'Episode' });
    expect(shot.episode_name).toMatch(/^E\d\d$/);
    expect(full.project.name).toBe('Moonlit Harbor');
    expect(full.task_type).toMatchObject({ id: task.task_type_id, type: 'TaskType' });
    expect(full.task_status).toMatchObject({ id: full.task_status_id, type: 'TaskStatus' });
    expect(typeof full.task_status.short_name).toBe('string');
  });

  it('for an asset: its entity type is the asset type, and there is no sequence or episode key at all', async () => {
    const project = sb.projects[1]!;
    const assets = (await call<{ id: string }[]>(sb, `data/projects/${project.id}/assets`, { token: admin })).body;
    const asset = (await call(sb, `data/assets/${assets[0]!.id}`, { token: admin })).body;
    expect(asset).toMatchObject({ type: 'Asset', project_name: project.name });
    expect(['Character', 'Environment', 'Prop', 'FX']).toContain(asset.asset_type_name);
    expect(asset).not.toHaveProperty('nb_frames');
    const full = await taskFull(asset.tasks[0].id);
    expect(full.entity_type).toMatchObject({ id: asset.asset_type_id, name: asset.asset_type_name });
    expect(full).not.toHaveProperty('sequence');
    expect(full).not.toHaveProperty('episode');
  });

  it('for a shot of a project without episodes: a sequence, no episode', async () => {
    const film = sb.projects.find((p) => p.name === 'The Long Winter')!;
    const shots = (
      await call<{ id: string; parent_id: string }[]>(sb, `data/projects/${film.id}/shots`, { token: admin })
    ).body;
    const shot = (await call(sb, `data/shots/${shots[0]!.id}`, { token: admin })).body;
    expect(shot).toMatchObject({ sequence_id: shots[0]!.parent_id, episode_id: null, episode_name: null });
    const full = await taskFull(shot.tasks[0].id);
    expect(full.sequence.id).toBe(shots[0]!.parent_id);
    expect(full).not.toHaveProperty('episode');
    const sequence = (await call(sb, `data/sequences/${shots[0]!.parent_id}`, { token: admin })).body;
    expect(sequence).toMatchObject({ type: 'Sequence', project_name: film.name });
    expect(sequence).not.toHaveProperty('episode_name');
  });
});

describe('comments and previews', () => {
  it('every comment and preview an event names answers with the task it belongs to', async () => {
    const comment = first('comment:new');
    const row = (await call(sb, `data/comments/${comment.data.comment_id}`, { token: admin })).body;
    expect(row).toMatchObject({
      id: comment.data.comment_id,
      object_id: comment.data.task_id,
      object_type: 'Task',
      type: 'Comment',
    });
    const added = first('preview-file:add-file');
    const preview = (await call(sb, `data/preview-files/${added.data.preview_file_id}`, { token: admin })).body;
    expect(preview).toMatchObject({
      id: added.data.preview_file_id,
      task_id: added.data.task_id,
      revision: added.data.revision,
      type: 'PreviewFile',
    });
    // preview-file:new names only the preview and its comment: the look-ups lead to the task.
    const announced = first('preview-file:new', (e) => e.data.preview_file_id === added.data.preview_file_id);
    expect(Object.keys(announced.data).sort()).toEqual(['comment_id', 'preview_file_id', 'project_id']);
    expect((await call(sb, `data/comments/${announced.data.comment_id}`, { token: admin })).body.object_id).toBe(
      added.data.task_id,
    );
  });

  it('comment:update and comment:reply are about comments on record', async () => {
    const updates = log().filter((e) => e.name === 'comment:update' || e.name === 'comment:reply');
    expect(updates.length).toBeGreaterThan(0);
    const deleted = new Set(
      log()
        .filter((e) => e.name === 'task:delete')
        .map((e) => e.data.task_id),
    );
    for (const e of updates.slice(0, 20)) {
      const answer = await call(sb, `data/comments/${e.data.comment_id}`, { token: admin });
      if (answer.status === 404) expect(deleted.size).toBeGreaterThan(0);
      else expect(answer.body.type).toBe('Comment');
    }
  });
});

describe('who may read what (check_project_access, check_entity_access)', () => {
  it('an artist reads the graph of their project, and gets 403 for another one', async () => {
    const artist = sb.control.issueTokens(sb.users.artist.id).access_token;
    const mine = (await call<{ id: string }[]>(sb, 'data/projects', { token: artist })).body.map((p) => p.id);
    const other = sb.projects.find((p) => !mine.includes(p.id))!;
    expect((await call(sb, `data/projects/${mine[0]}/shots`, { token: artist })).status).toBe(200);
    expect((await call(sb, `data/projects/${other.id}/shots`, { token: artist })).status).toBe(403);
    const foreign = first('comment:new', (e) => e.project_id === other.id);
    expect((await call(sb, `data/comments/${foreign.data.comment_id}`, { token: artist })).status).toBe(403);
    expect((await call(sb, `data/tasks/${foreign.data.task_id}/full`, { token: artist })).status).toBe(403);
  });

  it('a vendor in the team reads nothing they have no task on', async () => {
    const vendor = sb.control.createBot('vendor');
    const project = sb.projects[0]!;
    expect((await call(sb, `data/projects/${project.id}/assets`, { token: vendor.token })).body).toEqual([]);
    const change = first('task:status-changed', (e) => e.project_id === project.id);
    expect((await call(sb, `data/tasks/${change.data.task_id}/full`, { token: vendor.token })).status).toBe(403);
    // Lists of types and statuses are everyone's (check_read_permissions returns True).
    expect((await call(sb, 'data/task-status', { token: vendor.token })).status).toBe(200);
  });
});

describe('deletions', () => {
  it('the generated history deletes assets and tasks; their events name rows that answer 404', async () => {
    const assetDelete = first('asset:delete');
    expect(Object.keys(assetDelete.data).sort()).toEqual(['asset_id', 'project_id']);
    expect((await call(sb, `data/assets/${assetDelete.data.asset_id}`, { token: admin })).status).toBe(404);
    const taskDelete = first('task:delete');
    expect(Object.keys(taskDelete.data).sort()).toEqual(['entity_id', 'project_id', 'task_id', 'task_type_id']);
    expect((await call(sb, `data/tasks/${taskDelete.data.task_id}/full`, { token: admin })).status).toBe(404);
    // An asset's tasks go first, each with its own event, then the asset.
    const index = log().indexOf(assetDelete);
    expect(log()[index - 1]).toMatchObject({ name: 'task:delete', data: { entity_id: assetDelete.data.asset_id } });
  });

  it('DELETE data/assets/<id>: canceled without force, gone with it, and the events say so in that order', async () => {
    const project = sb.projects[2]!;
    const assets = (
      await call<{ id: string; canceled: boolean }[]>(sb, `data/projects/${project.id}/assets`, { token: admin })
    ).body;
    const asset = (await call(sb, `data/assets/${assets[0]!.id}`, { token: admin })).body;
    const p = await connectedProbe(sb, admin);
    expect((await call(sb, `data/assets/${asset.id}`, { token: admin, method: 'DELETE' })).status).toBe(204);
    expect((await call(sb, `data/assets/${asset.id}`, { token: admin })).body.canceled).toBe(true);
    expect(
      (await call(sb, `data/assets/${asset.id}`, { token: admin, method: 'DELETE', query: { force: 'true' } })).status,
    ).toBe(204);
    expect((await call(sb, `data/assets/${asset.id}`, { token: admin })).status).toBe(404);
    expect((await call(sb, `data/tasks/${asset.tasks[0].id}`, { token: admin })).status).toBe(404);
    const expected = 1 + asset.tasks.length + 1;
    await waitUntil(() => p.events.length === expected, 'the deletion events');
    expect(p.events.map((e) => e.name)).toEqual([
      'asset:update',
      ...asset.tasks.map(() => 'task:delete'),
      'asset:delete',
    ]);
    expect(p.events.at(-1)!.args[0]).toEqual({ asset_id: asset.id, project_id: project.id });
    expect(p.events[1]!.args[0]).toEqual({
      task_id: asset.tasks[0].id,
      entity_id: asset.id,
      task_type_id: asset.tasks[0].task_type_id,
      project_id: project.id,
    });
    p.close();
  });

  it('DELETE data/tasks/<id> needs a manager of the project', async () => {
    const artist = sb.control.issueTokens(sb.users.artist.id).access_token;
    const task = first('task:update', (e) => e.project_id === sb.projects[0]!.id);
    const before = (await call(sb, `data/tasks/${task.data.task_id}`, { token: admin })).status;
    expect((await call(sb, `data/tasks/${task.data.task_id}`, { token: artist, method: 'DELETE' })).status).toBe(
      before === 404 ? 404 : 403,
    );
  });
});
