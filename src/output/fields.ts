/**
 * `--fields LIST` and `--no-headers`: the table and CSV views with the columns a person
 * chose (record fields, `data.*`, `names.*`), still one line per record as it comes.
 *
 *   time (UTC+01:00)     name                    data.task_id  names.entity
 *   2026-11-30 08:00:01  task:status-changed     1a2b3c4d      SQ01 / SH010
 *
 * The table's columns have fixed widths (a stream cannot measure the rows to come): times
 * and short ids their own width, other text up to 28 cells, the last column what is left.
 * Times are local with the zone in the header, or UTC with --utc; the date shows when the
 * range spans days. CSV keeps the record's own texts (UTC ISO times, full ids).
 */
import { Chalk } from 'chalk';
import { fieldText, type FieldPath } from '../core/fields.js';
import type { EventRecord } from '../core/record.js';
import type { ClockText } from './clock-text.js';
import { csvLine, type Renderer } from './formats.js';
import { sanitizeForTerminal } from './sanitize.js';
import { displayWidth, truncateToWidth } from './width.js';

export function fieldsCsvRenderer(
  fields: readonly FieldPath[],
  options: { headers: boolean; clean?: (text: string) => string },
): Renderer<EventRecord> {
  let headerDone = !options.headers;
  const line = csvLine(fields.map((f) => f.label));
  const header = (): string => {
    if (headerDone) return '';
    headerDone = true;
    return line;
  };
  return {
    record: (record) =>
      header() +
      csvLine(
        fields.map((f) => fieldText(f.get(record))),
        options.clean,
      ),
    end: header,
    closeOnInterrupt: false,
    ...(options.headers ? { header: line } : {}),
  };
}

export interface FieldsTableOptions {
  headers: boolean;
  color: boolean;
  clock: ClockText;
  /** Show the date with each time (the range spans days). */
  withDate: boolean;
  /** The terminal's width, asked for every line; undefined: no cut. */
  columns?: () => number | undefined;
  /** The time the zone label is taken at (daylight saving). */
  now: () => number;
}

const TEXT_WIDTH = 28;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How wide a column is, and how its cells read. */
interface Column {
  title: string;
  width: number | undefined;
  cell(record: EventRecord): string;
}

function columnFor(field: FieldPath, options: FieldsTableOptions, last: boolean): Column {
  if (field.label === 'created_at') {
    const width = options.withDate ? 19 : 8;
    return {
      // The offset only: the zone's name would widen the column for every row.
      title: `time (${options.clock.zoneLabel(options.now()).split(' ')[0]})`,
      width: Math.max(width, 0),
      cell: (record) => {
        const ms = Date.parse(record.created_at);
        return Number.isNaN(ms) ? sanitizeForTerminal(record.created_at) : options.clock.time(ms, options.withDate);
      },
    };
  }
  const idLike = field.label === 'id' || field.label.endsWith('_id');
  return {
    title: field.label,
    width: last ? undefined : idLike ? 8 : TEXT_WIDTH,
    cell: (record) => {
      const text = fieldText(field.get(record));
      if (text === null) return '';
      // Ids on a screen: the first eight characters tell them apart.
      return sanitizeForTerminal(UUID.test(text) ? text.slice(0, 8) : text);
    },
  };
}

export function fieldsTableRenderer(fields: readonly FieldPath[], options: FieldsTableOptions): Renderer<EventRecord> {
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const columns = fields.map((field, i) => columnFor(field, options, i === fields.length - 1));
  // A header wider than its column widens it: "time (UTC+01:00 Europe/Paris)" stays readable.
  for (const column of columns) {
    if (column.width !== undefined)
      column.width = Math.max(column.width, Math.min(displayWidth(column.title), TEXT_WIDTH + 8));
  }
  const line = (cells: string[]): string => {
    const text = cells
      .map((cell, i) => {
        const width = columns[i]!.width;
        if (width === undefined) return cell;
        const cut = truncateToWidth(cell, width);
        return cut + ' '.repeat(Math.max(0, width - displayWidth(cut)));
      })
      .join('  ')
      .trimEnd();
    const max = options.columns?.();
    return max !== undefined && max > 0 ? truncateToWidth(text, max) : text;
  };
  let headerDone = !options.headers;
  const header = (): string => {
    if (headerDone) return '';
    headerDone = true;
    return `${chalk.dim(line(columns.map((c) => c.title)))}\n`;
  };
  return {
    record: (record) => `${header()}${line(columns.map((c) => c.cell(record)))}\n`,
    end: () => '',
    closeOnInterrupt: false,
  };
}
