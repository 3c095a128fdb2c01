/**
 * Field paths over an event record, the one vocabulary of `--where`, `--fields` and
 * `--count-by`: the record's own keys (`name`, `project_id` …), `data.<key>` for the payload
 * (dots go deeper: `data.a.b`), and `names.<key>` for the names `--names` attaches.
 *
 * Pure: no I/O. A path is checked once (parseFieldPath) and then read from each record
 * without allocating (FieldPath.get).
 */
import { UsageError } from '../errors.js';
import type { EventRecord } from './record.js';

/** The keys of the record itself (DESIGN.md's record), in its order. */
export const RECORD_FIELDS = ['id', 'name', 'created_at', 'user_id', 'project_id', 'source'] as const;

/** Short names people type, for the record's own keys. */
const ALIASES: Readonly<Record<string, string>> = {
  event: 'name',
  time: 'created_at',
  person: 'user_id',
  user: 'user_id',
  project: 'project_id',
};

/** What the usage errors list. */
export const FIELD_HELP = `${RECORD_FIELDS.join(', ')}, data (the whole payload), data.<key>, names.<key>; --fields also takes data.* (a column per payload key)`;

export interface FieldPath {
  /** As the user should see it: `name`, `data.task_id`, `names.entity`. */
  readonly label: string;
  /** The first segment: a record key, `data` or `names`. */
  readonly root: string;
  /** The keys below the root (`['task_id']` for `data.task_id`). */
  readonly keys: readonly string[];
  /** The value at this path in the record, undefined when it has none. */
  get(record: EventRecord): unknown;
}

/**
 * Parses `name`, `data.task_id`, `names.entity`, or an alias (`project` for `project_id`).
 * `flag` names the option in the error (`--where`, `--fields`).
 */
export function parseFieldPath(text: string, flag: string): FieldPath {
  const trimmed = text.trim();
  const [first = '', ...rest] = trimmed.split('.');
  const root = ALIASES[first] ?? first;
  const bad = (problem: string): UsageError => new UsageError(`${flag}: ${problem}`, `fields are ${FIELD_HELP}`);
  if (trimmed === '') throw bad('a field name is missing');
  if (rest.some((key) => key === '')) throw bad(`'${shown(trimmed)}' has an empty part between dots`);
  if ((RECORD_FIELDS as readonly string[]).includes(root)) {
    if (rest.length > 0) throw bad(`'${shown(trimmed)}': ${root} has no parts below it`);
    return { label: root, root, keys: [], get: (record) => (record as unknown as Record<string, unknown>)[root] };
  }
  if (root === 'data' || root === 'names') {
    if (root === 'names' && rest.length === 0) throw bad("'names' needs a key, as in names.entity");
    const keys = rest;
    const label = [root, ...keys].join('.');
    return {
      label,
      root,
      keys,
      get(record) {
        let value: unknown = (record as unknown as Record<string, unknown>)[root];
        for (const key of keys) {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
          value = (value as Record<string, unknown>)[key];
        }
        return value;
      },
    };
  }
  throw bad(`unknown field '${shown(trimmed)}'`);
}

/**
 * The payload keys Zou's events carry (see src/kitsu/README.md), in the order a person reads
 * them: what `data.*` spreads into columns. A CSV streams, so its columns are fixed before
 * the first row; keys outside this list go, as JSON, into one last `data.*` column.
 */
export const DATA_KEYS = [
  'project_id',
  'task_id',
  'entity_id',
  'asset_id',
  'asset_type',
  'asset_type_id',
  'shot_id',
  'sequence_id',
  'episode_id',
  'edit_id',
  'concept_id',
  'task_type_id',
  'task_status_id',
  'previous_task_status_id',
  'new_task_status_id',
  'person_id',
  'assigner_id',
  'comment_id',
  'reply_id',
  'preview_file_id',
  'revision',
  'extension',
  'status',
  'playlist_id',
  'news_id',
  'notification_id',
  'chat_id',
  'chat_message_id',
  'department_id',
  'organisation_id',
] as const;

const KNOWN_DATA_KEYS: ReadonlySet<string> = new Set(DATA_KEYS);

/** `data.*`'s last column: the payload keys DATA_KEYS does not list, as an object, or nothing. */
const otherDataPath: FieldPath = {
  label: 'data.*',
  root: 'data',
  keys: ['*'],
  get(record) {
    let rest: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(record.data)) {
      if (KNOWN_DATA_KEYS.has(key)) continue;
      (rest ??= {})[key] = value;
    }
    return rest;
  },
};

/**
 * A comma-separated list of paths (`--fields name,created_at,data.task_id`); `data.*`
 * stands for a column per known payload key and one for the rest.
 */
export function parseFieldList(text: string, flag: string): FieldPath[] {
  const items = text.split(',').map((item) => item.trim());
  if (items.every((item) => item === '')) {
    throw new UsageError(
      `${flag} needs at least one field`,
      `such as ${flag} created_at,name,data.task_id; fields are ${FIELD_HELP}`,
    );
  }
  return items
    .filter((item) => item !== '')
    .flatMap((item) =>
      item === 'data.*'
        ? [...DATA_KEYS.map((key) => parseFieldPath(`data.${key}`, flag)), otherDataPath]
        : [parseFieldPath(item, flag)],
    );
}

/**
 * A value as text, for matching and for table and CSV cells: strings as they are, numbers
 * and booleans as JSON writes them, objects and arrays as compact JSON; null and missing
 * are null.
 */
export function fieldText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Control characters shown as '?' in a message that quotes what the user typed. */
function shown(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
