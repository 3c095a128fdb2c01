/**
 * Everything a person should know goes to stderr through here, never to stdout: status,
 * warnings, progress and --verbose request logs. Every line passes the redactor first.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Context, OutStream } from '../context.js';
import { shouldColor } from './color.js';
import { redactor } from '../core/redact.js';
import { sanitizeForTerminal } from './sanitize.js';
import { aroundStatusLine } from './status-line.js';

/**
 * Messages often quote the server (an error text, a name): each line is sanitised before
 * our own colours are added, so only those colours reach the terminal.
 */
function clean(message: string): string {
  return message.split('\n').map(sanitizeForTerminal).join('\n');
}

export interface ReporterOptions {
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

export class Reporter {
  readonly paint: ChalkInstance;
  private readonly warnedOnce = new Set<string>();

  constructor(
    private readonly stderr: OutStream,
    readonly options: ReporterOptions,
  ) {
    this.paint = new Chalk({ level: options.color ? 1 : 0 });
  }

  /** Normal information ("connected to …"). Silenced by --quiet. */
  info(message: string): void {
    if (!this.options.quiet) this.write(clean(message));
  }

  /**
   * The summary after Ctrl-C. A terminal has just echoed `^C` with no line end, so on a
   * terminal the summary starts a line of its own. Silenced by --quiet.
   */
  afterInterrupt(message: string): void {
    if (this.options.quiet) return;
    if (this.stderr.isTTY === true) this.stderr.write('\n');
    this.write(clean(message));
  }

  /** Something the user should act on or know even with --quiet. */
  warn(message: string): void {
    this.write(`${this.paint.yellow('warning:')} ${clean(message)}`);
  }

  /** Like warn, but said once per process for a given key. */
  warnOnce(key: string, message: string): void {
    if (this.warnedOnce.has(key)) return;
    this.warnedOnce.add(key);
    this.warn(message);
  }

  /** Requests, reconnect details: only with --verbose. */
  verbose(message: string): void {
    if (this.options.verbose) this.write(this.paint.dim(clean(message)));
  }

  /** True when stderr is a terminal that progress lines may redraw. */
  get interactive(): boolean {
    return this.stderr.isTTY === true && !this.options.quiet;
  }

  private write(message: string): void {
    aroundStatusLine(this.stderr, () => this.stderr.write(`${redactor.redact(message)}\n`));
  }
}

/** The reporter for a command, from its global options and the state of stderr. */
export function reporterFor(ctx: Context): Reporter {
  return new Reporter(ctx.stderr, {
    quiet: ctx.globals.quiet,
    verbose: ctx.globals.verbose,
    color: shouldColor(ctx.globals.color, ctx.stderr, ctx.env),
  });
}
