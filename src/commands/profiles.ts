/**
 * `kitsu-tail profiles` lists the saved logins (the default one starred), `profiles use NAME`
 * makes one the default, `profiles remove NAME` forgets one (its tokens stay valid on the
 * server until they end; `logout --profile NAME` revokes them first).
 */
import type { CommandModule, Context, PlanContext } from '../context.js';
import type { ProfilesOptions, ProfilesRemoveOptions, ProfilesUseOptions } from '../options.js';
import { UsageError } from '../errors.js';
import { sessionEnd } from '../kitsu/session-info.js';
import { describeEnd, isoOrNull } from '../output/session-text.js';
import { escapeJsonForTerminal, sanitizeForTerminal } from '../output/sanitize.js';
import { reporterFor } from '../output/reporter.js';
import { writeResult } from '../output/sink.js';
import { renderStaticTable } from '../output/static-table.js';
import { checkProfileName, forgetProfile, openStore, type StoreData } from '../store/profiles.js';

/** `profiles`: the saved logins, as a table or JSON. */
export const list: CommandModule<ProfilesOptions, null> = {
  plan: (ctx) => {
    if (ctx.globals.format === 'csv')
      throw new UsageError('profiles prints a table or JSON', 'use --format table, json or ndjson');
    return null;
  },
  run: (ctx) => listProfiles(ctx),
};

/** `profiles use NAME` and `profiles remove NAME`: the name, checked. */
interface NamePlan {
  name: string;
}

function planName(_ctx: PlanContext, args: string[]): NamePlan {
  return { name: checkProfileName(args[0] ?? '') };
}

export const use: CommandModule<ProfilesUseOptions, NamePlan> = { plan: planName, run: useProfile };
export const remove: CommandModule<ProfilesRemoveOptions, NamePlan> = { plan: planName, run: removeProfile };

async function listProfiles(ctx: Context): Promise<void> {
  const data = (await openStore(ctx.env)).read();
  const names = Object.keys(data.profiles).sort();
  const format = ctx.globals.format;
  const rows = names.map((name) => {
    const p = data.profiles[name]!;
    return {
      name,
      default: data.defaultProfile === name,
      host: p.host,
      event_url: `${p.eventUrl}${p.socketPath}`,
      user: p.user,
      bot: p.bot,
      server_version: p.serverVersion,
      logged_in_at: p.loggedInAt,
      session_ends_at: isoOrNull(sessionEnd(p)),
    };
  });
  if (format === 'ndjson') {
    await writeResult(
      ctx.stdout,
      ctx.signal,
      rows.map((row) => `${escapeJsonForTerminal(JSON.stringify(row))}\n`).join(''),
    );
    return;
  }
  if (format === 'json') {
    await writeResult(ctx.stdout, ctx.signal, `${escapeJsonForTerminal(JSON.stringify(rows, null, 2))}\n`);
    return;
  }
  if (rows.length === 0) {
    reporterFor(ctx).info('No saved logins. Run `kitsu-tail login` to add one.');
    return;
  }
  const now = ctx.clock.now();
  const table = rows.map((row) => [
    row.default ? '*' : ' ',
    row.name,
    row.host,
    sanitizeForTerminal(
      `${row.user?.email || row.user?.full_name || '?'} (${row.user?.role ?? '?'}${row.bot ? ', bot' : ''})`,
    ),
    describeEnd(sessionEnd(data.profiles[row.name]!), now, row.bot),
  ]);
  await writeResult(
    ctx.stdout,
    ctx.signal,
    renderStaticTable(table, { head: ['', 'PROFILE', 'HOST', 'USER', 'SESSION ENDS'] }),
  );
}

function mustExist(data: StoreData, name: string): void {
  if (data.profiles[name]) return;
  const saved = Object.keys(data.profiles).sort();
  throw new UsageError(
    `there is no saved login named "${name}"`,
    saved.length ? `saved: ${saved.join(', ')}` : 'run `kitsu-tail login` first',
  );
}

async function useProfile(ctx: Context, { name }: NamePlan): Promise<void> {
  await (
    await openStore(ctx.env)
  ).update((data) => {
    mustExist(data, name);
    data.defaultProfile = name;
  });
  reporterFor(ctx).info(`Profile "${name}" is now the default.`);
}

async function removeProfile(ctx: Context, { name }: NamePlan): Promise<void> {
  const reporter = reporterFor(ctx);
  const newDefault = await (
    await openStore(ctx.env)
  ).update((data) => {
    mustExist(data, name);
    return forgetProfile(data, name);
  });
  reporter.info(`Forgot profile "${name}". Its tokens stay valid on the server until they end.`);
  if (newDefault) reporter.info(`Profile "${newDefault}" is now the default.`);
}
