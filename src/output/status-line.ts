/**
 * A redrawn status line (progress) and ordinary lines share stderr: before a line is written
 * the status line is erased, and afterwards drawn again, so that a warning never ends up
 * glued to the end of "12,000 events…".
 */
import type { OutStream } from '../context.js';

export interface StatusLine {
  /** Erases the line from the terminal (the cursor goes back to column 0). */
  clear(): void;
  /** Draws it again, as it was last. */
  redraw(): void;
}

const active = new WeakMap<OutStream, StatusLine>();

export function showStatusLine(stream: OutStream, line: StatusLine): void {
  active.set(stream, line);
}

export function hideStatusLine(stream: OutStream, line: StatusLine): void {
  if (active.get(stream) === line) active.delete(stream);
}

/** Runs `write` with the stream's status line, if any, out of the way. */
export function aroundStatusLine(stream: OutStream, write: () => void): void {
  const line = active.get(stream);
  line?.clear();
  write();
  line?.redraw();
}
