/**
 * `login`, `whoami`, `logout` against the sandbox: every way in, every way of being refused.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { totpCode } from '../../src/sandbox/totp.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { configDirs, expectOneLine, loginAs } from '../helpers/login.js';
import { runCli } from '../helpers/run-cli.js';

let sandbox: Sandbox;
const configDir = configDirs();
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

function stored(dir: string): { defaultProfile?: string; profiles: Record<string, Record<string, unknown>> } {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
}

describe('password login', () => {
  it('logs in through --password-stdin, saves tokens but never the password, and whoami shows the user', async () => {
    const dir = configDir();
    const { admin } = sandbox.users;
    const login = await runCli(['login', '--host', sandbox.url, '--email', admin.email, '--password-stdin'], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
      stdin: `${admin.password}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toBe('');
    expect(login.stderr).toContain(`Logged in to ${sandbox.url} as Super Admin <admin@example.com> (admin)`);
    const file = readFileSync(join(dir, 'config.json'), 'utf8');
    expect(file).not.toContain(admin.password);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const profile = stored(dir).profiles.default!;
    expect(profile.host).toBe(sandbox.url);
    expect(profile.serverVersion).toBe(sandbox.version);
    expect(typeof profile.refreshToken).toBe('string');

    const whoami = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toMatch(/^user +Super Admin <admin@example.com>$/m);
    expect(whoami.stdout).toMatch(/^role +admin$/m);
    expect(whoami.stdout).toMatch(/^profile +default$/m);
    expect(whoami.stdout).toContain(`Zou ${sandbox.version}`);
    expect(whoami.stdout).toMatch(/^session +ends \d{4}-\d\d-\d\d \d\d:\d\d \(renewed automatically/m);

    const json = await runCli(['whoami', '--json'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(json.code).toBe(0);
    const record = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(record).toMatchObject({
      profile: 'default',
      host: sandbox.url,
      api_url: sandbox.apiUrl,
      socket_path: '/socket.io',
      server_version: sandbox.version,
      bot: false,
      user: { email: admin.email, role: 'admin', full_name: 'Super Admin' },
    });
    expect(Date.parse(record.session_ends_at as string)).toBeGreaterThan(
      Date.parse(record.access_expires_at as string),
    );
  });

  it('reads KITSU_HOST, KITSU_EMAIL and KITSU_PASSWORD', async () => {
    const dir = configDir();
    const { artist } = sandbox.users;
    const login = await runCli(['login'], {
      env: {
        KITSU_TAIL_CONFIG_DIR: dir,
        KITSU_HOST: sandbox.url,
        KITSU_EMAIL: artist.email,
        KITSU_PASSWORD: artist.password,
      },
    });
    expect(login.code, login.stderr).toBe(0);
    expect((stored(dir).profiles.default!.user as { email: string }).email).toBe(artist.email);
  });

  it('asks for host, e-mail and password on a terminal', async () => {
    const dir = configDir();
    const { manager } = sandbox.users;
    const login = await runCli(['login'], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
      stdinTTY: true,
      stdin: `${sandbox.url}\n${manager.email}\n${manager.password}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('Kitsu host: ');
    expect(login.stderr).toContain('E-mail: ');
    expect(login.stderr).toContain('Password: ');
    expect(login.stderr).not.toContain(manager.password);
    expect(login.stderr).toContain('Maya Manager');
  });

  it('asks for the password, hidden, when --password-stdin is given on a terminal', async () => {
    const { manager } = sandbox.users;
    const login = await runCli(['login', '--host', sandbox.url, '--email', manager.email, '--password-stdin'], {
      env: { KITSU_TAIL_CONFIG_DIR: configDir() },
      stdinTTY: true,
      stdin: `${manager.password}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('Password: ');
    expect(login.stderr).not.toContain(manager.password);
  });

  it('refuses a wrong password with exit 3 and one line, without claiming to know which was wrong', async () => {
    const result = await runCli(
      ['login', '--host', sandbox.url, '--email', sandbox.users.artist.email, '--password-stdin'],
      {
        env: { KITSU_TAIL_CONFIG_DIR: configDir() },
        stdin: 'not-the-password\n',
      },
    );
    expect(result.code).toBe(3);
    expectOneLine(result);
    expect(result.stderr).toContain('unknown e-mail or wrong password');
    expect(result.stderr).not.toContain('not-the-password');
  });

  for (const [kind, said] of [
    ['inactive', 'this account is inactive'],
    ['defaultPassword', 'default password'],
  ] as const) {
    it(`says distinctly when the account is ${kind === 'inactive' ? 'inactive' : 'still on the default password'}`, async () => {
      const user = sandbox.users[kind];
      const result = await runCli(['login', '--host', sandbox.url, '--email', user.email, '--password-stdin'], {
        env: { KITSU_TAIL_CONFIG_DIR: configDir() },
        stdin: `${user.password}\n`,
      });
      expect(result.code).toBe(3);
      expectOneLine(result);
      expect(result.stderr).toContain(said);
    });
  }

  it('says the account is locked after five failures, distinctly', async () => {
    const own = await startSandbox({ lockoutSeconds: 60 });
    try {
      const attempt = (password: string) =>
        runCli(['login', '--host', own.url, '--email', own.users.manager.email, '--password-stdin'], {
          env: { KITSU_TAIL_CONFIG_DIR: configDir() },
          stdin: `${password}\n`,
        });
      for (let i = 0; i < 5; i += 1) expect((await attempt('wrong')).stderr).toContain('wrong password');
      const locked = await attempt(own.users.manager.password);
      expect(locked.code).toBe(3);
      expectOneLine(locked);
      expect(locked.stderr).toContain('locked');
      expect(locked.stderr).not.toContain('wrong password');
    } finally {
      await own.close();
    }
  });

  it('says what is missing when there is no terminal to ask on', async () => {
    const noHost = await runCli(['login'], { env: { KITSU_TAIL_CONFIG_DIR: configDir() } });
    expect(noHost.code).toBe(2);
    expect(noHost.stderr).toContain('--host');
    const noPassword = await runCli(['login', '--host', sandbox.url, '--email', 'a@example.com'], {
      env: { KITSU_TAIL_CONFIG_DIR: configDir() },
    });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('--password-stdin');
  });
});

describe('two-factor login', () => {
  it('asks for the TOTP code on a terminal', async () => {
    const { totp } = sandbox.users;
    const dir = configDir();
    const code = totpCode(totp.totpSecret!, Date.now());
    const result = await runCli(['login', '--host', sandbox.url, '--email', totp.email], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
      stdinTTY: true,
      stdin: `${totp.password}\n${code}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Two-factor code: ');
    expect(result.stderr).toContain('Tara Totp');
    expect((stored(dir).profiles.default!.user as { email: string }).email).toBe(totp.email);
  });

  /** A six-digit code that is not the account's current one (nor the one before or after). */
  function wrongCodes(secret: string): string[] {
    const now = Date.now();
    return ['000000', '111111', '222222', '333333', '444444', '555555'].filter(
      (c) => ![-60_000, -30_000, 0, 30_000, 60_000].some((d) => totpCode(secret, now + d) === c),
    );
  }

  it('asks again after a wrong code on a terminal, without the password again', async () => {
    const { totp } = sandbox.users;
    const dir = configDir();
    const [wrong] = wrongCodes(totp.totpSecret!);
    const result = await runCli(['login', '--host', sandbox.url, '--email', totp.email], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
      stdinTTY: true,
      stdin: `${totp.password}\n${wrong}\n${totpCode(totp.totpSecret!, Date.now())}\n`,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.split('Two-factor code: ')).toHaveLength(3);
    expect(result.stderr.split('Password: ')).toHaveLength(2);
    expect(result.stderr).toContain(
      'warning: wrong two-factor code; use the current code of your authenticator app (2 tries left)',
    );
    expect((stored(dir).profiles.default!.user as { email: string }).email).toBe(totp.email);
  });

  it('gives up after three wrong codes on a terminal (exit 3), leaving the account unlocked', async () => {
    const { totp } = sandbox.users;
    const dir = configDir();
    const [a, b, c] = wrongCodes(totp.totpSecret!);
    const result = await runCli(['login', '--host', sandbox.url, '--email', totp.email], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
      stdinTTY: true,
      stdin: `${totp.password}\n${a}\n${b}\n${c}\n${totpCode(totp.totpSecret!, Date.now())}\n`,
    });
    expect(result.code).toBe(3);
    expect(result.stderr.split('Two-factor code: ')).toHaveLength(4);
    expect(result.stderr).toContain('1 try left');
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(/(^|: )kitsu-tail: wrong two-factor code \(/);
    // Three failures are under Zou's five: the next login goes through.
    const again = await runCli(
      [
        'login',
        '--host',
        sandbox.url,
        '--email',
        totp.email,
        '--password-stdin',
        '--otp',
        totpCode(totp.totpSecret!, Date.now()),
      ],
      { env: { KITSU_TAIL_CONFIG_DIR: dir }, stdin: `${totp.password}\n` },
    );
    expect(again.code, again.stderr).toBe(0);
  });

  it('takes the code from --otp', async () => {
    const { totp } = sandbox.users;
    const result = await runCli(
      [
        'login',
        '--host',
        sandbox.url,
        '--email',
        totp.email,
        '--password-stdin',
        '--otp',
        totpCode(totp.totpSecret!, Date.now()),
      ],
      {
        env: { KITSU_TAIL_CONFIG_DIR: configDir() },
        stdin: `${totp.password}\n`,
      },
    );
    expect(result.code, result.stderr).toBe(0);
  });

  it('asks for --otp when there is no terminal, and names a wrong code', async () => {
    const { totp } = sandbox.users;
    const env = { KITSU_TAIL_CONFIG_DIR: configDir() };
    const missing = await runCli(['login', '--host', sandbox.url, '--email', totp.email, '--password-stdin'], {
      env,
      stdin: `${totp.password}\n`,
    });
    expect(missing.code).toBe(3);
    expectOneLine(missing);
    expect(missing.stderr).toContain('--otp');
    const now = Date.now();
    const wrongCode = ['000000', '111111', '222222'].find(
      (c) => ![-30_000, 0, 30_000].some((d) => totpCode(totp.totpSecret!, now + d) === c),
    )!;
    const wrong = await runCli(
      ['login', '--host', sandbox.url, '--email', totp.email, '--password-stdin', '--otp', wrongCode],
      { env, stdin: `${totp.password}\n` },
    );
    expect(wrong.code).toBe(3);
    expectOneLine(wrong);
    expect(wrong.stderr).toContain('wrong two-factor code');
  });
});

describe('token login', () => {
  it('logs in with a bot token, which never ends, and logout only forgets it', async () => {
    const dir = configDir();
    const bot = sandbox.control.createBot('admin');
    const login = await runCli(['login', '--host', sandbox.url, '--token', bot.token], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('with a bot token');
    expect(stored(dir).profiles.default!.bot).toBe(true);

    const whoami = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toMatch(/^session +never ends \(bot token\)$/m);
    const json = JSON.parse(
      (await runCli(['whoami', '--json'], { env: { KITSU_TAIL_CONFIG_DIR: dir } })).stdout,
    ) as Record<string, unknown>;
    expect(json).toMatchObject({ bot: true, session_ends_at: null, access_expires_at: null });

    const before = sandbox.control.requests().length;
    const logout = await runCli(['logout'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(logout.code).toBe(0);
    expect(logout.stderr).toContain('only a Kitsu admin can revoke a bot token');
    expect(stored(dir).profiles).toEqual({});
    expect(
      sandbox.control
        .requests()
        .slice(before)
        .some((r) => r.path === 'auth/logout'),
    ).toBe(false);
    // Still valid on the server: forgetting it here did not revoke it.
    const still = await runCli(['whoami'], {
      env: { KITSU_TAIL_CONFIG_DIR: configDir(), KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token },
    });
    expect(still.code, still.stderr).toBe(0);
  });

  it('checks a token before saving it', async () => {
    const dir = configDir();
    const result = await runCli(
      ['login', '--host', sandbox.url, '--token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad-signature'],
      {
        env: { KITSU_TAIL_CONFIG_DIR: dir },
      },
    );
    expect(result.code).toBe(3);
    expectOneLine(result);
    expect(result.stderr).toContain('refused the token');
    expect(() => readFileSync(join(dir, 'config.json'), 'utf8')).toThrow();
  });

  it('takes a --token read from a file with its line end, and refuses an empty one', async () => {
    const dir = configDir();
    const bot = sandbox.control.createBot('admin');
    const login = await runCli(['login', '--host', sandbox.url, '--token', ` ${bot.token}\r\n`], {
      env: { KITSU_TAIL_CONFIG_DIR: dir },
    });
    expect(login.code, login.stderr).toBe(0);
    expect(stored(dir).profiles.default!.accessToken).toBe(bot.token);
    const empty = await runCli(['login', '--host', sandbox.url, '--token', ''], {
      env: { KITSU_TAIL_CONFIG_DIR: configDir() },
    });
    expect(empty.code).toBe(2);
    expectOneLine(empty);
    expect(empty.stderr).toContain('--token is empty');
  });

  it('runs from KITSU_HOST and KITSU_TOKEN alone, with nothing saved', async () => {
    const bot = sandbox.control.createBot('manager');
    const dir = configDir();
    const whoami = await runCli(['whoami'], {
      env: { KITSU_TAIL_CONFIG_DIR: dir, KITSU_HOST: sandbox.url, KITSU_TOKEN: bot.token },
    });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toMatch(/^profile +\(environment\) \(KITSU_TOKEN\)$/m);
    expect(whoami.stdout).toMatch(/^role +manager \(bot\)$/m);
  });
});

describe('logout', () => {
  it('revokes the session on the server and forgets it here', async () => {
    const dir = configDir();
    await loginAs(sandbox, sandbox.users.admin, dir);
    const token = stored(dir).profiles.default!.accessToken as string;
    const result = await runCli(['logout'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('revoked on the server');
    expect(stored(dir).profiles).toEqual({});
    const reuse = await runCli(['whoami'], {
      env: { KITSU_TAIL_CONFIG_DIR: configDir(), KITSU_HOST: sandbox.url, KITSU_TOKEN: token },
    });
    expect(reuse.code).toBe(3);
    expect(reuse.stderr).toContain('revoked');
    const again = await runCli(['logout'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Not logged in');
  });

  it('forgets the login even when the server cannot be reached', async () => {
    const own = await startSandbox();
    const dir = configDir();
    await loginAs(own, own.users.admin, dir);
    await own.close();
    const result = await runCli(['logout'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('could not revoke');
    expect(stored(dir).profiles).toEqual({});
  });
});

describe('whoami', () => {
  it('refuses --format csv rather than printing a table where CSV was asked for', async () => {
    const result = await runCli(['whoami', '--format', 'csv'], { env: { KITSU_TAIL_CONFIG_DIR: configDir() } });
    expect(result.code).toBe(2);
    expectOneLine(result);
    expect(result.stderr).toContain('--json');
  });
});

describe('not logged in', () => {
  it('whoami says how to log in, with exit 3', async () => {
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: configDir() } });
    expect(result.code).toBe(3);
    expectOneLine(result);
    expect(result.stderr).toContain('not logged in');
    expect(result.stderr).toContain('kitsu-tail login');
  });
});
