/**
 * Output shaping shared by `logs` and `listen`: `--fields LIST` (table and CSV columns),
 * `--no-headers`, `--utc`. Parsed once into an OutputShape; the writer (writer.ts) asks
 * shapedFactories for the renderers that honour it.
 */
import type { Context, Format } from '../context.js';
import { parseFieldList, parseFieldPath, type FieldPath } from '../core/fields.js';
import type { EventRecord } from '../core/record.js';
import { UsageError } from '../errors.js';
import { clockText, localZone, type ClockText } from './clock-text.js';
import { DEFAULT_CSV_FIELDS, fieldsCsvRenderer, fieldsTableRenderer } from './fields.js';
import type { Renderer } from './formats.js';
import type { TableOptions } from './table.js';

export interface OutputShape {
  /** The chosen columns; undefined: the format's own. */
  fields?: FieldPath[];
  /** False with --no-headers. */
  headers: boolean;
  clock: ClockText;
  /** Whether the times of this run span more than one day (then tables show dates). */
  withDate: boolean;
}

export interface ShapeFlags {
  fields?: string;
  /** Commander's --no-headers: false when given. */
  headers?: boolean;
  utc?: boolean;
}

/**
 * The shape of a run's output, or a UsageError. `format` is the chosen or default format;
 * `withDate` whether the run's range spans days (the caller knows its range).
 */
export function parseShape(flags: ShapeFlags, format: Format, withDate: boolean, env: Record<string, string | undefined> = {}): OutputShape {
  const fields = flags.fields !== undefined ? parseFieldList(flags.fields, '--fields') : undefined;
  if (fields && (format === 'ndjson' || format === 'json')) {
    throw new UsageError(
      `--fields picks the columns of the table and CSV views; --format ${format} keeps whole records`,
      `add --format csv (or table), or pick fields with jq: jq -c '{name, created_at}'`,
    );
  }
  const headers = flags.headers !== false;
  if (!headers && (format === 'ndjson' || format === 'json')) {
    throw new UsageError(`--no-headers applies to the table and CSV views; --format ${format} has no header`, 'drop --no-headers, or add --format csv');
  }
  const local = localZone(env);
  return { fields, headers, clock: clockText({ utc: flags.utc === true, zone: local.zone, zoneName: local.name }), withDate };
}

/** Whether the shape asks nothing of the usual renderers (then they are used as they are). */
export function isPlain(shape: OutputShape): boolean {
  return shape.fields === undefined && shape.headers;
}

interface Factories {
  table: (options: TableOptions) => Renderer<EventRecord>;
  csv: (clean?: (text: string) => string) => Renderer<EventRecord>;
}

/** The table and CSV renderers of an event writer, as the shape wants them. */
export function shapedFactories(ctx: Context, shape: OutputShape, standard: Factories): Factories {
  const csvFields = shape.fields ?? DEFAULT_CSV_FIELDS.map((name) => parseFieldPath(name, '--fields'));
  return {
    table: (options) =>
      shape.fields
        ? fieldsTableRenderer(shape.fields, {
            headers: shape.headers,
            color: options.color,
            clock: shape.clock,
            withDate: shape.withDate,
            columns: options.columns,
            now: () => ctx.clock.now(),
          })
        : standard.table({ ...options, zone: shape.clock.zone }),
    csv: (clean) => (isPlain(shape) ? standard.csv(clean) : fieldsCsvRenderer(csvFields, { headers: shape.headers, clean })),
  };
}
