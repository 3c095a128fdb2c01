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
import type { EventRecord } from '../core/record.js';
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
// Types only: the table (and the width tables it needs) loads when a table is written, so
// NDJSON, JSON and CSV never load it.
import type { TableOptions } from './table.js';
import type { LoginWriter, NameDirectory, RecordWriter } from './types.js';

export { formatNdjson };

export interface WriterOptions {
  /** Default: ctx.stdout. */
  stream?: OutStream;
  /** Default: resolveFormat(ctx, stream). */
  format?: Format;
  /** Names for ids in the table view. */
  names?: NameDirectory;
}

/** The format the user asked for, else table on a terminal and NDJSON anywhere else. */
export function resolveFormat(ctx: Context, stream: OutStream = ctx.stdout): Format {
  return ctx.globals.format ?? (stream.isTTY === true ? 'table' : 'ndjson');
}

export function createRecordWriter(ctx: Context, options: WriterOptions = {}): RecordWriter<EventRecord> {
  return writerFor(ctx, options, {
    table: async (table) => (await import('./table.js')).eventTableRenderer(table),
    csv: eventCsvRenderer,
  });
}

export function createLoginWriter(ctx: Context, options: WriterOptions = {}): LoginWriter {
  return writerFor(ctx, options, {
    table: async (table) => (await import('./table.js')).loginTableRenderer(table),
    csv: loginCsvRenderer,
  });
}

interface RendererFactories<R> {
  table: (options: TableOptions) => Promise<Renderer<R>>;
  csv: (clean?: (text: string) => string) => Renderer<R>;
}

function writerFor<R>(ctx: Context, options: WriterOptions, factories: RendererFactories<R>): RecordWriter<R> {
  const stream = options.stream ?? ctx.stdout;
  const format = options.format ?? resolveFormat(ctx, stream);
  const terminal = stream.isTTY === true;
  let renderer: Renderer<R> | Promise<Renderer<R>>;
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

function streamWriter<R>(ctx: Context, stream: OutStream, rendererOrLoading: Renderer<R> | Promise<Renderer<R>>): RecordWriter<R> {
  const sink = new StreamSink(stream, ctx.signal);
  // A renderer still loading (the table) is awaited by the first write; the formats that
  // close on Ctrl-C (json) are never loaded lazily.
  let renderer = rendererOrLoading instanceof Promise ? undefined : rendererOrLoading;
  const loaded = async (): Promise<Renderer<R>> => (renderer ??= await rendererOrLoading);
  let ended = false;
  let closed = false;
  const closingText = (r: Renderer<R>): string => {
    if (closed) return '';
    closed = true;
    return r.end();
  };
  // Ctrl-C: close a json array at once, so what was printed stays valid JSON.
  const onAbort = (): void => {
    if (renderer?.closeOnInterrupt && !(ctx.signal.reason instanceof OutputClosedError)) {
      sink.writeNow(closingText(renderer));
    }
  };
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });

  return {
    async write(record: R): Promise<void> {
      if (ended) throw new Error('RecordWriter.write() called after end()');
      const r = renderer ?? (await loaded());
      return sink.write(r.record(record));
    },
    async writeMany(records: readonly R[]): Promise<void> {
      if (ended) throw new Error('RecordWriter.writeMany() called after end()');
      if (records.length === 0) return;
      const r = renderer ?? (await loaded());
      return sink.write(records.map((record) => r.record(record)).join(''));
    },
    async end(): Promise<void> {
      if (!ended) {
        ended = true;
        ctx.signal.removeEventListener('abort', onAbort);
        const text = closingText(renderer ?? (await loaded()));
        if (text) await sink.write(text);
      }
      await sink.flush();
      sink.release();
    },
  };
}
