/**
 * Where commands hand their records: `createRecordWriter(ctx).write(record)`. Picks the
 * format (--format/--json, else table on a terminal and NDJSON in a pipe), renders one
 * record at a time, and writes it at once through a StreamSink (backpressure, EPIPE).
 *
 * Usage in a command:
 *   const out = createRecordWriter(ctx, { names });
 *   try { for await (const r of records) await out.write(r); } finally { await out.end(); }
 * On Ctrl-C the json format closes its array by itself, so the output stays valid JSON even
 * if end() is never reached; writes after that reject with the abort reason.
 */
import type { Context, Format, OutStream } from '../context.js';
import type { EventRecord, LoginRecord } from '../core/record.js';
import { OutputClosedError } from '../errors.js';
import { shouldColor } from './color.js';
import {
  eventCsvRenderer,
  formatNdjson,
  jsonArrayRenderer,
  loginCsvRenderer,
  ndjsonRenderer,
  type Renderer,
} from './formats.js';
import { escapeJsonForTerminal, sanitizeForTerminal } from './sanitize.js';
import { StreamSink } from './sink.js';
import { eventTableRenderer, loginTableRenderer, type TableOptions } from './table.js';
import type { LoginWriter, NameDirectory, NamedEventRecord, RecordNamer, RecordWriter } from './types.js';
import { shapedFactories, shapedFormat, type OutputShape } from './shape.js';

export { formatNdjson };

export interface WriterOptions {
  /** Default: ctx.stdout. */
  stream?: OutStream;
  /** Default: resolveFormat(ctx, stream). */
  format?: Format;
  /** Names for ids in the table view. */
  names?: NameDirectory;
  /** --fields, --no-headers, --utc (see src/output/shape.ts). */
  shape?: OutputShape;
  /** Names of what each event is about: shown by the table, and added as `names` with `attachNames`. */
  namer?: RecordNamer;
  /** `--names`: each JSON record gets a `names` object, CSV gets `names.*` columns. */
  attachNames?: boolean;
}

/** The format the user asked for, else table on a terminal and NDJSON anywhere else. */
export function resolveFormat(ctx: Context, stream: OutStream = ctx.stdout): Format {
  return ctx.globals.format ?? (stream.isTTY === true ? 'table' : 'ndjson');
}

export function createRecordWriter(ctx: Context, options: WriterOptions = {}): RecordWriter<EventRecord> {
  const stream = options.stream ?? ctx.stdout;
  const format = options.format ?? shapedFormat(options.shape, ctx.globals.format, stream.isTTY === true) ?? resolveFormat(ctx, stream);
  const attach = options.attachNames === true;
  const standard: RendererFactories<NamedEventRecord> = {
    table: eventTableRenderer,
    csv: (clean) => eventCsvRenderer(clean, { names: attach }),
  };
  const writer = writerFor<NamedEventRecord>(ctx, { ...options, format }, options.shape ? shapedFactories(ctx, options.shape, standard) : standard);
  const namer = options.namer;
  // Without --names a machine format is left exactly as it was: no look-ups at all.
  if (!namer || (!attach && format !== 'table')) return writer;
  return namedWriter(writer, namer);
}

/** How many records may be waiting for their names at once, ahead of the one being written. */
const NAMES_AHEAD = 512;

/**
 * Adds each record's names before it is rendered, in order, looking up many records at once:
 * a write returns as soon as its record is queued (while fewer than NAMES_AHEAD wait), so that
 * the look-ups of the records behind it run while it waits for its own. Only the oldest
 * record holds the output back, and for no longer than the namer's budget.
 */
function namedWriter(writer: RecordWriter<NamedEventRecord>, namer: RecordNamer): RecordWriter<EventRecord> {
  const queue: { record: EventRecord; names: Promise<NamedEventRecord['names']> }[] = [];
  let draining: Promise<void> | undefined;
  let failure: unknown;
  let roomWaiters: (() => void)[] = [];

  const drain = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        const head = queue[0]!;
        const names = await head.names;
        await writer.write({ ...head.record, names });
        queue.shift();
        if (queue.length < NAMES_AHEAD) {
          const waiting = roomWaiters;
          roomWaiters = [];
          for (const wake of waiting) wake();
        }
      }
    } catch (error) {
      failure = error;
      queue.length = 0;
      const waiting = roomWaiters;
      roomWaiters = [];
      for (const wake of waiting) wake();
    } finally {
      draining = undefined;
    }
  };

  const enqueue = async (record: EventRecord): Promise<void> => {
    if (failure !== undefined) throw failure;
    queue.push({ record, names: namer.names(record).catch(() => ({})) });
    draining ??= drain();
    while (queue.length >= NAMES_AHEAD && failure === undefined) await new Promise<void>((resolve) => roomWaiters.push(resolve));
    if (failure !== undefined) throw failure;
  };

  return {
    write: enqueue,
    async writeMany(records) {
      await namer.prefetch?.(records);
      for (const record of records) await enqueue(record);
    },
    async end() {
      while (draining) await draining;
      if (failure !== undefined) throw failure;
      await writer.end();
    },
  };
}

export function createLoginWriter(ctx: Context, options: WriterOptions = {}): LoginWriter {
  return writerFor(ctx, options, {
    table: loginTableRenderer,
    csv: loginCsvRenderer,
  });
}

export interface RendererFactories<R> {
  table: (options: TableOptions) => Renderer<R>;
  csv: (clean?: (text: string) => string) => Renderer<R>;
}

function writerFor<R>(ctx: Context, options: WriterOptions, factories: RendererFactories<R>): RecordWriter<R> {
  const stream = options.stream ?? ctx.stdout;
  const format = options.format ?? resolveFormat(ctx, stream);
  const terminal = stream.isTTY === true;
  let renderer: Renderer<R>;
  switch (format) {
    case 'table':
      renderer = factories.table({
        color: shouldColor(ctx.globals.color, stream, ctx.env),
        columns: () => (terminal ? stream.columns : undefined),
        names: options.names,
        now: () => ctx.clock.now(),
      });
      break;
    case 'csv':
      // CSV cannot escape a control character; on a terminal it has to go.
      renderer = factories.csv(terminal ? sanitizeForTerminal : undefined);
      break;
    case 'json':
    case 'ndjson': {
      const machine = format === 'json' ? jsonArrayRenderer<R>() : ndjsonRenderer<R>();
      // Same JSON, but nothing in it a terminal would act on; a pipe gets JSON.stringify's bytes.
      renderer = terminal ? { ...machine, record: (r) => escapeJsonForTerminal(machine.record(r)) } : machine;
      break;
    }
  }
  return streamWriter(ctx, stream, renderer);
}

function streamWriter<R>(ctx: Context, stream: OutStream, renderer: Renderer<R>): RecordWriter<R> {
  const sink = new StreamSink(stream, ctx.signal);
  let ended = false;
  let closed = false;
  const closingText = (): string => {
    if (closed) return '';
    closed = true;
    return renderer.end();
  };
  // Ctrl-C: close a json array at once, so what was printed stays valid JSON.
  const onAbort = (): void => {
    if (renderer.closeOnInterrupt && !(ctx.signal.reason instanceof OutputClosedError)) {
      sink.writeNow(closingText());
    }
  };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });

  return {
    write(record: R): Promise<void> {
      if (ended) return Promise.reject(new Error('RecordWriter.write() called after end()'));
      return sink.write(renderer.record(record));
    },
    writeMany(records: readonly R[]): Promise<void> {
      if (ended) return Promise.reject(new Error('RecordWriter.writeMany() called after end()'));
      if (records.length === 0) return Promise.resolve();
      return sink.write(records.map((record) => renderer.record(record)).join(''));
    },
    async end(): Promise<void> {
      if (!ended) {
        ended = true;
        ctx.signal.removeEventListener('abort', onAbort);
        const text = closingText();
        if (text) await sink.write(text);
      }
      await sink.flush();
      sink.release();
    },
  };
}
