/**
 * Turning a SearchPlan into a RecordSearch for a session, and applying it to what a command
 * reads: the log's windows, its newest-first pages, the live stream (FollowOptions.search).
 */
import type { Context } from '../context.js';
import type { EventRecord } from '../core/record.js';
import type { LogWindowBatch, ReadOptions } from '../kitsu/log-pager.js';
import type { NameResolver } from '../kitsu/names.js';
import type { Session } from '../kitsu/types.js';
import { needsResolver, type SearchPlan } from './plan.js';
import { recordOnlySearch, selectEach, type RecordSearch } from './search.js';

export type { RecordSearch } from './search.js';

/**
 * The search for this session. `projectIds`: the projects the command reads (--project), in
 * which names are looked up; none: every project the account can read.
 */
export async function openSearch(
  ctx: Context,
  session: Session,
  plan: SearchPlan,
  projectIds: readonly string[] | undefined,
  resolver?: NameResolver,
): Promise<RecordSearch> {
  if (!needsResolver(plan)) return recordOnlySearch(plan);
  const { openNamedSearch } = await import('./named.js');
  return openNamedSearch(ctx, session, plan, projectIds, resolver);
}

/** The projects the server may filter on: --project's, else those the search knows. */
export function serverProjects(
  projectIds: string[] | undefined,
  search: RecordSearch | undefined,
): string[] | undefined {
  if (projectIds && projectIds.length > 0) return projectIds;
  return search?.serverProjects && search.serverProjects.length > 0 ? [...search.serverProjects] : undefined;
}

interface ReadableLog {
  windows(
    from: number | undefined,
    to: number | undefined,
    options: ReadOptions,
  ): AsyncIterable<LogWindowBatch<EventRecord>>;
  newestFirst(options: ReadOptions): AsyncIterable<EventRecord>;
}

/** The same source, giving only the records the search keeps (the source itself without one). */
export function narrowSource<S extends ReadableLog>(search: RecordSearch | undefined, source: S): S {
  if (!search) return source;
  return {
    ...source,
    async *windows(from, to, options) {
      for await (const batch of source.windows(from, to, options)) {
        // A window whose rows all fail still reports how far the log was read.
        yield { ...batch, rows: await search.select(batch.rows) };
      }
    },
    newestFirst: (options) => selectEach(source.newestFirst(options), search),
  };
}
