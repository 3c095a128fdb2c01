/**
 * A search, ready to apply to records from the log or the live stream. The server filters
 * what it can (names, project, person: src/kitsu/event-log.ts); this applies the rest on the
 * client, the same way for stored and live events.
 *
 * Two steps, so that the stream engine can drop most events at once and still wait for a
 * look-up only when it must: `quick` answers from the record alone when it can, `select`
 * decides for every record (looking names up where needed), keeping their order.
 */
import type { EventRecord } from '../core/record.js';
import type { SearchPlan } from './plan.js';

export interface RecordSearch {
  /** From the record alone: false (surely not), true (surely yes) or undefined (look it up). */
  quick(record: EventRecord): boolean | undefined;
  /** The records that match, in their order. */
  select(records: readonly EventRecord[]): Promise<EventRecord[]>;
  /** Canonical text of the search, for a checkpoint to tell queries apart. */
  describe(): string;
  /**
   * The projects every matching event belongs to, when the search knows (the projects of the
   * --entity ones): the server can filter on them when no --project does.
   */
  readonly serverProjects?: readonly string[];
  /** Releases what the search holds (the name resolver's cache is saved). */
  close?(): Promise<void>;
}

/** A search that needs nothing but the record (`--where` on record and data fields). */
export function recordOnlySearch(plan: SearchPlan): RecordSearch {
  const where = plan.where;
  const matches = (record: EventRecord): boolean => (where ? where.matches(record) : true);
  return {
    quick: matches,
    select: async (records) => records.filter(matches),
    describe: () => describePlan(plan),
  };
}

export function describePlan(plan: SearchPlan): string {
  const sorted = (values: readonly string[]) => [...values].map((v) => v.toLowerCase()).sort();
  return JSON.stringify({
    where: plan.where?.describe() ?? '',
    entities: sorted(plan.entities),
    taskTypes: sorted(plan.taskTypes),
    statuses: sorted(plan.statuses),
  });
}

/** Records in chunks, so that look-ups for many can go out together. */
export async function* selectEach(
  records: AsyncIterable<EventRecord>,
  search: RecordSearch,
  chunk = 200,
): AsyncGenerator<EventRecord> {
  let pending: EventRecord[] = [];
  for await (const record of records) {
    // Decided from the record alone, and nothing ahead of it waits: no need to wait either.
    if (pending.length === 0) {
      const verdict = search.quick(record);
      if (verdict === false) continue;
      if (verdict === true) {
        yield record;
        continue;
      }
    }
    pending.push(record);
    if (pending.length >= chunk) {
      const kept = await search.select(pending);
      pending = [];
      yield* kept;
    }
  }
  if (pending.length > 0) yield* await search.select(pending);
}
