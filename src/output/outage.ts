/**
 * How an outage reaches a person: told, not shouted.
 *
 * - On a terminal (stderr is a TTY, not --quiet): one status line that is redrawn in place
 *   (`event stream down since 10:37:04 (HTTP 502), next try in 8 s, polling the log`), stepping
 *   aside for every other stderr line and, when records go to the same terminal, for every
 *   record written (src/output/status-line.ts); erased when the outage is over.
 * - In a pipe or a log file: a line only when something changes: down, polling began, still
 *   down after 1, 5, 15, 30 and 60 minutes and then every hour, and back. Never one a retry.
 * - Either way an outage ends in one line: `back after 86 s, 12 events recovered`.
 *
 * The next-try delays shown are the ones the caller's reconnect scheduler waits (passed in to
 * `retrying`), not recomputed here. Time and timers come from outside, so this is tested on a
 * fake clock (test/output/outage.test.ts).
 */
import type { Clock, Context, OutStream } from '../context.js';
import { redactor } from '../core/redact.js';
import type { Reporter } from './reporter.js';
import { sanitizeForTerminal } from './sanitize.js';
import { hideStatusLine, showStatusLine, type StatusLine } from './status-line.js';

export interface OutageWords {
  /** `event stream down`: what is said when the outage begins. */
  down: string;
  /** `event stream still down`. */
  stillDown: string;
  /** `back`: it ends in `back after 86 s…`. */
  back: string;
  /** `down`: the closing line's time stamps say `(down 10:37:04 to 10:38:30)`. */
  span: string;
}

export const STREAM_OUTAGE: OutageWords = {
  down: 'event stream down',
  stillDown: 'event stream still down',
  back: 'back',
  span: 'down',
};
export const KITSU_NOT_UP: OutageWords = {
  down: 'Kitsu not up',
  stillDown: 'Kitsu still not up',
  back: 'Kitsu up',
  span: 'waited',
};

export interface OutageTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface OutageOptions {
  words: OutageWords;
  reporter: Reporter;
  stderr: OutStream;
  /** Where records go: when it is a terminal too, the status line steps aside for them. */
  stdout?: OutStream;
  clock: Clock;
  /** Default: the real ones (the redraw timer is unref'd: it never keeps the process alive). */
  timers?: OutageTimers;
  /** Local `HH:MM:SS` of a moment; default the runtime's local zone. */
  clockTime?: (ms: number) => string;
}

/** Minutes after its start at which a pipe hears again that an outage goes on; then hourly. */
export const STILL_DOWN_MINUTES: readonly number[] = [1, 5, 15, 30, 60];

/** How often the status line's countdown is redrawn. */
const TICK_MS = 1_000;
const ERASE_LINE = '\r\u001b[2K';

interface Outage {
  sinceMs: number;
  reason: string;
  /** When the scheduler tries next; null while a try runs or before the first is planned. */
  nextTryAtMs: number | null;
  polling: boolean;
  /** Up again since then, and reading what was missed. */
  upAtMs: number | null;
  /** The pipe was told it began. */
  told: boolean;
  /** The next entry of STILL_DOWN_MINUTES (or hour past the last) to tell the pipe at. */
  stillDownIndex: number;
}

export class OutageReport {
  private outage: Outage | null = null;
  private text = '';
  private tick: unknown = null;
  private readonly timers: OutageTimers;
  private readonly clockTime: (ms: number) => string;
  private readonly line: StatusLine = {
    clear: () => {
      if (this.text) this.options.stderr.write(ERASE_LINE);
    },
    redraw: () => {
      if (this.text) this.options.stderr.write(this.text);
    },
  };

  constructor(private readonly options: OutageOptions) {
    this.timers = options.timers ?? {
      setInterval: (callback, ms) => setInterval(callback, ms).unref(),
      clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
    };
    this.clockTime = options.clockTime ?? ((ms) => new Date(ms).toTimeString().slice(0, 8));
  }

  /** Whether a status line is drawn rather than lines written. */
  get interactive(): boolean {
    return this.options.reporter.interactive;
  }

  /** An outage is going on (or its recovery is). */
  get active(): boolean {
    return this.outage !== null;
  }

  /** Up again, and the outage not yet accounted for. */
  get recovering(): boolean {
    return this.outage?.upAtMs != null;
  }

  /** Down since `sinceMs` (the last moment it was known alive), for `reason`. */
  down(sinceMs: number, reason: string): void {
    if (this.outage === null) this.outage = this.fresh(sinceMs, reason);
    // Dropped again while reading what the last drop missed: one outage, from its first start.
    this.outage.upAtMs = null;
    this.outage.reason = reason;
    this.outage.nextTryAtMs = null;
    this.draw();
  }

  /** A try failed (or the connection dropped) and the scheduler waits `delayMs` before the next. */
  retrying(delayMs: number, reason: string): void {
    const now = this.options.clock.now();
    if (this.outage === null) this.outage = this.fresh(now, reason);
    const outage = this.outage;
    outage.upAtMs = null;
    outage.reason = reason;
    outage.nextTryAtMs = now + delayMs;
    if (!this.interactive) {
      if (!outage.told) {
        outage.told = true;
        this.say(
          `${this.options.words.down} since ${this.clockTime(outage.sinceMs)} (${reason}); next try in ${seconds(delayMs)}`,
        );
      } else {
        this.stillDownIfDue(`next try in ${seconds(delayMs)}`);
      }
    }
    this.draw();
  }

  /** The log is polled every `everyMs` while it is down. */
  polling(everyMs: number): void {
    const outage = this.outage ?? (this.outage = this.fresh(this.options.clock.now(), 'unreachable'));
    if (outage.polling) return;
    outage.polling = true;
    if (!this.interactive) {
      outage.told = true;
      this.say(
        `${this.options.words.stillDown} (since ${this.clockTime(outage.sinceMs)}; ${outage.reason}); polling the log every ${seconds(everyMs)} until it is back`,
      );
    }
    this.draw();
  }

  /** Up again; `over` is to follow once what was missed is read (or at once when it cannot be). */
  up(): void {
    if (this.outage === null) return;
    this.outage.upAtMs = this.options.clock.now();
    this.outage.polling = false;
    this.outage.nextTryAtMs = null;
    this.draw();
  }

  /**
   * The outage is over and accounted for: `recovered` events came back from the log, or a
   * few words say why none could (`--no-backfill`). Says the one closing line.
   */
  over(recovered: number | string | null): void {
    const outage = this.outage;
    if (outage === null) return;
    const upAtMs = outage.upAtMs ?? this.options.clock.now();
    this.outage = null;
    this.erase();
    const { back, span } = this.options.words;
    let line = `${back} after ${duration(upAtMs - outage.sinceMs)}`;
    if (typeof recovered === 'number') line += `, ${recovered} event${recovered === 1 ? '' : 's'} recovered`;
    // Time-stamped like the line that said it went down, for a log file read later.
    const times = `${span} ${this.clockTime(outage.sinceMs)} to ${this.clockTime(upAtMs)}`;
    line += typeof recovered === 'string' && recovered ? ` (${times}; ${recovered})` : ` (${times})`;
    this.say(line);
  }

  /** The run ends: the status line goes, whatever state it was in. */
  close(): void {
    this.outage = null;
    this.erase();
  }

  private fresh(sinceMs: number, reason: string): Outage {
    return { sinceMs, reason, nextTryAtMs: null, polling: false, upAtMs: null, told: false, stillDownIndex: 0 };
  }

  /** In a pipe: says that it is still down, when the next step of the schedule has come. */
  private stillDownIfDue(next: string): void {
    const outage = this.outage!;
    const downMs = this.options.clock.now() - outage.sinceMs;
    const dueMin = stillDownMinute(outage.stillDownIndex);
    if (downMs < dueMin * 60_000) return;
    // A long pause (a suspended laptop) may pass several steps at once: one line for them all.
    while (downMs >= stillDownMinute(outage.stillDownIndex) * 60_000) outage.stillDownIndex += 1;
    const polling = outage.polling ? ', polling the log' : '';
    this.say(
      `${this.options.words.stillDown} after ${duration(downMs)} (since ${this.clockTime(outage.sinceMs)}; ${outage.reason}); ${next}${polling}`,
    );
  }

  private say(line: string): void {
    this.options.reporter.info(line);
  }

  // ---- the status line on a terminal ---------------------------------------------------

  private compose(): string {
    const outage = this.outage!;
    const now = this.options.clock.now();
    let text: string;
    if (outage.upAtMs !== null) {
      text = `${this.options.words.back} after ${duration(outage.upAtMs - outage.sinceMs)}, reading the log for what was missed`;
    } else {
      const parts = [`${this.options.words.down} since ${this.clockTime(outage.sinceMs)} (${outage.reason})`];
      if (outage.nextTryAtMs === null) parts.push('trying now');
      else {
        const left = outage.nextTryAtMs - now;
        parts.push(left > 0 ? `next try in ${Math.ceil(left / 1000)} s` : 'trying now');
      }
      if (outage.polling) parts.push('polling the log');
      text = parts.join(', ');
    }
    // The reason may quote the server: inert text only, as the reporter makes every line.
    return fit(redactor.redact(sanitizeForTerminal(text)), this.options.stderr.columns);
  }

  private draw(): void {
    if (!this.interactive || this.outage === null) return;
    const text = this.compose();
    if (text !== this.text) {
      this.options.stderr.write(ERASE_LINE + text);
      this.text = text;
    }
    showStatusLine(this.options.stderr, this.line);
    const { stdout } = this.options;
    if (stdout && stdout !== this.options.stderr && stdout.isTTY === true) showStatusLine(stdout, this.line);
    this.tick ??= this.timers.setInterval(() => this.draw(), TICK_MS);
  }

  private erase(): void {
    if (this.tick !== null) this.timers.clearInterval(this.tick);
    this.tick = null;
    this.line.clear();
    this.text = '';
    hideStatusLine(this.options.stderr, this.line);
    if (this.options.stdout) hideStatusLine(this.options.stdout, this.line);
  }
}

function stillDownMinute(index: number): number {
  const last = STILL_DOWN_MINUTES[STILL_DOWN_MINUTES.length - 1]!;
  return index < STILL_DOWN_MINUTES.length
    ? STILL_DOWN_MINUTES[index]!
    : last * (index - STILL_DOWN_MINUTES.length + 2);
}

/** A delay as the scheduler waits it: `0.4 s`, `8.1 s`, `5 s`, `30 s`. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  if (s >= 10 || Number.isInteger(s)) return `${Math.round(s)} s`;
  return `${s.toFixed(1)} s`;
}

/** How long an outage lasted: `86 s`, `14 min`, `3 h 5 min`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Cuts the line to the terminal, leaving the last column free so that it never wraps. */
function fit(line: string, columns: number | undefined): string {
  if (!columns || line.length <= columns - 1) return line;
  return columns > 2 ? `${line.slice(0, columns - 2)}…` : '';
}

/** The outage report of a command: on its stderr, stepping aside for records on its stdout. */
export function outageReportFor(
  ctx: Pick<Context, 'stderr' | 'stdout' | 'clock'>,
  reporter: Reporter,
  words: OutageWords,
): OutageReport {
  return new OutageReport({ words, reporter, stderr: ctx.stderr, stdout: ctx.stdout, clock: ctx.clock });
}
