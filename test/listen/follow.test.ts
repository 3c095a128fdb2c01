/**
 * follow() called as `logs --follow` calls it: after a history the caller printed itself,
 * with `printedBefore` marking the seam, while the sandbox keeps producing events.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import { parsePatterns } from '../../src/core/patterns.js';
import { InterruptedError } from '../../src/errors.js';
import { readLog } from '../../src/kitsu/event-log.js';
import { openSession } from '../../src/kitsu/session.js';
import { follow, type FollowOptions, type FollowSummary } from '../../src/listen/follow.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, compareWithLog, waitUntil } from '../helpers/listen.js';
import { testContext, type TestContext } from '../helpers/context.js';
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

function contextFor(env: Record<string, string>, signal: AbortSignal): TestContext {
  return testContext({ env, signal, globals: { color: 'never' } });
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
    await waitUntil(
      () => printed.some((r) => r.source === 'live'),
      'live events after the seam',
      30_000,
      () => ctx.err(),
    );
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

/**
 * Follows the whole history of `history` with a reader that holds the first record until the
 * log reader has read every page or has stopped, as a reader of a stalled pipe would; then
 * lets it go. `stop()` is Ctrl-C.
 */
async function behindAStalledReader(
  history: Sandbox,
  options: Partial<FollowOptions> = {},
): Promise<{ printed: EventRecord[]; err: () => string; following: Promise<FollowSummary>; stop: () => void }> {
  const controller = new AbortController();
  const ctx = contextFor(botEnv(history, tmp.dir), controller.signal);
  const session = await openSession(ctx);
  const stop = () => controller.abort(new InterruptedError());
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const printed: EventRecord[] = [];
  const following = follow(ctx, session, {
    filter: parsePatterns([]),
    backfill: true,
    since: new Date(Date.now() - 3_600_000),
    onRecord: async (record) => {
      await gate;
      printed.push(record);
    },
    ...options,
  }).finally(() => session.close());
  try {
    await waitUntil(
      () => ctx.err().includes('connected to'),
      'the stream to connect',
      30_000,
      () => ctx.err(),
    );
    // A reader that does not wait for the output reads every page into the queue; one that
    // waits stops after a few, and stays stopped.
    const all = Math.ceil(history.control.log().length / 1000);
    const pages = () => history.control.requests().filter((r) => r.path === 'data/events/last').length;
    let seen = -1;
    let still = 0;
    await waitUntil(() => {
      const now = pages();
      still = now === seen ? still + 1 : 0;
      seen = now;
      return now >= all || still >= 75;
    }, 'the reader to read every page, or to stop');
  } catch (error) {
    stop();
    throw error;
  } finally {
    open();
  }
  return { printed, err: ctx.err, following, stop };
}

it('reads the history no faster than the output takes it: a slow reader loses none of it', async () => {
  // More than the output queue may hold, which live events alone are kept within.
  const big = await startSandbox({ seed: 6, events: 120_000, historySpan: 600 });
  try {
    const { printed, err, following, stop } = await behindAStalledReader(big);
    await waitUntil(() => printed.length >= 120_000 || err().includes('fallen'), 'the whole history, or a drop');
    stop();
    expect(err()).not.toContain('fallen');
    expect(new Set(printed.map((r) => r.id)).size).toBe(120_000);
    expect((await following).endedBy).toBe('signal');
  } finally {
    await big.close();
  }
});

it('is not idle while records wait for a slow reader', async () => {
  const history = await startSandbox({ seed: 8, events: 20_000, historySpan: 600 });
  try {
    const { printed, following } = await behindAStalledReader(history, { idleTimeoutMs: 300 });
    expect((await following).endedBy).toBe('idle');
    expect(new Set(printed.map((r) => r.id)).size).toBe(20_000);
  } finally {
    await history.close();
  }
});

it('is not idle while a slow page of the history is on its way', async () => {
  // Every page of the log answers after longer than --idle-timeout, as on a loaded server; the
  // run ends idle only once the whole history is out.
  const history = await startSandbox({ seed: 9, events: 3_000, historySpan: 600 });
  const removeSlowness = history.control.failRoutes({
    path: /^data\/events\/last/,
    mode: { kind: 'slow', delayMs: 700 },
  });
  const ctx = contextFor(botEnv(history, tmp.dir), new AbortController().signal);
  const session = await openSession(ctx);
  try {
    const printed: EventRecord[] = [];
    const summary = await follow(ctx, session, {
      filter: parsePatterns([]),
      backfill: true,
      since: new Date(Date.now() - 3_600_000),
      idleTimeoutMs: 250,
      onRecord: async (record) => {
        printed.push(record);
      },
    });
    expect(summary.endedBy).toBe('idle');
    expect(new Set(printed.map((r) => r.id)).size).toBe(3_000);
  } finally {
    removeSlowness();
    await session.close();
    await history.close();
  }
});
