/**
 * The HTTP client's answers to hosts that are not Kitsu, hosts that do not answer, failing
 * routes, TLS, and what --verbose prints (never a secret).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join, relative as relativePath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkError } from '../../src/errors.js';
import { createApiClient } from '../../src/kitsu/http.js';
import { tlsFailure } from '../../src/kitsu/tls.js';
import { reporterFor } from '../../src/output/reporter.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { configDirs, contextFor, expectOneLine, loginAs } from '../helpers/login.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { closedPort } from '../helpers/transport.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'tls');
const configDir = configDirs();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function loginArgs(host: string): string[] {
  return ['login', '--host', host, '--email', 'admin@example.com', '--password-stdin'];
}

describe('a host that is not Kitsu', () => {
  it('says so with exit 6 and what answered, before asking for a password', async () => {
    const paths: string[] = [];
    const web = await serve((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>');
    });
    try {
      const result = await runCli(loginArgs(web.url), {
        env: { KITSU_TAIL_CONFIG_DIR: configDir() },
        stdin: 'secret-pw\n',
      });
      expect(result.code).toBe(6);
      expectOneLine(result);
      expect(result.stderr).toContain(`${web.url} is not a Kitsu server`);
      expect(result.stderr).toContain('an HTML page titled "Welcome to nginx!"');
      expect(paths).toEqual(['/api/']);
    } finally {
      await web.close();
    }
  });

  it('names where a redirect goes, without following it, instead of calling the host "not Kitsu"', async () => {
    const moved = await serve((req, res) => {
      res.writeHead(301, { location: `https://kitsu.studio.test${req.url}`, 'content-type': 'text/html' });
      res.end('<html><head><title>301 Moved Permanently</title></head></html>');
    });
    try {
      const result = await runCli(loginArgs(moved.url), {
        env: { KITSU_TAIL_CONFIG_DIR: configDir() },
        stdin: 'secret-pw\n',
      });
      expect(result.code).toBe(6);
      expectOneLine(result);
      expect(result.stderr).toContain(
        `${moved.url} redirects to https://kitsu.studio.test/api/ (log in with --host https://kitsu.studio.test)`,
      );
    } finally {
      await moved.close();
    }
  });

  it('refuses JSON that is not the Zou banner, and a 404', async () => {
    const other = await serve((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/') res.end('{"name":"some other API"}');
      else res.end('{}');
    });
    const missing = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('not found');
    });
    try {
      const a = await runCli(['whoami'], {
        env: { KITSU_TAIL_CONFIG_DIR: configDir(), KITSU_HOST: other.url, KITSU_TOKEN: 'x.y.z' },
      });
      expect(a.code).toBe(6);
      expect(a.stderr).toContain('not the Zou API banner');
      const b = await runCli(loginArgs(missing.url), { env: { KITSU_TAIL_CONFIG_DIR: configDir() }, stdin: 'pw\n' });
      expect(b.code).toBe(6);
      expect(b.stderr).toContain('status 404');
    } finally {
      await Promise.all([other.close(), missing.close()]);
    }
  });

  it('says a proxy page or bad JSON on an API route is not the Kitsu API (exit 6)', async () => {
    const dir = configDir();
    await loginAs(sandbox, sandbox.users.admin, dir);
    for (const mode of [{ kind: 'html' }, { kind: 'bad-json' }] as const) {
      const stop = sandbox.control.failRoutes({ path: /^auth\/authenticated/, mode });
      try {
        const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
        expect(result.code).toBe(6);
        expectOneLine(result);
        expect(result.stderr).toContain('not the Kitsu API');
        expect(result.stderr).toContain('proxy');
      } finally {
        stop();
      }
    }
  });
});

describe('a host that does not answer', () => {
  it('ends with exit 5 naming the host when nothing listens', async () => {
    const port = await closedPort();
    const result = await runCli(loginArgs(`http://127.0.0.1:${port}`), {
      env: { KITSU_TAIL_CONFIG_DIR: configDir() },
      stdin: 'pw\n',
    });
    expect(result.code).toBe(5);
    expectOneLine(result);
    expect(result.stderr).toContain(`cannot reach 127.0.0.1:${port}: connection refused after 4 tries`);
  });

  it('times out a server that never answers, after its retries', async () => {
    const stop = sandbox.control.failRoutes({ path: /^auth\/authenticated/, mode: { kind: 'slow', delayMs: 5_000 } });
    const { ctx } = contextFor({});
    const client = await createApiClient({
      apiUrl: sandbox.apiUrl,
      tls: { rejectUnauthorized: true },
      env: {},
      reporter: reporterFor(ctx),
      timeouts: { headersMs: 200 },
      retries: 1,
      retryBaseMs: 10,
    });
    try {
      const error = await client.send({ method: 'GET', path: 'auth/authenticated' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).message).toContain('did not answer in time after 2 tries');
    } finally {
      stop();
      await client.close();
    }
  });
});

describe('failing routes', () => {
  it('retries a GET through 502/503/504 and a reset connection, then succeeds', async () => {
    const dir = configDir();
    await loginAs(sandbox, sandbox.users.admin, dir);
    const stops = [
      sandbox.control.failRoutes({ path: /^auth\/authenticated/, mode: { kind: 'status', status: 503 }, times: 2 }),
    ];
    try {
      const before = sandbox.control.requests().length;
      const result = await runCli(['whoami', '--verbose'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('503, trying again');
      const statuses = sandbox.control
        .requests()
        .slice(before)
        .filter((r) => r.path === 'auth/authenticated')
        .map((r) => r.status);
      expect(statuses).toEqual([503, 503, 200]);
      stops.push(sandbox.control.failRoutes({ path: /^auth\/authenticated/, mode: { kind: 'reset' }, times: 1 }));
      const reset = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
      expect(reset.code, reset.stderr).toBe(0);
    } finally {
      stops.forEach((stop) => stop());
    }
  });

  it('gives up on a server that keeps failing with exit 6, and maps 403 to exit 4', async () => {
    const dir = configDir();
    await loginAs(sandbox, sandbox.users.admin, dir);
    let stop = sandbox.control.failRoutes({ path: /^auth\/authenticated/, mode: { kind: 'status', status: 502 } });
    try {
      const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
      expect(result.code).toBe(6);
      expectOneLine(result);
      expect(result.stderr).toContain('failed with 502');
    } finally {
      stop();
    }
    stop = sandbox.control.failRoutes({ path: /^auth\/authenticated/, mode: { kind: 'status', status: 403 } });
    try {
      const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
      expect(result.code).toBe(4);
      expectOneLine(result);
    } finally {
      stop();
    }
  });
});

describe('TLS', () => {
  let secure: Sandbox;
  beforeAll(async () => {
    secure = await startSandbox({
      tls: {
        key: readFileSync(join(fixtures, 'server.key'), 'utf8'),
        cert: readFileSync(join(fixtures, 'server.pem'), 'utf8'),
      },
    });
  });
  afterAll(() => secure.close());

  it('refuses a certificate it cannot verify, with the hint, and works with --ca-file', async () => {
    expect(secure.url).toMatch(/^https:/);
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const stdin = `${secure.users.admin.password}\n`;
    const refused = await runCli(loginArgs(secure.url), { env, stdin });
    expect(refused.code).toBe(5);
    expectOneLine(refused);
    expect(refused.stderr).toContain('cannot be verified');
    expect(refused.stderr).toContain('--ca-file');
    const caFile = join(fixtures, 'ca.pem');
    const login = await runCli(['--ca-file', caFile, ...loginArgs(secure.url)], { env, stdin });
    expect(login.code, login.stderr).toBe(0);
    const whoami = await runCli(['whoami', '--ca-file', caFile, '--json'], { env });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout).host).toBe(secure.url);
    // Changed on purpose (round 2): the login saved the CA file with the profile, so a later
    // command needs no flag; it used to fail with exit 5.
    const later = await runCli(['whoami'], { env });
    expect(later.code, later.stderr).toBe(0);
  });

  it('works with --insecure and warns on every run', async () => {
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const login = await runCli(['--insecure', ...loginArgs(secure.url)], {
      env,
      stdin: `${secure.users.admin.password}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain('warning: --insecure');
    const whoami = await runCli(['whoami', '--insecure'], { env });
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stderr).toContain('warning: --insecure');
    // The profile keeps the choice, and still warns every time.
    const later = await runCli(['whoami'], { env });
    expect(later.code, later.stderr).toBe(0);
    expect(later.stderr).toContain(
      'warning: profile "default" was logged in with --insecure: TLS certificates are not checked',
    );
  });

  it('saves the CA file by its absolute path; a TLS flag on the command line wins over it', async () => {
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const relative = relativePath(process.cwd(), join(fixtures, 'ca.pem'));
    const login = await runCli(['--ca-file', relative, ...loginArgs(secure.url)], {
      env,
      stdin: `${secure.users.admin.password}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain(`Profile "default" keeps --ca-file ${join(fixtures, 'ca.pem')} for later commands.`);
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.default;
    expect(saved.caFile).toBe(join(fixtures, 'ca.pem'));
    expect(saved.insecure).toBeUndefined();

    const otherCa = await runCli(['whoami', '--ca-file', join(fixtures, 'public-ca.pem')], { env });
    expect(otherCa.code).toBe(5);
    expect(otherCa.stderr).toContain('cannot be verified');
    const insecure = await runCli(['whoami', '--insecure'], { env });
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(insecure.stderr).toContain('warning: --insecure');
    // KITSU_TOKEN without KITSU_HOST takes the profile's host, and its CA with it.
    const fromEnv = await runCli(['whoami'], { env: { ...env, KITSU_TOKEN: saved.accessToken } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    // logout revokes through the same trust.
    const logout = await runCli(['logout'], { env });
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toContain('the session is revoked on the server');
  });

  it('names the profile and the way out when its saved CA file is gone', async () => {
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const caFile = join(dir, 'studio-ca.pem');
    copyFileSync(join(fixtures, 'ca.pem'), caFile);
    const login = await runCli(['--ca-file', caFile, ...loginArgs(secure.url), '--profile', 'studio'], {
      env,
      stdin: `${secure.users.admin.password}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    rmSync(caFile);
    const gone = await runCli(['whoami', '--profile', 'studio'], { env });
    expect(gone.code).toBe(2);
    expectOneLine(gone);
    expect(gone.stderr).toContain(`the CA file of profile "studio" (${caFile}): cannot read it (no such file)`);
    expect(gone.stderr).toContain('pass --ca-file');
    const flagged = await runCli(['whoami', '--profile', 'studio', '--ca-file', join(fixtures, 'ca.pem')], { env });
    expect(flagged.code, flagged.stderr).toBe(0);
  });

  it('keeps the CA file when logging in again to the same host, but not --insecure', async () => {
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const stdin = `${secure.users.admin.password}\n`;
    expect((await runCli(['--ca-file', join(fixtures, 'ca.pem'), ...loginArgs(secure.url)], { env, stdin })).code).toBe(
      0,
    );
    const again = await runCli(loginArgs(secure.url), { env, stdin });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.default.caFile).toBe(
      join(fixtures, 'ca.pem'),
    );

    expect((await runCli(['--insecure', ...loginArgs(secure.url)], { env, stdin })).code).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.default;
    expect([saved.insecure, saved.caFile]).toEqual([true, undefined]);
    const verified = await runCli(['whoami', '--ca-file', join(fixtures, 'ca.pem')], { env });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).not.toContain('warning');
    const relogin = await runCli(loginArgs(secure.url), { env, stdin });
    expect(relogin.code).toBe(5);
    expect(relogin.stderr).toContain('cannot be verified');
  });

  it('says so when https is asked of a port that speaks plain http, without OpenSSL internals', async () => {
    const plain = `https://127.0.0.1:${sandbox.port}`;
    const result = await runCli(loginArgs(plain), { env: { KITSU_TAIL_CONFIG_DIR: configDir() }, stdin: 'pw\n' });
    expect(result.code).toBe(5);
    expectOneLine(result);
    expect(result.stderr).toContain(`127.0.0.1:${sandbox.port} does not speak TLS on that port`);
    expect(result.stderr).toContain('http://');
    expect(result.stderr).not.toMatch(/openssl|:error:/i);
  });

  it('suggests https when plain http is asked of a port that speaks TLS', async () => {
    const result = await runCli(loginArgs(secure.url.replace('https:', 'http:')), {
      env: { KITSU_TAIL_CONFIG_DIR: configDir() },
      stdin: 'pw\n',
    });
    expect(result.code).toBe(5);
    expectOneLine(result);
    expect(result.stderr).toContain('closed the connection');
    expect(result.stderr).toContain('if the server speaks https, give the host as https://');
  });

  it('does not suggest --ca-file for a certificate made out to another name', () => {
    const error = tlsFailure(
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
      'kitsu.studio.com',
    )!;
    expect(error.exitCode).toBe(5);
    expect(error.message).toContain('is for another name');
    expect(error.hint).not.toContain('--ca-file');
  });

  it('says what to do when --ca-file cannot be read', async () => {
    const result = await runCli(['whoami', '--ca-file', '/no/such/ca.pem'], {
      env: { KITSU_HOST: secure.url, KITSU_TOKEN: 'x.y.z' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ca-file /no/such/ca.pem: cannot read it (no such file)');
  });
});

describe('secrets', () => {
  it('never prints the password or a token, --verbose included', async () => {
    const own = await startSandbox({ accessTokenTtl: 60 });
    const dir = configDir();
    const env = { KITSU_TAIL_CONFIG_DIR: dir };
    const { admin } = own.users;
    const outputs: CliResult[] = [];
    try {
      outputs.push(
        await runCli(['login', '--verbose', '--host', own.url, '--email', admin.email, '--password-stdin'], {
          env,
          stdin: `${admin.password}\n`,
        }),
      );
      const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.default;
      own.control.expireAccessTokens(); // so that whoami renews, and prints that it did
      outputs.push(await runCli(['whoami', '--verbose'], { env }));
      outputs.push(await runCli(['whoami', '--verbose', '--json'], { env }));
      outputs.push(await runCli(['profiles', '--json'], { env }));
      const renewed = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.default.accessToken as string;
      outputs.push(await runCli(['logout', '--verbose'], { env }));
      const bot = own.control.createBot('admin');
      outputs.push(
        await runCli(['whoami', '--verbose'], { env: { ...env, KITSU_HOST: own.url, KITSU_TOKEN: bot.token } }),
      );
      outputs.push(await runCli(['login', '--verbose', '--host', own.url, '--token', bot.token], { env }));

      expect(outputs.map((o) => o.code)).toEqual([0, 0, 0, 0, 0, 0, 0]);
      const printed = outputs.map((o) => o.stdout + o.stderr).join('\n');
      expect(printed).toContain('http: POST /api/auth/login 200');
      expect(printed).toContain('http: GET /api/auth/refresh-token 200');
      expect(printed).toContain('auth: renewed the access token');
      for (const secret of [admin.password, saved.accessToken, saved.refreshToken, renewed, bot.token]) {
        expect(secret.length).toBeGreaterThan(5);
        expect(printed).not.toContain(secret);
      }
    } finally {
      await own.close();
    }
  });
});
