/**
 * `logs --follow`: after the history, live events through the follow engine of
 * src/listen/follow.ts, starting at the seam (the last second printed, and the ids printed in
 * it) so that nothing is printed twice or lost between the two.
 */
import type { Context } from '../context.js';
import type { EventRecord } from '../core/record.js';
import type { SeamTracker } from '../core/seam.js';
import type { LogQuery } from '../kitsu/event-log.js';
import type { Session } from '../kitsu/types.js';
import type { RecordSearch } from '../search/search.js';
import type { LogsPlan } from './plan.js';

/** Live events after the history, through the follow engine of src/listen/follow.ts. */
export async function followAfterHistory(
  ctx: Context,
  session: Session,
  plan: LogsPlan,
  query: LogQuery,
  seam: SeamTracker,
  startedAtMs: number,
  search: RecordSearch | undefined,
  print: (record: EventRecord) => Promise<void>,
): Promise<FollowCounts> {
  const { follow } = await import('../listen/follow.js');
  // Nothing printed means nothing matched when the history was read, so any earlier point
  // will do: a minute before covers a server clock behind ours.
  const until =
    seam.second !== null
      ? new Date(seam.second * 1000)
      : (query.since ?? new Date(Math.floor(startedAtMs / 1000) * 1000 - 60_000));
  const summary = await follow(ctx, session, {
    filter: plan.filter,
    ...(search ? { search } : {}),
    projectIds: query.projectIds,
    aboutIds: query.aboutIds,
    onlyFiles: query.onlyFiles,
    printedBefore: { until, ids: seam.ids },
    backfill: true,
    ...(plan.maxReconnects !== undefined ? { maxReconnects: plan.maxReconnects } : {}),
    until: plan.until !== undefined && plan.until.getTime() > ctx.clock.now() ? plan.until : undefined,
    onRecord: print,
  });
  // Ctrl-C ends following by design: the caller says how far it got, and the exit code says so.
  return { reconnects: summary.reconnects, backfilled: summary.backfilled };
}

/** What the live part of `logs --follow` did, for the summary that ends it (its records are counted as printed). */
export interface FollowCounts {
  reconnects: number;
  backfilled: number;
}
