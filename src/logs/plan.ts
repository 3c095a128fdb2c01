/**
 * The `logs` flags, checked and parsed into a LogsPlan. Pure: every usage error (exit 2) is
 * found here, before anything connects; test/unit/plans.test.ts drives it from argv.
 */
import type { PlanContext } from '../context.js';
import { parsePatterns, withExcludes, type EventFilter } from '../core/patterns.js';
import { planPeople, type PersonPlan } from '../core/person-filter.js';
import { localTimeText } from '../output/time-text.js';
import { parseTime } from '../core/time.js';
import { UsageError } from '../errors.js';
import type { LogsOptions } from '../options.js';
import { planShape, type ShapePlan } from '../output/shape.js';
import { planSearch, type SearchPlan } from '../search/plan.js';
import { planSummary, type SummaryPlan } from '../search/summary.js';

export const DEFAULT_LIMIT = 100;
/** What --stats and --count-by cover without a range: the last day. */
const SUMMARY_DEFAULT_MS = 24 * 3_600_000;

/** The options of `logs`, checked and parsed; nothing here has touched the network. */
export interface LogsPlan {
  filter: EventFilter;
  since?: Date;
  until?: Date;
  onlyFiles: boolean;
  projects: string[];
  /** --by: who acted (with --logins: who logged in); --about: who an event is about. */
  people: PersonPlan;
  /** Null: every event in range. */
  limit: number | null;
  reverse: boolean;
  follow: boolean;
  /** With --follow: give up after this many failed tries in a row (exit 5). */
  maxReconnects?: number;
  checkpoint?: string;
  output?: string;
  logins: boolean;
  /** --names: a `names` object on each JSON record, names.* columns in CSV. */
  names: boolean;
  /** --where, --entity, --task-type, --status: undefined when none was given. */
  search?: SearchPlan;
  /** --stats or --count-by: a summary instead of the records. */
  summary?: SummaryPlan;
  /** --fields, --no-headers, --utc. */
  shape: ShapePlan;
}

/** A time flag and its synonym (--since/--after, --until/--before): at most one of them. */
function oneOf(a: [string, string | undefined], b: [string, string | undefined]): [string, string] | undefined {
  const [aName, x] = a;
  const [bName, y] = b;
  if (x !== undefined && y !== undefined)
    throw new UsageError(`--${aName} and --${bName} mean the same; give one of them`);
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
  if (logins && patterns.length > 0)
    throw new UsageError('event patterns do not apply to --logins', 'drop the patterns, or --logins');
  if (logins && onlyFiles) throw new UsageError('--only-files does not apply to --logins');
  if (logins && projects.length > 0)
    throw new UsageError('--project does not apply to --logins (logins belong to no project)');

  const all = o.all === true;
  const limitGiven = o.limit;
  if (all && limitGiven !== undefined)
    throw new UsageError('--limit and --all contradict each other; give one of them');
  const checkpoint = o.checkpoint;
  const follow = o.follow === true;
  const reverse = o.reverse === true;
  if (checkpoint !== undefined) {
    if (limitGiven !== undefined) throw new UsageError('--checkpoint exports every new event; it takes no --limit');
    if (reverse) throw new UsageError('--checkpoint exports oldest first; it takes no --reverse');
    if (follow)
      throw new UsageError('--checkpoint ends when it has caught up; run it from cron instead of with --follow');
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
  const people = planPeople('logs', { by: o.by, about: o.about, person: o.person });
  if (follow && o.person?.length) {
    // It meant who acted in the history and who an event is about once live: neither new flag alone.
    throw new UsageError(
      '--person with --follow is gone: it meant who acted in the history but who an event is about once live',
      'use --about PERSON to follow who events are about; --by PERSON, who acted, works without --follow',
    );
  }
  if (follow && people.by.length > 0) {
    throw new UsageError(
      '--by cannot follow live events: Kitsu never says who acted in a live event',
      'use --about PERSON for who an event is about, or drop --follow to search the log by who acted',
    );
  }
  if (logins && people.about.length > 0)
    throw new UsageError('--about applies to events, not to --logins', 'use --by PERSON for who logged in');
  if (o.maxReconnects !== undefined && !follow)
    throw new UsageError('--max-reconnects applies to --follow', 'add --follow, or drop --max-reconnects');
  const output = o.output;
  const format = ctx.globals.format;
  // A JSON array cannot grow (its closing bracket would move with every run), nor a table.
  if (checkpoint !== undefined && output !== undefined && (format === 'json' || format === 'table')) {
    throw new UsageError(
      `--checkpoint with --output appends run after run; --format ${format} cannot be appended exactly once`,
      'give --format ndjson, the default, or --format csv',
    );
  }
  // The table is laid out for the terminal it is shown on (its width, colour, local time).
  if (output !== undefined && format === 'table') {
    throw new UsageError(
      '--format table is laid out for a terminal, not for a file that programs read',
      'leave out --format for NDJSON, or give --format csv for a spreadsheet',
    );
  }

  const names = o.names === true;
  if (names && logins) throw new UsageError('--names applies to events, not to --logins');
  if (names && checkpoint !== undefined && output !== undefined) {
    throw new UsageError(
      '--names with --checkpoint --output: an exact export keeps the records as the log has them',
      'drop --names, and add names when you read the file',
    );
  }

  const search = planSearch({ where: o.where, entity: o.entity, taskType: o.taskType, status: o.status });
  if (logins && search)
    throw new UsageError('--where, --entity, --task-type and --status apply to the event log, not to --logins');
  const summary = planSummary(
    { stats: o.stats === true, countBy: o.countBy, top: o.top },
    { follow, checkpoint, logins },
  );
  if (logins && (o.fields !== undefined || o.utc === true))
    throw new UsageError('--fields and --utc apply to the event log, not to --logins');
  const shape = planShape({ fields: o.fields, headers: o.headers, utc: o.utc === true }, format);
  if (checkpoint !== undefined && output !== undefined && shape.fields?.some((field) => field.root === 'names')) {
    throw new UsageError(
      '--fields names.* with --checkpoint --output: an exact export keeps the records as the log has them',
      'drop the names.* fields, and add names when you read the file',
    );
  }
  // A summary with no range covers the last day: the newest 100 events would say little.
  const rangeStart = summary && !since && !all && limitGiven === undefined ? new Date(now - SUMMARY_DEFAULT_MS) : since;

  // A range (--since) means every event in it; without one, the newest few, like `tail`.
  const limit = all || checkpoint !== undefined ? null : (limitGiven ?? (rangeStart ? null : DEFAULT_LIMIT));
  return {
    search,
    summary,
    shape,
    filter,
    since: rangeStart,
    until,
    onlyFiles,
    projects,
    people,
    limit,
    reverse,
    follow,
    ...(o.maxReconnects !== undefined ? { maxReconnects: o.maxReconnects } : {}),
    checkpoint,
    output,
    logins,
    names,
  };
}
