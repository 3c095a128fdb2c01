/**
 * What the client may read from a Zou token without checking its signature (it cannot: the
 * key is the server's): when it ends, and whether it belongs to a bot. The server still
 * decides; these readings only let us renew before a request fails. Reading a payload is a
 * base64url decode and JSON.parse, so jose (whose worth is in verifying) is not loaded for it
 * on every command that opens a session.
 */

export interface TokenClaims {
  /** Seconds since the epoch; absent on a bot token that never expires. */
  exp?: number;
  iat?: number;
  sub?: string;
  jti?: string;
  /** flask-jwt-extended: "access" or "refresh". */
  type?: string;
  /** Zou: "person", "person_api" or "bot". */
  identity_type?: string;
}

/** The payload of a JWT, or null when the text is not one. */
export function readClaims(token: string): TokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return payload !== null && typeof payload === 'object' ? (payload as TokenClaims) : null;
  } catch {
    return null;
  }
}

/** When the token stops working, in ms since the epoch; null when it does not say (never). */
export function expiresAt(token: string): number | null {
  const exp = readClaims(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

/**
 * A bot token: Zou marks it `identity_type: "bot"` and gives it no `exp` unless the bot has an
 * expiration date. Such a token cannot be renewed; it works until it ends or is revoked.
 */
export function isBotToken(token: string): boolean {
  const claims = readClaims(token);
  return claims === null || claims.identity_type === 'bot' || claims.exp === undefined;
}

const MAX_MARGIN_MS = 60_000;

/**
 * Whether to renew before using the token: within 60 s of its end, or within the last 10% of
 * its life when that is shorter (so a 2-second test token is not renewed on every request).
 */
export function renewalDue(token: string, nowMs: number): boolean {
  const claims = readClaims(token);
  if (typeof claims?.exp !== 'number') return false;
  const endMs = claims.exp * 1000;
  const lifeMs = typeof claims.iat === 'number' ? endMs - claims.iat * 1000 : Infinity;
  const margin = Math.min(MAX_MARGIN_MS, Math.max(0, lifeMs) / 10);
  return nowMs >= endMs - margin;
}
