/**
 * The machine formats: NDJSON, a streamed JSON array, and CSV (RFC 4180). Each is a
 * Renderer: text for one record at a time, so nothing is ever held back.
 */
import type { EventNames } from '../core/event-subject.js';
import type { EventRecord, LoginRecord } from '../core/record.js';

/**
 * Turns records into text one at a time. `begin`/`end` frame the stream; a renderer never
 * waits for later records (a million rows and a never-ending `listen` both stream).
 */
export interface Renderer<R> {
  /** Text for one record, including whatever must precede the first one. */
  record(record: R): string;
  /** What closes the output (the `]` of json), or the whole output when there was no record. */
  end(): string;
  /** Whether `end()` must also be written when the command is interrupted (json: to stay valid). */
  readonly closeOnInterrupt: boolean;
  /**
   * CSV: the header line it writes before the first record (CRLF included); absent when it
   * writes none. A file appended to already has one: see continueCsv.
   */
  readonly header?: string;
}

/** One NDJSON line: exactly `JSON.stringify(record)` and a newline. */
export function formatNdjson(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}

/** `stringify`: the record's JSON text, when it is not JSON.stringify's (a record named by its pre-serialised names). */
export function ndjsonRenderer<R>(stringify?: (record: R) => string): Renderer<R> {
  return {
    record: stringify ? (record) => `${stringify(record)}\n` : formatNdjson,
    end: () => '',
    closeOnInterrupt: false,
  };
}

/**
 * A JSON array written as it goes: `[` comes with the first record and `]` at the end, so
 * the output is `[]` for no record, and appending `]` at any record boundary (which end()
 * does, also on Ctrl-C) always leaves valid JSON. One record per line for `grep` and `jq`.
 */
export function jsonArrayRenderer<R>(stringify: (record: R) => string = JSON.stringify): Renderer<R> {
  let count = 0;
  return {
    record(record) {
      count += 1;
      return `${count === 1 ? '[\n' : ',\n'}${stringify(record)}`;
    },
    end: () => (count === 0 ? '[]\n' : '\n]\n'),
    closeOnInterrupt: true,
  };
}

/**
 * A spreadsheet opening the CSV runs a cell that begins with one of these as a formula
 * (OWASP "CSV injection"); event data and a login's address (Zou records the X-Real-IP
 * header, which any user who can log in chooses) are not ours to trust.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell a spreadsheet would take for a formula gets a leading `'`, which shows it as text. */
export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * RFC 4180: quote a field holding a comma, a quote, CR or LF, doubling the quotes inside; a
 * field that would start a formula is neutralised first.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const text = neutraliseFormula(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line, CRLF-terminated as RFC 4180 says. */
export function csvLine(fields: ReadonlyArray<string | null>, clean: (text: string) => string = (t) => t): string {
  return `${fields.map((field) => csvField(field === null ? null : clean(field))).join(',')}\r\n`;
}

export const EVENT_CSV_COLUMNS = ['id', 'name', 'created_at', 'user_id', 'project_id', 'source', 'data'] as const;
export const LOGIN_CSV_COLUMNS = ['id', 'created_at', 'person_id', 'ip_address', 'origin'] as const;

function csvRenderer<R>(
  columns: readonly string[],
  fields: (record: R) => Array<string | null>,
  clean?: (text: string) => string,
): Renderer<R> {
  let headerWritten = false;
  const line = csvLine(columns);
  const header = (): string => {
    if (headerWritten) return '';
    headerWritten = true;
    return line;
  };
  return {
    record: (record) => header() + csvLine(fields(record), clean),
    end: header,
    closeOnInterrupt: false,
    header: line,
  };
}

/** A CSV renderer without its header line (the first line it writes). */
export function headerless<R>(renderer: Renderer<R>): Renderer<R> {
  let first = true;
  const dropHeader = (text: string): string => {
    if (!first) return text;
    first = false;
    // Column names never hold a line break: the header is everything up to the first CRLF.
    return text.slice(text.indexOf('\r\n') + 2);
  };
  return {
    record: (record) => dropHeader(renderer.record(record)),
    end: () => (first ? '' : renderer.end()),
    closeOnInterrupt: renderer.closeOnInterrupt,
  };
}

/**
 * The fields of one CSV line as csvLine writes them (RFC 4180, its line end removed); null
 * when it is not one (a quote left open: a line break inside a field, or another format).
 */
export function parseCsvLine(line: string): string[] | null {
  const text = line.replace(/\r?\n$/, '');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close === -1) return null;
        value += text.slice(i, close);
        if (text[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',') return null;
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Whether `firstLine` reads as a CSV header (column names such as id,name,data.task_id): then the file is CSV. */
export function looksLikeCsvHeader(firstLine: string): boolean {
  const columns = parseCsvLine(firstLine);
  return columns !== null && columns.length >= 2 && columns.every((c) => /^[A-Za-z_][\w.]*$/.test(c));
}

/** Why a CSV file whose first line is `firstLine` cannot take more rows under `header`; null when it can. */
export function csvHeaderMismatch(firstLine: string, header: string): string | null {
  const wanted = parseCsvLine(header) ?? [];
  const found = parseCsvLine(firstLine);
  if (found && found.join('\u0000') === wanted.join('\u0000')) return null;
  if (!found || found.length < 2 || firstLine.startsWith('{') || firstLine.startsWith('[')) {
    return 'its first line is not a CSV header like this run writes';
  }
  const extra = wanted.filter((column) => !found.includes(column));
  const missing = found.filter((column) => !wanted.includes(column));
  if (extra.length === 0 && missing.length === 0) return 'its header has the same columns in another order';
  const parts = [
    ...(missing.length > 0 ? [`the file has ${missing.join(', ')}`] : []),
    ...(extra.length > 0 ? [`this run writes ${extra.join(', ')}`] : []),
  ];
  return `its header has other columns: ${parts.join(' and ')}`;
}

/** The `names.*` columns CSV gets with --names, every one on every line (empty when it does not apply). */
export const NAME_CSV_KEYS = [
  'project',
  'person',
  'assignee',
  'entity',
  'entity_type',
  'asset_type',
  'task_type',
  'task_status',
  'previous_task_status',
] as const satisfies readonly (keyof EventNames)[];

/** CSV of events: the record's columns, with `data` as compact JSON; with `names`, the names after them. */
export function eventCsvRenderer(
  clean?: (text: string) => string,
  options: { names?: boolean } = {},
): Renderer<EventRecord & { names?: EventNames }> {
  const base = (r: EventRecord): Array<string | null> => [
    r.id,
    r.name,
    r.created_at,
    r.user_id,
    r.project_id,
    r.source,
    JSON.stringify(r.data),
  ];
  if (!options.names) return csvRenderer(EVENT_CSV_COLUMNS, base, clean);
  return csvRenderer(
    [...EVENT_CSV_COLUMNS, ...NAME_CSV_KEYS.map((key) => `names.${key}`)],
    (r) => [...base(r), ...NAME_CSV_KEYS.map((key) => r.names?.[key] ?? null)],
    clean,
  );
}

export function loginCsvRenderer(clean?: (text: string) => string): Renderer<LoginRecord> {
  return csvRenderer(LOGIN_CSV_COLUMNS, (r) => [r.id, r.created_at, r.person_id, r.ip_address, r.origin], clean);
}
