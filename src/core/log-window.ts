/**
 * Plans how to read the event log oldest first when the server only pages newest first.
 *
 * The log is walked forward in windows of whole seconds `[start, end)`. Each window is read
 * newest first and handed on reversed, so memory holds one window at a time. Windows are
 * sized from the density of the one before: about `targetRows` rows each. A window that
 * turns out to hold more than the reader's budget is abandoned and planned again narrower,
 * from what its newest rows showed about the density. A window of one second is never
 * split: the reader must take such a second whole, however many rows it holds.
 *
 * Times here are whole seconds since the epoch (the server's resolution).
 */

export interface LogWindow {
  /** Inclusive, in seconds. */
  start: number;
  /** Exclusive, in seconds. */
  end: number;
}

export interface WindowPlanOptions {
  /** Rows a window should hold. */
  targetRows: number;
  /** A window may grow at most this many times wider than the one before. */
  maxGrowth: number;
  /** Width of the first window; default: the whole range. */
  initialWidth?: number;
}

/**
 * Rows a second, as a window's rows show it: over the seconds from its oldest row to its
 * end when they are enough to say, else over the whole window.
 */
function density(window: LogWindow, rows: number, oldestSecond: number | null, options: WindowPlanOptions): number {
  const width = window.end - window.start;
  const span = oldestSecond !== null && rows >= options.targetRows / 4 ? window.end - oldestSecond : width;
  return rows / Math.max(1, span);
}

/**
 * The width for the next window after `window` held `rows` rows, the oldest of them in
 * second `oldestSecond` (null when it held none).
 */
export function nextWidth(
  window: LogWindow,
  rows: number,
  oldestSecond: number | null,
  options: WindowPlanOptions,
): number {
  const width = window.end - window.start;
  const grown = width * options.maxGrowth;
  if (rows <= 0) return grown;
  const perSecond = density(window, rows, oldestSecond, options);
  return Math.max(1, Math.min(grown, Math.floor(options.targetRows / perSecond)));
}

/**
 * The width for a window of the density that an overflowing window's newest `rowsSeen`
 * rows showed: they reached back to second `oldestSecondSeen`.
 */
export function widthAtDensity(
  window: LogWindow,
  rowsSeen: number,
  oldestSecondSeen: number,
  options: WindowPlanOptions,
): number {
  const span = Math.max(1, window.end - oldestSecondSeen);
  return Math.max(1, Math.floor((span * options.targetRows) / Math.max(1, rowsSeen)));
}

/** Walks `[start, end)` window by window. The reader reports how each window went. */
export class WindowPlanner {
  private cursor: number;
  private width: number;
  /**
   * Where an overflowing window showed dense rows begin, and the width that suits them.
   * Windows before it may grow fast over empty stretches but never run far into it.
   */
  private dense: { at: number; width: number } | null = null;
  /**
   * The end of the last window that overflowed: more than a window's worth lies before it.
   * Windows growing over an empty stretch go at most half way there, so the start of the
   * rows is found by halving rather than by overshooting again and again.
   */
  private crowdedBefore: number | null = null;

  constructor(
    start: number,
    private readonly end: number,
    private readonly options: WindowPlanOptions,
  ) {
    if (!Number.isInteger(start) || !Number.isInteger(end)) throw new RangeError('windows are whole seconds');
    this.cursor = start;
    this.width = Math.max(1, options.initialWidth ?? end - start);
  }

  /** The next window to read, or null when the range is done. */
  next(): LogWindow | null {
    if (this.cursor >= this.end) return null;
    let end = Math.min(this.end, this.cursor + this.width);
    if (this.dense) end = Math.min(end, Math.max(this.cursor + 1, this.dense.at + this.dense.width));
    if (this.crowdedBefore !== null) {
      end = Math.min(end, this.cursor + Math.max(1, Math.floor((this.crowdedBefore - this.cursor) / 2)));
    }
    return { start: this.cursor, end };
  }

  /** The window from next() was read whole: `rows` rows, the oldest in `oldestSecond`. */
  completed(window: LogWindow, rows: number, oldestSecond: number | null): void {
    this.cursor = window.end;
    this.width = nextWidth(window, rows, oldestSecond, this.options);
    if (this.dense && this.cursor > this.dense.at) this.dense = null;
    // Rows again: from here the density, not the search, sizes the windows.
    if (rows > 0 || (this.crowdedBefore !== null && this.cursor >= this.crowdedBefore)) this.crowdedBefore = null;
  }

  /**
   * The window from next() held more than the reader could take: its newest `rowsSeen` rows
   * reach back to second `oldestSecondSeen`. The same start is planned again, at most half
   * as wide and as wide as suits that density, and no further into the dense part than
   * suits it either (an empty stretch before it is crossed fast by growing windows).
   */
  overflowed(window: LogWindow, rowsSeen: number, oldestSecondSeen: number): void {
    const width = window.end - window.start;
    if (width <= 1) throw new RangeError('a window of one second cannot be narrowed');
    this.dense = { at: oldestSecondSeen, width: widthAtDensity(window, rowsSeen, oldestSecondSeen, this.options) };
    this.crowdedBefore = window.end;
    this.width = Math.max(1, Math.min(Math.floor(width / 2), this.dense.width));
  }

  /** Where reading has got to: every row before this second has been read. */
  get position(): number {
    return this.cursor;
  }
}
