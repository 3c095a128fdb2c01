/**
 * Every command and flag of kitsu-tail, declared once. Commander parses argv with these
 * declarations, and @commander-js/extra-typings infers from the same lines the type of each
 * command's options (`LogsOptions`, `ListenOptions`, …), so a plan that reads a flag under a
 * wrong or stale name does not compile.
 *
 * Adding a flag: one `.option(…)` line in the command's `declareX` below; its value then
 * appears, typed, in the `options` argument of that command's `planX` (listed beside each
 * declaration), which is where its checks go. See src/README.md.
 *
 * This module stays light: `--help` and `--version` load it, and nothing here may import
 * socket.io-client or conf (test/e2e/startup.test.ts).
 */
import { Argument, Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';

export const EXIT_CODES_HELP = `
Exit codes:
  0    done (also when stdout closes early, as with | head)
  1    unexpected failure
  2    usage: bad flag, bad date, bad pattern
  3    authentication: not logged in, bad credentials, session expired
  4    permission: the server said 403
  5    network: host unreachable, TLS failure, time-out after retries
  6    server: 5xx, or an answer that is not the Kitsu API
  124  --idle-timeout or --until ended listen --count N before N events
  130  interrupted (Ctrl-C)`;

const PATTERNS_HELP = "event-name globs: 'task:*', '*:delete', '!task:update' (or --exclude task:update)";
/** `!` inside double quotes is history expansion in bash: --exclude says it without one. */
const EXCLUDE_HELP =
  "leave out events whose name matches this glob (repeatable); the same as the argument '!PATTERN', which bash expands as history inside double quotes";

/** Who acted (the log's user_id): src/core/person-filter.ts. */
const BY_HELP = 'only events by this person, who acted: e-mail, name or id (repeatable)';
/** Who an event is about (its data.person_id): src/core/person-filter.ts. */
const ABOUT_HELP =
  'only events about this person (data.person_id: assignments, status changes): e-mail, name or id (repeatable)';

/** `--person`, kept hidden for one release as the alias of what it meant in each command. */
function deprecatedPerson(now: '--by' | '--about') {
  return new Option('--person <person>', `deprecated: use ${now}`).hideHelp().argParser(collect);
}

/** `--by` where only live events flow: declared hidden so that the plan can say why it cannot be. */
function refusedBy() {
  return new Option('--by <person>', 'refused: live events never say who acted').hideHelp().argParser(collect);
}

/** The program with its global options; its subcommands are declared by the functions below. */
export function declareProgram(version: string) {
  return new Command('kitsu-tail')
    .description('Tail the live event stream of a Kitsu production tracker, and search and export its event log.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--profile <name>', 'use this saved login (env KITSU_PROFILE)')
    .addOption(
      new Option('--format <format>', 'output: table on a terminal, ndjson in a pipe').choices([
        'table',
        'ndjson',
        'json',
        'csv',
      ] as const),
    )
    .option('--json', 'short for --format ndjson (whoami: one JSON object)')
    .addOption(
      new Option('--color <when>', 'colour the output (NO_COLOR and FORCE_COLOR are honoured)')
        .choices(['auto', 'always', 'never'] as const)
        .default('auto' as const),
    )
    .option('-v, --verbose', 'log requests and reconnects on stderr, tokens redacted')
    .option('-q, --quiet', 'print nothing on stderr but errors and warnings')
    .option('--insecure', 'do not verify TLS certificates (warns on every run; login saves it for the profile)')
    .option(
      '--ca-file <file>',
      "trust this PEM certificate authority as well as the public ones (a studio's own CA; login saves it for the profile)",
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
}

export type Program = ReturnType<typeof declareProgram>;
/** The global options as commander parsed them; src/cli.ts turns them into GlobalOptions. */
export type GlobalFlags = ReturnType<Program['opts']>;

/** The options type of the command a `declareX` function declares. */
type OptionsOf<Declare extends (parent: never) => { opts(): unknown }> = ReturnType<ReturnType<Declare>['opts']>;

/** Plan: planLogin in src/commands/login.ts. */
export function declareLogin(program: Program) {
  return program
    .command('login')
    .description('log in to a Kitsu server and save the session in a profile')
    .option('--host <url>', 'Kitsu address: kitsu.studio.com, https://kitsu.studio.com/api … (env KITSU_HOST)')
    .option('--event-host <url>', 'event stream address when it is not the site root (env KITSU_EVENT_HOST)')
    .option('--email <addr>', 'e-mail or desktop login (env KITSU_EMAIL)')
    .option('--password-stdin', 'read the password from stdin (env KITSU_PASSWORD also works)')
    .option('--token <token>', 'log in with a bot or API token instead of a password (env KITSU_TOKEN)')
    .option('--otp <code>', 'two-factor code (TOTP, e-mail code or recovery code)');
}
export type LoginOptions = OptionsOf<typeof declareLogin>;

/** Plan: src/commands/logout.ts. */
export function declareLogout(program: Program) {
  return program.command('logout').description('revoke the session on the server and forget it here');
}
export type LogoutOptions = OptionsOf<typeof declareLogout>;

/** Plan: src/commands/whoami.ts. */
export function declareWhoami(program: Program) {
  return program.command('whoami').description('show who you are logged in as, where, and until when');
}
export type WhoamiOptions = OptionsOf<typeof declareWhoami>;

/** Plan: src/commands/profiles.ts (list, use, remove). */
export function declareProfiles(program: Program) {
  return program
    .command('profiles')
    .description('list saved logins; `profiles use NAME` switches, `profiles remove NAME` forgets');
}
export type ProfilesOptions = OptionsOf<typeof declareProfiles>;

export function declareProfilesUse(profiles: ReturnType<typeof declareProfiles>) {
  return profiles.command('use').description('make NAME the default profile').argument('<name>');
}

export type ProfilesUseOptions = OptionsOf<typeof declareProfilesUse>;

export function declareProfilesRemove(profiles: ReturnType<typeof declareProfiles>) {
  return profiles.command('remove').description('forget the profile NAME and its tokens').argument('<name>');
}
export type ProfilesRemoveOptions = OptionsOf<typeof declareProfilesRemove>;

/** Plan: planListen in src/listen/run.ts. */
export function declareListen(program: Program) {
  return withListenOptions(
    program
      .command('listen')
      .description('print live events as they happen, with nothing lost across reconnects')
      .argument('[patterns...]', PATTERNS_HELP),
  )
    .option(
      '--from <redis-url>',
      'read the Redis stream that `kitsu-tail bridge` fills instead of Kitsu (no login needed): redis://HOST:PORT/DB',
    )
    .option('--stream <key>', 'with --from: the stream key (default {kitsu}:events)')
    .option(
      '--group <name>',
      'with --from: share the entries with the other readers of this consumer group; each is acknowledged once handled',
    )
    .option('--consumer <name>', "with --group: this reader's name in the group (default HOST-PID)")
    .option(
      '--reclaim-after <duration>',
      'with --group: take over entries another reader left unacknowledged this long (default 1m)',
    );
}
export type ListenOptions = OptionsOf<typeof declareListen>;

/** Plan: plan in src/commands/bridge.ts (planBridge in src/bridge/plan.ts). */
export function declareBridge(program: Program) {
  return program
    .command('bridge')
    .description(
      'write every stored Kitsu event into a Redis stream, exactly once and in order; run more than one for a standby',
    )
    .argument('<redis-url>', 'redis://[[USER]:PASSWORD@]HOST:PORT/DB (rediss:// for TLS)')
    .argument('[patterns...]', PATTERNS_HELP)
    .option(
      '--stream <key>',
      'the stream key (default {kitsu}:events; the braces keep its keys in one Redis Cluster slot)',
    )
    .option('--max-len <n>', 'trim the stream to about N entries', positiveInt('--max-len'))
    .option('--since <time>', 'where a new stream starts (default: the start of the log): 2h, 2026-11-29')
    .option('--project <project>', 'only this project, by name or id (repeatable)', collect)
    .option('--by <person>', BY_HELP, collect)
    .addOption(deprecatedPerson('--by'))
    .option('--only-files', 'only events that carry files (previews and thumbnails)')
    .option('--names', 'add to each entry a names field (JSON): project, person, entity, task_type, task_status…')
    .option(
      '--lease <duration>',
      'how long the leader holds its lease: a standby takes over that long after it stops (default 10s)',
    );
}
export type BridgeOptions = OptionsOf<typeof declareBridge>;

/** Plan: planLogs in src/logs/plan.ts. */
export function declareLogs(program: Program) {
  const command = program
    .command('logs')
    .description('search and export the stored event log, oldest first')
    .argument('[patterns...]', PATTERNS_HELP)
    .option('--exclude <pattern>', EXCLUDE_HELP, collect)
    .option(
      '--since <time>',
      'from this time on: 2h (ago), 1h30m, 3d, yesterday, today, 08:00, 2026-11-29T08:00, 2026-11-29',
    )
    .option('--after <time>', 'same as --since')
    .option('--until <time>', 'up to this time (same forms as --since)')
    .option('--before <time>', 'same as --until')
    .option('--only-files', 'only events that carry files (previews and thumbnails)')
    .option('--project <project>', 'only this project, by name or id (repeatable)', collect)
    .option('--by <person>', `${BY_HELP}; not with --follow, as live events never say who acted`, collect)
    .option('--about <person>', ABOUT_HELP, collect)
    .addOption(deprecatedPerson('--by'))
    .option('--limit <n>', 'the newest N events (default 100; with --since, all in range)', positiveInt('--limit'))
    .option('--all', 'every event in range, however many')
    .option('--reverse', 'newest first')
    .option('--follow', 'after the history, keep printing live events')
    .option(
      '--max-reconnects <n>',
      'with --follow: give up after N failed reconnects, or N tries while Kitsu is not up (exit 5)',
      nonNegativeInt('--max-reconnects'),
    )
    .option('--checkpoint <file>', 'resume from this state file and record where this run stopped')
    .option('--output <file>', 'append records to this file (exactly once with --checkpoint)')
    .option('--logins', 'page the login log instead of the event log (admin only)')
    .option(
      '--names',
      'add to each JSON record a names object: project, person, entity (SQ010 / SH010), task_type, task_status…; CSV gets names.* columns',
    )
    .option(
      '--stats',
      'a summary instead of the events: counts by event, project, person and entity, and activity over time (default range: the last 24 hours)',
    )
    .option(
      '--count-by <key>',
      'count the events by one key instead of printing them: name, project, person, entity or a field such as data.task_status_id',
    )
    .option(
      '--top <n>',
      'rows of each count of --stats and --count-by (default: 10 for --stats, all for --count-by)',
      positiveInt('--top'),
    );
  return withShapeOptions(withSearchOptions(command));
}
export type LogsOptions = OptionsOf<typeof declareLogs>;

/** The defaults of `sandbox` and of `demo`, shown in their help and applied by their plans. */
export interface SandboxDefaults {
  port: number;
  rate: number;
  events: number;
}
/** A fixed port is friendlier to humans than a random one: the login line stays the same. */
export const SANDBOX_DEFAULTS: SandboxDefaults = { port: 5080, rate: 1, events: 1000 };
/** The demo shows a busier production on a free port, so two demos never collide. */
export const DEMO_DEFAULTS: SandboxDefaults = { port: 0, rate: 2, events: 200 };

/** Plan: planSandbox in src/commands/sandbox.ts. */
export function declareSandbox(program: Program) {
  return withSandboxOptions(
    program
      .command('sandbox')
      .description('run a local Kitsu stand-in on 127.0.0.1 to try the tool and test pipelines offline'),
    SANDBOX_DEFAULTS,
  );
}
export type SandboxCommandOptions = OptionsOf<typeof declareSandbox>;

/** Plan: planDemo in src/commands/demo.ts (the listen plan and the sandbox's). */
export function declareDemo(program: Program) {
  return withSandboxOptions(
    withListenOptions(
      program
        .command('demo')
        .description('start a sandbox in this process and listen to it: see the tool work, offline')
        .argument('[patterns...]', PATTERNS_HELP),
    ),
    DEMO_DEFAULTS,
  );
}
export type DemoOptions = OptionsOf<typeof declareDemo>;

/** Plan: src/commands/completion.ts. */
export function declareCompletion(program: Program) {
  return program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish'] as const));
}
export type CompletionOptions = OptionsOf<typeof declareCompletion>;

/**
 * Plan: src/commands/complete.ts. Hidden: the completion scripts call it for the words only
 * this machine's files know (profiles, event names, projects).
 */
export function declareComplete(program: Program) {
  return program
    .command('__complete', { hidden: true })
    .description('print the completions of one kind of value, one a line, from local files only')
    .argument('<kind>', 'profiles, events or projects')
    .argument('[prefix]', 'what has been typed of the value');
}
export type CompleteOptions = OptionsOf<typeof declareComplete>;

/** Plan: src/commands/version.ts. */
export function declareVersion(program: Program) {
  return program
    .command('version')
    .description('print the version, Node.js, the platform and the Zou versions it knows (also: --version --verbose)');
}
export type VersionOptions = OptionsOf<typeof declareVersion>;

/** The flags `listen` and `demo` share. */
function withListenOptions<
  Args extends unknown[],
  Opts extends Record<string, unknown>,
  Globals extends Record<string, unknown>,
>(command: Command<Args, Opts, Globals>) {
  const listen = command
    .option('--exclude <pattern>', EXCLUDE_HELP, collect)
    .option('--project <project>', 'only this project, by name or id (repeatable)', collect)
    .option('--about <person>', `${ABOUT_HELP}; live events never say who acted (for that: logs --by)`, collect)
    .addOption(deprecatedPerson('--about'))
    .addOption(refusedBy())
    .option('--since <time>', 'print stored events from this time first: 2h (ago), today, 08:00, 2026-11-29T08:00')
    .option('--count <n>', 'exit after N matching events', positiveInt('--count'))
    .option('--idle-timeout <duration>', 'end after this long without a matching event: 30s, 5m')
    .option(
      '--until <time>',
      "end at this time: 18:00, 'in 2h' or +2h, 2026-11-29T18:00 (a bare 2h is two hours ago, as everywhere)",
    )
    .option(
      '--exec <command>',
      'run a shell command for each event, in order: record as JSON on its stdin, KITSU_EVENT_NAME, KITSU_EVENT_PROJECT_ID, KITSU_EVENT_DATA in its environment (which is ours but for KITSU_PASSWORD), its output on stderr',
    )
    .option(
      '--exec-on-error <policy>',
      'when a command fails: continue (the default; counted in the summary) or stop (end the run, exit 1)',
    )
    .option('--forward-to <url>', 'POST each record as JSON to this local web hook')
    .option(
      '--forward-secret <secret>',
      'sign each --forward-to delivery (Kitsu-Tail-Signature: t=…,v1=HMAC-SHA256 of "t.body"); or KITSU_TAIL_FORWARD_SECRET',
    )
    .option(
      '--no-backfill',
      'do not fetch from the log what was missed during a reconnect (nor poll it while the stream is down)',
    )
    .option('--max-reconnects <n>', 'give up after N failed reconnects (exit 5)', nonNegativeInt('--max-reconnects'))
    .option(
      '--names',
      'add to each JSON record a names object: project, person, entity (SQ010 / SH010), task_type, task_status…; CSV gets names.* columns',
    );
  return withShapeOptions(withSearchOptions(listen));
}

/** What an event is about, and any field: the same grammar for logs, listen and demo (plans in src/search/plan.ts). */
function withSearchOptions<
  Args extends unknown[],
  Opts extends Record<string, unknown>,
  Globals extends Record<string, unknown>,
>(command: Command<Args, Opts, Globals>) {
  return command
    .option(
      '--entity <name|id>',
      "only events about this asset, shot, sequence or episode: its own, its tasks', and the comments and previews on them; a name (SH010), a path (SQ01 / SH010) or an id (repeatable)",
      collect,
    )
    .option(
      '--task-type <name|id>',
      'only events about tasks of this type: Animation, Modeling … (repeatable)',
      collect,
    )
    .option(
      '--status <name|id>',
      "only events that name this task status: a status change's new status, the status a comment set: wfa, wip, done … (repeatable)",
      collect,
    )
    .option(
      '--where <field=value>',
      'only events whose field matches: name, project_id, data.<key>, names.<key>; globs in the value (* and ?), != excludes, an empty value means none (repeatable: the same field any of them, different fields all)',
      collect,
    );
}

/** Columns, headers and times of the table and CSV views (src/output/shape.ts). */
function withShapeOptions<
  Args extends unknown[],
  Opts extends Record<string, unknown>,
  Globals extends Record<string, unknown>,
>(command: Command<Args, Opts, Globals>) {
  return command
    .option(
      '--fields <list>',
      'the columns of the table and CSV views: record fields, data.<key>, names.<key>, data.* (a column per payload key)',
    )
    .option('--no-headers', 'no header line in the table and CSV views')
    .option('--utc', 'times in UTC instead of local time');
}

/** The flags `sandbox` and `demo` share. */
function withSandboxOptions<
  Args extends unknown[],
  Opts extends Record<string, unknown>,
  Globals extends Record<string, unknown>,
>(command: Command<Args, Opts, Globals>, defaults: SandboxDefaults) {
  // The defaults are applied by the plan (so an absent flag stays visibly absent there), and
  // written here so that --help shows them.
  return command
    .option('--port <n>', `port on 127.0.0.1, 0 picks a free one (default: ${defaults.port})`, port)
    .option('--rate <n>', `live events a second (default: ${defaults.rate})`, rate)
    .option('--seed <n>', 'seed of the generated production (default: 1)', nonNegativeInt('--seed'))
    .option(
      '--events <n>',
      `events of history to generate, 0 to ${MAX_SANDBOX_EVENTS} (default: ${defaults.events})`,
      sandboxEvents,
    )
    .option('--emulate <version>', 'behave as this Zou version, e.g. 0.19.60, 1.0.3, 1.0.62')
    .option(
      '--state <dir>',
      'keep the token signing key in this folder, so that sessions survive a restart (without it: the same --seed keeps them)',
    );
}

// Value parsers: commander turns their InvalidArgumentError into a usage error (exit 2).

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${name} takes a whole number of 1 or more, such as 10.`);
    }
    return Number(value);
  };
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) {
      throw new InvalidArgumentError(`${name} takes a whole number, such as 0 or 10.`);
    }
    return Number(value);
  };
}

/**
 * The sandbox generates its history in memory, about 360 MB and 12 s for a million events here;
 * 999999999999 ran the machine out of memory after minutes instead of answering.
 */
export const MAX_SANDBOX_EVENTS = 1_000_000;

function sandboxEvents(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_SANDBOX_EVENTS) {
    throw new InvalidArgumentError(`--events takes a whole number from 0 to ${MAX_SANDBOX_EVENTS}, such as 1000.`);
  }
  return Number(value);
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new InvalidArgumentError('--port takes a port number from 0 to 65535 (0 picks a free one).');
  }
  return n;
}

function rate(value: string): number {
  const n = Number(value.replace(/\/s$/, ''));
  if (!Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('--rate takes events a second, such as 5 or 0.5/s.');
  }
  return n;
}
