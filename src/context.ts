/**
 * What a command may touch. Every side effect reaches a command through these values, so a
 * test can run any command in-process with its own streams, environment, clock and config
 * folder (see createProgram in src/cli.ts). Product code never reads `process.*` directly.
 */
import type { Readable, Writable } from 'node:stream';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';

/** A stream that may be a terminal. Tests set `isTTY` on a PassThrough to act as one. */
export type OutStream = Writable & { isTTY?: boolean; columns?: number };
export type InStream = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Deps {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  env: Record<string, string | undefined>;
  clock: Clock;
  /** Aborted with an InterruptedError when the user presses Ctrl-C. */
  signal: AbortSignal;
}

export type Format = 'table' | 'ndjson' | 'json' | 'csv';
export type ColorMode = 'auto' | 'always' | 'never';

/** The options every command shares, after commander parsed them (see src/cli.ts). */
export interface GlobalOptions {
  profile?: string;
  /** Undefined when the user chose none: table on a terminal, ndjson in a pipe. */
  format?: Format;
  color: ColorMode;
  verbose: boolean;
  quiet: boolean;
  insecure: boolean;
  caFile?: string;
}

/** Deps plus the parsed global options: what every command action receives. */
export interface Context extends Deps {
  globals: GlobalOptions;
}

/** What a plan may look at: the global options and the time. No streams, no environment. */
export type PlanContext = Pick<Context, 'globals' | 'clock'>;

/**
 * What each src/commands/<verb>.ts exports, and src/cli.ts calls: `plan` does every usage
 * check of the flags before any I/O (and is what the argv → Plan tables test), `run` does
 * the work. `Options` is the command's options type from src/options.ts.
 */
export interface CommandModule<Options, Plan> {
  plan(ctx: PlanContext, args: string[], options: Options): Plan;
  /** `program` is the command tree that parsed the line (completion prints it). */
  run(ctx: Context, plan: Plan, program: ProgramTree): Promise<void>;
}

/** The parsed command tree, as far as a command may need it (completion reads it). */
export type ProgramTree = CommandUnknownOpts;
