import { describe, expect, it } from 'vitest';
import type { EventRecord, LoginRecord } from '../../src/core/record.js';
import {
  csvField,
  csvHeaderMismatch,
  csvLine,
  eventCsvRenderer,
  looksLikeCsvHeader,
  parseCsvLine,
  formatNdjson,
  jsonArrayRenderer,
  loginCsvRenderer,
} from '../../src/output/formats.js';
import { createLoginWriter, createRecordWriter } from '../../src/output/writer.js';
import { testContext } from '../helpers/context.js';
import { captureStream, sampleRecord } from '../helpers/output.js';

/** A strict RFC 4180 reader, to check what the writer produced (CRLF records, "" escapes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      if (c === '"' || c === '\r' || c === '\n') throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
      field += c;
      i += 1;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('the last record has no CRLF');
  return rows;
}

async function render(format: 'ndjson' | 'json' | 'csv', records: EventRecord[]): Promise<string> {
  const stdout = captureStream();
  const writer = createRecordWriter(testContext({ stdout }), { format });
  for (const record of records) await writer.write(record);
  await writer.end();
  return stdout.text();
}

const hostile = sampleRecord({
  name: 'comment:new',
  data: { text: 'say "hi", then\r\nleave', emoji: '🎬', esc: '\u001b]0;pwned\u0007', nested: { a: [1, null] } },
});

describe('ndjson', () => {
  it('is exactly JSON.stringify(record) and a newline, one per record', async () => {
    const records = [sampleRecord(), hostile, sampleRecord({ id: null, source: 'live', user_id: null })];
    const text = await render('ndjson', records);
    expect(text).toBe(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    expect(formatNdjson(hostile)).toBe(`${JSON.stringify(hostile)}\n`);
  });

  it('writes nothing at all for no record', async () => {
    expect(await render('ndjson', [])).toBe('');
  });
});

describe('json', () => {
  it.each([0, 1, 3])('is one valid JSON array for %i records', async (n) => {
    const records = Array.from({ length: n }, (_, i) => sampleRecord({ id: `e${i}` }));
    const text = await render('json', records);
    expect(JSON.parse(text)).toEqual(records);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('stays valid JSON when closed after any record', () => {
    const renderer = jsonArrayRenderer<EventRecord>();
    let text = '';
    for (let i = 0; i < 5; i += 1) {
      text += renderer.record(sampleRecord({ id: `e${i}` }));
      expect(JSON.parse(`${text}\n]`)).toHaveLength(i + 1);
    }
    text += renderer.end();
    expect(JSON.parse(text)).toHaveLength(5);
  });
});

describe('csv', () => {
  it('follows RFC 4180: header, CRLF, quotes only where needed, doubled inside', async () => {
    const text = await render('csv', [sampleRecord(), hostile]);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['id', 'name', 'created_at', 'user_id', 'project_id', 'source', 'data']);
    expect(rows[1]).toEqual([
      sampleRecord().id,
      'task:status-changed',
      '2026-11-29T08:00:01Z',
      sampleRecord().user_id,
      sampleRecord().project_id,
      'log',
      JSON.stringify(sampleRecord().data),
    ]);
    // data is compact JSON that parses back to the record's data.
    expect(JSON.parse(rows[2]![6]!)).toEqual(hostile.data);
    expect(rows).toHaveLength(3);
    // The first row needs no quotes at all except around data (it has commas).
    expect(text.split('\r\n')[1]).toMatch(/^4f1c2d3e-[^"]*,"\{/);
  });

  it('leaves a null empty and quotes the hard cases', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
  });

  it('writes the header alone for no record', async () => {
    expect(await render('csv', [])).toBe('id,name,created_at,user_id,project_id,source,data\r\n');
  });

  it('renders the same rows through the renderer as through the writer', () => {
    const renderer = eventCsvRenderer();
    expect(renderer.record(sampleRecord()) + renderer.end()).toBe(
      `id,name,created_at,user_id,project_id,source,data\r\n${sampleRecord().id},task:status-changed,2026-11-29T08:00:01Z,${sampleRecord().user_id},${sampleRecord().project_id},log,"${JSON.stringify(sampleRecord().data).replace(/"/g, '""')}"\r\n`,
    );
  });
});

describe('writeMany', () => {
  it.each(['ndjson', 'json', 'csv', 'table'] as const)(
    'writes the same bytes as write() for each, in %s',
    async (format) => {
      const records = [sampleRecord({ id: 'a' }), hostile, sampleRecord({ id: 'c', source: 'backfill' })];
      const outputs: string[] = [];
      for (const many of [false, true]) {
        const stdout = captureStream();
        const writer = createRecordWriter(testContext({ stdout, now: () => Date.parse('2026-11-29T12:00:00Z') }), {
          format,
        });
        await writer.write(sampleRecord({ id: 'first' }));
        if (many) await writer.writeMany!(records);
        else for (const record of records) await writer.write(record);
        await writer.writeMany!([]);
        await writer.end();
        outputs.push(stdout.text());
      }
      expect(outputs[1]).toBe(outputs[0]);
      expect(outputs[0]!.split('\n').length).toBeGreaterThanOrEqual(5);
    },
  );
});

describe('login records', () => {
  const login: LoginRecord = {
    id: 'l1',
    created_at: '2026-11-29T08:00:01Z',
    person_id: 'u1',
    ip_address: '10.0.0.1',
    origin: 'script',
  };

  it('come out in every format', async () => {
    const outputs: Record<string, string> = {};
    for (const format of ['ndjson', 'json', 'csv', 'table'] as const) {
      const stdout = captureStream();
      const writer = createLoginWriter(testContext({ stdout, now: () => Date.parse('2026-11-29T12:00:00Z') }), {
        format,
        names: { project: () => undefined, person: (id) => (id === 'u1' ? 'Alice Martin' : undefined) },
      });
      await writer.write(login);
      await writer.write({ ...login, id: 'l2', person_id: null, ip_address: null, origin: null });
      await writer.end();
      outputs[format] = stdout.text();
    }
    expect(outputs.ndjson!.split('\n')[0]).toBe(JSON.stringify(login));
    expect(JSON.parse(outputs.json!)).toHaveLength(2);
    expect(parseCsv(outputs.csv!)).toEqual([
      ['id', 'created_at', 'person_id', 'ip_address', 'origin'],
      ['l1', '2026-11-29T08:00:01Z', 'u1', '10.0.0.1', 'script'],
      ['l2', '2026-11-29T08:00:01Z', '', '', ''],
    ]);
    expect(outputs.table).toMatch(/\d\d:00:01 {2}script {2}Alice Martin {14}10\.0\.0\.1\n/);
    expect(loginCsvRenderer().end()).toBe('id,created_at,person_id,ip_address,origin\r\n');
  });
});

describe('CSV read back (appending to a file, an export skipping ids it holds)', () => {
  it('parseCsvLine reads what csvLine writes, and refuses what it did not', () => {
    const fields = ['a', 'b,c', 'say "hi"', '', '{"k":"v, w"}', '=1+1'];
    expect(parseCsvLine(csvLine(fields))).toEqual([...fields.slice(0, 5), "'=1+1"]);
    expect(parseCsvLine('id,name\r\n')).toEqual(['id', 'name']);
    expect(parseCsvLine('"open,quote')).toBeNull();
    expect(parseCsvLine('"a"b,c')).toBeNull();
  });

  it('csvHeaderMismatch names the columns that differ', () => {
    expect(csvHeaderMismatch('id,name', 'id,name\r\n')).toBeNull();
    expect(csvHeaderMismatch('id,name,data', 'id,name,names.project\r\n')).toBe(
      'its header has other columns: the file has data and this run writes names.project',
    );
    expect(csvHeaderMismatch('name,id', 'id,name\r\n')).toBe('its header has the same columns in another order');
    expect(csvHeaderMismatch('{"id":"x","name":"a,b"}', 'id,name\r\n')).toBe(
      'its first line is not a CSV header like this run writes',
    );
    expect(looksLikeCsvHeader('id,created_at,data.task_id')).toBe(true);
    expect(looksLikeCsvHeader('{"id":"x","name":"a"}')).toBe(false);
    expect(looksLikeCsvHeader('just a line')).toBe(false);
  });
});
