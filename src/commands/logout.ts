/**
 * `kitsu-tail logout`: revoke the session on the server (best effort: a host that is down
 * must not keep a token on this machine) and forget the profile here. A bot token cannot
 * be revoked by its own holder (Zou answers 403), so it is only forgotten, and we say so.
 */
import type { Context, PlanContext } from '../context.js';
import type { LogoutOptions } from '../options.js';
import { CliError, ExitCode } from '../errors.js';
import { reporterFor, type Reporter } from '../output/reporter.js';
import { refreshAccessToken, revokeSession } from '../kitsu/auth.js';
import { createApiClient } from '../kitsu/http.js';
import { expiresAt } from '../kitsu/jwt.js';
import { savedTlsOf } from '../kitsu/session.js';
import { tlsSettingsFor } from '../kitsu/tls.js';
import { chosenProfileName, forgetProfile, openStore, type StoredProfile } from '../store/profiles.js';

/** Nothing to check: logout takes no flags of its own. */
export function plan(_ctx: PlanContext, _args: string[], _options: LogoutOptions): null {
  return null;
}

export async function run(ctx: Context): Promise<void> {
  const reporter = reporterFor(ctx);
  const store = await openStore(ctx.env);
  const name = chosenProfileName(store.read(), ctx.globals.profile, ctx.env);
  const profile = store.read().profiles[name];
  if (!profile) {
    reporter.info(
      ctx.env.KITSU_TOKEN && !ctx.globals.profile
        ? 'KITSU_TOKEN comes from the environment: there is no saved login to log out of (unset it to stop using it)'
        : `Not logged in: there is no saved login named "${name}".`,
    );
    return;
  }
  const outcome = profile.bot ? 'bot' : await revoke(ctx, name, profile, reporter);
  const newDefault = await store.update((data) => forgetProfile(data, name));
  const where = `${profile.host} (profile "${name}")`;
  if (outcome === 'revoked')
    reporter.info(`Logged out of ${where}: the session is revoked on the server and forgotten here.`);
  else if (outcome === 'bot') {
    reporter.info(`Forgot the bot token for ${where} here. It still works: only a Kitsu admin can revoke a bot token.`);
  } else if (outcome === 'ended')
    reporter.info(`Logged out of ${where}: the session had already ended; forgotten here.`);
  else reporter.info(`Forgot the login for ${where} here.`);
  if (newDefault) reporter.info(`Profile "${newDefault}" is now the default.`);
}

type Outcome = 'revoked' | 'bot' | 'ended' | 'not-revoked';

async function revoke(ctx: Context, name: string, profile: StoredProfile, reporter: Reporter): Promise<Outcome> {
  const tls = tlsSettingsFor(ctx, reporter, savedTlsOf(name, profile));
  const client = await createApiClient({
    apiUrl: profile.apiUrl,
    tls,
    env: ctx.env,
    reporter,
    signal: ctx.signal,
    retries: 1,
  });
  try {
    let result = await revokeSession(client, profile.accessToken);
    const refresh = profile.refreshToken;
    if (result === 'already-ended' && refresh && (expiresAt(refresh) ?? Infinity) > ctx.clock.now()) {
      // The access token has ended but the refresh token has not: revoke through a new one,
      // since Zou blocklists the refresh token along with any access token made from it.
      result = await revokeSession(client, await refreshAccessToken(client, refresh));
    }
    if (result === 'revoked') return 'revoked';
    if (result === 'not-revocable') return 'bot';
    return 'ended';
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.auth) return 'ended';
    const reason = error instanceof Error ? error.message : String(error);
    reporter.warn(`could not revoke the session on the server (${reason}); forgetting it here anyway`);
    return 'not-revoked';
  } finally {
    await client.close();
  }
}
