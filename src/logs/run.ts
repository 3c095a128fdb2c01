/**
 * `kitsu-tail logs`: search, page and export the stored event log (or, with --logins, the
 * login log), oldest first like `tail`. The flags are checked in plan.ts; this file turns the
 * plan into a query of one log (src/kitsu/event-log.ts, login-log.ts) and hands it to
 * read.ts, with follow-on.ts after it for --follow.
 */
import type { Context } from '../context.js';
import { capabilitiesOf } from '../core/capabilities.js';
import { describeQuery } from '../core/checkpoint.js';
import type { EventRecord } from '../core/record.js';
import { SeamTracker } from '../core/seam.js';
import { fromSecond } from '../core/seconds.js';
import { PermissionError } from '../errors.js';
import { rememberProjects } from '../kitsu/completion-names.js';
import { loadDirectory, type Directory } from '../kitsu/directory.js';
import { readLogNewestFirst, readLogWindows, type LogQuery } from '../kitsu/event-log.js';
import { readLoginLogNewestFirst, readLoginLogWindows, type LoginLogQuery } from '../kitsu/login-log.js';
import { logPermissionError, roleOf } from '../kitsu/permission.js';
import { openNameResolver, recordNamer, type NameResolver } from '../kitsu/names.js';
import { sleep } from '../core/sleep.js';
import { unknownPatternWarnings } from '../core/pattern-hints.js';
import { openSession } from '../kitsu/session.js';
import { openWhenUp } from '../listen/start.js';
import type { Session } from '../kitsu/types.js';
import { KITSU_NOT_UP, outageReportFor } from '../output/outage.js';
import { reporterFor, type Reporter } from '../output/reporter.js';
import { csvExportFormat } from '../export/file-format.js';
import { loginCsvRenderer } from '../output/formats.js';
import { createLoginWriter, createRecordWriter, eventFileCsv, resolveFormat } from '../output/writer.js';
import { openShape, shapedFormat, shapeNeedsNames } from '../output/shape.js';
import { narrowSource, openSearch, serverProjects, type RecordSearch } from '../search/open.js';
import { needsResolver } from '../search/plan.js';
import { summaryWriter } from '../search/summary.js';
import { followAfterHistory } from './follow-on.js';
import type { LogsPlan } from './plan.js';
import { readLog, type LogSource } from './read.js';

export async function runLogs(ctx: Context, plan: LogsPlan): Promise<void> {
  const reporter = reporterFor(ctx);
  if (plan.people.notice) reporter.warn(plan.people.notice);
  // A typo in a pattern reads as an empty log: worth a word even in a pipe.
  for (const warning of unknownPatternWarnings(plan.filter)) reporter.warn(warning);
  // Following, it is a service that may start before Kitsu: wait for it as listen does.
  const session = plan.follow
    ? await openWhenUp(() => openSession(ctx, { fresh: true }), {
        ...(plan.maxReconnects !== undefined ? { maxReconnects: plan.maxReconnects } : {}),
        reporter,
        outage: outageReportFor(ctx, reporter, KITSU_NOT_UP),
        sleep: (ms) => sleep(ms, ctx.signal),
        aborted: () => ctx.signal.aborted,
      }).catch((error: unknown) => {
        throw ctx.signal.aborted ? ctx.signal.reason : error;
      })
    : await openSession(ctx);
  try {
    if (plan.logins) await runLogins(ctx, session, plan, reporter);
    else await runEvents(ctx, session, plan, reporter);
  } catch (error) {
    // `| head` or Ctrl-C: whatever failed on the way is the consequence, not the cause.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (error instanceof PermissionError) {
      throw await logPermissionError(
        session,
        { log: plan.logins ? 'logins' : 'events', byProject: plan.projects.length > 0 },
        ctx.signal,
      );
    }
    throw error;
  } finally {
    await session.close();
  }
}

/** Whether records go to stdout as a table (then names are worth loading). */
function tableOnStdout(ctx: Context, plan: LogsPlan): boolean {
  const format = shapedFormat(plan.shape, ctx.globals.format, ctx.stdout.isTTY === true);
  return plan.output === undefined && (format ?? resolveFormat(ctx)) === 'table';
}

async function runEvents(ctx: Context, session: Session, plan: LogsPlan, reporter: Reporter): Promise<void> {
  const caps = capabilitiesOf(session.serverVersion);
  if (caps.managerScoping && (await roleOf(session, ctx.signal)) === 'manager') {
    reporter.info('as a manager you see only the events of your own projects (events with no project are not shown)');
  }
  const directory =
    tableOnStdout(ctx, plan) ||
    plan.summary !== undefined ||
    plan.projects.length > 0 ||
    plan.people.by.length > 0 ||
    plan.people.about.length > 0
      ? await loadDirectory(session, { signal: ctx.signal })
      : undefined;
  if (directory) await rememberProjects(ctx.env, session, directory);
  const query: LogQuery = {
    since: plan.since,
    until: plan.until,
    filter: plan.filter,
    onlyFiles: plan.onlyFiles,
    projectIds: plan.projects.length > 0 ? await directory!.resolveProjects(plan.projects) : undefined,
    personIds:
      plan.people.by.length > 0 ? await directory!.resolvePeople(plan.people.by, plan.people.flags.by) : undefined,
    aboutIds:
      plan.people.about.length > 0
        ? await directory!.resolvePeople(plan.people.about, plan.people.flags.about)
        : undefined,
  };
  // One resolver for the run, shared by the table and --names, the search and the summary.
  const resolver =
    tableOnStdout(ctx, plan) ||
    plan.names ||
    plan.summary ||
    (plan.search && needsResolver(plan.search)) ||
    shapeNeedsNames(plan.shape)
      ? openNameResolver(ctx.env, session)
      : undefined;
  try {
    const search: RecordSearch | undefined = plan.search
      ? await openSearch(ctx, session, plan.search, query.projectIds, resolver)
      : undefined;
    try {
      await readEvents(ctx, session, plan, reporter, { directory, query, search, resolver });
    } finally {
      await search?.close?.();
    }
  } finally {
    await resolver?.close();
  }
}

/** What runEvents found out before reading: names, the query, the search. */
interface EventSetup {
  directory: Directory | undefined;
  query: LogQuery;
  search: RecordSearch | undefined;
  resolver: NameResolver | undefined;
}

async function readEvents(
  ctx: Context,
  session: Session,
  plan: LogsPlan,
  reporter: Reporter,
  setup: EventSetup,
): Promise<void> {
  const { directory, query, search, resolver } = setup;
  const described = describeQuery({
    include: plan.filter.include,
    exclude: plan.filter.exclude,
    onlyFiles: plan.onlyFiles,
    projectIds: query.projectIds,
    personIds: query.personIds,
    aboutIds: query.aboutIds,
  });
  // The server narrows to the named entities' projects; the search does the rest.
  const serverQuery: LogQuery = { ...query, projectIds: serverProjects(query.projectIds, search) };
  const shape = openShape(plan.shape, ctx.env, {
    fromMs: plan.since?.getTime(),
    toMs: plan.until?.getTime() ?? ctx.clock.now(),
  });
  const source: LogSource<EventRecord> = narrowSource(search, {
    log: 'events',
    label: 'event log',
    // Unchanged without a search, so that existing checkpoints still recognise their query.
    description: search ? `${described} ${search.describe()}` : described,
    since: query.since,
    until: query.until,
    windows: (from, to, options) =>
      readLogWindows(session, { ...serverQuery, since: fromSecond(from), until: fromSecond(to) }, options),
    newestFirst: (options) => readLogNewestFirst(session, serverQuery, options),
    writer: (stream) =>
      plan.summary
        ? summaryWriter(ctx, plan.summary, {
            stream,
            names: directory,
            since: query.since,
            until: query.until,
            shape,
            resolver,
          })
        : createRecordWriter(ctx, {
            stream,
            names: directory,
            shape,
            // --fields names.* reads the names as --names attaches them.
            ...(resolver
              ? { namer: recordNamer(resolver), attachNames: plan.names || shapeNeedsNames(plan.shape) }
              : {}),
          }),
  });
  if (shapedFormat(plan.shape, ctx.globals.format, false) === 'csv')
    source.exportFormat = () => csvExportFormat(eventFileCsv(ctx, shape));
  if (!plan.follow) {
    await readLog(ctx, session, plan, source, reporter);
    return;
  }
  const seam = new SeamTracker();
  const startedAtMs = ctx.clock.now();
  await readLog(ctx, session, plan, source, reporter, {
    printed: (record) => seam.note(record),
    then: (print) => followAfterHistory(ctx, session, plan, serverQuery, seam, startedAtMs, search, print),
  });
}

async function runLogins(ctx: Context, session: Session, plan: LogsPlan, reporter: Reporter): Promise<void> {
  const directory =
    tableOnStdout(ctx, plan) || plan.people.by.length > 0
      ? await loadDirectory(session, { signal: ctx.signal })
      : undefined;
  const query: LoginLogQuery = {
    since: plan.since,
    until: plan.until,
    personIds:
      plan.people.by.length > 0 ? await directory!.resolvePeople(plan.people.by, plan.people.flags.by) : undefined,
  };
  await readLog(
    ctx,
    session,
    plan,
    {
      log: 'logins',
      label: 'login log',
      description: describeQuery({ personIds: query.personIds }),
      since: query.since,
      until: query.until,
      windows: (from, to, options) =>
        readLoginLogWindows(session, { ...query, since: fromSecond(from), until: fromSecond(to) }, options),
      newestFirst: (options) => readLoginLogNewestFirst(session, query, options),
      writer: (stream) => createLoginWriter(ctx, { stream, names: directory }),
      ...(ctx.globals.format === 'csv' ? { exportFormat: () => csvExportFormat(loginCsvRenderer()) } : {}),
    },
    reporter,
  );
}
