/**
 * The queues behind --exec and --forward-to: bounded, in order, saying when they drop.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import type { EventRecord } from '../../src/core/record.js';
import { createExecRunner } from '../../src/listen/exec.js';
import { SerialQueue } from '../../src/listen/serial-queue.js';
import { Reporter } from '../../src/output/reporter.js';
import { testContext } from '../helpers/context.js';
import { until } from '../helpers/output.js';

function record(n: number): EventRecord {
  return {
    id: null,
    name: 'task:update',
    created_at: `2026-11-29T08:00:0${n}.000Z`,
    user_id: null,
    project_id: null,
    data: { n },
    source: 'live',
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function contextWithStderr(): { ctx: Context; reporter: Reporter; err: () => string } {
  const ctx = testContext({ env: { PATH: process.env.PATH }, globals: { color: 'never' } });
  return { ctx, reporter: new Reporter(ctx.stderr, { quiet: false, verbose: false, color: false }), err: ctx.err };
}

describe('SerialQueue', () => {
  it('hands out items in order, one call at a time, batching what waits', async () => {
    const calls: number[][] = [];
    let inHand = 0;
    const queue = new SerialQueue<number>(
      async (items) => {
        inHand += 1;
        expect(inHand).toBe(1);
        calls.push(items);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inHand -= 1;
      },
      { limit: 100, maxBatch: 3 },
    );
    for (let i = 0; i < 7; i += 1) queue.push(i);
    await queue.idle();
    expect(calls).toEqual([[0], [1, 2, 3], [4, 5, 6]]);
  });

  it('drops past its limit and reports each dropped item', async () => {
    const dropped: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = new SerialQueue<number>(() => gate, { limit: 2, onOverflow: (n) => dropped.push(n) });
    const accepted = [1, 2, 3, 4, 5].map((n) => queue.push(n));
    // 1 is in hand, 2 and 3 wait, 4 and 5 find the queue full.
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(dropped).toEqual([4, 5]);
    release();
    await queue.idle();
  });

  it('lets a producer wait until few enough items wait, or the queue stops', async () => {
    const gates: (() => void)[] = [];
    const queue = new SerialQueue<number>(() => new Promise<void>((resolve) => gates.push(resolve)), { limit: 100 });
    for (let i = 0; i < 4; i += 1) queue.push(i);
    let roomy = false;
    const waiting = queue.waitUntilAtMost(1).then(() => (roomy = true));
    // 0 is in hand, 1 to 3 wait.
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(roomy).toBe(false);
    gates.shift()!();
    await waiting;
    expect(queue.waiting).toBe(1);
    const stopped = queue.waitUntilAtMost(-1);
    queue.stop();
    await stopped;
  });
});

describe('--exec queue', () => {
  it('gives the command no KITSU_PASSWORD, and the KITSU_TOKEN it was given', async () => {
    const { ctx, reporter, err } = contextWithStderr();
    ctx.env = { ...ctx.env, KITSU_PASSWORD: 'hunter2', KITSU_TOKEN: 'the-bot-token', KITSU_EMAIL: 'a@b.c' };
    const runner = createExecRunner(
      ctx,
      'cat >/dev/null; echo "password=${KITSU_PASSWORD-unset} token=${KITSU_TOKEN-unset} email=$KITSU_EMAIL" >&2',
      reporter,
    );
    runner.push(record(1));
    await runner.drain();
    expect(err()).toContain('password=unset token=the-bot-token email=a@b.c');
  });

  it('stops the whole command, whatever it started, when the run ends', async () => {
    const { ctx, reporter } = contextWithStderr();
    const dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-exec-'));
    try {
      const pidFile = join(dir, 'pid');
      // The shell waits for a child of its own, which a signal to the shell alone leaves running.
      const runner = createExecRunner(ctx, `sleep 30 & echo $! > ${pidFile}; wait`, reporter);
      runner.push(record(1));
      await until(
        () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'),
        'the command to start its child',
      );
      const pid = Number(readFileSync(pidFile, 'utf8'));
      runner.stop();
      await until(() => !alive(pid), 'the child of the command to end');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says once that it overflows, then which events each gap lost, and runs the rest in order', async () => {
    const { ctx, reporter, err } = contextWithStderr();
    const runner = createExecRunner(ctx, 'sleep 0.2; cat >/dev/null; echo "ran $KITSU_EVENT_DATA" >&2', reporter, 2);
    for (let n = 1; n <= 6; n += 1) runner.push(record(n));
    await runner.drain();
    const text = err();
    expect(text.match(/more than 2 wait, so newer ones are dropped/g)).toHaveLength(1);
    expect(text).toMatch(
      /--exec: dropped 3 events \(from task:update at 2026-11-29T08:00:04.000Z\) while the command was behind/,
    );
    expect(text.match(/^ran .*$/gm)).toEqual(['ran {"n":1}', 'ran {"n":2}', 'ran {"n":3}']);
  });
});
