/**
 * `kitsu-tail whoami`: who the server says you are, where, with which profile, and when the
 * session ends. `--json` (or any JSON --format) prints one object for scripts.
 */
import type { Context, PlanContext } from '../context.js';
import type { WhoamiOptions } from '../options.js';
import { UsageError } from '../errors.js';
import { userFrom } from '../kitsu/auth.js';
import { openSession } from '../kitsu/session.js';
import { describeEnd, describeUser, isoOrNull, localTime } from '../output/session-text.js';
import { escapeJsonForTerminal, sanitizeForTerminal } from '../output/sanitize.js';
import { writeResult } from '../output/sink.js';
import { renderStaticTable } from '../output/static-table.js';

export function plan(ctx: PlanContext, _args: string[], _options: WhoamiOptions): null {
  if (ctx.globals.format === 'csv') throw new UsageError('whoami prints a table or JSON, not CSV', 'use --json');
  return null;
}

export async function run(ctx: Context): Promise<void> {
  const session = await openSession(ctx);
  try {
    const answer = await session.http.get<{ user?: unknown }>('auth/authenticated');
    const user = userFrom(answer.user);
    const now = ctx.clock.now();
    const accessEnd = session.accessExpiresAt();
    const sessionEnd = session.sessionEndsAt();
    const format = ctx.globals.format;
    if (format === 'ndjson' || format === 'json') {
      const record = {
        profile: session.profileName,
        source: session.source,
        host: session.root,
        api_url: session.apiUrl,
        event_url: session.eventUrl,
        socket_path: session.socketPath,
        server_version: session.serverVersion,
        user,
        bot: session.isBot,
        access_expires_at: isoOrNull(accessEnd),
        session_ends_at: isoOrNull(sessionEnd),
      };
      await writeResult(ctx.stdout, ctx.signal, `${escapeJsonForTerminal(JSON.stringify(record))}\n`);
      return;
    }
    const clean = sanitizeForTerminal;
    const renews = !session.isBot && session.source === 'profile' && sessionEnd !== accessEnd;
    let ends =
      sessionEnd === null
        ? `never ends${session.isBot ? ' (bot token)' : ''}`
        : `ends ${describeEnd(sessionEnd, now, session.isBot)}`;
    if (renews && accessEnd !== null)
      ends += ` (renewed automatically until then; access token until ${localTime(accessEnd)})`;
    else if (!session.isBot && sessionEnd !== null) ends += ' (cannot be renewed)';
    const lines = [
      ['user', clean(describeUser(user))],
      ['role', clean(user.role) + (session.isBot ? ' (bot)' : '')],
      ['host', session.root],
      ['events', `${session.eventUrl}${session.socketPath}`],
      ['profile', session.source === 'environment' ? `${session.profileName} (KITSU_TOKEN)` : session.profileName],
      ['server', `Zou ${clean(session.serverVersion)}`],
      ['session', ends],
    ];
    await writeResult(ctx.stdout, ctx.signal, renderStaticTable(lines));
  } finally {
    await session.close();
  }
}
