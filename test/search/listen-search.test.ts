/**
 * `listen` with the search flags: stored history (--since) and live events pass the same
 * filter as a brute-force one over the server's log; --count counts matching events only.
 */
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/sandbox/types.js';
import { startInProcess, waitUntil } from '../helpers/listen.js';
import { secondOfStored } from '../helpers/logs.js';
import { listenSuite } from '../helpers/listen-suite.js';

const suite = listenSuite({ seed: 31, events: 600, historySpan: 3600 });
const { listen, finished } = suite;

const subject = (e: { name: string; data: Record<string, unknown> }) => `${e.name} ${JSON.stringify(e.data)}`;

describe('listen --where', () => {
  it('history from --since and live events: the same as a brute-force filter over the log, --count counting matches', async () => {
    const log = suite.sandbox.control.log();
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
    const p = suite.sandbox.projects[0]!.id;
    const emitted: StoredEvent[] = [];
    for (const [name, data] of [
      ['comment:new', { comment_id: 'c1', task_id: 'bbbb', project_id: p }],
      ['task:update', { task_id: 'aaaa', project_id: p }],
      ['comment:new', { comment_id: 'c2', task_id: 'xaxx', project_id: p }],
      ['comment:reply', { comment_id: 'c3', task_id: 'zzaz', project_id: p }],
      ['comment:new', { comment_id: 'c4', task_id: 'aaaa', project_id: p }],
    ] as const) {
      emitted.push(suite.sandbox.control.emit(name, { ...data })!);
    }
    expect(await finished(live)).toBe(0);
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
    suite.sandbox.control.emit('task:update', { task_id: 'nope', project_id: suite.sandbox.projects[0]!.id });
    suite.sandbox.control.emit('task:new', { task_id: 'yes', project_id: suite.sandbox.projects[0]!.id });
    expect(await finished(live)).toBe(0);
    expect(live.stdout()).toBe('name,data.task_id\r\ntask:new,yes\r\n');
  });

  it('logs --follow: the history and the live part pass the same filter', async () => {
    const log = suite.sandbox.control.log();
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
      suite.env,
    );
    suite.track(live);
    await live.waitForRecords(history.length);
    await live.waitForStderr('connected to');
    await waitUntil(() => suite.sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    const p = suite.sandbox.projects[0]!.id;
    suite.sandbox.control.emit('task:update', { task_id: 'aaa', project_id: p });
    suite.sandbox.control.emit('task:new', { task_id: 'bbb', project_id: p });
    suite.sandbox.control.emit('task:update', { task_id: 'abc', project_id: p });
    await live.waitForRecords(history.length + 1);
    // Whatever else arrives before the stop must pass too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    live.interrupt();
    await finished(live);
    const records = live.records();
    expect(records.slice(0, history.length).map((r) => r.id)).toEqual(history.map((e) => e.id));
    expect(records.slice(history.length).map((r) => r.data.task_id)).toEqual(['abc']);
  });
});
