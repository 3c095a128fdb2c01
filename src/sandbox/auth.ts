/**
 * Tokens and logins as Zou and flask-jwt-extended handle them: where the token is looked for
 * (cookie first, then the Authorization header), the order of the checks, and the exact
 * status codes and bodies of src/kitsu/README.md, Authentication.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { signJwt, verifyJwt, type Claims } from './jwt.js';
import { verifyTotp } from './totp.js';
import type { Person, World } from './world.js';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
}

export const FORBIDDEN_MESSAGE =
  "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server.";
const UNAUTHORIZED_MESSAGE =
  "The server could not verify that you are authorized to access the URL requested. You either supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials required.";

export const forbidden = (): Reply => ({ status: 403, body: { error: true, message: FORBIDDEN_MESSAGE } });

export type TokenKind = 'access' | 'refresh';
export type Authenticated = { ok: true; person: Person; claims: Claims; token: string };
export type Refused = { ok: false; reply: Reply };

const MAX_FAILED_LOGINS = 5;

interface Issued {
  seq: number;
  bot: boolean;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const raw = part.slice(eq + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // A malformed escape stays as sent, as the token check will then refuse it.
    }
    cookies.set(part.slice(0, eq).trim(), value);
  }
  return cookies;
}

/** The User-Agent families Zou's `is_from_browser` treats as a browser. */
export function isBrowser(userAgent: string | undefined): boolean {
  return /\b(Chrome|Chromium|Firefox|Safari|Edg|Edge|OPR|Opera|Brave|Vivaldi|SamsungBrowser)\//.test(userAgent ?? '');
}

export class Auth {
  /** Signs and checks every token; the same key after a restart keeps sessions valid, as Zou's SECRET_KEY does. */
  readonly secret: Buffer;
  accessTtl: number;
  refreshTtl: number;
  lockoutMs: number;
  private seq = 0;
  private readonly issued = new Map<string, Issued>();
  private readonly blocklist = new Set<string>();
  private revokedUpTo = 0;
  private accessExpiredUpTo = 0;
  private refreshExpiredUpTo = 0;

  constructor(
    private readonly world: World,
    options: { accessTtl: number; refreshTtl: number; lockoutSeconds: number; secret?: Buffer },
  ) {
    this.secret = options.secret ?? randomBytes(32);
    this.accessTtl = options.accessTtl;
    this.refreshTtl = options.refreshTtl;
    this.lockoutMs = options.lockoutSeconds * 1000;
  }

  private claims(person: Person, type: TokenKind, ttl: number | null, identity: 'person' | 'bot'): Claims {
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      fresh: false,
      iat: now,
      jti: randomUUID(),
      type,
      sub: person.id,
      nbf: now,
      identity_type: identity,
    };
    if (ttl !== null) claims.exp = now + ttl;
    return claims;
  }

  private sign(claims: Claims, bot = false): string {
    this.seq += 1;
    this.issued.set(claims.jti, { seq: this.seq, bot });
    return signJwt(claims, this.secret);
  }

  /** A login's pair; the access token names its refresh token so that logout revokes both. */
  issuePair(person: Person): { access: string; refresh: string } {
    const refresh = this.claims(person, 'refresh', this.refreshTtl, 'person');
    const access = { ...this.claims(person, 'access', this.accessTtl, 'person'), refresh_jti: refresh.jti };
    return { access: this.sign(access), refresh: this.sign(refresh) };
  }

  issueFromRefresh(person: Person, refresh: Claims): string {
    return this.sign({ ...this.claims(person, 'access', this.accessTtl, 'person'), refresh_jti: refresh.jti });
  }

  /** A bot's token: no `exp`, valid while its jti is the one stored on the person. */
  issueBot(person: Person): string {
    const claims = this.claims(person, 'access', null, 'bot');
    person.botJti = claims.jti;
    return this.sign(claims, true);
  }

  revoke(jti: string | undefined): void {
    if (jti) this.blocklist.add(jti);
  }

  revokeAll(): void {
    this.revokedUpTo = this.seq;
    for (const p of this.world.persons.values()) if (p.is_bot) p.botJti = null;
  }

  expireAccess(): void {
    this.accessExpiredUpTo = this.seq;
  }

  expireRefresh(): void {
    this.refreshExpiredUpTo = this.seq;
  }

  /** The token a request carries for `kind`: the cookie first, then `Authorization: Bearer`. */
  private locate(headers: Record<string, string | string[] | undefined>, kind: TokenKind): { token: string } | Refused {
    const cookieName = kind === 'access' ? 'access_token_cookie' : 'refresh_token_cookie';
    const cookie = parseCookies(typeof headers.cookie === 'string' ? headers.cookie : undefined).get(cookieName);
    if (cookie) return { token: cookie };
    const raw = (typeof headers.authorization === 'string' ? headers.authorization : '').trim().replace(/^,+|,+$/g, '');
    let headerError: string;
    if (!raw) {
      headerError = 'Missing Authorization Header';
    } else {
      const bearers = raw.split(/,\s*/).filter((field) => field.split(/\s+/)[0] === 'Bearer');
      if (bearers.length !== 1) {
        headerError = "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'";
      } else {
        const parts = (bearers[0] as string).split(/\s+/);
        if (parts.length === 2) return { token: parts[1] as string };
        headerError = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
      }
    }
    return {
      ok: false,
      reply: {
        status: 401,
        body: { msg: `Missing JWT in cookies or headers (Missing cookie "${cookieName}"; ${headerError})` },
      },
    };
  }

  /** flask-jwt-extended's `jwt_required` followed by Zou's user loader. */
  authenticate(headers: Record<string, string | string[] | undefined>, kind: TokenKind): Authenticated | Refused {
    const located = this.locate(headers, kind);
    if ('ok' in located) return located;
    return this.check(located.token, kind);
  }

  check(token: string, kind: TokenKind): Authenticated | Refused {
    const decoded = verifyJwt(token, this.secret, Math.floor(Date.now() / 1000));
    const expired: Reply = { status: 401, body: { error: true, message: 'Signature has expired' } };
    if (!decoded.ok)
      return { ok: false, reply: decoded.expired ? expired : { status: 422, body: { msg: decoded.message } } };
    const claims = decoded.claims;
    // A token this process did not issue was issued before a restart: Zou keeps no list of
    // valid tokens, only a blocklist (§1.8), so it stands unless revoked since.
    const issued = this.issued.get(claims.jti) ?? { seq: 0, bot: claims.identity_type === 'bot' };
    if (!issued.bot) {
      const watermark = claims.type === 'refresh' ? this.refreshExpiredUpTo : this.accessExpiredUpTo;
      if (watermark > 0 && issued.seq <= watermark) return { ok: false, reply: expired };
    }
    if (kind === 'access' && claims.type !== 'access') {
      return { ok: false, reply: { status: 422, body: { msg: 'Only non-refresh tokens are allowed' } } };
    }
    if (kind === 'refresh' && claims.type !== 'refresh') {
      return { ok: false, reply: { status: 422, body: { msg: 'Only refresh tokens are allowed' } } };
    }
    const person = this.world.persons.get(claims.sub);
    const revoked =
      (issued.seq <= this.revokedUpTo && this.revokedUpTo > 0) ||
      this.blocklist.has(claims.jti) ||
      (claims.identity_type === 'bot' && person?.botJti !== claims.jti);
    if (revoked) return { ok: false, reply: { status: 401, body: { msg: 'Token has been revoked' } } };
    if (!person || !person.active) {
      if (person && claims.identity_type === 'person') this.revoke(claims.jti);
      return { ok: false, reply: { status: 401, body: { error: true, message: UNAUTHORIZED_MESSAGE } } };
    }
    return { ok: true, person, claims, token };
  }

  /** `POST auth/login`: the failures of src/kitsu/README.md, Authentication, in Zou's order of checks. */
  login(
    body: Record<string, unknown>,
    context: { userAgent: string | undefined; onSuccess: (person: Person, browser: boolean) => void },
  ): Reply {
    const email = body.email;
    if (typeof email !== 'string' || email.length === 0) {
      const message =
        email === undefined || email === null
          ? 'Field required'
          : typeof email === 'string'
            ? 'String should have at least 1 character'
            : 'Input should be a valid string';
      return {
        status: 400,
        body: { error: true, message: 'Validation error.', data: { errors: [{ field: 'email', message }] } },
      };
    }
    const password = body.password === undefined || body.password === null ? 'default' : body.password;
    if (typeof password !== 'string') {
      return {
        status: 400,
        body: {
          error: true,
          message: 'Validation error.',
          data: { errors: [{ field: 'password', message: 'Input should be a valid string' }] },
        },
      };
    }
    const loginFalse: Reply = { status: 400, body: { login: false } };
    const person = this.world.findPersonByLogin(email);
    if (!person || person.is_bot) return loginFalse;
    const now = Date.now();
    if (person.failedLogins >= MAX_FAILED_LOGINS && person.lastFailedMs > now - this.lockoutMs) {
      return { status: 400, body: { error: true, login: false, too_many_failed_login_attemps: true } };
    }
    const fail = (reply: Reply): Reply => {
      person.failedLogins += 1;
      person.lastFailedMs = now;
      return reply;
    };
    if (password !== person.password) return fail(loginFalse);
    if (!person.active) {
      return {
        status: 401,
        body: { error: true, login: false, unactive: true, message: 'User is unactive, he cannot log in.' },
      };
    }
    if (person.totpSecret) {
      const totp = body.totp;
      const otherFactor = body.recovery_code ?? body.email_otp ?? body.fido_authentication_response;
      if ((totp === undefined || totp === null || totp === '') && (otherFactor === undefined || otherFactor === null)) {
        return {
          status: 400,
          body: {
            error: true,
            login: false,
            missing_OTP: true,
            preferred_two_factor_authentication: 'totp',
            two_factor_authentication_enabled: ['totp', 'recovery_code'],
          },
        };
      }
      if (typeof totp !== 'string' || !verifyTotp(person.totpSecret, totp, now)) {
        return fail({ status: 400, body: { error: true, login: false, wrong_OTP: true } });
      }
    }
    if (person.password === 'default') {
      return { status: 400, body: { login: false, default_password: true, token: randomBytes(24).toString('hex') } };
    }
    person.failedLogins = 0;
    person.lastFailedMs = 0;
    const browser = isBrowser(context.userAgent);
    const { access, refresh } = this.issuePair(person);
    context.onSuccess(person, browser);
    const reply: Reply = {
      status: 200,
      body: {
        login: true,
        user: this.world.personFull(person),
        organisation: this.world.organisationJson(),
        access_token: access,
        refresh_token: refresh,
      },
    };
    if (browser) {
      reply.headers = {
        'set-cookie': [
          `access_token_cookie=${access}; Path=/; SameSite=Lax; Max-Age=${this.accessTtl}; HttpOnly`,
          `refresh_token_cookie=${refresh}; Path=/auth/refresh-token; SameSite=Lax; Max-Age=${this.refreshTtl}; HttpOnly`,
        ],
      };
    }
    return reply;
  }
}
