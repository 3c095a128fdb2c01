/**
 * follow() called as `logs --follow` calls it: after a history the caller printed itself,
 * with `printedBefore` marking the seam, while the sandbox keeps producing events.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import type { EventRecord } from '../../src/core/record.js';
import { parsePatterns } from '../../src/core/patterns.js';
import { InterruptedError } from '../../src/errors.js';
import { readLog } from '../../src/kitsu/event-log.js';
import { openSession } from '../../src/kitsu/session.js';
import { follow } from '../../src/listen/follow.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, compareWithLog, waitUntil } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
const tmp = tempConfigDir();

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 5, events: 200, historySpan: 30 });
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

function contextFor(env: Record<string, string>, signal: AbortSignal): Context & { err: () => string } {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  return {
    stdout: new PassThrough(),
    stderr,
    stdin: new PassThrough(),
    env,
    clock: { now: () => Date.now() },
    signal,
    globals: { color: 'never', verbose: false, quiet: false, insecure: false },
    err: () => err,
  };
}

it('continues a printed history with printedBefore: every stored event once, across the seam', async () => {
  const controller = new AbortController();
  const ctx = contextFor(botEnv(sandbox, tmp.dir), controller.signal);
  const session = await openSession(ctx);
  try {
    sandbox.control.setRate(50);
    // The history, as `logs --since` prints it, noting the last second and its ids.
    const printed: EventRecord[] = [];
    let lastSecond = 0;
    let lastIds = new Set<string>();
    for await (const record of readLog(session, { since: new Date(Date.now() - 3_600_000) })) {
      printed.push(record);
      const second = Date.parse(record.created_at);
      if (second !== lastSecond) {
        lastSecond = second;
        lastIds = new Set();
      }
      lastIds.add(record.id!);
    }
    expect(printed.length).toBeGreaterThanOrEqual(200);
    const following = follow(ctx, session, {
      filter: parsePatterns([]),
      backfill: true,
      printedBefore: { until: new Date(lastSecond), ids: lastIds },
      onRecord: async (record) => {
        printed.push(record);
      },
    });
    await waitUntil(() => printed.some((r) => r.source === 'live'), 'live events after the seam', 30_000, () => ctx.err());
    await new Promise((resolve) => setTimeout(resolve, 500));
    sandbox.control.setRate(0);
    await waitUntil(
      () => compareWithLog(printed, sandbox.control.log()).missing.length === 0,
      'every stored event',
      30_000,
      () => JSON.stringify(compareWithLog(printed, sandbox.control.log())),
    );
    controller.abort(new InterruptedError());
    const summary = await following;
    expect(summary.endedBy).toBe('signal');
    expect(compareWithLog(printed, sandbox.control.log())).toEqual({ missing: [], extra: [] });
    // No row of the history came out twice, by id either.
    const ids = printed.filter((r) => r.id !== null).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  } finally {
    sandbox.control.setRate(0);
    await session.close();
  }
});

it('reads the history no faster than the output takes it: a slow reader loses none of it', async () => {
  // More than the output queue may hold, which live events alone are kept within.
  const big = await startSandbox({ seed: 6, events: 120_000, historySpan: 600 });
  const controller = new AbortController();
  const ctx = contextFor(botEnv(big, tmp.dir), controller.signal);
  const session = await openSession(ctx);
  try {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const printed: EventRecord[] = [];
    const following = follow(ctx, session, {
      filter: parsePatterns([]),
      backfill: true,
      since: new Date(Date.now() - 3_600_000),
      onRecord: async (record) => {
        // The reader stalls on the first record until the history has had every chance to pile up.
        await gate;
        printed.push(record);
      },
    });
    await waitUntil(() => ctx.err().includes('connected to'), 'the stream to connect', 30_000, () => ctx.err());
    // The log is read while the first record waits: a reader that does not wait for the output
    // reads all 120 pages into the queue; one that waits stops after a few, and stays stopped.
    const pages = () => big.control.requests().filter((r) => r.path === 'data/events/last').length;
    let seen = -1;
    let still = 0;
    await waitUntil(() => {
      const now = pages();
      still = now === seen ? still + 1 : 0;
      seen = now;
      return now >= 120 || still >= 75;
    }, 'the reader to read every page, or to stop');
    open();
    await waitUntil(() => printed.length >= 120_000 || ctx.err().includes('fallen'), 'the whole history, or a drop');
    expect(ctx.err()).not.toContain('fallen');
    expect(new Set(printed.map((r) => r.id)).size).toBe(120_000);
    controller.abort(new InterruptedError());
    expect((await following).endedBy).toBe('signal');
  } finally {
    controller.abort(new InterruptedError());
    await session.close();
    await big.close();
  }
});
