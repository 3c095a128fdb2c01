/**
 * --entity, --task-type and --status on `logs` and `listen`, against the sandbox's production
 * graph. The truth is built here from the sandbox's own routes (tasks/<id>/full, comments,
 * entities: Zou's TaskFullResource and crud routes), event by event over the whole stored log,
 * without the code under test; each search must give exactly those events.
 *
 * Events about a task deleted since (its routes answer 404) cannot be placed by anyone reading
 * the server now; they are left out on both sides of the comparison.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { botEnv as listenEnv, startInProcess, waitUntil, type LiveRun } from '../helpers/listen.js';
import { botEnv, idsOfNdjson } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';
import { call } from '../helpers/sandbox.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;
let token: string;
const running: LiveRun[] = [];

/** What an event is about, as the server says now; undefined when it cannot say (deleted). */
interface Truth {
  chain: string[];
  taskTypeId?: string;
}
const truth = new Map<string, Truth | undefined>();
const entities: Array<{ id: string; name: string; kind: string; parent_id: string | null; project_id: string }> = [];
let taskTypes: Array<{ id: string; name: string }>;
let statuses: Array<{ id: string; name: string; short_name: string }>;

const get = async (path: string): Promise<any> => {
  const answer = await call(sandbox, path, { token });
  return answer.status === 200 ? answer.body : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

async function entityChain(id: string): Promise<string[] | undefined> {
  const chain: string[] = [];
  let current: string | null = id;
  while (current) {
    const row = await get(`data/entities/${current}`);
    if (!row) return chain.length > 0 ? chain : undefined;
    chain.push(row.id);
    current = row.parent_id;
  }
  return chain;
}

const tasks = new Map<string, Truth | undefined>();
async function taskTruth(taskId: string): Promise<Truth | undefined> {
  if (tasks.has(taskId)) return tasks.get(taskId);
  const full = await get(`data/tasks/${taskId}/full`);
  const t = full
    ? { chain: [full.entity.id, full.sequence?.id, full.episode?.id].filter(Boolean), taskTypeId: full.task_type.id }
    : undefined;
  tasks.set(taskId, t);
  return t;
}

async function eventTruth(e: StoredEvent): Promise<Truth | undefined | null> {
  let taskId = str(e.data.task_id);
  if (!taskId && str(e.data.comment_id)) taskId = (await get(`data/comments/${e.data.comment_id}`))?.object_id;
  if (taskId) return taskTruth(taskId);
  if (e.name === 'task:delete') return null;
  const [kind] = e.name.split(':');
  const own = str(e.data[`${kind}_id`]) ?? str(e.data.entity_id);
  if (own && ['asset', 'shot', 'sequence', 'episode', 'chat'].includes(kind!)) {
    const chain = await entityChain(own);
    return chain ? { chain } : undefined;
  }
  return null; // about no entity
}

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 41, events: 900, historySpan: 6 * 3600 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
  token = sandbox.control.createBot('admin').token;
  for (const e of sandbox.control.log()) {
    const t = await eventTruth(e);
    truth.set(e.id, t === null ? { chain: [] } : t);
  }
  for (const p of sandbox.projects) {
    for (const route of ['episodes', 'sequences', 'shots', 'assets']) {
      for (const row of (await get(`data/projects/${p.id}/${route}`)) ?? []) entities.push({ ...row, kind: row.type });
    }
  }
  taskTypes = await get('data/task-types');
  statuses = await get('data/task-status');
}, 120_000);

afterEach(async () => {
  for (const live of running.splice(0)) {
    live.interrupt();
    await live.exit;
  }
});
afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const logs = (argv: string[]) => runCli(['logs', ...argv], { env: admin });
/** Ids the tool printed, and the brute-force ids, both without the events nobody can place. */
function compare(
  printed: string[],
  keep: (e: StoredEvent, t: Truth) => boolean,
): { printed: string[]; expected: string[] } {
  const placeable = (id: string) => truth.get(id) !== undefined;
  const expected = sandbox.control
    .log()
    .filter((e) => placeable(e.id) && keep(e, truth.get(e.id)!))
    .map((e) => e.id);
  return { printed: printed.filter(placeable), expected };
}

/** The entities with the most events about them, of each kind. */
function busiest(kind: string): (typeof entities)[number] {
  const counts = new Map<string, number>();
  for (const t of truth.values()) for (const id of t?.chain ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  const ofKind = entities.filter((e) => e.kind === kind && (counts.get(e.id) ?? 0) > 0);
  ofKind.sort((a, b) => (counts.get(b.id) ?? 0) - (counts.get(a.id) ?? 0));
  return ofKind[0]!;
}

describe('logs --entity', () => {
  it('by id, a shot, a sequence (its shots too) and an asset: the events about it, its tasks, their comments and previews', async () => {
    for (const kind of ['Shot', 'Sequence', 'Asset', 'Episode']) {
      const entity = busiest(kind);
      // The sandbox's productions have shots, sequences and assets with events; episodes only in a TV show.
      if (kind !== 'Episode') expect(entity, kind).toBeDefined();
      if (!entity) continue;
      const result = await logs(['--all', '--entity', entity.id]);
      expect(result.code, result.stderr).toBe(0);
      const { printed, expected } = compare(idsOfNdjson(result.stdout), (_, t) => t.chain.includes(entity.id));
      expect(expected.length, kind).toBeGreaterThan(0);
      expect(printed, kind).toEqual(expected);
      // Comments and previews count too, not just task events.
      if (kind === 'Shot')
        expect(
          sandbox.control
            .log()
            .filter((e) => expected.includes(e.id))
            .some((e) => e.name.startsWith('comment:')),
        ).toBe(true);
    }
  });

  it('by name: unique names resolve, repeated --entity means any of them', async () => {
    const shot = busiest('Shot');
    const asset = busiest('Asset');
    const unique = (e: (typeof entities)[number]) =>
      entities.filter((x) => x.name.toLowerCase() === e.name.toLowerCase()).length === 1;
    const byName = (e: (typeof entities)[number]) => (unique(e) ? e.name : e.id);
    const result = await logs(['--all', '--entity', byName(shot), '--entity', byName(asset)]);
    expect(result.code, result.stderr).toBe(0);
    const { printed, expected } = compare(
      idsOfNdjson(result.stdout),
      (_, t) => t.chain.includes(shot.id) || t.chain.includes(asset.id),
    );
    expect(printed).toEqual(expected);
  });

  it('an ambiguous name is refused with the candidates; a miss says "did you mean"', async () => {
    const names = new Map<string, number>();
    for (const e of entities) names.set(e.name.toLowerCase(), (names.get(e.name.toLowerCase()) ?? 0) + 1);
    const repeated = entities.find((e) => names.get(e.name.toLowerCase())! > 1);
    if (repeated) {
      const result = await logs(['--entity', repeated.name]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`--entity "${repeated.name}" is ambiguous: \\d+ entities`));
      const candidates = entities.filter((x) => x.name.toLowerCase() === repeated.name.toLowerCase());
      expect(candidates.filter((e) => result.stderr.includes(e.id))).toHaveLength(Math.min(6, candidates.length));
    }
    const shot = busiest('Shot');
    const typo = `${shot.name.slice(0, -1)}${shot.name.endsWith('9') ? '8' : '9'}x`;
    // A path tells them apart.
    const sequence = entities.find((e) => e.kind === 'Sequence' && e.parent_id && names.get(e.name.toLowerCase())! > 1);
    if (sequence) {
      const episode = entities.find((e) => e.id === sequence.parent_id)!;
      const byPath = await logs(['--all', '--entity', `${episode.name}/${sequence.name}`]);
      expect(byPath.code, byPath.stderr).toBe(0);
      const { printed, expected } = compare(idsOfNdjson(byPath.stdout), (_, t) => t.chain.includes(sequence.id));
      expect(printed).toEqual(expected);
    }
    const miss = await logs(['--entity', typo]);
    expect(miss.code).toBe(2);
    expect(miss.stderr).toMatch(
      /matches no asset, shot, sequence or episode in the projects this account can read \(did you mean "/,
    );
  });
});

describe('logs --task-type and --status', () => {
  it('--task-type: events about tasks of that type, by name in any case', async () => {
    const counts = new Map<string, number>();
    for (const t of truth.values()) if (t?.taskTypeId) counts.set(t.taskTypeId, (counts.get(t.taskTypeId) ?? 0) + 1);
    const type = taskTypes.filter((tt) => counts.has(tt.id)).sort((a, b) => counts.get(b.id)! - counts.get(a.id)!)[0]!;
    const result = await logs(['--all', '--task-type', type.name.toUpperCase()]);
    expect(result.code, result.stderr).toBe(0);
    const { printed, expected } = compare(
      idsOfNdjson(result.stdout),
      (e, t) => (t.taskTypeId ?? str(e.data.task_type_id)) === type.id,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(printed).toEqual(expected);
  });

  it('--status: the events that name that status (a change to it, a comment setting it), with --task-type too', async () => {
    const named = (e: StoredEvent) => str(e.data.new_task_status_id) ?? str(e.data.task_status_id);
    const counts = new Map<string, number>();
    for (const e of sandbox.control.log()) if (named(e)) counts.set(named(e)!, (counts.get(named(e)!) ?? 0) + 1);
    const status = statuses.filter((s) => counts.has(s.id)).sort((a, b) => counts.get(b.id)! - counts.get(a.id)!)[0]!;
    const result = await logs(['--all', '--status', status.short_name]);
    expect(result.code, result.stderr).toBe(0);
    const expected = sandbox.control
      .log()
      .filter((e) => named(e) === status.id)
      .map((e) => e.id);
    expect(idsOfNdjson(result.stdout)).toEqual(expected);
    const changes = await logs(['--all', 'task:status-changed', '--status', status.name]);
    expect(idsOfNdjson(changes.stdout)).toEqual(
      sandbox.control
        .log()
        .filter((e) => e.name === 'task:status-changed' && named(e) === status.id)
        .map((e) => e.id),
    );
    const type = taskTypes[0]!;
    const both = await logs(['--all', '--status', status.short_name, '--task-type', type.id]);
    const cmp = compare(idsOfNdjson(both.stdout), (e, t) => named(e) === status.id && t.taskTypeId === type.id);
    expect(cmp.printed).toEqual(cmp.expected);
    const miss = await logs(['--status', 'wfaa']);
    expect(miss.code).toBe(2);
    expect(miss.stderr).toMatch(/--status "wfaa" matches no task status \(did you mean "wfa"/);
  });

  it('--where on names.*: the names the resolver gives', async () => {
    const shot = busiest('Shot');
    const result = await logs(['--all', '--where', 'names.entity_type=shot', '--where', `names.entity=*${shot.name}`]);
    expect(result.code, result.stderr).toBe(0);
    const { printed } = compare(idsOfNdjson(result.stdout), () => true);
    const { expected } = compare(
      [],
      (_, t) =>
        t.chain[0] !== undefined &&
        entities.find((e) => e.id === t.chain[0])?.name === shot.name &&
        entities.find((e) => e.id === t.chain[0])?.kind === 'Shot',
    );
    expect(printed).toEqual(expected);
  });

  it('--stats counts each event under its entity, named by its path', async () => {
    const result = await logs(['--all', '--stats', '--json', '--top', '5']);
    expect(result.code, result.stderr).toBe(0);
    const stats = JSON.parse(result.stdout);
    const top = stats.by_entity.top.find((c: { key: string | null }) => c.key !== null);
    const counted = [...truth.values()].filter((t) => t?.chain[0] === top.key).length;
    expect(top.count).toBe(counted);
    expect(['asset', 'shot', 'sequence', 'episode']).toContain(top.kind);
    expect(top.name).toContain(entities.find((e) => e.id === top.key)!.name);
  });
});

describe('--fields names.*', () => {
  it('CSV columns of names, as the routes name them; --no-headers keeps --names columns', async () => {
    const result = await logs([
      '--all',
      'task:status-changed',
      '--format',
      'csv',
      '--fields',
      'id,names.task_type,names.task_status',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const [header, ...rows] = result.stdout.split('\r\n').slice(0, -1);
    expect(header).toBe('id,names.task_type,names.task_status');
    const changes = sandbox.control.log().filter((e) => e.name === 'task:status-changed');
    expect(rows).toHaveLength(changes.length);
    const typeName = new Map(taskTypes.map((t) => [t.id, t.name]));
    const statusName = new Map(statuses.map((t) => [t.id, t.short_name]));
    let checked = 0;
    rows.forEach((row, i) => {
      const [id, type, status] = row.split(',');
      const e = changes[i]!;
      expect(id).toBe(e.id);
      expect(status).toBe(statusName.get(e.data.new_task_status_id as string));
      const t = truth.get(e.id);
      if (t?.taskTypeId) {
        expect(type).toBe(typeName.get(t.taskTypeId));
        checked += 1;
      }
    });
    expect(checked).toBeGreaterThan(0);
    const named = await logs(['--limit', '3', '--format', 'csv', '--names']);
    const bare = await logs(['--limit', '3', '--format', 'csv', '--names', '--no-headers']);
    expect(bare.stdout).toBe(named.stdout.slice(named.stdout.indexOf('\r\n') + 2));
    expect(named.stdout.split('\r\n')[0]).toContain('names.');
  });
});

describe('listen --entity / --status', () => {
  it('live events about the entity pass, the others not; --count counts them', async () => {
    const live = startInProcess(
      ['listen', '--entity', busiest('Shot').id, '--json', '--count', '2'],
      listenEnv(sandbox, config.dir),
    );
    running.push(live);
    await live.waitForStderr('connected to');
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket');
    const shot = busiest('Shot');
    const shotTask =
      (await get(`data/shots/${shot.id}`)) && [...tasks.entries()].find(([, t]) => t?.chain[0] === shot.id)?.[0];
    const otherTask = [...tasks.entries()].find(([, t]) => t && !t.chain.includes(shot.id))?.[0];
    const p = shot.project_id;
    sandbox.control.emit('task:update', { task_id: otherTask, project_id: p });
    sandbox.control.emit('task:update', { task_id: shotTask, project_id: p });
    sandbox.control.emit('shot:update', { shot_id: shot.id, project_id: p });
    expect(await live.exit).toBe(0);
    running.splice(running.indexOf(live), 1);
    expect(live.records().map((r) => [r.name, r.data.task_id ?? r.data.shot_id])).toEqual([
      ['task:update', shotTask],
      ['shot:update', shot.id],
    ]);
  });

  it('--status on live events: a change to that status passes', async () => {
    const wfa = statuses.find((s) => s.short_name === 'wfa') ?? statuses[1]!;
    const live = startInProcess(
      ['listen', '--status', wfa.short_name, '--json', '--count', '1'],
      listenEnv(sandbox, config.dir),
    );
    running.push(live);
    await live.waitForStderr('connected to');
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket');
    const p = sandbox.projects[0]!.id;
    sandbox.control.emit('task:status-changed', {
      task_id: 'x',
      new_task_status_id: statuses.find((s) => s.id !== wfa.id)!.id,
      previous_task_status_id: wfa.id,
      project_id: p,
    });
    sandbox.control.emit('task:status-changed', {
      task_id: 'y',
      new_task_status_id: wfa.id,
      previous_task_status_id: null,
      project_id: p,
    });
    expect(await live.exit).toBe(0);
    running.splice(running.indexOf(live), 1);
    expect(live.records().map((r) => r.data.task_id)).toEqual(['y']);
  });
});
