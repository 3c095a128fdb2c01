/**
 * Helpers for the output tests: a Context with in-memory streams that can act as a terminal,
 * and records to write.
 */
import { PassThrough } from 'node:stream';
import type { Context, GlobalOptions, OutStream } from '../../src/context.js';
import type { EventRecord } from '../../src/core/record.js';

export interface FakeStream extends PassThrough {
  isTTY?: boolean;
  columns?: number;
  /** Everything written so far (the stream is read as it is written). */
  text(): string;
}

/** A stream that keeps what is written to it; `tty` makes it look like a terminal. */
export function captureStream(options: { tty?: boolean; columns?: number } = {}): FakeStream {
  const stream = new PassThrough() as FakeStream;
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  if (options.tty) Object.assign(stream, { isTTY: true, columns: options.columns });
  stream.text = () => chunks.join('');
  return stream;
}

export interface FakeContextOptions {
  stdout?: OutStream;
  stderr?: OutStream;
  env?: Record<string, string | undefined>;
  now?: () => number;
  signal?: AbortSignal;
  globals?: Partial<GlobalOptions>;
}

export function fakeContext(options: FakeContextOptions = {}): Context {
  return {
    stdout: options.stdout ?? captureStream(),
    stderr: options.stderr ?? captureStream(),
    stdin: new PassThrough(),
    env: options.env ?? {},
    clock: { now: options.now ?? (() => Date.now()) },
    signal: options.signal ?? new AbortController().signal,
    globals: { color: 'auto', verbose: false, quiet: false, insecure: false, ...options.globals },
  };
}

/** A log record; `overrides` replace any field. */
export function sampleRecord(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id: '4f1c2d3e-0000-4000-8000-000000000001',
    name: 'task:status-changed',
    created_at: '2026-11-29T08:00:01Z',
    user_id: 'a1b2c3d4-0000-4000-8000-000000000002',
    project_id: 'b2c3d4e5-0000-4000-8000-000000000003',
    data: {
      task_id: 'c3d4e5f6-0000-4000-8000-000000000004',
      new_task_status_id: 'd4e5f6a7-0000-4000-8000-000000000005',
      project_id: 'b2c3d4e5-0000-4000-8000-000000000003',
    },
    source: 'log',
    ...overrides,
  };
}

/** Resolves once `condition()` holds, checking every few milliseconds. */
export async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
