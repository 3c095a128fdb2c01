import { describe, expect, it } from 'vitest';
import { fixedOffsetZone, utcTimeZone } from '../../src/core/time.js';
import type { EventRecord } from '../../src/core/record.js';
import { eventTableRenderer, shortId, verbColor, type TableOptions } from '../../src/output/table.js';
import { displayWidth } from '../../src/output/width.js';
import { intBetween, pick, seededRandom } from '../helpers/core.js';
import { sampleRecord } from '../helpers/output.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const names = {
  project: (id: string) => (id === sampleRecord().project_id ? 'Big Buck Bunny' : undefined),
  person: (id: string) => (id === sampleRecord().user_id ? 'Alice Martin' : undefined),
};

function renderAll(records: EventRecord[], options: Partial<TableOptions> = {}): string {
  const renderer = eventTableRenderer({ color: false, zone: utcTimeZone, now: () => NOW, names, ...options });
  return records.map((r) => renderer.record(r)).join('') + renderer.end();
}

describe('verbColor', () => {
  const cases: Array<[string, string | undefined]> = [
    ['new', 'green'],
    ['add-file', 'green'],
    ['new-link', 'green'],
    ['add-to-scene', 'green'],
    ['update', 'yellow'],
    ['status-changed', 'yellow'],
    ['casting-update', 'yellow'],
    ['set-thumbnail', 'yellow'],
    ['delete', 'red'],
    ['delete-reply', 'red'],
    ['remove-link', 'red'],
    ['remove-from-scene', 'red'],
    ['assign', undefined],
    ['to-review', undefined],
    ['acknowledge', undefined],
    ['renew', undefined],
    ['settle', undefined],
  ];
  it.each(cases)('%s → %s', (action, color) => {
    expect(verbColor(action)).toBe(color);
  });
});

describe('the event table', () => {
  it('shows time, name, project and person by name, and a summary of data', () => {
    const line = renderAll([sampleRecord()]);
    expect(line).toBe(
      '08:00:01   task:status-changed         Big Buck Bunny    Alice Martin    task=c3d4e5f6 new_task_status=d4e5f6a7\n',
    );
  });

  it('falls back to short ids when the directory does not know a name', () => {
    const line = renderAll([sampleRecord()], { names: undefined });
    expect(line).toContain('b2c3d4e5          a1b2c3d4');
    expect(shortId('not-a-uuid')).toBe('not-a-uuid');
  });

  it('resolves people and projects inside data too, and leaves out the duplicate project', () => {
    const line = renderAll([
      sampleRecord({
        user_id: null,
        data: {
          task_id: 'c3d4e5f6-0000-4000-8000-000000000004',
          person_id: sampleRecord().user_id,
          project_id: sampleRecord().project_id,
          revision: 3,
          note: 'two words',
          tags: ['x', 'y'],
          extra: { a: 1 },
          gone: null,
        },
      }),
    ]);
    expect(line).toContain('task=c3d4e5f6 person=Alice Martin revision=3 note="two words" tags=x,y extra={"a":1}\n');
    expect(line).not.toContain('project=');
    expect(line).not.toContain('gone');
  });

  it('names task statuses when the directory knows them', () => {
    const status = (id: string) => (id === sampleRecord().data.new_task_status_id ? 'wip' : undefined);
    const data = { ...sampleRecord().data, previous_task_status_id: 'e5f6a7b8-0000-4000-8000-000000000006' };
    const line = renderAll([sampleRecord({ data })], { names: { ...names, taskStatus: status } });
    expect(line).toContain('task=c3d4e5f6 new_task_status=wip previous_task_status=e5f6a7b8\n');
  });

  it('shortens an id whatever its key is called (asset:new names its type asset_type)', () => {
    const line = renderAll([
      sampleRecord({ name: 'asset:new', data: { asset_type: '244c623e-de9a-4305-bb5d-526491736427', note: 'kept' } }),
    ]);
    expect(line).toContain('asset_type=244c623e note=kept\n');
  });

  it('shows local time in the zone it is given', () => {
    expect(renderAll([sampleRecord()], { zone: fixedOffsetZone(-5 * 60) })).toMatch(/^03:00:01 /);
  });

  it('puts the date on a separator line when events are not from today, and when the day changes', () => {
    const text = renderAll([
      sampleRecord({ created_at: '2026-11-27T23:59:59Z' }),
      sampleRecord({ created_at: '2026-11-28T00:00:01Z' }),
      sampleRecord({ created_at: '2026-11-28T10:00:00Z' }),
      sampleRecord({ created_at: '2026-11-29T08:00:01Z' }),
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, 20).trimEnd())).toEqual([
      '── Fri 2026-11-27 ──',
      '23:59:59   task:stat',
      '── Sat 2026-11-28 ──',
      '00:00:01   task:stat',
      '10:00:00   task:stat',
      '── Sun 2026-11-29 ──',
      '08:00:01   task:stat',
    ]);
  });

  it('says the zone once, in its first line: alone for today, with the first date otherwise', () => {
    const zoneLabel = (ms: number) =>
      ms === Date.parse('2026-11-27T23:59:59Z') ? 'UTC-05:00 America/New_York' : 'UTC';
    const days = renderAll(
      [
        sampleRecord({ created_at: '2026-11-27T23:59:59Z' }),
        sampleRecord({ created_at: '2026-11-28T10:00:00Z' }),
        sampleRecord({ created_at: '2026-11-29T08:00:01Z' }),
      ],
      { zoneLabel },
    );
    // The zone at the first event's time (daylight saving), and every day's date in full.
    expect(
      days
        .trimEnd()
        .split('\n')
        .map((l) => l.slice(0, 20).trimEnd()),
    ).toEqual([
      '── Fri 2026-11-27 ·',
      '23:59:59   task:stat',
      '── Sat 2026-11-28 ──',
      '10:00:00   task:stat',
      '── Sun 2026-11-29 ──',
      '08:00:01   task:stat',
    ]);
    expect(days.split('\n')[0]).toBe('── Fri 2026-11-27 · times in UTC-05:00 America/New_York ──');
    const today = renderAll([sampleRecord(), sampleRecord()], { zoneLabel }).split('\n');
    expect(today[0]).toBe('── times in UTC ──');
    expect(today.filter((l) => l.includes('times in'))).toHaveLength(1);
    expect(today).toHaveLength(4);
    // A record whose time cannot be read is shown as it is; the zone is the one of now.
    expect(renderAll([sampleRecord({ created_at: 'not a time' })], { zoneLabel }).split('\n')[0]).toContain(
      'times in UTC',
    );
  });

  it("prints no date for today's events", () => {
    expect(renderAll([sampleRecord(), sampleRecord()]).split('\n')).toHaveLength(3);
  });

  it('marks where stored history gives way to the live stream, and backfill with ↺', () => {
    const text = renderAll([
      sampleRecord({ source: 'log' }),
      sampleRecord({ source: 'live', id: null, created_at: '2026-11-29T08:00:02.123Z' }),
      sampleRecord({ source: 'backfill', created_at: '2026-11-29T08:00:03Z' }),
      sampleRecord({ source: 'live', id: null, created_at: '2026-11-29T08:00:04.000Z' }),
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, 30))).toEqual([
      '08:00:01   task:status-changed',
      '── live ──',
      '08:00:02   task:status-changed',
      '08:00:03 ↺ task:status-changed',
      '08:00:04   task:status-changed',
    ]);
  });

  it('leaves out the person column for a stream that starts live, naming a backfilled author in the summary', () => {
    const text = renderAll([
      sampleRecord({ source: 'live', id: null, user_id: null }),
      sampleRecord({ source: 'backfill', created_at: '2026-11-29T08:00:03Z' }),
    ]);
    expect(text.split('\n')).toEqual([
      '08:00:01   task:status-changed         Big Buck Bunny    task=c3d4e5f6 new_task_status=d4e5f6a7',
      '08:00:03 ↺ task:status-changed         Big Buck Bunny    by=Alice Martin task=c3d4e5f6 new_task_status=d4e5f6a7',
      '',
    ]);
  });

  it('colours the action by verb and dims a backfilled row, only when asked', () => {
    const colored = renderAll(
      [sampleRecord({ name: 'task:delete' }), sampleRecord({ name: 'task:new', source: 'backfill' })],
      { color: true },
    );
    expect(colored).toContain('task:\u001b[31mdelete\u001b[39m');
    // Every visible part of a backfilled row is dim (other colours aside).
    const backfillLine = colored.split('\n')[1]!.replace(/\u001b\[(?!2m|22m)[0-9;]*m/g, '');
    const parts = backfillLine.split(/\u001b\[2?2m/).filter((p) => p.trim());
    expect(parts.length).toBeGreaterThan(4);
    for (const part of parts) expect(backfillLine).toContain(`\u001b[2m${part}\u001b[22m`);
    expect(renderAll([sampleRecord({ name: 'task:delete' })])).not.toContain('\u001b');
  });

  it('never makes a line wider than the terminal, nor ends it with two ellipses (seeded property test)', () => {
    const random = seededRandom(5);
    const words = ['task', 'shot-010', '日本語', '🎬🎬', 'e\u0301', 'a b', 'x'.repeat(50), '✔'];
    for (let i = 0; i < 2000; i += 1) {
      const columns = intBetween(random, 20, 140);
      const data: Record<string, unknown> = {};
      for (let k = intBetween(random, 0, 6); k > 0; k -= 1) data[pick(random, words)] = pick(random, words);
      const record = sampleRecord({
        name: `${pick(random, words)}:${pick(random, words)}`,
        data,
        source: pick(random, ['log', 'live', 'backfill'] as const),
      });
      const text = renderAll([record], {
        columns: () => columns,
        names: { project: () => pick(random, words), person: () => pick(random, words) },
      });
      for (const line of text.split('\n').filter(Boolean)) {
        expect(displayWidth(line), `${JSON.stringify(line)} in ${columns} columns`).toBeLessThanOrEqual(columns);
        // A line cut just after a cell that was cut already says so once, not "……" or "…  …".
        expect(line, `${JSON.stringify(line)} in ${columns} columns`).not.toMatch(/…\s*…/);
      }
    }
  });

  it('cut just after a cut cell, a line shows one ellipsis', () => {
    // At 60 columns the line ends right after the person's cell, which is cut itself.
    const line = renderAll([sampleRecord()], {
      columns: () => 60,
      names: { ...names, person: () => 'Greta Lindqvist' },
    }).trimEnd();
    expect(line).toBe('08:00:01   task:status-changed     Big Buck Bu…  Greta Lin…');
  });

  it('tightens the columns on a narrower terminal, so that data still shows', () => {
    const line = renderAll([sampleRecord()], { columns: () => 90 }).trimEnd();
    expect(line).toBe('08:00:01   task:status-changed     Big Buck Bu…  Alice Mar…  task=c3d4e5f6 new_task_statu…');
    expect(displayWidth(line)).toBe(90);
  });

  it('cuts a long line with … at the width, and not at all when the width is unknown', () => {
    const record = sampleRecord({ data: { note: 'z'.repeat(300), more: 'y'.repeat(300) } });
    const cut = renderAll([record], { columns: () => 80 }).trimEnd();
    expect(displayWidth(cut)).toBe(80);
    expect(cut.endsWith('…')).toBe(true);
    expect(renderAll([record]).length).toBeGreaterThan(150);
  });
});
