/**
 * openSession: from flags, environment and saved profile to a ready Session whose requests
 * carry a valid access token, renewed before it runs out and once more when the server says
 * it has expired. Renewals are shared by every kitsu-tail process using the same profile:
 * under the store's lock, a process first looks whether another one already renewed.
 *
 * Which login is used:
 * - `--profile NAME` uses exactly that saved login.
 * - else `KITSU_TOKEN` is the credential, for `KITSU_HOST` (or the chosen profile's host);
 *   nothing needs to be saved, which is how CI jobs run.
 * - else the profile named by `KITSU_PROFILE`, or the default one; `KITSU_HOST` then picks
 *   the saved profile of that host.
 * `KITSU_EVENT_HOST` overrides the event stream address except under `--profile`.
 */
import type { Context } from '../context.js';
import { AuthError, CliError, NetworkError, ServerError, UsageError } from '../errors.js';
import { redactor } from '../core/redact.js';
import { reporterFor, type Reporter } from '../output/reporter.js';
import {
  chosenProfileName,
  openStore,
  profileNamedExplicitly,
  type ProfileStore,
  type StoredProfile,
} from '../store/profiles.js';
import { probeKitsu, refreshAccessToken, SESSION_ENDED_HINT } from './auth.js';
import { parseEventHost, parseHost, type EventAddress, type KitsuAddress } from './host.js';
import { createApiClient, errorForResponse, serverMessage, type ApiClient, type ApiResponse } from './http.js';
import { proxyFor } from './proxy.js';
import { expiresAt, isBotToken, renewalDue } from './jwt.js';
import { sessionEnd } from './session-info.js';
import { tlsSettingsFor, type ProfileTls } from './tls.js';
import { malformedTokenMessage } from './token-shape.js';
import type { KitsuHttp, Query, RequestOptions, Session, SessionUser } from './types.js';

/** The profile name a session from KITSU_TOKEN reports. */
export const ENVIRONMENT_PROFILE = '(environment)';

/** A login, resolved but not yet opened: where, and with which tokens. */
export interface ResolvedLogin extends KitsuAddress, EventAddress {
  source: 'profile' | 'environment';
  profileName: string;
  accessToken: string;
  refreshToken?: string;
  bot: boolean;
  user: SessionUser | null;
  /** Present for a saved profile: renewals are written back to it. */
  store?: ProfileStore;
  /** The TLS choice saved with the profile this login comes from, if any. */
  savedTls?: ProfileTls;
  /** The server's version as the profile last saw it, and when (ms since the epoch). */
  savedServer?: { version: string; checkedAtMs: number };
}

/**
 * How long a profile's record of the server's version is trusted. Reading it costs a request
 * (`GET /api/`) that every one-shot command paid; servers are upgraded far less often than
 * daily, and `kitsu-tail login` reads it afresh.
 */
export const SERVER_VERSION_TTL_MS = 24 * 3600 * 1000;

/** The TLS choice saved with a profile (see tlsSettingsFor). */
export function savedTlsOf(name: string, profile: StoredProfile): ProfileTls {
  return { profileName: name, caFile: profile.caFile, insecure: profile.insecure };
}

/** What `whoami` needs beyond the Session contract. */
export interface AuthSession extends Session {
  source: 'profile' | 'environment';
  /** The site root: `https://kitsu.studio.com`. */
  root: string;
  /** When the access token ends (ms since the epoch), or null for never. */
  accessExpiresAt(): number | null;
  /** When the session ends for good: the refresh token's end; null for never (a bot). */
  sessionEndsAt(): number | null;
}

function fromProfile(name: string, profile: StoredProfile, store: ProfileStore): ResolvedLogin {
  return {
    source: 'profile',
    profileName: name,
    root: profile.host,
    apiUrl: profile.apiUrl,
    eventUrl: profile.eventUrl,
    socketPath: profile.socketPath,
    accessToken: profile.accessToken,
    refreshToken: profile.refreshToken,
    bot: profile.bot,
    user: profile.user,
    store,
    savedTls: savedTlsOf(name, profile),
    ...(profile.serverCheckedAt
      ? { savedServer: { version: profile.serverVersion, checkedAtMs: Date.parse(profile.serverCheckedAt) } }
      : {}),
  };
}

/** The server's version: the profile's when it is recent enough, else read and saved again. */
async function serverVersionFor(
  login: ResolvedLogin,
  client: ApiClient,
  nowMs: number,
  reporter: Reporter,
  fresh: boolean,
): Promise<string> {
  const saved = login.savedServer;
  if (saved && !fresh && nowMs - saved.checkedAtMs >= 0 && nowMs - saved.checkedAtMs < SERVER_VERSION_TTL_MS)
    return saved.version;
  const version = await probeKitsu(client, login.root);
  if (login.store) {
    try {
      await login.store.update((data) => {
        const profile = data.profiles[login.profileName];
        // Only the profile this login came from: it may have been pointed elsewhere meanwhile.
        if (profile?.apiUrl !== login.apiUrl) return;
        profile.serverVersion = version;
        profile.serverCheckedAt = new Date(nowMs).toISOString();
      });
    } catch (error) {
      // The version is known for this run; failing to remember it must not fail the command.
      reporter.verbose(
        `store: could not save the server's version (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  return version;
}

function eventOverride(ctx: Context): EventAddress | undefined {
  const value = ctx.env.KITSU_EVENT_HOST?.trim();
  return value ? parseEventHost(value, 'KITSU_EVENT_HOST') : undefined;
}

/** Which login a command uses, from flags, environment and the store (see the top of this file). */
export async function resolveLogin(ctx: Context): Promise<ResolvedLogin> {
  const { env } = ctx;
  const flagProfile = ctx.globals.profile;
  const envToken = env.KITSU_TOKEN?.trim() || undefined;
  const envHost = env.KITSU_HOST?.trim() || undefined;
  redactor.add(envToken);

  if (!flagProfile && envToken) {
    const malformed = malformedTokenMessage(envToken, 'KITSU_TOKEN');
    if (malformed)
      throw new UsageError(malformed, 'set KITSU_TOKEN to the token alone, on one line, as the Kitsu admin gave it');
    let address: KitsuAddress | undefined = envHost ? parseHost(envHost, 'KITSU_HOST') : undefined;
    let events: EventAddress | undefined;
    let savedTls: ProfileTls | undefined;
    if (!address) {
      const store = await openStore(env);
      const data = store.read();
      const name = chosenProfileName(data, undefined, env);
      const saved = data.profiles[name];
      if (saved) {
        address = { root: saved.host, apiUrl: saved.apiUrl };
        events = { eventUrl: saved.eventUrl, socketPath: saved.socketPath };
        // The profile names the host, so its TLS choice goes with it.
        savedTls = savedTlsOf(name, saved);
      }
    }
    if (!address) {
      throw new AuthError(
        'KITSU_TOKEN is set but there is no host to use it with',
        'set KITSU_HOST too, such as KITSU_HOST=https://kitsu.studio.com',
      );
    }
    return {
      source: 'environment',
      profileName: ENVIRONMENT_PROFILE,
      ...address,
      ...(eventOverride(ctx) ?? events ?? parseEventHost(address.root)),
      accessToken: envToken,
      bot: isBotToken(envToken),
      user: null,
      ...(savedTls ? { savedTls } : {}),
    };
  }

  const store = await openStore(env);
  const data = store.read();
  let name = chosenProfileName(data, flagProfile, env);
  let profile = data.profiles[name];
  if (!flagProfile && envHost) {
    const wanted = parseHost(envHost, 'KITSU_HOST');
    if (profile?.apiUrl !== wanted.apiUrl) {
      const match = env.KITSU_PROFILE
        ? undefined
        : Object.entries(data.profiles).find(([, p]) => p.apiUrl === wanted.apiUrl);
      if (!match) {
        throw new AuthError(
          `not logged in to ${wanted.root} (KITSU_HOST)${env.KITSU_PROFILE ? ` with profile "${name}"` : ''}`,
          `run \`kitsu-tail login --host ${wanted.root}\`, or set KITSU_TOKEN`,
        );
      }
      [name, profile] = match;
    }
  }
  if (!profile) {
    const saved = Object.keys(data.profiles).sort();
    if (profileNamedExplicitly(flagProfile, env) && saved.length > 0) {
      throw new AuthError(
        `there is no saved login named "${name}"; saved: ${saved.join(', ')}`,
        `run \`kitsu-tail login --profile ${name}\`, or pick one of those`,
      );
    }
    throw new AuthError('not logged in', 'run `kitsu-tail login`, or set KITSU_HOST and KITSU_TOKEN');
  }
  const malformed = malformedTokenMessage(profile.accessToken, `profile "${name}"`);
  if (malformed) throw new AuthError(malformed, `run \`kitsu-tail login --profile ${name}\` again`);
  const login = fromProfile(name, profile, store);
  const events = flagProfile ? undefined : eventOverride(ctx);
  return events ? { ...login, ...events } : login;
}

function isExpiredAnswer(response: ApiResponse): boolean {
  if (response.status !== 401 && response.status !== 422) return false;
  const said = serverMessage(response.body);
  return said === 'Signature has expired' || said === 'Token has expired';
}

/**
 * Keeps the access token valid for one session. Renewals within this process are shared
 * (one in flight at a time); across processes they are shared through the store's lock.
 */
class TokenKeeper {
  private access: string;
  private refresh: string | undefined;
  private inflight: Promise<string> | null = null;

  constructor(
    private readonly login: ResolvedLogin,
    private readonly client: ApiClient,
    private readonly now: () => number,
    private readonly reporter: Reporter,
  ) {
    this.access = login.accessToken;
    this.refresh = login.refreshToken;
    redactor.add(this.access);
    redactor.add(this.refresh);
  }

  get current(): string {
    return this.access;
  }

  get refreshToken(): string | undefined {
    return this.refresh;
  }

  /** Whether a refused token can be replaced at all. */
  get renewable(): boolean {
    return !this.login.bot && (this.refresh !== undefined || this.login.store !== undefined);
  }

  /** A token to send now: the current one, or a renewed one when it is close to its end. */
  async valid(): Promise<string> {
    if (!this.renewable || !renewalDue(this.access, this.now())) return this.access;
    const before = this.access;
    try {
      return await this.renewFrom(before);
    } catch (error) {
      // Renewing early failed, but the old token still works for a while: use it, and let
      // the request that finds it expired report why the session cannot go on.
      const end = expiresAt(before);
      const fallible = error instanceof NetworkError || error instanceof ServerError || error instanceof AuthError;
      if (fallible && end !== null && end > this.now()) {
        this.reporter.verbose(`auth: could not renew the access token yet (${(error as CliError).message})`);
        return before;
      }
      throw error;
    }
  }

  /** Replace `bad` (refused or about to end); a no-op when it was already replaced. */
  renewFrom(bad: string): Promise<string> {
    if (this.access !== bad) return Promise.resolve(this.access);
    this.inflight ??= this.renew(bad).finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async renew(bad: string): Promise<string> {
    const { login } = this;
    if (login.bot) {
      throw new AuthError(
        `${new URL(login.apiUrl).host} refused the bot token (revoked, or past its expiration date)`,
        'ask a Kitsu admin for a new bot token',
      );
    }
    const store = login.store;
    if (!store) {
      if (!this.refresh)
        throw new AuthError('the access token in KITSU_TOKEN has expired and cannot be renewed', SESSION_ENDED_HINT);
      this.access = await this.refreshNow(this.refresh);
      return this.access;
    }
    return store.update(async (data) => {
      const profile = data.profiles[login.profileName];
      if (!profile) throw new AuthError(`profile "${login.profileName}" was logged out meanwhile`);
      const renewedElsewhere = profile.accessToken !== bad && !renewalDue(profile.accessToken, this.now());
      if (renewedElsewhere) {
        this.reporter.verbose('auth: using the access token another kitsu-tail renewed');
      } else {
        if (!profile.refreshToken)
          throw new AuthError(`the session of profile "${login.profileName}" has ended`, SESSION_ENDED_HINT);
        profile.accessToken = await this.refreshNow(profile.refreshToken);
      }
      this.access = profile.accessToken;
      this.refresh = profile.refreshToken;
      return this.access;
    });
  }

  private async refreshNow(refreshToken: string): Promise<string> {
    const end = expiresAt(refreshToken);
    if (end !== null && end <= this.now()) {
      throw new AuthError(
        `the session ended on ${new Date(end).toISOString()} and cannot be renewed`,
        SESSION_ENDED_HINT,
      );
    }
    const token = await refreshAccessToken(this.client, refreshToken);
    const until = expiresAt(token);
    this.reporter.verbose(
      `auth: renewed the access token${until ? ` (valid until ${new Date(until).toISOString()})` : ''}`,
    );
    return token;
  }
}

/** The hint an AuthError from a data route should carry, by the kind of login. */
function sessionHint(login: ResolvedLogin): string {
  if (login.bot) return 'the bot token may have been revoked; ask a Kitsu admin for a new one';
  if (login.source === 'environment') return 'check KITSU_TOKEN, or run `kitsu-tail login`';
  return SESSION_ENDED_HINT;
}

function createKitsuHttp(client: ApiClient, tokens: TokenKeeper, login: ResolvedLogin): KitsuHttp {
  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    query: Query | undefined,
    body: unknown,
    options?: RequestOptions,
  ): Promise<T> {
    const token = await tokens.valid();
    const request = { method, path, query, body, signal: options?.signal };
    let response = await client.send({ ...request, token });
    if (isExpiredAnswer(response) && tokens.renewable) {
      response = await client.send({ ...request, token: await tokens.renewFrom(token) });
    }
    if (response.status >= 200 && response.status < 300 && response.json) {
      if (response.serverTime !== undefined) options?.onServerTime?.(response.serverTime);
      return response.body as T;
    }
    const error = errorForResponse(response, request, client.apiUrl);
    if (error instanceof AuthError) throw new AuthError(error.message, sessionHint(login));
    throw error;
  }
  return {
    get: (path, query, options) => call('GET', path, query, undefined, options),
    post: (path, body, options) => call('POST', path, undefined, body, options),
  };
}

/**
 * The session of the login this command uses (see the top of this file). Checks that the host
 * is a Kitsu API and reads its version, unless the profile read it within the last day (see
 * SERVER_VERSION_TTL_MS); does not check the token (the first request does). `fresh` always
 * asks: a command that runs for hours checks the server it starts against (and openWhenUp
 * waits on that answer), where a one-shot command would only save a request.
 * Throws AuthError (exit 3, hint `kitsu-tail login`) when there is no login at all.
 */
export async function openSession(ctx: Context, options: { fresh?: boolean } = {}): Promise<AuthSession> {
  const login = await resolveLogin(ctx);
  const reporter = reporterFor(ctx);
  const tls = tlsSettingsFor(ctx, reporter, login.savedTls);
  const eventProxy = proxyFor(new URL(login.eventUrl), ctx.env);
  const client = await createApiClient({ apiUrl: login.apiUrl, tls, env: ctx.env, reporter, signal: ctx.signal });
  let serverVersion: string;
  try {
    serverVersion = await serverVersionFor(login, client, ctx.clock.now(), reporter, options.fresh === true);
  } catch (error) {
    await client.close();
    throw error;
  }
  const now = () => ctx.clock.now();
  const tokens = new TokenKeeper(login, client, now, reporter);
  return {
    source: login.source,
    profileName: login.profileName,
    root: login.root,
    apiUrl: login.apiUrl,
    eventUrl: login.eventUrl,
    socketPath: login.socketPath,
    serverVersion,
    user: login.user,
    isBot: login.bot,
    tls,
    ...(eventProxy ? { eventProxy } : {}),
    http: createKitsuHttp(client, tokens, login),
    accessToken: () => tokens.valid(),
    renew: () => tokens.renewFrom(tokens.current),
    close: () => client.close(),
    accessExpiresAt: () => expiresAt(tokens.current),
    sessionEndsAt: () => sessionEnd({ bot: login.bot, accessToken: tokens.current, refreshToken: tokens.refreshToken }),
  };
}
