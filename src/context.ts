/**
 * What a command may touch. Every side effect reaches a command through these values, so a
 * test can run any command in-process with its own streams, environment, clock and config
 * folder (see createProgram in src/cli.ts). Product code never reads `process.*` directly.
 */
import type { Readable, Writable } from 'node:stream';

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
