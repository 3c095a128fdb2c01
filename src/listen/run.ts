/**
 * What `listen` and `demo` share: reading the listen flags, and running the follow engine
 * with the chosen output, `--exec` and `--forward-to`, then the ending (summary, exit code).
 */
import { parsePatterns, withExcludes, type EventFilter } from '../core/patterns.js';
import type { EventRecord } from '../core/record.js';
import { parseDuration, parseTime } from '../core/time.js';
import type { Context, PlanContext } from '../context.js';
import type { ListenOptions } from '../options.js';
import { toolVersion } from '../version.js';
import { IncompleteError, InterruptedError, PermissionError, UsageError } from '../errors.js';
import { logPermissionError } from '../kitsu/permission.js';
import { loadDirectory, type Directory } from '../kitsu/directory.js';
import type { Session } from '../kitsu/types.js';
import { reporterFor } from '../output/reporter.js';
import { createRecordWriter, resolveFormat } from '../output/writer.js';
import { createExecRunner } from './exec.js';
import type { EventRunner } from './queued-runner.js';
import { follow, type FollowOptions, type FollowSummary } from './follow.js';
import { createForwarder, parseForwardUrl } from './forward.js';

/** The listen flags, checked: every usage error is found before anything connects. */
export interface ListenPlan {
  filter: EventFilter;
  projects: string[];
  people: string[];
  since?: Date;
  until?: Date;
  count?: number;
  idleTimeoutMs?: number;
  exec?: string;
  forwardTo?: URL;
  backfill: boolean;
  maxReconnects?: number;
}

export function planListen(ctx: PlanContext, args: string[], options: ListenOptions): ListenPlan {
  const now = ctx.clock.now();
  const plan: ListenPlan = {
    filter: parsePatterns(withExcludes(args, options.exclude)),
    projects: options.project ?? [],
    people: options.person ?? [],
    backfill: options.backfill,
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
      throw new UsageError(`--idle-timeout: cannot read '${options.idleTimeout}' as a duration`, 'such as 30s, 5m or 1h');
    }
    plan.idleTimeoutMs = ms;
  }
  if (options.count !== undefined) plan.count = options.count;
  if (options.maxReconnects !== undefined) plan.maxReconnects = options.maxReconnects;
  if (options.exec !== undefined) {
    if (options.exec.trim() === '') throw new UsageError('--exec needs a command', "such as --exec 'jq -c .data >> events.log'");
    plan.exec = options.exec;
  }
  if (options.forwardTo !== undefined) plan.forwardTo = parseForwardUrl(options.forwardTo);
  return plan;
}

/**
 * Runs until --count, --idle-timeout, --until, Ctrl-C or a fatal error. Throws what run()
 * turns into the exit code: IncompleteError (124), the signal's reason (130, or 0 for a closed
 * stdout), AuthError (3) for a refused session, NetworkError (5) past --max-reconnects.
 */
export async function runListen(ctx: Context, session: Session, plan: ListenPlan): Promise<FollowSummary> {
  const reporter = reporterFor(ctx);
  const format = resolveFormat(ctx);
  const needsDirectory = format === 'table' || plan.projects.length > 0 || plan.people.length > 0;
  const directory: Directory | undefined = needsDirectory ? await loadDirectory(session, { signal: ctx.signal }) : undefined;
  const projectIds = plan.projects.length > 0 ? await directory!.resolveProjects(plan.projects) : undefined;
  const personIds = plan.people.length > 0 ? await directory!.resolvePeople(plan.people) : undefined;

  const writer = createRecordWriter(ctx, directory ? { names: directory } : {});
  const runners: EventRunner[] = [];
  if (plan.exec) runners.push(createExecRunner(ctx, plan.exec, reporter));
  if (plan.forwardTo) {
    runners.push(
      await createForwarder(plan.forwardTo, {
        reporter,
        showEach: format === 'table',
        signal: ctx.signal,
        userAgent: `kitsu-tail/${toolVersion()}`,
      }),
    );
  }

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
  if (projectIds) options.projectIds = projectIds;
  if (personIds) options.personIds = personIds;
  if (plan.since) options.since = plan.since;
  if (plan.until) options.until = plan.until;
  if (plan.count !== undefined) options.count = plan.count;
  if (plan.idleTimeoutMs !== undefined) options.idleTimeoutMs = plan.idleTimeoutMs;
  if (plan.maxReconnects !== undefined) options.maxReconnects = plan.maxReconnects;

  let summary: FollowSummary;
  try {
    try {
      summary = await follow(ctx, session, options);
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
  }
  if (summary.endedBy === 'signal' || ctx.signal.aborted) {
    // Ctrl-C gets a summary; a closed stdout (`| head`) ends quietly.
    if (ctx.signal.reason instanceof InterruptedError) reporter.afterInterrupt(`stopped: ${summaryLine(summary)}`);
    throw ctx.signal.reason;
  }
  await writer.end();
  if ((summary.endedBy === 'idle' || summary.endedBy === 'until') && plan.count !== undefined && summary.events < plan.count) {
    const by = summary.endedBy === 'idle' ? '--idle-timeout' : '--until';
    throw new IncompleteError(`${by} ended the stream after ${summary.events} of ${plan.count} events`);
  }
  reporter.verbose(summaryLine(summary));
  return summary;
}

function summaryLine(summary: FollowSummary): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(summary.events, 'event')}, ${plural(summary.reconnects, 'reconnect')}, ${summary.backfilled} backfilled`;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
