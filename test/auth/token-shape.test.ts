/**
 * A token that no header can carry (a line break inside, a space, a character outside ASCII)
 * is a malformed token: exit 2 where the user typed it, exit 3 when a saved profile holds it,
 * never exit 5 "network", and the token itself is never printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/errors.js';
import { createApiClient } from '../../src/kitsu/http.js';
import { reporterFor } from '../../src/output/reporter.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { configDirs, contextFor, expectOneLine, loginAs } from '../helpers/login.js';
import { runCli } from '../helpers/run-cli.js';

const configDir = configDirs();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

const BAD = [
  ['a line break', 'eyJhbGciOi.part-one\npart-two.sig'],
  ['a character that is not ASCII', 'eyJhbGciOi.tökén.sig'],
  ['a space or tab', 'eyJhbGciOi.one two.sig'],
  ['a control character', 'eyJhbGciOi.one\u0000two.sig'],
] as const;

describe('a malformed token', () => {
  it.each(BAD)('in KITSU_TOKEN (%s) is exit 2 saying so', async (flaw, token) => {
    const result = await runCli(['whoami'], {
      env: { KITSU_TAIL_CONFIG_DIR: configDir(), KITSU_HOST: sandbox.url, KITSU_TOKEN: token },
    });
    expect(result.code).toBe(2);
    expectOneLine(result);
    expect(result.stderr).toContain(`the token in KITSU_TOKEN is malformed: it holds ${flaw}`);
    expect(result.stderr).not.toContain('part-two');
    expect(result.stderr).not.toContain('tökén');
  });

  it('in login --token is exit 2 saying so', async () => {
    const result = await runCli(['login', '--host', sandbox.url, '--token', 'abc.de\nf.ghi'], {
      env: { KITSU_TAIL_CONFIG_DIR: configDir() },
    });
    expect(result.code).toBe(2);
    expectOneLine(result);
    expect(result.stderr).toContain('the token in --token is malformed: it holds a line break');
  });

  it('in a saved profile is exit 3 naming the profile', async () => {
    const dir = configDir();
    await loginAs(sandbox, sandbox.users.admin, dir);
    const file = join(dir, 'config.json');
    const data = JSON.parse(readFileSync(file, 'utf8')) as { profiles: Record<string, { accessToken: string }> };
    data.profiles.default!.accessToken = `${data.profiles.default!.accessToken}\u00a0`;
    writeFileSync(file, JSON.stringify(data));
    const result = await runCli(['whoami'], { env: { KITSU_TAIL_CONFIG_DIR: dir } });
    expect(result.code).toBe(3);
    expectOneLine(result);
    expect(result.stderr).toContain(
      'the token in profile "default" is malformed: it holds a character that is not ASCII',
    );
  });

  it('reaching the HTTP client is an AuthError, not a NetworkError', async () => {
    const { ctx } = contextFor({});
    const client = await createApiClient({
      apiUrl: sandbox.apiUrl,
      tls: { rejectUnauthorized: true },
      env: {},
      reporter: reporterFor(ctx),
    });
    try {
      const error = await client
        .send({ method: 'GET', path: 'auth/authenticated', token: 'a\r\nX-Evil: 1' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).message).toContain('malformed: it holds a line break');
    } finally {
      await client.close();
    }
  });
});
