/**
 * The follow engine behind `listen` and `logs --follow`: live events as they happen, and from
 * the log whatever the live stream could not deliver, each event printed once.
 *
 * - The stream is opened first. With `since` (or `printedBefore`) the stored history is read
 *   while live events wait in a buffer; rows that were also received live are printed once
 *   (as the row), and then the buffer is let go: nothing missed or repeated at the seam.
 * - After every reconnect the log is read from shortly before the disconnect, and rows that
 *   were not printed live are printed with source "backfill" (src/core/backfill.ts decides at
 *   once); quiet counting reads follow until src/core/reconcile.ts can count each gap exactly,
 *   and print what identical events made the first decision miss.
 * - While the stream cannot be reached at all, the log is polled instead, until it is back.
 */
import { plainDisconnectReason } from '../output/plain-words.js';
import { BackfillLedger, eventKey } from '../core/backfill.js';
import { LiveWindow } from '../core/live-window.js';
import { Reconciler } from '../core/reconcile.js';
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
import { outageReportFor, STREAM_OUTAGE, seconds as formatSeconds, type OutageReport } from '../output/outage.js';
import { reporterFor, type Reporter } from '../output/reporter.js';
import { CatchUpScheduler, type ReadKind } from './catch-up.js';
import { Seam } from './seam.js';
import { SerialQueue } from './serial-queue.js';
import { setLongTimeout, type LongTimeout } from './long-timeout.js';

export interface FollowOptions {
  filter: EventFilter;
  projectIds?: string[];
  /**
   * --about: events whose `data.person_id` is one of these (assignee, the one whose status
   * changed…). Live events do not say who acted, so who an event is about is the person filter
   * that applies alike to live and stored events (src/core/person-filter.ts).
   */
  aboutIds?: string[];
  onlyFiles?: boolean;
  /**
   * What the client applies beyond the above (--where, --entity, --task-type, --status):
   * `quick` drops what the record alone rules out as it arrives; `select` decides the rest
   * just before output (it may look names up), so --count counts only matching events.
   */
  search?: {
    quick(record: EventRecord): boolean | undefined;
    select(records: readonly EventRecord[]): Promise<EventRecord[]>;
  };
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

/** How often a counting read is made while a gap is not decided. */
const COUNT_EVERY_MS = 2_500;
/** How far before a gap the catch-up read starts: clock skew, second truncation, lag. */
const READ_MARGIN_MS = 10_000;
/**
 * Live events are kept, while the stream is up, from this long before the newest one (beyond
 * what a gap needs of the events before it: see `liveReachMs`).
 */
const LIVE_REACH_MARGIN_MS = 5_000;
/** At most this many records wait for the output; more means the reader has stalled. */
const OUTPUT_QUEUE_LIMIT = 100_000;
/** Most records handed to onRecords at once. */
const OUTPUT_BATCH = 1_000;
/** A log read waits while this many records wait for the output: only live events may pile up. */
const READ_AHEAD = 2 * OUTPUT_BATCH;
/** How long to wait for the first connection before reading the history anyway. */
const FIRST_CONNECT_WAIT_MS = 10_000;
const CATCH_UP_RETRY_MS = 5_000;
/** How long after it was read a printed row may absorb its live twin. */
const ABSORB_GRACE_MS = 3_000;
/** How often the log is polled while the stream cannot be reached. */
const POLL_INTERVAL_MS = 5_000;
/**
 * After a reconnect, live events wait at most this long for the catch-up read, so that what it
 * recovers (older) is printed before them, in log order. A read slower than this lets them go
 * (the rest of the recovered then follows them, marked as backfill): live output is never held
 * for long.
 */
const CATCH_UP_HOLD_MS = 3_000;
/** …and at most this many: a burst lets them go at once rather than pile up. */
const CATCH_UP_HOLD_LIMIT = 10_000;

type Ending = FollowSummary['endedBy'];

export async function follow(ctx: Context, session: Session, options: FollowOptions): Promise<FollowSummary> {
  return new Follower(ctx, session, options).run();
}

class Follower {
  private readonly reporter: Reporter;
  /** Down, still down, back: told, not shouted (src/output/outage.ts). */
  private readonly outage: OutageReport;
  /** Records the log gave back since the current outage began. */
  private recovered = 0;
  /** The read that accounts for the current outage is still to finish. */
  private awaitingCatchUp = false;
  /** The stream came back while the history of the seam was still to be printed: it covers the outage. */
  private historyCoversOutage = false;
  /** A connection was lost at least once: live events may have been missed. */
  private droppedOnce = false;
  /** Live events held while the catch-up read after a reconnect runs (null when none runs). */
  private heldLive: EventRecord[] | null = null;
  private holdTimer: NodeJS.Timeout | undefined;
  /** The last read of the log failed (said once, until one succeeds). */
  private logReadFailing = false;
  /** The live events kept for pairing and counting: one window for the ledger and the reconciler. */
  private readonly live = new LiveWindow();
  private readonly ledger = new BackfillLedger({ absorbGraceMs: ABSORB_GRACE_MS, window: this.live });
  private readonly reconciler = new Reconciler({ window: this.live });
  /**
   * How far back from the newest live event the live events are kept while the stream is up.
   * A gap starts no earlier than the newest event received before it: a connection that goes
   * quiet delivers nothing more, and its gap is dated from its last packet. What a gap needs of
   * the events before its start is bounded: the catch-up read starts READ_MARGIN_MS before it
   * and its rows pair with events up to the ledger's tolerance window before that; the count
   * looks for a cut up to the reconciler's reach before it. So keeping from the newest event,
   * not from now, keeps all a silent drop needs however long it takes to notice (the server's
   * pingInterval + pingTimeout, 45 s for Zou, or a laptop's sleep), and nothing more on a
   * steady stream: 39 s, where a flat two minutes held 60,000 events at 500 a second, most
   * of the listener's memory (test/bench/soak.bench.ts).
   */
  private readonly liveReachMs =
    Math.max(READ_MARGIN_MS + this.ledger.toleranceWindowMs, this.reconciler.reachBeforeGapMs) + LIVE_REACH_MARGIN_MS;
  private readonly catchUp: CatchUpScheduler;
  private readonly stop = new AbortController();
  private readonly output: SerialQueue<EventRecord>;
  private readonly projectIds: ReadonlySet<string> | null;
  private readonly aboutIds: ReadonlySet<string> | null;
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

  /** Live events held back while the history of the seam is read; null without a seam, or once it is printed. */
  private seam: Seam<EventRecord> | null = null;
  private logReadable: boolean;
  private polling = false;
  /** Where each read of the log running now started: its rows may still pair with live events from there. */
  private readonly readingFrom: number[] = [];
  /** Start of the newest successful read: the log is covered up to there. */
  private coveredSinceMs: number | null = null;
  private idleTimer: LongTimeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly ctx: Context,
    private readonly session: Session,
    private readonly options: FollowOptions,
  ) {
    this.reporter = reporterFor(ctx);
    this.outage = outageReportFor(ctx, this.reporter, STREAM_OUTAGE);
    this.projectIds = options.projectIds?.length ? new Set(options.projectIds) : null;
    this.aboutIds = options.aboutIds?.length ? new Set(options.aboutIds) : null;
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
    this.catchUp = new CatchUpScheduler({
      clock: ctx.clock,
      timers: {
        setTimeout: (callback, ms) => setTimeout(callback, ms),
        clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
      },
      read: (sinceMs, kind) => this.read(sinceMs, kind),
      active: () => !this.stop.signal.aborted && this.logReadable,
      onRead: ({ kind, sinceMs, queued, announced }) => {
        this.logReadFailing = false;
        // The detail of each read; a person hears of it in the one line that ends the outage.
        if (queued > 0 || kind === 'backfill') {
          this.reporter.verbose(
            `backfilled ${queued} event${queued === 1 ? '' : 's'} from the log (since ${clockTime(sinceMs)})`,
          );
        }
        // Another reconnect may have asked for one more announced read meanwhile: that one ends it.
        if (announced && !this.catchUp.announcing) {
          this.awaitingCatchUp = false;
          // What the read recovered is queued: the live events received meanwhile go after it.
          this.releaseLive();
          this.outageOverIfAccounted();
        }
      },
      onError: (error) => {
        this.releaseLive();
        if (this.stop.signal.aborted || this.forbidden(error)) {
          this.awaitingCatchUp = false;
          this.outageOverIfAccounted();
          return null;
        }
        const message = error instanceof Error ? error.message : String(error);
        const line = `could not read the event log to backfill (${message}); trying again in ${formatSeconds(CATCH_UP_RETRY_MS)}`;
        // Once, until a read succeeds: a log that stays unreadable is not a warning every 5 s.
        if (this.logReadFailing) this.reporter.verbose(line);
        else this.reporter.warn(line);
        this.logReadFailing = true;
        return CATCH_UP_RETRY_MS;
      },
      sleep: (ms) => sleep(ms, this.stop.signal),
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
      this.seam = new Seam<EventRecord>(FIRST_CONNECT_WAIT_MS, (ms) => sleep(ms, this.stop.signal));
      // Should the history be read before the stream is up, the stream's start is a gap.
      this.owed = true;
      this.reconciler.floor(this.floorMs, now);
      this.reconciler.down(now);
    }
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

    if (this.seam) {
      await this.seam.readyToRead();
      if (!this.stop.signal.aborted) void this.readHistory();
    }

    await this.settled;
    // Ended by --until or --idle-timeout: what was held was received before the end.
    this.releaseLive();
    this.outage.close();
    ctx.signal.removeEventListener('abort', onSignal);
    for (const timer of this.timers) clearTimeout(timer);
    this.catchUp.stop();
    this.idleTimer?.clear();
    await stream;
    await this.catchUp.idle();
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
    // Records waiting for a slow reader, or the history of --since still to read or print, are
    // not idleness: on a loaded server the connection or one page of the log can take longer
    // than a short --idle-timeout. Nor are live events held for the catch-up read of a reconnect.
    const busy = () => this.output.waiting > 0 || this.seam?.holding === true || (this.heldLive?.length ?? 0) > 0;
    this.idleTimer = setLongTimeout(() => (busy() ? this.resetIdle() : this.end('idle')), ms);
  }

  // ---- records -------------------------------------------------------------------------

  private passes(record: EventRecord): boolean {
    if (!this.options.filter.matches(record.name)) return false;
    if (this.onlyFiles && !this.onlyFiles.has(record.name)) return false;
    if (this.projectIds && (record.project_id === null || !this.projectIds.has(record.project_id))) return false;
    if (this.aboutIds && !isAboutOneOf(record, this.aboutIds)) return false;
    return this.options.search?.quick(record) !== false;
  }

  /** Queues a record for output. */
  private emit(record: EventRecord): void {
    if (this.ending !== null || this.failure !== null) return;
    this.resetIdle();
    this.output.push(record);
  }

  private async deliver(records: EventRecord[]): Promise<void> {
    const { count, onRecords, onRecord, search } = this.options;
    if (!this.delivering) return;
    const selected = search ? await search.select(records) : records;
    if (!this.delivering || selected.length === 0) return;
    const batch = count === undefined ? selected : selected.slice(0, count - this.events);
    if (onRecords) await onRecords(batch);
    else for (const record of batch) await onRecord(record);
    this.events += batch.length;
    for (const record of batch) if (record.source === 'backfill') this.backfilled += 1;
    if (count !== undefined && this.events >= count) this.end('count');
  }

  private onLive(name: string, payload: unknown, receivedAtMs: number): void {
    const record = recordFromLive(name, payload, receivedAtMs);
    if (!this.passes(record)) return;
    if (this.seam?.holding) {
      // A row printed a moment ago that was it stands in its place; else it waits for the history.
      const absorbed = this.ledger.absorbs(record, receivedAtMs);
      const event = this.live.add(record, receivedAtMs, { held: true, paired: absorbed });
      this.reconciler.noteLiveEvent(event);
      if (!absorbed) {
        this.seam.hold({
          record,
          replaced: () => event.paired,
          released: () => {
            event.held = false;
            event.printed = true;
          },
        });
      }
      return;
    }
    if (this.logReadable) {
      const absorbed = this.ledger.absorbs(record, receivedAtMs);
      this.reconciler.noteLiveEvent(this.live.add(record, receivedAtMs, { printed: !absorbed, paired: absorbed }));
      if (absorbed) return;
    }
    if (this.heldLive) {
      // Noted as printed above (it will be, once the catch-up read is out): the read skips its row.
      this.heldLive.push(record);
      this.resetIdle();
      if (this.heldLive.length >= CATCH_UP_HOLD_LIMIT) this.releaseLive();
      return;
    }
    this.emit(record);
  }

  /** Holds live events until the catch-up read that just started is done, or for a bounded while. */
  private holdLive(): void {
    if (this.heldLive) return;
    this.heldLive = [];
    this.holdTimer = setTimeout(() => this.releaseLive(), CATCH_UP_HOLD_MS);
    this.holdTimer.unref();
  }

  /** Lets the held live events go to the output, in order of receipt. */
  private releaseLive(): void {
    clearTimeout(this.holdTimer);
    const held = this.heldLive;
    this.heldLive = null;
    if (!held || !this.delivering || this.failure !== null) return;
    for (const record of held) this.output.push(record);
  }

  // ---- the stream's ups and downs --------------------------------------------------------

  private onConnected(transport: string, reconnect: boolean): void {
    const now = this.ctx.clock.now();
    this.streamUp = true;
    this.connectedAtMs = now;
    this.reconciler.up(now);
    const where = `${this.session.eventUrl}${this.session.socketPath}`;
    this.outage.up();
    if (this.outage.recovering && this.seam?.holding) this.historyCoversOutage = true;
    if (!reconnect) {
      this.reporter.info(`connected to ${where} (${transport}); press Ctrl-C to stop`);
    } else {
      this.reconnects += 1;
      const down = this.downSinceMs === null ? '' : ` after ${formatSeconds(now - this.downSinceMs)}`;
      this.reporter.verbose(`reconnected (${transport})${down}`);
    }
    if (this.polling) {
      this.polling = false;
      this.reporter.verbose('the event stream is back; stopped polling the log');
    }
    // During the seam the history read covers the gap; it settles it when done.
    if (!this.seam?.holding) this.settleGap();
    this.seam?.streamUp();
    this.outageOverIfAccounted();
  }

  /**
   * Ends the outage in its one line once what it missed is accounted for: the catch-up read
   * after the reconnect is done (or cannot be made), and no history read of the seam covers it.
   */
  private outageOverIfAccounted(): void {
    if (!this.outage.recovering || this.awaitingCatchUp || this.seam?.holding) return;
    let recovered: number | string = this.recovered;
    if (this.historyCoversOutage) recovered = 'what it missed is in the history printed';
    else if (!this.options.backfill) recovered = 'events sent meanwhile were not read from the log: --no-backfill';
    else if (!this.logReadable) recovered = 'events sent meanwhile could not be read from the log';
    this.outage.over(recovered);
    this.recovered = 0;
    this.historyCoversOutage = false;
  }

  private onDisconnected(reason: string, lastAliveAtMs: number): void {
    this.streamUp = false;
    this.owed = true;
    this.downSinceMs = lastAliveAtMs;
    this.reconciler.down(lastAliveAtMs);
    this.droppedOnce = true;
    if (!this.outage.active) this.recovered = 0;
    this.outage.down(lastAliveAtMs, plainDisconnectReason(reason));
    this.reporter.verbose(`disconnected (${plainDisconnectReason(reason)})`);
  }

  private onRetry(info: RetryInfo): void {
    const why =
      info.attempt > 1 || info.unreachable ? ` (attempt ${info.attempt}: ${plainDisconnectReason(info.reason)})` : '';
    this.reporter.verbose(`reconnecting in ${formatSeconds(info.delayMs)}${why}`);
    if (!this.outage.active) this.recovered = 0;
    // The delay shown is the one the stream's scheduler waits.
    this.outage.retrying(info.delayMs, plainDisconnectReason(info.reason));
    // After the line that says it is down (it needs the delay, which comes with the retry).
    if (this.droppedOnce) this.warnUnrecoverable();
    // A first connection that failed leaves a gap from the start of the run.
    this.owed = true;
    this.downSinceMs ??= this.ctx.clock.now();
    this.reconciler.down(this.downSinceMs);
    if (info.unreachable && !this.polling && this.options.backfill && this.logReadable) {
      this.polling = true;
      this.outage.polling(POLL_INTERVAL_MS);
      void this.poll();
    }
  }

  private warnUnrecoverable(): void {
    if (this.options.backfill && this.logReadable) {
      this.reporter.warnOnce(
        'unrecoverable',
        'notifications and chat events are never stored by Kitsu, so those sent while disconnected cannot be recovered',
      );
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
    if (this.owed && this.options.backfill && this.logReadable) {
      this.catchUp.backfillFrom(this.gapStartMs());
      this.awaitingCatchUp = true;
      if (this.streamUp) this.holdLive();
    }
    this.owed = false;
    this.downSinceMs = null;
    this.coveredSinceMs = null;
  }

  private async poll(): Promise<void> {
    while (this.polling && !this.stop.signal.aborted && this.logReadable) {
      // While the history of the seam is being read, it covers the gap itself.
      if (!this.seam?.holding) this.catchUp.backfillFrom(this.gapStartMs(), true);
      await this.catchUp.idle();
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
    // A held event that a history row turned out to be was printed as that row.
    for (const record of this.seam?.release() ?? []) this.emit(record);
    if (this.streamUp) this.settleGap();
    this.outageOverIfAccounted();
  }

  /**
   * Nothing from before the start is owed, but log rows have whole seconds: the rows of the
   * start's second that exist before the stream is opened are noted as printed, lest a
   * backfill take them for events missed. (Noting them after connecting could swallow an
   * event that the new connection then failed to deliver.)
   */
  private async noteStartSecond(): Promise<void> {
    this.floorMs = Math.floor(this.ctx.clock.now() / 1000) * 1000;
    this.reconciler.floor(this.floorMs, this.ctx.clock.now());
    try {
      await this.read(this.floorMs, 'baseline');
    } catch (error) {
      if (this.stop.signal.aborted || this.forbidden(error)) return;
      // Not fatal: at worst a backfill soon after the start prints an event of its second.
      this.reporter.verbose(
        `could not read the log at the start: ${error instanceof Error ? error.message : String(error)}`,
      );
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
   * Reads the log from `sinceMs` to now. A history or backfill read queues the rows not yet
   * printed (source "log" for the history of the seam, "backfill" otherwise); a baseline read
   * only notes the rows as printed; a counting read only counts. Then the gaps that can be
   * counted are, and what they still owe is queued. Returns how many records were queued.
   */
  private async read(sinceMs: number, kind: 'history' | 'baseline' | ReadKind): Promise<number> {
    this.readingFrom.push(sinceMs);
    try {
      return await this.readNow(sinceMs, kind);
    } finally {
      this.readingFrom.splice(this.readingFrom.indexOf(sinceMs), 1);
    }
  }

  private async readNow(sinceMs: number, kind: 'history' | 'baseline' | ReadKind): Promise<number> {
    const startedAtMs = this.ctx.clock.now();
    const query: LogQuery = { since: new Date(sinceMs), filter: this.options.filter };
    if (this.options.onlyFiles) query.onlyFiles = true;
    if (this.options.projectIds?.length) query.projectIds = this.options.projectIds;
    if (this.options.until) query.until = this.options.until;
    let printed = 0;
    const queue = async (record: EventRecord) => {
      this.emit(record);
      printed += 1;
      if (record.source === 'backfill' && this.outage.active) this.recovered += 1;
      if (this.output.waiting > READ_AHEAD) await Promise.race([this.output.waitUntilAtMost(READ_AHEAD), this.settled]);
    };
    const source: EventSource = kind === 'history' ? 'log' : 'backfill';
    for await (const row of readLog(this.session, query, { signal: this.stop.signal })) {
      if (!this.passes(row)) continue;
      if (kind === 'baseline') {
        this.ledger.markSeen([row.id!], Date.parse(row.created_at));
        this.reconciler.noteRow(row, true);
        continue;
      }
      // What `logs` printed before following is printed, for the count as for the ledger.
      const key = eventKey(row);
      this.reconciler.noteRow(row, this.options.printedBefore?.ids.has(row.id!) ?? false, key);
      // Identical events near each other are left to the count (src/core/reconcile.ts): pairing
      // them by time is what lost or doubled one now and then. Not while the stream is down:
      // the count waits for it to come back, and polling must print the rows meanwhile.
      if (kind === 'count' || (kind === 'backfill' && this.streamUp && this.reconciler.ambiguous(row))) continue;
      const liveSinceMs = this.streamUp ? this.connectedAtMs : undefined;
      const verdict = this.ledger.noteRow(row, this.ctx.clock.now(), liveSinceMs, key);
      if (verdict !== 'print') continue;
      this.reconciler.rowPrinted(row.id!);
      await queue({ ...row, source });
    }
    if (this.stop.signal.aborted) return printed;
    this.reconciler.readDone(sinceMs, startedAtMs);
    if (!this.streamUp && kind === 'backfill') this.coveredSinceMs = Math.max(this.coveredSinceMs ?? 0, startedAtMs);
    if (kind !== 'baseline') {
      const { print, settledIds, givenUp } = this.reconciler.decide(this.ctx.clock.now());
      for (const gap of givenUp) {
        this.reporter.verbose(
          `could not count the gap of ${clockTime(gap.fromMs)}-${clockTime(gap.toMs)} exactly (${gap.why}); identical events in it rest on pairing by time`,
        );
      }
      for (const id of settledIds) this.ledger.markSeen([id], Math.floor(startedAtMs / 1000) * 1000);
      for (const row of print) await queue({ ...row, source: 'backfill' });
      this.countLater();
    }
    this.prune();
    return printed;
  }

  /** While a gap is not counted yet, a quiet counting read comes a little later. */
  private countLater(): void {
    if (this.stop.signal.aborted || !this.logReadable || this.reconciler.pending === 0) return;
    const fromMs = this.reconciler.readFromMs();
    if (fromMs === null) return;
    this.catchUp.countLater(Math.max(fromMs, this.floorMs), COUNT_EVERY_MS);
  }

  /** Forgets what no future read can need. */
  private prune(): void {
    // Held live events must wait for the history row that may be them, however long it takes.
    if (this.seam?.holding) return;
    const now = this.ctx.clock.now();
    const keepFromMs = Math.min(now, this.live.newestAtMs ?? now) - this.liveReachMs;
    // A read that is running counts too: one slow enough to outlast a disconnect once lost the
    // live events its first rows pair with, and printed those rows twice (seen in the soak).
    const earliestRead = Math.min(
      this.catchUp.earliestPendingMs,
      ...this.readingFrom,
      this.streamUp ? keepFromMs : this.gapStartMs(),
    );
    this.ledger.prune(earliestRead - this.ledger.toleranceWindowMs);
    this.reconciler.prune(Math.min(keepFromMs, ...this.readingFrom));
    // Between gaps nothing looks events up by key: the keys go until the next read needs them.
    const quiet =
      this.readingFrom.length === 0 && this.reconciler.pending === 0 && this.catchUp.earliestPendingMs === Infinity;
    if (quiet && this.streamUp && !this.polling) this.live.forgetKeys();
  }
}

function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}
