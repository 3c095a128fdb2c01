/**
 * The sandbox signs and checks its tokens with node:crypto (src/sandbox/jwt.ts); jose, the
 * standard JWT library, is the judge here: each accepts what the other signs, and refuses what
 * the other refuses.
 */
import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt, type Claims } from '../../src/sandbox/jwt.js';

const secret = randomBytes(32);
const now = Math.floor(Date.now() / 1000);
const claims: Claims = {
  fresh: false,
  iat: now,
  jti: 'j1',
  type: 'access',
  sub: 'p1',
  nbf: now,
  exp: now + 60,
  identity_type: 'person',
};

describe('sandbox JWTs against jose', () => {
  it('jose verifies what the sandbox signs, with the same claims and header', async () => {
    const { payload, protectedHeader } = await jwtVerify(signJwt(claims, secret), secret, {
      algorithms: ['HS256'],
      currentDate: new Date(now * 1000),
    });
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('the sandbox verifies what jose signs', async () => {
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
    expect(verifyJwt(token, secret, now)).toEqual({ ok: true, claims });
  });

  it('both refuse another key, another algorithm, an expired and a not-yet-valid token', async () => {
    const other = randomBytes(32);
    const cases: Array<{ token: string; at: number; message: string; jose: new (...args: never[]) => Error }> = [
      {
        token: signJwt(claims, other),
        at: now,
        message: 'Signature verification failed',
        jose: errors.JWSSignatureVerificationFailed,
      },
      {
        token: await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS512' }).sign(secret),
        at: now,
        message: 'The specified alg value is not allowed',
        jose: errors.JOSEAlgNotAllowed,
      },
      { token: signJwt(claims, secret), at: now + 60, message: 'Signature has expired', jose: errors.JWTExpired },
      {
        token: signJwt(claims, secret),
        at: now - 1,
        message: 'The token is not yet valid (nbf)',
        jose: errors.JWTClaimValidationFailed,
      },
    ];
    for (const { token, at, message, jose } of cases) {
      const ours = verifyJwt(token, secret, at);
      expect(ours.ok, message).toBe(false);
      if (!ours.ok) expect(ours.message).toBe(message);
      await expect(
        jwtVerify(token, secret, { algorithms: ['HS256'], currentDate: new Date(at * 1000) }),
      ).rejects.toBeInstanceOf(jose);
    }
  });
});
