/**
 * A saved profile remembers the server's version for a day, so one-shot commands skip the
 * `GET /api/` that every run used to pay; after a day the next command reads it again and
 * saves it, and a profile saved without the time (by 0.1) is read again at once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { loginWithToken } from '../helpers/login.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
const config = tempConfigDir();
const env = { KITSU_TAIL_CONFIG_DIR: config.dir };
const day = 24 * 3600 * 1000;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 3, events: 50 });
  await loginWithToken(sandbox, sandbox.control.createBot('admin').token, config.dir);
});
afterAll(async () => {
  await sandbox.close();
  config.cleanup();
});

/** How many times the command read the server's banner, and its exit code. */
async function bannerReads(at: number): Promise<number> {
  const before = sandbox.control.requests().length;
  const result = await runCli(['logs', '--limit', '1'], { env, clock: { now: () => at } });
  expect(result.code, result.stderr).toBe(0);
  return sandbox.control
    .requests()
    .slice(before)
    .filter((r) => r.path === '').length;
}

const configFile = () => join(config.dir, 'config.json');
const savedProfile = () =>
  (JSON.parse(readFileSync(configFile(), 'utf8')) as { profiles: Record<string, { serverCheckedAt?: string }> })
    .profiles.default!;

it('trusts the version login saved for a day, then reads it again once and saves it', async () => {
  const loggedIn = Date.parse(savedProfile().serverCheckedAt!);
  expect(await bannerReads(loggedIn + 60_000)).toBe(0);
  expect(await bannerReads(loggedIn + day - 1000)).toBe(0);
  expect(await bannerReads(loggedIn + day + 1000)).toBe(1);
  expect(Date.parse(savedProfile().serverCheckedAt!)).toBe(loggedIn + day + 1000);
  expect(await bannerReads(loggedIn + day + 2000)).toBe(0);
});

it('reads it at once for a profile saved without the time of the check', async () => {
  const data = JSON.parse(readFileSync(configFile(), 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
  delete data.profiles.default!.serverCheckedAt;
  writeFileSync(configFile(), JSON.stringify(data));
  expect(await bannerReads(Date.now())).toBe(1);
  expect(await bannerReads(Date.now())).toBe(0);
});
