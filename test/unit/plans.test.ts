/**
 * argv → Plan or usage error, for every command (gh's TestNewCmd… tables): every flag
 * conflict and bad value is refused here with exit 2 and one line naming it, before any I/O,
 * and the accepted lines become the plans the commands run. No sandbox, no network.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMIT } from '../../src/logs/plan.js';
import { planOf, TABLE_NOW } from '../helpers/plan.js';

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

/** argv, then what stderr must say; the exit code is 2 for each. */
const refusals: [string[], RegExp][] = [
  // logs: time flags
  [['logs', '--since', '1h', '--after', '2h'], /--since and --after mean the same; give one of them/],
  [['logs', '--until', '1h', '--before', '2h'], /--until and --before mean the same; give one of them/],
  [['logs', '--since', 'yesterdayish'], /--since: cannot read 'yesterdayish'.*2h/],
  [['logs', '--after', 'yesterdayish'], /--after: cannot read 'yesterdayish'/],
  [['logs', '--before', '2026-13-01'], /--before: /],
  // issue 11: the flags as typed and local times, no ISO time the user did not type
  [
    ['logs', '--since', '1h', '--until', '2h'],
    /--until 2h, \d\d:\d\d, is not after --since 1h, \d\d:\d\d \(the range runs from --since up to --until;/,
  ],
  [['logs', '--after', '1h', '--before', '1h'], /--before 1h, \d\d:\d\d, is not after --after/],
  // logs: patterns
  [['logs', 'task'], /did you mean 'task:\*'/],
  [['logs', 'task:*:x'], /bad event pattern 'task:\*:x': event names have one ':'/],
  // logs: --logins excludes what only the event log has
  [['logs', '--logins', 'task:*'], /event patterns do not apply to --logins \(drop the patterns, or --logins\)/],
  [['logs', '--logins', '--only-files'], /--only-files does not apply to --logins/],
  [
    ['logs', '--logins', '--project', 'Agent 327'],
    /--project does not apply to --logins \(logins belong to no project\)/,
  ],
  [['logs', '--logins', '--follow'], /--follow applies to the event log, not to --logins/],
  [['logs', '--logins', '--names'], /--names applies to events, not to --logins/],
  [
    ['logs', '--names', '--checkpoint', 'c.json', '--output', 'o'],
    /--names with --checkpoint --output: an exact export keeps the records as the log has them/,
  ],
  // issue 11: --by is who acted, which only the stored log knows
  [
    ['logs', '--follow', '--by', 'a@b.c'],
    /^kitsu-tail: --by cannot follow live events: Kitsu never says who acted in a live event \(use --about PERSON/,
  ],
  [['logs', '--follow', '--person', 'a@b.c'], /^kitsu-tail: --person with --follow is gone: it meant who acted/],
  [['logs', '--logins', '--about', 'a@b.c'], /--about applies to events, not to --logins \(use --by PERSON/],
  [['listen', '--by', 'a@b.c'], /^kitsu-tail: --by cannot apply to listen: Kitsu never says who acted/],
  [['demo', '--by', 'a@b.c'], /^kitsu-tail: --by cannot apply to demo: /],
  // logs: how many
  [['logs', '--limit', '3', '--all'], /--limit and --all contradict each other; give one of them/],
  [['logs', '--limit', '0'], /--limit takes a whole number of 1 or more/],
  [['logs', '--limit', 'many'], /--limit takes a whole number of 1 or more/],
  // logs: --checkpoint
  [['logs', '--checkpoint', 'c.json', '--limit', '5'], /--checkpoint exports every new event; it takes no --limit/],
  [['logs', '--checkpoint', 'c.json', '--reverse'], /--checkpoint exports oldest first; it takes no --reverse/],
  [
    ['logs', '--checkpoint', 'c.json', '--follow'],
    /--checkpoint ends when it has caught up; run it from cron instead of with --follow/,
  ],
  [
    ['logs', '--checkpoint', 'c.json', '--output', 'o', '--fields', 'id,names.project'],
    /--fields names.\* with --checkpoint --output: an exact export keeps the records as the log has them/,
  ],
  [
    ['logs', '--format', 'table', '--output', 'o'],
    /--format table is laid out for a terminal, not for a file that programs read/,
  ],
  [
    ['--format', 'json', 'logs', '--checkpoint', 'c.json', '--output', 'o'],
    /--format json cannot be appended exactly once/,
  ],
  [
    ['logs', '--checkpoint', 'c.json', '--output', 'o', '--format', 'table'],
    /--format table cannot be appended exactly once/,
  ],
  // logs: --follow
  [['logs', '--follow', '--reverse'], /--follow prints oldest first, then live events; it takes no --reverse/],
  [['logs', '--follow', '--until', '1h'], /--until 1h is already past, so --follow would have nothing to follow/],
  [['logs', '--follow', '--before', iso(TABLE_NOW - HOUR)], /--before .* is already past/],
  [['logs', '--no-such-flag'], /unknown option '--no-such-flag'/],
  // logs and listen: search, summary, shaping (C2)
  [
    ['logs', '--where', 'nam=task:*'],
    /--where: unknown field 'nam' \(fields are id, name, created_at, user_id, project_id, source, data/,
  ],
  [['logs', '--where', 'name'], /--where 'name' is not FIELD=VALUE/],
  [['listen', '--where', 'data..x=1'], /--where: 'data..x' has an empty part between dots/],
  [['logs', '--entity', ' '], /--entity is empty \(give a name or an id, such as --entity SH010\)/],
  [
    ['logs', '--logins', '--where', 'name=x'],
    /--where, --entity, --task-type and --status apply to the event log, not to --logins/,
  ],
  [['logs', '--stats', '--follow'], /--stats summarises a range of the log; it takes no --follow/],
  [
    ['logs', '--count-by', 'name', '--checkpoint', 'c.json'],
    /--count-by summarises a range of the log; it takes no --checkpoint/,
  ],
  [['logs', '--stats', '--count-by', 'name'], /--stats and --count-by are two views; give one of them/],
  [['logs', '--stats', '--logins'], /--stats applies to the event log, not to --logins/],
  [['logs', '--top', '3'], /--top sizes the counts of --stats and --count-by \(add --stats or --count-by KEY\)/],
  [['logs', '--count-by', 'nope'], /--count-by: unknown field 'nope'/],
  [
    ['logs', '--fields', 'name', '--json'],
    /--fields picks the columns of the table and CSV views; --format ndjson keeps whole records/,
  ],
  [
    ['--format', 'json', 'listen', '--no-headers'],
    /--no-headers applies to the table and CSV views; --format json has no header/,
  ],
  [['logs', '--fields', 'name,,wat'], /--fields: unknown field 'wat'/],
  [['logs', '--fields', ','], /--fields needs at least one field/],
  [['logs', '--logins', '--utc'], /--fields and --utc apply to the event log, not to --logins/],

  // listen (and demo, which plans the same flags)
  [
    ['listen', '--since', iso(TABLE_NOW + HOUR)],
    /--since .* is in the future \(give a time in the past, such as 2h or 08:00\)/,
  ],
  [['listen', '--since', 'soonish'], /--since: cannot read 'soonish'/],
  [['listen', '--until', iso(TABLE_NOW - HOUR)], /--until .* is already past .*kitsu-tail logs --since/],
  [['listen', '--until', 'now'], /--until now is already past/],
  [
    ['listen', '--idle-timeout', 'forever'],
    /--idle-timeout: cannot read 'forever' as a duration \(such as 30s, 5m or 1h\)/,
  ],
  [['listen', '--idle-timeout', '0s'], /--idle-timeout: cannot read '0s' as a duration/],
  [['listen', '--exec', '  '], /--exec needs a command/],
  [['listen', '--forward-to', 'localhost 4000'], /--forward-to: 'localhost 4000' is not a URL/],
  [
    ['listen', '--forward-to', 'ftp://localhost/x'],
    /--forward-to: 'ftp:\/\/localhost\/x' is not an http or https address/,
  ],
  [
    ['listen', '--exec', 'true', '--exec-on-error', 'later'],
    /--exec-on-error: 'later' is not a policy \(give continue or stop\)/,
  ],
  [['listen', '--exec-on-error', 'stop'], /--exec-on-error needs --exec/],
  [['logs', '--max-reconnects', '2'], /--max-reconnects applies to --follow/],
  [['listen', '--forward-secret', 's'], /--forward-secret needs --forward-to/],
  [['listen', '--forward-to', 'http://localhost:4000/h', '--forward-secret', ''], /--forward-secret is empty/],
  [['listen', '--count', 'many'], /--count takes a whole number of 1 or more/],
  [['listen', '--count', '0'], /--count takes a whole number of 1 or more/],
  [['listen', '--max-reconnects', '-1'], /--max-reconnects takes a whole number/],
  [['listen', 'task'], /did you mean 'task:\*'/],
  // listen --from (the Redis bus)
  [
    ['listen', '--from', 'http://127.0.0.1:6379'],
    /--from must start with redis:\/\/ or rediss:\/\/, not http:\/\/ \(give it as redis:\/\/HOST:PORT\/DB/,
  ],
  [['listen', '--from', 'redis://127.0.0.1:6379/zero'], /--from: 'zero' is not a database number/],
  [['listen', '--from', 'redis://:secret@127.0.0.1:6379/zero'], /^(?!.*secret).*not a database number/],
  [['listen', '--group', 'g'], /--group reads the Redis bus and needs --from \(add --from redis:\/\/HOST:PORT\/DB\)/],
  [['listen', '--from', 'redis://h:1/0', '--consumer', 'a'], /--consumer needs --group/],
  [
    ['listen', '--from', 'redis://h:1/0', '--group', 'g', '--reclaim-after', 'soon'],
    /--reclaim-after: cannot read 'soon' as a duration/,
  ],
  [
    ['listen', '--from', 'redis://h:1/0', '--forward-to', 'http://127.0.0.1:1/x'],
    /--forward-to does not work with --from yet/,
  ],
  // bridge
  // issue 11: commander's wording is rewritten into ours
  [
    ['bridge'],
    /^kitsu-tail: bridge needs a redis-url \(for example: kitsu-tail bridge redis:\/\/127\.0\.0\.1:6379\/0\)$/m,
  ],
  [['bridge', 'localhost:6379'], /must start with redis:\/\/ or rediss:\/\//],
  [['bridge', 'redis://h:1/0', '--lease', '100ms'], /--lease must be at least 500ms/],
  [['bridge', 'redis://h:1/0', '--lease', 'long'], /--lease: cannot read 'long' as a duration/],
  [['bridge', 'redis://h:1/0', '--max-len', '0'], /--max-len takes a whole number of 1 or more/],
  [['bridge', 'redis://h:1/0', '--stream', ' '], /--stream needs a key name/],
  [['bridge', 'redis://h:1/0', 'task'], /did you mean 'task:\*'/],
  [['demo', '--until', '+1h', '--forward-to', 'x'], /--forward-to: 'x' is not a URL/],
  // issue 11: a bare duration is the past in every command, so listen --until 2h is refused
  [
    ['listen', '--until', '2h'],
    /--until 2h is already past \(a duration means that long ago everywhere; for an end ahead write --until 'in 2h', \+2h or a clock time/,
  ],
  [['demo', '--exec', ''], /--exec needs a command/],
  [['demo', '--emulate', 'latest'], /--emulate takes a Zou version such as 1.0.62, not "latest"/],

  // sandbox
  [['sandbox', '--emulate', 'one'], /--emulate takes a Zou version such as 1.0.62, not "one"/],
  [['sandbox', '--port', '70000'], /--port takes a port number from 0 to 65535/],
  [['sandbox', '--rate', 'fast'], /--rate takes events a second, such as 5 or 0.5\/s/],
  [['sandbox', '--seed', '1.5'], /--seed takes a whole number/],
  [['sandbox', '--events', '-3'], /--events takes a whole number/],
  [['sandbox', '--events', '999999999999'], /--events takes a whole number from 0 to 1000000, such as 1000/],
  [['demo', '--events', '1000001'], /--events takes a whole number from 0 to 1000000/],

  // login
  [
    ['login', '--token', 't', '--email', 'a@b.c'],
    /--token and a password login \(--email, --password-stdin\) exclude each other \(use one of them\)/,
  ],
  [['login', '--token', 't', '--password-stdin'], /--token and a password login .* exclude each other/],
  [['login', '--token', ' \n'], /--token is empty \(pass the bot token/],
  [['login', '--token', 'abc.d\nef.ghi'], /the token in --token is malformed: it holds a line break/],

  // output formats a command cannot print
  [['whoami', '--format', 'csv'], /whoami prints a table or JSON, not CSV \(use --json\)/],
  [['profiles', '--format', 'csv'], /profiles prints a table or JSON \(use --format table, json or ndjson\)/],
  // issue 11: commander's own wording is rewritten into ours
  [['--format', 'xml', 'logs'], /^kitsu-tail: --format cannot be 'xml' \(use table, ndjson, json or csv\)$/m],
  [['--color', 'sometimes', 'listen'], /^kitsu-tail: --color cannot be 'sometimes' \(use auto, always or never\)$/m],

  // names and shells
  [['profiles', 'use', 'a b'], /profile name "a b" is not allowed/],
  [['profiles', 'remove', '../x'], /profile name "..\/x" is not allowed/],
  [['completion', 'tcsh'], /^kitsu-tail: completion cannot take 'tcsh' as its shell \(use one of bash, zsh, fish\)$/m],
  [
    ['__complete', 'people'],
    /^kitsu-tail: __complete has no kind 'people' \(use one of: profiles, events, projects\)$/m,
  ],
];

describe('argv → usage error (exit 2, one line, nothing run)', () => {
  for (const [argv, message] of refusals) {
    it(argv.join(' '), async () => {
      const outcome = await planOf(argv);
      expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
      if (outcome.ok) return;
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toMatch(message);
      expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  }
});

/** argv, then the command and the fields of the plan it must give. */
const plans: [string[], string, Record<string, unknown>][] = [
  // logs: how many, and in which order
  [
    ['logs'],
    'logs',
    {
      limit: DEFAULT_LIMIT,
      reverse: false,
      follow: false,
      logins: false,
      projects: [],
      people: { by: [], about: [], flags: { by: '--by', about: '--about' } },
    },
  ],
  [['logs', '--limit', '5', '--reverse'], 'logs', { limit: 5, reverse: true }],
  [['logs', '--all'], 'logs', { limit: null }],
  [['logs', '--since', '2h'], 'logs', { limit: null, since: new Date(TABLE_NOW - 2 * HOUR) }],
  [['logs', '--after', '2h', '--limit', '3'], 'logs', { limit: 3, since: new Date(TABLE_NOW - 2 * HOUR) }],
  [['logs', '--before', '1h'], 'logs', { until: new Date(TABLE_NOW - HOUR), limit: DEFAULT_LIMIT }],
  [['logs', '--checkpoint', 'c.json'], 'logs', { checkpoint: 'c.json', limit: null }],
  [['--json', 'logs', '--checkpoint', 'c.json', '--output', 'o'], 'logs', { checkpoint: 'c.json', output: 'o' }],
  // CSV appends across the runs of an export too (its header once, at the start of the file).
  [
    ['logs', '--checkpoint', 'c.json', '--output', 'o', '--format', 'csv'],
    'logs',
    { checkpoint: 'c.json', output: 'o' },
  ],
  [['logs', '--format', 'csv', '--output', 'o'], 'logs', { output: 'o', limit: DEFAULT_LIMIT }],
  [['logs', '--follow', '--until', iso(TABLE_NOW + HOUR)], 'logs', { follow: true, until: new Date(TABLE_NOW + HOUR) }],
  [
    ['logs', '--project', 'A', '--project', 'b', '--person', 'x@y.z', '--only-files'],
    'logs',
    {
      projects: ['A', 'b'],
      people: { by: ['x@y.z'], about: [], flags: { by: '--person' } },
      onlyFiles: true,
    },
  ],
  [['logs', '--logins', '--person', 'x@y.z'], 'logs', { logins: true, people: { by: ['x@y.z'] } }],
  // issue 11: --by (who acted) and --about (who an event is about); --person the deprecated alias of --by in logs
  [
    ['logs', '--by', 'a@b.c', '--about', 'Jane Doe', '--about', 'x'],
    'logs',
    { people: { by: ['a@b.c'], about: ['Jane Doe', 'x'], flags: { by: '--by', about: '--about' } } },
  ],
  [
    ['logs', '--person', 'a@b.c'],
    'logs',
    {
      people: {
        by: ['a@b.c'],
        notice:
          '--person is deprecated and goes in the next release: in logs it meant who acted, now --by (in listen it meant who an event is about, now --about)',
      },
    },
  ],
  [['logs', '--follow', '--about', 'a@b.c'], 'logs', { follow: true, people: { by: [], about: ['a@b.c'] } }],
  [['logs', '--logins', '--by', 'a@b.c'], 'logs', { logins: true, people: { by: ['a@b.c'] } }],
  [['listen', '--about', 'a@b.c'], 'listen', { people: { by: [], about: ['a@b.c'] } }],
  [
    ['listen', '--person', 'a@b.c'],
    'listen',
    {
      people: {
        about: ['a@b.c'],
        flags: { about: '--person' },
        notice:
          '--person is deprecated and goes in the next release: in listen it meant who an event is about, now --about (in logs it meant who acted, now --by)',
      },
    },
  ],
  [
    ['demo', '--person', 'a@b.c'],
    'demo',
    { listen: { people: { about: ['a@b.c'], notice: /in demo it meant who an event is about/ } } },
  ],
  [['bridge', 'redis://h:1', '--by', 'a@b.c'], 'bridge', { people: { by: ['a@b.c'], about: [] } }],
  [['bridge', 'redis://h:1', '--person', 'a@b.c'], 'bridge', { people: { by: ['a@b.c'], flags: { by: '--person' } } }],
  [['logs', 'task:*', '!task:update'], 'logs', { filter: { include: ['task:*'], exclude: ['task:update'] } }],
  // logs and listen: search, summary, shaping (C2)
  [['logs', '--stats'], 'logs', { summary: {}, since: new Date(TABLE_NOW - 24 * HOUR), limit: null }],
  [['logs', '--stats', '--limit', '50'], 'logs', { summary: {}, since: undefined, limit: 50 }],
  [
    ['logs', '--count-by', 'data.task_status_id', '--top', '3', '--all'],
    'logs',
    { summary: { countBy: { label: 'data.task_status_id', kind: 'field' }, top: 3 }, limit: null },
  ],
  [['logs', '--count-by', 'project'], 'logs', { summary: { countBy: { label: 'project_id', kind: 'project' } } }],
  [
    ['logs', '--entity', 'SH010', '--entity', 'E01 / SQ010', '--task-type', 'Animation', '--status', 'wfa'],
    'logs',
    { search: { entities: ['SH010', 'E01 / SQ010'], taskTypes: ['Animation'], statuses: ['wfa'] } },
  ],
  [
    ['logs', '--fields', 'created_at,name,data.task_id', '--no-headers', '--utc'],
    'logs',
    { shape: { headers: false, utc: true } },
  ],
  [
    ['listen', '--where', 'name=task:*', '--fields', 'name'],
    'listen',
    { search: { entities: [] }, shape: { headers: true, utc: false } },
  ],
  // listen
  [['listen'], 'listen', { backfill: true, projects: [], people: { by: [], about: [] }, names: false }],
  [['listen', '--names'], 'listen', { names: true }],
  [['logs', '--names', '--follow'], 'logs', { names: true, follow: true }],
  [
    ['listen', '--no-backfill', '--count', '3', '--max-reconnects', '0'],
    'listen',
    { backfill: false, count: 3, maxReconnects: 0 },
  ],
  // issue 11: the future end of listen is written `in 2h` or `+2h` (a bare 2h is two hours ago)
  [
    ['listen', '--since', '2h', '--until', 'in 2h'],
    'listen',
    { since: new Date(TABLE_NOW - 2 * HOUR), until: new Date(TABLE_NOW + 2 * HOUR) },
  ],
  [['listen', '--until', '+90m'], 'listen', { until: new Date(TABLE_NOW + 90 * 60_000) }],
  [
    ['listen', '--exclude', 'task:update', '--exclude', 'task:new', 'task:*'],
    'listen',
    { filter: expect.objectContaining({ include: ['task:*'], exclude: ['task:update', 'task:new'] }) },
  ],
  [
    ['logs', '--exclude', 'task:update', '--since', 'yesterday'],
    'logs',
    { filter: expect.objectContaining({ include: [], exclude: ['task:update'] }) },
  ],
  [['listen', '--idle-timeout', '30s', '--exec', 'cat'], 'listen', { idleTimeoutMs: 30_000, exec: 'cat' }],
  [
    ['listen', '--forward-to', 'http://127.0.0.1:4000/hook'],
    'listen',
    { forwardTo: new URL('http://127.0.0.1:4000/hook') },
  ],
  // listen --from and bridge
  [
    ['listen', '--from', 'redis://:pw@10.0.0.5:6380/2', 'task:*', '--count', '5'],
    'listen',
    { count: 5, bus: { stream: '{kitsu}:events', count: 5, from: { db: 2, display: 'redis://:***@10.0.0.5:6380/2' } } },
  ],
  [
    ['listen', '--from', 'redis://h:1', '--group', 'g', '--consumer', 'c1', '--reclaim-after', '30s', '--stream', 's'],
    'listen',
    { bus: { stream: 's', group: { name: 'g', consumer: 'c1', reclaimAfterMs: 30_000 } } },
  ],
  [
    ['listen', '--from', 'redis://h:1', '--group', 'g'],
    'listen',
    { bus: { group: { name: 'g', reclaimAfterMs: 60_000 } } },
  ],
  [
    ['bridge', 'redis://h:1/3', 'task:*'],
    'bridge',
    {
      stream: '{kitsu}:events',
      maxLen: 0,
      leaseMs: 10_000,
      since: null,
      filter: { include: ['task:*'] },
      target: { db: 3 },
      names: false,
    },
  ],
  [
    ['bridge', 'rediss://h:1', '--max-len', '1000', '--since', '2h', '--lease', '3s', '--project', 'P', '--only-files'],
    'bridge',
    { maxLen: 1000, since: (TABLE_NOW - 2 * HOUR) / 1000, leaseMs: 3_000, projects: ['P'], onlyFiles: true },
  ],
  [['bridge', 'redis://h:1', '--names'], 'bridge', { names: true }],
  [['listen', '--from', 'redis://h:1', '--names'], 'listen', { names: true, bus: { names: true } }],
  // sandbox and demo: their defaults
  [['sandbox'], 'sandbox', { port: 5080, rate: 1, events: 1000, seed: 1 }],
  [
    ['sandbox', '--port', '0', '--rate', '0.5/s', '--emulate', '0.19.60'],
    'sandbox',
    { port: 0, rate: 0.5, emulate: '0.19.60' },
  ],
  [
    ['demo', 'task:*'],
    'demo',
    { sandbox: { port: 0, rate: 2, events: 200 }, listen: { filter: { include: ['task:*'], exclude: [] } } },
  ],
  // login: a pasted token loses its line break
  [['login', '--token', 'abc\n'], 'login', { token: 'abc', passwordStdin: false }],
  [
    ['login', '--email', 'a@b.c', '--password-stdin', '--otp', '123456'],
    'login',
    { email: 'a@b.c', passwordStdin: true, otp: '123456' },
  ],
  // the rest
  [['profiles', 'use', 'prod-bot'], 'use', { name: 'prod-bot' }],
  [['completion', 'zsh'], 'completion', { shell: 'zsh' }],
  [['__complete', 'events', '--', '!task:s'], '__complete', { kind: 'events', prefix: '!task:s' }],
  [['__complete', 'profiles'], '__complete', { kind: 'profiles', prefix: '' }],
];

describe('argv → Plan', () => {
  for (const [argv, command, expected] of plans) {
    it(argv.join(' ').replace(/\n/g, '\\n') || '(none)', async () => {
      const outcome = await planOf(argv);
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, command });
      if (!outcome.ok) return;
      expect(outcome.plan).toMatchObject(expected);
    });
  }

  it('whoami, logout and profiles plan nothing but accept their line', async () => {
    for (const argv of [['whoami'], ['logout'], ['profiles'], ['--json', 'whoami']]) {
      expect(await planOf(argv)).toEqual({ ok: true, command: argv.at(-1), plan: null });
    }
  });
});
