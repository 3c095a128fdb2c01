/**
 * The command-line surface: wires each command declared in src/options.ts to its module in
 * src/commands/, and is the one place that turns errors into text and exit codes.
 *
 * Command bodies live in src/commands/<verb>.ts and are imported only when that command
 * runs, so `--help` and `--version` never pay for socket.io-client or conf.
 */
import { CommanderError, type Command, type OptionValues } from '@commander-js/extra-typings';
import { systemClock, type CommandModule, type Context, type Deps, type GlobalOptions } from './context.js';
import {
  declareBridge,
  declareComplete,
  declareCompletion,
  declareDemo,
  declareListen,
  declareLogin,
  declareLogout,
  declareLogs,
  declareProfiles,
  declareProfilesRemove,
  declareProfilesUse,
  declareProgram,
  declareSandbox,
  declareVersion,
  declareWhoami,
  type Program,
} from './options.js';
import { CliError, ExitCode, InterruptedError, OutputClosedError } from './errors.js';
import { redactor } from './core/redact.js';
import { sanitizeForTerminal } from './output/sanitize.js';
import { installHelp } from './output/help.js';
import { installUsageErrors } from './output/usage-errors.js';
import { toolVersion } from './version.js';

/** Commander keeps global options on the root, wherever they stood on the line. */
function globalsOf(program: Program): GlobalOptions {
  const o = program.opts();
  return {
    profile: o.profile,
    format: o.json ? 'ndjson' : o.format,
    color: o.color,
    verbose: o.verbose === true,
    quiet: o.quiet === true,
    insecure: o.insecure === true,
    caFile: o.caFile,
  };
}

/** A command line that parsed and planned: its command, its plan, and what runs it. */
export interface Planned {
  command: string;
  plan: unknown;
  run(): Promise<void>;
}

/**
 * What happens to a planned command: by default it runs. The argv → Plan tables pass one that
 * keeps the plan instead (gh's `NewCmdX(f, runF)`).
 */
export type Execute = (planned: Planned) => Promise<void>;

const runPlanned: Execute = (planned) => planned.run();

export function createProgram(deps: Deps, execute: Execute = runPlanned): Program {
  const program = declareProgram(toolVersion()).configureOutput({
    writeOut: (text) => deps.stdout.write(text),
    writeErr: (text) => deps.stderr.write(text),
  });

  /**
   * The action of `command`: loads src/commands/<verb>.js on first use (so that --help never
   * pays for socket.io-client or conf), plans, then runs. The module's plan must take
   * exactly the options `command` declares, or this does not compile.
   */
  function wire<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues, Plan>(
    command: Command<Args, Opts, Globals>,
    load: () => Promise<CommandModule<Opts, Plan>>,
  ): Command<Args, Opts, Globals> {
    return command.action(async () => {
      const args = (command.processedArgs as unknown[]).flatMap((a) =>
        Array.isArray(a) ? (a as string[]) : a === undefined ? [] : [String(a)],
      );
      const ctx: Context = { ...deps, globals: globalsOf(program) };
      const module = await load();
      const plan = module.plan(ctx, args, command.opts());
      await execute({ command: command.name(), plan, run: () => module.run(ctx, plan, program) });
    });
  }

  wire(declareLogin(program), () => import('./commands/login.js'));
  wire(declareLogout(program), () => import('./commands/logout.js'));
  wire(declareWhoami(program), () => import('./commands/whoami.js'));
  const profiles = wire(declareProfiles(program), async () => (await import('./commands/profiles.js')).list);
  wire(declareProfilesUse(profiles), async () => (await import('./commands/profiles.js')).use);
  wire(declareProfilesRemove(profiles), async () => (await import('./commands/profiles.js')).remove);
  wire(declareListen(program), () => import('./commands/listen.js'));
  wire(declareLogs(program), () => import('./commands/logs.js'));
  wire(declareBridge(program), () => import('./commands/bridge.js'));
  wire(declareSandbox(program), () => import('./commands/sandbox.js'));
  wire(declareDemo(program), () => import('./commands/demo.js'));
  wire(declareCompletion(program), () => import('./commands/completion.js'));
  wire(declareVersion(program), () => import('./commands/version.js'));
  wire(declareComplete(program), () => import('./commands/complete.js'));
  // Last, so that every command declared above gets the help layout and the error style.
  installHelp(program);
  installUsageErrors(program);
  return program;
}

/**
 * One line for the user: the problem, then what to do about it. Never a stack, never a
 * token, and never an escape sequence from a message that quotes the server.
 */
export function formatError(error: CliError): string {
  // The hint goes in brackets, so brackets inside it become commas: no `(a (b))` for people to parse.
  const flat = error.hint?.replace(/\s*\(([^()]*)\)/g, ', $1').replace(/,\s*,/g, ',');
  const hint = flat ? ` (${flat})` : '';
  return oneLine(`kitsu-tail: ${error.message.replace(/\.$/, '')}${hint}`);
}

function isAbortError(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR')
  );
}

function oneLine(text: string): string {
  return sanitizeForTerminal(redactor.redact(text));
}

/**
 * Runs the program and returns the exit code. The only place that maps errors to codes.
 * `deps` defaults to this process; tests pass their own, and an `execute` to stop at the plan.
 */
export async function run(argv: string[], deps: Deps, execute?: Execute): Promise<number> {
  const program = createProgram(deps, execute);
  // `--version --verbose` is `version`: commander would print the bare number and stop.
  const asked = (...flags: string[]) => argv.some((a) => flags.includes(a));
  if (asked('-V', '--version') && asked('-v', '--verbose')) argv = ['version'];
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    return exitCodeFor(error, deps);
  }
}

function exitCodeFor(error: unknown, deps: Deps): number {
  // A library's own AbortError that escapes while the run is being stopped is that stop
  // (Ctrl-C → 130, a closed stdout → 0), not an unexpected failure.
  if (deps.signal.aborted && isAbortError(error)) error = deps.signal.reason;
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
