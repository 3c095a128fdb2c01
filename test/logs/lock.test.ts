/**
 * The export lock under contention: many runs that find the same dead run's lock at once
 * (cron runs started together after a SIGKILL) must leave exactly one of them holding it.
 * The runs race in one process: their file operations run in parallel on libuv's threads.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockCheckpoint, takeoverMarker, type LockOutcome } from '../../src/store/lock.js';

const RUNS = 20;
const ROUNDS = 30;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A lock left by a run that is gone: this process's pid, but another process start. */
function deadLock(path: string, token: string, extra: Record<string, unknown> = {}): void {
  const holder = {
    pid: process.pid,
    host: hostname(),
    processStart: 'another-process',
    startedAt: new Date().toISOString(),
    token,
    ...extra,
  };
  writeFileSync(path, JSON.stringify(holder));
}

/** RUNS runs at once; time runs fast for them, so that the wait for a live holder is short. */
async function race(checkpoint: string): Promise<LockOutcome[]> {
  let clock = Date.now();
  const now = () => (clock += 200);
  return Promise.all(Array.from({ length: RUNS }, () => lockCheckpoint(checkpoint, { now })));
}

describe('export lock', () => {
  it(`${RUNS} runs that find one dead run's lock at once: exactly one takes it, ${ROUNDS} times over`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-lock-'));
    for (let round = 0; round < ROUNDS; round += 1) {
      const checkpoint = join(dir, `state-${round}.json`);
      deadLock(`${checkpoint}.lock`, `dead-${round}`);
      const outcomes = await race(checkpoint);
      const taken = outcomes.flatMap((o) => ('lock' in o ? [o.lock] : []));
      expect(taken, `round ${round}`).toHaveLength(1);
      expect(
        outcomes.filter((o) => 'busy' in o),
        `round ${round}`,
      ).toHaveLength(RUNS - 1);
      await taken[0]!.release();
    }
    // Nothing left behind: no lock, no draft, no takeover marker.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a takeover left half done by a killed run (its marker, and a marker of that marker) blocks nobody', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-lock-'));
    const checkpoint = join(dir, 'state.json');
    const lockPath = `${checkpoint}.lock`;
    deadLock(lockPath, 'dead');
    // A run that was taking the dead lock over was killed, and so was one taking that over.
    const marker = takeoverMarker(lockPath, readFileSync(lockPath, 'utf8'));
    deadLock(marker, 'killed-taker');
    deadLock(takeoverMarker(lockPath, readFileSync(marker, 'utf8')), 'killed-taker-of-the-taker');
    const outcomes = await race(checkpoint);
    const taken = outcomes.flatMap((o) => ('lock' in o ? [o.lock] : []));
    expect(taken).toHaveLength(1);
    expect(outcomes.filter((o) => 'busy' in o)).toHaveLength(RUNS - 1);
    await taken[0]!.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});
