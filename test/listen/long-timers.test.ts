/**
 * Durations past what one Node timer holds (2^31-1 ms, about 24.8 days): `--idle-timeout 25d`
 * used to fire after 1 ms with a TimeoutOverflowWarning and end the run at once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from '../../src/listen/long-timeout.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, startInProcess, waitUntil } from '../helpers/listen.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const DAY = 86_400_000;

describe('setLongTimeout', () => {
  it('fires once, after the whole delay, however long', () => {
    vi.useFakeTimers();
    try {
      for (const ms of [0, 5, MAX_TIMER_MS, MAX_TIMER_MS + 1, 25 * DAY, 400 * DAY]) {
        const fired = vi.fn();
        setLongTimeout(fired, ms);
        if (ms > 0) vi.advanceTimersByTime(ms - 1);
        expect(fired, `${ms} ms`).not.toHaveBeenCalled();
        vi.advanceTimersByTime(1);
        expect(fired, `${ms} ms`).toHaveBeenCalledTimes(1);
        vi.advanceTimersByTime(10 * MAX_TIMER_MS);
        expect(fired).toHaveBeenCalledTimes(1);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not fire once cleared, even between two of its steps', () => {
    vi.useFakeTimers();
    try {
      const fired = vi.fn();
      const timer = setLongTimeout(fired, 60 * DAY);
      vi.advanceTimersByTime(30 * DAY);
      timer.clear();
      vi.advanceTimersByTime(60 * DAY);
      expect(fired).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('listen --idle-timeout 25d', () => {
  let sandbox: Sandbox;
  const tmp = tempConfigDir();
  beforeAll(async () => {
    sandbox = await startSandbox({ seed: 3 });
  });
  afterAll(async () => {
    await sandbox.close();
    tmp.cleanup();
  });

  it('keeps listening instead of ending at once', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const live = startInProcess(
      ['listen', '--json', '--count', '1', '--idle-timeout', '25d'],
      botEnv(sandbox, tmp.dir),
    );
    try {
      // Before the fix the run ended (124) before it was even connected.
      let ended = false;
      void live.exit.then(() => (ended = true));
      await waitUntil(
        () => ended || (live.stderr().includes('connected to') && sandbox.control.connectedSockets() >= 1),
        'the stream to be up',
      );
      sandbox.control.emit('task:update', { task_id: 'late', project_id: sandbox.projects[0]!.id });
      expect(await live.exit, live.stderr()).toBe(0);
      expect(live.records().map((r) => r.data.task_id)).toEqual(['late']);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      live.interrupt();
      await live.exit;
    }
  });
});
