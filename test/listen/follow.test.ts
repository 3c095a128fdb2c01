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
