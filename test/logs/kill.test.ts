/**
 * The exactly-once promise under SIGKILL: the built program exports with a checkpoint again
 * and again while the sandbox keeps producing events, and is killed at random moments, and
 * also exactly in the moments that matter, which random kills seldom hit (they last
 * milliseconds of a run): after the output was written but before it was flushed, and after
 * it was flushed but before the checkpoint was replaced. After a final clean run the file
 * must hold every stored event exactly once, in the server's order, with no partial line.
 * Needs `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, PAUSE_PRELOAD, seeded, storedIds } from '../helpers/logs.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const BIN = fileURLToPath(new URL('../../bin/kitsu-tail.js', import.meta.url));
const KILLS = 32;
/** Kills in the moments that matter, half of them in each. */
const PAUSED_KILLS = 12;
const CLEAN_RUNS = 5;

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 3, events: 20_000, historySpan: 3 * 86_400 });
  config = tempConfigDir();
  dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-kill-'));
});

afterAll(async () => {
  sandbox?.control.setRate(0);
  await sandbox?.close();
  config?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

it(
  'never loses, repeats or half-writes an event, killed with SIGKILL at random moments',
  { timeout: 240_000 },
  async () => {
    const seed = Number(process.env.KILL_TEST_SEED ?? Date.now() % 100_000);
    const random = seeded(seed);
    const state = join(dir, 'state.json');
    const out = join(dir, 'events.ndjson');
    const env = botEnv(sandbox, 'admin', config.dir);
    /** A run; with `pauseAt` (see PAUSE_PRELOAD), `paused` resolves when it stopped there. */
    const run = (pauseAt?: string): { child: ChildProcess; stderr: () => string; paused: Promise<'paused'> } => {
      const args = [BIN, 'logs', '--checkpoint', state, '--output', out];
      const child = spawn(process.execPath, pauseAt ? ['--import', PAUSE_PRELOAD, ...args] : args, {
        env: pauseAt ? { ...env, KITSU_TEST_PAUSE_AT: pauseAt } : env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const paused = new Promise<'paused'>((resolve) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('paused at ')) resolve('paused');
        });
      });
      return { child, stderr: () => stderr, paused };
    };
    const committedBytes = (): number | null =>
      existsSync(state)
        ? (JSON.parse(readFileSync(state, 'utf8')) as { committed_bytes: number }).committed_bytes
        : null;
    const outputBytes = (): number => (existsSync(out) ? statSync(out).size : 0);

    sandbox.control.setRate(200);
    let kills = 0;
    let pausedKills = 0;
    /** Paused kills that left output bytes the checkpoint does not count, and a new checkpoint not yet in place. */
    let uncommitted = 0;
    let halfReplaced = 0;
    let clean = 0;
    let typicalMs = 1500;
    const failures: string[] = [];
    while (kills < KILLS || pausedKills < PAUSED_KILLS || clean < CLEAN_RUNS) {
      // Now and then a burst of more than a page inside one second.
      if (random() < 0.2) sandbox.control.generate(1200 + Math.floor(random() * 800));
      if (pausedKills < PAUSED_KILLS && (random() < 0.3 || (kills >= KILLS && clean >= CLEAN_RUNS))) {
        // The first commit after appending: a repair flushes its cut first, and a first run
        // commits its starting length first.
        const committed = committedBytes();
        const pauseAt =
          pausedKills % 2 === 0
            ? `sync:events.ndjson#${committed !== null && outputBytes() > committed ? 2 : 1}`
            : `rename:state.json#${committed === null ? 2 : 1}`;
        const { child, stderr, paused } = run(pauseAt);
        const outcome = await Promise.race([exited(child), paused]);
        if (outcome !== 'paused') {
          if (outcome !== 0) failures.push(`exit ${outcome}: ${stderr()}`);
          continue;
        }
        child.kill('SIGKILL');
        await exited(child);
        pausedKills += 1;
        if (outputBytes() > (committedBytes() ?? 0)) uncommitted += 1;
        // The new checkpoint, written under a temporary name nobody can guess (see src/export/files.ts).
        if (
          pauseAt.startsWith('rename') &&
          readdirSync(dir).some((name) => /^state\.json\.[0-9a-f]{16}\.tmp$/.test(name))
        )
          halfReplaced += 1;
        continue;
      }
      const started = Date.now();
      const { child, stderr } = run();
      if (kills < KILLS && (clean >= CLEAN_RUNS || random() < 0.85)) {
        const delay = Math.floor(random() * typicalMs * 1.2);
        const done = await Promise.race([
          exited(child),
          new Promise<'timer'>((r) => setTimeout(() => r('timer'), delay)),
        ]);
        if (done === 'timer') {
          child.kill('SIGKILL');
          await exited(child);
          kills += 1;
        } else if (done !== 0) {
          failures.push(`exit ${done}: ${stderr()}`);
        }
      } else {
        const code = await exited(child);
        if (code !== 0) failures.push(`exit ${code}: ${stderr()}`);
        else clean += 1;
        typicalMs = Math.max(300, Date.now() - started);
      }
    }
    sandbox.control.setRate(0);
    // Let the generator's last turn land before the final run reads.
    await new Promise((r) => setTimeout(r, 50));
    const final = run();
    expect(await exited(final.child), final.stderr()).toBe(0);

    expect(failures, `seed ${seed}`).toEqual([]);
    const text = readFileSync(out, 'utf8');
    const ids = idsOfNdjson(text); // throws on a partial line
    const expected = storedIds(sandbox);
    expect(new Set(ids).size, `seed ${seed}: repeated events`).toBe(ids.length);
    expect(ids.length, `seed ${seed}`).toBe(expected.length);
    expect(ids, `seed ${seed}`).toEqual(expected);
    const checkpoint = JSON.parse(readFileSync(state, 'utf8')) as { committed_bytes: number; events: number };
    expect(checkpoint.committed_bytes).toBe(statSync(out).size);
    expect(checkpoint.events).toBe(expected.length);
    expect(kills).toBeGreaterThanOrEqual(30);
    // The kills really landed in the moments that matter.
    expect(uncommitted, `seed ${seed}`).toBeGreaterThan(0);
    expect(halfReplaced, `seed ${seed}`).toBe(PAUSED_KILLS / 2);
  },
);
