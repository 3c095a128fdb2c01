/**
 * `--output FILE` with CSV (issue 11, Files): the header once per file, also across the runs
 * of a checkpointed export; a file of other columns (or of another format) refused with one
 * line naming it and the difference, untouched; and write failures in plain words.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError } from '../../src/cli.js';
import { UsageError } from '../../src/errors.js';
import { onFile } from '../../src/export/files.js';
import { parseCsvLine } from '../../src/output/formats.js';
import { useExportFixture } from '../helpers/export-fixture.js';
import { idsOfNdjson, secondOfStored, storedIds } from '../helpers/logs.js';

const fx = useExportFixture({ seed: 21, events: 1200, historySpan: 3600 }, 'csv');

const EVENT_HEADER = 'id,name,created_at,user_id,project_id,source,data';
const csvFile = () => join(fx.dir, 'events.csv');
/** The lines of a CSV file (CRLF), without the final empty one. */
const linesOf = (path: string): string[] => readFileSync(path, 'utf8').split('\r\n').slice(0, -1);
/** The ids of the rows under the header, checking that no other line is a header. */
function idsOfCsv(path: string, header = EVENT_HEADER): string[] {
  const [first, ...rows] = linesOf(path);
  expect(first).toBe(header);
  expect(rows).not.toContain(header);
  const idAt = header.split(',').indexOf('id');
  return rows.map((row) => parseCsvLine(row)![idAt]!);
}

describe('logs --output FILE --format csv', () => {
  it('writes the header once: appending to the CSV adds rows, not a second header', async () => {
    const file = csvFile();
    for (let run = 0; run < 2; run += 1) {
      const result = await fx.logs('--limit', '3', '--format', 'csv', '--output', file);
      expect(result.code, result.stderr).toBe(0);
    }
    const last3 = storedIds(fx.sandbox).slice(-3);
    expect(idsOfCsv(file)).toEqual([...last3, ...last3]);
    // A run that finds nothing leaves the file as it was (no lone header at its end).
    const before = readFileSync(file, 'utf8');
    const none = await fx.logs('--limit', '3', 'nothing:matches', '--format', 'csv', '--output', file);
    expect(none.code, none.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('--fields and --names: the same columns append, other columns are refused (exit 2), the file untouched', async () => {
    const file = csvFile();
    const fields = ['--fields', 'id,name,data.task_id', '--format', 'csv', '--output', file];
    expect((await fx.logs('--limit', '2', ...fields)).code).toBe(0);
    expect((await fx.logs('--limit', '2', ...fields)).code).toBe(0);
    const last2 = storedIds(fx.sandbox).slice(-2);
    expect(idsOfCsv(file, 'id,name,data.task_id')).toEqual([...last2, ...last2]);
    const before = readFileSync(file, 'utf8');

    const other = await fx.logs('--limit', '2', '--fields', 'id,name,created_at', '--output', file);
    expect(other.code).toBe(2);
    expect(other.stdout).toBe('');
    expect(other.stderr).toBe(
      `kitsu-tail: --output ${file}: its header has other columns: the file has data.task_id and this run writes created_at` +
        ' (write to another file, or give the same --fields or --names as the runs that wrote it)\n',
    );
    const whole = await fx.logs('--limit', '2', '--format', 'csv', '--output', file);
    expect(whole.code).toBe(2);
    expect(whole.stderr).toMatch(/^kitsu-tail: --output .*events\.csv: its header has other columns: .*\n$/);
    expect(readFileSync(file, 'utf8')).toBe(before);

    const plain = join(fx.dir, 'plain.csv');
    expect((await fx.logs('--limit', '1', '--format', 'csv', '--output', plain)).code).toBe(0);
    const named = await fx.logs('--limit', '1', '--format', 'csv', '--names', '--output', plain);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('this run writes names.project, names.person');
    expect(linesOf(plain)).toHaveLength(2);
  });

  it('refuses to mix formats in one file: CSV onto NDJSON, NDJSON onto CSV', async () => {
    const ndjson = join(fx.dir, 'events.ndjson');
    expect((await fx.logs('--limit', '1', '--output', ndjson)).code).toBe(0);
    const before = readFileSync(ndjson, 'utf8');
    const csv = await fx.logs('--limit', '1', '--format', 'csv', '--output', ndjson);
    expect(csv.code).toBe(2);
    expect(csv.stderr).toBe(
      `kitsu-tail: --output ${ndjson}: its first line is not a CSV header like this run writes` +
        ' (write to another file, or give the same --fields or --names as the runs that wrote it)\n',
    );
    expect(readFileSync(ndjson, 'utf8')).toBe(before);

    const file = csvFile();
    expect((await fx.logs('--limit', '1', '--format', 'csv', '--output', file)).code).toBe(0);
    for (const format of [[], ['--json'], ['--format', 'json']]) {
      const result = await fx.logs('--limit', '1', ...format, '--output', file);
      expect(result.code, format.join(' ')).toBe(2);
      expect(result.stderr).toMatch(
        /^kitsu-tail: --output .*events\.csv holds CSV \(its first line is a header\); this run writes (ND)?JSON \(add --format csv, or write to another file\)\n$/,
      );
    }
    expect(linesOf(file)).toHaveLength(2);
  });

  it('refuses --format table with --output, saying why (exit 2), creating nothing', async () => {
    const file = join(fx.dir, 'table.txt');
    const result = await fx.logs('--limit', '1', '--format', 'table', '--output', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'kitsu-tail: --format table is laid out for a terminal, not for a file that programs read' +
        ' (leave out --format for NDJSON, or give --format csv for a spreadsheet)\n',
    );
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(!existsSync('/dev/full'))('says a full disk in plain words, naming the file (exit 1)', async () => {
    const result = await fx.logs('--limit', '5', '--format', 'csv', '--output', '/dev/full');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'kitsu-tail: cannot write to --output /dev/full: no space left on the device (free some space, or write to another disk)\n',
    );
  });
});

describe('logs --checkpoint FILE --output FILE --format csv', () => {
  it('appends across runs under one header, each event once', async () => {
    const file = csvFile();
    const run = (...argv: string[]) => fx.logs('--checkpoint', fx.state, '--output', file, '--format', 'csv', ...argv);
    const since = secondOfStored(fx.sandbox.control.log()[400]!);
    const first = await run('--since', new Date(since * 1000).toISOString());
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/appended \d+ new events to .*events\.csv; checkpoint saved/);
    const fromSince = () => storedIds(fx.sandbox, (e) => secondOfStored(e) >= since);
    expect(idsOfCsv(file)).toEqual(fromSince());

    fx.sandbox.control.generate(30);
    const second = await run();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('appended 30 new events');
    expect(idsOfCsv(file)).toEqual(fromSince());
    const nothing = await run();
    expect(nothing.stderr).toContain('appended 0 new events');
    expect(idsOfCsv(file)).toEqual(fromSince());
    const saved = JSON.parse(readFileSync(fx.state, 'utf8')) as Record<string, unknown>;
    expect(saved.committed_bytes).toBe(readFileSync(file).length);

    // The same file as NDJSON, or with other columns: refused before anything is written.
    const before = readFileSync(file, 'utf8');
    const ndjson = await fx.logs('--checkpoint', fx.state, '--output', file);
    expect(ndjson.code).toBe(2);
    expect(ndjson.stderr).toBe(
      `kitsu-tail: --output ${file}: it holds CSV (its first line is a header); this run writes NDJSON` +
        ' (write to another file, or give the same --format and --fields as the runs that wrote it)\n',
    );
    const fields = await run('--fields', 'id,created_at');
    expect(fields.code).toBe(2);
    expect(fields.stderr).toContain('its header has other columns: the file has name, user_id');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('--fields picks the columns of the export; a run that must read again skips the ids the CSV holds', async () => {
    const file = csvFile();
    const run = () => fx.logs('--checkpoint', fx.state, '--output', file, '--fields', 'created_at,id,name');
    expect((await run()).code).toBe(0);
    fx.sandbox.control.generate(4);
    expect((await run()).code).toBe(0);
    expect(idsOfCsv(file, 'created_at,id,name')).toEqual(storedIds(fx.sandbox));
    // A position ahead of the server's clock is read again from its clock: the CSV's ids are skipped.
    const saved = JSON.parse(readFileSync(fx.state, 'utf8')) as Record<string, unknown>;
    const ahead = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000).toISOString().replace('.000Z', 'Z');
    writeFileSync(fx.state, JSON.stringify({ ...saved, position: ahead, recent: [] }));
    const fresh = fx.sandbox.control.generate(3).map((e) => e.id);
    const result = await run();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`skipping the events already in ${file}`);
    expect(result.stderr).toContain('appended 3 new events');
    expect(idsOfCsv(file, 'created_at,id,name').slice(-3)).toEqual(fresh);
    expect(idsOfCsv(file, 'created_at,id,name')).toEqual(storedIds(fx.sandbox));
  });

  it('columns without id or created_at: a run that must read again says that it may append some again', async () => {
    const file = csvFile();
    const run = () => fx.logs('--checkpoint', fx.state, '--output', file, '--fields', 'name,data.task_id');
    expect((await run()).code).toBe(0);
    const saved = JSON.parse(readFileSync(fx.state, 'utf8')) as Record<string, unknown>;
    const ahead = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000).toISOString().replace('.000Z', 'Z');
    writeFileSync(fx.state, JSON.stringify({ ...saved, position: ahead, recent: [] }));
    const result = await run();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `so events already in ${file} may be appended again (its columns hold no id and created_at to skip them by)`,
    );
  });

  it('the login log as CSV, and NDJSON exports are unchanged', async () => {
    const logins = join(fx.dir, 'logins.csv');
    const run = () => fx.logs('--logins', '--checkpoint', fx.state, '--output', logins, '--format', 'csv');
    expect((await run()).code).toBe(0);
    expect((await run()).code).toBe(0);
    const [header, ...rows] = linesOf(logins);
    expect(header).toBe('id,created_at,person_id,ip_address,origin');
    expect(rows).not.toContain(header);
    expect(new Set(rows).size).toBe(rows.length);

    const state = join(fx.dir, 'ndjson-state.json');
    const out = join(fx.dir, 'plain.ndjson');
    expect((await fx.logs('--checkpoint', state, '--output', out)).code).toBe(0);
    expect(idsOfNdjson(readFileSync(out, 'utf8'))).toEqual(storedIds(fx.sandbox));
  });
});

describe('--output FILE that cannot be used: one line naming the file and the fix (exit 2)', () => {
  it('a missing folder, a folder, a path through a file; and permission as the system says it', async () => {
    const missing = join(fx.dir, 'nonexistent', 'dir', 'events.csv');
    const folder = fx.dir;
    const file = join(fx.dir, 'plain.txt');
    writeFileSync(file, 'x');
    const cases: Array<[string[], string]> = [
      [
        ['--output', missing],
        `--output ${missing}: no such folder: ${join(fx.dir, 'nonexistent')} (create it, or give a file in a folder that exists)`,
      ],
      [
        ['--output', folder],
        `--output ${folder}: it is a folder (give a file in a folder that this account can write to)`,
      ],
      [
        ['--output', join(file, 'events.csv')],
        `--output ${join(file, 'events.csv')}: part of its path is not a folder (give a file in a folder that this account can write to)`,
      ],
    ];
    for (const [argv, message] of cases) {
      const result = await fx.logs('--limit', '1', '--format', 'csv', ...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toBe(`kitsu-tail: ${message}\n`);
    }
    // Tests run as root here, which no permission stops: the system's answer is fed in.
    for (const [code, words] of [
      ['EACCES', 'permission denied'],
      ['EROFS', 'the file system is read-only'],
    ] as const) {
      const denied = Object.assign(new Error(`${code}: open`), { code, syscall: 'open' });
      const error = await onFile('--output', '/srv/export/events.csv', () => Promise.reject(denied)).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect(formatError(error as UsageError)).toBe(
        `kitsu-tail: --output /srv/export/events.csv: ${words} (give a file in a folder that this account can write to)`,
      );
    }
  });
});
