/**
 * The one way tests build a Context: in-memory streams (that can act as a terminal), its own
 * environment, clock and signal, and the global options a command would get. What was written
 * to stdout and stderr can be read back with `out()` and `err()`.
 */
import { PassThrough } from 'node:stream';
import type { Context, GlobalOptions, OutStream } from '../../src/context.js';

export interface CaptureStream extends PassThrough {
  isTTY?: boolean;
  columns?: number;
  /** Everything written so far (the stream is read as it is written). */
  text(): string;
}

/** A stream that keeps what is written to it; `tty` makes it look like a terminal. */
export function captureStream(options: { tty?: boolean; columns?: number } = {}): CaptureStream {
  const stream = new PassThrough() as CaptureStream;
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  if (options.tty) Object.assign(stream, { isTTY: true, columns: options.columns });
  stream.text = () => chunks.join('');
  return stream;
}

export interface TestContextOptions {
  stdout?: OutStream;
  stderr?: OutStream;
  env?: Record<string, string | undefined>;
  /** The clock: epoch milliseconds (default: the real time). */
  now?: () => number;
  signal?: AbortSignal;
  /** Over the defaults: colour 'auto', neither verbose nor quiet, TLS verified. */
  globals?: Partial<GlobalOptions>;
}

export type TestContext = Context & {
  /** What was written to stdout (when it is the context's own capture stream). */
  out(): string;
  /** What was written to stderr (when it is the context's own capture stream). */
  err(): string;
};

export function testContext(options: TestContextOptions = {}): TestContext {
  const stdout = options.stdout ?? captureStream();
  const stderr = options.stderr ?? captureStream();
  const stdin = new PassThrough();
  stdin.end();
  const textOf = (stream: OutStream): string =>
    'text' in stream && typeof stream.text === 'function' ? (stream.text as () => string)() : '';
  return {
    stdout,
    stderr,
    stdin,
    env: options.env ?? {},
    clock: { now: options.now ?? (() => Date.now()) },
    signal: options.signal ?? new AbortController().signal,
    globals: { color: 'auto', verbose: false, quiet: false, insecure: false, ...options.globals },
    out: () => textOf(stdout),
    err: () => textOf(stderr),
  };
}
