/** The arithmetic of --stats: breakdowns, local-time buckets, bucket sizes. */
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import { ActivityStats, Breakdown, bucketUnitFor, entityKeyOf } from '../../src/core/stats.js';
import { fixedOffsetZone, namedTimeZone, utcTimeZone } from '../../src/core/time.js';
import { bar } from '../../src/output/stats.js';

const at = (iso: string, over: Partial<EventRecord> = {}): EventRecord => ({
  id: null,
  name: 'task:update',
  created_at: iso,
  user_id: null,
  project_id: null,
  data: {},
  source: 'log',
  ...over,
});

describe('Breakdown', () => {
  it('largest first, ties by key, null last; top N with the rest counted', () => {
    const b = new Breakdown();
    for (const key of ['b', 'a', 'b', null, 'c', 'a', 'b']) b.add(key);
    expect(b.top()).toEqual({
      top: [
        { key: 'b', count: 3 },
        { key: 'a', count: 2 },
        { key: 'c', count: 1 },
        { key: null, count: 1 },
      ],
      distinct: 4,
      others: 0,
    });
    expect(b.top(2)).toEqual({
      top: [
        { key: 'b', count: 3 },
        { key: 'a', count: 2 },
      ],
      distinct: 4,
      others: 2,
    });
  });
});

describe('ActivityStats', () => {
  it('counts by name, project, person, entity, and keeps first and last', () => {
    const s = new ActivityStats({ zone: utcTimeZone });
    s.add(at('2026-11-29T10:00:00Z', { name: 'task:new', project_id: 'p', user_id: 'u', data: { task_id: 't' } }));
    s.add(at('2026-11-29T08:00:00Z', { name: 'asset:update', project_id: 'p', data: { asset_id: 'a', task_id: 't' } }));
    s.add(at('2026-11-29T09:30:00Z', { project_id: 'q', user_id: 'u' }));
    expect(s.total).toBe(3);
    expect(new Date(s.firstMs!).toISOString()).toBe('2026-11-29T08:00:00.000Z');
    expect(new Date(s.lastMs!).toISOString()).toBe('2026-11-29T10:00:00.000Z');
    expect(s.byProject.top().top).toEqual([
      { key: 'p', count: 2 },
      { key: 'q', count: 1 },
    ]);
    expect(s.byPerson.top().top).toEqual([
      { key: 'u', count: 2 },
      { key: null, count: 1 },
    ]);
    expect(s.byEntity.top().top).toEqual([
      { key: 'asset:a', count: 1 },
      { key: 'task:t', count: 1 },
      { key: null, count: 1 },
    ]);
  });

  it('hour buckets over a short range, empty hours included, the sum is the total', () => {
    const s = new ActivityStats({ zone: utcTimeZone });
    for (const iso of ['2026-11-29T08:10:00Z', '2026-11-29T08:50:00Z', '2026-11-29T11:00:00Z']) s.add(at(iso));
    const h = s.histogram({ fromMs: Date.parse('2026-11-29T07:30:00Z'), toMs: Date.parse('2026-11-29T12:00:00Z') });
    expect(h.unit).toBe('hour');
    expect(h.buckets.map((b) => [new Date(b.startMs).toISOString().slice(11, 16), b.count])).toEqual([
      ['07:00', 0],
      ['08:00', 2],
      ['09:00', 0],
      ['10:00', 0],
      ['11:00', 1],
      ['12:00', 0],
    ]);
  });

  it('day buckets start at local midnight', () => {
    const paris = namedTimeZone('Europe/Paris');
    const s = new ActivityStats({ zone: paris });
    // 23:30 UTC on the 28th is 00:30 on the 29th in Paris (UTC+1 in winter).
    s.add(at('2026-11-28T23:30:00Z'));
    s.add(at('2026-11-28T22:30:00Z'));
    s.add(at('2026-12-02T12:00:00Z'));
    const h = s.histogram();
    expect(h.unit).toBe('day');
    expect(h.buckets.map((b) => [new Date(b.startMs).toISOString(), b.count])).toEqual([
      ['2026-11-27T23:00:00.000Z', 1],
      ['2026-11-28T23:00:00.000Z', 1],
      ['2026-11-29T23:00:00.000Z', 0],
      ['2026-11-30T23:00:00.000Z', 0],
      ['2026-12-01T23:00:00.000Z', 1],
    ]);
  });

  it('a half-hour zone keeps hour buckets on its own clock', () => {
    const s = new ActivityStats({ zone: fixedOffsetZone(330) });
    s.add(at('2026-11-29T08:29:00Z'));
    s.add(at('2026-11-29T08:31:00Z'));
    const h = s.histogram();
    expect(h.buckets.map((b) => [new Date(b.localStart).toISOString().slice(11, 16), b.count])).toEqual([
      ['13:00', 1],
      ['14:00', 1],
    ]);
  });

  it('bucket size follows the range', () => {
    expect(bucketUnitFor(3_600_000)).toBe('hour');
    expect(bucketUnitFor(48 * 3_600_000)).toBe('hour');
    expect(bucketUnitFor(49 * 3_600_000)).toBe('day');
    expect(bucketUnitFor(200 * 86_400_000)).toBe('week');
  });

  it('entityKeyOf prefers the entity to the task', () => {
    expect(entityKeyOf(at('x', { data: { shot_id: 's', task_id: 't' } }))).toBe('shot:s');
    expect(entityKeyOf(at('x', { data: { task_id: 't' } }))).toBe('task:t');
    expect(entityKeyOf(at('x', { data: {} }))).toBeNull();
  });

  it('bars in eighths of a cell', () => {
    expect(bar(10, 10, 4)).toBe('████');
    expect(bar(5, 10, 4)).toBe('██');
    expect(bar(1, 16, 4)).toBe('▎');
    expect(bar(0, 10, 4)).toBe('');
    expect(bar(1, 1000, 4)).toBe('▏');
  });
});
