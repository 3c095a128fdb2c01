/**
 * HS256 JSON Web Tokens shaped like flask-jwt-extended's, with the error texts PyJWT gives,
 * so clients see the same claims and the same 422 messages as from Zou.
 *
 * Not jose: its signing and checking are async (WebCrypto), while the sandbox issues tokens
 * from synchronous code (`control.createBot()`, which tests call inline) and checks them in
 * the socket.io handshake, and PyJWT's messages would still be ours to map. jose judges this
 * code instead: test/sandbox/jwt.test.ts has each accept what the other signs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Claims {
  fresh: boolean;
  iat: number;
  jti: string;
  type: 'access' | 'refresh';
  sub: string;
  nbf: number;
  /** Absent on bot tokens, which never expire. */
  exp?: number;
  identity_type: 'person' | 'bot';
  /** On access tokens: the jti of the refresh token of the same login, revoked with it. */
  refresh_jti?: string;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export function signJwt(claims: Claims, secret: Buffer): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

export type Decoded = { ok: true; claims: Claims } | { ok: false; expired: boolean; message: string };

/** Verifies like PyJWT's decode: structure, algorithm, signature, then nbf and exp. */
export function verifyJwt(token: string, secret: Buffer, nowSeconds: number): Decoded {
  const fail = (message: string): Decoded => ({ ok: false, expired: false, message });
  const parts = token.split('.');
  if (parts.length !== 3) return fail('Not enough segments');
  const [head, body, signature] = parts as [string, string, string];
  let header: { alg?: unknown };
  try {
    header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: unknown };
  } catch {
    return fail('Invalid header string: must be a json object');
  }
  if (typeof header !== 'object' || header === null) return fail('Invalid header string: must be a json object');
  if (header.alg !== 'HS256') return fail('The specified alg value is not allowed');
  let claims: Claims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
  } catch {
    return fail('Invalid payload string: must be a json object');
  }
  if (typeof claims !== 'object' || claims === null) return fail('Invalid payload string: must be a json object');
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return fail('Signature verification failed');
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) return fail('The token is not yet valid (nbf)');
  if (typeof claims.exp === 'number' && claims.exp <= nowSeconds)
    return { ok: false, expired: true, message: 'Signature has expired' };
  return { ok: true, claims };
}
