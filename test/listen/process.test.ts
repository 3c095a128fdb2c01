/**
 * `listen` as a real process (bin/kitsu-tail.js, built): a closed pipe and Ctrl-C. And `demo`,
 * which needs nothing but itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { BIN, botEnv, FORCED_EXIT, spawnCli, startInProcess, waitUntil } from '../helpers/listen.js';
import { loginAs } from '../helpers/login.js';
import { tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
const tmp = tempConfigDir();

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 11 });
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

describe('listen as a process', () => {
  it('ends quietly with exit 0 when the reader of its stdout goes away (| head -n 3)', async () => {
    const env = { ...process.env, ...botEnv(sandbox, tmp.dir) };
    const shell = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" listen --json | head -n 3`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    shell.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    shell.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const exit = new Promise<number | null>((resolve) => shell.on('close', (code) => resolve(code)));
    await waitUntil(
      () => err.includes('connected to'),
      'the listener to connect',
      30_000,
      () => err,
    );
    // Keep events coming: the listener learns that head is gone on its next write.
    sandbox.control.setRate(20);
    try {
      expect(await exit).toBe(0);
    } finally {
      sandbox.control.setRate(0);
    }
    expect(out.trim().split('\n')).toHaveLength(3);
    expect(err).not.toMatch(/EPIPE|Error|at .*\.js/);
  });

  it('prints a one-line summary on Ctrl-C and exits 130', async () => {
    const live = spawnCli(['listen', '--json'], { ...process.env, ...botEnv(sandbox, tmp.dir) });
    await live.waitForStderr('connected to');
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    sandbox.control.emit('task:update', { task_id: '1' });
    sandbox.control.emit('task:update', { task_id: '2' });
    await live.waitForRecords(2);
    live.interrupt();
    expect(await live.exit).toBe(130);
    const lines = live.stderr().trim().split('\n');
    expect(lines[lines.length - 1]).toBe('stopped: 2 events, 0 reconnects, 0 backfilled');
  });

  it('winds down on one Ctrl-C with a saved profile, whose store also listens for signals', async () => {
    const config = tempConfigDir();
    try {
      await loginAs(sandbox, sandbox.users.admin, config.dir);
      const live = spawnCli(['listen', '--json'], { ...process.env, KITSU_TAIL_CONFIG_DIR: config.dir, NO_COLOR: '1' });
      await live.waitForStderr('connected to');
      live.interrupt();
      expect(await live.exit).toBe(130);
      expect(live.stderr()).toMatch(/stopped: \d+ events?, 0 reconnects, 0 backfilled\n$/);
      expect(live.stderr()).not.toMatch(FORCED_EXIT);
    } finally {
      config.cleanup();
    }
  });

  it('ends by itself on Ctrl-C while an --exec command that ignores SIGTERM still runs', async () => {
    const pidFile = join(tmp.dir, 'exec-child.pid');
    const command = `trap '' TERM; sleep 10 & echo $! > ${pidFile}; wait`;
    const live = spawnCli(['listen', '--json', '--exec', command], { ...process.env, ...botEnv(sandbox, tmp.dir) });
    await live.waitForStderr('connected to');
    await waitUntil(() => sandbox.control.connectedSockets() >= 1, 'the socket to be counted');
    sandbox.control.emit('task:update', { task_id: 'exec' });
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the command to start');
    live.interrupt();
    expect(await live.exit).toBe(130);
    expect(live.stderr()).not.toMatch(FORCED_EXIT);
  });

  it('ends by itself, every timer and socket released, however the stream ends', async () => {
    // A history for --since to print from.
    sandbox.control.generate(3);
    const env = { ...process.env, ...botEnv(sandbox, tmp.dir) };
    const endings: { argv: string[]; code: number; env?: Record<string, string> }[] = [
      { argv: ['--count', '1'], code: 0 },
      { argv: ['--since', '1m', '--count', '2'], code: 0 },
      { argv: ['nothing:*', '--idle-timeout', '500ms'], code: 0 },
      // Ended while socket.io-client loads, before the socket exists.
      { argv: ['nothing:*', '--idle-timeout', '1ms', '--no-backfill'], code: 0 },
      { argv: ['nothing:*', '--until', '+1s'], code: 0 }, // issue 11: a future end is written +1s
      { argv: ['nothing:*', '--count', '1', '--idle-timeout', '500ms'], code: 124 },
      { argv: [], code: 3, env: { KITSU_TOKEN: 'not-a-token' } },
    ];
    sandbox.control.setRate(20);
    try {
      await Promise.all(
        endings.map(async ({ argv, code, env: extra }) => {
          const live = spawnCli(['listen', '--json', ...argv], { ...env, ...extra });
          const ended = { argv, code: await live.exit, forced: FORCED_EXIT.test(live.stderr()) };
          expect(ended).toEqual({ argv, code, forced: false });
        }),
      );
    } finally {
      sandbox.control.setRate(0);
    }
  });
});

describe('demo', () => {
  it('starts a sandbox in-process and listens to it, touching no saved profile', async () => {
    const config = tempConfigDir();
    try {
      const live = startInProcess(['demo', 'task:*', '--json', '--count', '3', '--rate', '30'], {
        KITSU_TAIL_CONFIG_DIR: config.dir,
        NO_COLOR: '1',
      });
      expect(await live.exit).toBe(0);
      const records = live.records();
      expect(records).toHaveLength(3);
      for (const r of records) expect(r.name).toMatch(/^task:/);
      expect(live.stderr()).toMatch(/demo: a Kitsu sandbox .* runs in this process at http:\/\/127\.0\.0\.1:\d+/);
      expect(live.stderr()).toContain('Ctrl-C');
      expect(readdirSync(config.dir)).toEqual([]);
    } finally {
      config.cleanup();
    }
  });
});
