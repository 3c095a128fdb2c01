/**
 * The table with names: a line reads as a sentence, the subject and the change first, and a
 * narrow terminal gives up the low-value parts by whole words before anything is cut.
 * Snapshots at 60, 100 and 200 columns of a real-looking morning of a production.
 */
import { describe, expect, it } from 'vitest';
import type { EventNames } from '../../src/core/event-subject.js';
import { utcTimeZone } from '../../src/core/time.js';
import type { NamedEventRecord, RecordNamer } from '../../src/output/types.js';
import { eventTableRenderer, type TableOptions } from '../../src/output/table.js';
import { displayWidth } from '../../src/output/width.js';
import { createRecordWriter } from '../../src/output/writer.js';
import { intBetween, pick, seededRandom } from '../helpers/core.js';
import { captureStream, sampleRecord } from '../helpers/output.js';
import { testContext } from '../helpers/context.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const shot = { project: 'Moonlit Harbor', entity: 'E01 / SQ01 / SH010', entity_type: 'Shot', task_type: 'Animation' };
const asset = {
  project: 'Moonlit Harbor',
  entity: 'Character / Harbor Master',
  entity_type: 'Asset',
  asset_type: 'Character',
  task_type: 'Modeling',
};

const named = (
  time: string,
  name: string,
  names: EventNames,
  data: Record<string, unknown> = {},
  source: NamedEventRecord['source'] = 'log',
): NamedEventRecord => ({
  ...sampleRecord({ name, data, source }),
  created_at: `2026-12-03T${time}Z`,
  names,
});

const MORNING: NamedEventRecord[] = [
  named('08:02:11', 'task:status-changed', {
    ...shot,
    person: 'Jane Doe',
    task_status: 'wfa',
    previous_task_status: 'wip',
  }),
  named(
    '08:02:11',
    'preview-file:add-file',
    { ...shot, person: 'Jane Doe' },
    { revision: 3, extension: 'mp4', status: 'processing' },
  ),
  named('08:05:40', 'comment:new', { ...asset, person: 'Hiro Sato', task_status: 'retake' }),
  named('08:07:03', 'task:assign', {
    ...shot,
    entity: 'E02 / SQ03 / SH140',
    task_type: 'Lighting',
    person: 'Maya Manager',
    assignee: 'Greta Lindqvist',
  }),
  named('08:09:15', 'asset:new', {
    project: 'Paper Foxes',
    entity: 'Prop / Lantern',
    entity_type: 'Asset',
    asset_type: 'Prop',
    person: 'Maya Manager',
  }),
  named('08:11:52', 'task:delete', {
    project: 'Paper Foxes',
    entity: 'Prop / Lantern',
    entity_type: 'Asset',
    asset_type: 'Prop',
    task_type: 'Rigging',
    person: 'Maya Manager',
  }),
  named('08:11:52', 'asset:delete', { project: 'Paper Foxes', entity: '4f2a9c1b (deleted)', person: 'Maya Manager' }),
  named(
    '08:14:30',
    'task:status-changed',
    {
      ...shot,
      entity: 'SQ040 / SH020',
      project: 'The Long Winter',
      task_type: 'Compositing',
      person: 'Dmitri Nakamura',
      task_status: 'done',
      previous_task_status: 'wfa',
    },
    {},
    'backfill',
  ),
  named('08:15:00', 'person:update', { person: 'Nora Costa' }),
  named('08:16:21', 'task:update', { project: '9a1b2c3d', entity: '7e6f5a4b' }),
];

function render(records: NamedEventRecord[], columns: number | undefined, options: Partial<TableOptions> = {}): string {
  const renderer = eventTableRenderer({
    color: false,
    zone: utcTimeZone,
    now: () => NOW,
    columns: () => columns,
    ...options,
  });
  return records.map((r) => renderer.record(r)).join('') + renderer.end();
}

describe('the table with names', () => {
  it.each([60, 100, 200])('at %i columns (snapshot)', (columns) => {
    const text = render(MORNING, columns, { zoneLabel: () => 'UTC+01:00 Europe/Paris' });
    expect(text.split('\n')[0]).toBe('── times in UTC+01:00 Europe/Paris ──');
    expect(text).toMatchSnapshot();
    for (const line of text.split('\n').filter(Boolean)) expect(displayWidth(line), line).toBeLessThanOrEqual(columns);
  });

  it('at 100 columns a status change reads whole: subject, change, person, project and time', () => {
    const line = render(MORNING.slice(0, 1), 100).trimEnd();
    expect(line).toBe('08:02:11   E01 / SQ01 / SH010 · Animation  wip → wfa  by Jane Doe  Moonlit Harbor');
  });

  it('at 60 columns the low-value parts go first and the subject stays, cut nowhere', () => {
    const lines = render(MORNING, 60).trimEnd().split('\n');
    expect(lines[0]).toBe('08:02:11   SQ01 / SH010 · Animation  wip → wfa  by Jane Doe');
    expect(lines[2]).toBe('08:05:40   Harbor Master · Modeling  comment:new  by Hiro S.');
    // Every line keeps at least the last part of its subject whole, and none is cut with …:
    // each had a shorter form that fits.
    for (const line of lines) expect(line).not.toContain('…');
    expect(lines.find((l) => l.includes('task:assign'))).toContain('SH140 · Lighting');
  });

  it('shortens a person by whole words (Jane D., Jane) before dropping them', () => {
    const record = named('08:02:11', 'comment:new', {
      ...asset,
      entity: 'Character / Harbor Master',
      person: 'Dmitri Nakamura',
    });
    expect(render([record], 63).trimEnd()).toBe('08:02:11   Harbor Master · Modeling  comment:new  by Dmitri N.');
    expect(render([record], 60).trimEnd()).toBe('08:02:11   Harbor Master · Modeling  comment:new  by Dmitri');
    // Then the time, then the person.
    expect(render([record], 58).trimEnd()).toBe('Harbor Master · Modeling  comment:new  by Dmitri');
    expect(render([record], 40).trimEnd()).toBe('Harbor Master · Modeling  comment:new');
  });

  it('cuts with … only when even the shortest forms do not fit', () => {
    const line = render(MORNING.slice(0, 1), 24).trimEnd();
    expect(displayWidth(line)).toBeLessThanOrEqual(24);
    expect(line).toBe('SH010 · Animation  wip…');
    expect(render(MORNING.slice(0, 1), 28).trimEnd()).toBe('SH010 · Animation  wip → wfa');
  });

  it('keeps the subject whole whenever it and the change fit (seeded property test)', () => {
    const random = seededRandom(10);
    const words = ['SH010', 'Animation', '日本語', '🎬', 'Jane Doe', 'a b c', 'Harbor Master', 'x'.repeat(30)];
    for (let i = 0; i < 1500; i += 1) {
      const columns = intBetween(random, 20, 200);
      const parts = Array.from({ length: intBetween(random, 1, 3) }, () => pick(random, words));
      const names: EventNames = {
        entity: parts.join(' / '),
        task_type: pick(random, words),
        person: pick(random, words),
        project: pick(random, words),
      };
      const record = named(
        '08:00:00',
        pick(random, ['task:update', 'comment:new', 'task:status-changed']),
        { ...names, task_status: 'wip', previous_task_status: 'todo' },
        { revision: 2 },
        pick(random, ['log', 'live', 'backfill'] as const),
      );
      const line = render([record], columns).trimEnd();
      expect(displayWidth(line), line).toBeLessThanOrEqual(columns);
      const shortest = `${parts.at(-1)} · ${names.task_type}`;
      const change = record.name === 'task:status-changed' ? 'todo → wip' : record.name;
      if (displayWidth(`${shortest}  ${change}`) <= columns)
        expect(line, `${columns}: ${line}`).toContain(`${shortest}  ${change}`);
    }
  });
});

describe('the writer and names', () => {
  const namer = (calls: string[]): RecordNamer => ({
    names: async (record) => {
      calls.push(record.name);
      return { project: 'Moonlit Harbor', entity: 'SQ01 / SH010', task_type: 'Animation' };
    },
  });

  it('NDJSON without --names is unchanged and asks for no names at all', async () => {
    const calls: string[] = [];
    const stdout = captureStream();
    const out = createRecordWriter(testContext({ stdout }), { namer: namer(calls) });
    await out.write(sampleRecord());
    await out.end();
    expect(stdout.text()).toBe(`${JSON.stringify(sampleRecord())}\n`);
    expect(calls).toEqual([]);
  });

  it("with --names each JSON record gets one names object, after the record's own keys", async () => {
    const stdout = captureStream();
    const out = createRecordWriter(testContext({ stdout, globals: { format: 'json' } }), {
      namer: namer([]),
      attachNames: true,
    });
    await out.write(sampleRecord());
    await out.end();
    const [record] = JSON.parse(stdout.text()) as Record<string, unknown>[];
    expect(Object.keys(record!)).toEqual([...Object.keys(sampleRecord()), 'names']);
    expect(record!.names).toEqual({ project: 'Moonlit Harbor', entity: 'SQ01 / SH010', task_type: 'Animation' });
  });

  it('CSV with --names gets names.* columns, empty where a name does not apply', async () => {
    const stdout = captureStream();
    const out = createRecordWriter(testContext({ stdout, globals: { format: 'csv' } }), {
      namer: namer([]),
      attachNames: true,
    });
    await out.write(sampleRecord());
    await out.end();
    const [header, row] = stdout.text().split('\r\n');
    expect(header).toBe(
      'id,name,created_at,user_id,project_id,source,data,names.project,names.person,names.assignee,names.entity,names.entity_type,names.asset_type,names.task_type,names.task_status,names.previous_task_status',
    );
    expect(row!.endsWith(',Moonlit Harbor,,,SQ01 / SH010,,,Animation,,')).toBe(true);
  });

  it('a terminal gets the sentence layout from the names, in order', async () => {
    const stdout = captureStream({ tty: true, columns: 100 });
    const calls: string[] = [];
    const out = createRecordWriter(testContext({ stdout, globals: { color: 'never' } }), { namer: namer(calls) });
    await out.write(sampleRecord({ name: 'comment:new' }));
    await out.write(sampleRecord({ name: 'task:update' }));
    await out.end();
    expect(calls).toEqual(['comment:new', 'task:update']);
    expect(stdout.text()).toMatch(
      /SQ01 \/ SH010 · Animation {2}comment:new {2}Moonlit Harbor\n.*SQ01 \/ SH010 · Animation {2}task:update/,
    );
  });
});
