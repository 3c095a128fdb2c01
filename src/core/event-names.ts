/**
 * The event names Zou emits, as its source has them (`events.emit(` across zou/app: task,
 * comment, entity, preview, person, notification and other services; see src/kitsu/README.md,
 * "Event names"). Shell completion offers them for patterns; a server of 1.0.63 or later adds
 * the names its log holds (`GET data/events/names`), cached per profile.
 *
 * Where Zou emits `<model>:new|update|delete` from its generic CRUD resources, the three are
 * listed; plugin events and `<entity_type>:update` for custom entity types are not knowable
 * here, which is why the server's list is added when there is one.
 */

const CRUD = ['new', 'update', 'delete'];
const crud = (object: string, ...more: string[]): string[] => [...CRUD, ...more].map((action) => `${object}:${action}`);

export const ZOU_EVENT_NAMES: readonly string[] = [
  ...crud('task', 'assign', 'unassign', 'status-changed', 'to-review', 'update-casting-stats'),
  ...crud('comment', 'reply', 'delete-reply', 'acknowledge', 'unacknowledge'),
  ...crud('asset', 'new-link', 'remove-link', 'casting-update'),
  ...crud('shot', 'casting-update', 'add-to-scene', 'remove-from-scene'),
  ...crud('sequence'),
  ...crud('episode', 'casting-update'),
  ...crud('scene'),
  ...crud('edit'),
  ...crud('concept'),
  ...crud('project', 'set-thumbnail'),
  ...crud('preview-file', 'add-file', 'set-main', 'annotation-update'),
  ...crud('preview-background-file', 'add-file'),
  'working-file:new',
  ...crud('output-file'),
  ...crud('person', 'set-thumbnail'),
  'department:new',
  'organisation:update',
  'organisation:set-thumbnail',
  'notification:new',
  'notification:read',
  'notification:unread',
  'notification:all-read',
  'chat:joined',
  'chat:left',
  'chat:new-message',
  'chat:deleted-message',
  ...crud('metadata-descriptor'),
  'schedule-item:new',
  ...crud('time-spent'),
  ...crud('news'),
  'playlist:delete',
  ...crud('entity-link'),
  ...crud('budget'),
  ...crud('budget-entry'),
  ...crud('build-job'),
  ...crud('asset-type'),
  'task-type:new',
  'task-status:new',
  'main:test',
];

/** `names`, each object's `object:*` pattern beside them, sorted, once each. */
export function withObjectPatterns(names: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const name of names) {
    all.add(name);
    const colon = name.indexOf(':');
    if (colon > 0) all.add(`${name.slice(0, colon)}:*`);
  }
  return [...all].sort();
}
