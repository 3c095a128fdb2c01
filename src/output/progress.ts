/**
 * Progress of a long export on stderr: one line, redrawn in place, at most ten times a
 * second, erased when done. Only for a person watching: shown when stderr is a terminal and
 * not --quiet, and not when the records themselves scroll by on that terminal (they are
 * progress enough); silent otherwise.
 */
import type { Context } from '../context.js';
import { hideStatusLine, showStatusLine, type StatusLine } from './status-line.js';

export interface ProgressCounts {
  events: number;
  pages?: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  /** Erases the line; later updates are ignored. */
  done(): void;
}

export interface ProgressOptions {
  /**
   * Whether the records go to stdout (default true). `logs --output FILE` passes false: then
   * progress shows even when stdout is a terminal.
   */
  recordsOnStdout?: boolean;
}

const REDRAW_INTERVAL_MS = 100;
const ERASE_LINE = '\r\u001b[2K';
const numbers = new Intl.NumberFormat('en-US');
const silent: Progress = { update() {}, done() {} };
const counted = (n: number, noun: string): string => `${numbers.format(n)} ${noun}${n === 1 ? '' : 's'}`;

/**
 * Cuts the line to the terminal, leaving the last column free so it never wraps. The line
 * is our own text (a label, counts, '·'), one cell a character, so it needs no width tables
 * (width.ts loads them, and only the table view needs them).
 */
function fit(line: string, columns: number | undefined): string {
  if (!columns || line.length <= columns - 1) return line;
  return columns > 2 ? `${line.slice(0, columns - 2)}…` : '';
}

export function createProgress(ctx: Context, label: string, options: ProgressOptions = {}): Progress {
  const stderr = ctx.stderr;
  const recordsOnTerminal = (options.recordsOnStdout ?? true) && ctx.stdout.isTTY === true;
  if (stderr.isTTY !== true || ctx.globals.quiet || recordsOnTerminal) return silent;

  const startedAt = ctx.clock.now();
  let counts: ProgressCounts = { events: 0 };
  let text = '';
  let drawnAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;

  const compose = (): string => {
    const parts = [counted(counts.events, 'event')];
    if (counts.pages !== undefined) parts.push(counted(counts.pages, 'page'));
    const seconds = (ctx.clock.now() - startedAt) / 1000;
    // A rate over less than a second is noise.
    if (seconds >= 1) parts.push(`${numbers.format(Math.round(counts.events / seconds))}/s`);
    const line = `${label}: ${parts.join(' · ')}`;
    return fit(line, stderr.columns);
  };
  const line: StatusLine = {
    clear: () => {
      if (text) stderr.write(ERASE_LINE);
    },
    redraw: () => {
      if (text) stderr.write(text);
    },
  };
  const draw = (): void => {
    timer = undefined;
    if (finished) return;
    text = compose();
    drawnAt = ctx.clock.now();
    stderr.write(ERASE_LINE + text);
    showStatusLine(stderr, line);
  };

  return {
    update(next) {
      if (finished) return;
      counts = { ...next };
      const wait = drawnAt + REDRAW_INTERVAL_MS - ctx.clock.now();
      if (wait <= 0) draw();
      // Throttled: the last counts still get drawn, a moment later.
      else timer ??= setTimeout(draw, wait).unref();
    },
    done() {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      line.clear();
      text = '';
      hideStatusLine(stderr, line);
    },
  };
}
