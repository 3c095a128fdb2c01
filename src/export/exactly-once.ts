/**
 * `logs --checkpoint FILE [--output FILE]`: appends every row that is new since the last
 * run, then records where it stopped, so that a run from cron every minute, killed with
 * SIGKILL at any instant, still leaves every row in the output exactly once, in order, with
 * no partial line.
 *
 * The order of things, each step safe to be killed after:
 * 1. take the checkpoint's lock (overlapping cron runs: the later one waits a few seconds,
 *    then leaves the export to the running one; see src/store/lock.ts);
 * 2. read the checkpoint (refusing one of another host, profile, account, filter or file);
 * 3. cut the output back to the length the checkpoint committed (what a killed run
 *    appended after its last commit goes), or, on a first run, commit its current length
 *    before appending anything;
 * 4. read from a little before the checkpoint's position, skipping ids it already holds
 *    (see src/core/checkpoint.ts for why), and append whole windows of rows. A position
 *    ahead of the server's clock (edited by hand, or the server's clock set back) is said on
 *    stderr and moved back to that clock, the rows already in the output skipped by id;
 * 5. every so often and at the end: flush the output to disk, then replace the checkpoint
 *    atomically with the new length, position and recent ids. The position is never past
 *    what the server has shown (see LogWindowBatch.readThrough): not a future --until.
 * Without --output, rows go to stdout and the checkpoint advances once, after stdout took
 * them all: a killed run is repeated, never skipped.
 */
import { resolve } from 'node:path';
import {
  advance,
  OVERLAP_SECONDS,
  newCheckpoint,
  RecentIds,
  resumeSecond,
  mismatch,
  type CheckpointIdentity,
} from '../core/checkpoint.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { LogRow, LogWindowBatch } from '../kitsu/log-pager.js';
import { secondOf } from '../core/seconds.js';
import type { Reporter } from '../output/reporter.js';
import type { RecordWriter } from '../output/types.js';
import { looksLikeCsvHeader } from '../output/formats.js';
import { formatNdjson } from '../output/writer.js';
import {
  committedIdsSince,
  ndjsonRowOf,
  onFile,
  OutputFile,
  readCheckpointFile,
  removeLeftTemporaries,
  writeCheckpointFile,
} from './files.js';
import { lockCheckpoint } from '../store/lock.js';
import { sameFile } from './same-file.js';

/** Commit at least this often (a long first export killed midway keeps most of its work). */
const COMMIT_EVERY_MS = 2_000;
const COMMIT_EVERY_ROWS = 20_000;

export interface ExportRequest<R extends LogRow> {
  checkpointPath: string;
  /** Null: to stdout through `writer`. */
  outputPath: string | null;
  identity: Omit<CheckpointIdentity, 'output'>;
  /** The first run's start (--since), in seconds. */
  since: number | null;
  /** --until, in seconds. */
  until: number | undefined;
  /** Whether --since was given (it only matters on a first run). */
  sinceGiven: boolean;
  read(from: number | undefined, to: number | undefined): AsyncIterable<LogWindowBatch<R>>;
  /** The server's clock now, in whole seconds; null when its answers carry no Date. */
  serverSecond(): Promise<number | null>;
  /** Where records go without --output. */
  writer?: RecordWriter<R>;
  /** How rows are written to the output file; NDJSON when absent. */
  fileFormat?: ExportFileFormat<R>;
  reporter: Reporter;
  onRows?: (added: number) => void;
}

/** The text of the output file: its rows, and the header that starts it (CSV). */
export interface ExportFileFormat<R> {
  /** The line a file starts with (CRLF included), written to an empty file; none for NDJSON. */
  header?: string;
  /** One row's line(s). */
  rows(rows: readonly R[]): string;
  /**
   * Why a file whose first line is `firstLine` cannot take these rows (another CSV's
   * header, NDJSON); null when it can.
   */
  refuses?(firstLine: string): string | null;
  /**
   * The id and second of one line of the file; null when it is not one of its rows. Absent
   * when the lines cannot say (CSV without a header, or without the id or created_at column).
   */
  rowOf?(line: string): { id: string; second: number } | null;
}

/** NDJSON: one record a line, exactly as the log has it. */
export const NDJSON_FILE: ExportFileFormat<unknown> = {
  rows: (rows) => rows.map((row) => formatNdjson(row)).join(''),
  // A file may start with lines of its own, but not with a CSV header: that file is CSV.
  refuses: (firstLine) =>
    looksLikeCsvHeader(firstLine) ? 'it holds CSV (its first line is a header); this run writes NDJSON' : null,
  rowOf: ndjsonRowOf,
};

export interface ExportSummary {
  /** Rows this run exported. */
  added: number;
  /** Set when another run was exporting with this checkpoint, so this one did nothing. */
  skippedFor?: { pid: number; startedAt: string };
}

export async function runCheckpointedExport<R extends LogRow>(
  ctx: Context,
  request: ExportRequest<R>,
): Promise<ExportSummary> {
  const checkpointPath = resolve(request.checkpointPath);
  const outputPath = request.outputPath === null ? null : resolve(request.outputPath);
  const identity: CheckpointIdentity = { ...request.identity, output: outputPath };
  const { reporter } = request;
  const format = request.fileFormat ?? (NDJSON_FILE as ExportFileFormat<R>);

  if (outputPath !== null && (await onFile('--output', outputPath, () => sameFile(checkpointPath, outputPath)))) {
    throw new UsageError(
      `--checkpoint ${request.checkpointPath} and --output ${request.outputPath} are the same file: the checkpoint would replace the events`,
      'give the checkpoint a file of its own, such as state.json beside the output',
    );
  }
  const atCheckpoint = <T>(work: () => Promise<T>) => onFile('--checkpoint', checkpointPath, work);
  const atOutput = <T>(work: () => Promise<T>) => onFile('--output', outputPath!, work);
  const taken = await atCheckpoint(() =>
    lockCheckpoint(checkpointPath, { now: () => ctx.clock.now(), signal: ctx.signal, warn: (m) => reporter.warn(m) }),
  );
  if ('busy' in taken) return { added: 0, skippedFor: taken.busy };
  const { lock } = taken;
  let output: OutputFile | null = null;
  try {
    await atCheckpoint(() => removeLeftTemporaries(checkpointPath));
    let state = await atCheckpoint(() => readCheckpointFile(checkpointPath));
    if (state) {
      const why = mismatch(state, identity);
      if (why) {
        throw new UsageError(
          `the checkpoint ${checkpointPath} belongs to another export: ${why}`,
          'use another checkpoint file for this one, or run with the options that made it',
        );
      }
      if (request.sinceGiven) reporter.info('resuming from the checkpoint: --since applies to its first run only');
    }

    if (outputPath !== null) {
      output = await atOutput(() => OutputFile.open(outputPath, state ? state.committedBytes : null));
      const firstLine = output.length > 0 ? await atOutput(() => output!.firstLine()) : null;
      const refused = firstLine === null ? null : (format.refuses?.(firstLine) ?? null);
      if (refused !== null) throw new UsageError(`--output ${request.outputPath}: ${refused}`, ANOTHER_FILE);
      if (output.repair.removedBytes > 0) {
        reporter.info(
          `removed ${output.repair.removedBytes} bytes that an interrupted run left uncommitted at the end of ${outputPath}`,
        );
      }
      if (output.repair.shorterThanCommitted) {
        reporter.warn(
          `${outputPath} is shorter than the checkpoint recorded (rotated or truncated?); appending to it as it is now`,
        );
      }
    }
    // A file that is empty (new, or emptied by a rotation) starts with the header.
    if (output && output.length === 0 && format.header) await atOutput(() => output!.append(format.header!));
    if (!state) {
      state = newCheckpoint(identity, request.since, output?.length ?? 0, ctx.clock.now());
      // Commit the starting length before appending anything, so that a first run killed
      // midway is cut back like any other.
      if (output) await atCheckpoint(() => writeCheckpointFile(checkpointPath, state!));
    } else if (output && output.length !== state.committedBytes) {
      state = { ...state, committedBytes: output.length };
    }

    const recent = new RecentIds(state.recent);
    if (state.position !== null) {
      const server = await request.serverSecond();
      if (server !== null && state.position > server) {
        // Trusting it would skip every row the server writes until its clock gets there.
        const from = Math.max(state.start ?? -Infinity, server - OVERLAP_SECONDS);
        reporter.warn(
          `the checkpoint's position ${isoSecond(state.position)} is ahead of the server's clock (${isoSecond(server)}): ` +
            `it was edited, or the server's clock was set back; reading again from ${isoSecond(from)}` +
            (!output
              ? ', so events printed since then may be printed again'
              : format.rowOf
                ? `, skipping the events already in ${outputPath}`
                : `, so events already in ${outputPath} may be appended again (its columns hold no id and created_at to skip them by)`),
        );
        const rowOf = format.rowOf;
        if (output && rowOf) {
          for (const { id, second } of await atOutput(() =>
            committedIdsSince(outputPath!, output!.length, from, rowOf),
          ))
            recent.add(id, second);
        }
        state = { ...state, position: server };
      }
    }
    let readThrough: number | null = null;
    let added = 0;
    let uncommitted = 0;
    let committedAt = ctx.clock.now();
    const commit = async (): Promise<void> => {
      if (readThrough === null) return;
      if (output) await atOutput(() => output!.sync());
      state = advance(state!, {
        position: readThrough,
        recent,
        committedBytes: output?.length ?? 0,
        added: uncommitted,
        nowMs: ctx.clock.now(),
      });
      await atCheckpoint(() => writeCheckpointFile(checkpointPath, state!));
      uncommitted = 0;
      committedAt = ctx.clock.now();
    };

    const from = resumeSecond(state) ?? undefined;
    try {
      for await (const batch of request.read(from, request.until)) {
        const fresh = batch.rows.filter((row) => !recent.has(row.id!));
        if (output) {
          await atOutput(() => output!.append(format.rows(fresh)));
        } else {
          await writeAll(request.writer!, fresh);
        }
        // Only once they are written: a commit after a failed append must not count them.
        for (const row of fresh) recent.add(row.id!, secondOf(row));
        added += fresh.length;
        uncommitted += fresh.length;
        readThrough = batch.readThrough;
        recent.prune(readThrough);
        request.onRows?.(added);
        if (output && (uncommitted >= COMMIT_EVERY_ROWS || ctx.clock.now() - committedAt >= COMMIT_EVERY_MS)) {
          await commit();
        }
      }
    } catch (error) {
      // Ctrl-C or a failure between windows: what was appended so far is whole windows, so
      // keep it. (Without --output nothing is committed: stdout may not have taken it all.)
      if (output) {
        try {
          await commit();
          if (ctx.signal.aborted) {
            const what = `${added} new ${request.identity.log === 'logins' ? 'login' : 'event'}${added === 1 ? '' : 's'}`;
            reporter.info(
              `interrupted: the ${what} appended to ${outputPath} are committed; the next run goes on from there`,
            );
          }
        } catch {
          // The original failure is the one to report; the next run repairs from the last commit.
        }
      }
      throw error;
    }
    if (!output) await request.writer!.end();
    await commit();
    return { added };
  } finally {
    await output?.close();
    await lock.release();
  }
}

const ANOTHER_FILE = 'write to another file, or give the same --format and --fields as the runs that wrote it';

const isoSecond = (second: number): string => new Date(second * 1000).toISOString().replace('.000Z', 'Z');

/** Records all at hand in one write where the writer can, else one by one. */
export async function writeAll<R>(writer: RecordWriter<R>, records: readonly R[]): Promise<void> {
  if (writer.writeMany) await writer.writeMany(records);
  else for (const record of records) await writer.write(record);
}
