/**
 * The text of an exactly-once export file in CSV: the header once, at the start of the file,
 * then rows; and how to read a row's id and time back (a run that must read again skips the
 * ids the file holds). NDJSON, the default, is in exactly-once.ts.
 */
import { csvHeaderMismatch, headerless, parseCsvLine, type Renderer } from '../output/formats.js';
import type { ExportFileFormat } from './exactly-once.js';

export function csvExportFormat<R>(renderer: Renderer<R>): ExportFileFormat<R> {
  const { header } = renderer;
  // The header is the file's business (written once, to an empty file), never the rows'.
  const rows = header === undefined ? renderer : headerless(renderer);
  const columns = header === undefined ? null : parseCsvLine(header);
  const idAt = columns?.indexOf('id') ?? -1;
  const timeAt = columns?.indexOf('created_at') ?? -1;
  return {
    ...(header !== undefined ? { header } : {}),
    rows: (records) => records.map((record) => rows.record(record)).join(''),
    // Without a header (--no-headers) there is nothing to compare.
    refuses: (firstLine) => (header === undefined ? null : csvHeaderMismatch(firstLine, header)),
    ...(columns && idAt >= 0 && timeAt >= 0
      ? {
          rowOf: (line: string) => {
            const fields = parseCsvLine(line);
            if (!fields || fields.length !== columns.length) return null;
            const ms = Date.parse(fields[timeAt]!);
            return fields[idAt] && Number.isFinite(ms) ? { id: fields[idAt], second: Math.floor(ms / 1000) } : null;
          },
        }
      : {}),
  };
}
