import { describe, expect, it } from 'vitest';
import { expiresAt, isBotToken, readClaims, renewalDue } from '../../src/kitsu/jwt.js';

function token(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('reading tokens', () => {
  it('reads the claims and the end of a token', () => {
    const t = token({ exp: 2_000_000_000, iat: 1_999_000_000, identity_type: 'person' });
    expect(readClaims(t)?.identity_type).toBe('person');
    expect(expiresAt(t)).toBe(2_000_000_000_000);
    expect(isBotToken(t)).toBe(false);
  });
  it('knows a bot token, and treats a token with no end as one', () => {
    expect(isBotToken(token({ iat: 1, identity_type: 'bot' }))).toBe(true);
    expect(isBotToken(token({ iat: 1, exp: 10, identity_type: 'bot' }))).toBe(true);
    expect(isBotToken(token({ iat: 1, identity_type: 'person' }))).toBe(true);
    expect(expiresAt(token({ iat: 1 }))).toBeNull();
  });
  it('returns null for text that is not a JWT', () => {
    expect(readClaims('not-a-token')).toBeNull();
    expect(readClaims('a.b.c')).toBeNull();
    expect(expiresAt('a.%%%.c')).toBeNull();
  });
});

describe('renewalDue', () => {
  const iat = 1_000_000;
  it('renews a 7-day token within its last minute only', () => {
    const t = token({ iat, exp: iat + 7 * 86_400 });
    const end = (iat + 7 * 86_400) * 1000;
    expect(renewalDue(t, end - 61_000)).toBe(false);
    expect(renewalDue(t, end - 59_000)).toBe(true);
    expect(renewalDue(t, end + 1)).toBe(true);
  });
  it('renews a short token within its last tenth, not on every use', () => {
    const t = token({ iat, exp: iat + 10 });
    expect(renewalDue(t, iat * 1000 + 8_500)).toBe(false);
    expect(renewalDue(t, iat * 1000 + 9_100)).toBe(true);
  });
  it('never renews a token with no end', () => {
    expect(renewalDue(token({ iat, identity_type: 'bot' }), Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
