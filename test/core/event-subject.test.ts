/**
 * eventRefs(): what a record's payload says it is about. Payload keys as Zou sends them
 * (src/kitsu/README.md, "Names").
 */
import { describe, expect, it } from 'vitest';
import { eventRefs } from '../../src/core/event-subject.js';
import type { EventRecord } from '../../src/core/record.js';

const PROJECT = '04677bb1-2b14-4c62-9069-bd377d07ce00';
const PERSON = '4267b0a3-2005-4652-921f-37a357cd3d32';
const OTHER_PERSON = '5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const TASK = '9691d86d-0c1b-4f1a-9a39-1f3cb7e2a001';
const SHOT = '71bf6e44-bcbb-4528-ada7-ccceccd7ecc9';
const ENTITY = 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';
const WIP = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
const WFA = 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f';
const TYPE = 'd3e4f5a6-b7c8-4d9e-8f1a-2b3c4d5e6f70';

function record(name: string, data: Record<string, unknown>, extra: Partial<EventRecord> = {}): EventRecord {
  return {
    id: null,
    name,
    created_at: '2026-12-03T10:00:00Z',
    user_id: null,
    project_id: null,
    data,
    source: 'live',
    ...extra,
  };
}

describe('eventRefs', () => {
  it('a live status change: the actor is data.person_id, the new status wins over the current one', () => {
    const refs = eventRefs(
      record('task:status-changed', {
        task_id: TASK,
        person_id: PERSON,
        previous_task_status_id: WFA,
        task_status_id: WFA,
        new_task_status_id: WIP,
        project_id: PROJECT,
      }),
    );
    expect(refs).toEqual({
      project_id: PROJECT,
      actor_id: PERSON,
      assignee_id: undefined,
      task_id: TASK,
      entity_id: undefined,
      entity_kind: undefined,
      comment_id: undefined,
      preview_file_id: undefined,
      task_type_id: undefined,
      task_status_id: WIP,
      previous_task_status_id: WFA,
      asset_type_id: undefined,
      person_id: undefined,
      deleted: false,
    });
    // Whatever order the payload's keys come in.
    expect(
      eventRefs(record('task:status-changed', { new_task_status_id: WIP, task_status_id: WFA })).task_status_id,
    ).toBe(WIP);
  });

  it("the log's author and project come before the payload's", () => {
    const refs = eventRefs(
      record(
        'task:status-changed',
        { person_id: OTHER_PERSON, project_id: ENTITY },
        { user_id: PERSON, project_id: PROJECT },
      ),
    );
    expect(refs.actor_id).toBe(PERSON);
    expect(refs.project_id).toBe(PROJECT);
  });

  it('data.person_id is whom a task:assign is about, and whom a person:update is about, not who acted', () => {
    const assign = eventRefs(record('task:assign', { task_id: TASK, person_id: PERSON }));
    expect([assign.actor_id, assign.assignee_id, assign.person_id]).toEqual([undefined, PERSON, undefined]);
    const person = eventRefs(record('person:update', { person_id: PERSON }, { user_id: OTHER_PERSON }));
    expect([person.actor_id, person.assignee_id, person.person_id]).toEqual([OTHER_PERSON, undefined, PERSON]);
  });

  it("an entity event's own id comes before entity_id, with its kind; a deletion says so", () => {
    const update = eventRefs(record('shot:update', { entity_id: ENTITY, shot_id: SHOT }));
    expect([update.entity_id, update.entity_kind, update.deleted]).toEqual([SHOT, 'shot', false]);
    expect(eventRefs(record('shot:delete', { shot_id: SHOT })).deleted).toBe(true);
    // shot:delete without its shot_id names nothing it deleted.
    const bare = eventRefs(record('shot:delete', { entity_id: ENTITY }));
    expect([bare.entity_id, bare.entity_kind, bare.deleted]).toEqual([ENTITY, undefined, false]);
    const taskDelete = eventRefs(record('task:delete', { task_id: TASK, entity_id: ENTITY, task_type_id: TYPE }));
    expect([taskDelete.task_id, taskDelete.entity_id, taskDelete.task_type_id, taskDelete.deleted]).toEqual([
      TASK,
      ENTITY,
      TYPE,
      true,
    ]);
  });

  it('an asset type under asset_type_id or asset_type (asset:new), the former first', () => {
    expect(eventRefs(record('asset:new', { asset_type: TYPE })).asset_type_id).toBe(TYPE);
    expect(eventRefs(record('asset:new', { asset_type: ENTITY, asset_type_id: TYPE })).asset_type_id).toBe(TYPE);
  });

  it('upper-case UUIDs are lowered; anything that is not a UUID is left out, the second time too', () => {
    for (let time = 0; time < 2; time += 1) {
      const refs = eventRefs(
        record('comment:new', {
          task_id: TASK.toUpperCase(),
          comment_id: 'not-a-uuid',
          preview_file_id: 42,
          project_id: `${PROJECT.slice(0, 35)}g`,
          person_id: { id: PERSON },
        }),
      );
      expect([refs.task_id, refs.comment_id, refs.preview_file_id, refs.project_id, refs.actor_id]).toEqual([
        TASK,
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    }
  });
});
