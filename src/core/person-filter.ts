/**
 * The two meanings of `--person`, side by side. The event log says who acted (the row's
 * `user_id`); a live event never does, so on the stream `--person` matches the person the
 * event is about (`data.person_id`: assignments, status changes). `logs --follow` uses the
 * first for its history and the second once it goes live, and warns that it does.
 */
import type { EventRecord } from './record.js';

/** The event log's --person: `record` was made by one of `personIds`. */
export function actedByOneOf(record: Pick<EventRecord, 'user_id'>, personIds: readonly string[]): boolean {
  return record.user_id !== null && personIds.includes(record.user_id);
}

/** The live --person: `record` is about one of `personIds` (its `data.person_id`). */
export function isAboutOneOf(record: Pick<EventRecord, 'data'>, personIds: ReadonlySet<string>): boolean {
  const person = record.data.person_id;
  return typeof person === 'string' && personIds.has(person);
}
