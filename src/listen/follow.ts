/**
 * The follow engine behind `listen` and `logs --follow`: live events as they happen, and from
 * the log whatever the live stream could not deliver, each event printed once.
 *
 * - The stream is opened first. With `since` (or `printedBefore`) the stored history is read
 *   while live events wait in a buffer; rows that were also received live are printed once
 *   (as the row), and then the buffer is let go: nothing missed or repeated at the seam.
 * - After every reconnect the log is read from shortly before the disconnect, and rows that
 *   were not printed live are printed with source "backfill" (src/core/backfill.ts decides);
 *   a second, quiet read of those seconds, once they are settled, corrects identical events by count.
 * - While the stream cannot be reached at all, the log is polled instead, until it is back.
 */
import { plainDisconnectReason } from '../output/plain-words.js';
import { BackfillLedger, type LiveMark } from '../core/backfill.js';
import { recordFromLive } from '../core/normalize.js';
import type { EventFilter } from '../core/patterns.js';
import { isAboutOneOf } from '../core/person-filter.js';
import type { EventRecord, EventSource } from '../core/record.js';
import { sleep } from '../core/sleep.js';
import type { Context } from '../context.js';
import { PermissionError } from '../errors.js';
import { ONLY_FILES_EVENTS, readLog, type LogQuery } from '../kitsu/event-log.js';
import { runEventStream, type RetryInfo } from '../kitsu/event-stream.js';
import type { Session } from '../kitsu/types.js';
import { reporterFor, type Reporter } from '../output/reporter.js';
import { SerialQueue } from './serial-queue.js';
import { setLongTimeout, type LongTimeout } from './long-timeout.js';

export interface FollowOptions {
  filter: EventFilter;
  projectIds?: string[];
  /**
   * Events whose `data.person_id` is one of these. Live events do not say who acted, so the
   * person an event is about (assignee, the one whose status changed…) is what can be applied
   * alike to live and stored events.
   */
  personIds?: string[];
  onlyFiles?: boolean;
  /** Print the stored history from this second on first (source "log"). */
  since?: Date;
  /**
   * History the caller already printed up to this time, and the log ids it printed in that
   * last second, so the seam neither skips nor repeats.
   */
  printedBefore?: { until: Date; ids: ReadonlySet<string> };
  /** Fetch from the log what was missed during reconnects (and poll while the stream is down). */
  backfill: boolean;
  maxReconnects?: number;
  /** Stop after this many records. */
  count?: number;
  /** Stop after this long without a matching event. */
  idleTimeoutMs?: number;
  /** Stop at this time. */
  until?: Date;
  /** Called for each record, one at a time, in order; the next waits for it. */
  onRecord(record: EventRecord): Promise<void>;
  /**
   * When given, used instead of onRecord with every record waiting at that moment, in order
   * (a burst, or a backfill), so that they can go out in one write; a lone record comes alone.
   */
  onRecords?(records: EventRecord[]): Promise<void>;
}

export interface FollowSummary {
  events: number;
  reconnects: number;
  backfilled: number;
  endedBy: 'count' | 'idle' | 'until' | 'signal';
}

/** How far before a gap the catch-up read starts: clock skew, second truncation, lag. */
const READ_MARGIN_MS = 10_000;
/** Live events kept for pairing while the stream is up (covers a connection gone quiet). */
const LIVE_RETENTION_MS = 120_000;
/** At most this many records wait for the output; more means the reader has stalled. */
const OUTPUT_QUEUE_LIMIT = 100_000;
/** Most records handed to onRecords at once. */
const OUTPUT_BATCH = 1_000;
/** A log read waits while this many records wait for the output: only live events may pile up. */
const READ_AHEAD = 2 * OUTPUT_BATCH;
/** How long to wait for the first connection before reading the history anyway. */
const FIRST_CONNECT_WAIT_MS = 10_000;
const CATCH_UP_RETRY_MS = 5_000;
/** How long after it was read a printed row may absorb its live twin (see settleLater). */
const ABSORB_GRACE_MS = 3_000;
/** How often the log is polled while the stream cannot be reached. */
const POLL_INTERVAL_MS = 5_000;

type Ending = FollowSummary['endedBy'];

export async function follow(ctx: Context, session: Session, options: FollowOptions): Promise<FollowSummary> {
  return new Follower(ctx, session, options).run();
}

class Follower {
  private readonly reporter: Reporter;
  private readonly ledger = new BackfillLedger({ absorbGraceMs: ABSORB_GRACE_MS });
  private readonly stop = new AbortController();
  private readonly output: SerialQueue<EventRecord>;
  private readonly projectIds: ReadonlySet<string> | null;
  private readonly personIds: ReadonlySet<string> | null;
  private readonly onlyFiles: ReadonlySet<string> | null;

  private events = 0;
  private reconnects = 0;
  private backfilled = 0;
  private ending: Ending | null = null;
  private failure: unknown = null;
  private settle!: () => void;
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  private streamUp = false;
  private connectedAtMs = 0;
  /** There is a gap in what was printed that the log may fill, starting at `downSinceMs`. */
  private owed = false;
  /** The last moment the stream was known alive before the current gap. */
  private downSinceMs: number | null = null;
  /** No read goes back before this: the start of the run, or of the history it prints. */
  private floorMs = 0;
  /** Records still go to the output (false once Ctrl-C, --count or a failure ended the run). */
  private delivering = true;
  private firstConnection: (() => void) | null = null;

  /** Live events held back while the history of the seam is read. */
  private seamBuffer: { record: EventRecord; mark: LiveMark }[] | null = null;
  private logReadable: boolean;
  private polling = false;
  /** Start of the newest successful read: the log is covered up to there. */
  private coveredSinceMs: number | null = null;
  private pendingCatchUpMs: number | null = null;
  /** The pending read only settles the seconds before this (see settleLater); null: up to now. */
  private pendingSettleUntilMs: number | null = null;
  /** The pending read was asked for by a reconnect, and is to be announced. */
  private pendingAnnounced = false;
  private catchUpRunning: Promise<void> | null = null;
  private idleTimer: LongTimeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Settling reads to come (see settleLater), with where each will read from. */
  private readonly settles = new Map<NodeJS.Timeout, number>();

  constructor(
    private readonly ctx: Context,
    private readonly session: Session,
    private readonly options: FollowOptions,
  ) {
    this.reporter = reporterFor(ctx);
    this.projectIds = options.projectIds?.length ? new Set(options.projectIds) : null;
    this.personIds = options.personIds?.length ? new Set(options.personIds) : null;
    this.onlyFiles = options.onlyFiles ? new Set(ONLY_FILES_EVENTS) : null;
    this.logReadable = options.backfill || options.since !== undefined || options.printedBefore !== undefined;
    this.output = new SerialQueue<EventRecord>((records) => this.deliver(records), {
      limit: OUTPUT_QUEUE_LIMIT,
      maxBatch: options.onRecords ? OUTPUT_BATCH : 1,
      onOverflow: () =>
        this.reporter.warnOnce(
          'output-overflow',
          `the output has fallen ${OUTPUT_QUEUE_LIMIT} events behind; newer events are dropped until it catches up`,
        ),
      onError: (error) => this.fail(error),
    });
  }

  async run(): Promise<FollowSummary> {
    const { ctx, options } = this;
    if (ctx.signal.aborted) return this.summary('signal');
    const onSignal = () => this.end('signal');
    ctx.signal.addEventListener('abort', onSignal, { once: true });
    this.armTimers();

    const seam = options.since !== undefined || options.printedBefore !== undefined;
    const now = ctx.clock.now();
    this.floorMs = options.printedBefore?.until.getTime() ?? options.since?.getTime() ?? now;
    this.downSinceMs = now;
    if (seam) {
      this.seamBuffer = [];
      // Should the history be read before the stream is up, the stream's start is a gap.
      this.owed = true;
    }
    const connected = new Promise<void>((resolve) => (this.firstConnection = resolve));
    if (!seam && options.backfill) await this.noteStartSecond();

    const stream = runEventStream(this.session, {
      signal: this.stop.signal,
      clock: ctx.clock,
      ...(options.maxReconnects !== undefined ? { maxReconnects: options.maxReconnects } : {}),
      handlers: {
        onEvent: (name, payload, at) => this.onLive(name, payload, at),
        onConnected: (info) => this.onConnected(info.transport, info.reconnect),
        onDisconnected: (info) => this.onDisconnected(info.reason, info.lastAliveAtMs),
        onRetry: (info) => this.onRetry(info),
        onRenewed: () => this.reporter.verbose('the event stream refused the access token; renewed it and retrying'),
      },
    }).then(
      () => undefined,
      (error: unknown) => this.fail(error),
    );

    if (seam) {
      // Read the history once live events are flowing into the buffer, so that none falls
      // between the two; do not wait for ever for a stream that may be down.
      await Promise.race([connected, sleep(FIRST_CONNECT_WAIT_MS, this.stop.signal)]);
      if (!this.stop.signal.aborted) void this.readHistory();
    }

    await this.settled;
    ctx.signal.removeEventListener('abort', onSignal);
    for (const timer of [...this.timers, ...this.settles.keys()]) clearTimeout(timer);
    this.idleTimer?.clear();
    await stream;
    await this.catchUpRunning;
    if (this.failure === null && this.ending !== 'signal' && this.ending !== 'count') {
      await this.output.idle();
    }
    this.output.stop();
    await this.output.idle();
    if (this.failure !== null) throw this.failure;
    return this.summary(this.ending ?? 'signal');
  }

  private summary(endedBy: Ending): FollowSummary {
    return { events: this.events, reconnects: this.reconnects, backfilled: this.backfilled, endedBy };
  }

  private end(ending: Ending): void {
    if (this.ending !== null || this.failure !== null) return;
    this.ending = ending;
    if (ending === 'signal' || ending === 'count') this.delivering = false;
    this.stop.abort();
    this.settle();
  }

  private fail(error: unknown): void {
    if (this.ending !== null || this.failure !== null) return;
    this.failure = error;
    this.delivering = false;
    this.stop.abort();
    this.settle();
  }

  private armTimers(): void {
    const { until, idleTimeoutMs } = this.options;
    if (until) {
      const arm = () => {
        const left = until.getTime() - this.ctx.clock.now();
        if (left <= 0) this.end('until');
        // Timers cannot wait more than ~24.8 days; re-arm in steps.
        else this.timers.push(setTimeout(arm, Math.min(left, 2 ** 31 - 1)));
      };
      arm();
    }
    if (idleTimeoutMs !== undefined) this.resetIdle();
    const pruning = setInterval(() => this.prune(), 10_000);
    pruning.unref();
    this.timers.push(pruning);
  }

  private resetIdle(): void {
    const ms = this.options.idleTimeoutMs;
    if (ms === undefined) return;
    this.idleTimer?.clear();
    // Records waiting for a slow reader (and the log read that waits with them) are not idleness.
    this.idleTimer = setLongTimeout(() => (this.output.waiting > 0 ? this.resetIdle() : this.end('idle')), ms);
  }

  // ---- records -------------------------------------------------------------------------

  private passes(record: EventRecord): boolean {
    if (!this.options.filter.matches(record.name)) return false;
    if (this.onlyFiles && !this.onlyFiles.has(record.name)) return false;
    if (this.projectIds && (record.project_id === null || !this.projectIds.has(record.project_id))) return false;
    if (this.personIds && !isAboutOneOf(record, this.personIds)) return false;
    return true;
  }

  /** Queues a record for output. */
  private emit(record: EventRecord): void {
    if (this.ending !== null || this.failure !== null) return;
    this.resetIdle();
    this.output.push(record);
  }

  private async deliver(records: EventRecord[]): Promise<void> {
    const { count, onRecords, onRecord } = this.options;
    if (!this.delivering) return;
    const batch = count === undefined ? records : records.slice(0, count - this.events);
    if (onRecords) await onRecords(batch);
    else for (const record of batch) await onRecord(record);
    this.events += batch.length;
    for (const record of batch) if (record.source === 'backfill') this.backfilled += 1;
    if (count !== undefined && this.events >= count) this.end('count');
  }

  private onLive(name: string, payload: unknown, receivedAtMs: number): void {
    const record = recordFromLive(name, payload, receivedAtMs);
    if (!this.passes(record)) return;
    if (this.seamBuffer) {
      const mark = this.ledger.noteLive(record, receivedAtMs, { held: true });
      if (mark) this.seamBuffer.push({ record, mark });
      return;
    }
    if (this.logReadable && this.ledger.noteLive(record, receivedAtMs) === null) return;
    this.emit(record);
  }

  // ---- the stream's ups and downs --------------------------------------------------------

  private onConnected(transport: string, reconnect: boolean): void {
    const now = this.ctx.clock.now();
    this.streamUp = true;
    this.connectedAtMs = now;
    const where = `${this.session.eventUrl}${this.session.socketPath}`;
    if (!reconnect) {
      this.reporter.info(`connected to ${where} (${transport}); press Ctrl-C to stop`);
    } else {
      this.reconnects += 1;
      const down = this.downSinceMs === null ? '' : ` after ${formatSeconds(now - this.downSinceMs)}`;
      this.reporter.info(`reconnected (${transport})${down}`);
    }
    if (this.polling) {
      this.polling = false;
      this.reporter.info('the event stream is back; stopped polling the log');
    }
    // During the seam the history read covers the gap; it settles it when done.
    if (this.seamBuffer === null) this.settleGap();
    this.firstConnection?.();
    this.firstConnection = null;
  }

  private onDisconnected(reason: string, lastAliveAtMs: number): void {
    this.streamUp = false;
    this.owed = true;
    this.downSinceMs = lastAliveAtMs;
    this.reporter.info(`disconnected (${plainDisconnectReason(reason)})`);
    if (this.options.backfill && this.logReadable) {
      this.reporter.warnOnce(
        'unrecoverable',
        'notifications and chat events are never stored by Kitsu, so those sent while disconnected cannot be recovered',
      );
    }
  }

  private onRetry(info: RetryInfo): void {
    const why = info.attempt > 1 || info.unreachable ? ` (attempt ${info.attempt}: ${plainDisconnectReason(info.reason)})` : '';
    this.reporter.info(`reconnecting in ${formatSeconds(info.delayMs)}${why}`);
    // A first connection that failed leaves a gap from the start of the run.
    this.owed = true;
    this.downSinceMs ??= this.ctx.clock.now();
    if (info.unreachable && !this.polling && this.options.backfill && this.logReadable) {
      this.polling = true;
      this.reporter.warn(
        `the event stream is unreachable (${plainDisconnectReason(info.reason)}); polling the log every ${formatSeconds(POLL_INTERVAL_MS)} until it is back`,
      );
      void this.poll();
    }
  }

  /** Where the log must be read from to cover the current gap. */
  private gapStartMs(): number {
    const down = this.downSinceMs ?? this.ctx.clock.now();
    const from = Math.max(down, this.coveredSinceMs ?? Number.NEGATIVE_INFINITY) - READ_MARGIN_MS;
    return Math.max(from, this.floorMs);
  }

  /** The stream is up: fetch what the gap (if any) held, and start a new page. */
  private settleGap(): void {
    if (this.owed && this.options.backfill && this.logReadable) this.catchUpFrom(this.gapStartMs());
    this.owed = false;
    this.downSinceMs = null;
    this.coveredSinceMs = null;
  }

  private async poll(): Promise<void> {
    while (this.polling && !this.stop.signal.aborted && this.logReadable) {
      // While the history of the seam is being read, it covers the gap itself.
      if (this.seamBuffer === null) this.catchUpFrom(this.gapStartMs(), true);
      await this.catchUpRunning;
      await sleep(POLL_INTERVAL_MS, this.stop.signal);
    }
  }

  // ---- reading the log ------------------------------------------------------------------

  /** The seam: history from `since` (or after what the caller printed), then the buffer. */
  private async readHistory(): Promise<void> {
    const { since, printedBefore } = this.options;
    let fromMs: number;
    if (printedBefore) {
      this.ledger.markSeen(printedBefore.ids, Math.floor(printedBefore.until.getTime() / 1000) * 1000);
      fromMs = printedBefore.until.getTime();
    } else {
      fromMs = since!.getTime();
    }
    // With the stream up, the history read covers everything until now: no gap is owed
    // unless the stream drops while it runs.
    if (this.streamUp) {
      this.owed = false;
      this.downSinceMs = null;
    }
    try {
      await this.read(fromMs, 'history');
    } catch (error) {
      this.fail(error);
      return;
    }
    const buffered = this.seamBuffer ?? [];
    this.seamBuffer = null;
    for (const { record, mark } of buffered) {
      // A held event that a history row turned out to be was printed as that row.
      if (mark.paired) continue;
      mark.held = false;
      this.emit(record);
    }
    if (this.streamUp) this.settleGap();
  }

  /**
   * Nothing from before the start is owed, but log rows have whole seconds: the rows of the
   * start's second that exist before the stream is opened are noted as printed, lest a
   * backfill take them for events missed. (Noting them after connecting could swallow an
   * event that the new connection then failed to deliver.)
   */
  private async noteStartSecond(): Promise<void> {
    this.floorMs = Math.floor(this.ctx.clock.now() / 1000) * 1000;
    try {
      await this.read(this.floorMs, 'baseline');
    } catch (error) {
      if (this.stop.signal.aborted || this.forbidden(error)) return;
      // Not fatal: at worst a backfill soon after the start prints an event of its second.
      this.reporter.verbose(`could not read the log at the start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Asks for a read from `sinceMs`; a quiet one (polling, settling) says nothing when it finds
   * nothing. `settleUntilMs`: a settling read (see settleLater), which stops there.
   */
  private catchUpFrom(sinceMs: number, quiet = false, settleUntilMs: number | null = null): void {
    if (this.pendingCatchUpMs === null) {
      this.pendingSettleUntilMs = settleUntilMs;
    } else if (this.pendingSettleUntilMs !== null) {
      // Joined with a read up to now, a settling read becomes one.
      this.pendingSettleUntilMs = settleUntilMs === null ? null : Math.max(this.pendingSettleUntilMs, settleUntilMs);
    }
    this.pendingCatchUpMs = this.pendingCatchUpMs === null ? sinceMs : Math.min(this.pendingCatchUpMs, sinceMs);
    this.pendingAnnounced ||= !quiet;
    this.startCatchUp();
  }

  /**
   * The moment after a read made while connected is the one place where pairing by name, data
   * and time can be wrong: an event missed in the gap and an identical one just after it,
   * whose row the read did not see yet, are told apart by count only, and a printed row may
   * take a new identical live event for its twin. A second, quiet read counts again once the
   * seconds it decides are settled: their rows written and their live twins arrived. It
   * decides nothing newer and its rows absorb nothing, so it needs no second read of its own.
   */
  private settleLater(): void {
    // A read that was under way when the run ended must not arm a timer nobody clears.
    if (this.stop.signal.aborted) return;
    const nowMs = this.ctx.clock.now();
    const fromMs = Math.max(this.connectedAtMs - this.ledger.toleranceWindowMs, this.floorMs);
    // A live event taken for a twin arrived within the grace; its row is at most the tolerance later.
    const untilMs = nowMs + ABSORB_GRACE_MS + this.ledger.toleranceWindowMs;
    const timer = setTimeout(() => {
      this.settles.delete(timer);
      this.catchUpFrom(fromMs, true, untilMs);
    }, untilMs + this.ledger.toleranceWindowMs - nowMs);
    this.settles.set(timer, fromMs);
  }

  /** Reads run one at a time, in the order they were asked for. */
  private startCatchUp(): void {
    if (!this.catchUpRunning) {
      this.catchUpRunning = this.catchUpLoop().finally(() => {
        this.catchUpRunning = null;
      });
    }
  }

  private async catchUpLoop(): Promise<void> {
    while (this.pendingCatchUpMs !== null && !this.stop.signal.aborted && this.logReadable) {
      const sinceMs = this.pendingCatchUpMs;
      const settleUntilMs = this.pendingSettleUntilMs;
      const announced = this.pendingAnnounced && !this.polling;
      this.pendingCatchUpMs = null;
      this.pendingSettleUntilMs = null;
      this.pendingAnnounced = false;
      try {
        const n = settleUntilMs === null ? await this.read(sinceMs, 'backfill') : await this.read(sinceMs, 'settle', settleUntilMs);
        // After a reconnect, say so even for none: it tells that the gap was looked at.
        if (n > 0 || announced || this.reporter.options.verbose) {
          this.reporter.info(`backfilled ${n} event${n === 1 ? '' : 's'} from the log (since ${clockTime(sinceMs)})`);
        }
      } catch (error) {
        if (this.stop.signal.aborted || this.forbidden(error)) return;
        const message = error instanceof Error ? error.message : String(error);
        this.reporter.warn(`could not read the event log to backfill (${message}); trying again in ${formatSeconds(CATCH_UP_RETRY_MS)}`);
        this.catchUpFrom(sinceMs, !announced, settleUntilMs);
        await sleep(CATCH_UP_RETRY_MS, this.stop.signal);
      }
    }
  }

  /** A 403 on the log: no backfill for this account, said once; the stream goes on. */
  private forbidden(error: unknown): boolean {
    if (!(error instanceof PermissionError)) return false;
    this.logReadable = false;
    this.polling = false;
    this.reporter.warnOnce(
      'backfill-forbidden',
      'backfill is unavailable to this account (the server refused to let it read the event log); live events go on',
    );
    return true;
  }

  /**
   * Reads the log from `sinceMs` to now (a settling read: to `settleUntilMs`) and queues the
   * rows not yet printed, with source "log" for the history of the seam and "backfill"
   * otherwise; a baseline read only notes the rows as printed. Returns how many were queued.
   */
  private async read(sinceMs: number, kind: 'history' | 'backfill' | 'settle' | 'baseline', settleUntilMs?: number): Promise<number> {
    const startedAtMs = this.ctx.clock.now();
    const upAtStart = this.streamUp;
    const query: LogQuery = { since: new Date(sinceMs), filter: this.options.filter };
    if (this.options.onlyFiles) query.onlyFiles = true;
    if (this.options.projectIds?.length) query.projectIds = this.options.projectIds;
    const untilMs = Math.min(this.options.until?.getTime() ?? Infinity, settleUntilMs ?? Infinity);
    if (untilMs !== Infinity) query.until = new Date(untilMs);
    let printed = 0;
    const source: EventSource = kind === 'history' ? 'log' : 'backfill';
    for await (const row of readLog(this.session, query, { signal: this.stop.signal })) {
      if (!this.passes(row)) continue;
      if (kind === 'baseline') {
        this.ledger.markSeen([row.id!], Date.parse(row.created_at));
        continue;
      }
      // The live twins of a settling read's rows have all arrived: none of them may absorb one.
      const liveSinceMs = this.streamUp && kind !== 'settle' ? this.connectedAtMs : undefined;
      const verdict = this.ledger.noteRow(row, this.ctx.clock.now(), liveSinceMs);
      if (verdict !== 'print') continue;
      this.emit({ ...row, source });
      printed += 1;
      if (this.output.waiting > READ_AHEAD) await Promise.race([this.output.waitUntilAtMost(READ_AHEAD), this.settled]);
    }
    if (!this.streamUp && kind === 'backfill') this.coveredSinceMs = Math.max(this.coveredSinceMs ?? 0, startedAtMs);
    if ((kind === 'history' || kind === 'backfill') && (upAtStart || this.streamUp)) this.settleLater();
    this.prune();
    return printed;
  }

  /** Forgets what no future read can need. */
  private prune(): void {
    // Held live events must wait for the history row that may be them, however long it takes.
    if (this.seamBuffer !== null) return;
    const now = this.ctx.clock.now();
    const earliestRead = Math.min(
      this.pendingCatchUpMs ?? Number.POSITIVE_INFINITY,
      ...this.settles.values(),
      this.streamUp ? now - LIVE_RETENTION_MS : this.gapStartMs(),
    );
    this.ledger.prune(earliestRead - this.ledger.toleranceWindowMs);
  }
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}
