/**
 * `kitsu-tail whoami`: who the server says you are, where, with which profile, and when the
 * session ends. `--json` (or any JSON --format) prints one object for scripts.
 *
 * When the server cannot confirm it (the session is refused, the host is unreachable, the
 * server fails), what is saved is still shown, marked as not confirmed, before the error and
 * its exit code: like `gh auth status`, the question "which login is this?" has an answer
 * even when the server does not.
 */
import type { Context, PlanContext } from '../context.js';
import type { WhoamiOptions } from '../options.js';
import { AuthError, CliError, NetworkError, PermissionError, ServerError, UsageError } from '../errors.js';
import { userFrom } from '../kitsu/auth.js';
import { expiresAt } from '../kitsu/jwt.js';
import { sessionEnd } from '../kitsu/session-info.js';
import { openSession, resolveLogin, type ResolvedLogin } from '../kitsu/session.js';
import type { SessionUser } from '../kitsu/types.js';
import { describeEnd, describeUser, isoOrNull, localTime } from '../output/session-text.js';
import { escapeJsonForTerminal, sanitizeForTerminal } from '../output/sanitize.js';
import { writeResult } from '../output/sink.js';
import { renderStaticTable } from '../output/static-table.js';

export function plan(ctx: PlanContext, _args: string[], _options: WhoamiOptions): null {
  if (ctx.globals.format === 'csv') throw new UsageError('whoami prints a table or JSON, not CSV', 'use --json');
  return null;
}

/** What whoami shows, confirmed by the server or only saved. */
interface Shown {
  profileName: string;
  source: 'profile' | 'environment';
  root: string;
  apiUrl: string;
  eventUrl: string;
  socketPath: string;
  serverVersion: string | null;
  user: SessionUser | null;
  bot: boolean;
  accessEnd: number | null;
  sessionEnd: number | null;
  /** Null when the server confirmed the session; else why it could not. */
  unconfirmed: { status: 'refused' | 'unreachable' | 'server error' | 'not allowed'; error: CliError } | null;
}

export async function run(ctx: Context): Promise<void> {
  // No login at all is the one failure with nothing to show: it throws "not logged in" here.
  const login = await resolveLogin(ctx);
  let shown: Shown;
  try {
    shown = await confirmed(ctx);
  } catch (error) {
    const status = statusOf(error);
    if (ctx.signal.aborted || status === null) throw error;
    shown = saved(login, { status, error: error as CliError });
  }
  await print(ctx, shown);
  if (shown.unconfirmed) throw shown.unconfirmed.error;
}

async function confirmed(ctx: Context): Promise<Shown> {
  const session = await openSession(ctx);
  try {
    const answer = await session.http.get<{ user?: unknown }>('auth/authenticated');
    return {
      profileName: session.profileName,
      source: session.source,
      root: session.root,
      apiUrl: session.apiUrl,
      eventUrl: session.eventUrl,
      socketPath: session.socketPath,
      serverVersion: session.serverVersion,
      user: userFrom(answer.user),
      bot: session.isBot,
      accessEnd: session.accessExpiresAt(),
      sessionEnd: session.sessionEndsAt(),
      unconfirmed: null,
    };
  } finally {
    await session.close();
  }
}

/** Which failures still leave a saved login worth showing, and how to name them. */
function statusOf(error: unknown): NonNullable<Shown['unconfirmed']>['status'] | null {
  if (error instanceof AuthError) return 'refused';
  if (error instanceof NetworkError) return 'unreachable';
  if (error instanceof PermissionError) return 'not allowed';
  if (error instanceof ServerError) return 'server error';
  return null;
}

function saved(login: ResolvedLogin, unconfirmed: NonNullable<Shown['unconfirmed']>): Shown {
  return {
    profileName: login.profileName,
    source: login.source,
    root: login.root,
    apiUrl: login.apiUrl,
    eventUrl: login.eventUrl,
    socketPath: login.socketPath,
    serverVersion: login.savedServer?.version ?? null,
    user: login.user,
    bot: login.bot,
    accessEnd: expiresAt(login.accessToken),
    sessionEnd: sessionEnd({ bot: login.bot, accessToken: login.accessToken, refreshToken: login.refreshToken }),
    unconfirmed,
  };
}

const STATUS_TEXT: Record<NonNullable<Shown['unconfirmed']>['status'], string> = {
  refused: 'refused by the server',
  unreachable: 'not checked: the host cannot be reached',
  'not allowed': 'refused by the server: not allowed',
  'server error': 'not checked: the server failed',
};

async function print(ctx: Context, shown: Shown): Promise<void> {
  const now = ctx.clock.now();
  const { accessEnd, sessionEnd: end, bot } = shown;
  const format = ctx.globals.format;
  if (format === 'ndjson' || format === 'json') {
    const record = {
      profile: shown.profileName,
      source: shown.source,
      host: shown.root,
      api_url: shown.apiUrl,
      event_url: shown.eventUrl,
      socket_path: shown.socketPath,
      server_version: shown.serverVersion,
      user: shown.user,
      bot,
      access_expires_at: isoOrNull(accessEnd),
      session_ends_at: isoOrNull(end),
      // "ok": the server confirmed all of the above; otherwise it is what was saved.
      status: shown.unconfirmed?.status ?? 'ok',
    };
    await writeResult(ctx.stdout, ctx.signal, `${escapeJsonForTerminal(JSON.stringify(record))}\n`);
    return;
  }
  const clean = sanitizeForTerminal;
  const renews = !bot && shown.source === 'profile' && end !== accessEnd;
  let ends = end === null ? `never ends${bot ? ' (bot token)' : ''}` : `ends ${describeEnd(end, now, bot)}`;
  if (renews && accessEnd !== null)
    ends += ` (renewed automatically until then; access token until ${localTime(accessEnd)})`;
  else if (!bot && end !== null) ends += ' (cannot be renewed)';
  const { user } = shown;
  const lines = [
    ['user', user ? clean(describeUser(user)) : 'unknown (the token alone does not say)'],
    ['role', user ? clean(user.role) + (bot ? ' (bot)' : '') : bot ? 'bot' : 'unknown'],
    ['host', shown.root],
    ['events', `${shown.eventUrl}${shown.socketPath}`],
    ['profile', shown.source === 'environment' ? `${shown.profileName} (KITSU_TOKEN)` : shown.profileName],
    ['server', shown.serverVersion === null ? 'unknown' : `Zou ${clean(shown.serverVersion)}`],
    ['session', ends],
    ...(shown.unconfirmed ? [['status', STATUS_TEXT[shown.unconfirmed.status]]] : []),
  ];
  await writeResult(ctx.stdout, ctx.signal, renderStaticTable(lines));
}
