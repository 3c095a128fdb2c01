/**
 * `logs --follow` (history, then live events through the follow engine, nothing missed or
 * repeated at the seam) and `logs | head` through a real pipe (exit 0, nothing on stderr).
 * The pipe test spawns the built program: `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { botEnv, storedIds, waitFor } from '../helpers/logs.js';
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
    const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string | null; data: Record<string, unknown>; name: string });
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
