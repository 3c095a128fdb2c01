/**
 * `kitsu-tail logs`: search, page and export the stored event log (or, with --logins, the
 * login log), oldest first like `tail`. The reading is in src/kitsu/event-log.ts and
 * login-log.ts, the exactly-once export in src/export/; this file turns options into a
 * query and records into output.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { capabilitiesOf } from '../core/capabilities.js';
import { parsePatterns, type EventFilter } from '../core/patterns.js';
import type { EventRecord } from '../core/record.js';
import { parseTime, utcTimeZone } from '../core/time.js';
import type { Context, OutStream } from '../context.js';
import { PermissionError, UsageError } from '../errors.js';
import { describeQuery } from '../core/checkpoint.js';
import { runCheckpointedExport, writeAll } from '../export/exactly-once.js';
import { loadDirectory, type Directory } from '../kitsu/directory.js';
import { readLogNewestFirst, readLogWindows, type LogQuery } from '../kitsu/event-log.js';
import { fromSecond, secondOf, toSecond, type LogRow, type LogWindowBatch, type ReadOptions } from '../kitsu/log-pager.js';
import { readLoginLogNewestFirst, readLoginLogWindows, type LoginLogQuery } from '../kitsu/login-log.js';
import { openNameResolver, recordNamer, type NameResolver } from '../kitsu/names.js';
import { openSession } from '../kitsu/session.js';
import type { Session } from '../kitsu/types.js';
import { createProgress } from '../output/progress.js';
import { reporterFor, type Reporter } from '../output/reporter.js';
import type { RecordWriter } from '../output/types.js';
import { createLoginWriter, createRecordWriter, resolveFormat } from '../output/writer.js';
import { parseShape, shapeNeedsNames, type OutputShape } from '../output/shape.js';
import { localZone, spansDays } from '../output/clock-text.js';
import { needsResolver, planSearch, type SearchPlan } from '../search/plan.js';
import { narrowSource, openSearch, serverProjects, type RecordSearch } from '../search/open.js';
import { planSummary, summaryWriter, type SummaryPlan } from '../search/summary.js';

const DEFAULT_LIMIT = 100;

/** The options of `logs`, checked and parsed; nothing here has touched the network. */
interface LogsPlan {
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
  /** --where, --entity, --task-type, --status: undefined when none was given. */
  search?: SearchPlan;
  /** --stats or --count-by: a summary instead of the records. */
  summary?: SummaryPlan;
  shape: OutputShape;
  /** --names: a `names` object on each JSON record, names.* columns in CSV. */
  names: boolean;
}

function parseOptions(ctx: Context, args: string[], o: Record<string, unknown>): LogsPlan {
  const str = (key: string): string | undefined => (typeof o[key] === 'string' ? (o[key] as string) : undefined);
  const list = (key: string): string[] => (Array.isArray(o[key]) ? (o[key] as string[]) : []);
  const flag = (key: string): boolean => o[key] === true;
  const now = ctx.clock.now();

  const oneOf = (a: string, b: string): [string, string] | undefined => {
    const x = str(a);
    const y = str(b);
    if (x !== undefined && y !== undefined) throw new UsageError(`--${a} and --${b} mean the same; give one of them`);
    if (x !== undefined) return [`--${a}`, x];
    if (y !== undefined) return [`--${b}`, y];
    return undefined;
  };
  const sinceText = oneOf('since', 'after');
  const untilText = oneOf('until', 'before');
  const since = sinceText ? parseTime(sinceText[1], now, sinceText[0]) : undefined;
  const until = untilText ? parseTime(untilText[1], now, untilText[0]) : undefined;
  if (since && until && Math.floor(until.getTime() / 1000) <= Math.floor(since.getTime() / 1000)) {
    throw new UsageError(
      `${untilText![0]} (${until.toISOString()}) is not after ${sinceText![0]} (${since.toISOString()})`,
      'the range runs from --since up to --until',
    );
  }

  const logins = flag('logins');
  const filter = parsePatterns(args);
  if (logins && args.length > 0) throw new UsageError('event patterns do not apply to --logins', 'drop the patterns, or --logins');
  if (logins && flag('onlyFiles')) throw new UsageError('--only-files does not apply to --logins');
  if (logins && list('project').length > 0) throw new UsageError('--project does not apply to --logins (logins belong to no project)');

  const all = flag('all');
  const limitGiven = typeof o.limit === 'number' ? (o.limit as number) : undefined;
  if (all && limitGiven !== undefined) throw new UsageError('--limit and --all contradict each other; give one of them');
  const checkpoint = str('checkpoint');
  const follow = flag('follow');
  const reverse = flag('reverse');
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
      'drop --follow to print that range, or give a later time such as 18:00 (durations such as 2h mean ago)',
    );
  }
  if (follow && logins) throw new UsageError('--follow applies to the event log, not to --logins');
  const output = str('output');
  const format = ctx.globals.format;
  if (checkpoint !== undefined && output !== undefined && format !== undefined && format !== 'ndjson') {
    throw new UsageError(`--checkpoint with --output appends NDJSON; --format ${format} cannot be appended exactly once`);
  }

  if (flag('names') && logins) throw new UsageError('--names applies to events, not to --logins');
  if (flag('names') && checkpoint !== undefined && output !== undefined) {
    throw new UsageError('--names with --checkpoint --output: an exact export keeps the records as the log has them', 'drop --names, and add names when you read the file');
  }
  const search = planSearch({ where: list('where'), entity: list('entity'), taskType: list('taskType'), status: list('status') });
  if (logins && search) throw new UsageError('--where, --entity, --task-type and --status apply to the event log, not to --logins');
  const summary = planSummary(o, { follow, checkpoint, logins });
  // A summary with no range covers the last day: the newest 100 events would say little.
  const rangeStart = summary && !since && !all && limitGiven === undefined ? new Date(now - 24 * 3_600_000) : since;
  if (logins && (o.fields !== undefined || o.utc === true)) throw new UsageError('--fields and --utc apply to the event log, not to --logins');
  const shape = parseShape(
    { fields: str('fields'), headers: o.headers as boolean | undefined, utc: flag('utc') },
    format ?? resolveFormat(ctx),
    rangeStart === undefined || spansDays(rangeStart.getTime(), until?.getTime() ?? now, flag('utc') ? utcTimeZone : localZone(ctx.env).zone),
    ctx.env,
  );

  // A range (--since) means every event in it; without one, the newest few, like `tail`.
  const limit = all || checkpoint !== undefined ? null : (limitGiven ?? (rangeStart ? null : DEFAULT_LIMIT));
  return {
    search,
    summary,
    shape,
    filter,
    since: rangeStart,
    until,
    onlyFiles: flag('onlyFiles'),
    projects: list('project'),
    people: list('person'),
    limit,
    reverse,
    follow,
    checkpoint,
    output,
    logins,
    names: flag('names'),
  };
}

export default async function logs(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const plan = parseOptions(ctx, args, options);
  const reporter = reporterFor(ctx);
  const session = await openSession(ctx);
  try {
    if (plan.logins) await runLogins(ctx, session, plan, reporter);
    else await runEvents(ctx, session, plan, reporter);
  } catch (error) {
    // `| head` or Ctrl-C: whatever failed on the way is the consequence, not the cause.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (error instanceof PermissionError) throw await permissionError(session, plan, ctx.signal);
    throw error;
  } finally {
    await session.close();
  }
}

/**
 * The account's role: from the session, else (a bot token from the environment) from the
 * server; undefined when it cannot be told.
 */
async function roleOf(session: Session, signal: AbortSignal): Promise<string | undefined> {
  if (session.user) return session.user.role;
  try {
    const me = await session.http.get<{ user?: { role?: unknown } }>('auth/authenticated', undefined, { signal });
    return typeof me?.user?.role === 'string' ? me.user.role : undefined;
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
}

async function permissionError(session: Session, plan: LogsPlan, signal: AbortSignal): Promise<PermissionError> {
  const caps = capabilitiesOf(session.serverVersion);
  const role = await roleOf(session, signal);
  const account = session.user ? `as ${session.user.email || session.user.full_name}` : 'with a bot token';
  const who = role ? `you are logged in ${account}, role ${role}` : undefined;
  if (plan.logins) {
    return new PermissionError(
      caps.loginLogsAdminOnly
        ? 'reading the login log needs an admin account (or a bot token with that role)'
        : 'reading the login log needs a manager or admin account (or a bot token with that role)',
      who,
    );
  }
  if (plan.projects.length > 0 && caps.managerScoping && role === 'manager') {
    return new PermissionError(
      'a manager can read the events of their own projects only, and --project names one they are not a member of',
      'drop that --project, or ask an admin to add you to its team',
    );
  }
  return new PermissionError('reading the event log needs a manager or admin account (or a bot token with that role)', who);
}

/** One of the two logs, as the rest of this file needs it. */
interface LogSource<R extends LogRow> {
  log: 'events' | 'logins';
  /** "event log" or "login log". */
  label: string;
  /** The filters, canonical, for the checkpoint. */
  description: string;
  since?: Date;
  until?: Date;
  windows(from: number | undefined, to: number | undefined, options: ReadOptions): AsyncIterable<LogWindowBatch<R>>;
  newestFirst(options: ReadOptions): AsyncIterable<R>;
  writer(stream: OutStream | undefined): RecordWriter<R>;
}

/** Whether records go to stdout as a table (then names are worth loading). */
function tableOnStdout(ctx: Context, plan: LogsPlan): boolean {
  return plan.output === undefined && resolveFormat(ctx) === 'table';
}

async function runEvents(ctx: Context, session: Session, plan: LogsPlan, reporter: Reporter): Promise<void> {
  const caps = capabilitiesOf(session.serverVersion);
  if (caps.managerScoping && (await roleOf(session, ctx.signal)) === 'manager') {
    reporter.info('as a manager you see only the events of your own projects (events with no project are not shown)');
  }
  const directory =
    tableOnStdout(ctx, plan) || plan.summary !== undefined || plan.projects.length > 0 || plan.people.length > 0
      ? await loadDirectory(session, { signal: ctx.signal })
      : undefined;
  const query: LogQuery = {
    since: plan.since,
    until: plan.until,
    filter: plan.filter,
    onlyFiles: plan.onlyFiles,
    projectIds: plan.projects.length > 0 ? await directory!.resolveProjects(plan.projects) : undefined,
    personIds: plan.people.length > 0 ? await directory!.resolvePeople(plan.people) : undefined,
  };
  // One resolver for the run, shared by the table and --names, the search and the summary.
  const resolver =
    tableOnStdout(ctx, plan) || plan.names || plan.summary || (plan.search && needsResolver(plan.search)) || shapeNeedsNames(plan.shape)
      ? openNameResolver(ctx.env, session)
      : undefined;
  try {
    const search: RecordSearch | undefined = plan.search ? await openSearch(ctx, session, plan.search, query.projectIds, resolver) : undefined;
    try {
      await runSearchedEvents(ctx, session, plan, reporter, directory, query, search, resolver);
    } finally {
      await search?.close?.();
    }
  } finally {
    await resolver?.close();
  }
}

async function runSearchedEvents(
  ctx: Context,
  session: Session,
  plan: LogsPlan,
  reporter: Reporter,
  directory: Directory | undefined,
  query: LogQuery,
  search: RecordSearch | undefined,
  resolver: NameResolver | undefined,
): Promise<void> {
  const described = describeQuery({
    include: plan.filter.include,
    exclude: plan.filter.exclude,
    onlyFiles: plan.onlyFiles,
    projectIds: query.projectIds,
    personIds: query.personIds,
  });
  // The server narrows to the named entities' projects; the search does the rest.
  const serverQuery: LogQuery = { ...query, projectIds: serverProjects(query.projectIds, search) };
  const source: LogSource<EventRecord> = narrowSource(search, {
    log: 'events',
    label: 'event log',
    // Unchanged without a search, so that existing checkpoints still recognise their query.
    description: search ? `${described} ${search.describe()}` : described,
    since: query.since,
    until: query.until,
    windows: (from, to, options) => readLogWindows(session, { ...serverQuery, since: fromSecond(from), until: fromSecond(to) }, options),
    newestFirst: (options) => readLogNewestFirst(session, serverQuery, options),
    writer: (stream) =>
      plan.summary
        ? summaryWriter(ctx, plan.summary, { stream, names: directory, since: query.since, until: query.until, shape: plan.shape, resolver })
        : createRecordWriter(ctx, {
            stream,
            names: directory,
            shape: plan.shape,
            // --fields names.* reads the names as --names attaches them.
            ...(resolver ? { namer: recordNamer(resolver), attachNames: plan.names || shapeNeedsNames(plan.shape) } : {}),
          }),
  });
  if (!plan.follow) {
    await runLog(ctx, session, plan, source, reporter);
    return;
  }
  if (query.personIds) {
    reporter.warn(
      '--person with --follow: the history shows events by that person, but live events never say who acted, ' +
        'so from the live part on --person matches the person an event is about (data.person_id)',
    );
  }
  const seam = new SeamTracker();
  const startedAtMs = ctx.clock.now();
  await runLog(ctx, session, plan, source, reporter, {
    printed: (record) => seam.note(record),
    then: (print) => followAfterHistory(ctx, session, plan, serverQuery, seam, startedAtMs, search, print),
  });
}

async function runLogins(ctx: Context, session: Session, plan: LogsPlan, reporter: Reporter): Promise<void> {
  const directory = tableOnStdout(ctx, plan) || plan.people.length > 0 ? await loadDirectory(session, { signal: ctx.signal }) : undefined;
  const query: LoginLogQuery = {
    since: plan.since,
    until: plan.until,
    personIds: plan.people.length > 0 ? await directory!.resolvePeople(plan.people) : undefined,
  };
  await runLog(ctx, session, plan, {
    log: 'logins',
    label: 'login log',
    description: describeQuery({ personIds: query.personIds }),
    since: query.since,
    until: query.until,
    windows: (from, to, options) => readLoginLogWindows(session, { ...query, since: fromSecond(from), until: fromSecond(to) }, options),
    newestFirst: (options) => readLoginLogNewestFirst(session, query, options),
    writer: (stream) => createLoginWriter(ctx, { stream, names: directory }),
  }, reporter);
}

/** What --follow adds to the history: noting each printed record, then going on live. */
interface Continuation<R> {
  printed(record: R): void;
  then(print: (record: R) => Promise<void>): Promise<void>;
}

async function runLog<R extends LogRow>(
  ctx: Context,
  session: Session,
  plan: LogsPlan,
  source: LogSource<R>,
  reporter: Reporter,
  continuation?: Continuation<R>,
): Promise<void> {
  // A summary prints nothing until the end: the progress line is all a person sees meanwhile.
  const progress = createProgress(ctx, `reading the ${source.label}`, { recordsOnStdout: plan.output === undefined && !plan.summary });
  let pages = 0;
  let events = 0;
  const readOptions: ReadOptions = {
    signal: ctx.signal,
    onPage: () => progress.update({ events, pages: (pages += 1) }),
    onWarning: (message) => reporter.warn(message),
  };
  try {
    if (plan.checkpoint !== undefined) {
      const summary = await runCheckpointedExport<R>(ctx, {
        checkpointPath: plan.checkpoint,
        outputPath: plan.output ?? null,
        identity: {
          host: session.apiUrl,
          profile: session.profileName,
          userId: session.user?.id ?? null,
          log: source.log,
          query: source.description,
        },
        since: toSecond(source.since) ?? null,
        until: toSecond(source.until),
        sinceGiven: plan.since !== undefined,
        read: (from, to) => source.windows(from, to, readOptions),
        writer: plan.output === undefined ? source.writer(undefined) : undefined,
        reporter,
        onRows: (n) => progress.update({ events: (events = n), pages }),
      });
      progress.done();
      if (summary.skippedFor) {
        const { pid, startedAt } = summary.skippedFor;
        reporter.info(
          `another kitsu-tail run (pid ${pid}, started ${startedAt}) is exporting with this checkpoint; this run skipped, and that one carries on`,
        );
        return;
      }
      const what = `${summary.added} new ${source.log === 'logins' ? 'login' : 'event'}${summary.added === 1 ? '' : 's'}`;
      reporter.info(`${plan.output === undefined ? `printed ${what}` : `appended ${what} to ${plan.output}`}; checkpoint saved`);
      return;
    }

    const destination = destinationFor(ctx, plan.output);
    const writer = source.writer(destination.stream);
    const print = async (record: R): Promise<void> => {
      await writer.write(record);
      continuation?.printed(record);
      progress.update({ events: (events += 1), pages });
    };
    try {
      if (plan.limit === null && !plan.reverse) {
        for await (const batch of source.windows(toSecond(source.since), toSecond(source.until), readOptions)) {
          await writeAll(writer, batch.rows);
          for (const record of batch.rows) continuation?.printed(record);
          progress.update({ events: (events += batch.rows.length), pages });
        }
      } else {
        const newest = await newestFirst(source.newestFirst(readOptions), plan.limit, plan.reverse, print);
        for (const record of newest) await print(record);
      }
      progress.done();
      await continuation?.then(print);
      await writer.end();
    } finally {
      await destination.close();
    }
  } finally {
    progress.done();
  }
}

/** Where records go: stdout, or the --output file (appended to). */
interface Destination {
  stream: OutStream | undefined;
  close(): Promise<void>;
}

function destinationFor(ctx: Context, output: string | undefined): Destination {
  if (output === undefined) return { stream: undefined, close: async () => {} };
  // Errors (a folder that does not exist, no permission) reach the writer's sink as 'error'.
  const file: WriteStream = createWriteStream(output, { flags: 'a' });
  return {
    stream: file,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (file.destroyed) {
          resolve();
          return;
        }
        file.end((error?: Error | null) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Newest first: with --reverse, straight through `print` (streaming); else the newest
 * `limit`, returned oldest first (memory bounded by the limit).
 */
async function newestFirst<R>(
  records: AsyncIterable<R>,
  limit: number | null,
  reverse: boolean,
  print: (record: R) => Promise<void>,
): Promise<R[]> {
  const kept: R[] = [];
  let count = 0;
  for await (const record of records) {
    if (reverse) await print(record);
    else kept.push(record);
    count += 1;
    if (limit !== null && count >= limit) break;
  }
  return kept.reverse();
}

/** The last second the history printed, and the log ids it printed in it: the seam for --follow. */
class SeamTracker {
  second: number | null = null;
  ids = new Set<string>();

  note(record: EventRecord): void {
    const second = secondOf(record);
    if (second !== this.second) {
      this.second = second;
      this.ids = new Set();
    }
    if (record.id) this.ids.add(record.id);
  }
}

/** Live events after the history, through the follow engine of src/listen/follow.ts. */
async function followAfterHistory(
  ctx: Context,
  session: Session,
  plan: LogsPlan,
  query: LogQuery,
  seam: SeamTracker,
  startedAtMs: number,
  search: RecordSearch | undefined,
  print: (record: EventRecord) => Promise<void>,
): Promise<void> {
  const { follow } = await import('../listen/follow.js');
  // Nothing printed means nothing matched when the history was read, so any earlier point
  // will do: a minute before covers a server clock behind ours.
  const until =
    seam.second !== null
      ? new Date(seam.second * 1000)
      : (query.since ?? new Date(Math.floor(startedAtMs / 1000) * 1000 - 60_000));
  await follow(ctx, session, {
    filter: plan.filter,
    search,
    projectIds: query.projectIds,
    personIds: query.personIds,
    onlyFiles: query.onlyFiles,
    printedBefore: { until, ids: seam.ids },
    backfill: true,
    until: plan.until !== undefined && plan.until.getTime() > ctx.clock.now() ? plan.until : undefined,
    onRecord: print,
  });
  // Ctrl-C ends following by design, and the exit code still says so.
  if (ctx.signal.aborted) throw ctx.signal.reason;
}
