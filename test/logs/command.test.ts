/**
 * `kitsu-tail logs` in-process against the sandbox: every reading option, the formats, the
 * refusals and their exit codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, projectOf, secondOfStored, storedIds } from '../helpers/logs.js';
import { loginAs } from '../helpers/login.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

let sandbox: Sandbox;
let config: ReturnType<typeof tempConfigDir>;
let admin: Record<string, string>;
let work: string;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 11, events: 3000, historySpan: 86_400 });
  config = tempConfigDir();
  admin = botEnv(sandbox, 'admin', config.dir);
  work = mkdtempSync(join(tmpdir(), 'kitsu-tail-logs-'));
});

afterAll(async () => {
  await sandbox?.close();
  config?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const logs = (argv: string[], env = admin, extra: Parameters<typeof runCli>[1] = {}) =>
  runCli(['logs', ...argv], { env, ...extra });
const iso = (second: number): string => new Date(second * 1000).toISOString();

describe('logs: what it prints', () => {
  it('prints the newest 100 events oldest first, as NDJSON in a pipe', async () => {
    const result = await logs([]);
    expect(result.code).toBe(0);
    expect(idsOfNdjson(result.stdout)).toEqual(storedIds(sandbox).slice(-100));
    const first = JSON.parse(result.stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['id', 'name', 'created_at', 'user_id', 'project_id', 'data', 'source']);
    expect(first.source).toBe('log');
    expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('--limit N and --reverse', async () => {
    const five = await logs(['--limit', '5']);
    expect(idsOfNdjson(five.stdout)).toEqual(storedIds(sandbox).slice(-5));
    const reversed = await logs(['--limit', '5', '--reverse']);
    expect(idsOfNdjson(reversed.stdout)).toEqual(storedIds(sandbox).slice(-5).reverse());
  });

  it('asks the server for no more rows than --limit prints, unless the client filters', async () => {
    const limitsAsked = async (argv: string[]): Promise<string[]> => {
      const before = sandbox.control.requests().length;
      const result = await logs(argv);
      expect(result.code, result.stderr).toBe(0);
      return sandbox.control
        .requests()
        .slice(before)
        .filter((r) => r.path === 'data/events/last')
        .map((r) => r.query.get('limit') ?? '');
    };
    expect(await limitsAsked(['--limit', '1'])).toEqual(['1']);
    expect(await limitsAsked(['--limit', '5', '--reverse'])).toEqual(['5']);
    // The server's largest page when the client may drop rows, or when more are wanted.
    expect(await limitsAsked(['--limit', '3', 'task:*'])).toEqual(['1000']);
    expect((await limitsAsked(['--limit', '1500']))[0]).toBe('1000');
  });

  it('--all, and --all --reverse', async () => {
    const all = await logs(['--all']);
    expect(idsOfNdjson(all.stdout)).toEqual(storedIds(sandbox));
    const reversed = await logs(['--all', '--reverse']);
    expect(idsOfNdjson(reversed.stdout)).toEqual(storedIds(sandbox).reverse());
  });

  it('--since/--after inclusive and --until/--before exclusive, in the server order', async () => {
    const log = sandbox.control.log();
    const from = secondOfStored(log[500]!);
    const to = secondOfStored(log[900]!);
    const inRange = storedIds(sandbox, (e) => secondOfStored(e) >= from && secondOfStored(e) < to);
    for (const [a, b] of [
      ['--since', '--until'],
      ['--after', '--before'],
    ] as const) {
      const result = await logs([a, iso(from), b, iso(to)]);
      expect(result.code).toBe(0);
      // A range means every event in it, not the newest 100.
      expect(idsOfNdjson(result.stdout)).toEqual(inRange);
    }
    const limited = await logs(['--since', iso(from), '--until', iso(to), '--limit', '3']);
    expect(idsOfNdjson(limited.stdout)).toEqual(inRange.slice(-3));
  });

  it('takes durations as "ago"', async () => {
    const newest = sandbox.control.log().at(-1)!;
    const now = newest.createdAtUs / 1000 + 30_000;
    const result = await logs(['--since', '15m'], admin, { clock: { now: () => now } });
    const from = Math.floor((now - 15 * 60_000) / 1000);
    const expected = storedIds(sandbox, (e) => secondOfStored(e) >= from);
    expect(expected.length).toBeGreaterThan(0);
    expect(idsOfNdjson(result.stdout)).toEqual(expected);
  });

  it('filters by patterns, --only-files, --project (name or id, repeatable) and --person', async () => {
    const [p1, p2] = sandbox.projects;
    const tasks = await logs(['--all', 'task:*', '!task:update']);
    expect(idsOfNdjson(tasks.stdout)).toEqual(
      storedIds(sandbox, (e) => e.name.startsWith('task:') && e.name !== 'task:update'),
    );
    const files = await logs(['--all', '--only-files']);
    const expectedFiles = storedIds(sandbox, (e) =>
      ['preview-file:add-file', 'organisation:set-thumbnail', 'person:set-thumbnail', 'project:set-thumbnail'].includes(
        e.name,
      ),
    );
    expect(expectedFiles.length).toBeGreaterThan(0);
    expect(idsOfNdjson(files.stdout)).toEqual(expectedFiles);
    const byName = await logs(['--all', '--project', p1!.name.toLowerCase()]);
    expect(idsOfNdjson(byName.stdout)).toEqual(storedIds(sandbox, (e) => projectOf(e) === p1!.id));
    const two = await logs(['--all', '--project', p1!.id, '--project', p2!.name]);
    expect(idsOfNdjson(two.stdout)).toEqual(
      storedIds(sandbox, (e) => projectOf(e) === p1!.id || projectOf(e) === p2!.id),
    );
    const artist = sandbox.users.artist;
    for (const ref of [artist.email, artist.full_name, artist.id]) {
      const mine = await logs(['--all', '--person', ref]);
      expect(idsOfNdjson(mine.stdout), ref).toEqual(storedIds(sandbox, (e) => e.user_id === artist.id));
    }
    expect(storedIds(sandbox, (e) => e.user_id === artist.id).length).toBeGreaterThan(0);
  });

  it('answers a --project or --person that matches nothing with exit 2 and close names', async () => {
    const name = sandbox.projects[0]!.name;
    const result = await logs(['--project', name.slice(0, -1)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`did you mean "${name}"`);
    const person = await logs(['--person', 'nobody@nowhere.example']);
    expect(person.code).toBe(2);
    expect(person.stderr).toMatch(/--person "nobody@nowhere.example" matches no person/);
    for (const flag of ['--person', '--by', '--about', '--project']) {
      const empty = await logs([flag, ' ']);
      expect(empty.code).toBe(2);
      expect(empty.stderr).toMatch(
        new RegExp(`^kitsu-tail: ${flag} is empty \\(give a (person|project) name or id\\)\n$`),
      );
    }
  });

  it('--format json, csv and table (names instead of ids on a terminal)', async () => {
    const json = await logs(['--limit', '3', '--format', 'json']);
    expect((JSON.parse(json.stdout) as { id: string }[]).map((r) => r.id)).toEqual(storedIds(sandbox).slice(-3));
    const csv = await logs(['--limit', '3', '--format', 'csv']);
    expect(csv.stdout.trim().split('\n')).toHaveLength(4);
    const withProject = sandbox.control
      .log()
      .filter((e) => e.project_id !== null)
      .at(-1)!;
    const table = await logs(['--limit', '1', '--project', withProject.project_id!], admin, { tty: true });
    expect(table.code).toBe(0);
    const projectName = sandbox.projects.find((p) => p.id === withProject.project_id)!.name;
    expect(table.stdout).toContain(projectName);
    expect(table.stdout).not.toContain('{"id"');
  });

  it('--output appends to a file', async () => {
    const file = join(work, 'plain.ndjson');
    writeFileSync(file, '');
    await logs(['--limit', '2', '--output', file]);
    await logs(['--limit', '2', '--output', file]);
    const last2 = storedIds(sandbox).slice(-2);
    expect(idsOfNdjson(readFileSync(file, 'utf8'))).toEqual([...last2, ...last2]);
  });

  it('shows progress on a terminal only when records do not scroll there', async () => {
    const file = join(work, 'progress.ndjson');
    const onTty = await logs(['--all', '--output', file], admin, { tty: true });
    expect(onTty.stderr).toMatch(/reading the event log: [\d,]+ events/);
    const piped = await logs(['--all', '--output', file]);
    // No progress in a pipe: only the summary that ends every --output run (issue 11).
    expect(piped.stderr).toBe(`appended ${storedIds(sandbox).length} events to ${file}\n`);
  });
});

describe('logs: refusals', () => {
  it('bad dates, ranges and patterns are exit 2 with examples', async () => {
    const date = await logs(['--since', 'yesterdayish']);
    expect(date.code).toBe(2);
    expect(date.stderr).toMatch(/--since: cannot read 'yesterdayish'/);
    expect(date.stderr).toContain('2h');
    expect(date.stderr.trim().split('\n')).toHaveLength(1);
    const until = await logs(['--before', '2026-13-01']);
    expect(until.code).toBe(2);
    expect(until.stderr).toContain('--before');
    const range = await logs(['--since', '1h', '--until', '2h']);
    expect(range.code).toBe(2);
    const pattern = await logs(['task']);
    expect(pattern.code).toBe(2);
    expect(pattern.stderr).toContain("did you mean 'task:*'");
    const colons = await logs(['task:*:x']);
    expect(colons.code).toBe(2);
    expect(colons.stderr).toMatch(
      /^kitsu-tail: bad event pattern 'task:\*:x': event names have one ':'.*for example 'task:\*'.*\n$/,
    );
    const both = await logs(['--limit', '3', '--all']);
    expect(both.code).toBe(2);
    const twice = await logs(['--since', '1h', '--after', '2h']);
    expect(twice.code).toBe(2);
  });

  it('--follow with a past --until is exit 2, not a follow that runs on past it', async () => {
    // Were it taken, the follow would never end: the time-out turns that into exit 130.
    const result = await logs(['--follow', '--limit', '1', '--until', '1h'], admin, {
      signal: AbortSignal.timeout(15_000),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--until 1h is already past, so --follow would have nothing to follow/);
    expect(result.stdout).toBe('');
  });

  it('no permission is exit 4 with what it takes', async () => {
    const artist = botEnv(sandbox, 'user', config.dir);
    const result = await logs([], artist);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      'reading the event log needs a manager or admin account (or a bot token with that role)',
    );
    expect(result.stderr).toContain('you are logged in with a bot token, role user');
    expect(result.stdout).toBe('');
    const logins = await logs(['--logins'], botEnv(sandbox, 'manager', config.dir));
    expect(logins.code).toBe(4);
    expect(logins.stderr).toContain('reading the login log needs an admin account');
  });

  it('tells a manager once that the results are scoped to their projects', async () => {
    const manager = botEnv(sandbox, 'manager', config.dir);
    const result = await logs(['--limit', '5'], manager);
    expect(result.code).toBe(0);
    expect(result.stderr.match(/only the events of your own projects/g)).toHaveLength(1);
  });

  it('a manager reads their own projects only: another project is exit 4, by name exit 2', async () => {
    const managerConfig = tempConfigDir();
    try {
      await loginAs(sandbox, sandbox.users.manager, managerConfig.dir);
      const env = { KITSU_TAIL_CONFIG_DIR: managerConfig.dir };
      const mine = new Set([sandbox.projects[0]!.id, sandbox.projects[1]!.id]);
      const all = await logs(['--all', '-q'], env);
      expect(all.code).toBe(0);
      expect(idsOfNdjson(all.stdout)).toEqual(
        storedIds(sandbox, (e) => e.project_id !== null && mine.has(e.project_id)),
      );
      const other = sandbox.projects[2]!;
      const byId = await logs(['--project', other.id], env);
      expect(byId.code).toBe(4);
      expect(byId.stderr).toContain('a manager can read the events of their own projects only');
      const byName = await logs(['--project', other.name], env);
      expect(byName.code).toBe(2);
      expect(byName.stderr).toContain('matches no project this account can see');
    } finally {
      managerConfig.cleanup();
    }
  });

  it('not logged in is exit 3', async () => {
    const empty = tempConfigDir();
    try {
      const result = await runCli(['logs'], { env: { KITSU_TAIL_CONFIG_DIR: empty.dir } });
      expect(result.code).toBe(3);
    } finally {
      empty.cleanup();
    }
  });
});

describe('logs --by and --about (issue 11: one meaning per flag)', () => {
  const personIdsAsked = async (argv: string[]) => {
    const before = sandbox.control.requests().length;
    const result = await logs(argv);
    const asked = sandbox.control
      .requests()
      .slice(before)
      .filter((r) => r.path === 'data/events/last')
      .map((r) => r.query.getAll('person_ids'));
    return { result, asked };
  };

  it('--by is who acted, filtered by the server (person_ids); --about who an event is about (data.person_id)', async () => {
    const artist = sandbox.users.artist;
    const { result: by, asked } = await personIdsAsked(['--all', '--by', artist.email]);
    expect(by.code, by.stderr).toBe(0);
    expect(idsOfNdjson(by.stdout)).toEqual(storedIds(sandbox, (e) => e.user_id === artist.id));
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((ids) => ids.length === 1 && ids[0] === artist.id)).toBe(true);

    const aboutExpected = storedIds(sandbox, (e) => e.data.person_id === artist.id);
    expect(aboutExpected.length).toBeGreaterThan(0);
    // Events about the artist that someone else made: the two flags really differ.
    expect(aboutExpected.some((id) => !storedIds(sandbox, (e) => e.user_id === artist.id).includes(id))).toBe(true);
    const { result: about, asked: aboutAsked } = await personIdsAsked(['--all', '--about', artist.full_name]);
    expect(about.code, about.stderr).toBe(0);
    expect(idsOfNdjson(about.stdout)).toEqual(aboutExpected);
    // No server filters data.person_id: nothing is sent that would narrow by who acted.
    expect(aboutAsked.every((ids) => ids.length === 0)).toBe(true);

    const both = await logs(['--all', '--by', artist.id, '--about', artist.email]);
    expect(idsOfNdjson(both.stdout)).toEqual(
      storedIds(sandbox, (e) => e.user_id === artist.id && e.data.person_id === artist.id),
    );
  });

  it('--person still works for one release as --by, saying so on stderr', async () => {
    const artist = sandbox.users.artist;
    const result = await logs(['--all', '--person', artist.email]);
    expect(result.code).toBe(0);
    expect(idsOfNdjson(result.stdout)).toEqual(storedIds(sandbox, (e) => e.user_id === artist.id));
    expect(result.stderr).toContain(
      'warning: --person is deprecated and goes in the next release: in logs it meant who acted, now --by (in listen it meant who an event is about, now --about)\n',
    );
    const help = await runCli(['logs', '--help']);
    expect(help.stdout).toContain('--by <person>');
    expect(help.stdout).toContain('--about <person>');
    expect(help.stdout).not.toContain('--person');
  });

  it('a name that matches no one: exit 2 naming the flag as typed, with close names', async () => {
    const artist = sandbox.users.artist;
    const typo = artist.full_name.slice(0, -1);
    for (const flag of ['--by', '--about']) {
      const result = await logs([flag, typo]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `^kitsu-tail: ${flag} "${typo}" matches no person this account can see \\(did you mean .*"${artist.full_name}"\\?\\)\n$`,
        ),
      );
    }
  });

  it('logs --follow --about follows who events are about, history and live alike', async () => {
    const artist = sandbox.users.artist;
    const live = logs(['--follow', '--limit', '1', '--about', artist.email, '--until', '+3s']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    sandbox.control.emit('task:assign', { task_id: 'live-other', person_id: sandbox.users.manager.id });
    sandbox.control.emit('task:assign', { task_id: 'live-mine', person_id: artist.id });
    const result = await live;
    expect(result.code, result.stderr).toBe(0);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { data: { person_id?: string; task_id?: string } });
    expect(records.every((r) => r.data.person_id === artist.id)).toBe(true);
    expect(records.map((r) => r.data.task_id)).not.toContain('live-other');
    expect(result.stderr).not.toContain('--person');
  });
});

describe('logs --logins', () => {
  it('pages the login log with the same time options and formats', async () => {
    // Real logins write login-log rows.
    for (let i = 0; i < 3; i += 1) {
      await runCli(['login', '--host', sandbox.url, '--email', sandbox.users.artist.email, '--password-stdin'], {
        env: { KITSU_TAIL_CONFIG_DIR: tempConfigDir().dir },
        stdin: `${sandbox.users.artist.password}\n`,
      });
    }
    const result = await logs(['--logins', '--all']);
    expect(result.code).toBe(0);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'created_at', 'person_id', 'ip_address', 'origin']);
    const mine = await logs(['--logins', '--person', sandbox.users.artist.email, '--reverse', '--limit', '2']);
    const two = mine.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { person_id: string; created_at: string });
    expect(two).toHaveLength(2);
    expect(two.every((r) => r.person_id === sandbox.users.artist.id)).toBe(true);
    expect(two[0]!.created_at >= two[1]!.created_at).toBe(true);
    const bad = await logs(['--logins', 'task:*']);
    expect(bad.code).toBe(2);
  });
});

export type { StoredEvent };
