/**
 * The auth routes of Zou (README.md beside this file, Authentication): is this Kitsu, log in (with its
 * two-factor round), check a token, renew, log out. Each answer the server can give gets
 * its own one-line error; nothing here prompts or prints.
 */
import { AuthError, ServerError, UsageError } from '../errors.js';
import { redactor } from '../core/redact.js';
import { errorForResponse, describeNonJson, serverMessage, type ApiClient, type ApiResponse } from './http.js';
import type { SessionUser } from './types.js';

/** `GET /api/` must answer `{"api": "Zou", "version": …}`; returns the version. */
export async function probeKitsu(client: ApiClient, root: string): Promise<string> {
  const response = await client.send({ method: 'GET', path: '' });
  const body = response.body as { api?: unknown; version?: unknown } | undefined;
  if (response.status === 200 && response.json && body?.api === 'Zou') {
    return typeof body.version === 'string' ? body.version : 'unknown';
  }
  if (response.status >= 300 && response.status < 400 && response.location) {
    // Not followed: the password must go where the user said (an http → https redirect, often).
    const to = new URL(response.location, `${client.apiUrl}/`);
    const site = to.href.replace(/\/api\/?$/, '').replace(/\/$/, '');
    throw new ServerError(`${root} redirects to ${to.href}`, `log in with --host ${site}`);
  }
  throw new ServerError(
    `${root} is not a Kitsu server: GET ${new URL(client.apiUrl).pathname}/ answered ${whatAnswered(response)}`,
    'check the host: give the address you open Kitsu at in a browser',
  );
}

function whatAnswered(response: ApiResponse): string {
  if (!response.json) return `${describeNonJson(response)} (status ${response.status})`;
  if (response.status !== 200)
    return `status ${response.status}${serverMessage(response.body) ? ` (${serverMessage(response.body)})` : ''}`;
  return 'JSON that is not the Zou API banner';
}

/** The person fields the tool keeps, from a Zou person dict. */
export function userFrom(raw: unknown): SessionUser {
  const person = (raw ?? {}) as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const fullName =
    text(person.full_name) ||
    [text(person.first_name), text(person.last_name)].filter(Boolean).join(' ') ||
    text(person.email);
  return { id: text(person.id), email: text(person.email), full_name: fullName, role: text(person.role) || 'user' };
}

export interface LoginTokens {
  accessToken: string;
  refreshToken: string;
  user: SessionUser;
  /** ENFORCE_2FA is on and the user has no second factor yet: only auth routes will work. */
  twoFactorSetupRequired: boolean;
}

export type OtpField = 'totp' | 'email_otp' | 'recovery_code';

export interface Credentials {
  email: string;
  password: string;
  otp?: { field: OtpField; code: string };
}

export type LoginAnswer =
  { outcome: 'ok'; tokens: LoginTokens } | { outcome: 'code-needed'; preferred: string | null; methods: string[] };

interface LoginBody {
  login?: boolean;
  access_token?: string;
  refresh_token?: string;
  user?: unknown;
  two_factor_authentication_required?: boolean;
  too_many_failed_login_attemps?: boolean;
  unactive?: boolean;
  missing_OTP?: boolean;
  preferred_two_factor_authentication?: string | null;
  two_factor_authentication_enabled?: string[];
  wrong_OTP?: boolean;
  default_password?: boolean;
  token?: string;
  data?: { errors?: { field?: string; message?: string }[] };
}

/** Zou answered `wrong_OTP`: the password was right and the code was not, so asking again is worth it. */
export class WrongCodeError extends AuthError {
  constructor() {
    super('wrong two-factor code', 'use the current code (authenticator codes change every 30 s) and try again');
  }
}

/** POST auth/login. A two-factor round comes back as `code-needed`; every refusal throws. */
export async function postLogin(client: ApiClient, credentials: Credentials): Promise<LoginAnswer> {
  const payload: Record<string, string> = { email: credentials.email, password: credentials.password };
  if (credentials.otp) payload[credentials.otp.field] = credentials.otp.code;
  const response = await client.send({ method: 'POST', path: 'auth/login', body: payload });
  const body = (response.body ?? {}) as LoginBody;
  redactor.add(body.access_token);
  redactor.add(body.refresh_token);
  redactor.add(body.token);
  if (response.status === 200 && response.json && body.access_token && body.refresh_token) {
    return {
      outcome: 'ok',
      tokens: {
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        user: userFrom(body.user),
        twoFactorSetupRequired: body.two_factor_authentication_required === true,
      },
    };
  }
  if (!response.json || response.status >= 500)
    throw errorForResponse(response, { method: 'POST', path: 'auth/login' }, client.apiUrl);
  if (body.missing_OTP) {
    return {
      outcome: 'code-needed',
      preferred: body.preferred_two_factor_authentication ?? null,
      methods: body.two_factor_authentication_enabled ?? [],
    };
  }
  throw loginRefusal(response.status, body, new URL(client.apiUrl).host);
}

function loginRefusal(status: number, body: LoginBody, host: string): Error {
  if (body.too_many_failed_login_attemps) {
    return new AuthError(
      'too many failed logins: Kitsu has locked this account for a minute',
      'wait a minute, then try again',
    );
  }
  if (body.unactive) return new AuthError(`this account is inactive on ${host}`, 'ask a Kitsu admin to reactivate it');
  if (body.wrong_OTP) return new WrongCodeError();
  if (body.default_password) {
    return new AuthError(
      'this account still has the default password, which Kitsu does not accept here',
      'set a real password in the Kitsu web app, then log in again',
    );
  }
  if (status === 409) return new ServerError(`${host} has no way to log in configured (409)`, 'tell the Kitsu admin');
  const errors = body.data?.errors;
  if (errors?.length) {
    const detail = errors.map((e) => `${e.field ?? '?'}: ${e.message ?? 'invalid'}`).join('; ');
    return new UsageError(`the server rejected the login request (${detail})`, 'check --email');
  }
  if (status === 400 || status === 401) {
    return new AuthError(
      'login refused: unknown e-mail or wrong password',
      'check both, as Kitsu does not say which; it locks the account for a minute after 5 failures',
    );
  }
  return new AuthError(`login refused by ${host} (status ${status})`);
}

/**
 * Which login field a code goes in. Six to eight digits are a TOTP or e-mail code (the
 * user's preferred one, else whichever is on); anything else is a recovery code.
 */
export function otpFieldFor(code: string, preferred: string | null, methods: readonly string[]): OtpField {
  if (!/^\d{6,8}$/.test(code.trim())) return 'recovery_code';
  if (preferred === 'totp' || preferred === 'email_otp') return preferred;
  if (methods.includes('totp')) return 'totp';
  if (methods.includes('email_otp')) return 'email_otp';
  return 'totp';
}

/** Asks the server to e-mail a login code (it answers 200 whether or not it sends one). */
export async function requestEmailCode(client: ApiClient, email: string): Promise<void> {
  const response = await client.send({ method: 'GET', path: 'auth/email-otp', query: { email } });
  if (response.status !== 200)
    throw errorForResponse(response, { method: 'GET', path: 'auth/email-otp' }, client.apiUrl);
}

/** `GET auth/authenticated` with a token: who it belongs to, or AuthError. */
export async function checkToken(client: ApiClient, token: string): Promise<SessionUser> {
  const response = await client.send({ method: 'GET', path: 'auth/authenticated', token });
  const body = response.body as { authenticated?: boolean; user?: unknown } | undefined;
  if (response.status === 200 && response.json && body?.authenticated) return userFrom(body.user);
  if (response.json && (response.status === 401 || response.status === 422)) {
    const said = serverMessage(response.body);
    throw new AuthError(
      `${new URL(client.apiUrl).host} refused the token${said ? `: ${said}` : ''}`,
      "check the token; an admin makes bot tokens on Kitsu's People page",
    );
  }
  throw errorForResponse(response, { method: 'GET', path: 'auth/authenticated' }, client.apiUrl);
}

export const SESSION_ENDED_HINT =
  'run `kitsu-tail login`, or log in with a bot token, login --token, for unattended jobs';

/** `GET auth/refresh-token` with the refresh token as bearer: a new access token only. */
export async function refreshAccessToken(client: ApiClient, refreshToken: string): Promise<string> {
  const response = await client.send({ method: 'GET', path: 'auth/refresh-token', token: refreshToken });
  const body = response.body as { access_token?: string } | undefined;
  if (response.status === 200 && typeof body?.access_token === 'string') {
    redactor.add(body.access_token);
    return body.access_token;
  }
  if (response.json && (response.status === 401 || response.status === 422)) {
    const said = serverMessage(response.body);
    throw new AuthError(`the session has ended and cannot be renewed${said ? ` (${said})` : ''}`, SESSION_ENDED_HINT);
  }
  throw errorForResponse(response, { method: 'GET', path: 'auth/refresh-token' }, client.apiUrl);
}

/**
 * `GET auth/logout`: blocklists the access token and its refresh token. Bots answer 403:
 * their token can only be revoked by an admin. Returns what happened.
 */
export async function revokeSession(
  client: ApiClient,
  accessToken: string,
): Promise<'revoked' | 'not-revocable' | 'already-ended'> {
  const response = await client.send({ method: 'GET', path: 'auth/logout', token: accessToken });
  if (response.status === 200) return 'revoked';
  if (response.status === 403) return 'not-revocable';
  if (response.json && (response.status === 401 || response.status === 422)) return 'already-ended';
  throw errorForResponse(response, { method: 'GET', path: 'auth/logout' }, client.apiUrl);
}
