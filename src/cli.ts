/**
 * The command-line surface: every command and option in one readable place, and the one
 * place that turns errors into text and exit codes.
 *
 * Command bodies live in src/commands/<verb>.ts and are imported only when that command
 * runs, so `--help` and `--version` never pay for socket.io-client, undici or conf.
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { systemClock, type Context, type Deps, type GlobalOptions } from './context.js';
import { CliError, ExitCode, InterruptedError, OutputClosedError } from './errors.js';
import { redactor } from './core/redact.js';
import { sanitizeForTerminal } from './output/sanitize.js';

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

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

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

/** Commander keeps global options on the root; this gathers them with the command's own. */
function globalsOf(command: Command): GlobalOptions {
  const o = command.optsWithGlobals() as Record<string, unknown>;
  return {
    profile: o.profile as string | undefined,
    format: o.json ? 'ndjson' : (o.format as GlobalOptions['format']),
    color: (o.color as GlobalOptions['color']) ?? 'auto',
    verbose: Boolean(o.verbose),
    quiet: Boolean(o.quiet),
    insecure: Boolean(o.insecure),
    caFile: o.caFile as string | undefined,
  };
}

type CommandBody = (ctx: Context, args: string[], options: Record<string, unknown>) => Promise<void>;

/**
 * An action that loads src/commands/<verb>.js on first use. `args` are the positional
 * arguments commander parsed; `options` the command's own options.
 */
function lazy(deps: Deps, load: () => Promise<{ default: CommandBody }>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const options = command.opts();
    const args = received
      .slice(0, -2)
      .flatMap((a) => (Array.isArray(a) ? (a as string[]) : a === undefined ? [] : [String(a)]));
    const body = (await load()).default;
    await body({ ...deps, globals: globalsOf(command) }, args, options);
  };
}

export function createProgram(deps: Deps): Command {
  const program = new Command('kitsu-tail');
  program
    .description('Tail the live event stream of a Kitsu production tracker, and search and export its event log.')
    .version(readVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--profile <name>', 'use this saved login (env KITSU_PROFILE)')
    .addOption(
      new Option('--format <format>', 'output: table on a terminal, ndjson in a pipe').choices([
        'table',
        'ndjson',
        'json',
        'csv',
      ]),
    )
    .option('--json', 'short for --format ndjson (whoami: one JSON object)')
    .addOption(
      new Option('--color <when>', 'colour the output (NO_COLOR and FORCE_COLOR are honoured)')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
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
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    });

  program
    .command('login')
    .description('log in to a Kitsu server and save the session in a profile')
    .option('--host <url>', 'Kitsu address: kitsu.studio.com, https://kitsu.studio.com/api … (env KITSU_HOST)')
    .option('--event-host <url>', 'event stream address when it is not the site root (env KITSU_EVENT_HOST)')
    .option('--email <addr>', 'e-mail or desktop login (env KITSU_EMAIL)')
    .option('--password-stdin', 'read the password from stdin (env KITSU_PASSWORD also works)')
    .option('--token <token>', 'log in with a bot or API token instead of a password (env KITSU_TOKEN)')
    .option('--otp <code>', 'two-factor code (TOTP, e-mail code or recovery code)')
    .action(lazy(deps, () => import('./commands/login.js')));

  program
    .command('logout')
    .description('revoke the session on the server and forget it here')
    .action(lazy(deps, () => import('./commands/logout.js')));

  program
    .command('whoami')
    .description('show who you are logged in as, where, and until when')
    .action(lazy(deps, () => import('./commands/whoami.js')));

  const profiles = program
    .command('profiles')
    .description('list saved logins; `profiles use NAME` switches, `profiles remove NAME` forgets')
    .action(lazy(deps, () => import('./commands/profiles.js')));
  profiles
    .command('use')
    .description('make NAME the default profile')
    .argument('<name>')
    .action(lazy(deps, async () => ({ default: (await import('./commands/profiles.js')).use })));
  profiles
    .command('remove')
    .description('forget the profile NAME and its tokens')
    .argument('<name>')
    .action(lazy(deps, async () => ({ default: (await import('./commands/profiles.js')).remove })));

  addListenOptions(
    program
      .command('listen')
      .description('print live events as they happen, with nothing lost across reconnects')
      .argument('[patterns...]', "event-name globs: 'task:*', '*:delete', '!task:update'"),
  )
    .option('--from <redis-url>', 'read the Redis stream that `kitsu-tail bridge` fills instead of Kitsu (no login needed): redis://HOST:PORT/DB')
    .option('--stream <key>', 'with --from: the stream key (default {kitsu}:events)')
    .option('--group <name>', 'with --from: share the entries with the other readers of this consumer group; each is acknowledged once handled')
    .option('--consumer <name>', 'with --group: this reader\'s name in the group (default HOST-PID)')
    .option('--reclaim-after <duration>', 'with --group: take over entries another reader left unacknowledged this long (default 1m)')
    .action(lazy(deps, () => import('./commands/listen.js')));

  program
    .command('bridge')
    .description('write every stored Kitsu event into a Redis stream, exactly once and in order; run more than one for a standby')
    .argument('<redis-url>', 'redis://[:PASSWORD@]HOST:PORT/DB (rediss:// for TLS)')
    .argument('[patterns...]', "event-name globs: 'task:*', '*:delete', '!task:update'")
    .option('--stream <key>', 'the stream key (default {kitsu}:events; the braces keep its keys in one Redis Cluster slot)')
    .option('--max-len <n>', 'trim the stream to about N entries', positiveInt('--max-len'))
    .option('--since <time>', 'where a new stream starts (default: the start of the log): 2h, 2026-11-29')
    .option('--project <project>', 'only this project, by name or id (repeatable)', collect)
    .option('--person <person>', 'only events by this person: e-mail, name or id (repeatable)', collect)
    .option('--only-files', 'only events that carry files (previews and thumbnails)')
    .option('--lease <duration>', 'how long the leader holds its lease: a standby takes over that long after it stops (default 10s)')
    .action(lazy(deps, () => import('./commands/bridge.js')));

  program
    .command('logs')
    .description('search and export the stored event log, oldest first')
    .argument('[patterns...]', "event-name globs: 'task:*', '*:delete', '!task:update'")
    .option('--since <time>', 'from this time on: 2h, 1h30m, 3d, 2026-11-29T08:00, 2026-11-29')
    .option('--after <time>', 'same as --since')
    .option('--until <time>', 'up to this time (same forms as --since)')
    .option('--before <time>', 'same as --until')
    .option('--only-files', 'only events that carry files (previews and thumbnails)')
    .option('--project <project>', 'only this project, by name or id (repeatable)', collect)
    .option(
      '--person <person>',
      'only events by this person, who acted (once --follow goes live: the person an event is about, data.person_id, as live events never say who acted): e-mail, name or id (repeatable)',
      collect,
    )
    .option('--limit <n>', 'the newest N events (default 100; with --since, all in range)', positiveInt('--limit'))
    .option('--all', 'every event in range, however many')
    .option('--reverse', 'newest first')
    .option('--follow', 'after the history, keep printing live events')
    .option('--checkpoint <file>', 'resume from this state file and record where this run stopped')
    .option('--output <file>', 'append records to this file (exactly once with --checkpoint)')
    .option('--logins', 'page the login log instead of the event log (admin only)')
    .action(lazy(deps, () => import('./commands/logs.js')));

  addSandboxOptions(
    program
      .command('sandbox')
      .description('run a local Kitsu stand-in on 127.0.0.1 to try the tool and test pipelines offline'),
  ).action(lazy(deps, () => import('./commands/sandbox.js')));

  addSandboxOptions(
    addListenOptions(
      program
        .command('demo')
        .description('start a sandbox in this process and listen to it: see the tool work, offline')
        .argument('[patterns...]', "event-name globs: 'task:*', '*:delete', '!task:update'"),
    ),
  ).action(lazy(deps, () => import('./commands/demo.js')));

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(lazy(deps, () => import('./commands/completion.js')));

  return program;

  function addListenOptions(command: Command): Command {
    return command
      .option('--project <project>', 'only this project, by name or id (repeatable)', collect)
      .option(
        '--person <person>',
        'only events about this person (data.person_id: assignments, status changes; live events never say who acted): e-mail, name or id (repeatable)',
        collect,
      )
      .option('--since <time>', 'print stored events from this time first: 2h, 2026-11-29T08:00')
      .option('--count <n>', 'exit after N matching events', positiveInt('--count'))
      .option('--idle-timeout <duration>', 'end after this long without a matching event: 30s, 5m')
      .option('--until <time>', 'end at this time: 18:00, 2026-11-29T18:00, 2h (from now)')
      .option(
        '--exec <command>',
        'run a shell command for each event, in order: record as JSON on its stdin, KITSU_EVENT_NAME, KITSU_EVENT_PROJECT_ID, KITSU_EVENT_DATA in its environment (which is ours but for KITSU_PASSWORD), its output on stderr',
      )
      .option('--forward-to <url>', 'POST each record as JSON to this local web hook')
      .option('--no-backfill', 'do not fetch from the log what was missed during a reconnect (nor poll it while the stream is down)')
      .option('--max-reconnects <n>', 'give up after N failed reconnects (exit 5)', nonNegativeInt('--max-reconnects'));
  }

  function addSandboxOptions(command: Command): Command {
    return command
      .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', port)
      .option('--rate <n>', 'live events a second', rate)
      .option('--seed <n>', 'seed of the generated production', nonNegativeInt('--seed'))
      .option('--events <n>', 'events of history to generate', nonNegativeInt('--events'))
      .option('--emulate <version>', 'behave as this Zou version, e.g. 0.19.60, 1.0.3, 1.0.62');
  }
}

/**
 * One line for the user: the problem, then what to do about it. Never a stack, never a
 * token, and never an escape sequence from a message that quotes the server.
 */
export function formatError(error: CliError): string {
  const hint = error.hint ? ` (${error.hint})` : '';
  return oneLine(`kitsu-tail: ${error.message.replace(/\.$/, '')}${hint}`);
}

function oneLine(text: string): string {
  return sanitizeForTerminal(redactor.redact(text));
}

/**
 * Runs the program and returns the exit code. The only place that maps errors to codes.
 * `deps` defaults to this process; tests pass their own.
 */
export async function run(argv: string[], deps: Deps): Promise<number> {
  const program = createProgram(deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    return exitCodeFor(error, deps);
  }
}

function exitCodeFor(error: unknown, deps: Deps): number {
  if (error instanceof OutputClosedError) return ExitCode.ok;
  if (error instanceof CliError) {
    if (error.exitCode !== ExitCode.interrupted) deps.stderr.write(`${formatError(error)}\n`);
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help or version).
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.help' ||
      error.code === 'commander.version'
    ) {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  const detail = error instanceof Error ? error.message : String(error);
  deps.stderr.write(
    `${oneLine(`kitsu-tail: unexpected error: ${detail}`)} (please report it with the output of --verbose)\n`,
  );
  if (deps.env.KITSU_TAIL_DEBUG && error instanceof Error && error.stack) {
    deps.stderr.write(`${redactor.redact(error.stack)}\n`);
  }
  return ExitCode.failure;
}

/** The process entry point (dist/main.js): real streams, Ctrl-C, a closed stdout. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  let echoExpected = false;
  const interrupt = (signal: NodeJS.Signals) => {
    // conf's when-exit (loaded with any saved profile) listens once for the same signal and
    // raises it again at once. That echo is not a person pressing Ctrl-C twice: without this,
    // every Ctrl-C exited before the command wound down (an export lost its last commit).
    if (echoExpected) {
      echoExpected = false;
      return;
    }
    interrupts += 1;
    // A second Ctrl-C means "now": do not wait for the command to wind down.
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    echoExpected = process.listenerCount(signal) > 1;
    controller.abort(new InterruptedError());
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  // `| head` closes the pipe: end quietly with 0 instead of an EPIPE stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      controller.abort(new OutputClosedError());
    } else {
      throw error;
    }
  });

  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    clock: systemClock,
    signal: controller.signal,
  });
  process.exitCode = code;
  // A command that has returned must not be held open by a stray socket or timer.
  setTimeout(() => process.exit(code), 2000).unref();
}
