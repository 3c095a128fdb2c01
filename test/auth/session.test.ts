/**
 * Staying logged in: renewal before and after the server refuses, sessions that end for good,
 * concurrent renewals of one profile, and which login a command uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/errors.js';
import { expiresAt } from '../../src/kitsu/jwt.js';
import { openSession } from '../../src/kitsu/session.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { configDirs, contextFor, expectOneLine, loginAs, loginWithToken } from '../helpers/login.js';
import { runCli } from '../helpers/run-cli.js';

const configDir = configDirs();
const sandboxes: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});

async function sandbox(options: Parameters<typeof startSandbox>[0] = {}): Promise<Sandbox> {
  const s = await startSandbox(options);
  sandboxes.push(s);
  return s;
}

function storedAccessToken(dir: string, profile = 'default'): string {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles[profile].accessToken as string;
}

const refreshes = (s: Sandbox) => s.control.requests().filter((r) => r.path === 'auth/refresh-token').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('renewal', () => {
  it('renews a 2-second access token across a longer command without the user noticing', async () => {
    const s = await sandbox({ accessTokenTtl: 2 });
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    const { ctx, stderr } = contextFor({ KITSU_TAIL_CONFIG_DIR: dir });
    const session = await openSession(ctx);
    try {
      const first = await session.accessToken();
      const deadline = Date.now() + 30_000;
      let requests = 0;
      // Keep using the session until it has outlived its first token and renewed at least twice.
      while ((refreshes(s) < 2 || Date.now() <= expiresAt(first)!) && Date.now() < deadline) {
        const answer = await session.http.get<{ authenticated: boolean }>('auth/authenticated');
        expect(answer.authenticated).toBe(true);
        requests += 1;
        await sleep(150);
      }
      expect(refreshes(s)).toBeGreaterThanOrEqual(2);
      expect(requests).toBeGreaterThan(3);
      expect(await session.accessToken()).not.toBe(first);
      expect(storedAccessToken(dir)).toBe(await session.accessToken());
      expect(stderr()).toBe('');
    } finally {
      await session.close();
    }
  });

  it('renews on a 401 "Signature has expired" and retries once', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    const before = storedAccessToken(dir);
    s.control.expireAccessTokens();
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const paths = s.control.requests().map((r) => `${r.path} ${r.status}`);
    expect(paths.slice(-3)).toEqual(['auth/authenticated 401', 'auth/refresh-token 200', 'auth/authenticated 200']);
    expect(storedAccessToken(dir)).not.toBe(before);
  });

  it('renew() replaces a token the event stream saw refused', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.artist, dir);
    const session = await openSession(contextFor({ KITSU_TAIL_CONFIG_DIR: dir }).ctx);
    try {
      const old = await session.accessToken();
      const renewed = await session.renew();
      expect(renewed).not.toBe(old);
      expect(await session.accessToken()).toBe(renewed);
      expect(session.tls).toEqual({ rejectUnauthorized: true });
    } finally {
      await session.close();
    }
  });

  it('ends with exit 3 and the hint when the refresh token has expired too', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    s.control.expireAccessTokens();
    s.control.expireRefreshTokens();
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code).toBe(3);
    expectOneLine(result);
    expect(result.stderr).toContain('cannot be renewed');
    expect(result.stderr).toContain('kitsu-tail login');
    expect(result.stderr).toContain('bot token');
  });

  it('knows from the token itself that the session has ended, without asking the server', async () => {
    const s = await sandbox({ accessTokenTtl: 1, refreshTokenTtl: 1 });
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    const refresh = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.default.refreshToken as string;
    while (Date.now() <= expiresAt(refresh)! + 100) await sleep(100);
    const before = refreshes(s);
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('session ended');
    expect(result.stderr).toContain('kitsu-tail login');
    expect(refreshes(s)).toBe(before);
  });

  it('says a revoked session was revoked', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    s.control.revokeAllTokens();
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Token has been revoked');
    expect(result.stderr).toContain('kitsu-tail login');
  });

  it('whoami still shows the saved login when the session is refused (exit 3)', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    s.control.revokeAllTokens();
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code).toBe(3);
    expectOneLine(result);
    expect(result.stdout).toMatch(/^user +Super Admin <admin@example\.com>$/m);
    expect(result.stdout).toMatch(/^role +admin$/m);
    expect(result.stdout).toMatch(new RegExp(`^host +${s.url.replace(/[.]/g, '\\.')}$`, 'm'));
    expect(result.stdout).toMatch(/^session +ends \d{4}-\d\d-\d\d \d\d:\d\d/m);
    expect(result.stdout).toMatch(/^status +refused by the server$/m);
    const json = await runCli(['whoami', '--json'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ profile: 'default', status: 'refused', host: s.url });
  });

  it('whoami still shows the saved login when the host is unreachable (exit 5)', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    await s.close();
    const result = await runCli(['whoami'], {
      env: { KITSU_TAIL_CONFIG_DIR: dir, KITSU_TAIL_REQUEST_TIMEOUT: '5s' },
    });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stdout).toMatch(/^user +Super Admin <admin@example\.com>$/m);
    expect(result.stdout).toMatch(/^status +not checked: the host cannot be reached$/m);
    expect(result.stderr).toMatch(/^kitsu-tail: /m);
  });

  it('cannot renew a bot token, and says to get a new one', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginWithToken(s, s.control.createBot('admin').token, dir);
    s.control.revokeAllTokens();
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('bot token');
    expect(refreshes(s)).toBe(0);
    const session = await openSession(contextFor({ KITSU_TAIL_CONFIG_DIR: dir }).ctx);
    try {
      expect(session.isBot).toBe(true);
      await expect(session.renew()).rejects.toBeInstanceOf(AuthError);
    } finally {
      await session.close();
    }
  });
});

describe('concurrent renewals of one profile', () => {
  it('two sessions renewing at once, many times, share one renewal each time and stay logged in', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.admin, dir);
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const a = await openSession(contextFor(env).ctx);
    const b = await openSession(contextFor(env).ctx);
    try {
      const rounds = 12;
      for (let round = 0; round < rounds; round += 1) {
        s.control.expireAccessTokens();
        const answers = await Promise.all(
          [a, b, a, b].map((session) => session.http.get<{ authenticated: boolean }>('auth/authenticated')),
        );
        expect(answers.every((answer) => answer.authenticated)).toBe(true);
      }
      // Under the lock, the second one found the token the first had just saved.
      expect(refreshes(s)).toBe(rounds);
      expect(await a.accessToken()).toBe(await b.accessToken());
      expect(storedAccessToken(dir)).toBe(await a.accessToken());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('which login a command uses', () => {
  it('flags beat the environment, which beats the saved default', async () => {
    const s = await sandbox();
    const dir = configDir();
    await loginAs(s, s.users.admin, dir, 'studio');
    await loginAs(s, s.users.artist, dir, 'artist');
    const bot = s.control.createBot('manager');
    const who = async (argv: string[], env: Record<string, string> = {}) => {
      const result = await runCli([...argv, 'whoami', '--json'], { env: { KITSU_TAIL_CONFIG_DIR: dir, ...env } });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as { profile: string; user: { email: string }; bot: boolean };
    };
    expect((await who([])).profile).toBe('studio'); // the first login became the default
    expect((await who([], { KITSU_PROFILE: 'artist' })).user.email).toBe(s.users.artist.email);
    expect((await who(['--profile', 'studio'], { KITSU_PROFILE: 'artist' })).user.email).toBe(s.users.admin.email);
    const fromEnv = await who([], { KITSU_TOKEN: bot.token });
    expect(fromEnv).toMatchObject({ profile: '(environment)', bot: true });
    expect((await who(['--profile', 'artist'], { KITSU_TOKEN: bot.token })).user.email).toBe(s.users.artist.email);
    const missing = await runCli(['--profile', 'nope', 'whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('saved: artist, studio');
  });

  it('KITSU_HOST picks the saved login of that host, or says there is none', async () => {
    const s1 = await sandbox();
    const s2 = await sandbox();
    const dir = configDir();
    await loginAs(s1, s1.users.admin, dir, 'one');
    await loginAs(s2, s2.users.artist, dir, 'two');
    const two = await runCli(['whoami', '--json'], { env: { KITSU_TAIL_CONFIG_DIR: dir, KITSU_HOST: s2.url } });
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ profile: 'two', host: s2.url });
    const none = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir, KITSU_HOST: 'http://127.0.0.1:9' } });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('not logged in to http://127.0.0.1:9');
  });

  it('lists, switches and forgets profiles', async () => {
    const s = await sandbox();
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    await loginAs(s, s.users.admin, dir, 'studio');
    await loginAs(s, s.users.artist, dir, 'artist');
    const list = await runCli(['profiles'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^\* +studio +http:\/\/127\.0\.0\.1:\d+ +admin@example\.com \(admin\)/m);
    expect(list.stdout).toMatch(/^ +artist +http:\/\/127\.0\.0\.1:\d+ +artist@example\.com \(user\)/m);
    const json = (await runCli(['profiles', '--json'], { env })).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(json.map((p: { name: string; default: boolean }) => [p.name, p.default])).toEqual([
      ['artist', false],
      ['studio', true],
    ]);
    expect(JSON.stringify(json)).not.toContain('Token');

    const use = await runCli(['profiles', 'use', 'artist'], { env });
    expect(use.code).toBe(0);
    expect(JSON.parse((await runCli(['whoami', '--json'], { env })).stdout).profile).toBe('artist');
    const unknown = await runCli(['profiles', 'use', 'nope'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('saved: artist, studio');

    const remove = await runCli(['profiles', 'remove', 'artist'], { env });
    expect(remove.code).toBe(0);
    expect(remove.stderr).toContain('Profile "studio" is now the default');
    expect(JSON.parse((await runCli(['whoami', '--json'], { env })).stdout).profile).toBe('studio');
  });
});

describe('where the API and the stream are', () => {
  it('handles a sub-path install given with /api', async () => {
    const s = await sandbox({ basePath: '/kitsu' });
    const dir = configDir();
    const login = await runCli(
      ['login', '--host', `${s.url}/api/`, '--email', s.users.admin.email, '--password-stdin'],
      {
        env: { KITSU_TAIL_CONFIG_DIR: dir },
        stdin: `${s.users.admin.password}\n`,
      },
    );
    expect(login.code, login.stderr).toBe(0);
    const who = JSON.parse((await runCli(['whoami', '--json'], { env: { KITSU_TAIL_CONFIG_DIR: dir } })).stdout);
    expect(who).toMatchObject({
      host: s.url,
      api_url: `${s.url}/api`,
      event_url: new URL(s.url).origin,
      socket_path: '/kitsu/socket.io',
    });
  });

  it('takes the event host from --event-host at login, and KITSU_EVENT_HOST later', async () => {
    const s = await sandbox();
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const login = await runCli(
      [
        'login',
        '--host',
        s.url,
        '--event-host',
        'https://events.example.com/rt',
        '--email',
        s.users.admin.email,
        '--password-stdin',
      ],
      {
        env,
        stdin: `${s.users.admin.password}\n`,
      },
    );
    expect(login.code, login.stderr).toBe(0);
    const saved = JSON.parse((await runCli(['whoami', '--json'], { env })).stdout);
    expect(saved).toMatchObject({ event_url: 'https://events.example.com', socket_path: '/rt/socket.io' });
    const overridden = JSON.parse(
      (await runCli(['whoami', '--json'], { env: { ...env, KITSU_EVENT_HOST: 'http://127.0.0.1:5001' } })).stdout,
    );
    expect(overridden).toMatchObject({ event_url: 'http://127.0.0.1:5001', socket_path: '/socket.io' });
  });
});
