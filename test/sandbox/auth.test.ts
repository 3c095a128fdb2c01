/**
 * Login, tokens, refresh, logout and bots as Zou answers them (src/kitsu/README.md, Authentication).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/sandbox/totp.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { call, connectedProbe, login, usingSandbox, waitUntil, withSandbox } from '../helpers/sandbox.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const MISSING = {
  msg: 'Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)',
};
const EXPIRED = { error: true, message: 'Signature has expired' };
const REVOKED = { msg: 'Token has been revoked' };

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let sb: Sandbox;
beforeAll(async () => {
  sb = await withSandbox({ events: 10 });
});
afterAll(() => sb.close());

const loginBody = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  call(sb, 'auth/login', { body, headers });

describe('index routes', () => {
  it('GET /api/ answers the API name and version without auth', async () => {
    expect(await call(sb, '')).toMatchObject({ status: 200, body: { api: 'Zou', version: '1.0.67' } });
  });

  it('GET /api/config and /api/status answer without auth', async () => {
    expect(await call(sb, 'config')).toMatchObject({
      status: 200,
      body: { enforce_2fa: false, saml_enabled: false, oidc_enabled: false },
    });
    expect(await call(sb, 'status')).toMatchObject({
      status: 200,
      body: { name: 'Zou', version: '1.0.67', 'database-up': true, 'event-stream-up': true },
    });
  });

  it("answers unknown routes with Zou's JSON 404", async () => {
    expect(await call(sb, 'data/nothing-here')).toMatchObject({ status: 404, body: { error: true } });
  });
});

describe('POST /api/auth/login', () => {
  it('answers the real success body with flask-jwt-extended tokens, and sets no cookie for a script', async () => {
    const { status, body, headers } = await loginBody({ email: 'admin@example.com', password: 'mysecretpassword' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      login: true,
      user: { id: sb.users.admin.id, email: 'admin@example.com', role: 'admin', full_name: 'Super Admin' },
      organisation: { type: 'Organisation' },
    });
    expect(body.user).not.toHaveProperty('password');
    expect(headers.get('set-cookie')).toBeNull();
    const access = claimsOf(body.access_token);
    const refresh = claimsOf(body.refresh_token);
    expect(access).toMatchObject({
      type: 'access',
      sub: sb.users.admin.id,
      identity_type: 'person',
      fresh: false,
      refresh_jti: refresh.jti,
    });
    expect(refresh).toMatchObject({ type: 'refresh', sub: sb.users.admin.id, identity_type: 'person' });
    expect((access.exp as number) - (access.iat as number)).toBe(7 * 86_400);
    expect((refresh.exp as number) - (refresh.iat as number)).toBe(15 * 86_400);
  });

  it('accepts a desktop login instead of the e-mail', async () => {
    expect((await loginBody({ email: 'admin', password: 'mysecretpassword' })).status).toBe(200);
  });

  it('sets the JWT cookies for a browser', async () => {
    const { headers } = await loginBody(
      { email: 'admin@example.com', password: 'mysecretpassword' },
      { 'user-agent': CHROME },
    );
    const cookies = headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('access_token_cookie=') && c.includes('Path=/;'))).toBe(true);
    expect(cookies.some((c) => c.startsWith('refresh_token_cookie=') && c.includes('Path=/auth/refresh-token'))).toBe(
      true,
    );
  });

  it('answers a missing or empty e-mail with the validation error', async () => {
    for (const body of [{}, { email: '' }, { password: 'x' }]) {
      expect(await loginBody(body)).toMatchObject({
        status: 400,
        body: { error: true, message: 'Validation error.', data: { errors: [{ field: 'email' }] } },
      });
    }
  });

  it('answers an unknown user and a wrong password alike', async () => {
    const unknown = await loginBody({ email: 'nobody@example.com', password: 'mysecretpassword' });
    const wrong = await loginBody({ email: 'manager@example.com', password: 'nope' });
    expect(unknown).toMatchObject({ status: 400, body: { login: false } });
    expect(wrong.status).toBe(unknown.status);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('tells an inactive user so only once the password is proven', async () => {
    const { email, password } = sb.users.inactive;
    expect(await loginBody({ email, password: 'wrong' })).toMatchObject({ status: 400, body: { login: false } });
    expect(await loginBody({ email, password })).toEqual(
      expect.objectContaining({
        status: 401,
        body: { error: true, login: false, unactive: true, message: 'User is unactive, he cannot log in.' },
      }),
    );
  });

  it('asks the TOTP user for a code, refuses a wrong one and accepts the right one', async () => {
    const { email, password, totpSecret } = sb.users.totp;
    expect(await loginBody({ email, password })).toEqual(
      expect.objectContaining({
        status: 400,
        body: {
          error: true,
          login: false,
          missing_OTP: true,
          preferred_two_factor_authentication: 'totp',
          two_factor_authentication_enabled: ['totp', 'recovery_code'],
        },
      }),
    );
    const right = totpCode(totpSecret!, Date.now());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await loginBody({ email, password, totp: wrong })).toEqual(
      expect.objectContaining({ status: 400, body: { error: true, login: false, wrong_OTP: true } }),
    );
    expect((await loginBody({ email, password, totp: right })).status).toBe(200);
    expect((await loginBody({ email, password, totp: totpCode(totpSecret!, Date.now() - 30_000) })).status).toBe(200);
  });

  it('answers default_password for a person whose password is still "default"', async () => {
    const { email } = sb.users.defaultPassword;
    for (const body of [{ email, password: 'default' }, { email }]) {
      const answer = await loginBody(body);
      expect(answer).toMatchObject({ status: 400, body: { login: false, default_password: true } });
      expect(typeof answer.body.token).toBe('string');
    }
  });

  it('locks an account out after 5 failures, wrong codes included, with the misspelt key', async () => {
    await usingSandbox({ lockoutSeconds: 1 }, async (own) => {
      const { email, password } = own.users.totp;
      for (let i = 0; i < 3; i += 1) await call(own, 'auth/login', { body: { email, password: 'wrong' } });
      for (let i = 0; i < 2; i += 1) await call(own, 'auth/login', { body: { email, password, totp: '000000' } });
      const locked = await call(own, 'auth/login', {
        body: { email, password, totp: totpCode(own.users.totp.totpSecret!, Date.now()) },
      });
      expect(locked).toEqual(
        expect.objectContaining({
          status: 400,
          body: { error: true, login: false, too_many_failed_login_attemps: true },
        }),
      );
      await sleep(1100);
      expect(
        (
          await call(own, 'auth/login', {
            body: { email, password, totp: totpCode(own.users.totp.totpSecret!, Date.now()) },
          })
        ).status,
      ).toBe(200);
    });
  });
});

describe('totpCode', () => {
  it('gives the RFC 6238 SHA-1 test vectors (last 6 digits)', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
    expect(totpCode(secret, 59_000)).toBe('287082');
    expect(totpCode(secret, 1_111_111_109_000)).toBe('081804');
    expect(totpCode(secret, 2_000_000_000_000)).toBe('279037');
  });
});

describe('sending the token', () => {
  let access: string;
  let refresh: string;
  beforeAll(async () => {
    ({ access, refresh } = await login(sb, sb.users.admin));
  });
  const projects = (headers: Record<string, string>) => call(sb, 'data/projects', { headers });

  it('answers 401 with the flask-jwt-extended message when there is none', async () => {
    expect(await projects({})).toEqual(expect.objectContaining({ status: 401, body: MISSING }));
  });

  it('answers 401 to an Authorization header of another type', async () => {
    const answer = await projects({ authorization: `Token ${access}` });
    expect(answer.status).toBe(401);
    expect(answer.body.msg).toMatch(
      /^Missing JWT in cookies or headers \(Missing cookie "access_token_cookie"; Missing 'Bearer' type/,
    );
  });

  it("answers 422 with PyJWT's text to a malformed or forged token", async () => {
    expect(await projects({ authorization: 'Bearer abc' })).toEqual(
      expect.objectContaining({ status: 422, body: { msg: 'Not enough segments' } }),
    );
    const forged = `${access.slice(0, access.lastIndexOf('.'))}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    expect(await projects({ authorization: `Bearer ${forged}` })).toEqual(
      expect.objectContaining({ status: 422, body: { msg: 'Signature verification failed' } }),
    );
  });

  it('answers 422 to a refresh token on a data route', async () => {
    expect(await projects({ authorization: `Bearer ${refresh}` })).toEqual(
      expect.objectContaining({ status: 422, body: { msg: 'Only non-refresh tokens are allowed' } }),
    );
  });

  it('reads the access_token_cookie first, before the header', async () => {
    expect((await projects({ cookie: `access_token_cookie=${access}` })).status).toBe(200);
    expect((await projects({ cookie: 'access_token_cookie=abc', authorization: `Bearer ${access}` })).status).toBe(422);
  });

  it('never reads a token from the query string', async () => {
    const answer = await call(sb, 'data/projects', { query: { access_token: access, jwt: access, token: access } });
    expect(answer.status).toBe(401);
  });

  it('GET /api/auth/authenticated answers the person and the organisation', async () => {
    expect(await call(sb, 'auth/authenticated', { token: access })).toMatchObject({
      status: 200,
      body: {
        authenticated: true,
        user: { id: sb.users.admin.id, fido_devices: [] },
        organisation: { type: 'Organisation' },
      },
    });
  });
});

describe('refresh and logout', () => {
  it('refreshes with the refresh token as bearer: a new access token only', async () => {
    const { access, refresh } = await login(sb, sb.users.manager);
    const answer = await call(sb, 'auth/refresh-token', { token: refresh });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(['access_token']);
    expect(answer.body.access_token).not.toBe(access);
    expect(claimsOf(answer.body.access_token).refresh_jti).toBe(claimsOf(refresh).jti);
    expect((await call(sb, 'data/projects', { token: answer.body.access_token })).status).toBe(200);
  });

  it('refreshes from the refresh_token_cookie too', async () => {
    const { refresh } = await login(sb, sb.users.manager);
    const answer = await call(sb, 'auth/refresh-token', { headers: { cookie: `refresh_token_cookie=${refresh}` } });
    expect(answer.status).toBe(200);
  });

  it('answers 422 to an access token on the refresh route, and 401 when there is none', async () => {
    const { access } = await login(sb, sb.users.manager);
    expect(await call(sb, 'auth/refresh-token', { token: access })).toEqual(
      expect.objectContaining({ status: 422, body: { msg: 'Only refresh tokens are allowed' } }),
    );
    expect(await call(sb, 'auth/refresh-token')).toEqual(
      expect.objectContaining({
        status: 401,
        body: {
          msg: 'Missing JWT in cookies or headers (Missing cookie "refresh_token_cookie"; Missing Authorization Header)',
        },
      }),
    );
  });

  it('logout revokes the access token and the refresh token of the same login', async () => {
    const { access, refresh } = await login(sb, sb.users.manager);
    expect(await call(sb, 'auth/logout', { token: access })).toMatchObject({ status: 200, body: { logout: true } });
    expect(await call(sb, 'data/projects', { token: access })).toEqual(
      expect.objectContaining({ status: 401, body: REVOKED }),
    );
    expect(await call(sb, 'auth/refresh-token', { token: refresh })).toEqual(
      expect.objectContaining({ status: 401, body: REVOKED }),
    );
  });

  it('logout with a refreshed access token revokes the refresh token too', async () => {
    const { refresh } = await login(sb, sb.users.manager);
    const renewed = (await call(sb, 'auth/refresh-token', { token: refresh })).body.access_token as string;
    expect((await call(sb, 'auth/logout', { token: renewed })).status).toBe(200);
    expect((await call(sb, 'auth/refresh-token', { token: refresh })).status).toBe(401);
  });
});

describe('lifetimes, expiry and revocation', () => {
  it("expires tokens after the lifetimes a test sets, with Zou's 401 body", async () => {
    await usingSandbox({ accessTokenTtl: 1, refreshTokenTtl: 60 }, async (own) => {
      const { access, refresh } = await login(own, own.users.admin);
      expect(claimsOf(access).exp).toBe((claimsOf(access).iat as number) + 1);
      await sleep(2100);
      expect(await call(own, 'data/projects', { token: access })).toEqual(
        expect.objectContaining({ status: 401, body: EXPIRED }),
      );
      const renewed = await call(own, 'auth/refresh-token', { token: refresh });
      expect(renewed.status).toBe(200);
      own.control.setTokenLifetimes({ access: 3600, refresh: 1 });
      const later = await login(own, own.users.admin);
      expect((claimsOf(later.access).exp as number) - (claimsOf(later.access).iat as number)).toBe(3600);
      await sleep(2100);
      expect(await call(own, 'auth/refresh-token', { token: later.refresh })).toEqual(
        expect.objectContaining({ status: 401, body: EXPIRED }),
      );
    });
  });

  it('expireAccessTokens and expireRefreshTokens end the tokens issued so far, not later ones', async () => {
    await usingSandbox({}, async (own) => {
      const before = await login(own, own.users.admin);
      own.control.expireAccessTokens();
      expect(await call(own, 'data/projects', { token: before.access })).toEqual(
        expect.objectContaining({ status: 401, body: EXPIRED }),
      );
      expect((await call(own, 'auth/refresh-token', { token: before.refresh })).status).toBe(200);
      own.control.expireRefreshTokens();
      expect(await call(own, 'auth/refresh-token', { token: before.refresh })).toEqual(
        expect.objectContaining({ status: 401, body: EXPIRED }),
      );
      const after = await login(own, own.users.admin);
      expect((await call(own, 'data/projects', { token: after.access })).status).toBe(200);
    });
  });

  it('revokeAllTokens revokes every token so far, bots included', async () => {
    await usingSandbox({}, async (own) => {
      const { access } = await login(own, own.users.admin);
      const bot = own.control.createBot('admin');
      own.control.revokeAllTokens();
      expect(await call(own, 'data/projects', { token: access })).toEqual(
        expect.objectContaining({ status: 401, body: REVOKED }),
      );
      expect(await call(own, 'data/projects', { token: bot.token })).toEqual(
        expect.objectContaining({ status: 401, body: REVOKED }),
      );
      expect((await call(own, 'data/projects', { token: (await login(own, own.users.admin)).access })).status).toBe(
        200,
      );
    });
  });

  it('issueTokens gives a working pair, and a deactivated person gets 401 then', async () => {
    await usingSandbox({}, async (own) => {
      const { access_token } = own.control.issueTokens(own.users.artist.id);
      expect((await call(own, 'data/projects', { token: access_token })).status).toBe(200);
      own.control.setUserActive(own.users.artist.id, false);
      const answer = await call(own, 'data/projects', { token: access_token });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: true });
    });
  });
});

describe('bots (src/kitsu/README.md, Authentication)', () => {
  it('a bot token never expires, reads the API and the stream, cannot refresh and gets 403 on logout', async () => {
    const bot = sb.control.createBot('admin');
    const claims = claimsOf(bot.token);
    expect(claims).toMatchObject({ type: 'access', identity_type: 'bot', sub: bot.id });
    expect(claims).not.toHaveProperty('exp');
    expect(await call(sb, 'auth/authenticated', { token: bot.token })).toMatchObject({
      status: 200,
      body: { authenticated: true, user: { id: bot.id, is_bot: true } },
    });
    expect((await call(sb, 'data/events/last', { token: bot.token })).status).toBe(200);
    expect(await call(sb, 'auth/refresh-token', { token: bot.token })).toEqual(
      expect.objectContaining({ status: 422, body: { msg: 'Only refresh tokens are allowed' } }),
    );
    expect((await call(sb, 'auth/logout', { token: bot.token })).status).toBe(403);
    sb.control.expireAccessTokens();
    expect((await call(sb, 'data/projects', { token: bot.token })).status).toBe(200);
    const p = await connectedProbe(sb, bot.token);
    sb.control.emit('task:update', { task_id: 'for-the-bot' });
    await waitUntil(() => p.events.length === 1, 'an event for the bot');
    p.close();
  });

  it('a manager bot joins every project unless told which, and reads their events', async () => {
    sb.control.generate(30);
    const everywhere = sb.control.createBot('manager');
    const nowhere = sb.control.createBot('manager', { projects: [] });
    const rows = (await call<{ project_id: string }[]>(sb, 'data/events/last', { token: everywhere.token })).body;
    expect(rows.length).toBeGreaterThan(0);
    expect((await call<unknown[]>(sb, 'data/projects', { token: everywhere.token })).body).toHaveLength(
      sb.projects.length,
    );
    expect((await call(sb, 'data/events/last', { token: nowhere.token })).body).toEqual([]);
  });

  it('an admin creating a person with is_bot gets its access_token; others get 403', async () => {
    const admin = sb.control.issueTokens(sb.users.admin.id).access_token;
    const created = await call(sb, 'data/persons', {
      token: admin,
      body: { first_name: 'Sync', last_name: 'Bot', is_bot: true, role: 'manager' },
    });
    expect(created).toMatchObject({ status: 201, body: { is_bot: true, role: 'manager', type: 'Person' } });
    expect((await call(sb, 'data/projects', { token: created.body.access_token })).status).toBe(200);
    const manager = sb.control.issueTokens(sb.users.manager.id).access_token;
    expect((await call(sb, 'data/persons', { token: manager, body: { is_bot: true } })).status).toBe(403);
  });
});
