/**
 * The small helpers that moved into core: seconds, the --follow seam, the two meanings of
 * --person, newest-first with a limit, and an abortable sleep.
 */
import { describe, expect, it } from 'vitest';
import { newestFirst } from '../../src/core/newest-first.js';
import { actedByOneOf, isAboutOneOf } from '../../src/core/person-filter.js';
import { SeamTracker } from '../../src/core/seam.js';
import { fromSecond, secondOf, toSecond } from '../../src/core/seconds.js';
import { sleep } from '../../src/core/sleep.js';
import { sampleRecord } from '../helpers/output.js';

describe('seconds', () => {
  it('round a time down to its second, and back to the start of that second', () => {
    expect(toSecond(new Date('2026-11-29T08:00:01.999Z'))).toBe(Date.UTC(2026, 10, 29, 8, 0, 1) / 1000);
    expect(toSecond(undefined)).toBeUndefined();
    expect(fromSecond(toSecond(new Date('2026-11-29T08:00:01.999Z')))).toEqual(new Date('2026-11-29T08:00:01Z'));
    expect(fromSecond(undefined)).toBeUndefined();
    expect(secondOf({ created_at: '2026-11-29T08:00:01Z' })).toBe(secondOf({ created_at: '2026-11-29T08:00:01.750Z' }));
  });
});

describe('SeamTracker', () => {
  it('keeps the last second printed and only the ids printed in it', () => {
    const seam = new SeamTracker();
    expect(seam.second).toBeNull();
    seam.note(sampleRecord({ id: 'a', created_at: '2026-11-29T08:00:01Z' }));
    seam.note(sampleRecord({ id: 'b', created_at: '2026-11-29T08:00:02Z' }));
    seam.note(sampleRecord({ id: 'c', created_at: '2026-11-29T08:00:02Z' }));
    seam.note(sampleRecord({ id: null, created_at: '2026-11-29T08:00:02Z' }));
    expect(seam.second).toBe(secondOf({ created_at: '2026-11-29T08:00:02Z' }));
    expect([...seam.ids]).toEqual(['b', 'c']);
  });
});

describe('--person, both meanings', () => {
  const record = sampleRecord({ user_id: 'actor', data: { person_id: 'subject' } });
  it('the log: who acted (user_id)', () => {
    expect(actedByOneOf(record, ['actor'])).toBe(true);
    expect(actedByOneOf(record, ['subject'])).toBe(false);
    expect(actedByOneOf(sampleRecord({ user_id: null }), ['actor'])).toBe(false);
  });
  it('live: whom the event is about (data.person_id)', () => {
    expect(isAboutOneOf(record, new Set(['subject']))).toBe(true);
    expect(isAboutOneOf(record, new Set(['actor']))).toBe(false);
    expect(isAboutOneOf(sampleRecord({ data: { person_id: 7 } }), new Set(['7']))).toBe(false);
  });
});

describe('newestFirst', () => {
  async function* newest(n: number): AsyncIterable<number> {
    for (let i = n; i >= 1; i -= 1) yield i;
  }
  it('keeps the newest `limit`, returned oldest first, printing nothing itself', async () => {
    const printed: number[] = [];
    expect(await newestFirst(newest(10), 3, false, async (r) => void printed.push(r))).toEqual([8, 9, 10]);
    expect(printed).toEqual([]);
  });
  it('with reverse, streams newest first through print and keeps nothing', async () => {
    const printed: number[] = [];
    expect(await newestFirst(newest(10), 3, true, async (r) => void printed.push(r))).toEqual([]);
    expect(printed).toEqual([10, 9, 8]);
  });
  it('without a limit, takes everything', async () => {
    expect(await newestFirst(newest(4), null, false, async () => {})).toEqual([1, 2, 3, 4]);
  });
});

describe('sleep', () => {
  it('ends at once when the signal aborts, and never rejects', async () => {
    const controller = new AbortController();
    const slept = sleep(3_600_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).resolves.toBeUndefined();
    await expect(sleep(3_600_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});
