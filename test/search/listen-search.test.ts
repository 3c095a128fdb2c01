/**
 * `listen` with the search flags: stored history (--since) and live events pass the same
 * filter as a brute-force one over the server's log; --count counts matching events only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { botEnv, startInProcess, waitUntil, type LiveRun } from '../helpers/listen.js';
import { secondOfStored } from '../helpers/logs.js';
import { tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let env: Record<string, string>;
const tmp = tempConfigDir();
const running: LiveRun[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 31, events: 600, historySpan: 3600 });
  env = botEnv(sandbox, tmp.dir);
});
afterEach(async () => {
  for (const live of running.splice(0)) {
    live.interrupt();
    await live.exit;
  }
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

async function listen(argv: string[]): Promise<LiveRun> {
  const live = startInProcess(['listen', ...argv], env);
  running.push(live);
  await live.waitForStderr('connected to');
  await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
  return live;
}

const subject = (e: { name: string; data: Record<string, unknown> }) => `${e.name} ${JSON.stringify(e.data)}`;

describe('listen --where', () => {
  it('history from --since and live events: the same as a brute-force filter over the log, --count counting matches', async () => {
    const log = sandbox.control.log();
    const fromSecond = secondOfStored(log[log.length - 120]!);
    const keep = (e: { name: string; data: Record<string, unknown> }) =>
      e.name.startsWith('comment:') && typeof e.data.task_id === 'string' && e.data.task_id.includes('a');
    const history = log.filter((e) => secondOfStored(e) >= fromSecond && keep(e));
    const count = history.length + 2;
    const live = await listen([
      '--since',
      new Date(fromSecond * 1000).toISOString(),
      '--where',
      'name=comment:*',
      '--where',
      'data.task_id=*a*',
      '--json',
      '--count',
      String(count),
    ]);
    await live.waitForRecords(history.length);
    const p = sandbox.projects[0]!.id;
    const emitted: StoredEvent[] = [];
    for (const [name, data] of [
      ['comment:new', { comment_id: 'c1', task_id: 'bbbb', project_id: p }],
      ['task:update', { task_id: 'aaaa', project_id: p }],
      ['comment:new', { comment_id: 'c2', task_id: 'xaxx', project_id: p }],
      ['comment:reply', { comment_id: 'c3', task_id: 'zzaz', project_id: p }],
      ['comment:new', { comment_id: 'c4', task_id: 'aaaa', project_id: p }],
    ] as const) {
      emitted.push(sandbox.control.emit(name, { ...data })!);
    }
    expect(await live.exit).toBe(0);
    running.splice(running.indexOf(live), 1);
    const expected = [...history, ...emitted.filter(keep)].slice(0, count);
    expect(live.records().map(subject)).toEqual(expected.map(subject));
    expect(
      live
        .records()
        .slice(-2)
        .map((r) => r.source),
    ).toEqual(['live', 'live']);
  });

  it('--fields shapes live CSV too', async () => {
    const live = await listen([
      '--where',
      'name=task:new',
      '--format',
      'csv',
      '--fields',
      'name,data.task_id',
      '--count',
      '1',
    ]);
    sandbox.control.emit('task:update', { task_id: 'nope', project_id: sandbox.projects[0]!.id });
    sandbox.control.emit('task:new', { task_id: 'yes', project_id: sandbox.projects[0]!.id });
    expect(await live.exit).toBe(0);
    running.splice(running.indexOf(live), 1);
    expect(live.stdout()).toBe('name,data.task_id\r\ntask:new,yes\r\n');
  });

  it('logs --follow: the history and the live part pass the same filter', async () => {
    const log = sandbox.control.log();
    const fromSecond = secondOfStored(log[log.length - 80]!);
    const keep = (e: { name: string; data: Record<string, unknown> }) =>
      e.name === 'task:update' && String(e.data.task_id).includes('b');
    const history = log.filter((e) => secondOfStored(e) >= fromSecond && keep(e));
    const live = startInProcess(
      [
        'logs',
        '--follow',
        '--since',
        new Date(fromSecond * 1000).toISOString(),
        '--where',
        'name=task:update',
        '--where',
        'data.task_id=*b*',
        '--json',
      ],
      env,
    );
    running.push(live);
    await live.waitForRecords(history.length);
    await live.waitForStderr('connected to');
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    const p = sandbox.projects[0]!.id;
    sandbox.control.emit('task:update', { task_id: 'aaa', project_id: p });
    sandbox.control.emit('task:new', { task_id: 'bbb', project_id: p });
    sandbox.control.emit('task:update', { task_id: 'abc', project_id: p });
    await live.waitForRecords(history.length + 1);
    // Whatever else arrives before the stop must pass too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    live.interrupt();
    await live.exit;
    running.splice(running.indexOf(live), 1);
    const records = live.records();
    expect(records.slice(0, history.length).map((r) => r.id)).toEqual(history.map((e) => e.id));
    expect(records.slice(history.length).map((r) => r.data.task_id)).toEqual(['abc']);
  });
});
