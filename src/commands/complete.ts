/**
 * `kitsu-tail __complete KIND [PREFIX]` (hidden): the words a completion script offers for a
 * value only this machine's files know. One a line on stdout, nothing on stderr, exit 0 even
 * when there is nothing to offer. Reads local files only, never the network (a TAB must not
 * wait on a server), and loads nothing heavy (test/e2e/startup.test.ts):
 * - `profiles`: the saved profiles' names (config.json);
 * - `events`: event names for patterns and --exclude, the ones Zou emits and those the
 *   chosen profile's server last listed (a leading `!` is kept);
 * - `projects`: the chosen profile's projects, as a command last saw them.
 * The profile is --profile, else KITSU_PROFILE, else the default one, as for other commands.
 */
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, PlanContext } from '../context.js';
import { withObjectPatterns, ZOU_EVENT_NAMES } from '../core/event-names.js';
import { UsageError } from '../errors.js';
import type { CompleteOptions } from '../options.js';
import { writeResult } from '../output/sink.js';
import { readCompletionNames } from '../store/completion-cache.js';
import { CONFIG_FILE_NAME, configDir } from '../store/paths.js';

export const COMPLETION_KINDS = ['profiles', 'events', 'projects'] as const;
export type CompletionKind = (typeof COMPLETION_KINDS)[number];

export interface CompletePlan {
  kind: CompletionKind;
  prefix: string;
}

export function plan(_ctx: PlanContext, args: string[], _options: CompleteOptions): CompletePlan {
  const kind = args[0] as CompletionKind;
  if (!COMPLETION_KINDS.includes(kind))
    throw new UsageError(`__complete has no kind '${args[0] ?? ''}'`, `use one of: ${COMPLETION_KINDS.join(', ')}`);
  return { kind, prefix: args[1] ?? '' };
}

export async function run(ctx: Context, plan: CompletePlan): Promise<void> {
  const words = candidates(ctx, plan);
  const text = words.map((word) => `${word}\n`).join('');
  if (text) await writeResult(ctx.stdout, ctx.signal, text);
}

interface SavedProfiles {
  defaultProfile?: string;
  profiles: Record<string, { apiUrl?: string }>;
}

/** config.json as far as completion needs it; nothing when it is missing, damaged or a link. */
function savedProfiles(env: Record<string, string | undefined>): SavedProfiles {
  let fd: number | undefined;
  try {
    fd = openSync(join(configDir(env), CONFIG_FILE_NAME), constants.O_RDONLY | constants.O_NOFOLLOW);
    const data = JSON.parse(readFileSync(fd, 'utf8')) as Partial<SavedProfiles>;
    const profiles = data.profiles && typeof data.profiles === 'object' ? data.profiles : {};
    return { defaultProfile: typeof data.defaultProfile === 'string' ? data.defaultProfile : undefined, profiles };
  } catch {
    return { profiles: {} };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function candidates(ctx: Context, { kind, prefix }: CompletePlan): string[] {
  const saved = savedProfiles(ctx.env);
  if (kind === 'profiles')
    return Object.keys(saved.profiles)
      .filter((name) => name.startsWith(prefix))
      .sort();

  const profileName = ctx.globals.profile ?? ctx.env.KITSU_PROFILE ?? saved.defaultProfile ?? 'default';
  const apiUrl = Object.hasOwn(saved.profiles, profileName) ? saved.profiles[profileName]?.apiUrl : undefined;
  const known = typeof apiUrl === 'string' ? readCompletionNames(configDir(ctx.env), profileName, apiUrl) : {};
  if (kind === 'projects') {
    // Names are typed as people see them: match regardless of case.
    const lower = prefix.toLowerCase();
    return (known.projects ?? []).filter((name) => name.toLowerCase().startsWith(lower));
  }
  const negated = prefix.startsWith('!');
  const body = negated ? prefix.slice(1) : prefix;
  return withObjectPatterns([...ZOU_EVENT_NAMES, ...(known.events ?? [])])
    .filter((name) => name.startsWith(body))
    .map((name) => (negated ? `!${name}` : name));
}
