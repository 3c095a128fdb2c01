/**
 * Runs kitsu-tail in-process with its own streams, environment and config folder, and
 * collects what it wrote. The way command tests drive the program without spawning.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli.js';
import type { Clock, Deps } from '../../src/context.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** Act as if stdout (and stderr) were a terminal. */
  tty?: boolean;
  stdinTTY?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
  /** Called with each chunk written to stdout, as it is written. */
  onStdout?: (chunk: string) => void;
}

export function tempConfigDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kitsu-tail-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function runCli(argv: string[], options: RunOptions = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    out.push(text);
    options.onStdout?.(text);
  });
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  if (options.tty) {
    Object.assign(stdout, { isTTY: true, columns: 120 });
    Object.assign(stderr, { isTTY: true, columns: 120 });
  }
  if (options.stdinTTY) Object.assign(stdin, { isTTY: true });
  stdin.end(options.stdin ?? '');
  const deps: Deps = {
    stdout,
    stderr,
    stdin,
    env: { ...options.env },
    clock: options.clock ?? { now: () => Date.now() },
    signal: options.signal ?? new AbortController().signal,
  };
  const code = await run(argv, deps);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
