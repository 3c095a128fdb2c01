/**
 * Every message in one style (issue 11): the exact first line on stderr and the exit code of
 * each, commander's own errors included. `kitsu-tail: <what is wrong> (<hint>)`, no nested
 * brackets, no ISO time the user did not type, no library words. In-process, no network: the
 * config folder is an empty temporary one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTimeText } from '../../src/output/time-text.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { loginAs } from '../helpers/login.js';
import { TABLE_NOW } from '../helpers/plan.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

const config = tempConfigDir();
afterAll(() => config.cleanup());
const HOUR = 3_600_000;
const at = (ms: number) => localTimeText(ms, TABLE_NOW);

/** argv, the exact first line of stderr, the exit code. */
const messages: [string[], string, number][] = [
  // commander: unknown options, with "did you mean" across commands
  [
    ['logs', '--count', '3'],
    "kitsu-tail: unknown option '--count' for logs (--count belongs to another command: did you mean kitsu-tail listen --count or kitsu-tail demo --count?)",
    2,
  ],
  [
    ['listen', '--limit', '3'],
    "kitsu-tail: unknown option '--limit' for listen (--limit belongs to another command: did you mean kitsu-tail logs --limit?)",
    2,
  ],
  [
    ['logs', '--limt', '3'],
    "kitsu-tail: unknown option '--limt' for logs (did you mean --limit? see kitsu-tail logs --help)",
    2,
  ],
  [
    ['listen', '--idle-timout', '5m'],
    "kitsu-tail: unknown option '--idle-timout' for listen (did you mean --idle-timeout? see kitsu-tail listen --help)",
    2,
  ],
  [
    ['logs', '--jsn'],
    "kitsu-tail: unknown option '--jsn' for logs (did you mean --json? see kitsu-tail logs --help)",
    2,
  ],
  [
    ['sandbox', '--host', 'x'],
    "kitsu-tail: unknown option '--host' for sandbox (--host belongs to another command: did you mean kitsu-tail login --host?)",
    2,
  ],
  [['logs', '--no-such-flag'], "kitsu-tail: unknown option '--no-such-flag' for logs (see kitsu-tail logs --help)", 2],
  [['logs', '-z'], "kitsu-tail: unknown option '-z' for logs (see kitsu-tail logs --help)", 2],
  [['--nope'], "kitsu-tail: unknown option '--nope' (see kitsu-tail --help)", 2],
  // commander: unknown commands
  [['lgos'], "kitsu-tail: unknown command 'lgos' (did you mean kitsu-tail logs? see kitsu-tail --help)", 2],
  [['lsiten'], "kitsu-tail: unknown command 'lsiten' (did you mean kitsu-tail listen? see kitsu-tail --help)", 2],
  [
    ['tail'],
    "kitsu-tail: unknown command 'tail' (the commands are login, logout, whoami, profiles, listen, logs, bridge, sandbox, demo, completion, version; see kitsu-tail --help)",
    2,
  ],
  [
    ['version', 'x'],
    "kitsu-tail: version takes no arguments, but got 'x' as well (for example: kitsu-tail version)",
    2,
  ],
  // commander: bad choices
  [['logs', '--format', 'xml'], "kitsu-tail: --format cannot be 'xml' (use table, ndjson, json or csv)", 2],
  [['--format', 'yaml', 'listen'], "kitsu-tail: --format cannot be 'yaml' (use table, ndjson, json or csv)", 2],
  [['--color', 'sometimes', 'logs'], "kitsu-tail: --color cannot be 'sometimes' (use auto, always or never)", 2],
  [['completion', 'tcsh'], "kitsu-tail: completion cannot take 'tcsh' as its shell (use one of bash, zsh, fish)", 2],
  [['__complete', 'people'], "kitsu-tail: __complete has no kind 'people' (use one of: profiles, events, projects)", 2],
  // commander: missing arguments and values
  [
    ['completion'],
    'kitsu-tail: completion needs a shell: bash, zsh or fish (for example: kitsu-tail completion zsh > "${fpath[1]}/_kitsu-tail")',
    2,
  ],
  [['profiles', 'use'], 'kitsu-tail: profiles use needs a name (for example: kitsu-tail profiles use staging)', 2],
  [['profiles', 'remove'], 'kitsu-tail: profiles remove needs a name (for example: kitsu-tail profiles remove old)', 2],
  [['logs', '--limit'], 'kitsu-tail: --limit needs a value (write it as --limit <n>; see kitsu-tail logs --help)', 2],
  [['login', '--host'], 'kitsu-tail: --host needs a value (write it as --host <url>; see kitsu-tail login --help)', 2],
  [
    ['logs', '--color'],
    'kitsu-tail: --color needs a value: auto, always or never (write it as --color <when>; see kitsu-tail --help)',
    2,
  ],
  [
    ['whoami', 'extra'],
    "kitsu-tail: whoami takes no arguments, but got 'extra' as well (for example: kitsu-tail whoami)",
    2,
  ],
  [
    ['profiles', 'use', 'a', 'b'],
    "kitsu-tail: profiles use takes 1 argument, but got 'b' as well (for example: kitsu-tail profiles use staging)",
    2,
  ],
  // commander: invalid numbers (our parsers' words, after the value as typed)
  [['logs', '--limit', 'x'], "kitsu-tail: --limit 'x': --limit takes a whole number of 1 or more, such as 10", 2],
  [['listen', '--count', '0'], "kitsu-tail: --count '0': --count takes a whole number of 1 or more, such as 10", 2],
  [
    ['listen', '--max-reconnects', '-1'],
    "kitsu-tail: --max-reconnects '-1': --max-reconnects takes a whole number, such as 0 or 10",
    2,
  ],
  [
    ['sandbox', '--port', '99999'],
    "kitsu-tail: --port '99999': --port takes a port number from 0 to 65535 (0 picks a free one)",
    2,
  ],
  [['sandbox', '--rate', 'fast'], "kitsu-tail: --rate 'fast': --rate takes events a second, such as 5 or 0.5/s", 2],
  [
    ['demo', '--events', '1000001'],
    "kitsu-tail: --events '1000001': --events takes a whole number from 0 to 1000000, such as 1000",
    2,
  ],
  // times: one meaning, the flags as typed, local times
  [
    ['listen', '--until', '2h'],
    "kitsu-tail: --until 2h is already past (a duration means that long ago everywhere; for an end ahead write --until 'in 2h', +2h or a clock time such as 18:00)",
    2,
  ],
  [
    ['listen', '--until', 'now'],
    'kitsu-tail: --until now is already past (give a later time, such as 18:00 or +2h; for a past range use `kitsu-tail logs --since … --until …`)',
    2,
  ],
  [
    ['listen', '--since', 'in 1h'],
    'kitsu-tail: --since in 1h is in the future (give a time in the past, such as 2h or 08:00)',
    2,
  ],
  [
    ['logs', '--since', '1h', '--until', '2h'],
    `kitsu-tail: --until 2h, ${at(TABLE_NOW - 2 * HOUR)}, is not after --since 1h, ${at(TABLE_NOW - HOUR)} (the range runs from --since up to --until; durations count back from now, so the larger one is the earlier)`,
    2,
  ],
  [['logs', '--since', '1h', '--after', '2h'], 'kitsu-tail: --since and --after mean the same; give one of them', 2],
  [
    ['logs', '--follow', '--until', '1h'],
    'kitsu-tail: --until 1h is already past, so --follow would have nothing to follow (drop --follow to print that range, or give a later time such as 18:00 or +2h; a bare 2h means two hours ago)',
    2,
  ],
  // patterns and --exclude
  [
    ['logs', 'task'],
    "kitsu-tail: bad event pattern 'task': event names are <object>:<action>; did you mean 'task:*'? (for example 'task:*', '*:delete', 'task:status-changed' or '!task:update')",
    2,
  ],
  [
    ['listen', '--exclude', 'task'],
    "kitsu-tail: bad event pattern '!task': event names are <object>:<action>; did you mean '!task:*'? (for example 'task:*', '*:delete', 'task:status-changed' or '!task:update')",
    2,
  ],
  [
    ['logs', '--logins', '--exclude', 'task:update'],
    'kitsu-tail: event patterns do not apply to --logins (drop the patterns, or --logins)',
    2,
  ],
  // --by (who acted) and --about (who an event is about): one meaning each
  [
    ['listen', '--by', 'jane@example.com'],
    'kitsu-tail: --by cannot apply to listen: Kitsu never says who acted in a live event (use --about PERSON for who an event is about, or kitsu-tail logs --by PERSON to search the stored log by who acted)',
    2,
  ],
  [
    ['logs', '--follow', '--by', 'jane@example.com'],
    'kitsu-tail: --by cannot follow live events: Kitsu never says who acted in a live event (use --about PERSON for who an event is about, or drop --follow to search the log by who acted)',
    2,
  ],
  [
    ['logs', '--follow', '--person', 'jane@example.com'],
    'kitsu-tail: --person with --follow is gone: it meant who acted in the history but who an event is about once live (use --about PERSON to follow who events are about; --by PERSON, who acted, works without --follow)',
    2,
  ],
  [
    ['logs', '--logins', '--about', 'jane@example.com'],
    'kitsu-tail: --about applies to events, not to --logins (use --by PERSON for who logged in)',
    2,
  ],
  [
    ['logs', '--about'],
    'kitsu-tail: --about needs a value (write it as --about <person>; see kitsu-tail logs --help)',
    2,
  ],
  // flags that contradict each other
  [['logs', '--limit', '3', '--all'], 'kitsu-tail: --limit and --all contradict each other; give one of them', 2],
  [
    ['logs', '--checkpoint', 'c.json', '--reverse'],
    'kitsu-tail: --checkpoint exports oldest first; it takes no --reverse',
    2,
  ],
  // files
  [
    ['logs', '--format', 'table', '--output', 'events.txt'],
    'kitsu-tail: --format table is laid out for a terminal, not for a file that programs read (leave out --format for NDJSON, or give --format csv for a spreadsheet)',
    2,
  ],
  [
    ['logs', '--checkpoint', 'c.json', '--output', 'events.json', '--format', 'json'],
    'kitsu-tail: --checkpoint with --output appends run after run; --format json cannot be appended exactly once (give --format ndjson, the default, or --format csv)',
    2,
  ],
  [
    ['logs', '--checkpoint', 'c.json', '--output', 'events.csv', '--fields', 'id,names.entity'],
    'kitsu-tail: --fields names.* with --checkpoint --output: an exact export keeps the records as the log has them (drop the names.* fields, and add names when you read the file)',
    2,
  ],
  [
    ['login', '--token', 't', '--email', 'a@b.c'],
    'kitsu-tail: --token and a password login (--email, --password-stdin) exclude each other (use one of them)',
    2,
  ],
  [
    ['sandbox', '--emulate', '9.9.9'],
    'kitsu-tail: --emulate 9.9.9 is not a Zou version the sandbox knows (it knows 0.19.0 to 1.0.67; the behaviour changes at 0.19.28, 0.19.70, 1.0.4, 1.0.16, 1.0.63)',
    2,
  ],
  [
    ['demo', '--emulate', '0.18.2'],
    'kitsu-tail: --emulate 0.18.2 is not a Zou version the sandbox knows (it knows 0.19.0 to 1.0.67; the behaviour changes at 0.19.28, 0.19.70, 1.0.4, 1.0.16, 1.0.63)',
    2,
  ],
  [['sandbox', '--emulate', 'one'], 'kitsu-tail: --emulate takes a Zou version such as 1.0.62, not "one"', 2],
  // not logged in (an empty config folder, no network)
  [['whoami'], 'kitsu-tail: not logged in (run `kitsu-tail login`, or set KITSU_HOST and KITSU_TOKEN)', 3],
  [['logs'], 'kitsu-tail: not logged in (run `kitsu-tail login`, or set KITSU_HOST and KITSU_TOKEN)', 3],
  [['listen'], 'kitsu-tail: not logged in (run `kitsu-tail login`, or set KITSU_HOST and KITSU_TOKEN)', 3],
  [['profiles', 'use', 'nope'], 'kitsu-tail: there is no saved login named "nope" (run `kitsu-tail login` first)', 2],
];

/** Brackets inside brackets: `(a (b))`. */
function nested(line: string): boolean {
  let depth = 0;
  for (const c of line) {
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (depth > 1) return true;
  }
  return false;
}

describe('every message: the exact first line and the exit code', () => {
  it('has at least 40 invocations', () => {
    expect(messages.length).toBeGreaterThanOrEqual(40);
  });

  it.each(messages)('kitsu-tail %j', async (argv, first, code) => {
    const result = await runCli(argv, {
      env: { KITSU_TAIL_CONFIG_DIR: config.dir },
      clock: { now: () => TABLE_NOW },
    });
    expect(result.stderr.split('\n')[0]).toBe(first);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/^error:|\(Did you mean|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/m);
  });

  it('commander never prints its own `error:` line', () => {
    for (const [, first] of messages) expect(first.startsWith('kitsu-tail: ')).toBe(true);
  });

  it('has no nested brackets', () => {
    const withNesting = messages.filter(([, first]) => nested(first)).map(([argv]) => argv.join(' '));
    expect(withNesting).toEqual([]);
  });
});

/**
 * The server's words said plainly: a token that is not a JWT ("Not enough segments" from
 * PyJWT), and the role message of `logs` for `listen --since` too (it was the bare 403 of
 * GET /api/data/events/last). Against the sandbox on 127.0.0.1.
 */
describe('messages that quote the server', () => {
  let sandbox: Sandbox;
  const artist = tempConfigDir();
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, events: 20, rate: 0 });
    await loginAs(sandbox, sandbox.users.artist, artist.dir);
  });
  afterAll(async () => {
    await sandbox.close();
    artist.cleanup();
  });

  const ROLE =
    'kitsu-tail: reading the event log needs a manager or admin account (or a bot token with that role) (you are logged in as artist@example.com, role user)';

  it.each([[['whoami']], [['logs']]])('a token that is not a token: %j', async (argv) => {
    const result = await runCli(argv, {
      env: { KITSU_TAIL_CONFIG_DIR: config.dir, KITSU_HOST: sandbox.url, KITSU_TOKEN: 'notatoken' },
    });
    const host = new URL(sandbox.url).host;
    expect(result.stderr.split('\n')[0]).toBe(
      `kitsu-tail: ${host} refused the session: the token is not one this server issued (the bot token may have been revoked; ask a Kitsu admin for a new one)`,
    );
    expect(result.stderr).not.toMatch(/segments/i);
    expect(result.code).toBe(3);
  });

  it.each([[['logs', '--since', '1h']], [['--quiet', 'listen', '--since', '1h', '--idle-timeout', '30s']]])(
    'an artist reading the log gets the role message: %j',
    async (argv) => {
      const result = await runCli(argv, { env: { KITSU_TAIL_CONFIG_DIR: artist.dir } });
      expect(result.stderr.split('\n')[0]).toBe(ROLE);
      expect(result.code).toBe(4);
    },
  );
});
