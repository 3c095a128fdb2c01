/**
 * Reading one of the two logs into its destination: oldest first by windows (every event in
 * range), newest first (--limit, --reverse), or the exactly-once export of --checkpoint; with
 * the progress line on a terminal, and the --follow continuation after the history.
 */
import type { Context, OutStream } from '../context.js';
import { newestFirst } from '../core/newest-first.js';
import { toSecond } from '../core/seconds.js';
import { runCheckpointedExport, writeAll, type ExportFileFormat } from '../export/exactly-once.js';
import { serverSecond, type LogRow, type LogWindowBatch, type ReadOptions } from '../kitsu/log-pager.js';
import type { Session } from '../kitsu/types.js';
import { createProgress } from '../output/progress.js';
import type { Reporter } from '../output/reporter.js';
import type { RecordWriter } from '../output/types.js';
import { InterruptedError } from '../errors.js';
import { summaryLine } from '../output/run-summary.js';
import { noMatchLine } from '../core/pattern-hints.js';
import { localTimeText } from '../output/time-text.js';
import { destinationFor } from './destination.js';
import type { FollowCounts } from './follow-on.js';
import type { LogsPlan } from './plan.js';

/** One of the two logs, as reading needs it. */
export interface LogSource<R extends LogRow> {
  log: 'events' | 'logins';
  /** "event log" or "login log". */
  label: string;
  /** The filters, canonical, for the checkpoint. */
  description: string;
  since?: Date;
  until?: Date;
  windows(from: number | undefined, to: number | undefined, options: ReadOptions): AsyncIterable<LogWindowBatch<R>>;
  newestFirst(options: ReadOptions): AsyncIterable<R>;
  writer(stream: OutStream | undefined): RecordWriter<R>;
  /** The text of the --checkpoint --output file when it is not NDJSON (--format csv, --fields). */
  exportFormat?(): ExportFileFormat<R> | undefined;
}

/** What --follow adds to the history: noting each printed record, then going on live. */
export interface Continuation<R> {
  printed(record: R): void;
  /** Live events until --until or Ctrl-C; returns what the live part did. */
  then(print: (record: R) => Promise<void>): Promise<FollowCounts>;
}

export async function readLog<R extends LogRow>(
  ctx: Context,
  session: Session,
  plan: LogsPlan,
  source: LogSource<R>,
  reporter: Reporter,
  continuation?: Continuation<R>,
): Promise<void> {
  // A summary prints nothing until the end: the progress line is all a person sees meanwhile.
  const progress = createProgress(ctx, `reading the ${source.label}`, {
    recordsOnStdout: plan.output === undefined && !plan.summary,
  });
  let pages = 0;
  let events = 0;
  const readOptions: ReadOptions = {
    signal: ctx.signal,
    onPage: () => progress.update({ events, pages: (pages += 1) }),
    onWarning: (message) => reporter.warn(message),
  };
  try {
    if (plan.checkpoint !== undefined) {
      const summary = await runCheckpointedExport<R>(ctx, {
        checkpointPath: plan.checkpoint,
        outputPath: plan.output ?? null,
        identity: {
          host: session.apiUrl,
          profile: session.profileName,
          userId: session.user?.id ?? null,
          log: source.log,
          query: source.description,
        },
        since: toSecond(source.since) ?? null,
        until: toSecond(source.until),
        sinceGiven: plan.since !== undefined,
        read: (from, to) => source.windows(from, to, readOptions),
        serverSecond: () => serverSecond(session.http, ctx.signal),
        writer: plan.output === undefined ? source.writer(undefined) : undefined,
        fileFormat: plan.output === undefined ? undefined : source.exportFormat?.(),
        reporter,
        onRows: (n) => progress.update({ events: (events = n), pages }),
      });
      progress.done();
      if (summary.skippedFor) {
        const { pid, startedAt } = summary.skippedFor;
        reporter.info(
          `another kitsu-tail run (pid ${pid}, started ${startedAt}) is exporting with this checkpoint; this run skipped, and that one carries on`,
        );
        return;
      }
      const what = `${summary.added} new ${source.log === 'logins' ? 'login' : 'event'}${summary.added === 1 ? '' : 's'}`;
      reporter.info(
        `${plan.output === undefined ? `printed ${what}` : `appended ${what} to ${plan.output}`}; checkpoint saved`,
      );
      return;
    }

    const destination = await destinationFor(plan.output);
    let writer: RecordWriter<R>;
    try {
      // Refuses a file it cannot continue (another CSV header): the file is closed, untouched.
      writer = source.writer(destination.stream);
    } catch (error) {
      await destination.close();
      throw error;
    }
    // Records written, history and live: what the summary at the end says.
    let written = 0;
    let live: FollowCounts | undefined;
    const print = async (record: R): Promise<void> => {
      await writer.write(record);
      written += 1;
      continuation?.printed(record);
      progress.update({ events: (events += 1), pages });
    };
    const summary = () =>
      summaryLine({
        events: written,
        ...(continuation ? { live: live ?? { reconnects: 0, backfilled: 0 } } : {}),
        ...(plan.output !== undefined ? { output: plan.output } : {}),
      });
    try {
      if (plan.limit === null && !plan.reverse) {
        for await (const batch of source.windows(toSecond(source.since), toSecond(source.until), readOptions)) {
          await writeAll(writer, batch.rows);
          written += batch.rows.length;
          for (const record of batch.rows) continuation?.printed(record);
          progress.update({ events: (events += batch.rows.length), pages });
        }
      } else {
        const wanted = plan.limit ?? undefined;
        const newest = await newestFirst(
          source.newestFirst({ ...readOptions, ...(wanted ? { wanted } : {}) }),
          plan.limit,
          plan.reverse,
          print,
        );
        for (const record of newest) await print(record);
      }
      progress.done();
      // Live records go through `print` too, so `written` counts them.
      if (continuation) live = await continuation.then(print);
      // Ctrl-C while following ends the run as listen's does: no closing of the output.
      if (!ctx.signal.aborted) await writer.end();
    } catch (error) {
      // Ctrl-C: how far the run got, on a line of its own after the ^C (as listen does). A
      // closed stdout (`| head`) ends quietly.
      if (ctx.signal.aborted && ctx.signal.reason instanceof InterruptedError) {
        progress.done();
        reporter.afterInterrupt(`stopped: ${summary()}`);
      }
      throw error;
    } finally {
      await destination.close();
    }
    if (ctx.signal.aborted) {
      if (ctx.signal.reason instanceof InterruptedError) reporter.afterInterrupt(`stopped: ${summary()}`);
      throw ctx.signal.reason;
    }
    // A file shows nothing on the terminal: say what went into it, as the checkpoint mode does.
    if (plan.output !== undefined) reporter.info(summary());
    else if (continuation) reporter.verbose(summary());
    // An empty screen says nothing: say that nothing matched, and what (not in a pipe, where
    // empty output is the answer a script expects).
    if (written === 0 && plan.output === undefined && !plan.summary && ctx.stdout.isTTY === true) {
      reporter.info(
        noMatchLine({
          filter: plan.filter,
          what: source.log,
          range: rangeText(plan.since, plan.until, ctx.clock.now(), source.label),
          filtered: isFiltered(plan),
        }),
      );
    }
  } finally {
    progress.done();
  }
}

/** `since 09:00`, `between 09:00 and 10:00`, `until 10:00`, or `in the event log`: in local time. */
export function rangeText(since: Date | undefined, until: Date | undefined, nowMs: number, label: string): string {
  const at = (d: Date) => localTimeText(d.getTime(), nowMs);
  if (since && until) return `between ${at(since)} and ${at(until)}`;
  if (since) return `since ${at(since)}`;
  if (until) return `until ${at(until)}`;
  return `in the ${label}`;
}

/** Whether flags other than the patterns narrowed what was read. */
function isFiltered(plan: LogsPlan): boolean {
  return (
    plan.onlyFiles ||
    plan.projects.length > 0 ||
    plan.people.by.length > 0 ||
    plan.people.about.length > 0 ||
    plan.search !== undefined
  );
}
