/**
 * What an event is about, read from its payload alone (no I/O): the ids of the project, the
 * people, the task, the entity, the comment, the preview and the statuses it names. The name
 * resolver (src/kitsu/names.ts) turns these into names; the filters use them as they are.
 *
 * The payload keys are Zou's (kitsu-tail's src/kitsu/README.md, "Names"): `task:status-changed`
 * carries task_id, person_id, new_task_status_id and previous_task_status_id; `comment:new`
 * task_id, comment_id and task_status_id; `preview-file:new` only preview_file_id and
 * comment_id; `task:delete` task_id, entity_id and task_type_id; `asset:new` asset_id and the
 * asset type's id under `asset_type`.
 */
import type { EventRecord } from './record.js';

/** The kinds of entity whose events name them by `<kind>_id` (`shot:update` → shot_id). */
export const ENTITY_KINDS = ['asset', 'shot', 'sequence', 'episode', 'edit', 'concept', 'scene'] as const;
export type EntityKindKey = (typeof ENTITY_KINDS)[number];

export interface EventRefs {
  project_id?: string;
  /** Who acted: the row's user_id (log events), else data.person_id where it is the actor. */
  actor_id?: string;
  /** Whom a task:assign/unassign is about. */
  assignee_id?: string;
  task_id?: string;
  /** An entity named directly (asset:update, task:delete's entity_id, chat's entity_id). */
  entity_id?: string;
  /** The kind the event name says the entity is, when it says (asset:update → asset). */
  entity_kind?: EntityKindKey;
  comment_id?: string;
  preview_file_id?: string;
  task_type_id?: string;
  /** The status a task went to or is in (new_task_status_id, else task_status_id). */
  task_status_id?: string;
  previous_task_status_id?: string;
  asset_type_id?: string;
  /** person:* events: the person they are about. */
  person_id?: string;
  /** Whether the event says that its own subject was deleted (asset:delete, task:delete). */
  deleted: boolean;
}

/** The `names` object that `--names` adds to a record: only what applies to the event. */
export interface EventNames {
  project?: string;
  /** Who acted. */
  person?: string;
  /** Whom a task:assign or task:unassign is about. */
  assignee?: string;
  /** The entity path: `E01 / SQ010 / SH010`, `SQ010 / SH010`, `Character / Fox`. */
  entity?: string;
  /** Kitsu's entity type: Asset, Shot, Sequence, Episode, Edit, Concept. */
  entity_type?: string;
  asset_type?: string;
  task_type?: string;
  /** The short name of the status the event names (the new one for a status change). */
  task_status?: string;
  previous_task_status?: string;
}

const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Lower-case UUIDs seen already. Asking the set hashes the id, which V8 keeps with the string:
 * the name cache's look-ups of the same id then reuse it, where the pattern read all 36
 * characters again at every event. A stream names a bounded set of ids; past this many the
 * set starts again.
 */
const seenIds = new Set<string>();
const SEEN_IDS_MAX = 100_000;

/** The value when it is a UUID, in lower case (Zou's are: then it is the value itself, no copy). */
function id(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length !== 36) return undefined;
  if (seenIds.has(value)) return value;
  if (UUID_LOWER.test(value)) {
    if (seenIds.size >= SEEN_IDS_MAX) seenIds.clear();
    seenIds.add(value);
    return value;
  }
  return UUID.test(value) ? value.toLowerCase() : undefined;
}

// Events whose data.person_id is the person who acted (a live event has no user_id).
const ACTOR_PERSON = /^(task:status-changed|task:to-review|chat:new-message|comment:[a-z-]+)$/;

/**
 * The references of one record. Unknown keys are ignored; wrong-typed values too.
 *
 * Every key is set, absent ones to undefined, in one order: every event's references are then
 * one shape of object, and the many reads of them (the name resolver's, the filters') stay
 * monomorphic, where with only the keys that apply they came in dozens of shapes.
 */
export function eventRefs(record: EventRecord): EventRefs {
  const data = record.data;
  const shape = nameShape(record.name);
  const dataPerson = id(data.person_id);
  const own = shape.entityKey !== undefined ? id(data[shape.entityKey]) : undefined;
  return {
    project_id: id(record.project_id) ?? id(data.project_id),
    actor_id: id(record.user_id) ?? (shape.actorPerson ? dataPerson : undefined),
    assignee_id: shape.assignee ? dataPerson : undefined,
    task_id: id(data.task_id),
    entity_id: own ?? id(data.entity_id),
    entity_kind: own !== undefined ? shape.entityKind : undefined,
    comment_id: id(data.comment_id),
    preview_file_id: id(data.preview_file_id),
    task_type_id: id(data.task_type_id),
    task_status_id: id(data.new_task_status_id) ?? id(data.task_status_id),
    previous_task_status_id: id(data.previous_task_status_id),
    asset_type_id: id(data.asset_type_id) ?? id(data.asset_type),
    person_id: shape.aboutPerson ? dataPerson : undefined,
    deleted: shape.deletesTask || (shape.deletesEntity && own !== undefined),
  };
}

/** What an event's name says about reading its payload. */
interface NameShape {
  /** data.person_id is who acted. */
  actorPerson: boolean;
  /** data.person_id is whom a task is (un)assigned to. */
  assignee: boolean;
  /** data.person_id is the person a person:* event is about. */
  aboutPerson: boolean;
  /** `shot_id` for shot:*: the key of the entity the event is about, by its kind. */
  entityKey: string | undefined;
  entityKind: EntityKindKey | undefined;
  deletesTask: boolean;
  deletesEntity: boolean;
}

/** By event name: a stream has a few dozen, each read once rather than at every event. */
const shapes = new Map<string, NameShape>();

function nameShape(name: string): NameShape {
  let shape = shapes.get(name);
  if (shape) return shape;
  const colon = name.indexOf(':');
  const kind = name.slice(0, colon < 0 ? name.length : colon);
  const action = colon < 0 ? '' : name.slice(colon + 1);
  const entityKind = (ENTITY_KINDS as readonly string[]).includes(kind) ? (kind as EntityKindKey) : undefined;
  shape = {
    actorPerson: ACTOR_PERSON.test(name),
    assignee: kind === 'task' && (action === 'assign' || action === 'unassign'),
    aboutPerson: kind === 'person',
    entityKey: entityKind ? `${entityKind}_id` : undefined,
    entityKind,
    deletesTask: kind === 'task' && action === 'delete',
    deletesEntity: entityKind !== undefined && action === 'delete',
  };
  // Names come from the server: one that made up new ones for ever is not remembered past this.
  if (shapes.size < 1000) shapes.set(name, shape);
  return shape;
}
