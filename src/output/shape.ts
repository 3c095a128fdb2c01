/**
 * Output shaping shared by `logs` and `listen`: `--fields LIST` (table and CSV columns),
 * `--no-headers`, `--utc`. Parsed once into an OutputShape; the writer (writer.ts) asks
 * shapedFactories for the renderers that honour it.
 */
import type { Context, Format } from '../context.js';
import { parseFieldList, type FieldPath } from '../core/fields.js';
import type { EventRecord } from '../core/record.js';
import { UsageError } from '../errors.js';
import { clockText, localZone, spansDays, type ClockText } from './clock-text.js';
import { fieldsCsvRenderer, fieldsTableRenderer } from './fields.js';
import { headerless, type Renderer } from './formats.js';
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

/** The flags, checked: what a plan holds (pure, no environment read yet). */
export interface ShapePlan {
  fields?: FieldPath[];
  headers: boolean;
  utc: boolean;
}

export interface ShapeFlags {
  fields?: string;
  /** Commander's --no-headers: false when given. */
  headers?: boolean;
  utc?: boolean;
}

/**
 * The shaping flags, or a UsageError. `format` is the format chosen with --format/--json, if
 * any: JSON keeps whole records, so --fields and --no-headers do not apply to it. (With no
 * format chosen, --fields means the table on a terminal and CSV in a pipe.)
 */
export function planShape(flags: ShapeFlags, format: Format | undefined): ShapePlan {
  const fields = flags.fields !== undefined ? parseFieldList(flags.fields, '--fields') : undefined;
  if (fields && (format === 'ndjson' || format === 'json')) {
    throw new UsageError(
      `--fields picks the columns of the table and CSV views; --format ${format} keeps whole records`,
      `add --format csv (or table), or pick fields with jq: jq -c '{name, created_at}'`,
    );
  }
  const headers = flags.headers !== false;
  if (!headers && (format === 'ndjson' || format === 'json')) {
    throw new UsageError(
      `--no-headers applies to the table and CSV views; --format ${format} has no header`,
      'drop --no-headers, or add --format csv',
    );
  }
  return { fields, headers, utc: flags.utc === true };
}

/**
 * The shape of a run's output: the plan with the run's clock (local time from the
 * environment's TZ, or UTC). `range` is the run's range, when it has one: tables show dates
 * when it spans days (an open start, as `logs` without --since, counts as spanning days).
 */
export function openShape(
  plan: ShapePlan,
  env: Record<string, string | undefined>,
  range: { fromMs?: number; toMs: number },
): OutputShape {
  const local = localZone(env);
  const clock = clockText({ utc: plan.utc, zone: local.zone, zoneName: local.name });
  const withDate = range.fromMs === undefined || spansDays(range.fromMs, range.toMs, clock.zone);
  return { fields: plan.fields, headers: plan.headers, clock, withDate };
}

/** The format a writer uses: --fields without a chosen format is the table on a terminal, CSV elsewhere. */
export function shapedFormat(
  shape: { fields?: readonly FieldPath[] } | undefined,
  chosen: Format | undefined,
  terminal: boolean,
): Format | undefined {
  if (chosen !== undefined || !shape?.fields) return chosen;
  return terminal ? 'table' : 'csv';
}

/** Whether the chosen columns show names (then the records need them attached, as --names does). */
export function shapeNeedsNames(shape: { fields?: readonly FieldPath[] }): boolean {
  return shape.fields?.some((field) => field.root === 'names') ?? false;
}

interface Factories<R extends EventRecord> {
  /** Async: the live table (and its width tables) loads only when a table is written. */
  table: (options: TableOptions) => Promise<Renderer<R>>;
  csv: (clean?: (text: string) => string) => Renderer<R>;
}

/** The table and CSV renderers of an event writer, as the shape wants them. */
export function shapedFactories<R extends EventRecord>(
  ctx: Context,
  shape: OutputShape,
  standard: Factories<R>,
): Factories<R> {
  return {
    table: async (options) =>
      shape.fields
        ? fieldsTableRenderer(shape.fields, {
            headers: shape.headers,
            color: options.color,
            clock: shape.clock,
            withDate: shape.withDate,
            columns: options.columns,
            now: () => ctx.clock.now(),
          })
        : standard.table({
            ...options,
            zone: shape.clock.zone,
            // The table's zone line stands for the header the --fields table has: --no-headers drops it.
            ...(shape.headers ? { zoneLabel: (atMs: number) => shape.clock.zoneLabel(atMs) } : {}),
          }),
    csv: (clean) =>
      shape.fields
        ? fieldsCsvRenderer(shape.fields, { headers: shape.headers, clean })
        : shape.headers
          ? standard.csv(clean)
          : headerless(standard.csv(clean)),
  };
}
