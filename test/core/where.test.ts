/** --where and the field paths behind --where, --fields and --count-by: pure, no server. */
import { describe, expect, it } from 'vitest';
import { parseFieldList, parseFieldPath } from '../../src/core/fields.js';
import type { EventRecord } from '../../src/core/record.js';
import { parseWhere, valueMatcher } from '../../src/core/where.js';
import { UsageError } from '../../src/errors.js';

const record = (over: Partial<EventRecord> = {}): EventRecord => ({
  id: '11111111-2222-3333-4444-555555555555',
  name: 'task:status-changed',
  created_at: '2026-11-29T08:00:01Z',
  user_id: 'aaaaaaaa-0000-0000-0000-000000000000',
  project_id: 'pppppppp-0000-0000-0000-000000000000',
  data: {
    task_id: 'tttttttt-0000',
    new_task_status_id: 'wfa-id',
    revision: 3,
    tags: ['a', 'b'],
    nested: { deep: 'x' },
  },
  source: 'log',
  ...over,
});

describe('field paths', () => {
  it('reads record fields, aliases, data keys at any depth and names', () => {
    const r = { ...record(), names: { entity: 'SQ01 / SH010' } } as EventRecord;
    expect(parseFieldPath('name', '--where').get(r)).toBe('task:status-changed');
    expect(parseFieldPath('project', '--where').label).toBe('project_id');
    expect(parseFieldPath('data.revision', '--where').get(r)).toBe(3);
    expect(parseFieldPath('data.nested.deep', '--where').get(r)).toBe('x');
    expect(parseFieldPath('data.missing.deep', '--where').get(r)).toBeUndefined();
    expect(parseFieldPath('names.entity', '--where').get(r)).toBe('SQ01 / SH010');
  });

  it('refuses an unknown field with a usage error that lists the fields', () => {
    for (const bad of ['nam', 'name.x', 'names', 'data..x', '']) {
      let error: unknown;
      try {
        parseFieldPath(bad, '--where');
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).hint).toContain('created_at');
      expect((error as UsageError).hint).toContain('data.<key>');
    }
  });

  it('data.* spreads into a column per known payload key and one for the rest', () => {
    const fields = parseFieldList('name,data.*', '--fields');
    expect(fields[0]!.label).toBe('name');
    expect(fields.map((f) => f.label)).toContain('data.task_id');
    const rest = fields[fields.length - 1]!;
    expect(rest.label).toBe('data.*');
    expect(rest.get(record())).toEqual({ tags: ['a', 'b'], nested: { deep: 'x' } });
    expect(rest.get(record({ data: { task_id: 'x' } }))).toBeUndefined();
  });
});

describe('--where', () => {
  it('globs, case-insensitive, whole value', () => {
    expect(valueMatcher('task:*')('task:new')).toBe(true);
    expect(valueMatcher('task:*')('task-type:new')).toBe(false);
    expect(valueMatcher('TASK:NEW')('task:new')).toBe(true);
    expect(valueMatcher('?ask:new')('task:new')).toBe(true);
    expect(valueMatcher('task')('task:new')).toBe(false);
    expect(valueMatcher('a\\*b')('a*b')).toBe(true);
    expect(valueMatcher('a\\*b')('axb')).toBe(false);
    expect(valueMatcher('')(null)).toBe(true);
    expect(valueMatcher('')('x')).toBe(false);
    expect(valueMatcher('*')(null)).toBe(false);
  });

  it('same field: any of them; different fields: all; != excludes', () => {
    const a = record({ name: 'task:new' });
    const b = record({ name: 'comment:new' });
    const c = record({ name: 'comment:new', project_id: 'other' });
    const either = parseWhere(['name=task:*', 'name=comment:*']);
    expect([a, b, c].map((r) => either.matches(r))).toEqual([true, true, true]);
    const both = parseWhere(['name=comment:*', 'project_id=pppp*']);
    expect([a, b, c].map((r) => both.matches(r))).toEqual([false, true, false]);
    const not = parseWhere(['name!=task:*']);
    expect([a, b, c].map((r) => not.matches(r))).toEqual([false, true, true]);
  });

  it('numbers, arrays, missing values, and names.* marks the filter as needing names', () => {
    expect(parseWhere(['data.revision=3']).matches(record())).toBe(true);
    expect(parseWhere(['data.tags=b']).matches(record())).toBe(true);
    expect(parseWhere(['data.tags=c']).matches(record())).toBe(false);
    expect(parseWhere(['data.comment_id=']).matches(record())).toBe(true);
    expect(parseWhere(['data.task_id=']).matches(record())).toBe(false);
    expect(parseWhere(['data.task_id=']).needsNames).toBe(false);
    expect(parseWhere(['names.entity=SH*']).needsNames).toBe(true);
  });

  it('refuses what is not FIELD=VALUE', () => {
    expect(() => parseWhere(['name'])).toThrow(UsageError);
    expect(() => parseWhere(['=x'])).toThrow(/FIELD=VALUE/);
    expect(() => parseWhere(['bogus=x'])).toThrow(/unknown field 'bogus'/);
  });
});
