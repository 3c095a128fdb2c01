/**
 * Static tables: small tables known whole before they are printed (`profiles`, `whoami`,
 * summaries, the `--stats` view), laid out by cli-table3 without borders: each column as wide
 * as its widest cell (in terminal cells, so CJK and emoji line up), two spaces between
 * columns, no blanks at the end of a line.
 *
 * The live event view is not one of these: it is a stream of lines written as events come
 * (see table.ts), where a table library would have to wait for the last row.
 *
 * cli-table3 is loaded on the first render, not on import, so any command may import this
 * module without paying for the library on paths that print no table.
 */
import { createRequire } from 'node:module';
import type CliTable3 from 'cli-table3';

export type Align = 'left' | 'right';

export interface StaticTableOptions {
  /** Column titles, printed as the first line as they are (no colour, no rule below). */
  head?: readonly string[];
  /** Alignment per column, left when not given; counts read best right-aligned. */
  align?: readonly Align[];
}

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

let tableClass: typeof CliTable3 | undefined;

function loadTable(): typeof CliTable3 {
  tableClass ??= createRequire(import.meta.url)('cli-table3') as typeof CliTable3;
  return tableClass;
}

/**
 * The table as text, one line per row, each ending in a newline; '' when there are no rows
 * and no head. Cells must be sanitised already (they are printed as they are).
 */
export function renderStaticTable(rows: readonly (readonly string[])[], options: StaticTableOptions = {}): string {
  if (rows.length === 0 && !options.head) return '';
  const Table = loadTable();
  const table = new Table({
    chars: NO_BORDERS,
    // No colours of its own and no padding: the gap between columns is the `middle` above.
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    ...(options.head ? { head: [...options.head] } : {}),
    ...(options.align ? { colAligns: [...options.align] } : {}),
  });
  table.push(...rows.map((row) => [...row]));
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}
