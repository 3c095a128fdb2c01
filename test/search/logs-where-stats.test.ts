/**
 * `logs --where`, `--stats`, `--count-by` and the shaping flags against the sandbox. Each
 * search is checked against a brute-force filter over the whole stored log
 * (sandbox.control.log()), written out here without the code under test; each count against
 * counts made the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, projectOf, secondOfStored, storedIds } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 23, events: 2500, historySpan: 4 * 86_400 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
});

const logs = (argv: string[], extra: Parameters<typeof runCli>[1] = {}) =>
  runCli(['logs', ...argv], { env: { ...admin, TZ: 'UTC' }, ...extra });
const iso = (second: number): string => new Date(second * 1000).toISOString();
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

describe('logs --where', () => {
  it('keeps the same events as a brute-force filter over the whole log', async () => {
    const cases: Array<[string[], (e: StoredEvent) => boolean]> = [
      [['--where', 'name=task:*'], (e) => e.name.startsWith('task:')],
      [
        ['--where', 'name=comment:*', '--where', 'name=preview-file:*'],
        (e) => e.name.startsWith('comment:') || e.name.startsWith('preview-file:'),
      ],
      [['--where', 'name!=task:*'], (e) => !e.name.startsWith('task:')],
      [['--where', 'data.task_status_id='], (e) => str(e.data.task_status_id) === null],
      [
        ['--where', 'name=task:status-changed', '--where', `project_id=${sandbox.projects[1]!.id}`],
        (e) => e.name === 'task:status-changed' && projectOf(e) === sandbox.projects[1]!.id,
      ],
      [
        ['--where', `user=${sandbox.users.manager.id.slice(0, 6)}*`],
        (e) => (e.user_id ?? '').startsWith(sandbox.users.manager.id.slice(0, 6)),
      ],
    ];
    for (const [flags, keep] of cases) {
      const result = await logs(['--all', ...flags]);
      expect(result.code, `${flags.join(' ')}: ${result.stderr}`).toBe(0);
      const expected = storedIds(sandbox, keep);
      expect(expected.length, flags.join(' ')).toBeGreaterThan(0);
      expect(idsOfNdjson(result.stdout), flags.join(' ')).toEqual(expected);
    }
  });

  it('with --limit N: the newest N that match (and --reverse)', async () => {
    const expected = storedIds(sandbox, (e) => e.name === 'comment:new');
    const result = await logs(['--where', 'name=comment:new', '--limit', '7']);
    expect(idsOfNdjson(result.stdout)).toEqual(expected.slice(-7));
    const reversed = await logs(['--where', 'name=comment:new', '--limit', '7', '--reverse']);
    expect(idsOfNdjson(reversed.stdout)).toEqual(expected.slice(-7).reverse());
  });

  it('a bad field is a usage error that lists the fields', async () => {
    const result = await logs(['--where', 'nam=task:*']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^kitsu-tail: --where: unknown field 'nam' \(fields are id, name, created_at, user_id, project_id, source, data.*names\.<key>/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    const noEquals = await logs(['--where', 'name']);
    expect(noEquals.code).toBe(2);
    expect(noEquals.stderr).toMatch(/--where 'name' is not FIELD=VALUE/);
  });
});

describe('logs --stats', () => {
  const range = () => {
    const log = sandbox.control.log();
    return { from: secondOfStored(log[400]!), to: secondOfStored(log[1900]!) };
  };
  const inRange = (from: number, to: number) =>
    sandbox.control.log().filter((e) => secondOfStored(e) >= from && secondOfStored(e) < to);
  const countBy = (events: readonly StoredEvent[], key: (e: StoredEvent) => string | null) => {
    const counts = new Map<string | null, number>();
    for (const e of events) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
    return counts;
  };

  it('--json: the counts of the range by name, project and person, and the histogram adds up', async () => {
    const { from, to } = range();
    const events = inRange(from, to);
    const result = await logs(['--stats', '--since', iso(from), '--until', iso(to), '--json', '--top', '100']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const stats = JSON.parse(lines[0]!);
    expect(stats.events).toBe(events.length);
    expect(stats.first).toBe(iso(secondOfStored(events[0]!)).replace('.000Z', 'Z'));
    expect(stats.last).toBe(iso(secondOfStored(events[events.length - 1]!)).replace('.000Z', 'Z'));
    const asMap = (section: { top: { key: string | null; count: number }[] }) =>
      new Map(section.top.map((c) => [c.key, c.count]));
    expect(asMap(stats.by_name)).toEqual(countBy(events, (e) => e.name));
    expect(asMap(stats.by_project)).toEqual(countBy(events, projectOf));
    expect(asMap(stats.by_person)).toEqual(countBy(events, (e) => e.user_id));
    const names = new Map(sandbox.projects.map((p) => [p.id, p.name]));
    for (const c of stats.by_project.top) if (c.key) expect(c.name).toBe(names.get(c.key));
    // A range of more than two days: day buckets, from local midnight, adding up to the total.
    expect(to - from).toBeGreaterThan(2 * 86_400);
    expect(stats.activity.unit).toBe('day');
    expect(stats.activity.buckets[0].start).toBe(`${iso(from).slice(0, 10)}T00:00:00Z`);
    // Every day from the range's start to its end, a quiet one too (an end just after midnight
    // has its day's bucket, empty).
    const perDay = countBy(events, (e) => iso(secondOfStored(e)).slice(0, 10));
    const days: string[] = [];
    for (let day = Date.parse(`${iso(from).slice(0, 10)}T00:00:00Z`); day <= to * 1000; day += 86_400_000)
      days.push(new Date(day).toISOString().slice(0, 10));
    expect(
      stats.activity.buckets.map((b: { start: string; count: number }) => [b.start.slice(0, 10), b.count]),
    ).toEqual(days.map((day) => [day, perDay.get(day) ?? 0]));
  });

  it('top N: the largest N, the rest counted as others', async () => {
    const { from, to } = range();
    const events = inRange(from, to);
    const result = await logs(['--stats', '--since', iso(from), '--until', iso(to), '--json', '--top', '3']);
    const stats = JSON.parse(result.stdout);
    const byName = [...countBy(events, (e) => e.name)].sort((a, b) => b[1] - a[1] || (a[0]! < b[0]! ? -1 : 1));
    expect(stats.by_name.top.map((c: { key: string }) => c.key)).toEqual(byName.slice(0, 3).map(([k]) => k));
    expect(stats.by_name.distinct).toBe(byName.length);
    expect(stats.by_name.others).toBe(byName.slice(3).reduce((sum, [, n]) => sum + n, 0));
  });

  it('hour buckets over a short range, with --where applied first', async () => {
    const log = sandbox.control.log();
    const to = secondOfStored(log[log.length - 1]!);
    const from = to - 6 * 3600;
    const events = inRange(from, to).filter((e) => e.name.startsWith('task:'));
    const result = await logs([
      '--stats',
      '--since',
      iso(from),
      '--until',
      iso(to),
      '--where',
      'name=task:*',
      '--json',
    ]);
    const stats = JSON.parse(result.stdout);
    expect(stats.events).toBe(events.length);
    expect(stats.activity.unit).toBe('hour');
    expect(stats.activity.buckets.length).toBeGreaterThanOrEqual(6);
    expect(stats.activity.buckets.reduce((sum: number, b: { count: number }) => sum + b.count, 0)).toBe(events.length);
  });

  it('the terminal view: sections with bars, names for ids, the zone said once', async () => {
    const { from, to } = range();
    const events = inRange(from, to);
    const result = await logs(['--stats', '--since', iso(from), '--until', iso(to)], { tty: true });
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text.split('\n')[0]).toMatch(
      new RegExp(`^${events.length.toLocaleString('en-US')} events · \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d → .* · UTC$`),
    );
    for (const heading of ['Events', 'Projects', 'People', 'Entities', 'Activity per day (UTC)'])
      expect(text).toContain(`\n${heading}\n`);
    expect(text).toContain(sandbox.projects[0]!.name);
    expect(text).toMatch(/█/);
    // No colour on a terminal with NO_COLOR (botEnv sets it), colour with --color always.
    expect(text).not.toMatch(/\u001b\[/);
    const coloured = await logs(['--stats', '--since', iso(from), '--until', iso(to), '--color', 'always'], {
      tty: true,
    });
    expect(coloured.stdout).toMatch(/\u001b\[36m█/);
  });

  it('without a range: the last 24 hours', async () => {
    const now = Date.now();
    const result = await logs(['--stats', '--json'], { clock: { now: () => now } });
    const from = Math.floor((now - 86_400_000) / 1000);
    const expected = sandbox.control.log().filter((e) => e.createdAtUs >= from * 1_000_000).length;
    expect(JSON.parse(result.stdout).events).toBe(expected);
  });

  it('--count-by: one breakdown in full, as JSON, CSV and text', async () => {
    const all = sandbox.control.log();
    const expected = countBy(all, (e) => str(e.data.task_status_id));
    const json = await logs(['--all', '--count-by', 'data.task_status_id', '--json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.by).toBe('data.task_status_id');
    expect(parsed.events).toBe(all.length);
    expect(new Map(parsed.top.map((c: { key: string | null; count: number }) => [c.key, c.count]))).toEqual(expected);
    const csv = await logs(['--all', '--count-by', 'project', '--format', 'csv']);
    const rows = csv.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('project_id,name,count');
    const byProject = countBy(all, projectOf);
    for (const p of sandbox.projects) expect(rows).toContain(`${p.id},${p.name},${byProject.get(p.id)}`);
    const text = await logs(['--all', '--count-by', 'name', '--no-headers'], { tty: true });
    expect(text.stdout.split('\n')[0]).toMatch(/^ {2}task:update +\d/);
  });

  it('refuses what a summary cannot do', async () => {
    for (const [flags, message] of [
      [['--stats', '--follow'], /--stats summarises a range of the log; it takes no --follow/],
      [['--stats', '--count-by', 'name'], /--stats and --count-by are two views/],
      [['--top', '3'], /--top sizes the counts/],
      [['--count-by', 'nope'], /--count-by: unknown field 'nope'/],
      [['--stats', '--logins'], /applies to the event log, not to --logins/],
    ] as const) {
      const result = await logs([...flags]);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe('output shaping', () => {
  it('--fields for CSV: those columns, in that order, with --no-headers', async () => {
    const last = sandbox.control.log().slice(-5);
    const result = await logs(['--limit', '5', '--format', 'csv', '--fields', 'id,name,data.task_id,created_at']);
    const rows = result.stdout.split('\r\n').slice(0, -1);
    expect(rows[0]).toBe('id,name,data.task_id,created_at');
    expect(rows.slice(1)).toEqual(
      last.map((e) =>
        [e.id, e.name, str(e.data.task_id) ?? '', iso(secondOfStored(e)).replace('.000Z', 'Z')].join(','),
      ),
    );
    const bare = await logs(['--limit', '5', '--format', 'csv', '--fields', 'id', '--no-headers']);
    expect(bare.stdout).toBe(last.map((e) => `${e.id}\r\n`).join(''));
    // --no-headers alone keeps the usual columns.
    const usual = await logs(['--limit', '2', '--format', 'csv']);
    const usualBare = await logs(['--limit', '2', '--format', 'csv', '--no-headers']);
    expect(usualBare.stdout).toBe(usual.stdout.split('\r\n').slice(1).join('\r\n'));
  });

  it('CSV with data.*: a column per payload key, the rest as JSON, nothing lost', async () => {
    const last = sandbox.control.log().slice(-50);
    const result = await logs(['--limit', '50', '--format', 'csv', '--fields', 'id,data.*']);
    const [header, ...rows] = result.stdout.split('\r\n').slice(0, -1);
    const columns = header!.split(',');
    expect(columns.slice(0, 3)).toEqual(['id', 'data.project_id', 'data.task_id']);
    expect(columns[columns.length - 1]).toBe('data.*');
    rows.forEach((row, i) => {
      // The sandbox's payloads hold ids, names and numbers: no quoting to undo here.
      const cells = row.split(/,(?![^{]*})/);
      const event = last[i]!;
      const rebuilt: Record<string, unknown> = {};
      columns.forEach((column, c) => {
        if (column.startsWith('data.') && column !== 'data.*' && cells[c] !== '') rebuilt[column.slice(5)] = cells[c];
      });
      const rest = cells[columns.length - 1]
        ? JSON.parse(cells[columns.length - 1]!.replace(/^"|"$/g, '').replace(/""/g, '"'))
        : {};
      const flat = Object.fromEntries(
        Object.entries(event.data).map(([k, v]) => [k, typeof v === 'object' && v !== null ? v : String(v)]),
      );
      expect({ ...rebuilt, ...rest }, event.name).toEqual(
        Object.fromEntries(Object.entries(flat).filter(([, v]) => v !== 'null')),
      );
    });
  });

  it('--fields for the table: a header with the zone, local times, dates when the range spans days, --utc', async () => {
    const log = sandbox.control.log();
    const last = log[log.length - 1]!;
    const lastSecond = secondOfStored(last);
    const recent = await logs(['--since', iso(lastSecond - 60), '--fields', 'created_at,name,data.task_id'], {
      tty: true,
      env: { ...admin, TZ: 'Asia/Kolkata' },
    });
    expect(recent.code, recent.stderr).toBe(0);
    const lines = recent.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^time \(UTC\+05:30\) +name +data\.task_id$/);
    const local = new Date((lastSecond + 330 * 60) * 1000).toISOString().slice(11, 19);
    const spans =
      new Date((lastSecond - 60 + 330 * 60) * 1000).toISOString().slice(0, 10) !==
      new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 10);
    expect(lines[lines.length - 1]).toMatch(
      new RegExp(`^${spans ? '\\d{4}-\\d\\d-\\d\\d ' : ''}${local} +${last.name}`),
    );
    const utc = await logs(['--since', iso(lastSecond - 60), '--fields', 'created_at,name', '--utc', '--no-headers'], {
      tty: true,
      env: { ...admin, TZ: 'Asia/Kolkata' },
    });
    const utcLines = utc.stdout.trimEnd().split('\n');
    expect(utcLines[utcLines.length - 1]).toMatch(new RegExp(`${iso(lastSecond).slice(11, 19)} +${last.name}`));
    expect(utc.stdout).not.toContain('time (');
    const days = await logs(
      ['--since', iso(lastSecond - 3 * 86_400), '--limit', '3', '--fields', 'created_at,name', '--utc'],
      { tty: true },
    );
    expect(days.stdout.split('\n')[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}/);
  });

  it('the event table says its zone once, first: local with its name, UTC with --utc, none with --no-headers; dates over days', async () => {
    const log = sandbox.control.log();
    const lastSecond = secondOfStored(log[log.length - 1]!);
    // Events of two days and more ago, over a day and a half: none from today.
    const since = ['--since', iso(lastSecond - 3.5 * 86_400), '--until', iso(lastSecond - 2 * 86_400)];
    const local = await logs(since, { tty: true, env: { ...admin, TZ: 'Asia/Kolkata' } });
    expect(local.code, local.stderr).toBe(0);
    const lines = local.stdout.trimEnd().split('\n');
    // The range spans days: the first line is the first day's date, with the zone.
    expect(lines[0]).toMatch(/^── \w{3} \d{4}-\d\d-\d\d · times in UTC\+05:30 Asia\/Kolkata ──$/);
    expect(local.stdout.match(/times in/g)).toHaveLength(1);
    expect(lines.filter((l) => /^── \w{3} \d{4}-\d\d-\d\d/.test(l)).length).toBeGreaterThan(1);
    const utc = await logs([...since, '--utc'], { tty: true, env: { ...admin, TZ: 'Asia/Kolkata' } });
    expect(utc.stdout.split('\n')[0]).toMatch(/^── \w{3} \d{4}-\d\d-\d\d · times in UTC ──$/);
    const bare = await logs([...since, '--no-headers'], { tty: true, env: { ...admin, TZ: 'Asia/Kolkata' } });
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).not.toContain('times in');
    expect(bare.stdout.split('\n')[0]).toMatch(/^── \w{3} \d{4}-\d\d-\d\d ──$/);
    // A pipe gets records, no zone line.
    expect((await logs(since, { env: { ...admin, TZ: 'Asia/Kolkata' } })).stdout).not.toContain('times in');
  });

  it('--fields with JSON, and a bad field, are usage errors', async () => {
    const json = await logs(['--fields', 'name', '--json']);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--fields picks the columns of the table and CSV views/);
    const bad = await logs(['--fields', 'name,wat', '--format', 'csv']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fields: unknown field 'wat' \(fields are id, name/);
  });
});
