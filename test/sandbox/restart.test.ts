/**
 * The sandbox behaves like a Zou that restarts: its signing key (and seeded world) stay the
 * same across restarts of the same --seed, or of the same --state folder, so a session made
 * before a restart still works after it; rows made through its API carry the time of the call.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/types.js';
import { loginAs } from '../helpers/login.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';
import { call, login } from '../helpers/sandbox.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandboxOn(options: SandboxOptions): Promise<Sandbox> {
  const sandbox = await startSandbox(options);
  cleanups.push(() => sandbox.close());
  return sandbox;
}

/** Logs in with the CLI, restarts the sandbox on the same port with `again`, and runs `whoami`. */
async function whoamiAfterRestart(
  first: SandboxOptions,
  again: SandboxOptions,
): Promise<{ code: number; stderr: string; stdout: string }> {
  const tmp = tempConfigDir();
  cleanups.push(() => tmp.cleanup());
  const before = await startSandbox(first);
  await loginAs(before, before.users.admin, tmp.dir);
  const port = before.port;
  await before.close();
  await sandboxOn({ ...again, port });
  return runCli(['whoami', '--json'], { env: { KITSU_TAIL_CONFIG_DIR: tmp.dir } });
}

describe('the sandbox across a restart', () => {
  it('keeps a session made before a restart with the same --seed on the same port', async () => {
    const result = await whoamiAfterRestart({ seed: 21 }, { seed: 21 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('admin');
  });

  it('keeps it with the same --state folder, which holds the key (0600)', async () => {
    const state = mkdtempSync(join(tmpdir(), 'kitsu-sandbox-state-'));
    cleanups.push(() => rmSync(state, { recursive: true, force: true }));
    const result = await whoamiAfterRestart({ seed: 21, state }, { seed: 21, state });
    expect(result.code).toBe(0);
    expect(statSync(join(state, 'signing-key')).mode & 0o777).toBe(0o600);
  });

  it('does not take a token signed by a sandbox of another seed', async () => {
    const result = await whoamiAfterRestart({ seed: 21 }, { seed: 22 });
    expect(result.code).toBe(3);
  });
});

describe('rows made through the sandbox API', () => {
  it('carry the time of the call, as Zou answers, not the seeded world’s start', async () => {
    const sandbox = await sandboxOn({ seed: 24 });
    const { access } = await login(sandbox, sandbox.users.admin);
    const before = Math.floor(Date.now() / 1000) * 1000;
    const answer = await call(sandbox, 'data/projects', { token: access, body: { name: 'Made Now' } });
    const after = Date.now();
    expect(answer.status).toBe(201);
    const created = Date.parse(`${String(answer.body.created_at).replace(/Z?$/, 'Z')}`);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(after);
    // And the list says the same.
    const listed = (await call(sandbox, 'data/projects', { token: access })).body as {
      name: string;
      created_at: string;
    }[];
    expect(listed.find((p) => p.name === 'Made Now')!.created_at).toBe(answer.body.created_at);
  });
});
