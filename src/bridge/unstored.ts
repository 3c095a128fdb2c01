/**
 * The events Zou emits with `persist=False`, which reach the live stream only and never the
 * log (call sites of `events.emit(..., persist=False)` in zou/app/services and
 * zou/app/blueprints, listed in src/kitsu/README.md): the bridge writes these on receipt, at
 * most once, since no log read can bring them back or tell whether one was missed.
 */
const UNSTORED = new Set([
  'main:test',
  'task:update-casting-stats',
  'comment:acknowledge',
  'comment:unacknowledge',
  'comment:delete-reply',
  'notification:new',
  'chat:joined',
  'chat:left',
  'chat:new-message',
  'chat:deleted-message',
]);

export function isUnstoredEvent(name: string): boolean {
  return UNSTORED.has(name) || name.startsWith('preview-room:');
}
