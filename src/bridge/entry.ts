/**
 * An event record as a stream entry and back. Pure.
 *
 * Fields: `id`, `name`, `created_at`, `user_id`, `project_id`, `data` (JSON), `source`,
 * `names` (JSON, only from a bridge run with --names, and only when the event names
 * something), and `fence`, the leadership term of the bridge that wrote it (added by
 * WRITE_SCRIPT). A null is an empty string. Log rows have `source` "log"; an event Kitsu never
 * stores (notifications, chat) has an empty `id` and `source` "live": it was written at most
 * once, on receipt, and no log read can bring it back.
 */
import type { EventNames } from '../core/event-subject.js';
import type { EventRecord, EventSource } from '../core/record.js';
import type { NamedEventRecord } from '../output/types.js';

/**
 * The arguments WRITE_SCRIPT takes per entry, in this order: the second (for the id set), then
 * the values of `id`, `name`, `created_at`, `user_id`, `project_id`, `data`, `source`, `names`
 * ('' for none). Plain arguments, not one JSON text per entry: nothing is escaped twice here,
 * and Redis takes them apart for less than cjson (measured in the bridge bench's notes,
 * src/bridge/README.md).
 */
export const ENTRY_ARGS = 9;

/**
 * Appends the ENTRY_ARGS arguments of `record` to `args`. `second` is its log second (0 for
 * an event without a log id); `names` its names as JSON, or ''.
 */
export function pushEntryArgs(args: string[], record: EventRecord, second: number, names: string): void {
  args.push(
    String(second),
    record.id ?? '',
    record.name,
    record.created_at,
    record.user_id ?? '',
    record.project_id ?? '',
    JSON.stringify(record.data),
    record.source,
    names,
  );
}

const SOURCES: readonly EventSource[] = ['log', 'live', 'backfill'];

/**
 * A stream entry's fields as a record, or null when the entry is not one of ours (another
 * program writing to the same stream): the reader says so and goes on.
 */
export function recordFromEntry(fields: Record<string, string>): NamedEventRecord | null {
  const { name, created_at: createdAt } = fields;
  if (typeof name !== 'string' || name === '' || typeof createdAt !== 'string') return null;
  let data: unknown = {};
  try {
    data = fields.data === undefined ? {} : JSON.parse(fields.data);
  } catch {
    return null;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);
  const source = SOURCES.includes(fields.source as EventSource) ? (fields.source as EventSource) : 'log';
  const record: NamedEventRecord = {
    id: orNull(fields.id),
    name,
    created_at: createdAt,
    user_id: orNull(fields.user_id),
    project_id: orNull(fields.project_id),
    data: data as Record<string, unknown>,
    source,
  };
  // From a bridge run with --names; a text that is not an object of names is left out.
  if (fields.names !== undefined && fields.names !== '') {
    try {
      const names: unknown = JSON.parse(fields.names);
      if (names !== null && typeof names === 'object' && !Array.isArray(names)) record.names = names as EventNames;
    } catch {
      // Not ours: the record goes without names.
    }
  }
  return record;
}

/** A flat [field, value, field, value…] reply as an object. */
export function pairsToObject(flat: readonly unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}
