/**
 * The `logs` flags, checked and parsed into a LogsPlan. Pure: every usage error (exit 2) is
 * found here, before anything connects; test/unit/plans.test.ts drives it from argv.
 */
import type { PlanContext } from '../context.js';
import { parsePatterns, withExcludes, type EventFilter } from '../core/patterns.js';
import { localTimeText } from '../output/time-text.js';
import { parseTime } from '../core/time.js';
import { UsageError } from '../errors.js';
import type { LogsOptions } from '../options.js';

export const DEFAULT_LIMIT = 100;

/** The options of `logs`, checked and parsed; nothing here has touched the network. */
export interface LogsPlan {
  filter: EventFilter;
  since?: Date;
  until?: Date;
  onlyFiles: boolean;
  projects: string[];
  people: string[];
  /** Null: every event in range. */
  limit: number | null;
  reverse: boolean;
  follow: boolean;
  checkpoint?: string;
  output?: string;
  logins: boolean;
}

/** A time flag and its synonym (--since/--after, --until/--before): at most one of them. */
function oneOf(a: [string, string | undefined], b: [string, string | undefined]): [string, string] | undefined {
  const [aName, x] = a;
  const [bName, y] = b;
  if (x !== undefined && y !== undefined) throw new UsageError(`--${aName} and --${bName} mean the same; give one of them`);
  if (x !== undefined) return [`--${aName}`, x];
  if (y !== undefined) return [`--${bName}`, y];
  return undefined;
}

export function planLogs(ctx: PlanContext, args: string[], o: LogsOptions): LogsPlan {
  const now = ctx.clock.now();
  const sinceText = oneOf(['since', o.since], ['after', o.after]);
  const untilText = oneOf(['until', o.until], ['before', o.before]);
  const since = sinceText ? parseTime(sinceText[1], now, sinceText[0]) : undefined;
  const until = untilText ? parseTime(untilText[1], now, untilText[0]) : undefined;
  if (since && until && Math.floor(until.getTime() / 1000) <= Math.floor(since.getTime() / 1000)) {
    const said = ([flag, text]: [string, string], at: Date) => {
      const local = localTimeText(at.getTime(), now);
      return local === text.trim() ? `${flag} ${text}` : `${flag} ${text}, ${local},`;
    };
    throw new UsageError(
      `${said(untilText!, until)} is not after ${said(sinceText!, since)}`.replace(/,$/, ''),
      'the range runs from --since up to --until; durations count back from now, so the larger one is the earlier',
    );
  }

  const logins = o.logins === true;
  const onlyFiles = o.onlyFiles === true;
  const projects = o.project ?? [];
  const patterns = withExcludes(args, o.exclude);
  const filter = parsePatterns(patterns);
  if (logins && patterns.length > 0) throw new UsageError('event patterns do not apply to --logins', 'drop the patterns, or --logins');
  if (logins && onlyFiles) throw new UsageError('--only-files does not apply to --logins');
  if (logins && projects.length > 0) throw new UsageError('--project does not apply to --logins (logins belong to no project)');

  const all = o.all === true;
  const limitGiven = o.limit;
  if (all && limitGiven !== undefined) throw new UsageError('--limit and --all contradict each other; give one of them');
  const checkpoint = o.checkpoint;
  const follow = o.follow === true;
  const reverse = o.reverse === true;
  if (checkpoint !== undefined) {
    if (limitGiven !== undefined) throw new UsageError('--checkpoint exports every new event; it takes no --limit');
    if (reverse) throw new UsageError('--checkpoint exports oldest first; it takes no --reverse');
    if (follow) throw new UsageError('--checkpoint ends when it has caught up; run it from cron instead of with --follow');
  }
  if (follow && reverse) throw new UsageError('--follow prints oldest first, then live events; it takes no --reverse');
  // A past end would leave nothing to follow, and the follow engine would go on past it.
  if (follow && until && until.getTime() <= now) {
    throw new UsageError(
      `${untilText![0]} ${untilText![1]} is already past, so --follow would have nothing to follow`,
      'drop --follow to print that range, or give a later time such as 18:00 or +2h; a bare 2h means two hours ago',
    );
  }
  if (follow && logins) throw new UsageError('--follow applies to the event log, not to --logins');
  const output = o.output;
  const format = ctx.globals.format;
  if (checkpoint !== undefined && output !== undefined && format !== undefined && format !== 'ndjson') {
    throw new UsageError(`--checkpoint with --output appends NDJSON; --format ${format} cannot be appended exactly once`);
  }

  // A range (--since) means every event in it; without one, the newest few, like `tail`.
  const limit = all || checkpoint !== undefined ? null : (limitGiven ?? (since ? null : DEFAULT_LIMIT));
  return {
    filter,
    since,
    until,
    onlyFiles,
    projects,
    people: o.person ?? [],
    limit,
    reverse,
    follow,
    checkpoint,
    output,
    logins,
  };
}
