/**
 * `logs --follow` (history, then live events through the follow engine, nothing missed or
 * repeated at the seam), `logs | head` through a real pipe (exit 0, nothing on stderr), and
 * Ctrl-C of a real process in the middle of an export. The process tests spawn the built
 * program: `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { loginAs } from '../helpers/login.js';
import { botEnv, idsOfNdjson, storedIds, waitFor } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

const BIN = fileURLToPath(new URL('../../bin/kitsu-tail.js', import.meta.url));

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 9, events: 20_000, historySpan: 86_400 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

describe('logs --follow', () => {
  it('prints the history, then live events, each once across the seam', async () => {
    const history = storedIds(sandbox, (e) => e.name.startsWith('task:') || e.name.startsWith('asset:')).slice(-5);
    const controller = new AbortController();
    let out = '';
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string | null; data: Record<string, unknown>; name: string });
    const running = runCli(['logs', '--follow', '--limit', '5', 'task:*', 'asset:*'], {
      env: admin,
      signal: controller.signal,
      onStdout: (chunk) => (out += chunk),
    });
    await waitFor(() => lines().length >= 5, 'the history');
    // Right at the seam (before or after the stream is up), and later on.
    sandbox.control.emit('task:update', { task_id: 'seam-1', project_id: sandbox.projects[0]!.id });
    sandbox.control.emit('comment:new', { comment_id: 'filtered-out' });
    await new Promise((r) => setTimeout(r, 300));
    sandbox.control.emit('asset:update', { asset_id: 'later-2', project_id: sandbox.projects[0]!.id });
    await waitFor(() => ['seam-1', 'later-2'].every((m) => out.includes(m)), 'the live events');
    await new Promise((r) => setTimeout(r, 500));
    controller.abort(new InterruptedError());
    const result = await running;
    expect(result.code).toBe(130);
    const printed = lines();
    expect(printed.slice(0, 5).map((r) => r.id)).toEqual(history);
    expect(printed.filter((r) => r.data.task_id === 'seam-1')).toHaveLength(1);
    expect(printed.filter((r) => r.data.asset_id === 'later-2')).toHaveLength(1);
    expect(out).not.toContain('filtered-out');
    // No history row comes back once live events have begun.
    const ids = printed.map((r) => r.id).filter((id): id is string => id !== null);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('logs | head', () => {
  it('ends quietly with exit 0 when the reader of a real pipe goes away', async () => {
    const child = spawn(process.execPath, [BIN, 'logs', '--all'], { env: admin, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let received = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.split('\n').length > 3) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});

describe('logs --checkpoint, Ctrl-C', () => {
  it('commits what it appended and exits 130 when logged in with a saved profile', async () => {
    // A saved profile loads conf, whose when-exit sends a caught signal again at once: that
    // echo must not be taken for a second Ctrl-C ("stop now", with nothing committed).
    const profileDir = tempConfigDir();
    const dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-sigint-'));
    const state = join(dir, 'state.json');
    const out = join(dir, 'events.ndjson');
    const restore = sandbox.control.failRoutes({ path: /^data\/events\/last/, mode: { kind: 'slow', delayMs: 50 } });
    try {
      await loginAs(sandbox, sandbox.users.admin, profileDir.dir);
      const child = spawn(process.execPath, [BIN, 'logs', '--checkpoint', state, '--output', out], {
        env: { KITSU_TAIL_CONFIG_DIR: profileDir.dir },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const committed = () => (JSON.parse(readFileSync(state, 'utf8')) as { committed_bytes: number }).committed_bytes;
      // Between two commits: rows in the file that the checkpoint does not count yet.
      await waitFor(
        () => existsSync(state) && existsSync(out) && statSync(out).size > committed(),
        'rows appended after a commit',
      );
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
      expect(committed()).toBe(statSync(out).size);
      const ids = idsOfNdjson(readFileSync(out, 'utf8'));
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(storedIds(sandbox).slice(0, ids.length));
    } finally {
      restore();
      profileDir.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
