/**
 * `logs --stats` and `logs --count-by KEY`: the flags, checked, and the writer that counts
 * instead of printing (src/output/stats-writer.ts).
 */
import type { Context, OutStream } from '../context.js';
import type { EventRecord } from '../core/record.js';
import { UsageError } from '../errors.js';
import type { OutputShape } from '../output/shape.js';
import { createStatsWriter, parseCountBy, type CountBy } from '../output/stats-writer.js';
import type { StatsLabels } from '../output/stats.js';
import type { NameDirectory, RecordWriter } from '../output/types.js';
import type { NameResolver } from '../kitsu/names.js';

export interface SummaryPlan {
  /** Undefined: the full --stats view. */
  countBy?: CountBy;
  top?: number;
}

/** From the options of `logs`; undefined when neither --stats nor --count-by was given. */
export function planSummary(
  flags: { stats: boolean; countBy?: string; top?: number },
  context: { follow: boolean; checkpoint: string | undefined; logins: boolean },
): SummaryPlan | undefined {
  const { stats, top } = flags;
  const countByText = flags.countBy;
  if (!stats && countByText === undefined) {
    if (top !== undefined)
      throw new UsageError('--top sizes the counts of --stats and --count-by', 'add --stats or --count-by KEY');
    return undefined;
  }
  const flag = stats ? '--stats' : '--count-by';
  if (stats && countByText !== undefined)
    throw new UsageError(
      '--stats and --count-by are two views; give one of them',
      '--count-by KEY shows one of the counts of --stats, in full',
    );
  if (context.follow)
    throw new UsageError(
      `${flag} summarises a range of the log; it takes no --follow`,
      'give --since and --until instead',
    );
  if (context.checkpoint !== undefined)
    throw new UsageError(`${flag} summarises a range of the log; it takes no --checkpoint`);
  if (context.logins) throw new UsageError(`${flag} applies to the event log, not to --logins`);
  return { countBy: countByText === undefined ? undefined : parseCountBy(countByText), top };
}

export interface SummaryWriterOptions {
  stream?: OutStream;
  names?: NameDirectory;
  since?: Date;
  until?: Date;
  shape: OutputShape;
  /** An entity key (`kind:id`) for each record, and its name: from the name resolver. */
  /** The name resolver: entities for the tasks, comments and previews events name. */
  resolver?: NameResolver;
}

/**
 * A summary has to count each event under its entity for sure (a task counted once under its
 * shot and once under its own id would split a count), so it waits for look-ups as a filter does.
 */
const SUMMARY_WAIT_MS = 60_000;

function entitiesFrom(resolver: NameResolver) {
  return {
    async entitiesOf(records: readonly EventRecord[]): Promise<{ key: string | null; name?: string }[]> {
      const resolved = await resolver.resolveAll(records, { waitMs: SUMMARY_WAIT_MS });
      return resolved.map(({ subject, names }) => {
        const id = subject.entity_ids[0];
        if (id) return { key: `${(names.entity_type ?? 'entity').toLowerCase()}:${id}`, name: names.entity };
        if (subject.task_id) return { key: `task:${subject.task_id}`, name: names.entity };
        return { key: null };
      });
    },
  };
}

export function summaryWriter(
  ctx: Context,
  plan: SummaryPlan,
  options: SummaryWriterOptions,
): RecordWriter<EventRecord> {
  const names = options.names;
  const labels: StatsLabels = {
    project: names ? (id) => names.project(id) : undefined,
    person: names ? (id) => names.person(id) : undefined,
  };
  return createStatsWriter(
    ctx,
    {
      countBy: plan.countBy,
      top: plan.top,
      fromMs: options.since?.getTime(),
      // An open range ends now: the histogram shows the quiet hours up to it.
      toMs: options.until?.getTime() ?? (options.since ? ctx.clock.now() : undefined),
      labels,
      clock: options.shape.clock,
      headers: options.shape.headers,
      entities: options.resolver ? entitiesFrom(options.resolver) : undefined,
    },
    options.stream ?? ctx.stdout,
  );
}
