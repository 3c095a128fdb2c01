/**
 * Two kitsu-tail processes renewing the same profile at the same moment, again and again:
 * the store stays whole, one renewal serves both, and neither logs the other out.
 * Spawns bin/kitsu-tail.js, so it needs `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { loginAs } from '../helpers/login.js';
import { tempConfigDir } from '../helpers/run-cli.js';

const exec = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'kitsu-tail.js');
const tmp = tempConfigDir();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
  tmp.cleanup();
});

async function whoami(): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: tmp.dir, KITSU_TAIL_CONFIG_DIR: tmp.dir };
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, 'whoami', '--json'], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('two processes renewing one profile at once', () => {
  it('keep a valid store and both stay logged in, round after round', async () => {
    await loginAs(sandbox, sandbox.users.admin, tmp.dir);
    const refreshToken = JSON.parse(readFileSync(join(tmp.dir, 'config.json'), 'utf8')).profiles.default.refreshToken;
    const rounds = 5;
    for (let round = 0; round < rounds; round += 1) {
      sandbox.control.expireAccessTokens();
      const results = await Promise.all([whoami(), whoami()]);
      for (const result of results) {
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout).user.email).toBe('admin@example.com');
      }
      const store = JSON.parse(readFileSync(join(tmp.dir, 'config.json'), 'utf8'));
      expect(store.profiles.default.refreshToken).toBe(refreshToken);
    }
    const renewals = sandbox.control.requests().filter((r) => r.path === 'auth/refresh-token');
    expect(renewals.map((r) => r.status)).toEqual(Array(rounds).fill(200));
    expect(() => readFileSync(join(tmp.dir, 'config.json.lock'))).toThrow();
  });
});
