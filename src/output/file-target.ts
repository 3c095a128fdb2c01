/**
 * What the writer must know when its stream is a file the user named (`--output FILE`), kept
 * beside the stream rather than threaded through every command's writer options: the name,
 * for messages that say which file failed, and what the file already held, so that CSV
 * appended to it continues its header instead of writing a second one.
 */
import { UsageError } from '../errors.js';
import { csvHeaderMismatch, headerless, looksLikeCsvHeader, type Renderer } from './formats.js';

export interface FileTarget {
  /** The flag and the path as the user typed them: `--output events.csv`. */
  flag: string;
  path: string;
  /** The file's first line (line end removed) when it already held something; null when empty or not a regular file. */
  firstLine: string | null;
}

const targets = new WeakMap<object, FileTarget>();

export function markFileTarget(stream: object, target: FileTarget): void {
  targets.set(stream, target);
}

export function fileTargetOf(stream: object): FileTarget | undefined {
  return targets.get(stream);
}

/**
 * The renderer for appending to `target`: unchanged for an empty file or a renderer without
 * a header; without its header when the file starts with the same one; a UsageError (exit 2)
 * when the file starts with anything else, since rows of other columns would corrupt it.
 */
export function continueCsv<R>(renderer: Renderer<R>, target: FileTarget | undefined): Renderer<R> {
  if (!target || target.firstLine === null || renderer.header === undefined) return renderer;
  const why = csvHeaderMismatch(target.firstLine, renderer.header);
  if (why === null) return headerless(renderer);
  throw new UsageError(
    `${target.flag} ${target.path}: ${why}`,
    'write to another file, or give the same --fields or --names as the runs that wrote it',
  );
}

/** A JSON format appended to `target`: refused when the file is CSV (its first line is a header). */
export function refuseJsonInCsv(format: string, target: FileTarget | undefined): void {
  if (!target || target.firstLine === null || !looksLikeCsvHeader(target.firstLine)) return;
  throw new UsageError(
    `${target.flag} ${target.path} holds CSV (its first line is a header); this run writes ${format}`,
    'add --format csv, or write to another file',
  );
}

/** The first line of `text` (the start of a file), without its line end. */
export function firstLineOf(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, '');
}
