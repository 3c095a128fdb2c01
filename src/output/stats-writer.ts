/**
 * `logs --stats` and `logs --count-by KEY` as a RecordWriter: the command hands it the
 * records it would print, it counts them (src/core/stats.ts) and writes the summary once, at
 * end(). So the summary reads the log exactly as printing it would: the same range, filters,
 * paging and progress, one pass, and memory that does not grow with the number of events.
 */
import type { Context, OutStream } from '../context.js';
import { fieldText, parseFieldPath } from '../core/fields.js';
import type { EventRecord } from '../core/record.js';
import { ActivityStats, entityKeyOf, FieldCounter } from '../core/stats.js';
import { shouldColor } from './color.js';
import type { ClockText } from './clock-text.js';
import { escapeJsonForTerminal, sanitizeForTerminal } from './sanitize.js';
import { StreamSink } from './sink.js';
import {
  countByCsv,
  countByJson,
  countByText,
  statsCsv,
  statsJson,
  statsText,
  type BreakdownKind,
  type StatsLabels,
} from './stats.js';
import type { RecordWriter } from './types.js';
import { resolveFormat } from './writer.js';

/** What `--count-by KEY` counts by: a kind (for names) and the key of each record. */
export interface CountBy {
  label: string;
  kind: BreakdownKind;
  keyOf(record: EventRecord): string | null;
}

/**
 * `name` (or `event`), `project`, `person`, `entity`, or any field path of src/core/fields.ts
 * (`data.task_status_id`, `names.task_type`); a bad one is a UsageError listing the fields.
 */
export function parseCountBy(text: string, entityOf: (record: EventRecord) => string | null = entityKeyOf): CountBy {
  const key = text.trim();
  if (key === 'entity') return { label: 'entity', kind: 'entity', keyOf: entityOf };
  const field = parseFieldPath(key, '--count-by');
  const kind: BreakdownKind =
    field.label === 'name'
      ? 'name'
      : field.label === 'project_id' || field.label === 'data.project_id'
        ? 'project'
        : field.label === 'user_id' || /(^|_)person_id$/.test(field.label)
          ? 'person'
          : 'field';
  return {
    label: field.label,
    kind,
    keyOf: (record) => {
      const text = fieldText(field.get(record));
      return text === '' ? null : text;
    },
  };
}

export interface StatsRequest {
  /** Undefined: the full --stats view. */
  countBy?: CountBy;
  /** Rows of each breakdown (count-by: all when undefined). */
  top?: number;
  /** The range asked for, when one was. */
  fromMs?: number;
  toMs?: number;
  labels: StatsLabels;
  clock: ClockText;
  headers: boolean;
  entityOf?: (record: EventRecord) => string | null;
  /**
   * The entity of each record and its name, from the name resolver: a task's events count for
   * its shot or asset. `key` is `kind:id` (see entityKeyOf).
   */
  entities?: {
    /** The entity of each record, in order: a window of the log at once. */
    entitiesOf(records: readonly EventRecord[]): Promise<{ key: string | null; name?: string }[]>;
  };
}

const DEFAULT_TOP = 10;

export function createStatsWriter(
  ctx: Context,
  request: StatsRequest,
  stream: OutStream = ctx.stdout,
): RecordWriter<EventRecord> {
  const format = resolveFormat(ctx, stream);
  const terminal = stream.isTTY === true;
  const stats = request.countBy
    ? undefined
    : new ActivityStats({ zone: request.clock.zone, entityOf: request.entityOf });
  const counter = request.countBy ? new FieldCounter(request.countBy.keyOf) : undefined;
  let ended = false;

  const render = (): string => {
    const style = {
      color: shouldColor(ctx.globals.color, stream, ctx.env),
      columns: terminal ? stream.columns || undefined : undefined,
    };
    const clean = terminal ? sanitizeForTerminal : undefined;
    if (counter && request.countBy) {
      const view = {
        by: request.countBy.label,
        kind: request.countBy.kind,
        total: counter.total,
        counts: counter.counts.top(request.top),
        labels,
      };
      if (format === 'csv') return countByCsv(view, request.headers, clean);
      if (format === 'table') return countByText(view, style, request.headers);
      return `${JSON.stringify(countByJson(view))}\n`;
    }
    const view = {
      stats: stats!,
      fromMs: request.fromMs,
      toMs: request.toMs,
      top: request.top ?? DEFAULT_TOP,
      labels,
      clock: request.clock,
    };
    if (format === 'csv') return statsCsv(view, request.headers, clean);
    if (format === 'table') return statsText(view, style);
    return `${JSON.stringify(statsJson(view))}\n`;
  };

  // One name a key, kept for the labels: as many as there are entities, not events.
  const entityNames = new Map<string, string>();
  const labels: StatsLabels = request.entities
    ? { ...request.labels, entity: (key) => entityNames.get(key) ?? request.labels.entity?.(key) }
    : request.labels;
  // Only the entity breakdowns need a record's entity: --count-by name reads no more than it needs.
  const entities = stats || request.countBy?.kind === 'entity' ? request.entities : undefined;

  const addAll = async (records: readonly EventRecord[]): Promise<void> => {
    if (!entities) {
      for (const record of records) {
        if (stats) stats.add(record);
        else counter!.add(record);
      }
      return;
    }
    const found = await entities.entitiesOf(records);
    for (const [i, record] of records.entries()) {
      const { key, name } = found[i]!;
      if (key !== null && name !== undefined) entityNames.set(key, name);
      if (stats) stats.add(record, key);
      else counter!.addKey(key);
    }
  };

  return {
    async write(record) {
      if (ended) throw new Error('stats writer: write() after end()');
      await addAll([record]);
    },
    async writeMany(records) {
      if (ended) throw new Error('stats writer: writeMany() after end()');
      await addAll(records);
    },
    async end() {
      if (ended) return;
      ended = true;
      const sink = new StreamSink(stream, ctx.signal);
      try {
        const text = render();
        // JSON on a terminal: nothing a terminal would act on (names come from the server).
        await sink.write(terminal && (format === 'json' || format === 'ndjson') ? escapeJsonForTerminal(text) : text);
        await sink.flush();
      } finally {
        sink.release();
      }
    },
  };
}
