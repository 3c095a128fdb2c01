/**
 * `--names` on `logs` and `listen` against the sandbox: one `names` object a record, nothing
 * changed (and nothing asked) without it, the one-shot disk cache, and a stream that goes on
 * when look-ups are slow or the rows are gone.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import type { EventNames } from '../../src/core/event-subject.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { BIN, botEnv, startInProcess, waitUntil } from '../helpers/listen.js';
import { configDirs, loginAs } from '../helpers/login.js';
import { runCli } from '../helpers/run-cli.js';
import { call, withSandbox } from '../helpers/sandbox.js';

type Named = EventRecord & { names?: EventNames };
const newDir = configDirs();
let sb: Sandbox;
let admin: string;
beforeAll(async () => {
  sb = await withSandbox({ events: 1500, seed: 8 });
  admin = sb.control.issueTokens(sb.users.admin.id).access_token;
});
afterAll(() => sb?.close());

const lines = (text: string): Named[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Named);
const taskLookUps = () => sb.control.requests().filter((r) => r.path.startsWith('data/tasks/')).length;

describe('logs --names', () => {
  it('adds one names object to each record, last; without it the records are the same bytes and nothing is looked up', async () => {
    const dir = newDir();
    await loginAs(sb, sb.users.admin, dir);
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const before = taskLookUps();
    const plain = await runCli(['logs', '--json', '--limit', '200'], { env });
    expect(plain.code).toBe(0);
    expect(taskLookUps()).toBe(before);
    const named = await runCli(['logs', '--json', '--names', '--limit', '200'], { env });
    expect(named.code, named.stderr).toBe(0);
    const withNames = lines(named.stdout);
    expect(withNames.map(({ names: _names, ...rest }) => rest)).toEqual(lines(plain.stdout));
    for (const record of withNames) expect(Object.keys(record).at(-1)).toBe('names');
    // A cold run names what it can within its budget; the next one starts from its cache.
    const warm = lines((await runCli(['logs', '--json', '--names', '--limit', '200'], { env })).stdout);
    const projects = new Map(sb.projects.map((p) => [p.id, p.name]));
    for (const record of warm.filter((r) => r.project_id && !/^[0-9a-f]{8}$/.test(r.names!.project!)))
      expect(record.names!.project).toBe(projects.get(record.project_id!));
    const change = warm.find((r) => r.name === 'task:status-changed' && !/^[0-9a-f]{8}$/.test(r.names!.entity ?? ''))!;
    const full = (await call(sb, `data/tasks/${change.data.task_id}/full`, { token: admin })).body;
    expect(change.names).toMatchObject({
      task_type: full.task_type.name,
      task_status: expect.any(String),
      previous_task_status: expect.any(String),
    });
    expect(change.names!.entity!.endsWith(full.entity.name)).toBe(true);
  });

  it('a run does not look up again what the run before it learned (the profile cache)', async () => {
    const dir = newDir();
    await loginAs(sb, sb.users.admin, dir);
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const taskIds = (from: number, status?: number) =>
      new Set(
        sb.control
          .requests()
          .slice(from)
          .filter((r) => /^data\/tasks\/[^/]+\/full$/.test(r.path) && (status === undefined || r.status === status))
          .map((r) => r.path.split('/')[2]!),
      );
    // A run names what it can within its budget and leaves the rest to the next one.
    let from = sb.control.requests().length;
    expect((await runCli(['logs', '--json', '--names', '--since', '3d', '--all'], { env })).code).toBe(0);
    expect(taskIds(from, 200).size).toBeGreaterThan(0);
    // What it learned is what its cache file holds (a look-up cut short at the end is not).
    const [file] = readdirSync(join(dir, 'cache'));
    const entries = (
      JSON.parse(readFileSync(join(dir, 'cache', file!), 'utf8')) as { entries: Record<string, unknown> }
    ).entries;
    const learned = new Set(
      Object.keys(entries)
        .filter((k) => k.startsWith('task:'))
        .map((k) => k.slice('task:'.length)),
    );
    expect(learned.size).toBeGreaterThan(0);
    from = sb.control.requests().length;
    expect((await runCli(['logs', '--json', '--names', '--since', '3d', '--all'], { env })).code).toBe(0);
    const askedAgain = [...taskIds(from)].filter((id) => learned.has(id));
    expect(askedAgain).toEqual([]);
  });

  it('CSV gets names.* columns; --names with --logins or an exact export is refused', async () => {
    const dir = newDir();
    await loginAs(sb, sb.users.admin, dir);
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const csv = await runCli(['logs', '--format', 'csv', '--names', '--limit', '5'], { env });
    expect(csv.stdout.split('\r\n')[0]).toMatch(
      /,data,names\.project,names\.person,.*names\.task_status,names\.previous_task_status$/,
    );
    const logins = await runCli(['logs', '--logins', '--names'], { env });
    expect(logins.code).toBe(2);
    const exact = await runCli(['logs', '--names', '--checkpoint', `${dir}/cp.json`, '--output', `${dir}/out.ndjson`], {
      env,
    });
    expect(exact.code).toBe(2);
    expect(exact.stderr).toMatch(/--names/);
  });
});

describe('listen --names', () => {
  it('names live events as they come, a deleted asset and its tasks included', async () => {
    const env = botEnv(sb, newDir());
    const live = startInProcess(['listen', '--json', '--names', '--no-backfill'], env);
    await live.waitForStderr('connected to');
    await waitUntil(() => sb.control.connectedSockets() >= 1, 'the socket');
    sb.control.generate(30);
    const project = sb.projects[1]!;
    const assets = (await call(sb, `data/projects/${project.id}/assets`, { token: admin })).body;
    const asset = (await call(sb, `data/assets/${assets[0].id}`, { token: admin })).body;
    expect(
      (await call(sb, `data/assets/${asset.id}`, { token: admin, method: 'DELETE', query: { force: 'true' } })).status,
    ).toBe(204);
    await live.waitFor(() => live.records().some((r) => r.name === 'asset:delete'), 'the asset:delete');
    live.interrupt();
    await live.exit;
    const records = live.records() as Named[];
    expect(records.every((r) => r.names !== undefined && Object.keys(r).at(-1) === 'names')).toBe(true);
    expect(
      records.some(
        (r) => r.data.task_id && r.names!.entity && / · | \/ /.test(`${r.names!.entity} · `) && r.names!.task_type,
      ),
    ).toBe(true);
    // Never seen before it went: its short id (marked deleted once the 404 is in, which the
    // resolver tests check without a budget); never another asset's name.
    const gone = records.find((r) => r.name === 'asset:delete')!;
    expect(gone.names!.entity!.startsWith(asset.id.slice(0, 8))).toBe(true);
    expect(records.filter((r) => r.name === 'task:delete').map((r) => r.data.entity_id)).toContain(asset.id);
  });

  it('is not held back by a look-up that does not answer: every event comes, in order, with a short id', async () => {
    const env = botEnv(sb, newDir());
    const live = startInProcess(['listen', '--json', '--names', '--no-backfill', '--count', '6'], env);
    await live.waitForStderr('connected to');
    await waitUntil(() => sb.control.connectedSockets() >= 1, 'the socket');
    // tasks/<id>/full answers after ten minutes; the test's own time-out is far shorter.
    const remove = sb.control.failRoutes({ path: /^data\/tasks\//, mode: { kind: 'slow', delayMs: 600_000 } });
    try {
      const change = sb.control.log().find((e) => e.name === 'task:update')!;
      for (let i = 0; i < 6; i += 1)
        sb.control.emit('task:update', { task_id: change.data.task_id, project_id: change.project_id, n: i });
      await live.waitForRecords(6, 20_000);
      expect(await live.exit).toBe(0);
    } finally {
      remove();
    }
    const records = live.records() as Named[];
    expect(records.map((r) => r.data.n)).toEqual([0, 1, 2, 3, 4, 5]);
    const change = sb.control.log().find((e) => e.name === 'task:update')!;
    for (const r of records) expect(r.names!.entity).toBe((change.data.task_id as string).slice(0, 8));
    expect(records[0]!.names!.project).toBe(sb.projects.find((p) => p.id === change.project_id)!.name);
  });
});

describe('the program as a process, with a cold name cache', () => {
  // In-process runs keep the event loop alive for the resolver; a process ends when nothing
  // holds it, and a look-up's wait must hold it (it exited 13, its answer unprinted).
  // preview-file:new names its preview alone: its look-up first waits a moment for the next
  // event to name the task.
  it.each([
    ['--stats', '--json'],
    ['--names', '--json'],
    ['--count-by', 'entity', '--json'],
  ])('logs --limit 5 preview-file:new %s %s prints its answer and exits 0', async (...flags) => {
    const dir = newDir();
    await loginAs(sb, sb.users.admin, dir);
    const argv = [BIN, 'logs', '--limit', '5', 'preview-file:new', ...flags];
    const { stdout } = await promisify(execFile)(process.execPath, argv, {
      env: { ...process.env, KITSU_TAIL_CONFIG_DIR: dir, NO_COLOR: '1' },
    });
    expect(stdout.trim()).not.toBe('');
    for (const line of stdout.trim().split('\n')) JSON.parse(line);
  });
});
