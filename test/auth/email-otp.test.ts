/**
 * The e-mail code and recovery code rounds of a two-factor login. The sandbox has no user
 * with e-mail codes, so this test runs against a small stand-in that answers as Zou does for
 * one (src/kitsu/README.md, Authentication): `missing_OTP` with `email_otp` preferred, a code sent by
 * `GET auth/email-otp`, `wrong_OTP` for anything else.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

const CODE = '424242';
const RECOVERY = 'f00d-cafe-beef';
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${part({ alg: 'HS256' })}.${part(claims)}.c2lnbmF0dXJl`;

let server: Server;
let url: string;
let emailsSent: string[] = [];
let loginBodies: Record<string, string>[] = [];
const tmp = tempConfigDir();

async function body(req: IncomingMessage): Promise<Record<string, string>> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text) as Record<string, string>;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    res.setHeader('content-type', 'application/json');
    const path = new URL(req.url ?? '/', 'http://x');
    const reply = (status: number, value: unknown) => {
      res.statusCode = status;
      res.end(JSON.stringify(value));
    };
    if (path.pathname === '/api/') return reply(200, { api: 'Zou', version: '1.0.67' });
    if (path.pathname === '/api/auth/email-otp') {
      emailsSent.push(path.searchParams.get('email') ?? '');
      return reply(200, { success: true });
    }
    if (path.pathname === '/api/auth/login') {
      const b = await body(req);
      loginBodies.push(b);
      if (b.password !== 'pw-of-emma') return reply(400, { login: false });
      if (!b.email_otp && !b.recovery_code && !b.totp) {
        return reply(400, {
          error: true,
          login: false,
          missing_OTP: true,
          preferred_two_factor_authentication: 'email_otp',
          two_factor_authentication_enabled: ['email_otp', 'recovery_code'],
        });
      }
      if (b.email_otp !== CODE && b.recovery_code !== RECOVERY)
        return reply(400, { error: true, login: false, wrong_OTP: true });
      const now = Math.floor(Date.now() / 1000);
      return reply(200, {
        login: true,
        access_token: jwt({ type: 'access', iat: now, exp: now + 3600, identity_type: 'person' }),
        refresh_token: jwt({ type: 'refresh', iat: now, exp: now + 86_400, identity_type: 'person' }),
        user: { id: 'p1', email: 'emma@example.com', full_name: 'Emma Email', role: 'user' },
      });
    }
    reply(404, { error: true, message: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  tmp.cleanup();
});
beforeEach(() => {
  emailsSent = [];
  loginBodies = [];
});

const env = () => ({ KITSU_TAIL_CONFIG_DIR: tmp.dir });
const args = (...more: string[]) => ['login', '--host', url, '--email', 'emma@example.com', ...more];

describe('e-mail code', () => {
  it('asks the server to send the code, then asks for it on a terminal', async () => {
    const result = await runCli(args(), { env: env(), stdinTTY: true, stdin: `pw-of-emma\n${CODE}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(emailsSent).toEqual(['emma@example.com']);
    expect(result.stderr).toContain('Kitsu has e-mailed a login code to emma@example.com');
    expect(result.stderr).toContain('Code from the e-mail: ');
    expect(loginBodies.at(-1)).toMatchObject({ email_otp: CODE });
    expect(loginBodies.at(-1)).not.toHaveProperty('totp');
  });

  it('without a terminal, sends the code and says to run again with --otp, which sends none', async () => {
    const first = await runCli(args('--password-stdin'), { env: env(), stdin: 'pw-of-emma\n' });
    expect(first.code).toBe(3);
    expect(first.stderr).toContain('--otp CODE, the code from the e-mail');
    expect(emailsSent).toHaveLength(1);
    const second = await runCli(args('--password-stdin', '--otp', CODE), { env: env(), stdin: 'pw-of-emma\n' });
    expect(second.code, second.stderr).toBe(0);
    expect(emailsSent).toHaveLength(1);
  });

  it('sends a code that is not digits as a recovery code', async () => {
    const result = await runCli(args('--password-stdin', '--otp', RECOVERY), { env: env(), stdin: 'pw-of-emma\n' });
    expect(result.code, result.stderr).toBe(0);
    expect(loginBodies.at(-1)).toMatchObject({ recovery_code: RECOVERY });
  });
});
