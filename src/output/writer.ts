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
import type { EventNames } from '../core/event-subject.js';
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
import { continueCsv, fileTargetOf, refuseJsonInCsv } from './file-target.js';
import { StreamSink } from './sink.js';
// Types only: the table (and the width tables it needs) loads when a table is written, so
// NDJSON, JSON and CSV never load it.
import type { TableOptions } from './table.js';
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
  const format =
    options.format ??
    shapedFormat(options.shape, ctx.globals.format, stream.isTTY === true) ??
    resolveFormat(ctx, stream);
  const attach = options.attachNames === true;
  const standard: RendererFactories<NamedEventRecord> = {
    table: async (table) => (await import('./table.js')).eventTableRenderer(table),
    csv: (clean) => eventCsvRenderer(clean, { names: attach }),
  };
  const namer = options.namer;
  if (namer && attach && (format === 'json' || format === 'ndjson')) {
    // JSON gets each record's own text with the names' text appended: no copy of the record
    // to add a key to, and no names object where the namer keeps their text.
    const withNames = (r: Renderer<NamedEventRecord>): Renderer<RecordAndNames> => ({
      ...r,
      record: ({ record, namesJson }) => r.record({ ...record, names: JSON.parse(namesJson) as EventNames }),
    });
    const json = writerFor<RecordAndNames>(
      ctx,
      { ...options, format },
      // writerFor asks these for a table or CSV only, which this is not; given for the types' sake.
      {
        table: async (table) => withNames(await standard.table(table)),
        csv: (clean) => withNames(standard.csv(clean)),
      },
      namedJsonText(),
    );
    return namedWriter(json, namesJsonOf(namer), (record, namesJson) => ({ record, namesJson }));
  }
  const writer = writerFor<NamedEventRecord>(
    ctx,
    { ...options, format },
    options.shape ? shapedFactories(ctx, options.shape, standard) : standard,
  );
  // Without --names a machine format is left exactly as it was: no look-ups at all.
  if (!namer || (!attach && format !== 'table')) return writer;
  return namedWriter(writer, namesOf(namer), (record, names) => ({ ...record, names }));
}

interface RecordAndNames {
  record: EventRecord;
  /** The names object's JSON text. */
  namesJson: string;
}

/** Where namedWriter gets each record's names: an object for a table or CSV, JSON text for JSON. */
interface NamesSource<N> {
  /** The names at once when no look-up is needed, else undefined (then `later`). */
  now?: (record: EventRecord) => N | undefined;
  later: (record: EventRecord) => Promise<N>;
  /** For a record whose look-up failed. */
  none: N;
}

function namesOf(namer: RecordNamer): NamesSource<EventNames> {
  const now = namer.namesNow;
  return {
    ...(now ? { now: (record: EventRecord) => now.call(namer, record) } : {}),
    later: (record) => namer.names(record),
    none: {},
  };
}

function namesJsonOf(namer: RecordNamer): NamesSource<string> {
  const { namesJsonNow, namesNow } = namer;
  const now = namesJsonNow
    ? (record: EventRecord) => namesJsonNow.call(namer, record)
    : namesNow
      ? (record: EventRecord) => {
          const names = namesNow.call(namer, record);
          return names && JSON.stringify(names);
        }
      : undefined;
  return {
    ...(now ? { now } : {}),
    later: async (record) => JSON.stringify(await namer.names(record)),
    none: '{}',
  };
}

/**
 * `JSON.stringify({ ...record, names })`, the same bytes, made from the record's own JSON and
 * the names' JSON text (which the resolver writes from kept pieces, src/kitsu/names.ts
 * keptJson): no copy of the record to add a key to, and no names object to serialize.
 */
function namedJsonText(): (item: RecordAndNames) => string {
  return ({ record, namesJson }) => {
    const own = JSON.stringify(record);
    // A record that has a names key of its own (none of ours do), or no key: the plain way.
    if ('names' in record || own.length < 3)
      return JSON.stringify({ ...record, names: JSON.parse(namesJson) as unknown });
    return `${own.slice(0, -1)},"names":${namesJson}}`;
  };
}

/**
 * The CSV renderer of events that a file gets (no terminal cleaning), with --fields and
 * --no-headers: for an export that writes the file itself (logs --checkpoint --output).
 */
export function eventFileCsv(ctx: Context, shape: OutputShape | undefined): Renderer<NamedEventRecord> {
  const standard: RendererFactories<NamedEventRecord> = {
    table: () => Promise.reject(new Error('a file gets no table')),
    csv: (clean) => eventCsvRenderer(clean),
  };
  return (shape ? shapedFactories(ctx, shape, standard) : standard).csv(undefined);
}

/** How many records may be waiting for their names at once, ahead of the one being written. */
const NAMES_AHEAD = 512;

/**
 * Adds each record's names before it is rendered, in order, looking up many records at once:
 * a write returns as soon as its record is queued (while fewer than NAMES_AHEAD wait), so that
 * the look-ups of the records behind it run while it waits for its own. Only the oldest
 * record holds the output back, and for no longer than the namer's budget.
 */
function namedWriter<T, N>(
  writer: RecordWriter<T>,
  source: NamesSource<N>,
  named: (record: EventRecord, names: N) => T,
): RecordWriter<EventRecord> {
  interface Queued {
    record: EventRecord;
    /** Absent when the names were known at once. */
    names?: Promise<N>;
    /** Set once the names have come: such records are written together, in one chunk. */
    named?: T;
  }
  const queue: Queued[] = [];
  let draining: Promise<void> | undefined;
  let failure: unknown;
  let roomWaiters: (() => void)[] = [];

  const drain = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        if (!queue[0]!.named) await queue[0]!.names;
        // The head and every record behind it whose names are in already: one write.
        let ready = 0;
        while (ready < queue.length && queue[ready]!.named) ready += 1;
        const batch = queue.slice(0, Math.max(1, ready)).map((q) => q.named ?? named(q.record, source.none));
        if (batch.length === 1 || !writer.writeMany) await writer.write(batch[0]!);
        else await writer.writeMany(batch);
        queue.splice(0, batch.length);
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

  const push = (record: EventRecord): void => {
    const known = source.now?.(record);
    if (known !== undefined) {
      queue.push({ record, named: named(record, known) });
      return;
    }
    const entry: Queued = { record };
    entry.names = source.later(record).then(
      (names) => ((entry.named = named(record, names)), names),
      () => ((entry.named = named(record, source.none)), source.none),
    );
    queue.push(entry);
  };
  /** Starts the drain, and waits while too many records wait for their names. */
  const room = async (): Promise<void> => {
    // Not for an empty queue: drain() would then finish before `draining` is set, which would
    // stay set for good, and end() would wait on it for ever (an empty window of the log,
    // written as a table with names, hung the run at its end).
    if (queue.length > 0) draining ??= drain();
    while (queue.length >= NAMES_AHEAD && failure === undefined)
      await new Promise<void>((resolve) => roomWaiters.push(resolve));
    if (failure !== undefined) throw failure;
  };

  return {
    async write(record) {
      if (failure !== undefined) throw failure;
      push(record);
      await room();
    },
    // A window at once: every look-up starts now, and the records are written in runs.
    async writeMany(records) {
      if (failure !== undefined) throw failure;
      let from = 0;
      const { now } = source;
      if (queue.length === 0 && draining === undefined && now && writer.writeMany) {
        // Nothing waits ahead: the records whose names are known at once (all of them, once
        // the cache is warm) go straight to the writer, without the queue.
        const ready: T[] = [];
        for (; from < records.length; from += 1) {
          const known = now(records[from]!);
          if (known === undefined) break;
          ready.push(named(records[from]!, known));
        }
        if (from === records.length) return writer.writeMany(ready);
        for (const [i, item] of ready.entries()) queue.push({ record: records[i]!, named: item });
      }
      for (let i = from; i < records.length; i += 1) push(records[i]!);
      await room();
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
    table: async (table) => (await import('./table.js')).loginTableRenderer(table),
    csv: loginCsvRenderer,
  });
}

export interface RendererFactories<R> {
  table: (options: TableOptions) => Promise<Renderer<R>>;
  csv: (clean?: (text: string) => string) => Renderer<R>;
}

/** `jsonText`: the JSON text of a record for json and ndjson, when it is not JSON.stringify's. */
function writerFor<R>(
  ctx: Context,
  options: WriterOptions,
  factories: RendererFactories<R>,
  jsonText?: (record: R) => string,
): RecordWriter<R> {
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
      // CSV cannot escape a control character; on a terminal it has to go. Appended to a
      // file that has its header already: no second one (and none of other columns).
      renderer = continueCsv(factories.csv(terminal ? sanitizeForTerminal : undefined), fileTargetOf(stream));
      break;
    case 'json':
    case 'ndjson': {
      refuseJsonInCsv(format.toUpperCase(), fileTargetOf(stream));
      const machine = format === 'json' ? jsonArrayRenderer<R>(jsonText) : ndjsonRenderer<R>(jsonText);
      // Same JSON, but nothing in it a terminal would act on; a pipe gets JSON.stringify's bytes.
      renderer = terminal ? { ...machine, record: (r) => escapeJsonForTerminal(machine.record(r)) } : machine;
      break;
    }
  }
  return streamWriter(ctx, stream, renderer);
}

function streamWriter<R>(
  ctx: Context,
  stream: OutStream,
  rendererOrLoading: Renderer<R> | Promise<Renderer<R>>,
): RecordWriter<R> {
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
