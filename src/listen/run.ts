/**
 * What `listen` and `demo` share: reading the listen flags, and running the follow engine
 * with the chosen output, `--exec` and `--forward-to`, then the ending (summary, exit code).
 */
import { parsePatterns, withExcludes, type EventFilter } from '../core/patterns.js';
import type { EventRecord } from '../core/record.js';
import { parseDuration, parseTime } from '../core/time.js';
import type { Context, PlanContext } from '../context.js';
import type { DemoOptions, ListenOptions } from '../options.js';
import { planPeople, type PersonPlan } from '../core/person-filter.js';
import { toolVersion } from '../version.js';
import { CliError, ExitCode, IncompleteError, InterruptedError, PermissionError, UsageError } from '../errors.js';
import { logPermissionError } from '../kitsu/permission.js';
import { rememberProjects } from '../kitsu/completion-names.js';
import { loadDirectory, type Directory } from '../kitsu/directory.js';
import { createNameResolver, openNameResolver, recordNamer, type NameResolver } from '../kitsu/names.js';
import type { Session } from '../kitsu/types.js';
import { reporterFor } from '../output/reporter.js';
import { summaryLine as runSummaryLine } from '../output/run-summary.js';
import { noMatchLine, unknownPatternWarnings } from '../core/pattern-hints.js';
import { localTimeText } from '../output/time-text.js';
import { createRecordWriter, resolveFormat } from '../output/writer.js';
import {
  openShape,
  planShape,
  shapedFormat,
  shapeNeedsNames,
  type OutputShape,
  type ShapePlan,
} from '../output/shape.js';
import { openSearch, serverProjects } from '../search/open.js';
import { needsResolver, planSearch, type SearchPlan } from '../search/plan.js';
import { createExecRunner, type ExecRunner } from './exec.js';
import type { EventRunner } from './queued-runner.js';
import { follow, type FollowOptions, type FollowSummary } from './follow.js';
import { createForwarder, parseForwardUrl, type Forwarder } from './forward.js';

/** The listen flags, checked: every usage error is found before anything connects. */
export interface ListenPlan {
  filter: EventFilter;
  projects: string[];
  /** --about: who an event is about (data.person_id); live events never say who acted, so no --by. */
  people: PersonPlan;
  since?: Date;
  until?: Date;
  count?: number;
  idleTimeoutMs?: number;
  exec?: string;
  /** End the run at the first failing command (else go on, and count). */
  execStopsOnError: boolean;
  forwardTo?: URL;
  /** Signs deliveries; KITSU_TAIL_FORWARD_SECRET is read when the run starts. */
  forwardSecret?: string;
  backfill: boolean;
  maxReconnects?: number;
  /** --where, --entity, --task-type, --status: undefined when none was given. */
  search?: SearchPlan;
  shape: ShapePlan;
  /** --names: each JSON record gets the names of what it is about. */
  names: boolean;
}

export function planListen(
  ctx: PlanContext,
  args: string[],
  options: ListenOptions | DemoOptions,
  command: 'listen' | 'demo' = 'listen',
): ListenPlan {
  const now = ctx.clock.now();
  if (options.by?.length) {
    throw new UsageError(
      `--by cannot apply to ${command}: Kitsu never says who acted in a live event`,
      'use --about PERSON for who an event is about, or kitsu-tail logs --by PERSON to search the stored log by who acted',
    );
  }
  const plan: ListenPlan = {
    filter: parsePatterns(withExcludes(args, options.exclude)),
    projects: options.project ?? [],
    people: planPeople(command, { about: options.about, person: options.person }),
    backfill: options.backfill,
    search: planSearch({
      where: options.where,
      entity: options.entity,
      taskType: options.taskType,
      status: options.status,
    }),
    shape: planShape(
      { fields: options.fields, headers: options.headers, utc: options.utc === true },
      ctx.globals.format,
    ),
    names: options.names === true,
    execStopsOnError: false,
  };
  if (options.since !== undefined) {
    plan.since = parseTime(options.since, now, '--since');
    if (plan.since.getTime() > now) {
      throw new UsageError(`--since ${options.since} is in the future`, 'give a time in the past, such as 2h or 08:00');
    }
  }
  if (options.until !== undefined) {
    plan.until = parseTime(options.until, now, '--until');
    if (plan.until.getTime() <= now) {
      const bare = parseDuration(options.until.trim()) !== null;
      throw new UsageError(
        `--until ${options.until} is already past`,
        bare
          ? `a duration means that long ago everywhere; for an end ahead write --until 'in ${options.until.trim()}', +${options.until.trim()} or a clock time such as 18:00`
          : 'give a later time, such as 18:00 or +2h; for a past range use `kitsu-tail logs --since … --until …`',
      );
    }
  }
  if (options.idleTimeout !== undefined) {
    const ms = parseDuration(options.idleTimeout);
    if (ms === null || ms <= 0) {
      throw new UsageError(
        `--idle-timeout: cannot read '${options.idleTimeout}' as a duration`,
        'such as 30s, 5m or 1h',
      );
    }
    plan.idleTimeoutMs = ms;
  }
  if (options.count !== undefined) plan.count = options.count;
  if (options.maxReconnects !== undefined) plan.maxReconnects = options.maxReconnects;
  if (options.exec !== undefined) {
    if (options.exec.trim() === '')
      throw new UsageError('--exec needs a command', "such as --exec 'jq -c .data >> events.log'");
    plan.exec = options.exec;
  }
  if (options.forwardTo !== undefined) plan.forwardTo = parseForwardUrl(options.forwardTo);
  if (options.execOnError !== undefined) {
    if (options.execOnError !== 'continue' && options.execOnError !== 'stop') {
      throw new UsageError(`--exec-on-error: '${options.execOnError}' is not a policy`, 'give continue or stop');
    }
    if (plan.exec === undefined)
      throw new UsageError('--exec-on-error needs --exec', "such as --exec './notify.sh' --exec-on-error stop");
    plan.execStopsOnError = options.execOnError === 'stop';
  }
  if (options.forwardSecret !== undefined) {
    if (plan.forwardTo === undefined)
      throw new UsageError(
        '--forward-secret needs --forward-to',
        'such as --forward-to http://localhost:4000/hook --forward-secret …',
      );
    if (options.forwardSecret === '')
      throw new UsageError('--forward-secret is empty', 'give the secret the hook checks signatures with');
    plan.forwardSecret = options.forwardSecret;
  }
  return plan;
}

/**
 * Runs until --count, --idle-timeout, --until, Ctrl-C or a fatal error. Throws what run()
 * turns into the exit code: IncompleteError (124), the signal's reason (130, or 0 for a closed
 * stdout), AuthError (3) for a refused session, NetworkError (5) past --max-reconnects.
 */
export async function runListen(
  ctx: Context,
  session: Session,
  plan: ListenPlan,
  options: { nameCache?: boolean } = {},
): Promise<FollowSummary> {
  const reporter = reporterFor(ctx);
  const now = ctx.clock.now();
  const shape = openShape(plan.shape, ctx.env, { fromMs: plan.since?.getTime() ?? now, toMs: now });
  const format = shapedFormat(shape, ctx.globals.format, ctx.stdout.isTTY === true) ?? resolveFormat(ctx);
  if (plan.people.notice) reporter.warn(plan.people.notice);
  // A typo in a pattern reads as a quiet stream: worth a word even in a pipe.
  for (const warning of unknownPatternWarnings(plan.filter)) reporter.warn(warning);
  const { about, flags } = plan.people;
  const needsDirectory = format === 'table' || plan.projects.length > 0 || about.length > 0;
  const directory: Directory | undefined = needsDirectory
    ? await loadDirectory(session, { signal: ctx.signal })
    : undefined;
  if (directory) await rememberProjects(ctx.env, session, directory);
  const projectIds = plan.projects.length > 0 ? await directory!.resolveProjects(plan.projects) : undefined;
  const aboutIds = about.length > 0 ? await directory!.resolvePeople(about, flags.about) : undefined;

  // The table always shows names; JSON and CSV only with --names (else no look-ups at all).
  // One resolver for the run, shared with the search.
  const wantNames =
    format === 'table' || plan.names || (plan.search && needsResolver(plan.search)) || shapeNeedsNames(plan.shape);
  const resolver = !wantNames
    ? undefined
    : options.nameCache === false
      ? createNameResolver(session)
      : openNameResolver(ctx.env, session);
  try {
    return await listenWith(ctx, session, plan, {
      reporter,
      format,
      directory,
      projectIds,
      aboutIds,
      resolver,
      shape,
    });
  } finally {
    await resolver?.close();
  }
}

interface ListenSetup {
  reporter: ReturnType<typeof reporterFor>;
  format: ReturnType<typeof resolveFormat>;
  directory: Directory | undefined;
  projectIds: string[] | undefined;
  aboutIds: string[] | undefined;
  resolver: NameResolver | undefined;
  shape: OutputShape;
}

async function listenWith(
  ctx: Context,
  session: Session,
  plan: ListenPlan,
  setup: ListenSetup,
): Promise<FollowSummary> {
  const { reporter, format, directory, projectIds, aboutIds, resolver, shape } = setup;
  const startedAtMs = ctx.clock.now();
  const search = plan.search ? await openSearch(ctx, session, plan.search, projectIds, resolver) : undefined;
  const writer = createRecordWriter(ctx, {
    shape,
    ...(directory ? { names: directory } : {}),
    // --fields names.* reads the names as --names attaches them.
    ...(resolver ? { namer: recordNamer(resolver), attachNames: plan.names || shapeNeedsNames(plan.shape) } : {}),
  });
  const runners: EventRunner[] = [];
  // --exec-on-error stop ends the run as a signal would, with its own reason (exit 1).
  const stopping = new AbortController();
  const runCtx: Context = { ...ctx, signal: AbortSignal.any([ctx.signal, stopping.signal]) };
  let exec: ExecRunner | undefined;
  let forwarder: Forwarder | undefined;
  if (plan.exec) {
    exec = createExecRunner(ctx, plan.exec, reporter, undefined, {
      stop: plan.execStopsOnError,
      onStop: (reason) =>
        stopping.abort(new CliError(reason, ExitCode.failure, 'fix the command, or use --exec-on-error continue')),
    });
    runners.push(exec);
  }
  if (plan.forwardTo) {
    const secret = plan.forwardSecret ?? (ctx.env.KITSU_TAIL_FORWARD_SECRET || undefined);
    forwarder = await createForwarder(plan.forwardTo, {
      reporter,
      showEach: format === 'table',
      signal: ctx.signal,
      userAgent: `kitsu-tail/${toolVersion()}`,
      ...(secret !== undefined ? { secret } : {}),
      now: () => ctx.clock.now(),
    });
    runners.push(forwarder);
  }
  const failures = (): string[] => {
    const out: string[] = [];
    if (exec && exec.failed > 0) out.push(`${exec.failed} failed command${exec.failed === 1 ? '' : 's'}`);
    if (forwarder && forwarder.dropped > 0) out.push(`${forwarder.dropped} not forwarded`);
    return out;
  };

  const options: FollowOptions = {
    filter: plan.filter,
    backfill: plan.backfill,
    onRecord: async (record: EventRecord) => {
      await writer.write(record);
      for (const runner of runners) runner.push(record);
    },
  };
  const { writeMany } = writer;
  if (writeMany) {
    options.onRecords = async (records: EventRecord[]) => {
      await writeMany.call(writer, records);
      for (const record of records) for (const runner of runners) runner.push(record);
    };
  }
  const narrowed = serverProjects(projectIds, search);
  if (narrowed) options.projectIds = narrowed;
  if (search) options.search = search;
  if (aboutIds) options.aboutIds = aboutIds;
  if (plan.since) options.since = plan.since;
  if (plan.until) options.until = plan.until;
  if (plan.count !== undefined) options.count = plan.count;
  if (plan.idleTimeoutMs !== undefined) options.idleTimeoutMs = plan.idleTimeoutMs;
  if (plan.maxReconnects !== undefined) options.maxReconnects = plan.maxReconnects;

  let summary: FollowSummary;
  try {
    try {
      summary = await follow(runCtx, session, options);
    } catch (error) {
      // The history of --since is a read of the event log: say what it takes and who the user
      // is, in the words `logs` uses, rather than the bare 403 of a route.
      if (error instanceof PermissionError && plan.since) {
        throw await logPermissionError(session, { log: 'events', byProject: projectIds !== undefined }, ctx.signal);
      }
      throw error;
    }
    if (summary.endedBy !== 'signal') {
      // Let the commands and the hook catch up, unless Ctrl-C comes first.
      await Promise.race([Promise.all(runners.map((r) => r.drain())), aborted(ctx.signal)]);
    }
  } finally {
    for (const runner of runners) runner.stop();
    await search?.close?.();
  }
  if (summary.endedBy === 'signal' || runCtx.signal.aborted) {
    // Ctrl-C gets a summary; a closed stdout (`| head`) ends quietly.
    if (ctx.signal.reason instanceof InterruptedError)
      reporter.afterInterrupt(`stopped: ${summaryLine(summary, failures())}`);
    if (!ctx.signal.aborted && stopping.signal.aborted) {
      reporter.info(`stopped: ${summaryLine(summary, failures())}`);
      throw stopping.signal.reason;
    }
    throw ctx.signal.reason;
  }
  await writer.end();
  // A run that ended on its own (--until, --idle-timeout) with an empty screen says so.
  if (summary.events === 0 && ctx.stdout.isTTY === true) {
    reporter.info(
      noMatchLine({
        filter: plan.filter,
        what: 'events',
        range: `since ${localTimeText(plan.since?.getTime() ?? startedAtMs, ctx.clock.now())}`,
        filtered: plan.projects.length > 0 || plan.people.about.length > 0 || plan.search !== undefined,
      }),
    );
  }
  if (
    (summary.endedBy === 'idle' || summary.endedBy === 'until') &&
    plan.count !== undefined &&
    summary.events < plan.count
  ) {
    const by = summary.endedBy === 'idle' ? '--idle-timeout' : '--until';
    throw new IncompleteError(`${by} ended the stream after ${summary.events} of ${plan.count} events`);
  }
  if (forwarder && forwarder.dropped > 0) {
    // The records were printed, but the hook did not get them all: say so in the exit code.
    throw new CliError(
      `the run ended with ${forwarder.dropped} event${forwarder.dropped === 1 ? '' : 's'} not forwarded (${summaryLine(summary, failures())})`,
      ExitCode.failure,
      'see the warnings above',
    );
  }
  // Failed commands were each said and the run went on (--exec-on-error continue): count them.
  if (failures().length > 0) reporter.info(`done: ${summaryLine(summary, failures())}`);
  else reporter.verbose(summaryLine(summary));
  return summary;
}

/** The listen summary: src/output/run-summary.ts, the words `logs --follow` ends with too. */
function summaryLine(summary: FollowSummary, failures: string[] = []): string {
  return runSummaryLine(
    { events: summary.events, live: { reconnects: summary.reconnects, backfilled: summary.backfilled } },
    failures,
  );
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
